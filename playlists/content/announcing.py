"""Write announcements: create one, change its words, give it another voice.

Each checks the words against content/limits.py, makes the speech and slides first
(slow, outside the transaction: a failure leaves only unreferenced media, which
prune removes), then stores the change and its audit row in one transaction. A
change sends the announcement back to draft: a reviewer hears it again.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from playlists.content import announcement_table, review
from playlists.content.ingest import Ingest
from playlists.content.limits import MAX_ANNOUNCEMENT_TEXT, MAX_TITLE
from playlists.content.media_table import MediaRecord
from playlists.errors import EditError
from playlists.model import Review, Slide
from playlists.record import audit
from playlists.store import Store

CREATE = "create"  # audit actions
EDIT = "edit"
VOICE = "voice"  # a recording uploaded for it
REVOICE = "revoice"  # speech made again by another engine (revoice.py)
TEXT_EMPTY = "text-empty"  # rules check_words names, for the panel to translate
TEXT_LENGTH = "text-length"
TITLE_LENGTH = "title-length"
UNTITLED_WORDS = 20  # an untitled announcement is titled by this many first characters


def check_words(title: str, text: str) -> tuple[str, str]:
    """Return the title and text stripped, an empty title made of the first words."""
    text, title = text.strip(), title.strip()
    if not text:
        raise EditError(TEXT_EMPTY, "the announcement text is empty")
    if len(text) > MAX_ANNOUNCEMENT_TEXT:
        raise EditError(
            TEXT_LENGTH,
            f"the text has {len(text)} characters; at most {MAX_ANNOUNCEMENT_TEXT}",
            n=len(text),
            limit=MAX_ANNOUNCEMENT_TEXT,
        )
    if len(title) > MAX_TITLE:
        raise EditError(
            TITLE_LENGTH,
            f"the title has {len(title)} characters; at most {MAX_TITLE}",
            n=len(title),
            limit=MAX_TITLE,
        )
    return title or text[:UNTITLED_WORDS], text


def create(
    ingest: Ingest, title: str, text: str, created_by: str, *, review: Review = Review.DRAFT
) -> int:
    """Save an announcement, making its speech now so air time needs nothing."""
    title, text, record = _spoken(ingest, title, text)
    now = ingest.now()
    with ingest.store.transaction():
        announcement_id = announcement_table.add_announcement(
            ingest.store, title, text, record.sha256, created_by, now, review=review
        )
        _audit(ingest.store, created_by, CREATE, now, announcement_id, title)
    return announcement_id


def edit(ingest: Ingest, announcement_id: int, title: str, text: str, changed_by: str) -> None:
    """Change an announcement's words: new speech and slides, and back to draft."""
    announcement_table.get_announcement(ingest.store, announcement_id)  # NotFoundError first
    title, text, record = _spoken(ingest, title, text)
    now = ingest.now()
    with ingest.store.transaction():
        announcement_table.update_announcement(
            ingest.store, announcement_id, title, text, record.sha256, changed_by, now
        )
        _audit(ingest.store, changed_by, EDIT, now, announcement_id, title)


def give_recording(
    ingest: Ingest, announcement_id: int, source: Path, name: str, changed_by: str
) -> MediaRecord:
    """Let a recording speak an announcement instead of the synthesized voice."""
    announcement_table.get_announcement(ingest.store, announcement_id)  # NotFoundError first
    record = ingest.add_recording(source, name)
    store_voice(ingest.store, announcement_id, record, changed_by, ingest.now(), VOICE, name)
    return record


def store_voice(
    store: Store,
    announcement_id: int,
    record: MediaRecord,
    changed_by: str,
    now: dt.datetime,
    action: str,
    detail: str,
) -> None:
    """Give an announcement a new clip everywhere it plays, back to draft, and audit it."""
    with store.transaction():
        announcement_table.set_announcement_voice(store, announcement_id, record, changed_by, now)
        _audit(store, changed_by, action, now, announcement_id, detail)


def _spoken(ingest: Ingest, title: str, text: str) -> tuple[str, str, MediaRecord]:
    """Check an announcement's words, make its speech and slides; return what to store."""
    title, text = check_words(title, text)
    record = ingest.speak(text)
    ingest.render_slides(Slide(title, text))
    return title, text, record


def _audit(
    store: Store, user: str, action: str, now: dt.datetime, announcement_id: int, detail: str
) -> None:
    audit.record(
        store,
        user,
        action,
        now,
        subject=review.ANNOUNCEMENT,
        subject_id=announcement_id,
        detail=detail,
    )
