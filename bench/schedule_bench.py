"""Measure /schedule for a station at its schedule caps, over real HTTP.

Run: .venv/bin/python bench/schedule_bench.py [--requests N]

Issue 11 found that one playlist@1 file of 80 schedule entries made one view of
/schedule take 16 s and 1.5 GB. The caps (playlists/schedule/limits.py) now bound a
station's schedule; this fills a station to them in two shapes and times the
calendar after every change of the plan (nothing kept between views is reused):

- stacked: MAX_ENTRIES_PER_STATION entries (each its own ten-minute playlist), all
  at 07:30 and their other times stacked on as few instants as the times cap
  allows, every day of the campaign: the most overlaps the caps permit.
- spread: entries of MAX_TIMES times each (every half hour) up to the times cap.

Printed per shape: broadcasts in the campaign, conflicts marked, the overlapping
pairs the former pairwise marking would have made, median and max time of a cold
view, and the process's peak RSS after the views (the panel runs in this process).
"""

from __future__ import annotations

import argparse
import bisect
import datetime as dt
import resource
import statistics
import sys
import tempfile
from pathlib import Path

from panel_bench import PASSWORD, Panel, bump_plan_revision

from playlists.access import users
from playlists.content import playlist_table
from playlists.model import ItemKind, PlannedBroadcast, Priority, Review
from playlists.plan import day_range, station_plan
from playlists.schedule import calendar, entry_table, limits
from playlists.settings import AudioSettings, Settings, TtsSettings
from playlists.store import Store

HALF_HOURS = tuple(dt.time(h, m) for h in range(24) for m in (0, 30))


def stacked() -> list[tuple[dt.time, ...]]:
    """Every entry at 07:30; the times left over stacked on the same few instants."""
    entries = limits.MAX_ENTRIES_PER_STATION
    spare = limits.MAX_TIMES_PER_STATION - entries
    extra = (dt.time(8, 0), dt.time(12, 0), dt.time(18, 30))
    shapes = []
    for _ in range(entries):
        more = min(len(extra), spare)
        spare -= more
        shapes.append((dt.time(7, 30), *extra[:more]))
    return shapes


def spread() -> list[tuple[dt.time, ...]]:
    """Entries of every half hour, up to the station's times cap."""
    count = limits.MAX_TIMES_PER_STATION // limits.MAX_TIMES
    return [HALF_HOURS] * count


def seed(store: Store, settings: Settings, shapes: list[tuple[dt.time, ...]]) -> None:
    campaign = settings.campaign
    now = dt.datetime.combine(campaign.start, dt.time(), tzinfo=settings.tz)
    users.add_user(store, "admin", PASSWORD, "admin", now)
    users.set_password(store, "admin", PASSWORD)
    for n, times in enumerate(shapes):
        items = [playlist_table.NewItem(ItemKind.PAUSE, 600.0)]
        playlist_id = playlist_table.add_playlist(
            store, f"节目{n:03d}", "", items, now, review=Review.APPROVED, created_by="bench"
        )
        entry_table.add_schedule(
            store, playlist_id, campaign.start, campaign.end, times, frozenset(range(7)),
            Priority.SCHEDULED, now,
        )  # fmt: skip


def overlapping_pairs(planned: list[PlannedBroadcast]) -> int:
    """Count the pairs the former pairwise marking made, without making them."""
    audible = sorted((b for b in planned if not b.quiet and b.end > b.start), key=lambda b: b.start)
    starts = [b.start for b in audible]
    return sum(bisect.bisect_left(starts, b.end, i + 1) - i - 1 for i, b in enumerate(audible))


def measure(name: str, shapes: list[tuple[dt.time, ...]], requests: int) -> None:
    with tempfile.TemporaryDirectory(prefix="villagecast-bench-") as folder:
        settings = Settings(
            data_dir=Path(folder),
            tts=TtsSettings(engines=("espeak-ng",)),
            audio=AudioSettings(sink="recording"),
        )
        store = Store.open(settings.db_path)
        seed(store, settings, shapes)
        campaign = settings.campaign
        planned = station_plan(
            store, settings, *day_range(campaign.start, campaign.end, settings.tz)
        )
        conflicts = calendar.find_conflicts(planned, settings.tz)
        clock = dt.datetime.combine(campaign.start, dt.time(6, 0), tzinfo=settings.tz)
        panel = Panel(settings, store, clock)
        try:
            seconds = panel.time("/schedule", requests, lambda: bump_plan_revision(store))
        finally:
            panel.stop()
            store.close()
        rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        times = sum(len(t) for t in shapes)
        print(
            f"{name:<8} {len(shapes):>4} entries {times:>4} times/day {len(planned):>6} broadcasts "
            f"{len(conflicts):>6} conflicts ({overlapping_pairs(planned):>7} pairs before) "
            f"cold /schedule median {statistics.median(seconds) * 1000:>6.0f} ms "
            f"max {max(seconds) * 1000:>6.0f} ms, peak RSS {rss_mb:.0f} MB"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=5)
    args = parser.parse_args()
    print(
        f"caps: {limits.MAX_ENTRIES_PER_STATION} entries, "
        f"{limits.MAX_TIMES_PER_STATION} times of day per station; "
        f"{limits.MAX_ENTRIES_PER_PLAYLIST} entries per playlist, "
        f"{limits.MAX_TIMES} times per entry; {args.requests} cold views each"
    )
    measure("spread", spread(), args.requests)
    measure("stacked", stacked(), args.requests)
    return 0


if __name__ == "__main__":
    sys.exit(main())
