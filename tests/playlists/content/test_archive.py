"""Archiving (归档): refused while scheduled, audited, off the air and off the lists, restorable."""

from __future__ import annotations

import datetime as dt

import pytest

from playlists.content import announcement_table, archive, editing, playlist_table, review
from playlists.content.review import ANNOUNCEMENT, PLAYLIST
from playlists.errors import ArchiveError, ContentError, NotFoundError
from playlists.model import ItemKind, Priority, Review
from playlists.plan import station_plan
from playlists.record import audit
from playlists.schedule import entry_table
from playlists.settings import Settings
from playlists.store import Store
from tests.web_fixtures import add_fake_announcement

NOW = dt.datetime(2023, 3, 27, 9, 0, tzinfo=dt.UTC)
FIRST, LAST = dt.date(2023, 3, 28), dt.date(2023, 4, 7)


def approved_playlist(store: Store, name: str = "宣传", announcement: int | None = None) -> int:
    """An approved playlist holding the announcement (or a pause)."""
    playlist_id = editing.create_playlist(store, name, "", "op", NOW)
    if announcement is None:
        editing.add_item(store, playlist_id, ItemKind.PAUSE, "op", NOW, seconds=3.0)
    else:
        editing.add_item(
            store, playlist_id, ItemKind.ANNOUNCEMENT, "op", NOW, announcement_id=announcement
        )
    store.conn.execute("UPDATE playlists SET review = 'approved' WHERE id = ?", (playlist_id,))
    return playlist_id


def schedule(store: Store, playlist_id: int) -> int:
    return entry_table.add_schedule(
        store, playlist_id, FIRST, LAST, (dt.time(7, 30),), frozenset(range(7)),
        Priority.SCHEDULED, NOW,
    )  # fmt: skip


def archived_names(store: Store) -> tuple[list[str], list[str]]:
    titles = [a.title for a in announcement_table.list_announcements(store, archived=True)]
    names = [row["name"] for row in playlist_table.list_playlists(store, archived=True)]
    return titles, names


def test_archive_hides_audits_and_restore_brings_back(store: Store) -> None:
    notice = add_fake_announcement(store, "停水")
    playlist_id = approved_playlist(store, "宣传")
    assert archive.archive(store, ANNOUNCEMENT, notice, "op", NOW)
    assert archive.archive(store, PLAYLIST, playlist_id, "op", NOW)

    assert archived_names(store) == (["停水"], ["宣传"])
    assert announcement_table.list_announcements(store, archived=False) == []
    assert playlist_table.list_playlists(store, archived=False) == []
    assert len(announcement_table.list_announcements(store)) == 1  # kept, with its speech
    actions = [(r.action, r.subject, r.detail) for r in audit.rows(store)]
    assert ("archive", "announcement", "停水") in actions
    assert ("archive", "playlist", "宣传") in actions

    assert archive.restore(store, PLAYLIST, playlist_id, "op", NOW)
    assert archive.restore(store, ANNOUNCEMENT, notice, "op", NOW)
    assert archived_names(store) == ([], [])
    assert ("restore", "playlist", "宣传") in [
        (r.action, r.subject, r.detail) for r in audit.rows(store)
    ]
    assert review.is_playable(store, playlist_id)


@pytest.mark.parametrize(
    ("action", "archived_first"),
    [(archive.archive, True), (archive.restore, False)],
    ids=["archive-twice", "restore-not-archived"],
)
def test_repeating_a_step_changes_nothing(
    store: Store, action: object, archived_first: bool
) -> None:
    playlist_id = approved_playlist(store)
    if archived_first:
        archive.archive(store, PLAYLIST, playlist_id, "op", NOW)
    before = audit.count(store)
    assert action(store, PLAYLIST, playlist_id, "op", NOW) is False  # type: ignore[operator]
    assert audit.count(store) == before


@pytest.mark.parametrize("subject", [ANNOUNCEMENT, PLAYLIST], ids=["announcement", "playlist"])
def test_archiving_is_refused_while_scheduled_naming_the_entries(
    store: Store, subject: str
) -> None:
    notice = add_fake_announcement(store, "停水")
    playlist_id = approved_playlist(store, "宣传", announcement=notice)
    entry = schedule(store, playlist_id)
    before = audit.count(store)

    with pytest.raises(ArchiveError) as caught:
        archive.archive(
            store, subject, notice if subject == ANNOUNCEMENT else playlist_id, "op", NOW
        )

    assert caught.value.code == archive.SCHEDULED
    (use,) = caught.value.uses
    assert isinstance(use, archive.ScheduledUse)
    assert (use.playlist, use.entry.id, use.entry.start, use.entry.end) == (
        "宣传",
        entry,
        FIRST,
        LAST,
    )
    assert archived_names(store) == ([], []) and audit.count(store) == before


def test_archived_playlist_never_plays_nor_is_scheduled(store: Store, settings: Settings) -> None:
    playlist_id = approved_playlist(store)
    entry = schedule(store, playlist_id)
    start = dt.datetime(2023, 3, 28, tzinfo=dt.UTC)
    assert station_plan(store, settings, start, start + dt.timedelta(days=1))
    entry_table.delete_schedule(store, entry)
    archive.archive(store, PLAYLIST, playlist_id, "op", NOW)

    assert not review.is_playable(store, playlist_id)
    assert review.playlist_unplayable(store, playlist_id) == "playlist “宣传” is archived"
    with pytest.raises(ArchiveError) as caught:
        schedule(store, playlist_id)
    assert caught.value.code == archive.ARCHIVED and caught.value.names == ("宣传",)
    assert station_plan(store, settings, start, start + dt.timedelta(days=1)) == []


def test_playlist_holding_an_archived_announcement_does_not_play(store: Store) -> None:
    notice = add_fake_announcement(store, "停水")
    playlist_id = approved_playlist(store, "宣传", announcement=notice)
    assert review.is_playable(store, playlist_id)
    archive.archive(store, ANNOUNCEMENT, notice, "op", NOW)
    assert review.playlist_unplayable(store, playlist_id) == "archived: “停水”"
    assert review.announcement_unplayable(store, notice) == "announcement “停水” is archived"
    with pytest.raises(ContentError, match="approved"):
        schedule(store, playlist_id)  # not playable: the approval check refuses it


@pytest.mark.parametrize("archived", [ANNOUNCEMENT, PLAYLIST], ids=["announcement", "playlist"])
def test_archived_content_is_not_added_to_a_playlist(store: Store, archived: str) -> None:
    notice = add_fake_announcement(store, "停水", review=Review.APPROVED)
    playlist_id = editing.create_playlist(store, "宣传", "", "op", NOW)
    archive.archive(store, archived, notice if archived == ANNOUNCEMENT else playlist_id, "op", NOW)
    with pytest.raises(ArchiveError) as caught:
        editing.add_item(
            store, playlist_id, ItemKind.ANNOUNCEMENT, "op", NOW, announcement_id=notice
        )
    assert caught.value.code == archive.ARCHIVED
    assert store.query("SELECT * FROM playlist_items") == []


def test_unknown_content_is_not_found(store: Store) -> None:
    with pytest.raises(NotFoundError):
        archive.archive(store, PLAYLIST, 99, "op", NOW)
    with pytest.raises(NotFoundError):
        archive.restore(store, ANNOUNCEMENT, 99, "op", NOW)
