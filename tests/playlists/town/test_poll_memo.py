"""A poll's reads kept per server thread until anything is committed (playlists/town/poll_memo.py).

Every change is made three ways: on the connection the memo reads through, from
another thread of the same process (the panel's other server threads), and through
another connection to the file (what `villagecast` in another process has).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
from collections.abc import Callable, Iterator

import pytest

from playlists.model import Priority
from playlists.schedule import entry_table
from playlists.settings import Settings
from playlists.store import Store
from playlists.town import sharing, villages
from playlists.town.poll_memo import PollMemo
from tests.playlists.town.test_villages import HEARTBEAT
from tests.web_fixtures import NOW, add_pause_playlist

DAY = dt.date(2023, 3, 28)


@dataclasses.dataclass
class Town:
    """A town with one shared playlist, one unshared, and two villages."""

    store: Store
    settings: Settings
    shared: int
    unshared: int
    east: str  # the device tokens of 东村 and 西村
    west: str


@pytest.fixture
def town(store: Store, settings: Settings) -> Town:
    shared = add_pause_playlist(store, "共享节目")
    sharing.share(store, settings, shared, "chief", NOW)
    unshared = add_pause_playlist(store, "本镇节目")
    east = villages.add_village(store, "东村", "cli:town", NOW)
    west = villages.add_village(store, "西村", "cli:town", NOW)
    return Town(store, settings, shared, unshared, east, west)


@pytest.fixture
def other(settings: Settings) -> Iterator[Store]:
    """The same database through another connection, as another process opens it."""
    opened = Store.open(settings.db_path)
    yield opened
    opened.close()


def statements_of(store: Store, action: Callable[[], object]) -> list[str]:
    """Run an action; return the SQL statements it ran on this thread's connection."""
    statements: list[str] = []
    store.conn.set_trace_callback(statements.append)
    try:
        action()
    finally:
        store.conn.set_trace_callback(None)
    return statements


def answers(memo: PollMemo, town: Town) -> tuple[object, object, str]:
    snapshot = memo.snapshot()
    return snapshot.device(town.east), snapshot.device(town.west), snapshot.revision()


def test_an_unchanged_store_is_answered_without_reading_it(town: Town) -> None:
    memo = PollMemo(town.store, town.settings)
    answers(memo, town)  # brings the feed up to date: a write, which empties the memo
    first = answers(memo, town)
    assert first[:2] == (villages.Device(1, "东村"), villages.Device(2, "西村"))
    assert first[2] == sharing.current_revision(town.store, town.settings)
    statements = statements_of(town.store, lambda: answers(memo, town))
    assert statements == ["PRAGMA data_version"]


@pytest.mark.parametrize(
    "secret",
    [
        pytest.param("vcd_" + "A" * 43, id="unknown-device-token"),
        pytest.param("vca_" + "A" * 43, id="an-API-token"),
        pytest.param("", id="empty"),
    ],
)
def test_a_wrong_token_is_refused_every_time_and_only_found_ones_are_kept(
    town: Town, secret: str
) -> None:
    memo = PollMemo(town.store, town.settings)
    snapshot = memo.snapshot()
    assert [snapshot.device(secret) for _ in range(3)] == [None] * 3
    looked_up = statements_of(town.store, lambda: memo.snapshot().device(secret))
    # A device token's form is looked up in the store each time; nothing else is read.
    lookups = [s for s in looked_up if "FROM villages" in s]
    assert len(lookups) == (1 if secret.startswith("vcd_") else 0)


def _remove_east(store: Store, town: Town) -> None:
    villages.remove_village(store, "东村", "cli:town", NOW)


def _share_another(store: Store, town: Town) -> None:
    sharing.share(store, town.settings, town.unshared, "chief", NOW)


def _unshare(store: Store, town: Town) -> None:
    sharing.unshare(store, town.settings, town.shared, "chief", NOW)


def _reschedule_shared(store: Store, town: Town) -> None:
    entry_table.add_schedule(
        store, town.shared, DAY, DAY, (dt.time(9),), frozenset(range(7)), Priority.SCHEDULED, NOW
    )


def _heartbeat(store: Store, town: Town) -> None:
    villages.record_heartbeat(store, 1, HEARTBEAT, NOW)


# What a change does to the answers: the removed village refused, a new feed revision,
# or nothing a poll sees.
CHANGES = [
    pytest.param(_remove_east, "east-refused", id="village-removed"),
    pytest.param(_share_another, "new-revision", id="playlist-shared"),
    pytest.param(_unshare, "new-revision", id="playlist-unshared"),
    pytest.param(_reschedule_shared, "new-revision", id="shared-playlist-rescheduled"),
    pytest.param(_heartbeat, "nothing", id="heartbeat"),
]


def _here(town: Town, other: Store, change: Callable[[Store, Town], None]) -> None:
    change(town.store, town)


def _another_thread(town: Town, other: Store, change: Callable[[Store, Town], None]) -> None:
    failed: list[BaseException] = []

    def run() -> None:
        try:
            change(town.store, town)
        except BaseException as exc:  # shown by the test, not lost in the thread
            failed.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    assert not failed


def _another_process(town: Town, other: Store, change: Callable[[Store, Town], None]) -> None:
    change(other, town)


WRITERS = [
    pytest.param(_here, id="same-connection"),
    pytest.param(_another_thread, id="another-thread"),
    pytest.param(_another_process, id="another-connection"),
]


@pytest.mark.parametrize("writer", WRITERS)
@pytest.mark.parametrize(("change", "effect"), CHANGES)
def test_after_any_commit_the_memo_answers_what_the_store_says(
    town: Town,
    other: Store,
    writer: Callable[[Town, Store, Callable[[Store, Town], None]], None],
    change: Callable[[Store, Town], None],
    effect: str,
) -> None:
    memo = PollMemo(town.store, town.settings)
    answers(memo, town)
    before = answers(memo, town)  # answered from the memo
    writer(town, other, change)
    after = answers(memo, town)
    fresh = Store.open(town.settings.db_path)
    try:
        expected = (
            villages.verify(fresh, town.east),
            villages.verify(fresh, town.west),
            sharing.current_revision(fresh, town.settings),
        )
    finally:
        fresh.close()
    assert after == expected
    east, west, revision = before
    assert (
        after
        == {
            "east-refused": (None, west, revision),
            "new-revision": (east, west, after[2]),
            "nothing": before,
        }[effect]
    )
    assert (after[2] != revision) == (effect == "new-revision")


def test_a_store_closed_and_opened_again_is_read_afresh(town: Town, other: Store) -> None:
    reader = Store.open(town.settings.db_path)  # a connection that has written nothing
    try:
        memo = PollMemo(reader, town.settings)
        assert memo.snapshot().device(town.east) == villages.Device(1, "东村")
        # Its next connection counts its versions from its own start, as the first did.
        reader.close()
        _remove_east(other, town)
        assert memo.snapshot().device(town.east) is None
    finally:
        reader.close()
