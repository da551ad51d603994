"""Measure a town answering 500 villages that poll an unchanged feed, over real HTTP.

Run: .venv/bin/python bench/town_bench.py [--villages N] [--polls N] [--clients N] [--rounds N]

The town runs as its own process (the panel app on the panel's server, waitress with
8 threads on loopback, as `villagecast panel` serves it: web/serving.py) with N
villages (default 500), each with its real device token, and two shared playlists.
Each village first fetches the feed once (200, remembering the ETag), then polls it
--polls times (default 10) with If-None-Match: every answer must be a bodiless 304.
--clients threads (default 16) send the polls, villages shuffled, first each thread
over its own keep-alive connection, then each poll on a new connection that the
server closes after it (what a village's urllib does). By turns with the polls
(--rounds times, default 3), the same number of requests goes to a bare Flask route
on the same server, with the same headers: the baseline of waitress and Flask.
Printed, for both kinds of connection: median, p99 and max latency of both over all
rounds, requests a second, the town process's CPU time per request (from
/proc/<pid>/stat, so the clients' own work is not counted) and its ratio in each
round, with the load average.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import http.client
import logging
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playlists.content import playlist_table  # noqa: E402
from playlists.model import ItemKind, Review  # noqa: E402
from playlists.settings import AudioSettings, PanelSettings, Settings, TtsSettings  # noqa: E402
from playlists.store import Store  # noqa: E402
from playlists.town import sharing, villages  # noqa: E402

NOW = dt.datetime(2023, 3, 28, 3, 0, tzinfo=dt.UTC)
BARE = "/bench/bare"
FEED = "/town/v1/feed"


def bench_settings(folder: Path) -> Settings:
    return Settings(
        data_dir=folder,
        panel=PanelSettings(host="127.0.0.1", port=0),
        tts=TtsSettings(engines=("espeak-ng",)),
        audio=AudioSettings(sink="recording"),
    )


def seed(settings: Settings, count: int) -> list[str]:
    """Share two playlists and register the villages; return their device tokens."""
    store = Store.open(settings.db_path)
    for name in ("社会工作宣传", "防诈骗提醒"):
        items = [playlist_table.NewItem(ItemKind.PAUSE, 20.0)]
        playlist_id = playlist_table.add_playlist(
            store, name, "", items, NOW, review=Review.APPROVED, created_by="bench"
        )
        sharing.share(store, settings, playlist_id, "bench", NOW)
    secrets = [villages.add_village(store, f"村{n:03d}", "bench", NOW) for n in range(count)]
    store.close()
    return secrets


def serve(folder: Path, port_file: Path) -> None:
    """Run in the town process: the panel app on the panel's server, with a bare route."""
    from web import create_app
    from web.serving import PanelServer, bind
    from web.uploads import serving_limits

    # 16 clients keep the 8 threads busy on purpose: waitress's queue warnings are noise here.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    settings = bench_settings(folder)
    app = create_app(settings)
    app.add_url_rule(BARE, "bench_bare", lambda: "ok")
    server = bind(app, settings.panel, serving_limits(app, settings))  # as `villagecast panel`
    assert isinstance(server, PanelServer)
    port_file.write_text(str(server.effective_port))
    server.run()


def cpu_seconds(pid: int) -> float:
    """Return a process's user + system CPU time so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_requests(
    port: int, jobs: list[tuple[str, dict[str, str]]], clients: int, expect: int, fresh: bool
) -> list[float]:
    """Send every (path, headers) job from `clients` threads; time each.

    Each thread keeps one keep-alive connection, or with `fresh` opens one per request
    and asks the server to close it, as a village's urllib does.
    """
    latencies: list[float] = []
    lock = threading.Lock()
    chunks = [jobs[n::clients] for n in range(clients)]
    close = {"Connection": "close"} if fresh else {}

    def work(chunk: list[tuple[str, dict[str, str]]]) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine = []
        for path, headers in chunk:
            start = time.perf_counter()
            connection.request("GET", path, headers=headers | close)
            response = connection.getresponse()
            response.read()
            mine.append(time.perf_counter() - start)
            assert response.status == expect, (path, response.status)
            if fresh:
                connection.close()
        connection.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=work, args=(chunk,)) for chunk in chunks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies


def first_polls(port: int, tokens: list[str]) -> dict[str, str]:
    """Each village's first, unconditional fetch: 200 with the ETag it keeps."""
    etags = {}
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    for secret in tokens:
        connection.request("GET", FEED, headers={"Authorization": f"Bearer {secret}"})
        response = connection.getresponse()
        response.read()
        assert response.status == 200, response.status
        etags[secret] = response.headers["ETag"]
    connection.close()
    return etags


def measure(pid: int, send: Callable[[], list[float]]) -> tuple[list[float], float, float]:
    """Return latencies, wall seconds and the town's CPU seconds for one phase."""
    cpu, wall = cpu_seconds(pid), time.perf_counter()
    latencies = send()
    return latencies, time.perf_counter() - wall, cpu_seconds(pid) - cpu


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def report(name: str, latencies: list[float], wall: float, cpu: float) -> None:
    count = len(latencies)
    print(
        f"{name:<22} {statistics.median(latencies) * 1000:>7.2f}ms "
        f"{percentile(latencies, 0.99) * 1000:>7.2f}ms {max(latencies) * 1000:>7.2f}ms "
        f"{count / wall:>8.0f}/s {cpu * 1000 / count:>8.3f}ms"
    )


def compare(
    pid: int,
    port: int,
    jobs: dict[str, list[tuple[str, dict[str, str]]]],
    clients: int,
    fresh: bool,
    rounds: int,
) -> None:
    """Time the bare route and the feed's polls by turns over one kind of connection."""
    way = "a new connection per request (as villages' urllib)" if fresh else "keep-alive"
    expect = {"bare Flask route": 200, "feed, 304": 304}
    pooled: dict[str, tuple[list[float], float, float]] = {name: ([], 0.0, 0.0) for name in jobs}
    cpu_ratios = []
    for _round in range(rounds):  # by turns, so a change of load falls on both
        cpu = {}
        for name, requests in jobs.items():
            send = functools.partial(run_requests, port, requests, clients, expect[name], fresh)
            latencies, wall, spent = measure(pid, send)
            kept = pooled[name]
            pooled[name] = (kept[0] + latencies, kept[1] + wall, kept[2] + spent)
            cpu[name] = spent / len(latencies)
        cpu_ratios.append(cpu["feed, 304"] / cpu["bare Flask route"])
    print(f"\n{way}, {rounds} rounds by turns")
    print(f"{'':<22} {'median':>9} {'p99':>9} {'max':>9} {'rate':>10} {'town CPU/req':>11}")
    for name, figures in pooled.items():
        report(name, *figures)
    bare, feed = pooled["bare Flask route"], pooled["feed, 304"]
    ratio = percentile(feed[0], 0.99) / percentile(bare[0], 0.99)
    cpu_ratio = (feed[2] / len(feed[0])) / (bare[2] / len(bare[0]))
    rounds_text = ", ".join(f"{r:.2f}" for r in cpu_ratios)
    print(
        f"feed p99 / bare p99: {ratio:.2f}x; town CPU per poll / bare: {cpu_ratio:.2f}x "
        f"(rounds: {rounds_text})"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--villages", type=int, default=500)
    parser.add_argument("--polls", type=int, default=10)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--serve", nargs=2, metavar=("DATA", "PORTFILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(Path(args.serve[0]), Path(args.serve[1]))
        return 0
    with tempfile.TemporaryDirectory(prefix="villagecast-town-bench-") as folder:
        data, port_file = Path(folder) / "data", Path(folder) / "port"
        tokens = seed(bench_settings(data), args.villages)
        server = subprocess.Popen(
            [sys.executable, __file__, "--serve", str(data), str(port_file)], cwd=ROOT
        )
        try:
            while not port_file.exists() or not port_file.read_text():
                time.sleep(0.05)
            port = int(port_file.read_text())
            etags = first_polls(port, tokens)
            polls = [
                (FEED, {"Authorization": f"Bearer {t}", "If-None-Match": etags[t]})
                for t in tokens
                for _ in range(args.polls)
            ]
            random.Random(1).shuffle(polls)
            bare = [(BARE, headers) for _path, headers in polls]
            run_requests(port, bare[:500], args.clients, 200, False)  # warm both paths
            run_requests(port, polls[:500], args.clients, 304, False)
            print(
                f"{args.villages} villages × {args.polls} conditional polls of an unchanged feed "
                f"({len(polls)} requests), {args.clients} clients, town on loopback; "
                f"load average {os.getloadavg()[0]:.1f}"
            )
            jobs = {"bare Flask route": bare, "feed, 304": polls}
            for fresh in (False, True):
                compare(server.pid, port, jobs, args.clients, fresh, args.rounds)
            print(f"load average after: {os.getloadavg()[0]:.1f}")
        finally:
            server.terminate()
            server.wait(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
