"""The plan kept between requests: the same until what plays changes."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from playlists.content import review
from playlists.model import PlannedBroadcast, Priority, ScheduleEntry
from playlists.schedule import entry_table
from playlists.settings import Settings
from playlists.store import Store
from tests.web_fixtures import NOW, add_pause_playlist, make_app
from web import plan_cache
from web.plan_cache import Plan, plan_of

FIRST, LAST = dt.date(2023, 3, 28), dt.date(2023, 4, 7)


@pytest.fixture
def app(settings: Settings, store: Store) -> Flask:
    add_pause_playlist(store, "早间宣传", 600.0, times=(dt.time(7, 30),))
    add_pause_playlist(store, "午间新闻", 60.0, times=(dt.time(7, 35), dt.time(12, 0)))
    return make_app(settings, store)


def current_plan(app: Flask, first: dt.date = FIRST, last: dt.date = LAST) -> Plan:
    with app.test_request_context():
        return plan_of(first, last)


def test_the_plan_is_kept_while_nothing_changes(app: Flask) -> None:
    plan = current_plan(app)
    assert len(plan.planned) == 33  # 3 a day over 11 days
    assert len(plan.conflicts) == 11  # 07:35 waits for the ten-minute 07:30 every day
    assert current_plan(app) is plan
    assert current_plan(app, FIRST, FIRST) is not plan  # other days, another plan
    assert len(current_plan(app, FIRST, FIRST).planned) == 3


def add_entry(store: Store) -> None:
    entry_table.add_schedule(
        store, 1, FIRST, LAST, (dt.time(20, 0),), frozenset(range(7)), Priority.SCHEDULED, NOW
    )


def rename(store: Store) -> None:
    with store.transaction() as conn:
        conn.execute("UPDATE playlists SET name = '晨间宣传' WHERE id = 1")


def send_back(store: Store) -> None:
    review.mark_changed(store, review.PLAYLIST, 1, "op", NOW)


@pytest.mark.parametrize(
    ("change", "seen"),
    [
        (add_entry, lambda plan: len(plan.planned) == 44),
        (rename, lambda plan: "晨间宣传" in {b.playlist_name for b in plan.planned}),
        (send_back, lambda plan: any(b.unapproved for b in plan.planned)),
    ],
    ids=["schedule-entry-added", "playlist-renamed", "playlist-back-to-draft"],
)
def test_a_change_to_what_plays_is_seen_at_once(
    app: Flask, store: Store, change: Callable[[Store], None], seen: Callable[[Plan], bool]
) -> None:
    before = current_plan(app)
    assert not seen(before)
    change(store)
    assert seen(current_plan(app))


def test_other_quiet_hours_make_another_plan(app: Flask, settings: Settings, store: Store) -> None:
    plan = current_plan(app)
    player = dataclasses.replace(settings.player, quiet_hours=("07:00", "08:00"))
    quiet = make_app(dataclasses.replace(settings, player=player), store)
    held = current_plan(quiet)
    assert held is not plan
    assert all(b.quiet for b in held.planned if b.start.astimezone(settings.tz).hour == 7)


def test_conflicts_are_indexed_by_both_broadcasts(app: Flask) -> None:
    plan = current_plan(app)
    first = plan.conflicts[0]
    assert plan.conflicts_of[first.affected.key] == [first]
    assert plan.conflicts_of[first.by.key] == [first]


@pytest.mark.parametrize(
    ("first", "last"),
    [(FIRST, LAST), (FIRST, FIRST), (dt.date(2023, 3, 31), dt.date(2023, 4, 2)), (LAST, LAST)],
    ids=["whole", "first-day", "month-end", "last-day"],
)
def test_the_grid_of_some_days_is_laid_out_from_their_broadcasts(
    app: Flask, first: dt.date, last: dt.date
) -> None:
    plan = current_plan(app)
    days = current_plan(app, first, last)  # planned for those days alone
    assert plan.grid_of(first, last) == days.grid
    assert plan.grid_of(first, last) is plan.grid_of(first, last)  # kept


def test_plans_kept_are_bounded_by_their_broadcasts(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(plan_cache, "KEPT_BROADCASTS", 40)  # 33 in the campaign, 3 a day
    monkeypatch.setattr(plan_cache, "_plans", {})
    campaign = current_plan(app)
    first_day = current_plan(app, FIRST, FIRST)
    assert current_plan(app, FIRST, FIRST) is first_day  # 36 kept: both
    assert current_plan(app) is campaign
    current_plan(app, LAST, LAST)  # 39: still all three
    current_plan(app, dt.date(2023, 4, 1), dt.date(2023, 4, 3))  # 48: the oldest goes
    assert current_plan(app, FIRST, FIRST) is first_day
    assert current_plan(app) is not campaign


def test_a_new_plan_expands_again_only_the_entries_that_changed(
    app: Flask, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = current_plan(app)
    expanded: list[str] = []
    real = plan_cache.occurrences

    def counting(entry: ScheduleEntry, *args: Any) -> list[PlannedBroadcast]:
        expanded.append(entry.playlist_name)
        return real(entry, *args)

    monkeypatch.setattr(plan_cache, "occurrences", counting)
    rename(store)  # 早间宣传 becomes 晨间宣传; 午间新闻 stays as it was
    after = current_plan(app)
    assert expanded == ["晨间宣传"]
    kept = [b for b in after.planned if b.playlist_name == "午间新闻"]
    reused = {id(b) for b in before.planned}  # the same objects, keys worked out once
    assert len(kept) == 22 and all(id(b) in reused for b in kept)
    assert {b.playlist_name for b in after.planned} == {"晨间宣传", "午间新闻"}
    assert after.planned == tuple(
        sorted(after.planned, key=lambda b: (b.start, -b.priority.rank, b.schedule_id))
    )


def move_entry(store: Store) -> None:
    entry = entry_table.get_schedule(store, 2)
    entry_table.update_schedule(
        store, entry.id, entry.playlist_id, entry.start, entry.end, (dt.time(7, 30),),
        entry.weekdays, Priority.MANUAL,
    )  # fmt: skip


def remove_entry(store: Store) -> None:
    entry_table.delete_schedule(store, 2)


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(add_entry, id="entry-added"),
        pytest.param(move_entry, id="entry-moved-onto-another-and-made-manual"),
        pytest.param(remove_entry, id="entry-removed"),
        pytest.param(rename, id="playlist-renamed"),
    ],
)
def test_a_plan_merged_after_a_change_is_the_plan_made_afresh(
    app: Flask, store: Store, monkeypatch: pytest.MonkeyPatch, change: Callable[[Store], None]
) -> None:
    monkeypatch.setattr(plan_cache, "MERGED_SHARE", 1)  # merge whatever the share
    current_plan(app)
    change(store)
    merged = current_plan(app)
    monkeypatch.setattr(plan_cache, "_plans", {})  # nothing kept: planned from the entries
    afresh = current_plan(app)
    assert merged is not afresh
    assert merged.planned == afresh.planned
    assert merged.conflicts == afresh.conflicts


def test_the_calendar_plans_the_day_before_its_first_day(app: Flask) -> None:
    with app.test_request_context():
        shown = plan_cache.shown_plan(dt.date(2023, 3, 30), dt.date(2023, 3, 31))
    assert (shown.first, shown.last) == (dt.date(2023, 3, 29), dt.date(2023, 3, 31))
