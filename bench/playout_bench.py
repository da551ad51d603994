"""Measure the player: start lag, stop latency, simulation speed and memory.

Run: .venv/bin/python bench/playout_bench.py [--broadcasts N] [--stops N]

- start lag: from each scheduled instant to its player process running (mpv --ao=null),
  over N broadcasts one second apart; goal: median and p99 under 50 ms;
- stop latency: from a "stop" command written to the store to the player process
  gone; goal: under 300 ms;
- simulation: wall time of `simulate` over the eleven-day sample campaign; goal: under 5 s;
- memory: the player's resident set idle and while it plays.
The figures are printed on the last lines.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import statistics
import tempfile
import threading
import time
from pathlib import Path

from playlists import asrun, catalog
from playlists.library import Library
from playlists.model import ItemKind, Outcome, Priority
from playlists.plan import day_range
from playlists.settings import AudioSettings, PlayerSettings, Settings, TtsSettings
from playlists.store import Store
from scheduler import commands
from scheduler.daemon import Daemon
from scheduler.simulate import simulate
from scheduler.sinks import MPV, ProcessSink

MPV_NULL = [part.replace("--audio-device=alsa/{device}", "--ao=null") for part in MPV]


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class TimedSink(ProcessSink):
    """mpv --ao=null, noting when each player process was started and when it ended."""

    def __init__(self) -> None:
        super().__init__(MPV_NULL, name="mpv")
        self.started: list[dt.datetime] = []
        self.ended = threading.Event()

    def start(self, path, offset, duration, on_done):  # type: ignore[no-untyped-def]
        super().start(path, offset, duration, on_done)
        self.started.append(dt.datetime.now(dt.UTC))

    def stop(self) -> None:
        super().stop()
        self.ended.set()


def settings_in(folder: Path) -> Settings:
    return Settings(
        data_dir=folder,
        tts=TtsSettings(engines=("espeak-ng",)),
        audio=AudioSettings(sink="recording"),
        player=PlayerSettings(quiet_hours=()),
    )


def bench_simulation(folder: Path) -> float:
    settings = settings_in(folder / "sim")
    commands.init(settings)
    store = Store.open(settings.db_path)
    start, end = day_range(settings.campaign.start, settings.campaign.end, settings.tz)
    began = time.perf_counter()
    rows = simulate(settings, store, start, end)
    elapsed = time.perf_counter() - began
    assert len(rows) == 33 and all(r.status is Outcome.PLAYED for r in rows)
    return elapsed


def bench_start_lag(folder: Path, count: int) -> tuple[list[float], float, float]:
    settings = settings_in(folder / "lag")
    store = Store.open(settings.db_path)
    clip = Library(store, settings).speak("好")
    now = dt.datetime.now(dt.UTC)
    playlist = catalog.add_playlist(
        store,
        "lag",
        "",
        [catalog.NewItem(ItemKind.ANNOUNCEMENT, clip.duration or 0.3, media_sha256=clip.sha256)],
        now,
    )
    first = (now + dt.timedelta(seconds=4)).replace(microsecond=0)
    times = tuple(
        (first + dt.timedelta(seconds=i)).astimezone(settings.tz).time() for i in range(count)
    )
    day = first.astimezone(settings.tz).date()
    catalog.add_schedule(
        store,
        playlist,
        day,
        day,
        times,
        frozenset(range(7)),
        Priority.SCHEDULED,
        now,
        wait_seconds=0.5,
    )
    sink = TimedSink()
    daemon = Daemon(settings, store, sink=sink)
    thread = threading.Thread(target=daemon.run, daemon=True)
    thread.start()
    time.sleep(2)
    idle = rss_mb()
    busy = 0.0
    deadline = time.monotonic() + count + 15
    while len(sink.started) < count and time.monotonic() < deadline:
        busy = max(busy, rss_mb())
        time.sleep(0.2)
    daemon.stop()
    thread.join(10)
    scheduled = [first + dt.timedelta(seconds=i) for i in range(count)]
    lags = [(s - p).total_seconds() * 1000 for s, p in zip(sink.started, scheduled, strict=False)]
    return lags, idle, busy


def bench_stop_latency(folder: Path, count: int) -> list[float]:
    settings = dataclasses.replace(settings_in(folder / "stop"))
    store = Store.open(settings.db_path)
    clip = Library(store, settings).speak("社会工作是帮助有困难的群众、服务社区的专业工作。" * 2)
    sink = TimedSink()
    daemon = Daemon(settings, store, sink=sink)
    thread = threading.Thread(target=daemon.run, daemon=True)
    thread.start()
    latencies = []
    payload = {"media_sha256": clip.sha256, "title": "t", "text": "t", "priority": "manual"}
    for _ in range(count):
        before = len(sink.started)
        store.add_command("play", payload, "bench", dt.datetime.now(dt.UTC))
        while len(sink.started) == before:
            time.sleep(0.01)
        time.sleep(0.5)
        sink.ended.clear()
        sent = time.perf_counter()
        store.add_command("stop", {}, "bench", dt.datetime.now(dt.UTC))
        sink.ended.wait(5)
        latencies.append((time.perf_counter() - sent) * 1000)
        while asrun.all_rows(store)[-1].status is Outcome.PLAYING:
            time.sleep(0.01)
    daemon.stop()
    thread.join(10)
    return latencies


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--broadcasts", type=int, default=100)
    parser.add_argument("--stops", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        simulation = bench_simulation(folder)
        lags, idle, busy = bench_start_lag(folder, args.broadcasts)
        stops = bench_stop_latency(folder, args.stops)
    print(f"simulate 11-day campaign: {simulation:.2f} s wall (goal < 5 s)")
    print(
        f"start lag over {len(lags)} broadcasts: median {statistics.median(lags):.1f} ms, "
        f"p99 {p99(lags):.1f} ms, max {max(lags):.1f} ms (goal < 50 ms)"
    )
    print(
        f"stop latency over {len(stops)} stops: median {statistics.median(stops):.1f} ms, "
        f"max {max(stops):.1f} ms (goal < 300 ms)"
    )
    print(f"player memory (RSS of this process): idle {idle:.1f} MB, playing {busy:.1f} MB")


if __name__ == "__main__":
    main()
