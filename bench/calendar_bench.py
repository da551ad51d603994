"""Measure the first view of /schedule after an edit for a long, busy campaign.

Run: .venv/bin/python bench/calendar_bench.py [--sizes P:D ...] [--requests N]

The station has P playlists, each scheduled five times a day (the station's cap of
500 times a day at 100 playlists) for a campaign of D days; the clock stands on the
campaign's tenth day. Each size runs in a fresh process: the panel under waitress
on loopback, one logged-in admin, the plan revision raised before every view (every
view is the first after an edit). Printed: broadcasts in the campaign, median and
max time of the cold view, the page's size, and the process's peak RSS; the baseline
in the same run is a bare Flask route on the same server.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from panel_bench import PASSWORD, Panel, bump_plan_revision
from scale_bench import FIRST, TIMES_A_DAY, seed, settings_for

from playlists.access import users
from playlists.store import Store


def case(playlists: int, days: int, requests: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="villagecast-bench-") as folder:
        settings = settings_for(Path(folder), days)
        store = Store.open(settings.db_path)
        seed(store, settings, playlists, FIRST, days)
        users.set_password(store, "admin", PASSWORD)
        clock = dt.datetime.combine(FIRST + dt.timedelta(days=9), dt.time(9), tzinfo=settings.tz)
        panel = Panel(settings, store, clock)
        try:
            bare = panel.time("/bench/bare", requests)
            seconds = []
            size = 0
            for _ in range(requests):
                bump_plan_revision(store)
                began = time.perf_counter()
                size = len(panel.get("/schedule").encode())
                seconds.append(time.perf_counter() - began)
        finally:
            panel.stop()
            store.close()
    return {
        "broadcasts": playlists * days * TIMES_A_DAY,
        "median": statistics.median(seconds),
        "max": max(seconds),
        "bare": statistics.median(bare),
        "size_mb": size / 1e6,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> int:
    if sys.argv[1:2] == ["case"]:
        print(json.dumps(case(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["10:365", "100:30", "100:90"])
    parser.add_argument("--requests", type=int, default=3)
    args = parser.parse_args()
    for size in args.sizes:
        playlists, days = size.split(":")
        output = subprocess.run(
            [sys.executable, __file__, "case", playlists, days, str(args.requests)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        f = json.loads(output.strip().splitlines()[-1])
        print(
            f"{playlists:>4} playlists x {days:>3} days ({f['broadcasts']:>7.0f} broadcasts): "
            f"cold /schedule median {f['median'] * 1000:7.0f} ms, max {f['max'] * 1000:7.0f} ms "
            f"(bare route {f['bare'] * 1000:.1f} ms); page {f['size_mb']:.2f} MB; "
            f"peak RSS {f['peak_mb']:.0f} MB",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
