"""What town and village share: the feed written by one and read back by the other, the keys."""

from __future__ import annotations

from typing import Any

import pytest

from playlists.errors import TownAnswerError
from playlists.settings import Settings
from playlists.store import Store, to_db_time
from playlists.sync.client import heartbeat
from playlists.sync.outbox import pending
from playlists.sync.wire import ASRUN_FIELDS, HEARTBEAT_FIELDS, Feed, FeedEntry
from playlists.town.sharing import SharedFeed, SharedPlaylist
from tests.web_fixtures import NOW

VERSION = "a" * 64


def test_what_the_town_lists_the_village_reads_back() -> None:
    kept = SharedFeed(
        "r1",
        (
            SharedPlaylist(3, "社会工作宣传", VERSION, "key-3", {"b" * 64: "media/jingle.mp3"}),
            SharedPlaylist(5, "防诈骗", "c" * 64, "key-5", {}),
        ),
        {7: "no bundle could be made"},
    )
    body = kept.listing()
    assert body == {
        "revision": "r1",
        "playlists": [
            {"id": 3, "name": "社会工作宣传", "version": VERSION},
            {"id": 5, "name": "防诈骗", "version": "c" * 64},
        ],
    }
    assert Feed.from_json(body, "r1") == Feed(
        "r1", (FeedEntry(3, "社会工作宣传", VERSION), FeedEntry(5, "防诈骗", "c" * 64))
    )


def test_the_revision_read_is_the_etag_given() -> None:
    assert Feed.from_json({"playlists": []}, "").revision == ""
    assert Feed.from_json({"revision": "body", "playlists": []}, "etag").revision == "etag"


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({}, "'playlists' must be a list"),
        ({"playlists": {"id": 1}}, "'playlists' must be a list"),
        ({"playlists": [[1, "x", VERSION]]}, "every playlist must be an object"),
        ({"playlists": [{"id": "1", "name": "x", "version": VERSION}]}, "'id' must be a whole"),
        ({"playlists": [{"id": True, "name": "x", "version": VERSION}]}, "'id' must be a whole"),
        ({"playlists": [{"id": 1.0, "name": "x", "version": VERSION}]}, "'id' must be a whole"),
        ({"playlists": [{"id": 1, "version": VERSION}]}, "playlist 1 needs a 'name'"),
        ({"playlists": [{"id": 1, "name": "x", "version": ""}]}, "playlist 1 needs a 'name'"),
        ({"playlists": [{"id": 1, "name": "x", "version": 7}]}, "playlist 1 needs a 'name'"),
    ],
    ids=[
        "no-listing",
        "listing-not-a-list",
        "entry-not-an-object",
        "id-as-text",
        "id-as-boolean",
        "id-as-float",
        "no-name",
        "empty-version",
        "version-not-text",
    ],
)
def test_a_feed_the_village_cannot_use_is_refused(document: dict[str, Any], message: str) -> None:
    with pytest.raises(TownAnswerError, match=message):
        Feed.from_json(document, "r1")


def test_the_village_sends_the_heartbeat_and_rows_the_town_checks(
    store: Store, settings: Settings
) -> None:
    assert heartbeat(store, settings, NOW).keys() == HEARTBEAT_FIELDS
    with store.transaction() as conn:
        conn.execute(
            "INSERT INTO as_run (occurrence, playlist_name, priority, scheduled_at, status) "
            "VALUES ('3@2023-03-28T04:00:00Z', '社会工作宣传', 'scheduled', ?, 'played')",
            (to_db_time(NOW),),
        )
    [row] = pending(store, settings.tz)
    assert list(row) == list(ASRUN_FIELDS)
