"""What a village's poll of an unchanged feed reads, kept in the panel until the store changes.

Every call of a village checks who asks (its device token, `villages.verify`), and a
poll of the feed compares the feed's revision (`sharing.current_revision`): two reads
of the store whose answers stay the same between changes. A `PollMemo` keeps them for
each server thread beside a marker of that thread's connection: SQLite's
``PRAGMA data_version``, which moves when any other connection commits (another thread
of the panel, `villagecast village remove` in another process, the player), and the
connection's own ``total_changes``. Any commit anywhere empties the memo before it
answers again, so it answers what the store would: a removed village is refused at its
next call, and a poll after a change of the feed gets the new feed.

Only tokens that were found are kept: a wrong or unknown token is looked up every
time, as before, and cannot fill the memory.
"""

from __future__ import annotations

import sqlite3
import threading

from playlists.settings import Settings
from playlists.store import Store
from playlists.town import sharing, villages
from playlists.town.villages import Device

Marker = tuple[sqlite3.Connection, int, int]


class PollSnapshot:
    """One thread's answers for the store as it stood when its marker was taken."""

    def __init__(self, store: Store, settings: Settings, marker: Marker) -> None:
        self.marker = marker
        self._store, self._settings = store, settings
        self._devices: dict[str, Device] = {}
        self._revision: str | None = None

    def device(self, secret: str) -> Device | None:
        """Return the village a device token belongs to, or None (`villages.verify`)."""
        known = self._devices.get(secret)
        if known is not None:
            return known
        found = villages.verify(self._store, secret)
        if found is not None:
            self._devices[secret] = found
        return found

    def revision(self) -> str:
        """Return the feed's revision (`sharing.current_revision`)."""
        if self._revision is None:
            self._revision = sharing.current_revision(self._store, self._settings)
        return self._revision


class PollMemo:
    """Each server thread's `PollSnapshot`, renewed whenever the store changed."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self._store, self._settings = store, settings
        self._local = threading.local()

    def snapshot(self) -> PollSnapshot:
        """Return this thread's snapshot, an empty one if anything was committed since."""
        # The marker is read before anything the snapshot reads: a commit in between
        # moves the marker the next call sees, and empties the snapshot then.
        marker = _marker(self._store.conn)
        kept: PollSnapshot | None = getattr(self._local, "snapshot", None)
        if kept is None or not _same(kept.marker, marker):
            kept = self._local.snapshot = PollSnapshot(self._store, self._settings, marker)
        return kept


def _marker(conn: sqlite3.Connection) -> Marker:
    row = conn.execute("PRAGMA data_version").fetchone()
    return conn, int(row[0]), conn.total_changes


def _same(kept: Marker, now: Marker) -> bool:
    # The kept connection is held, so a new one (the store closed and opened again)
    # cannot take its identity; its counters start afresh and say nothing about the old.
    return kept[0] is now[0] and kept[1:] == now[1:]
