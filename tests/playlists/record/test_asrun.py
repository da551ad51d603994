"""The as-run log: each occurrence logged once, orphans closed after a crash."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest

from playlists.model import Outcome, PlannedBroadcast, Priority
from playlists.record import asrun
from playlists.store import Store

T0 = dt.datetime(2023, 3, 27, 23, 30, tzinfo=dt.UTC)


@pytest.fixture
def db(tmp_path: Path) -> Store:
    return Store.open(tmp_path / "villagecast.db")


def broadcast(minutes: int = 0) -> PlannedBroadcast:
    start = T0 + dt.timedelta(minutes=minutes)
    return PlannedBroadcast(
        start, start + dt.timedelta(seconds=90), 1, 1, "宣传", Priority.SCHEDULED
    )


def test_an_occurrence_is_claimed_once(db: Store) -> None:
    first = asrun.claim(db, broadcast(), Outcome.PLAYING, T0)
    assert first is not None
    assert asrun.claim(db, broadcast(), Outcome.PLAYING, T0) is None
    assert asrun.claim(db, broadcast(), Outcome.MISSED, T0, "late") is None
    assert [r.status for r in asrun.all_rows(db)] == [Outcome.PLAYING]


def test_close_sets_outcome_and_end(db: Store) -> None:
    row = asrun.claim(db, broadcast(), Outcome.PLAYING, T0)
    assert row is not None
    asrun.close(db, row, Outcome.PLAYED, T0 + dt.timedelta(seconds=91))
    asrun.close(db, row, Outcome.FAILED, T0 + dt.timedelta(seconds=95), "too late to change")
    (logged,) = asrun.all_rows(db)
    assert logged.status is Outcome.PLAYED
    assert logged.started_at == T0
    assert logged.ended_at == T0 + dt.timedelta(seconds=91)


@pytest.mark.parametrize("closed_before", [False, True], ids=["row on air", "row closed already"])
def test_progress_and_close_is_progress_then_close(tmp_path: Path, closed_before: bool) -> None:
    ended, on_air = T0 + dt.timedelta(seconds=91), (2, T0 + dt.timedelta(seconds=60))
    results = []
    for one_statement in (False, True):
        db = Store.open(tmp_path / f"{one_statement}.db")
        row = asrun.claim(db, broadcast(), Outcome.PLAYING, T0)
        assert row is not None
        if closed_before:
            asrun.close(db, row, Outcome.INTERRUPTED, T0 + dt.timedelta(seconds=30), "stopped")
        if one_statement:
            asrun.progress_and_close(db, row, on_air, Outcome.PLAYED, ended, "done")
        else:
            asrun.progress(db, row, *on_air)
            asrun.close(db, row, Outcome.PLAYED, ended, "done")
        results.append(asrun.all_rows(db))
    assert results[0] == results[1]
    (logged,) = results[1]
    assert (logged.item, logged.item_started_at) == on_air
    assert logged.status is (Outcome.INTERRUPTED if closed_before else Outcome.PLAYED)


def test_unplayed_rows_have_no_start(db: Store) -> None:
    asrun.claim(db, broadcast(), Outcome.MISSED, T0 + dt.timedelta(hours=1), "player down")
    (logged,) = asrun.all_rows(db)
    assert logged.started_at is None and logged.reason == "player down"


def test_orphans_are_closed_as_interrupted(db: Store) -> None:
    cut = asrun.claim(db, broadcast(), Outcome.PLAYING, T0)
    manual = asrun.open_manual(db, "临时通知", None, Priority.MANUAL, "admin", T0)
    done = asrun.claim(db, broadcast(5), Outcome.PLAYING, T0)
    assert done is not None
    asrun.close(db, done, Outcome.PLAYED, T0)
    closed = asrun.close_orphans(db, "player stopped", T0 + dt.timedelta(seconds=30))
    assert sorted(row.id for row in closed) == sorted([cut, manual])
    assert {row.ended_at for row in closed} == {T0 + dt.timedelta(seconds=30)}
    statuses = {r.id: (r.status, r.reason) for r in asrun.all_rows(db)}
    assert statuses[cut] == (Outcome.INTERRUPTED, "player stopped")
    assert statuses[done] == (Outcome.PLAYED, "")


def test_rows_between_uses_scheduled_time(db: Store) -> None:
    for minutes in (0, 60, 120):
        asrun.claim(db, broadcast(minutes), Outcome.MISSED, T0)
    rows = asrun.rows_between(db, T0 + dt.timedelta(minutes=30), T0 + dt.timedelta(minutes=120))
    assert [r.scheduled_at for r in rows] == [T0 + dt.timedelta(minutes=60)]


def test_handled_reports_known_keys(db: Store) -> None:
    asrun.claim(db, broadcast(), Outcome.MISSED, T0)
    assert asrun.handled(db, [broadcast().key, broadcast(1).key]) == {broadcast().key}


@pytest.fixture
def logged(db: Store) -> Store:
    """Five rows a minute apart: alternately played and missed, of two playlists."""
    for minute in range(5):
        planned = dataclasses.replace(
            broadcast(minute), playlist_name="早" if minute % 2 else "晚", schedule_id=minute
        )
        status = Outcome.MISSED if minute % 2 else Outcome.PLAYED
        asrun.claim(db, planned, status, planned.start, "")
    return db


@pytest.mark.parametrize(
    ("filters", "minutes"),
    [
        pytest.param({}, [0, 1, 2, 3, 4], id="all-in-time-order"),
        pytest.param({"playlist": "早"}, [1, 3], id="one-playlist"),
        pytest.param({"status": Outcome.PLAYED}, [0, 2, 4], id="one-outcome"),
        pytest.param({"playlist": "早", "status": Outcome.PLAYED}, [], id="both"),
        pytest.param({"limit": 2, "offset": 1}, [1, 2], id="a-page"),
        pytest.param({"limit": 2, "offset": 4}, [4], id="the-last-page"),
    ],
)
def test_find_filters_and_pages_in_sql(
    logged: Store, filters: dict[str, object], minutes: list[int]
) -> None:
    start, end = broadcast(0).start, broadcast(5).start
    found = asrun.find(logged, start, end, **filters)  # type: ignore[arg-type]
    assert [row.schedule_id for row in found] == minutes
    counted = {k: v for k, v in filters.items() if k in ("playlist", "status")}
    expected = len(asrun.find(logged, start, end, **counted))  # type: ignore[arg-type]
    assert asrun.count(logged, start, end, **counted) == expected  # type: ignore[arg-type]
    assert asrun.find(logged, start, broadcast(2).start) == asrun.find(logged, start, end)[:2]
