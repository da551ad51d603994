"""Measure how the player's planning scales: re-arming after an edit, `simulate` and `plan`.

Run: .venv/bin/python bench/scale_bench.py [rearm] [grid] [sample] [--rounds N] [--sizes P:D ...]

- rearm: a station of 100 playlists (5 times a day each, a year long) armed by a
  player on the daemon's real timeline (APScheduler, started). Each round changes one
  playlist's schedule and lets the player notice it (`check_store`). Printed: the
  re-arm's median and p99 time, the jobs it adds or removes, and the log lines at INFO
  or above it writes; beside it, in the same run, a full re-arm of the same station
  (the player's behaviour before the incremental re-arm).
- grid: `simulate` and `plan --json` of P playlists over D days, each case in a fresh
  process: broadcasts, wall time, CPU time (the figure the machine's load moves least),
  CPU microseconds per broadcast and peak RSS. The
  baseline in the same run is a process that only builds the same store.
- sample: `villagecast init`, then `villagecast simulate` of the sample campaign
  twice (the first run is the cold one; the second shows what the first kept).

Each case works in its own temporary folder; nothing touches the network.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import io
import json
import logging
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from playlists.access import users
from playlists.content import playlist_table
from playlists.model import ItemKind, Priority, Review
from playlists.schedule import entry_table
from playlists.settings import AudioSettings, PlayerSettings, Settings, TtsSettings
from playlists.store import Store

TIMES_A_DAY = 5  # 100 playlists x 5 = 500, the station's cap of times of day
FIRST = dt.date(2030, 1, 7)
GRID = ("1:30", "10:30", "100:30", "1:365", "10:365", "100:365")


def settings_for(folder: Path, days: int) -> Settings:
    from playlists.settings import CampaignSettings

    last = FIRST + dt.timedelta(days=days - 1)
    return Settings(
        data_dir=folder,
        tts=TtsSettings(engines=("espeak-ng",)),
        audio=AudioSettings(sink="recording"),
        player=PlayerSettings(quiet_hours=()),
        campaign=CampaignSettings(start=FIRST, end=last),
    )


def times_of(n: int, shift: int = 0) -> tuple[dt.time, ...]:
    """Five daytime instants, a minute apart per playlist, so few broadcasts overlap."""
    minute = (n * 2 + shift) % 60
    hours = (7 + n // 30, 10 + n // 30, 12 + n // 30, 15 + n // 30, 18 + n // 30)
    return tuple(dt.time(h % 24, minute) for h in hours[:TIMES_A_DAY])


def seed(store: Store, settings: Settings, playlists: int, first: dt.date, days: int) -> list[int]:
    """Fill the store: playlists of one 30-second pause, each scheduled every day."""
    now = dt.datetime.combine(first, dt.time(), tzinfo=settings.tz) - dt.timedelta(days=1)
    users.add_user(store, "admin", "bench-password-1", "admin", now)
    schedule_ids = []
    last = first + dt.timedelta(days=days - 1)
    for n in range(playlists):
        items = [playlist_table.NewItem(ItemKind.PAUSE, 30.0)]
        playlist_id = playlist_table.add_playlist(
            store, f"节目{n:03d}", "", items, now, review=Review.APPROVED, created_by="bench"
        )
        schedule_id = entry_table.add_schedule(
            store, playlist_id, first, last, times_of(n), frozenset(range(7)),
            Priority.SCHEDULED, now,
        )  # fmt: skip
        schedule_ids.append(schedule_id)
    return schedule_ids


# -- re-arm ------------------------------------------------------------------------------


class CountingHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.lines += 1


def rearm(rounds: int, playlists: int) -> None:
    from scheduler.player import Player
    from scheduler.sinks import RecordingSink
    from scheduler.timeline import SchedulerTimeline

    with tempfile.TemporaryDirectory(prefix="villagecast-bench-") as folder:
        first = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1)
        settings = settings_for(Path(folder), 365)
        store = Store.open(settings.db_path)
        schedule_ids = seed(store, settings, playlists, first, 365)
        timeline = SchedulerTimeline(settings.tz, settings.player.grace_seconds)
        counts = {"add": 0, "remove": 0}
        add_job, remove_job = timeline.scheduler.add_job, timeline.scheduler.remove_job

        def counted_add(*args: Any, **kwargs: Any) -> Any:
            counts["add"] += 1
            return add_job(*args, **kwargs)

        def counted_remove(*args: Any, **kwargs: Any) -> Any:
            counts["remove"] += 1
            return remove_job(*args, **kwargs)

        timeline.scheduler.add_job = counted_add  # type: ignore[method-assign]
        timeline.scheduler.remove_job = counted_remove  # type: ignore[method-assign]
        timeline.start()
        logging.basicConfig(level=logging.INFO, stream=io.StringIO())
        handler = CountingHandler()
        logging.getLogger().addHandler(handler)
        player = Player(settings, store, timeline, RecordingSink(timeline))
        try:
            player.arm()
            full = getattr(player, "arm_all", player.arm)
            rows = []
            for mode, step in (("incremental", player.check_store), ("full", full)):
                rows.append(
                    (mode, *_rounds(store, schedule_ids, rounds, step, counts, handler, first))
                )
        finally:
            timeline.shutdown()
            store.close()
    armed = len(timeline.armed("occurrence:"))
    print(f"station: {playlists} playlists x {TIMES_A_DAY} a day; {armed} jobs armed (48 h)")
    for mode, seconds, jobs, lines in rows:
        print(
            f"re-arm after one playlist's change, {mode:<11}: median "
            f"{statistics.median(seconds) * 1000:6.1f} ms, p99 "
            f"{_p99(seconds) * 1000:6.1f} ms; jobs added/removed per re-arm "
            f"{statistics.median(jobs):5.0f}; log lines (INFO+) per re-arm "
            f"{statistics.median(lines):5.0f}"
        )


def _rounds(
    store: Store,
    schedule_ids: list[int],
    rounds: int,
    step: Any,
    counts: dict[str, int],
    handler: CountingHandler,
    first: dt.date,
) -> tuple[list[float], list[int], list[int]]:
    seconds, jobs, lines = [], [], []
    for r in range(rounds):
        n = r % len(schedule_ids)
        entry = entry_table.get_schedule(store, schedule_ids[n])
        entry_table.update_schedule(
            store, entry.id, entry.playlist_id, entry.start, entry.end,
            times_of(n, shift=r + 1), entry.weekdays, entry.priority,
        )  # fmt: skip
        counts["add"] = counts["remove"] = 0
        handler.lines = 0
        began = time.perf_counter()
        step()
        seconds.append(time.perf_counter() - began)
        jobs.append(counts["add"] + counts["remove"])
        lines.append(handler.lines)
    return seconds, jobs, lines


def _p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]


# -- grid ---------------------------------------------------------------------------------


def case(kind: str, playlists: int, days: int) -> dict[str, Any]:
    """Run one case in this process; return its figures."""
    from scheduler import commands

    with tempfile.TemporaryDirectory(prefix="villagecast-bench-") as folder:
        settings = settings_for(Path(folder), days)
        store = Store.open(settings.db_path)
        seed(store, settings, playlists, FIRST, days)
        store.close()
        last = FIRST + dt.timedelta(days=days - 1)
        began, cpu = time.perf_counter(), time.process_time()
        output = Path(folder) / "output.json"
        with output.open("w", encoding="utf-8") as out, contextlib.redirect_stdout(out):
            if kind == "simulate":
                commands.simulate(settings, FIRST, last, True)
            elif kind == "plan":
                commands.plan(settings, FIRST, last, True)
        seconds, cpu = time.perf_counter() - began, time.process_time() - cpu
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        broadcasts = _count_items(output) if kind != "baseline" else 0
    return {"seconds": seconds, "cpu": cpu, "peak_mb": peak, "broadcasts": broadcasts}


def _count_items(output: Path) -> int:
    """Count the objects of the printed JSON array, one per line that opens one."""
    with output.open(encoding="utf-8") as lines:
        return sum(1 for line in lines if line.rstrip() == "  {")


def grid(sizes: list[str]) -> None:
    print(
        f"{'case':<10} {'playlists':>9} {'days':>5} {'broadcasts':>10} {'wall s':>8} "
        f"{'CPU s':>7} {'CPU us/broadcast':>16} {'peak MB':>8}"
    )
    for size in sizes:
        playlists, days = (int(part) for part in size.split(":"))
        for kind in ("baseline", "plan", "simulate"):
            output = subprocess.run(
                [sys.executable, __file__, "case", kind, str(playlists), str(days)],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            figures = json.loads(output.strip().splitlines()[-1])
            n = figures["broadcasts"]
            per = f"{figures['cpu'] / n * 1e6:16.0f}" if n else f"{'-':>16}"
            print(
                f"{kind:<10} {playlists:>9} {days:>5} {n:>10} {figures['seconds']:>8.2f} "
                f"{figures['cpu']:>7.2f} {per} {figures['peak_mb']:>8.0f}",
                flush=True,
            )


# -- the sample campaign, cold ------------------------------------------------------------


def sample() -> None:
    """Time `simulate` of the sample campaign twice, fresh processes, after `init`."""
    with tempfile.TemporaryDirectory(prefix="villagecast-bench-") as folder:
        config = Path(folder) / "config.yaml"
        config.write_text("tts: {engines: [espeak-ng]}\naudio: {sink: recording}\n")
        cli = [sys.executable, "-m", "scheduler", "--config", str(config)]
        subprocess.run([*cli, "init"], capture_output=True, check=True, cwd=folder)
        for run in ("first", "second"):
            began = time.perf_counter()
            subprocess.run([*cli, "simulate"], capture_output=True, check=True, cwd=folder)
            seconds = time.perf_counter() - began
            print(f"simulate of the sample campaign, {run} run: {seconds:.2f} s")


def main() -> int:
    if sys.argv[1:2] == ["case"]:
        kind, playlists, days = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
        print(json.dumps(case(kind, playlists, days)))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "parts", nargs="*", choices=("rearm", "grid", "sample"), default=["rearm", "grid"]
    )
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--playlists", type=int, default=100)
    parser.add_argument("--sizes", nargs="+", default=list(GRID))
    args = parser.parse_args()
    if "rearm" in args.parts:
        rearm(args.rounds, args.playlists)
    if "grid" in args.parts:
        grid(args.sizes)
    if "sample" in args.parts:
        sample()
    return 0


if __name__ == "__main__":
    sys.exit(main())
