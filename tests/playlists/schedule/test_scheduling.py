"""Scheduling by hand: each change checked, written and audited in one transaction."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from playlists.content import playlist_table
from playlists.content.playlist_table import NewItem
from playlists.errors import ContentError, EmergencyRightError, NotFoundError, ScheduleLimitError
from playlists.model import InterruptPolicy, ItemKind, Priority, Review
from playlists.record import audit
from playlists.schedule import entry_table, scheduling
from playlists.schedule.scheduling import ScheduleRequest
from playlists.store import Store
from tests.web_fixtures import NOW

DAY = dt.date(2023, 3, 28)


def playlist(store: Store, name: str = "通知", review: Review = Review.APPROVED) -> int:
    items = [NewItem(ItemKind.PAUSE, 5.0)]
    return playlist_table.add_playlist(
        store, name, "", items, NOW, review=review, created_by="test"
    )


def request(playlist_id: int, **changes: object) -> ScheduleRequest:
    asked = ScheduleRequest(
        playlist_id, DAY, DAY + dt.timedelta(days=10), (dt.time(7, 30), dt.time(18, 0)),
        frozenset(range(5)), Priority.SCHEDULED,
    )  # fmt: skip
    return dataclasses.replace(asked, **changes)  # type: ignore[arg-type]


def test_add_change_and_delete_each_write_one_audit_row(store: Store) -> None:
    playlist_id = playlist(store)
    added = scheduling.add(store, request(playlist_id), "op", NOW, may_emergency=False)
    later = request(playlist_id, times=(dt.time(8),), on_interrupt=InterruptPolicy.SKIP)
    changed = scheduling.change(store, added.id, later, "op", NOW, may_emergency=False)
    removed = scheduling.delete(store, added.id, "op", NOW)
    assert changed.times == (dt.time(8),) and removed == changed
    assert entry_table.schedule_entries(store) == []
    rows = sorted(audit.rows(store), key=lambda row: row.id)
    assert [(r.action, r.subject, r.subject_id) for r in rows] == [
        ("schedule", "schedule", added.id),
        ("edit", "schedule", added.id),
        ("unschedule", "schedule", added.id),
    ]
    assert rows[0].detail == (
        "通知: 2023-03-28..2023-04-07 07:30,18:00 [mon,tue,wed,thu,fri] scheduled, resume, "
        "wait 300 s"
    )
    assert "08:00" in rows[1].detail and "skip" in rows[1].detail


@pytest.mark.parametrize(
    ("changes", "may_emergency", "error"),
    [
        ({"priority": Priority.EMERGENCY}, False, EmergencyRightError),
        ({"times": tuple(dt.time(h, m) for h in range(24) for m in (0, 20, 40))}, False,
         ScheduleLimitError),
        ({"end": DAY + dt.timedelta(days=400)}, False, ScheduleLimitError),
        ({"wait_seconds": 3601.0}, False, ScheduleLimitError),
        ({"end": DAY - dt.timedelta(days=1)}, False, ContentError),
        ({"playlist": 99}, True, NotFoundError),
    ],
    ids=["emergency-without-the-right", "times", "days", "wait", "ends-before-start",
         "no-playlist"],
)  # fmt: skip
def test_a_refused_entry_writes_nothing(
    store: Store, changes: dict[str, object], may_emergency: bool, error: type[Exception]
) -> None:
    playlist_id = int(changes.pop("playlist", 0)) or playlist(store)  # type: ignore[call-overload]
    asked = request(playlist_id, **changes)
    with pytest.raises(error):
        scheduling.add(store, asked, "op", NOW, may_emergency=may_emergency)
    assert entry_table.schedule_entries(store) == []
    assert audit.rows(store) == []


def test_a_draft_playlist_is_not_scheduled(store: Store) -> None:
    draft = playlist(store, "草稿", Review.DRAFT)
    with pytest.raises(ContentError, match="approved or awaiting review"):
        scheduling.add(store, request(draft), "op", NOW, may_emergency=True)
    assert audit.rows(store) == []


def test_emergency_needs_the_right_to_change_an_entry_too(store: Store) -> None:
    entry = scheduling.add(store, request(playlist(store)), "op", NOW, may_emergency=False)
    urgent = request(entry.playlist_id, priority=Priority.EMERGENCY)
    with pytest.raises(EmergencyRightError):
        scheduling.change(store, entry.id, urgent, "op", NOW, may_emergency=False)
    assert entry_table.get_schedule(store, entry.id).priority is Priority.SCHEDULED
    changed = scheduling.change(store, entry.id, urgent, "admin", NOW, may_emergency=True)
    assert changed.priority is Priority.EMERGENCY


def test_deleting_what_is_not_there_is_not_found(store: Store) -> None:
    with pytest.raises(NotFoundError):
        scheduling.delete(store, 7, "op", NOW)
    assert audit.rows(store) == []
