"""Review before broadcast (审核): drafts, the review queue, approval and rejection.

Announcements and playlists carry a review state. Anything written or changed in
the panel becomes a draft; its author sends it for review; a reviewer approves it or
sends it back with a comment. Only a playlist that is approved, and whose every
announcement is approved, is scheduled into the plan, played, or shown on a screen
(`PLAYABLE_SQL`, `is_playable`): the one rule every path to the street asks.
Approving a playlist approves its announcements waiting for review with it, in one
transaction, each audited: one decision for what the reviewer heard and read. By
default nobody approves content they changed themselves; `review.self_approval`
lets a one-person village do so.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from playlists.errors import NotFoundError, ReviewError
from playlists.model import Review
from playlists.record import audit
from playlists.store import Store, from_db_time, to_db_time

ANNOUNCEMENT = "announcement"
PLAYLIST = "playlist"
_TABLES = {ANNOUNCEMENT: "announcements", PLAYLIST: "playlists"}
_LABEL = {ANNOUNCEMENT: "title", PLAYLIST: "name"}
MAX_COMMENT = 500

# Whether the playlist aliased `p` may air: approved, not archived, not empty, and every
# announcement in it approved and not archived (playlists/content/archive.py).
PLAYABLE_SQL = (
    "(p.review = 'approved' AND p.archived_at IS NULL AND EXISTS (SELECT 1 FROM "
    "playlist_items pi WHERE pi.playlist_id = p.id) AND NOT EXISTS (SELECT 1 FROM "
    "playlist_items ri JOIN announcements ra ON ra.id = ri.announcement_id "
    "WHERE ri.playlist_id = p.id AND (ra.review != 'approved' OR ra.archived_at IS NOT NULL)))"
)

# Whether the playlist aliased `p` may be scheduled: approved or awaiting review, not
# archived, not empty, and every announcement in it approved or awaiting review and not
# archived. What is scheduled before its approval is held (skipped when due) until a
# reviewer approves it.
SCHEDULABLE_SQL = (
    "(p.review IN ('approved', 'pending') AND p.archived_at IS NULL AND EXISTS (SELECT 1 "
    "FROM playlist_items si WHERE si.playlist_id = p.id) AND NOT EXISTS (SELECT 1 FROM "
    "playlist_items ti JOIN announcements ta ON ta.id = ti.announcement_id "
    "WHERE ti.playlist_id = p.id AND (ta.review NOT IN ('approved', 'pending') "
    "OR ta.archived_at IS NOT NULL)))"
)

# Back to draft after a change. A reviewer's comment on content sent back stays (with
# who wrote it) while the author works on it; the next submit clears it.
MARK_DRAFT_SQL = (
    "UPDATE {table} SET review = 'draft', reviewed_at = NULL, "
    "reviewed_by = CASE WHEN review_comment != '' THEN reviewed_by END, "
    "changed_by = ?, updated_at = ? WHERE id = ?"
)


def review_columns(
    review: Review, by: str, now: dt.datetime
) -> tuple[str, str, str | None, str | None]:
    """Return review, changed_by, reviewed_by, reviewed_at for content stored as `review`."""
    approved = review is Review.APPROVED
    return review.value, by, by if approved else None, to_db_time(now) if approved else None


def set_reviewer(store: Store, playlist_id: int, reviewed_by: str) -> None:
    """Name who approved a playlist and its announcements (a town's signing key)."""
    with store.transaction() as conn:
        conn.execute(
            "UPDATE playlists SET reviewed_by = ? WHERE id = ?", (reviewed_by, playlist_id)
        )
        conn.execute(
            "UPDATE announcements SET reviewed_by = ? WHERE id IN "
            "(SELECT announcement_id FROM playlist_items WHERE playlist_id = ?)",
            (reviewed_by, playlist_id),
        )


NOT_DRAFT = "not-draft"
NOT_PENDING = "not-pending"
OWN_CHANGE = "own-change"
SUBMIT_ITEMS_FIRST = "submit-items-first"
NO_COMMENT = "no-comment"
LONG_COMMENT = "long-comment"
NOT_APPROVED = "not-approved"
EMPTY = "empty"


@dataclasses.dataclass(frozen=True)
class ReviewState:
    subject: str  # ANNOUNCEMENT or PLAYLIST
    id: int
    label: str  # the announcement's title or the playlist's name
    review: Review
    comment: str
    changed_by: str | None
    reviewed_by: str | None
    reviewed_at: dt.datetime | None
    updated_at: dt.datetime | None


def state(store: Store, subject: str, subject_id: int) -> ReviewState:
    table = _table(subject)
    row = store.query_one(
        f"SELECT id, {_LABEL[subject]} AS label, review, review_comment, changed_by, "
        f"reviewed_by, reviewed_at, updated_at FROM {table} WHERE id = ?",
        (subject_id,),
    )
    if row is None:
        raise NotFoundError(f"{subject} {subject_id} does not exist")
    return ReviewState(
        subject=subject,
        id=row["id"],
        label=row["label"],
        review=Review(row["review"]),
        comment=row["review_comment"],
        changed_by=row["changed_by"],
        reviewed_by=row["reviewed_by"],
        reviewed_at=from_db_time(row["reviewed_at"]),
        updated_at=from_db_time(row["updated_at"]),
    )


def queue(store: Store) -> list[ReviewState]:
    """Everything waiting for a reviewer, oldest first: announcements before playlists."""
    pending: list[ReviewState] = []
    for subject, table in _TABLES.items():
        ids = store.query(
            f"SELECT id FROM {table} WHERE review = 'pending' ORDER BY updated_at, id"
        )
        pending.extend(state(store, subject, row["id"]) for row in ids)
    return pending


def mark_changed(store: Store, subject: str, subject_id: int, user: str, now: dt.datetime) -> None:
    """Send changed content back to draft: what a reviewer approved is not what is there now."""
    with store.transaction() as conn:
        cursor = conn.execute(
            MARK_DRAFT_SQL.format(table=_table(subject)), (user, to_db_time(now), subject_id)
        )
        if cursor.rowcount == 0:
            raise NotFoundError(f"{subject} {subject_id} does not exist")


def submit(store: Store, subject: str, subject_id: int, user: str, now: dt.datetime) -> None:
    """Send a draft (or rejected content, once reworked) to the review queue."""
    with store.transaction():
        current = state(store, subject, subject_id)
        if current.review not in (Review.DRAFT, Review.REJECTED):
            raise ReviewError(
                f"“{current.label}” is {current.review.value}, not a draft",
                NOT_DRAFT,
                (current.label,),
            )
        if subject == PLAYLIST:
            _check_not_empty(store, current)
            _check_items_submitted(store, subject_id)
        _set(store, subject, subject_id, Review.PENDING, now, comment="", reviewer=None)
        audit.record(
            store, user, "submit", now, subject=subject, subject_id=subject_id, detail=current.label
        )


def approve(
    store: Store,
    subject: str,
    subject_id: int,
    reviewer: str,
    now: dt.datetime,
    *,
    self_approval: bool = False,
) -> list[ReviewState]:
    """Approve pending content; a playlist's pending announcements are approved with it.

    One decision, one transaction: the playlist and each of its announcements waiting
    for review are approved and audited together, or nothing is. Return the announcements
    approved along with a playlist (none for an announcement).
    """
    with store.transaction():
        current = _pending(store, subject, subject_id)
        _check_not_own(current, reviewer, self_approval)
        along: list[ReviewState] = []
        if subject == PLAYLIST:
            _check_items_submitted(store, subject_id)
            along = pending_announcements(store, subject_id)
            for notice in along:
                _check_not_own(notice, reviewer, self_approval)
        for item in [*along, current]:
            _set(store, item.subject, item.id, Review.APPROVED, now, comment="", reviewer=reviewer)
            audit.record(
                store,
                reviewer,
                "approve",
                now,
                subject=item.subject,
                subject_id=item.id,
                detail=item.label,
            )
        return along


def pending_announcements(store: Store, playlist_id: int) -> list[ReviewState]:
    """Return the playlist's announcements waiting for review, by title."""
    rows = store.query(
        "SELECT DISTINCT a.id, a.title FROM playlist_items i JOIN announcements a "
        "ON a.id = i.announcement_id WHERE i.playlist_id = ? AND a.review = 'pending' "
        "ORDER BY a.title, a.id",
        (playlist_id,),
    )
    return [state(store, ANNOUNCEMENT, row["id"]) for row in rows]


def unapproved_playlists(store: Store, announcement_id: int) -> list[ReviewState]:
    """Return the playlists holding the announcement that are not approved yet, by name."""
    rows = store.query(
        "SELECT DISTINCT p.id, p.name FROM playlist_items i JOIN playlists p "
        "ON p.id = i.playlist_id WHERE i.announcement_id = ? AND p.review != 'approved' "
        "ORDER BY p.name, p.id",
        (announcement_id,),
    )
    return [state(store, PLAYLIST, row["id"]) for row in rows]


def reject(
    store: Store, subject: str, subject_id: int, reviewer: str, comment: str, now: dt.datetime
) -> None:
    """Send content back to its author with a comment saying what to change."""
    comment = comment.strip()
    if not comment:
        raise ReviewError("say what has to change: a rejection needs a comment", NO_COMMENT)
    if len(comment) > MAX_COMMENT:
        raise ReviewError(
            f"the comment has {len(comment)} characters; at most {MAX_COMMENT}", LONG_COMMENT
        )
    with store.transaction():
        current = _pending(store, subject, subject_id)
        _set(store, subject, subject_id, Review.REJECTED, now, comment=comment, reviewer=reviewer)
        audit.record(
            store,
            reviewer,
            "reject",
            now,
            subject=subject,
            subject_id=subject_id,
            detail=f"{current.label}: {comment}",
        )


def is_playable(store: Store, playlist_id: int) -> bool:
    """Tell whether a playlist may reach a loudspeaker or a screen now (`PLAYABLE_SQL`)."""
    row = store.query_one(
        f"SELECT {PLAYABLE_SQL} AS playable FROM playlists p WHERE p.id = ?", (playlist_id,)
    )
    return row is not None and bool(row["playable"])


def playlist_unplayable(store: Store, playlist_id: int) -> str | None:
    """Say why a playlist may not air now, or None when it may."""
    if is_playable(store, playlist_id):
        return None
    current = state(store, PLAYLIST, playlist_id)
    if _archived(store, PLAYLIST, playlist_id):
        return f"playlist “{current.label}” is archived"
    if current.review is not Review.APPROVED:
        return f"playlist “{current.label}” is not approved ({current.review.value})"
    if (
        store.query_one("SELECT 1 FROM playlist_items WHERE playlist_id = ?", (playlist_id,))
        is None
    ):
        return f"playlist “{current.label}” has no items"
    waiting = _unapproved_announcements(store, playlist_id)
    if waiting:
        return "not approved: " + ", ".join(f"“{t}”" for t in waiting)
    return "archived: " + ", ".join(f"“{t}”" for t in _archived_announcements(store, playlist_id))


def announcement_unplayable(store: Store, announcement_id: int) -> str | None:
    current = state(store, ANNOUNCEMENT, announcement_id)
    if _archived(store, ANNOUNCEMENT, announcement_id):
        return f"announcement “{current.label}” is archived"
    if current.review is not Review.APPROVED:
        return f"announcement “{current.label}” is not approved ({current.review.value})"
    return None


def _check_not_own(current: ReviewState, reviewer: str, self_approval: bool) -> None:
    if current.changed_by == reviewer and not self_approval:
        raise ReviewError(
            f"“{current.label}” was last changed by {reviewer}: another reviewer approves "
            "it (or set review.self_approval in config.yaml for a one-person village)",
            OWN_CHANGE,
            (current.label,),
        )


def _check_not_empty(store: Store, current: ReviewState) -> None:
    if store.query_one("SELECT 1 FROM playlist_items WHERE playlist_id = ?", (current.id,)):
        return
    raise ReviewError(f"“{current.label}” has no items yet", EMPTY, (current.label,))


def _check_items_submitted(store: Store, playlist_id: int) -> None:
    drafts = store.query(
        "SELECT DISTINCT a.title FROM playlist_items i JOIN announcements a "
        "ON a.id = i.announcement_id WHERE i.playlist_id = ? AND a.review IN ('draft', "
        "'rejected') ORDER BY a.title",
        (playlist_id,),
    )
    if drafts:
        titles = tuple(row["title"] for row in drafts)
        raise ReviewError(
            "send its announcements for review first: " + ", ".join(f"“{t}”" for t in titles),
            SUBMIT_ITEMS_FIRST,
            titles,
        )


def _unapproved_announcements(store: Store, playlist_id: int) -> list[str]:
    rows = store.query(
        "SELECT DISTINCT a.title FROM playlist_items i JOIN announcements a "
        "ON a.id = i.announcement_id WHERE i.playlist_id = ? AND a.review != 'approved' "
        "ORDER BY a.title",
        (playlist_id,),
    )
    return [row["title"] for row in rows]


def _archived(store: Store, subject: str, subject_id: int) -> bool:
    row = store.query_one(f"SELECT archived_at FROM {_TABLES[subject]} WHERE id = ?", (subject_id,))
    return row is not None and row["archived_at"] is not None


def _archived_announcements(store: Store, playlist_id: int) -> list[str]:
    rows = store.query(
        "SELECT DISTINCT a.title FROM playlist_items i JOIN announcements a "
        "ON a.id = i.announcement_id WHERE i.playlist_id = ? AND a.archived_at IS NOT NULL "
        "ORDER BY a.title",
        (playlist_id,),
    )
    return [row["title"] for row in rows]


def _pending(store: Store, subject: str, subject_id: int) -> ReviewState:
    current = state(store, subject, subject_id)
    if current.review is not Review.PENDING:
        raise ReviewError(
            f"“{current.label}” is {current.review.value}, not waiting for review",
            NOT_PENDING,
            (current.label,),
        )
    return current


def _set(
    store: Store,
    subject: str,
    subject_id: int,
    review: Review,
    now: dt.datetime,
    *,
    comment: str,
    reviewer: str | None,
) -> None:
    # updated_at is left alone: it dates the content, not the review.
    with store.transaction() as conn:
        conn.execute(
            f"UPDATE {_table(subject)} SET review = ?, review_comment = ?, reviewed_by = ?, "
            "reviewed_at = ? WHERE id = ?",
            (
                review.value,
                comment,
                reviewer,
                to_db_time(now) if reviewer else None,
                subject_id,
            ),
        )


def _table(subject: str) -> str:
    try:
        return _TABLES[subject]
    except KeyError:
        raise ValueError(f"no review for {subject!r}") from None
