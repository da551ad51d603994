"""The playlists table's one writer: whole playlists, and single changes in a transaction."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from playlists.content import playlist_table
from playlists.content.playlist_table import NewItem
from playlists.errors import ContentError
from playlists.model import ItemKind, Priority, Review, Slide
from playlists.schedule import entry_table
from playlists.store import Store
from tests.web_fixtures import NOW

PAUSES = [NewItem(ItemKind.PAUSE, seconds, slide=Slide(f"第{n}项")) for n, seconds in
          enumerate((1.0, 2.0, 3.0), 1)]  # fmt: skip


def stored(store: Store, name: str = "宣传", items: list[NewItem] = PAUSES) -> int:
    return playlist_table.add_playlist(
        store, name, "", items, NOW, review=Review.APPROVED, created_by="op"
    )


def titles(store: Store, playlist_id: int) -> list[str]:
    playlist = playlist_table.get_playlist(store, playlist_id, Path("media"))
    return [item.slide.title for item in playlist.items]


@pytest.mark.parametrize(
    ("items", "name", "message"),
    [
        pytest.param([], "新的", "at least one item", id="no-items"),
        pytest.param(PAUSES, "宣传", "already exists", id="name-taken"),
    ],
)
def test_a_whole_playlist_is_refused_whole(
    store: Store, items: list[NewItem], name: str, message: str
) -> None:
    stored(store)
    with pytest.raises(ContentError, match=message):
        stored(store, name, items)
    assert [row["name"] for row in playlist_table.list_playlists(store)] == ["宣传"]


def test_replacing_keeps_the_id_and_the_schedule(store: Store) -> None:
    playlist_id = stored(store)
    day = dt.date(2023, 3, 28)
    entry_table.add_schedule(
        store, playlist_id, day, day, (dt.time(8),), frozenset(range(7)), Priority.SCHEDULED, NOW
    )
    playlist_table.replace_playlist(
        store, playlist_id, "宣传二", "", PAUSES[:1], NOW, review=Review.DRAFT, created_by="sync"
    )
    assert titles(store, playlist_id) == ["第1项"]
    [entry] = entry_table.schedule_entries(store)
    assert (entry.playlist_id, entry.playlist_name) == (playlist_id, "宣传二")
    assert not entry.approved  # the new version waits for review


@pytest.mark.parametrize(
    ("order", "expected"),
    [
        pytest.param([2, 1, 3], ["第2项", "第1项", "第3项"], id="swap-first-two"),
        pytest.param([3, 2, 1], ["第3项", "第2项", "第1项"], id="reverse"),
        pytest.param([1, 2, 3], ["第1项", "第2项", "第3项"], id="unchanged"),
    ],
)
def test_renumber_puts_items_in_the_order_given(
    store: Store, order: list[int], expected: list[str]
) -> None:
    playlist_id = stored(store)
    ids = [row["id"] for row in store.query("SELECT id FROM playlist_items ORDER BY position")]
    with store.transaction() as conn:
        playlist_table.renumber(conn, playlist_id, [ids[n - 1] for n in order])
    assert titles(store, playlist_id) == expected


def test_single_changes_write_only_what_they_name(store: Store) -> None:
    playlist_id, other = stored(store), stored(store, "另一个")
    with store.transaction() as conn:
        playlist_table.set_shared(conn, playlist_id, True)
        playlist_table.set_origin(conn, other, "town:7", "v3")
        item = playlist_table.append_item(conn, playlist_id, 4, NewItem(ItemKind.PAUSE, 4.0))
        playlist_table.set_item(conn, item, 2, Slide("第4项"), 5.0)
    rows = {row["id"]: row for row in store.query("SELECT * FROM playlists")}
    assert (rows[playlist_id]["shared"], rows[playlist_id]["origin"]) == (1, None)
    assert (rows[other]["shared"], rows[other]["origin"], rows[other]["origin_version"]) == (
        0, "town:7", "v3",
    )  # fmt: skip
    assert titles(store, playlist_id)[-1] == "第4项"
    with store.transaction() as conn:
        playlist_table.delete_playlist(conn, playlist_id)
    assert [row["name"] for row in playlist_table.list_playlists(store)] == ["另一个"]
    assert store.query("SELECT * FROM playlist_items WHERE playlist_id = ?", (playlist_id,)) == []
