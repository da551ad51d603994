"""Measure how long a playlist shared at the town takes to be imported at a village.

Run: .venv/bin/python bench/sync_bench.py [--playlists N] [--poll S] [--recording S]

The town is `villagecast panel` and the village `villagecast player` (recording sink),
each its own process on loopback, the village syncing every --poll seconds (default
1). N playlists (default 5), each an announcement and a recording of --recording
seconds (default 60, a different tone each, so every one downloads its own file),
are shared one after another with `playlists.town.sharing.share`; the clock runs from the
share call until the village's database holds the imported copy. Printed: the time
the town takes to share (its bundle export), share → imported at the village (median
and max), and one sync cycle run in this process for a fresh village that imports
all N at once (what a cycle costs without the wait for the next poll).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playlists.clock import utc_now  # noqa: E402
from playlists.content.ingest import Ingest  # noqa: E402
from playlists.content.playlist_format import parse_playlist  # noqa: E402
from playlists.model import Review  # noqa: E402
from playlists.settings import load_settings  # noqa: E402
from playlists.store import Store  # noqa: E402
from playlists.sync.client import run_cycle  # noqa: E402
from playlists.sync.transport import UrllibClient  # noqa: E402
from playlists.town import sharing, villages  # noqa: E402

T = TypeVar("T")
ENV = {**os.environ, "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}
COMMON = """\
data_dir: data
tts: {engines: [espeak-ng]}
audio: {sink: recording}
player: {quiet_hours: []}
broadcast: {chime: false, lead_in_seconds: 0}
storage: {min_free_mb: 1}
screens: [{name: led-bar, width: 352, height: 80}]
"""
PLAYLIST = """\
format: villagecast/playlist@1
name: 镇通知{n}
items:
  - announcement: 村民朋友们，这是镇里的第{n}条通知，请大家相互转告。
  - audio: media/tone.wav
"""


def wait_for(what: str, probe: Callable[[], T | None], timeout: float = 120.0) -> T:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if found := probe():
            return found
        time.sleep(0.02)
    raise SystemExit(f"not within {timeout:.0f} s: {what}")


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def start(config: Path, command: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "scheduler", "--config", str(config), command],
        cwd=ROOT, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def make_town(folder: Path, count: int, seconds: float) -> tuple[Path, str, list[int]]:
    """Write the town's config and import its playlists, approved; return config, URL, ids."""
    port = _free_port()
    config = folder / "config.yaml"
    (folder / "media").mkdir(parents=True)
    config.write_text(COMMON + f"panel: {{port: {port}}}\n", encoding="utf-8")
    settings = load_settings(config)
    store = Store.open(settings.db_path)
    ingest = Ingest(store, settings)
    ids = []
    for n in range(1, count + 1):
        tone = f"sine=frequency={300 + 40 * n}:duration={seconds}"
        subprocess.run(
            ["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i", tone,
             str(folder / "media" / "tone.wav")],
            check=True,
        )  # fmt: skip
        spec = parse_playlist(PLAYLIST.format(n=n), "bench.yaml")
        ids.append(ingest.import_playlist(spec, folder, "bench", review=Review.APPROVED))
    store.close()
    return config, f"http://127.0.0.1:{port}", ids


def make_village(folder: Path, url: str, token: str, poll: float) -> Path:
    config = folder / "config.yaml"
    folder.mkdir(parents=True)
    sync = (
        f'sync: {{town_url: "{url}", device_token: {token}, poll_seconds: {poll}, '
        f"max_backoff_seconds: {max(poll, 2)}}}\n"
    )
    config.write_text(COMMON + sync, encoding="utf-8")
    return config


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--playlists", type=int, default=5)
    parser.add_argument("--poll", type=float, default=1.0)
    parser.add_argument("--recording", type=float, default=60.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        town_config, url, ids = make_town(folder / "town", args.playlists, args.recording)
        town_settings = load_settings(town_config)
        town_store = Store.open(town_settings.db_path)
        now = dt.datetime.now(dt.UTC)
        tokens = [villages.add_village(town_store, f"村{n}", "bench", now) for n in (1, 2)]
        panel = start(town_config, "panel")
        village = load_settings(make_village(folder / "village", url, tokens[0], args.poll))
        player = start(folder / "village" / "config.yaml", "player")
        try:
            wait_for("the town answers", lambda: answers(url + "/login"))
            village_store = Store.open(village.db_path)
            wait_for(
                "the village's first sync",
                lambda: (village_store.status().get("sync") or {}).get("state") == "ok",
            )
            shares, reaches = [], []
            for playlist_id in ids:
                began = time.monotonic()
                sharing.share(town_store, town_settings, playlist_id, "bench", now)
                shares.append(time.monotonic() - began)
                wait_for(
                    f"playlist {playlist_id} at the village",
                    lambda p=playlist_id: village_store.query_one(
                        "SELECT 1 FROM playlists WHERE origin = ?", (f"town:{p}",)
                    ),
                )
                reaches.append(time.monotonic() - began)
            cycle = one_cycle(folder / "fresh", url, tokens[1])
        finally:
            player.terminate()
            panel.terminate()
            player.wait(timeout=15)
            panel.wait(timeout=15)
    size = f"an announcement and a {args.recording:.0f} s recording each"
    print(f"{args.playlists} playlists ({size}), village poll_seconds {args.poll:g}")
    print(
        f"town share (bundle export): median {statistics.median(shares):.2f} s, "
        f"max {max(shares):.2f} s"
    )
    print(
        f"share → imported at the village: median {statistics.median(reaches):.2f} s, "
        f"max {max(reaches):.2f} s"
    )
    print(
        f"one sync cycle importing all {args.playlists} into a fresh village: {cycle:.2f} s "
        f"({cycle / args.playlists:.2f} s a playlist)"
    )


def one_cycle(folder: Path, url: str, token: str) -> float:
    """Time one sync cycle in this process for a village that has nothing yet."""
    settings = load_settings(make_village(folder, url, token, 1.0))
    store = Store.open(settings.db_path)
    began = time.monotonic()
    report = run_cycle(store, settings, Ingest(store, settings), UrllibClient(10), utc_now())
    elapsed = time.monotonic() - began
    if report.refused or not report.imported:
        raise SystemExit(f"the fresh village did not import: {report.lines()}")
    return elapsed


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


if __name__ == "__main__":
    main()
