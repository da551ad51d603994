"""Measure the player: start lag, stop latency, simulation speed and memory.

Run: .venv/bin/python bench/playout_bench.py [--broadcasts N] [--stops N] [--fsync-ms N]

- start lag: from each scheduled instant to the first audio bytes its player process
  writes (mpv --ao=pcm into a pipe the bench reads and timestamps), over N broadcasts
  one second apart; beside it, the same mpv command started by the bench itself (the
  floor: what mpv takes to its first bytes); goal: median and p99 under 50 ms over it;
- emergency: from the API call (POST /api/v1/emergency, the panel in this process,
  `villagecast player` in its own) to the first audio bytes, over N calls whose speech
  and slides exist, beside the floor; and for texts never spoken, the synthesis
  (`Ingest.speak`, espeak-ng alone: the default chain's gTTS try, 10 s offline, is not
  counted) and the same call → first bytes; goal: 300 ms median once the speech exists;
  with --fsync-ms N each fsync/fdatasync of the player takes N ms more (an SD card's
  flush; a shim built with cc and preloaded), to show the disk waits before the sound;
- stop latency: from a "stop" command written to the store to the player process
  gone; goal: under 300 ms;
- simulation: wall time of `simulate` over the eleven-day sample campaign; goal: under 5 s;
- memory: the player's resident set idle and while it plays.
The figures are printed on the last lines.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime as dt
import json
import os
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
  command: {command}
player: {{quiet_hours: []}}
broadcast: {{chime: false, lead_in_seconds: 0, gap_seconds: 0}}
"""


def pcm_command(fifo: Path) -> list[str]:
    """mpv writing its raw audio into fifo, the bench's ear."""
    return ["mpv", "--ao=pcm", f"--ao-pcm-file={fifo}", "--ao-pcm-waveheader=no", "--no-video",
            "--no-terminal", "--really-quiet", "--start={offset}", "{file}"]  # fmt: skip


class FirstBytes:
    """A pipe that notes when each writer's first audio bytes arrive (wall clock)."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / "audio.fifo"
        os.mkfifo(self.path)
        self.stamps: list[float] = []
        self._done = False
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        while not self._done:
            with self.path.open("rb", buffering=0) as pipe:  # waits for the next writer
                if pipe.read(1):
                    self.stamps.append(time.time())
                while pipe.read(65536):
                    pass

    def wait_for(self, count: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while len(self.stamps) < count and time.monotonic() < deadline:
            time.sleep(0.001)
        return len(self.stamps) >= count

    def close(self) -> None:
        self._done = True
        with contextlib.suppress(OSError):
            fd = os.open(self.path, os.O_WRONLY | os.O_NONBLOCK)  # wakes the reader's open
            os.close(fd)
        self._thread.join(5)


def bare_first_bytes(ear: FirstBytes, clip: Path, count: int) -> list[float]:
    """The floor: the same mpv command started here, to its first audio bytes (ms)."""
    argv = [part.format(offset="0.000", file=clip) for part in pcm_command(ear.path)]
    delays = []
    for _ in range(count):
        before = len(ear.stamps)
        began = time.time()
        subprocess.run(argv, check=True)
        ear.wait_for(before + 1, 5)
        delays.append((ear.stamps[before] - began) * 1000)
    return delays


def player_site(site: Path) -> tuple[FirstBytes, Path, Settings]:
    """Make a folder for a `villagecast player` whose sink writes into the bench's ear."""
    site.mkdir()
    ear = FirstBytes(site)
    config = site / "config.yaml"
    command = json.dumps(pcm_command(ear.path))
    config.write_text(LAG_CONFIG.format(command=command), encoding="utf-8")
    return ear, config, settings_in(site / "data")


def bench_start_lag(folder: Path, count: int) -> tuple[list[float], list[float], float, float]:
    """Run `villagecast player` as its own process; the bench hears its first bytes."""
    ear, config, settings = player_site(folder / "lag")
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
    # The clips played one after another: the n-th first bytes are the n-th started row's.
    store = Store.open(settings.db_path)
    started = sorted(
        (r for r in asrun.all_rows(store) if r.started_at is not None),
        key=lambda r: r.started_at or r.scheduled_at,
    )
    store.close()
    if len(started) != len(ear.stamps):
        print(f"warning: {len(started)} broadcasts started, {len(ear.stamps)} first bytes heard")
    lags = [
        (stamp - row.scheduled_at.timestamp()) * 1000
        for stamp, row in zip(ear.stamps, started, strict=False)
    ]
    skipped = count - len(started)
    if skipped:
        print(f"{skipped} of {count} broadcasts did not start (each may wait 0.5 s)")
    bare = bare_first_bytes(ear, settings.media_dir / clip.path, min(count, 20))
    ear.close()
    return lags, bare, idle, peak


EMERGENCY = "紧急通知：今晚有大风，请关好门窗，不要外出。"
SETTLE_SECONDS = 0.5  # between emergencies: the player's writes after a broadcast take ~4 flushes


# Each flush made slower after it is done, as an SD card's is (LD_PRELOAD into the player).
SLOW_FLUSH_C = """
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <time.h>
static void wait_more(void) {
    long us = atol(getenv("SLOW_FLUSH_US") ? getenv("SLOW_FLUSH_US") : "0");
    struct timespec pause = {us / 1000000, (us % 1000000) * 1000};
    nanosleep(&pause, NULL);
}
int fsync(int fd) {
    static int (*real)(int);
    if (!real) real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
    int done = real(fd);
    wait_more();
    return done;
}
int fdatasync(int fd) {
    static int (*real)(int);
    if (!real) real = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
    int done = real(fd);
    wait_more();
    return done;
}
"""


def emergency_player(folder: Path, config: Path, flush_ms: float) -> subprocess.Popen[bytes]:
    """Start `villagecast player`; with flush_ms, each of its fsync/fdatasync that much longer."""
    env = dict(os.environ)
    if flush_ms:
        source, library = folder / "slow_flush.c", folder / "slow_flush.so"
        source.write_text(SLOW_FLUSH_C, encoding="ascii")
        subprocess.run(["cc", "-shared", "-fPIC", "-o", library, source, "-ldl"], check=True)
        env |= {"LD_PRELOAD": str(library), "SLOW_FLUSH_US": str(round(flush_ms * 1000))}
    return subprocess.Popen(
        [sys.executable, "-m", "scheduler", "--config", str(config), "player"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
    )  # fmt: skip


def bench_emergency(
    folder: Path, rounds: int, fresh: int, fsync_ms: float = 0
) -> dict[str, list[float]]:
    """API call → first audio bytes of the player (its own process), speech made or not."""
    from playlists.access import tokens, users
    from web import create_app

    site = folder / "emergency"
    ear, config, settings = player_site(site)
    store = Store.open(settings.db_path)
    now = dt.datetime.now(dt.UTC)
    users.add_user(store, "admin", "bench-password-1", "admin", now)
    auth = {"Authorization": f"Bearer {tokens.create_token(store, 'admin', 'bench', now)}"}
    client = create_app(settings, store).test_client()
    player = emergency_player(site, config, fsync_ms)
    figures: dict[str, list[float]] = {"made": [], "synthesis": [], "new": []}
    try:
        while "heartbeat" not in store.status():
            time.sleep(0.1)
        time.sleep(1)

        def call(text: str) -> float:
            """POST the emergency; return ms to the player's first audio bytes."""
            before = len(ear.stamps)
            began = time.time()
            answer = client.post(
                "/api/v1/emergency", json={"title": "紧急通知", "text": text}, headers=auth
            )
            assert answer.status_code == 201, answer.get_data(as_text=True)
            assert ear.wait_for(before + 1, 30), "no audio from the player"
            while asrun.all_rows(store)[-1].status is Outcome.PLAYING:
                time.sleep(0.01)
            # The last broadcast's closing writes done, as an emergency mostly finds the lane.
            time.sleep(SETTLE_SECONDS)
            return (ear.stamps[before] - began) * 1000

        call(EMERGENCY)  # the first call makes the speech and the slides
        figures["made"] = [call(EMERGENCY) for _ in range(rounds)]
        ingest = Ingest(store, settings)
        for n in range(fresh):
            began = time.perf_counter()
            ingest.speak(f"大风预警第{n + 1}次：请村民留在家中。")
            figures["synthesis"].append((time.perf_counter() - began) * 1000)
            figures["new"].append(call(f"暴雨预警第{n + 1}次：请村民远离河道。"))
        clip = ingest.speak(EMERGENCY)
        figures["bare"] = bare_first_bytes(ear, settings.media_dir / clip.path, rounds)
    finally:
        player.send_signal(signal.SIGTERM)
        player.wait(15)
        ear.close()
        store.close()
    return figures


def summary(values: list[float]) -> str:
    return (
        f"median {statistics.median(values):.0f} ms, p99 {p99(values):.0f} ms, "
        f"max {max(values):.0f} ms"
    )


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
    parser.add_argument("--emergencies", type=int, default=20)
    parser.add_argument("--fresh", type=int, default=5, help="emergencies with new text")
    parser.add_argument(
        "--fsync-ms", type=float, default=0, help="emergency: each flush of the player this slow"
    )
    parser.add_argument(
        "--only", choices=("simulation", "lag", "stop", "emergency"), nargs="*", default=None
    )
    args = parser.parse_args()
    only = set(args.only or ("simulation", "lag", "stop", "emergency"))
    print(f"load average at start: {os.getloadavg()[0]:.1f} ({os.cpu_count()} cores)")
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        simulation = bench_simulation(folder) if "simulation" in only else None
        lag = bench_start_lag(folder, args.broadcasts) if "lag" in only else None
        stops = bench_stop_latency(folder, args.stops) if "stop" in only else None
        alarm = (
            bench_emergency(folder, args.emergencies, args.fresh, args.fsync_ms)
            if "emergency" in only
            else None
        )
    if simulation is not None:
        print(f"simulate 11-day campaign: {simulation:.2f} s wall (goal < 5 s)")
    if lag is not None:
        lags, bare, idle, busy = lag
        print(f"start lag over {len(lags)} broadcasts, slot → first audio bytes: {summary(lags)}")
        print(f"  the same mpv started by the bench → first audio bytes: {summary(bare)}")
        print(
            f"  over the floor: median {statistics.median(lags) - statistics.median(bare):.0f}"
            f" ms, p99 {p99(lags) - statistics.median(bare):.0f} ms (goal < 50 ms)"
        )
        print(
            f"player process memory: idle {idle:.1f} MB (RSS), peak {busy:.1f} MB (VmHWM) "
            f"after {len(lags)} broadcasts"
        )
    if stops is not None:
        print(
            f"stop latency over {len(stops)} stops: median {statistics.median(stops):.1f} ms, "
            f"max {max(stops):.1f} ms (goal < 300 ms)"
        )
    if alarm is not None:
        print(
            f"emergency API call → first audio bytes, speech made, {len(alarm['made'])} calls: "
            f"{summary(alarm['made'])} (goal < 300 ms median)"
        )
        print(f"  the same mpv started by the bench → first audio bytes: {summary(alarm['bare'])}")
        over = statistics.median(alarm["made"]) - statistics.median(alarm["bare"])
        print(f"  over the floor: median {over:.0f} ms")
        if args.fsync_ms:
            print(f"  (the player's every fsync/fdatasync made {args.fsync_ms:g} ms longer)")
        print(
            f"  new text, {len(alarm['new'])} calls: synthesis alone {summary(alarm['synthesis'])};"
            f" call → first audio bytes {summary(alarm['new'])}"
        )
    print(f"load average at end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
