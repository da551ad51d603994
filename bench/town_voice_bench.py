"""Measure what the town's speech of an emergency costs before it goes to the villages.

Run: .venv/bin/python bench/town_voice_bench.py [--rounds N] [--engines E ...]

A town speaks a text emergency with its own chain and sends the speech with it when
its voice is clearer than the villages' instant mbrola (playlists/town/emergency_dispatch.py).
For three texts (a short warning, a notice, the longest text an emergency takes:
500 characters), each --rounds times (default 3) on a fresh data folder, so that no
clip is found in the cache: the seconds spoken_by_town takes (speech, leveling, Ogg
Opus) and the bytes it adds to the message, against the baseline in the same run: the
same text spoken by mbrola, as a village does the instant the message arrives. The
chain is --engines (default: the offline chain, fastspeech2 then mbrola; no network
here for the online voices).
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playlists.content.ingest import Ingest, chain_from_settings  # noqa: E402
from playlists.settings import Settings, TtsSettings  # noqa: E402
from playlists.store import Store  # noqa: E402
from playlists.sync.emergency_wire import new_emergency  # noqa: E402
from playlists.town.emergency_dispatch import spoken_by_town  # noqa: E402

NOTICE = (
    "各位村民请注意：今晚八点到明早六点有强降雨，河水可能上涨。请沿河居住的村民立即转移到"
    "村委会和小学，老人和孩子优先。有困难请拨打村委会电话0591-12345678，或者拨打110。"
)
TEXTS = {
    "warning (15 chars)": "河水上涨，请沿河村民立即转移。",
    f"notice ({len(NOTICE)} chars)": NOTICE,
    "longest (500 chars)": (NOTICE * 6)[:500],
}
NOW = dt.datetime(2026, 12, 5, 8, 0, tzinfo=dt.UTC)


def timed(engines: tuple[str, ...], text: str) -> tuple[float, str, int]:
    """Return the seconds spoken_by_town took on a fresh station, the engine and bytes."""
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(data_dir=Path(folder), tts=TtsSettings(engines=engines))
        store = Store.open(settings.db_path)
        try:
            ingest = Ingest(store, settings, chain_from_settings(settings))
            message = new_emergency("", text, 1, dt.timedelta(minutes=30), NOW)
            began = time.perf_counter()
            carried, engine = spoken_by_town(ingest, message)
            return time.perf_counter() - began, engine, len(carried.audio)
        finally:
            store.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--engines", nargs="+", default=["fastspeech2", "mbrola"])
    args = parser.parse_args()
    engines = tuple(args.engines)
    print(f"town chain {list(engines)}, {args.rounds} rounds, median seconds (min-max)")
    print(f"{'text':<22} {'town speaks':>20} {'mbrola (village)':>20} {'ratio':>7}  engine, bytes")
    for label, text in TEXTS.items():
        town = [timed(engines, text) for _ in range(args.rounds)]
        # The baseline: mbrola alone, which the town does not send (no clearer).
        village = [timed(("mbrola",), text)[0] for _ in range(args.rounds)]
        seconds = [t for t, _, _ in town]
        _, engine, size = town[-1]
        mid, base = statistics.median(seconds), statistics.median(village)
        print(
            f"{label:<22} {mid:>6.2f} ({min(seconds):.2f}-{max(seconds):.2f}) "
            f"{base:>8.2f} ({min(village):.2f}-{max(village):.2f}) {mid / base:>6.0f}x  "
            f"{engine or 'none: the villages speak it'}, {size / 1024:.0f} KB"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
