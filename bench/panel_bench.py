"""Measure the panel's busiest pages on a full campaign, over real HTTP.

Run: .venv/bin/python bench/panel_bench.py [--requests N] [--rows N] [--playlists N] [--cold]
     .venv/bin/python bench/panel_bench.py --memory [--views N]

The panel runs under waitress on loopback with a store holding N playlists (default
50), each scheduled three times a day over the whole campaign window, and N as-run
rows (default 10,000). The clock is set to the campaign's last day, so the pages show
the whole window. Each page is fetched N times (default 200) by one logged-in admin,
one request at a time, and so is a bare Flask route on the same server: the baseline
of waitress, Flask and the session. Printed: median and 95th percentile per page, and
each page's p95 over the baseline's, and the CPU time of the process per view (the
panel's threads; median and p95), with the load average. Goal: every page under 100
ms at the 95th percentile.

--memory: the panel as it runs on a station (`python -m web`, its own process) on the
sample campaign after `villagecast init`; N views (default 1,000) cycling through its
pages as a logged-in admin, then the process's RSS and peak (VmRSS, VmHWM) and
which packages with native code it mapped, beside a bare Flask app with a session in
its own process (the floor). Goal: under 80 MB after 1,000 views.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.cookiejar
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path

import waitress
from waitress import wasyncore

from playlists.access import users
from playlists.content import playlist_table
from playlists.model import ItemKind, Outcome, Priority, Review
from playlists.schedule import entry_table
from playlists.settings import AudioSettings, Settings, TtsSettings
from playlists.store import Store, to_db_time
from web import create_app, serving
from web.state import EXTENSION

PASSWORD = "bench-password"
TIMES = (dt.time(7, 30), dt.time(12, 0), dt.time(18, 30))
OUTCOMES = (Outcome.PLAYED,) * 8 + (Outcome.MISSED, Outcome.SKIPPED)


def seed(store: Store, settings: Settings, playlists: int, rows: int) -> None:
    """Fill the store as a busy campaign would, in a few transactions."""
    campaign = settings.campaign
    now = dt.datetime.combine(campaign.start, dt.time(), tzinfo=settings.tz)
    users.add_user(store, "admin", PASSWORD, "admin", now)
    ids = []
    for n in range(playlists):
        items = [playlist_table.NewItem(ItemKind.PAUSE, 20.0 + n) for _ in range(3)]
        playlist_id = playlist_table.add_playlist(
            store, f"节目{n:02d}", "", items, now, review=Review.APPROVED, created_by="bench"
        )
        shifted = tuple(
            (dt.datetime.combine(campaign.start, t) + dt.timedelta(minutes=n)).time() for t in TIMES
        )
        entry_table.add_schedule(
            store, playlist_id, campaign.start, campaign.end, shifted, frozenset(range(7)),
            Priority.SCHEDULED, now,
        )  # fmt: skip
        ids.append(playlist_id)
    with store.transaction() as conn:
        for n in range(rows):
            start = now + dt.timedelta(seconds=n * 95)
            status = OUTCOMES[n % len(OUTCOMES)]
            played = status is Outcome.PLAYED
            conn.execute(
                "INSERT INTO as_run (occurrence, schedule_id, playlist_id, playlist_name, "
                "priority, scheduled_at, started_at, ended_at, status, reason) "
                "VALUES (?, ?, ?, ?, 'scheduled', ?, ?, ?, ?, ?)",
                (
                    f"bench@{n}", ids[n % len(ids)], ids[n % len(ids)], f"节目{n % len(ids):02d}",
                    to_db_time(start), to_db_time(start) if played else None,
                    to_db_time(start + dt.timedelta(seconds=60)) if played else None,
                    status.value, "" if played else "the player was not running",
                ),
            )  # fmt: skip


class Panel:
    """The panel under waitress on a free loopback port, with a logged-in admin."""

    def __init__(self, settings: Settings, store: Store, clock: dt.datetime) -> None:
        app = create_app(settings, store)
        app.extensions[EXTENSION].clock = lambda: clock
        app.add_url_rule("/bench/bare", "bench_bare", lambda: "ok")
        self.rules = {rule.rule for rule in app.url_map.iter_rules()}
        self.server = waitress.create_server(app, host="127.0.0.1", port=0, threads=4)
        self.url = f"http://127.0.0.1:{self.server.effective_port}"
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        login = self.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', login)
        assert token, "no CSRF token on the login page"
        form = {"username": "admin", "password": PASSWORD, "csrf_token": token[1]}
        data = urllib.parse.urlencode(form).encode()
        self.opener.open(f"{self.url}/login", data=data).read()
        settle = getattr(serving, "settle_heap", None)  # as `python -m web` does; older code: none
        if settle is not None:
            settle()

    def stop(self) -> None:
        self.server.task_dispatcher.shutdown()
        wasyncore.close_all(self.server._map)  # the loop ends once its map is empty
        self.thread.join(timeout=5)

    def get(self, path: str) -> str:
        with self.opener.open(f"{self.url}{path}") as response:
            body: bytes = response.read()
            assert response.status == 200, (path, response.status)
        return body.decode()

    def time(
        self, path: str, requests: int, before: Callable[[], None] = lambda: None
    ) -> list[float]:
        """Time a page N times, after `before` each time: wall seconds."""
        return self.time_and_cpu(path, requests, before)[0]

    def time_and_cpu(
        self, path: str, requests: int, before: Callable[[], None] = lambda: None
    ) -> tuple[list[float], list[float]]:
        """Time a page N times, after `before` each time: wall seconds, and CPU seconds.

        The CPU time is this process's: the panel's threads and the client's small share.
        On a machine shared with other work it moves much less than the wall time.
        """
        self.get(path)  # warm: templates compiled, caches filled
        seconds, cpu = [], []
        for _ in range(requests):
            before()
            start, used = time.perf_counter(), time.process_time()
            self.get(path)
            cpu.append(time.process_time() - used)
            seconds.append(time.perf_counter() - start)
        return seconds, cpu


def bump_plan_revision(store: Store) -> None:
    """Mark the plan changed, as any edit to schedules or content does (by trigger)."""
    with store.transaction() as conn:
        conn.execute(
            "UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'plan_revision'"
        )


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


MEMORY_PAGES = (
    "/", "/schedule", "/asrun", "/asrun/report", "/playlists", "/announcements", "/media",
    "/review", "/plan", "/system", "/users", "/audit", "/evidence",
)  # fmt: skip
BARE_FLASK = """
import sys
from flask import Flask, session
app = Flask("bare")
app.secret_key = "bench"
@app.route("/")
def index():
    session["n"] = session.get("n", 0) + 1
    return "ok"
client = app.test_client()
for _ in range(int(sys.argv[1])):
    client.get("/")
print(open("/proc/self/status").read())
"""
HEAVY = ("PIL", "numpy", "onnxruntime", "lxml", "pynini")  # packages with native code


def status_mb(text: str, field: str) -> float:
    line = next(line for line in text.splitlines() if line.startswith(f"{field}:"))
    return int(line.split()[1]) / 1024


def memory(views: int) -> None:
    """The panel's own process on the sample campaign: its memory after N views."""
    with tempfile.TemporaryDirectory(prefix="villagecast-bench-") as folder:
        config = Path(folder) / "config.yaml"
        config.write_text(
            "data_dir: data\ntts: {engines: [espeak-ng]}\naudio: {sink: recording}\n"
            "panel: {host: 127.0.0.1, port: 0}\n",
            encoding="utf-8",
        )
        cli = [sys.executable, "-m", "scheduler", "--config", str(config)]
        subprocess.run([*cli, "init"], capture_output=True, check=True, cwd=folder)
        store = Store.open(Path(folder) / "data" / "villagecast.db")
        users.set_password(store, "admin", PASSWORD)  # no first-login detour
        store.close()
        panel = subprocess.Popen(
            [sys.executable, "-m", "web", "--config", str(config)],
            stderr=subprocess.PIPE, text=True, cwd=folder,
        )  # fmt: skip
        try:
            assert panel.stderr is not None
            url = ""
            while not url:
                line = panel.stderr.readline()
                assert line, "the panel exited"
                if "panel listening on" in line:
                    url = line.split("panel listening on ")[1].strip().rstrip("/")
            threading.Thread(target=panel.stderr.read, daemon=True).start()  # drain the log
            client = Client(url)
            pages = [page for page in MEMORY_PAGES if client.status(page) == 200]
            for n in range(views):
                client.status(pages[n % len(pages)])
            status = Path(f"/proc/{panel.pid}/status").read_text()
            maps = Path(f"/proc/{panel.pid}/maps").read_text()
        finally:
            panel.terminate()
            panel.wait(15)
    bare = subprocess.run(
        [sys.executable, "-c", BARE_FLASK, str(views)], capture_output=True, text=True, check=True
    ).stdout
    held = [name for name in HEAVY if f"/{name}/" in maps or f"/{name}." in maps]
    print(f"pages cycled: {', '.join(pages)}")
    print(
        f"panel after {views} views: RSS {status_mb(status, 'VmRSS'):.1f} MB, peak "
        f"{status_mb(status, 'VmHWM'):.1f} MB (goal < 80 MB); native libraries mapped: "
        f"{', '.join(held) or 'none'}"
    )
    print(
        f"bare Flask app with a session after {views} requests: RSS "
        f"{status_mb(bare, 'VmRSS'):.1f} MB, peak {status_mb(bare, 'VmHWM'):.1f} MB"
    )


class Client:
    """A logged-in admin over HTTP."""

    def __init__(self, url: str) -> None:
        self.url = url
        jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        with self.opener.open(f"{url}/login") as response:
            login = response.read().decode()
        token = re.search(r'name="csrf_token" value="([^"]+)"', login)
        assert token, "no CSRF token on the login page"
        form = {"username": "admin", "password": PASSWORD, "csrf_token": token[1]}
        self.opener.open(f"{url}/login", data=urllib.parse.urlencode(form).encode()).read()

    def status(self, path: str) -> int:
        try:
            with self.opener.open(f"{self.url}{path}") as response:
                response.read()
                return int(response.status)
        except urllib.error.HTTPError as exc:
            return int(exc.code)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--playlists", type=int, default=50)
    parser.add_argument(
        "--cold",
        action="store_true",
        help="change the plan's revision before each request: every view is the first "
        "after an edit, so nothing the panel keeps per plan is reused",
    )
    parser.add_argument("--memory", action="store_true", help="the panel's RSS after --views")
    parser.add_argument("--views", type=int, default=1000)
    args = parser.parse_args()
    if args.memory:
        memory(args.views)
        return 0
    with tempfile.TemporaryDirectory(prefix="villagecast-bench-") as folder:
        settings = Settings(
            data_dir=Path(folder),
            tts=TtsSettings(engines=("espeak-ng",)),
            audio=AudioSettings(sink="recording"),
        )
        store = Store.open(settings.db_path)
        seed(store, settings, args.playlists, args.rows)
        users.set_password(store, "admin", PASSWORD)  # no first-login detour
        clock = dt.datetime.combine(settings.campaign.end, dt.time(20, 0), tzinfo=settings.tz)
        panel = Panel(settings, store, clock)
        pages = {"bare Flask route": "/bench/bare", "dashboard": "/"}
        if "/schedule" in panel.rules:
            pages["calendar"] = "/schedule"
        pages["as-run log"] = "/asrun"
        pages["as-run report"] = "/asrun/report"
        print(
            f"{args.playlists} playlists × {len(TIMES)} a day over "
            f"{settings.campaign.start}..{settings.campaign.end}, {args.rows} as-run rows, "
            f"{args.requests} requests a page over HTTP on loopback"
            + (", the plan changed before each" if args.cold else "")
        )
        before = (lambda: bump_plan_revision(store)) if args.cold else (lambda: None)
        results = {
            name: panel.time_and_cpu(path, args.requests, before) for name, path in pages.items()
        }
        base = percentile(results["bare Flask route"][0], 0.95)
        print(f"load average {os.getloadavg()[0]:.1f}")
        print(
            f"{'page':<18} {'median':>9} {'p95':>9} {'p95/bare':>9} "
            f"{'CPU median':>11} {'CPU p95':>9}"
        )
        worst = worst_cpu = 0.0
        for name, (seconds, cpu) in results.items():
            p95, cpu_p95 = percentile(seconds, 0.95), percentile(cpu, 0.95)
            if name != "bare Flask route":
                worst, worst_cpu = max(worst, p95), max(worst_cpu, cpu_p95)
            print(
                f"{name:<18} {statistics.median(seconds) * 1000:>7.1f}ms "
                f"{p95 * 1000:>7.1f}ms {p95 / base:>8.1f}x "
                f"{statistics.median(cpu) * 1000:>9.1f}ms {cpu_p95 * 1000:>7.1f}ms"
            )
        print(
            f"slowest page p95: {worst * 1000:.1f} ms, CPU {worst_cpu * 1000:.1f} ms "
            "(goal < 100 ms)"
        )
        panel.stop()
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
