"""Measure the first view of the calendar, dashboard and report after an edit, busy campaign.

Run: .venv/bin/python bench/calendar_bench.py [--sizes P:D ...] [--views V ...] [--requests N]

The station has P playlists, each scheduled five times a day (the station's cap of
500 times a day at 100 playlists) for a campaign of D days; the clock stands on the
campaign's tenth day. Each size runs in a fresh process: the panel under waitress
on loopback, one logged-in admin, the plan revision raised before every view (every
view is the first after an edit; one view before, to compile the templates, as in a
running panel). Each view (the calendar's default week, a day, a month, around today;
the dashboard with the campaign's totals so far; the as-run report of today) is timed
N times after an edit (one entry's times changed, as an operator does: the panel
plans again only what the edit touched) and N times with nothing kept (every kept
plan dropped: the first view after the panel starts, or after a change to every entry).
The as-run log is empty. Printed: broadcasts in the campaign, median, p95 and max time
of the cold view, the page's size, and the process's peak RSS, beside the baseline in
the same run: a bare Flask route on the same server (median and p95), and p95 over its
p95; the CPU time of the panel's process per view (it moves much less than the wall
time on a shared machine); and how many broadcasts the view planned.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import json
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from panel_bench import PASSWORD, Panel, bump_plan_revision, percentile
from scale_bench import FIRST, TIMES_A_DAY, seed, settings_for, times_of

from playlists.access import users
from playlists.schedule import entry_table
from playlists.store import Store
from web import dashboard_views, plan_cache

VIEWS = {
    "week": "/schedule",
    "day": "/schedule?view=day",
    "month": "/schedule?view=month",
    "dashboard": "/",
    "report": "/asrun/report",
}


def edit_one(store: Store, schedule_ids: list[int], rounds: list[int]) -> None:
    """Change one entry's times, as an operator's edit does (the plan revision moves)."""
    r = rounds[0] = rounds[0] + 1
    n = r % len(schedule_ids)
    entry = entry_table.get_schedule(store, schedule_ids[n])
    entry_table.update_schedule(
        store, entry.id, entry.playlist_id, entry.start, entry.end,
        times_of(n, shift=r), entry.weekdays, entry.priority,
    )  # fmt: skip


def forget_everything(store: Store) -> None:
    """Move the plan revision and drop every kept plan: as the first view after a start."""
    bump_plan_revision(store)
    plan_cache._plans.clear()
    progress = getattr(dashboard_views, "_progress", None)  # the dashboard's totals
    if isinstance(progress, dict):  # older code keeps them per plan revision instead
        progress.clear()


def case(playlists: int, days: int, requests: int, views: list[str]) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="villagecast-bench-") as folder:
        settings = settings_for(Path(folder), days)
        store = Store.open(settings.db_path)
        schedule_ids = seed(store, settings, playlists, FIRST, days)
        users.set_password(store, "admin", PASSWORD)
        clock = dt.datetime.combine(FIRST + dt.timedelta(days=9), dt.time(9), tzinfo=settings.tz)
        panel = Panel(settings, store, clock)
        figures: dict[str, object] = {"broadcasts": playlists * days * TIMES_A_DAY}
        rounds = [0]
        try:
            figures["bare"], figures["bare cpu"] = panel.time_and_cpu(
                "/bench/bare", requests, _nothing
            )
            for view in views:
                path = VIEWS[view]
                edit = functools.partial(edit_one, store, schedule_ids, rounds)
                figures[f"{view} edit"], figures[f"{view} edit cpu"] = panel.time_and_cpu(
                    path, requests, edit
                )
                newest = list(plan_cache._plans.values())[-1]  # the view's, kept last
                figures[f"{view} planned"] = len(newest.planned)
                fresh = functools.partial(forget_everything, store)
                figures[f"{view} fresh"], figures[f"{view} fresh cpu"] = panel.time_and_cpu(
                    path, requests, fresh
                )
                figures[f"{view}_mb"] = len(panel.get(path).encode()) / 1e6
        finally:
            panel.stop()
            store.close()
    figures["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return figures


def _nothing() -> None:
    pass


def ms(seconds: float) -> str:
    return f"{seconds * 1000:7.1f} ms"


def main() -> int:
    if sys.argv[1:2] == ["case"]:
        playlists, days, requests = (int(n) for n in sys.argv[2:5])
        print(json.dumps(case(playlists, days, requests, sys.argv[5].split(","))))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["10:365", "100:30", "100:365"])
    parser.add_argument("--views", nargs="+", choices=list(VIEWS), default=list(VIEWS))
    parser.add_argument("--requests", type=int, default=20)
    args = parser.parse_args()
    for size in args.sizes:
        playlists, days = size.split(":")
        output = subprocess.run(
            [sys.executable, __file__, "case", playlists, days, str(args.requests),
             ",".join(args.views)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout  # fmt: skip
        f = json.loads(output.strip().splitlines()[-1])
        bare, bare_cpu = f["bare"], f["bare cpu"]
        print(
            f"{playlists:>4} playlists x {days:>3} days ({f['broadcasts']:>7.0f} broadcasts), "
            f"peak RSS {f['peak_mb']:.0f} MB; bare route median {ms(statistics.median(bare))}, "
            f"p95 {ms(percentile(bare, 0.95))}, CPU median {ms(statistics.median(bare_cpu))}",
            flush=True,
        )
        for view in args.views:
            print(
                f"    {view} ({VIEWS[view]}): plans {f[f'{view} planned']} broadcasts, "
                f"page {f[f'{view}_mb']:.2f} MB",
                flush=True,
            )
            for kind, said in (("edit", "after an edit"), ("fresh", "nothing kept ")):
                seconds, cpu = f[f"{view} {kind}"], f[f"{view} {kind} cpu"]
                p95 = percentile(seconds, 0.95)
                print(
                    f"      {said}: median {ms(statistics.median(seconds))}, p95 {ms(p95)}, "
                    f"max {ms(max(seconds))} ({p95 / percentile(bare, 0.95):5.1f}x bare p95); "
                    f"CPU median {ms(statistics.median(cpu))}, p95 {ms(percentile(cpu, 0.95))}",
                    flush=True,
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
