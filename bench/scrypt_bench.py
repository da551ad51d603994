"""Time one password check at each scrypt cost the panel could use, and its memory.

Run: .venv/bin/python bench/scrypt_bench.py [--rounds N]
Prints, per cost, the fastest and the median of N checks (default 5) and the memory
one check holds (128 * r * n bytes). A Raspberry Pi core is about 4-6 times slower
than a current x86 server core; the last column multiplies the median by that.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import time

COSTS = ((2**14, 8, 1), (2**15, 8, 1), (2**15, 8, 3), (2**16, 8, 1), (2**16, 8, 2), (2**17, 8, 1))


def time_check(n: int, r: int, p: int) -> float:
    start = time.perf_counter()
    hashlib.scrypt(b"correct-horse", salt=os.urandom(16), n=n, r=r, p=p, maxmem=256 * r * n + 2**20)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    print(f"{'cost':<18} {'fastest':>8} {'median':>8} {'memory':>8} {'Pi (x4-6)':>12}")
    for n, r, p in COSTS:
        times = [time_check(n, r, p) for _ in range(args.rounds)]
        median = statistics.median(times)
        label = f"n=2^{n.bit_length() - 1} r={r} p={p}"
        memory = f"{128 * r * n // 2**20} MiB"
        pi = f"{median * 4:.1f}-{median * 6:.1f} s"
        fastest, middle = min(times) * 1000, median * 1000
        print(f"{label:<18} {fastest:>6.0f}ms {middle:>6.0f}ms {memory:>8} {pi:>12}")


if __name__ == "__main__":
    main()
