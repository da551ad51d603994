"""Recent warnings and errors of the player and the panel, kept in the store.

Both processes log to the journal as usual; this handler also keeps the last
warnings and errors in the database, so the panel's system page can show an
operator what went wrong without anyone logging in to the Pi.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import threading

from playlists.store import Store, from_db_time, to_db_time

KEEP = 500  # rows; older ones are dropped as new ones arrive


@dataclasses.dataclass(frozen=True)
class Event:
    at: dt.datetime
    process: str
    level: str
    source: str
    message: str


class StoreLogHandler(logging.Handler):
    """Write WARNING and worse records to the store's events table."""

    def __init__(self, store: Store, process: str, level: int = logging.WARNING) -> None:
        super().__init__(level)
        self.store = store
        self.process = process
        self._busy = threading.local()  # a failing write must not log about itself forever

    def emit(self, record: logging.LogRecord) -> None:
        if getattr(self._busy, "on", False):
            return
        self._busy.on = True
        try:
            message = record.getMessage()
            if record.exc_info and record.exc_info[1] is not None:
                message += f" ({type(record.exc_info[1]).__name__}: {record.exc_info[1]})"
            at = dt.datetime.fromtimestamp(record.created, dt.UTC)
            with self.store.transaction() as conn:
                conn.execute(
                    "INSERT INTO events (at, process, level, source, message) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (to_db_time(at), self.process, record.levelname, record.name, message[:2000]),
                )
                conn.execute(
                    "DELETE FROM events WHERE id <= (SELECT MAX(id) FROM events) - ?", (KEEP,)
                )
        except Exception:  # logging must never break the program that logs
            self.handleError(record)
        finally:
            self._busy.on = False


def recent_events(store: Store, limit: int = 50) -> list[Event]:
    """Return the newest warnings and errors first."""
    rows = store.query(
        "SELECT at, process, level, source, message FROM events ORDER BY id DESC LIMIT ?",
        (limit,),
    )
    return [
        Event(from_db_time(r["at"]) or dt.datetime.min, r["process"], r["level"], r["source"],
              r["message"])
        for r in rows
    ]  # fmt: skip


def install(store: Store, process: str) -> StoreLogHandler:
    """Keep this process's warnings and errors in the store from now on."""
    handler = StoreLogHandler(store, process)
    logging.getLogger().addHandler(handler)
    return handler
