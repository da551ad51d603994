"""Measure a town emergency reaching 500 villages through one mosquitto on this machine.

Run: .venv/bin/python bench/emergency_bench.py [--villages N] [--rounds N] [--workers N]

The town's broker is a real mosquitto on loopback, set up by the project's own files
(TLS with the town CA, a password per village, the ACL). N simulated villages (default
500), spread over --workers processes (default 4; keep each under about 300 villages:
paho's network loop uses select(), which takes only file descriptors below 1,024, and
each client holds three), each hold a paho MQTT v5 connection with their own
credential, subscribed to the town-wide topic. On a message a village does what the
real one does before speaking: check the Ed25519 signature and the deadline, then
answers ``received`` on its own topic (no speech: this measures the broker path, not
espeak-ng). The town signs and publishes --rounds emergencies (default 5), one after
another, and waits for every village's answer. Printed: mosquitto's resident memory
once all are connected, answers received, the latency from the town's publish to each
answer (p50, p99, max, measured in the town's process), and CPU time per emergency of
mosquitto and of the town's client process (from /proc/<pid>/stat and process_time, so
the simulated villages' own work is not counted).
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import multiprocessing
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playlists.bundles.keys import generate_keys, load_signing_key  # noqa: E402
from playlists.sync import broker_client, broker_topics  # noqa: E402
from playlists.sync.emergency_wire import (  # noqa: E402
    ACK_SUBJECT,
    SUBJECT,
    AckState,
    decode,
    decode_ack,
    encode,
    encode_ack,
    new_emergency,
)
from playlists.town import broker_passwords, broker_setup  # noqa: E402

HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """Return a process's user + system CPU time from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    """Return a process's resident memory in MB from /proc/<pid>/status."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def villages(port: int, ca: str, tokens: list[str], key_line: str, ready: Any, stop: Any) -> None:
    """Run simulated villages: check each message as a village does, answer received."""
    from playlists.bundles.keys import parse_public_key

    logging.getLogger("paho").setLevel(logging.CRITICAL)  # "not connected" at the end
    trusted = [parse_public_key(key_line)]
    clients = []
    for token in tokens:
        user = broker_topics.user_for_token(token)
        client = broker_client.make_client(user, token, Path(ca), client_id=user)
        client.on_connect = lambda c, *args: c.subscribe(broker_topics.to_all(SUBJECT), qos=1)
        client.on_subscribe = lambda *args: ready.release()

        def on_message(c: Any, userdata: Any, message: Any, user: str = user) -> None:
            now = dt.datetime.now(dt.UTC)
            emergency = decode(bytes(message.payload), trusted)
            if emergency.deadline > now:
                ack = encode_ack(emergency.id, AckState.RECEIVED, "", now)
                c.publish(broker_topics.from_village(user, ACK_SUBJECT), ack, qos=1)

        client.on_message = on_message
        client.connect(HOST, port)
        client.loop_start()
        clients.append(client)
    stop.wait()
    for client in clients:
        client.disconnect()
        client.loop_stop()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--villages", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="emergency-bench-") as tmp:
        return run(Path(tmp), args.villages, args.rounds, args.workers)


def run(folder: Path, count: int, rounds: int, workers: int) -> int:
    files = broker_setup.BrokerFiles(folder / "broker")
    port = free_port()
    broker_setup.init_broker(files, "bench", [HOST], port, HOST, dt.datetime.now(dt.UTC))
    tokens = ["vcd_" + secrets.token_urlsafe(32) for _ in range(count)]
    entries = broker_passwords.read_entries(files.passwords)
    for token in tokens:
        entries[broker_topics.user_for_token(token)] = broker_passwords.hash_password(token)
    files.passwords.write_text("".join(f"{u}:{h}\n" for u, h in entries.items()))
    key = load_signing_key(generate_keys(folder / "keys", "town")[0])
    broker = subprocess.Popen(
        ["mosquitto", "-c", str(files.config)],
        start_new_session=True,
        stderr=subprocess.DEVNULL,
    )
    context = multiprocessing.get_context("fork")
    ready, stop = context.Semaphore(0), context.Event()
    procs = []
    try:
        time.sleep(0.5)  # mosquitto opens its listener
        started = time.monotonic()
        for index in range(workers):
            share = tokens[index::workers]
            proc = context.Process(
                target=villages,
                args=(port, str(files.ca_cert), share, key.public.line, ready, stop),
            )
            proc.start()
            procs.append(proc)
        for _ in range(count):
            if not ready.acquire(timeout=120):
                print("not every village subscribed within 120 s", file=sys.stderr)
                return 1
        print(
            f"{count} villages connected over TLS and subscribed in "
            f"{time.monotonic() - started:.1f} s; mosquitto holds {rss_mb(broker.pid):.0f} MB"
        )
        return measure(files, port, key, count, rounds, broker.pid)
    finally:
        stop.set()
        for proc in procs:
            proc.join(timeout=30)
            if proc.is_alive():
                proc.kill()
        os.killpg(broker.pid, 15)
        broker.wait(timeout=10)


def measure(
    files: broker_setup.BrokerFiles, port: int, key: Any, count: int, rounds: int, broker_pid: int
) -> int:
    arrived: dict[str, list[float]] = {}
    changed = threading.Condition()

    def on_message(client: Any, userdata: Any, message: Any) -> None:
        ident, _, _ = decode_ack(bytes(message.payload))
        with changed:
            arrived.setdefault(ident, []).append(time.monotonic())
            changed.notify_all()

    town = broker_client.make_client(
        broker_topics.TOWN_USER, broker_setup.town_password(files), files.ca_cert
    )
    subscribed = threading.Event()
    town.on_message = on_message
    town.on_subscribe = lambda *args: subscribed.set()
    town.connect(HOST, port)
    town.loop_start()
    town.subscribe(f"{broker_topics.FROM}/+/{ACK_SUBJECT}", qos=1)
    subscribed.wait(10)
    latencies: list[float] = []
    answered = 0
    broker_cpu, town_cpu = cpu_seconds(broker_pid), time.process_time()
    for _ in range(rounds):
        now = dt.datetime.now(dt.UTC)
        message = new_emergency(
            "防汛", "河水上涨，请沿河村民立即转移。", 1, dt.timedelta(minutes=10), now
        )
        payload = encode(message, key)
        sent = time.monotonic()
        town.publish(
            broker_topics.to_all(SUBJECT),
            payload,
            qos=1,
            properties=broker_client.expiring(message.seconds_left(now)),
        )
        ident = message.id
        with changed:
            changed.wait_for(lambda ident=ident: len(arrived.get(ident, [])) >= count, 60)
            times = list(arrived.get(ident, []))
        answered += len(times)
        latencies += [(t - sent) * 1000 for t in times]
    broker_cpu = cpu_seconds(broker_pid) - broker_cpu
    town_cpu = time.process_time() - town_cpu
    town.disconnect()
    town.loop_stop()
    print(f"answers: {answered} of {count * rounds} ({rounds} emergencies × {count} villages)")
    print(
        f"town publish → village answer: p50 {statistics.median(latencies):.0f} ms, "
        f"p99 {percentile(latencies, 0.99):.0f} ms, max {max(latencies):.0f} ms"
    )
    print(
        f"CPU per emergency: mosquitto {broker_cpu / rounds * 1000:.0f} ms, "
        f"town client process {town_cpu / rounds * 1000:.0f} ms"
    )
    return 0 if answered == count * rounds else 1


if __name__ == "__main__":
    sys.exit(main())
