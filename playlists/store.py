"""The SQLite store shared by the panel and the player (WAL mode, one connection per thread).

The two processes talk only through it: the panel writes content and commands,
the player writes status and the as-run log. Every change is one transaction,
so a power cut leaves the old state or the new one.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from playlists.errors import StoreError, StoreVersionError
from playlists.schema import MIGRATIONS

SCHEMA_VERSION = len(MIGRATIONS)
PRIVATE_UMASK = 0o077  # files rw-------, folders rwx------
SYNC_NORMAL = 1  # PRAGMA synchronous: in WAL mode, commit without waiting for the disk


def to_db_time(value: dt.datetime) -> str:
    """Store an aware instant as fixed-width UTC text that sorts in time order."""
    if value.tzinfo is None:
        raise ValueError("the store keeps aware datetimes only")
    return value.astimezone(dt.UTC).isoformat(timespec="milliseconds")


def from_db_time(value: str | None) -> dt.datetime | None:
    return None if value is None else dt.datetime.fromisoformat(value)


class Store:
    """A handle on the database file; each thread gets its own connection."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        self._connections: dict[threading.Thread, sqlite3.Connection] = {}
        self._lock = threading.Lock()

    @classmethod
    def open(cls, path: Path) -> Store:
        """Open (creating if needed) a store and bring its schema up to date."""
        try:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            _make_private(path)
            store = cls(path)
            store.migrate()
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(
                f"cannot open the database {path}: {exc}; check that the data folder is "
                "writable and the disk is not full"
            ) from None
        return store

    @property
    def conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(
                self.path, timeout=10, isolation_level=None, check_same_thread=False
            )
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = FULL")
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA busy_timeout = 10000")
            self._local.conn = conn
            with self._lock:
                # Threads come and go (a sink watcher per clip): close what dead ones opened,
                # or a daemon running for weeks would collect connections and file handles.
                for thread in [t for t in self._connections if not t.is_alive()]:
                    self._connections.pop(thread).close()
                self._connections[threading.current_thread()] = conn
        return conn

    @property
    def open_connections(self) -> int:
        with self._lock:
            return len(self._connections)

    def close(self) -> None:
        with self._lock:
            for conn in self._connections.values():
                conn.close()
            self._connections.clear()
        self._local = threading.local()

    @contextlib.contextmanager
    def transaction(self, durable: bool = True) -> Iterator[sqlite3.Connection]:
        """Run a block as one write transaction, rolled back whole on any error.

        durable=False commits without waiting for the disk (synchronous = NORMAL, for this
        transaction only): still all or nothing, and kept if the process dies, but a power
        cut may take it back until the next durable commit, which carries it to the disk.
        """
        conn = self.conn
        if conn.in_transaction:  # nested: the outer transaction commits
            yield conn
            return
        with contextlib.nullcontext() if durable else _unsynced(conn):
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def query(self, sql: str, params: Any = ()) -> list[sqlite3.Row]:
        return self.conn.execute(sql, params).fetchall()

    def query_one(self, sql: str, params: Any = ()) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self.conn.execute(sql, params).fetchone()
        return row

    def migrate(self) -> None:
        """Apply the migrations this database has not seen, each in its own transaction."""
        version = self.schema_version()
        if version > SCHEMA_VERSION:
            raise StoreVersionError(
                f"{self.path} has schema version {version}, newer than this villagecast "
                f"({SCHEMA_VERSION}); upgrade villagecast"
            )
        for number, script in enumerate(MIGRATIONS[version:], version + 1):
            with self.transaction() as conn:
                for statement in _statements(script):
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {number}")

    def schema_version(self) -> int:
        row = self.conn.execute("PRAGMA user_version").fetchone()
        return int(row[0])

    def integrity_ok(self) -> bool:
        return bool(self.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok")

    # -- meta and status -------------------------------------------------------------

    def plan_revision(self) -> int:
        row = self.query_one("SELECT value FROM meta WHERE key = 'plan_revision'")
        return int(row["value"]) if row else 0

    def meta(self, key: str) -> str | None:
        row = self.query_one("SELECT value FROM meta WHERE key = ?", (key,))
        return None if row is None else str(row["value"])

    def set_meta(self, key: str, value: str) -> None:
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    def set_status(self, values: dict[str, Any], now: dt.datetime) -> None:
        """Record the player's status values (JSON-encoded) in one transaction."""
        stamp = to_db_time(now)
        with self.transaction() as conn:
            conn.executemany(
                "INSERT INTO player_status (key, value, updated_at) VALUES (?, ?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value, "
                "updated_at = excluded.updated_at",
                [(k, json.dumps(v, ensure_ascii=False), stamp) for k, v in values.items()],
            )

    def status(self) -> dict[str, Any]:
        return {
            row["key"]: json.loads(row["value"])
            for row in self.query("SELECT key, value FROM player_status")
        }

    # -- what each screen shows -------------------------------------------------------

    def set_screen_state(self, screen: str, state: dict[str, Any], now: dt.datetime) -> int:
        """Publish what a screen shows; return its new sequence number."""
        text = json.dumps(state, ensure_ascii=False, sort_keys=True)
        with self.transaction() as conn:
            row = conn.execute(
                "SELECT seq, state FROM screen_state WHERE screen = ?", (screen,)
            ).fetchone()
            if row is not None and row["state"] == text:
                return int(row["seq"])  # unchanged: browsers keep their cached copy
            seq = (int(row["seq"]) if row else 0) + 1
            conn.execute(
                "INSERT INTO screen_state (screen, seq, state, updated_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (screen) DO UPDATE SET seq = excluded.seq, state = excluded.state, "
                "updated_at = excluded.updated_at",
                (screen, seq, text, to_db_time(now)),
            )
        return seq

    def screen_state(self, screen: str) -> tuple[int, dict[str, Any]] | None:
        """Return (sequence number, state) of a screen, or None before the player set it."""
        row = self.query_one("SELECT seq, state FROM screen_state WHERE screen = ?", (screen,))
        return None if row is None else (int(row["seq"]), json.loads(row["state"]))

    def on_screens(self, sha256: str) -> bool:
        """Tell whether a picture is part of what some screen shows now (still or scroll)."""
        for row in self.query("SELECT state FROM screen_state"):
            slides = json.loads(row["state"]).get("slides") or []
            if any(sha256 in (s.get("image"), s.get("scroll")) for s in slides):
                return True
        return False

    # -- commands from the panel to the player ---------------------------------------

    def add_command(self, kind: str, payload: str, created_by: str, now: dt.datetime) -> int:
        """Queue a command row; its payload is JSON text of playlists/commands.py."""
        with self.transaction() as conn:
            cursor = conn.execute(
                "INSERT INTO commands (kind, payload, created_by, created_at) VALUES (?, ?, ?, ?)",
                (kind, payload, created_by, to_db_time(now)),
            )
        return int(cursor.lastrowid or 0)

    def take_commands(self, now: dt.datetime, durable: bool = True) -> list[dict[str, Any]]:
        """Claim every pending command, oldest first, so each is acted on once.

        The payload comes back as stored: playlists/commands.py reads and checks it.
        durable=False: see `transaction`; the caller's next durable commit makes it stick.
        """
        # The player polls several times a second: look before taking the write lock.
        if self.query_one("SELECT 1 FROM commands WHERE taken_at IS NULL LIMIT 1") is None:
            return []
        with self.transaction(durable) as conn:
            rows = conn.execute(
                "SELECT id, kind, payload, created_by, created_at FROM commands "
                "WHERE taken_at IS NULL ORDER BY id"
            ).fetchall()
            conn.executemany(
                "UPDATE commands SET taken_at = ? WHERE id = ?",
                [(to_db_time(now), row["id"]) for row in rows],
            )
        return [dict(row) for row in rows]

    def finish_command(self, command_id: int, result: str) -> None:
        """Write the player's answer to a command (JSON text of playlists/commands.py)."""
        with self.transaction() as conn:
            conn.execute("UPDATE commands SET result = ? WHERE id = ?", (result, command_id))

    def command(self, command_id: int) -> sqlite3.Row | None:
        return self.query_one("SELECT * FROM commands WHERE id = ?", (command_id,))


@contextlib.contextmanager
def _unsynced(conn: sqlite3.Connection) -> Iterator[None]:
    """Commit on conn without waiting for the disk meanwhile, then sync as before."""
    level = int(conn.execute("PRAGMA synchronous").fetchone()[0])
    if level <= SYNC_NORMAL:  # a scratch copy may run with less already
        yield
        return
    conn.execute(f"PRAGMA synchronous = {SYNC_NORMAL}")
    try:
        yield
    finally:
        conn.execute(f"PRAGMA synchronous = {level}")


def keep_files_private() -> None:
    """Make every file and folder this process creates owner-only, whatever the shell's umask.

    The data folder holds the users' password hashes, API token hashes and the session
    secret; the player, the panel and the kiosk all run as the same user.
    """
    os.umask(PRIVATE_UMASK)


def _make_private(path: Path) -> None:
    """Create the database owner-only before SQLite does, and narrow an existing one.

    SQLite gives its -wal and -shm files the database file's mode. Best effort: on a
    read-only folder SQLite itself then says what is wrong.
    """
    with contextlib.suppress(FileExistsError, OSError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    for file in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        with contextlib.suppress(OSError):
            if file.exists() and file.stat().st_mode & 0o077:
                os.chmod(file, 0o600)


def _statements(script: str) -> Iterator[str]:
    """Split a migration script into statements (triggers keep their inner semicolons)."""
    buffer = ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            if buffer.strip():
                yield buffer.strip()
            buffer = ""
    if buffer.strip():
        yield buffer.strip()
