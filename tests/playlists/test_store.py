"""The SQLite store: schema version, WAL, atomic transactions, plan revision, commands."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest

from playlists.content import announcement_table, playlist_table
from playlists.errors import StoreVersionError
from playlists.model import ItemKind, Priority, Review
from playlists.schedule import entry_table
from playlists.store import SCHEMA_VERSION, Store

NOW = dt.datetime(2023, 3, 27, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def db(tmp_path: Path) -> Store:
    return Store.open(tmp_path / "data" / "villagecast.db")


def test_new_store_is_migrated_in_wal_mode(db: Store) -> None:
    assert db.schema_version() == SCHEMA_VERSION
    assert db.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.integrity_ok()


def test_reopening_does_not_migrate_again(db: Store) -> None:
    db.add_command("stop", "{}", "tester", NOW)
    again = Store.open(db.path)
    assert again.schema_version() == SCHEMA_VERSION
    assert len(again.take_commands(NOW)) == 1


def test_newer_schema_is_refused(db: Store) -> None:
    db.conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(StoreVersionError, match="upgrade villagecast"):
        Store.open(db.path)


def test_failed_transaction_changes_nothing(db: Store) -> None:
    with pytest.raises(sqlite3.IntegrityError), db.transaction() as conn:
        conn.execute("INSERT INTO meta (key, value) VALUES ('x', '1')")
        conn.execute("INSERT INTO meta (key, value) VALUES ('x', '2')")
    assert db.query_one("SELECT * FROM meta WHERE key = 'x'") is None


def test_plan_changes_bump_the_revision(db: Store) -> None:
    before = db.plan_revision()
    playlist = playlist_table.add_playlist(
        db,
        "p",
        "",
        [playlist_table.NewItem(ItemKind.PAUSE, 2.0)],
        NOW,
        review=Review.APPROVED,
        created_by="test",
    )
    after_playlist = db.plan_revision()
    entry_table.add_schedule(
        db,
        playlist,
        dt.date(2023, 3, 28),
        dt.date(2023, 3, 28),
        (dt.time(8),),
        frozenset(range(7)),
        Priority.SCHEDULED,
        NOW,
    )
    assert before < after_playlist < db.plan_revision()
    revision = db.plan_revision()
    db.set_status({"heartbeat": NOW.isoformat()}, NOW)
    db.add_command("stop", "{}", "tester", NOW)
    assert db.plan_revision() == revision, "status and commands are not plan changes"


def test_commands_are_taken_once(db: Store) -> None:
    first = db.add_command("play", '{"playlist_id": 1}', "王五", NOW)
    db.add_command("stop", "{}", "王五", NOW)
    taken = db.take_commands(NOW)
    assert [(c["id"], c["kind"]) for c in taken] == [(first, "play"), (first + 1, "stop")]
    assert taken[0]["payload"] == '{"playlist_id": 1}'  # as stored: the contract reads it
    assert db.take_commands(NOW) == []
    db.finish_command(first, '{"outcome": "done"}')
    row = db.command(first)
    assert (
        row is not None and row["result"] == '{"outcome": "done"}' and row["created_by"] == "王五"
    )


@pytest.mark.parametrize(
    ("level", "durable", "during", "after"),
    [
        pytest.param(2, True, 2, 2, id="durable-waits-for-the-disk"),
        pytest.param(2, False, 1, 2, id="unsynced-then-full-again"),
        pytest.param(0, False, 0, 0, id="scratch-copy-stays-off"),
    ],
)
def test_an_unsynced_transaction_commits_and_then_syncs_as_before(
    db: Store, level: int, durable: bool, during: int, after: int
) -> None:
    db.conn.execute(f"PRAGMA synchronous = {level}")
    with db.transaction(durable) as conn:
        conn.execute("INSERT INTO meta (key, value) VALUES ('k', 'v')")
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == during
    assert db.conn.execute("PRAGMA synchronous").fetchone()[0] == after
    other = Store(db.path)  # another connection: it sees only what was committed
    assert other.meta("k") == "v"
    other.close()


def test_a_failed_unsynced_transaction_changes_nothing_and_syncs_again(db: Store) -> None:
    with pytest.raises(sqlite3.IntegrityError), db.transaction(durable=False) as conn:
        conn.execute("INSERT INTO meta (key, value) VALUES ('k', 'v')")
        conn.execute("INSERT INTO meta (key, value) VALUES ('k', 'again')")
    assert db.meta("k") is None
    assert db.conn.execute("PRAGMA synchronous").fetchone()[0] == 2


def test_commands_taken_unsynced_are_taken_once_for_every_connection(db: Store) -> None:
    db.add_command("stop", "{}", "王五", NOW)
    assert len(db.take_commands(NOW, durable=False)) == 1
    other = Store(db.path)
    assert other.take_commands(NOW) == []
    other.close()


def test_status_round_trips_json(db: Store) -> None:
    db.set_status({"now_playing": {"name": "五社联动"}, "clock": {"synchronized": None}}, NOW)
    db.set_status({"now_playing": None}, NOW)
    assert db.status() == {"now_playing": None, "clock": {"synchronized": None}}


def test_naive_times_are_refused(db: Store) -> None:
    with pytest.raises(ValueError, match="aware"):
        db.add_command("stop", "{}", "x", dt.datetime(2023, 3, 28))


def test_screen_state_sequence_moves_only_on_change(db: Store) -> None:
    assert db.screen_state("led-bar") is None
    state = {"mode": "idle", "slides": [{"title": "五社联动"}]}
    assert db.set_screen_state("led-bar", state, NOW) == 1
    assert db.set_screen_state("led-bar", dict(state), NOW) == 1
    assert db.set_screen_state("led-bar", {"mode": "broadcast", "slides": []}, NOW) == 2
    assert db.screen_state("led-bar") == (2, {"mode": "broadcast", "slides": []})
    assert db.screen_state("tv") is None


def test_connections_of_finished_threads_are_closed(db: Store) -> None:
    import threading

    def write(n: int) -> None:
        db.set_status({"n": n}, NOW)

    for n in range(50):  # like the sink's watcher thread, one per clip
        thread = threading.Thread(target=write, args=(n,))
        thread.start()
        thread.join()
    db.set_status({"n": "main"}, NOW)
    assert db.open_connections <= 2
    assert db.status()["n"] == "main"


def test_content_that_aired_before_review_existed_stays_approved(tmp_path: Path) -> None:
    from playlists.schema import MIGRATIONS

    T = "2023-03-01T00:00:00.000+00:00"
    path = tmp_path / "old.db"
    old = sqlite3.connect(path)
    old.executescript(MIGRATIONS[0] + "PRAGMA user_version = 1;")
    old.execute(
        "INSERT INTO media VALUES ('ab', 'audio', 'a.wav', 1.0, 10, 'espeak-ng', 'v', ?)", (T,)
    )
    old.execute("INSERT INTO announcements VALUES (1, 't', 'x', 'ab', 'op', ?, ?)", (T, T))
    old.execute("INSERT INTO users VALUES (1, 'op', 'h', 'operator', 0, ?)", (T,))
    old.commit()
    old.close()
    upgraded = Store.open(path)
    assert upgraded.schema_version() == len(MIGRATIONS)
    assert announcement_table.get_announcement(upgraded, 1).review is Review.APPROVED
    # Operators could send emergencies before the right existed; they keep it.
    assert upgraded.query_one("SELECT may_emergency FROM users")["may_emergency"] == 1  # type: ignore[index]
    upgraded.close()


def test_upgrade_gives_users_a_session_version_and_drops_disabled_users_tokens(
    tmp_path: Path,
) -> None:
    from playlists.schema import MIGRATIONS

    T = "2023-03-01T00:00:00.000+00:00"
    path = tmp_path / "v3.db"
    old = sqlite3.connect(path)
    old.executescript("".join(MIGRATIONS[:3]) + "PRAGMA user_version = 3;")
    old.execute(
        "INSERT INTO users (id, username, password_hash, role, created_at, disabled) "
        "VALUES (1, 'op', 'h', 'operator', ?, 0), (2, 'gone', 'h', 'operator', ?, 1)",
        (T, T),
    )
    old.execute(
        "INSERT INTO api_tokens (user_id, name, token_hash, created_at) "
        "VALUES (1, 'kept', 'a', ?), (2, 'dead', 'b', ?)",
        (T, T),
    )
    old.commit()
    old.close()
    upgraded = Store.open(path)
    assert [row["name"] for row in upgraded.query("SELECT name FROM api_tokens")] == ["kept"]
    versions = upgraded.query("SELECT session_version FROM users ORDER BY id")
    assert [row["session_version"] for row in versions] == [1, 1]
    upgraded.close()
