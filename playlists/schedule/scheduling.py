"""Schedule playlists by hand: add, change and delete schedule entries.

Every change is one transaction that checks the entry (the emergency right, a
playlist approved or awaiting review, the caps in limits.py), writes it and its
audit row. The panel's form and the JSON API both hand in a `ScheduleRequest` and
translate what is refused.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from playlists.access import emergency_right
from playlists.model import DEFAULT_WAIT, WEEKDAYS, InterruptPolicy, Priority, ScheduleEntry
from playlists.record import audit
from playlists.schedule import entry_table
from playlists.store import Store

SUBJECT = "schedule"
SCHEDULE = "schedule"  # audit actions
EDIT = "edit"
UNSCHEDULE = "unschedule"


@dataclasses.dataclass(frozen=True)
class ScheduleRequest:
    """A schedule entry as asked for, every field read: what a form or the API hands in."""

    playlist_id: int
    start: dt.date
    end: dt.date
    times: tuple[dt.time, ...]
    weekdays: frozenset[int]
    priority: Priority
    on_interrupt: InterruptPolicy = InterruptPolicy.RESUME
    wait_seconds: float = DEFAULT_WAIT


def add(
    store: Store, request: ScheduleRequest, user: str, now: dt.datetime, *, may_emergency: bool
) -> ScheduleEntry:
    """Schedule a playlist (approved, or held until approved) and audit it; return the entry."""
    emergency_right.check((request.priority,), may_emergency)
    with store.transaction():
        schedule_id = entry_table.add_schedule(
            store, *_fields(request), now,
            on_interrupt=request.on_interrupt, wait_seconds=request.wait_seconds,
        )  # fmt: skip
        entry = entry_table.get_schedule(store, schedule_id)
        _audit(store, user, SCHEDULE, now, entry)
    return entry


def change(
    store: Store,
    schedule_id: int,
    request: ScheduleRequest,
    user: str,
    now: dt.datetime,
    *,
    may_emergency: bool,
) -> ScheduleEntry:
    """Change a schedule entry with the same checks as add, and audit it."""
    emergency_right.check((request.priority,), may_emergency)
    with store.transaction():
        entry_table.update_schedule(
            store, schedule_id, *_fields(request),
            on_interrupt=request.on_interrupt, wait_seconds=request.wait_seconds,
        )  # fmt: skip
        entry = entry_table.get_schedule(store, schedule_id)
        _audit(store, user, EDIT, now, entry)
    return entry


def delete(store: Store, schedule_id: int, user: str, now: dt.datetime) -> ScheduleEntry:
    """Remove a schedule entry and audit it; return what was removed."""
    with store.transaction():
        entry = entry_table.get_schedule(store, schedule_id)
        entry_table.delete_schedule(store, schedule_id)
        _audit(store, user, UNSCHEDULE, now, entry)
    return entry


def describe(entry: ScheduleEntry) -> str:
    """Say what an entry is, for the audit log."""
    times = ",".join(f"{time:%H:%M}" for time in entry.times)
    days = ",".join(WEEKDAYS[day] for day in sorted(entry.weekdays))
    return (
        f"{entry.playlist_name}: {entry.start}..{entry.end} {times} [{days}] "
        f"{entry.priority.value}, {entry.on_interrupt.value}, wait {entry.wait_seconds:g} s"
    )


def _fields(
    request: ScheduleRequest,
) -> tuple[int, dt.date, dt.date, tuple[dt.time, ...], frozenset[int], Priority]:
    return (
        request.playlist_id,
        request.start,
        request.end,
        request.times,
        request.weekdays,
        request.priority,
    )


def _audit(store: Store, user: str, action: str, now: dt.datetime, entry: ScheduleEntry) -> None:
    audit.record(
        store, user, action, now, subject=SUBJECT, subject_id=entry.id, detail=describe(entry)
    )
