"""What the town sees of its villages: link, clock, campaign so far, and the report."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from playlists.plan import day_range
from playlists.record.tally import ReasonCount, Tally
from playlists.store import Store
from playlists.town import fleet, village_asrun, villages
from tests.playlists.town.test_villages import HEARTBEAT, asrun_row
from tests.web_fixtures import NOW

TZ = ZoneInfo("Asia/Shanghai")
CAMPAIGN = day_range(dt.date(2023, 3, 28), dt.date(2023, 4, 7), TZ)


def add(store: Store, name: str) -> int:
    villages.add_village(store, name, "cli:town", NOW)
    return villages.get_village(store, name).id


def send(store: Store, village_id: int, *rows: dict[str, object]) -> None:
    village_asrun.store_batch(store, village_id, list(rows), NOW)


@pytest.mark.parametrize(
    ("seen_ago", "heartbeat", "stale", "clock"),
    [
        pytest.param(None, {}, True, "unknown", id="never-heard"),
        pytest.param(1, HEARTBEAT, False, "ok", id="fresh"),
        pytest.param(16, HEARTBEAT, True, "ok", id="stale"),
        pytest.param(
            1, {**HEARTBEAT, "clock_synchronized": False}, False, "unsynchronized", id="ntp-off"
        ),
        pytest.param(
            1, {**HEARTBEAT, "clock_synchronized": None}, False, "unknown", id="ntp-unknown"
        ),
        pytest.param(1, {**HEARTBEAT, "now": "2023-03-28T10:50:00+08:00"}, False, "off", id="slow"),
    ],
)
def test_link_and_clock_of_each_village(
    store: Store, seen_ago: int | None, heartbeat: dict[str, object], stale: bool, clock: str
) -> None:
    village_id = add(store, "东村")
    if seen_ago is not None:
        # NOW is 11:00 in Shanghai; the heartbeat says 11:00:05 on the village's clock.
        villages.record_heartbeat(store, village_id, heartbeat, NOW)
    later = NOW + dt.timedelta(minutes=seen_ago or 0)
    [status] = fleet.village_statuses(store, later, *CAMPAIGN)
    assert (status.stale, status.clock) == (stale, clock)


def test_the_campaign_so_far_counts_each_occurrence_once(store: Store) -> None:
    east, west = add(store, "东村"), add(store, "西村")
    send(
        store,
        east,
        asrun_row(1, status="played"),
        asrun_row(2, occurrence="3@2023-03-28T04:00:00Z", status="interrupted", reason="紧急广播"),
        asrun_row(3, occurrence="3@2023-03-28T04:00:00Z#2", status="played"),
        asrun_row(4, occurrence="3@2023-03-28T10:00:00Z", status="missed", reason="停电"),
        asrun_row(5, occurrence="3@2023-03-29T10:00:00Z", status="skipped", reason="静音时段"),
        asrun_row(6, occurrence=None, priority="manual", status="played"),  # not planned
        asrun_row(7, occurrence="3@2023-05-01T00:00:00Z", scheduled="2023-05-01T08:00:00+08:00"),
    )
    send(store, west, asrun_row(1, status="failed", reason="声卡故障"))
    tallies = {s.village.name: s.campaign for s in fleet.village_statuses(store, NOW, *CAMPAIGN)}
    assert tallies["东村"] == Tally(planned=4, due=4, played=2, missed=1, skipped=1)
    assert tallies["西村"] == Tally(planned=1, due=1, failed=1)


def test_the_report_is_per_village_station_day_and_playlist_with_reasons(store: Store) -> None:
    east, west = add(store, "东村"), add(store, "西村")
    late = "2023-03-28T23:30:00+08:00"  # 15:30 UTC: still the 28th in Shanghai
    send(
        store,
        east,
        asrun_row(1, status="played"),
        asrun_row(2, occurrence="3@b", status="missed", reason="停电", scheduled=late),
        asrun_row(3, occurrence="3@c", status="missed", reason="停电", scheduled=late),
        asrun_row(4, occurrence="3@d", status="failed", reason="", scheduled=late),
        asrun_row(5, occurrence="4@a", playlist="防诈骗", scheduled="2023-03-29T07:00:00+08:00"),
    )
    send(store, west, asrun_row(9, status="played"))
    lines = fleet.fleet_report(store, TZ, *CAMPAIGN)
    got = [
        (x.village, x.day.isoformat(), x.playlist_name, x.tally.planned, x.tally.played)
        for x in lines
    ]
    assert got == [
        ("东村", "2023-03-28", "社会工作宣传", 4, 1),
        ("东村", "2023-03-29", "防诈骗", 1, 0),
        ("西村", "2023-03-28", "社会工作宣传", 1, 1),
    ]
    assert lines[0].reasons == (ReasonCount("停电", 2), ReasonCount("failed", 1))
    assert lines[1].tally.playing == 1 and lines[1].reasons == ()
    assert fleet.totals(lines) == Tally(planned=6, due=6, played=2, missed=2, failed=1, playing=1)


def test_the_report_keeps_to_its_days(store: Store) -> None:
    send(store, add(store, "东村"), asrun_row(1, status="played"))
    assert (
        fleet.fleet_report(store, TZ, *day_range(dt.date(2023, 3, 29), dt.date(2023, 3, 30), TZ))
        == []
    )


@pytest.mark.parametrize(
    "bad",
    [
        {"occurrence": "3@2023-03-28T00:00:00Z#²"},  # "²".isdigit() is true; int() refuses it
        {"occurrence": "3@2023-03-28T00:00:00Z#٣"},
        {"occurrence": "3@2023-03-28T00:00:00Z#x"},
        {"status": "exploded"},
    ],
    ids=["superscript-part", "arabic-digit-part", "letter-part", "unknown-status"],
)
def test_a_stored_row_it_cannot_read_is_counted_apart_and_logged(
    store: Store, bad: dict[str, object], caplog: pytest.LogCaptureFixture
) -> None:
    """Rows stored before the door checked them (issue 11, finding 5) break nothing."""
    east = add(store, "东村")
    send(store, east, asrun_row(1, status="played"), asrun_row(2, **{"status": "played", **bad}))
    [line] = fleet.fleet_report(store, TZ, *CAMPAIGN)
    assert line.tally == Tally(planned=1, due=1, played=1, unreadable=1)
    [status] = fleet.village_statuses(store, NOW, *CAMPAIGN)
    assert status.campaign == Tally(planned=1, due=1, played=1, unreadable=1)
    assert "as-run row 2 is unreadable" in caplog.text
