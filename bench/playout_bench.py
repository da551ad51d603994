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
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from playlists.commands import PlaySpeech, Stop, encode_request
from playlists.content import playlist_table
from playlists.content.ingest import Ingest
from playlists.model import ItemKind, Outcome, Priority, Review
from playlists.plan import day_range
from playlists.record import asrun
from playlists.schedule import entry_table
from playlists.settings import (
    AudioSettings,
    BroadcastSettings,
    PlayerSettings,
    Settings,
    TtsSettings,
)
from playlists.store import Store
from scheduler import commands
from scheduler.daemon import Daemon
from scheduler.simulate import simulate
from scheduler.sinks import MPV, ProcessSink

MPV_NULL = [part.replace("--audio-device=alsa/{device}", "--ao=null") for part in MPV]


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
    # No lead-in, chime or gaps: a broadcast is exactly its clip, so one a second fits.
    return Settings(
        data_dir=folder,
        tts=TtsSettings(engines=("espeak-ng",)),
        audio=AudioSettings(sink="recording"),
        player=PlayerSettings(quiet_hours=()),
        broadcast=BroadcastSettings(chime=False, lead_in_seconds=0, gap_seconds=0),
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


LAG_CONFIG = """\
data_dir: data
tts: {{engines: [espeak-ng]}}
audio:
  sink: command
  command: [sh, -c, 'date +%s.%N >> {log}; exec mpv --ao=null --really-quiet "$0"', "{{file}}"]
player: {{quiet_hours: []}}
broadcast: {{chime: false, lead_in_seconds: 0, gap_seconds: 0}}
"""


def bench_start_lag(folder: Path, count: int) -> tuple[list[float], float, float]:
    """Run `villagecast player` as its own process; its sink notes each player's start."""
    site = folder / "lag"
    site.mkdir()
    log = site / "starts.log"
    config = site / "config.yaml"
    config.write_text(LAG_CONFIG.format(log=log), encoding="utf-8")
    settings = settings_in(site / "data")
    store = Store.open(settings.db_path)
    clip = Ingest(store, settings).speak("好")
    now = dt.datetime.now(dt.UTC)
    item = playlist_table.NewItem(
        ItemKind.ANNOUNCEMENT, clip.duration or 0.3, media_sha256=clip.sha256
    )
    playlist = playlist_table.add_playlist(
        store, "lag", "", [item], now, review=Review.APPROVED, created_by="test"
    )
    first = (now + dt.timedelta(seconds=5)).replace(microsecond=0)
    scheduled = [first + dt.timedelta(seconds=i) for i in range(count)]
    local = [s.astimezone(settings.tz) for s in scheduled]
    for day in sorted({t.date() for t in local}):
        times = tuple(t.time() for t in local if t.date() == day)
        entry_table.add_schedule(store, playlist, day, day, times, frozenset(range(7)),
                             Priority.SCHEDULED, now, wait_seconds=0.5)  # fmt: skip
    store.close()
    player = subprocess.Popen(
        [sys.executable, "-m", "scheduler", "--config", str(config), "player"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    time.sleep(3)
    idle = status_mb(player.pid, "VmRSS")
    while dt.datetime.now(dt.UTC) < scheduled[-1] + dt.timedelta(seconds=3):
        time.sleep(0.5)
    peak = status_mb(player.pid, "VmHWM")
    player.send_signal(signal.SIGTERM)
    player.wait(15)
    starts = [float(line) for line in log.read_text().split()]
    lags = []
    for stamp in starts:  # pair each start with the slot it belongs to
        slot = min(scheduled, key=lambda s: abs(s.timestamp() - stamp))
        lags.append((stamp - slot.timestamp()) * 1000)
    return lags, idle, peak


def status_mb(pid: int, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def bench_stop_latency(folder: Path, count: int) -> list[float]:
    settings = dataclasses.replace(settings_in(folder / "stop"))
    store = Store.open(settings.db_path)
    clip = Ingest(store, settings).speak("社会工作是帮助有困难的群众、服务社区的专业工作。" * 2)
    sink = TimedSink()
    daemon = Daemon(settings, store, sink=sink)
    thread = threading.Thread(target=daemon.run, daemon=True)
    thread.start()
    latencies = []
    payload = encode_request(PlaySpeech(clip.sha256, "t", "t"))
    for _ in range(count):
        before = len(sink.started)
        store.add_command("play", payload, "bench", dt.datetime.now(dt.UTC))
        while len(sink.started) == before:
            time.sleep(0.01)
        time.sleep(0.5)
        sink.ended.clear()
        sent = time.perf_counter()
        store.add_command("stop", encode_request(Stop()), "bench", dt.datetime.now(dt.UTC))
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
    print(
        f"player process memory: idle {idle:.1f} MB (RSS), peak {busy:.1f} MB (VmHWM) "
        f"after {len(lags)} broadcasts"
    )


if __name__ == "__main__":
    main()
