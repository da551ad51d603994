"""A town and two villages as real processes on loopback: share, play, report, outage.

The town is `villagecast panel` with villages added by `villagecast village add`; each
village is `villagecast player` with its own data folder, syncing every second. A
playlist shared at the town (`villagecast share`) reaches both villages signed and
approved; each village schedules it a few seconds ahead on its own clock and plays it,
and the as-run rows reach the town. Then the town process is stopped (SIGSTOP: it
accepts connections and never answers); the villages play on, and once it runs again
they catch up: every row at the town exactly once, with its final status.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import pytest

from playlists.bundles.keys import generate_keys, load_signing_key
from playlists.content.ingest import Ingest
from playlists.content.playlist_format import parse_playlist
from playlists.model import Priority, Review
from playlists.schedule import entry_table
from playlists.settings import load_settings
from playlists.store import Store
from tests.paths import REPO
from tests.processes import PANEL_LISTENS, end, start_in_group

pytestmark = pytest.mark.slow  # real processes or real time: see pyproject.toml

STATION_TZ = ZoneInfo("Asia/Shanghai")  # the station's, not the machine's
T = TypeVar("T")

COMMON = """\
data_dir: data
tts: {engines: [espeak-ng]}
audio: {sink: recording}
player: {poll_seconds: 0.05, grace_seconds: 30, quiet_hours: []}
broadcast: {chime: false, lead_in_seconds: 0, gap_seconds: 0}
storage: {min_free_mb: 1}
screens: [{name: led-bar, width: 352, height: 80}]
campaign: {start: %(today)s, end: %(today)s}
"""
TOWN = COMMON + "panel: {port: 0}\ntown: {signing_key: keys/town.key}\n"
VILLAGE = (
    COMMON
    + """\
bundles: {trusted_keys: ["%(key)s"], signed_counts_as_approval: true}
sync: {town_url: "%(town)s", device_token: %(token)s, poll_seconds: 1,
       max_backoff_seconds: 2, timeout_seconds: 1}
"""
)
SHARED = """\
format: villagecast/playlist@1
name: 镇通知
items:
  - announcement: 村民朋友们，镇里通知：下午三点开会。
schedule:
  - {start: %(today)s, end: %(today)s, times: ["%(later)s"]}
"""
ENV = {**os.environ, "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}


def wait_for(what: str, probe: Callable[[], T | None], timeout: float = 20.0) -> T:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"not within {timeout:.0f} s: {what}")


def villagecast(config: Path, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "scheduler", "--config", str(config), *args],
        cwd=REPO, env=ENV, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result.stdout


def start(config: Path, command: str, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return start_in_group(
            [sys.executable, "-m", "scheduler", "--config", str(config), command],
            cwd=REPO, env=ENV, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip


def make_town(folder: Path, today: dt.date) -> tuple[Path, str]:
    """Lay out the town: its key, an approved playlist, its config; return config and key."""
    config = folder / "config.yaml"
    config.parent.mkdir(parents=True)
    config.write_text(TOWN % {"today": today}, encoding="utf-8")
    private, _ = generate_keys(folder / "keys", "town")
    settings = load_settings(config)
    store = Store.open(settings.db_path)
    later = (dt.datetime.now(settings.tz) + dt.timedelta(hours=12)).strftime("%H:%M")
    spec = parse_playlist(SHARED % {"today": today, "later": later}, "shared.yaml")
    Ingest(store, settings).import_playlist(spec, None, "town-staff", review=Review.APPROVED)
    store.close()
    return config, load_signing_key(private).public.line


class Village:
    def __init__(self, folder: Path, name: str, town: Path, url: str, key: str) -> None:
        self.name = name
        out = villagecast(town, "village", "add", name)
        token = re.search(r"device token: (\S+)", out)
        assert token, out
        self.config = folder / name / "config.yaml"
        self.config.parent.mkdir(parents=True)
        today = dt.datetime.now(STATION_TZ).date()
        values = {"today": today, "town": url, "token": token[1], "key": key}
        self.config.write_text(VILLAGE % values, encoding="utf-8")
        self.settings = load_settings(self.config)
        self.store = Store.open(self.settings.db_path)
        self.process = start(self.config, "player", folder / f"{name}.log")

    def copy(self) -> Any:
        return self.store.query_one("SELECT * FROM playlists WHERE origin IS NOT NULL")

    def schedule_in(self, playlist_id: int, seconds: float) -> dt.datetime:
        """Schedule the playlist a few seconds ahead on this village's clock, as its operator."""
        when = (dt.datetime.now(dt.UTC) + dt.timedelta(seconds=seconds)).replace(microsecond=0)
        local = when.astimezone(self.settings.tz)
        entry_table.add_schedule(
            self.store, playlist_id, local.date(), local.date(), (local.time(),),
            frozenset(range(7)), Priority.SCHEDULED, dt.datetime.now(dt.UTC),
        )  # fmt: skip
        return when

    def rows(self) -> dict[int, str]:
        return {r["id"]: r["status"] for r in self.store.query("SELECT id, status FROM as_run")}

    def played(self, count: int) -> bool:
        return list(self.rows().values()).count("played") >= count

    def sync_state(self) -> dict[str, Any]:
        return dict(self.store.status().get("sync") or {})

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=15)
        self.store.close()


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGCONT)  # a stopped process cannot end
        end(process)


def town_rows(town: Store) -> dict[str, dict[int, str]]:
    rows = town.query(
        "SELECT v.name, a.remote_id, a.status FROM village_asrun a "
        "JOIN villages v ON v.id = a.village_id"
    )
    found: dict[str, dict[int, str]] = {}
    for row in rows:
        found.setdefault(row["name"], {})[row["remote_id"]] = row["status"]
    return found


def test_a_shared_playlist_reaches_two_villages_plays_and_is_reported_across_an_outage(
    tmp_path: Path, processes: list[subprocess.Popen[bytes]]
) -> None:
    began = time.monotonic()
    today = dt.datetime.now(STATION_TZ).date()
    town_config, key = make_town(tmp_path / "town", today)
    log = tmp_path / "town.log"
    panel = start(town_config, "panel", log)
    processes.append(panel)
    url = wait_for("the town panel listens", lambda: re.search(PANEL_LISTENS, log.read_text()))[1]
    wait_for("the town panel answers", lambda: _answers(url + "/login"))
    villages = [Village(tmp_path, name, town_config, url, key) for name in ("上村", "下村")]
    processes.extend(v.process for v in villages)
    town = Store.open(tmp_path / "town" / "data" / "villagecast.db")

    shared_at = time.monotonic()
    assert "shared '镇通知'" in villagecast(town_config, "share", "镇通知")
    copies = [wait_for(f"{v.name} imports the playlist", v.copy) for v in villages]
    reached = time.monotonic() - shared_at
    for village, copy in zip(villages, copies, strict=True):
        assert (copy["name"], copy["review"]) == ("镇通知", "approved"), village.name
        assert copy["reviewed_by"] == "town key town"
        town_entries = [e for e in entry_table.schedule_entries(village.store)]
        assert len(town_entries) == 1  # the town's own entry came with it

    # Each village's operator schedules it a few seconds ahead on the village clock.
    for village, copy in zip(villages, copies, strict=True):
        village.schedule_in(copy["id"], 3)
    for village in villages:
        wait_for(f"{village.name} plays it", lambda v=village: v.played(1), timeout=20)
    wait_for(
        "the town holds both villages' rows",
        lambda: all(town_rows(town).get(v.name) == v.rows() for v in villages),
    )

    # The town stops answering; the villages play on and keep their rows.
    os.kill(panel.pid, signal.SIGSTOP)
    outage_at = time.monotonic()
    for village, copy in zip(villages, copies, strict=True):
        village.schedule_in(copy["id"], 3)
    for village in villages:
        wait_for(f"{village.name} plays during the outage", lambda v=village: v.played(2))
        wait_for(
            f"{village.name} notices the outage",
            lambda v=village: v.sync_state().get("state") == "failing",
        )
    assert all(len(town_rows(town).get(v.name, {})) == 1 for v in villages)
    stopped = time.monotonic() - outage_at

    os.kill(panel.pid, signal.SIGCONT)
    wait_for(
        "the villages catch up",
        lambda: all(town_rows(town).get(v.name) == v.rows() for v in villages),
    )
    for village in villages:
        wait_for(f"{village.name} is in sync", lambda v=village: v.sync_state()["state"] == "ok")
        assert all(status == "played" for status in village.rows().values())
    counts = town.query(
        "SELECT village_id, remote_id, COUNT(*) AS n FROM village_asrun "
        "GROUP BY village_id, remote_id HAVING n > 1"
    )
    assert counts == [], "a row is at the town twice"
    beats = town.query("SELECT name, heartbeat FROM villages ORDER BY name")
    assert all('"player_running": true' in row["heartbeat"] for row in beats), beats

    out = villagecast(villages[0].config, "sync")
    assert "synced with the town" in out and "feed unchanged" in out
    assert "0 as-run rows sent" in out  # the town's digests are the village's
    for village in villages:
        village.stop()
    panel.send_signal(signal.SIGTERM)
    panel.wait(timeout=15)
    town.close()
    print(
        f"\nshared → imported at both villages in {reached:.1f} s; outage {stopped:.1f} s; "
        f"whole run {time.monotonic() - began:.1f} s"
    )


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return bool(response.status == 200)
    except OSError:
        return False
