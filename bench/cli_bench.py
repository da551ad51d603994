"""Measure how fast `villagecast` commands start, beside a bare Python in the same run.

Run: .venv/bin/python bench/cli_bench.py [--runs N]

Each command runs N times (default 10) as a fresh process: `python -c pass` (the
floor), `villagecast --help`, `plan` of a week on an empty store, and `import flask`
for scale. Printed: median and max wall time, peak RSS (ru_maxrss of the child) and
the ratio of the median to the bare interpreter's.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def run_once(argv: list[str], cwd: Path) -> tuple[float, float]:
    """Run a process; return its wall time and peak RSS in MB."""
    began = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # the child: no pipes, the output goes to /dev/null
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        os.chdir(cwd)
        os.execv(argv[0], argv)
    _, status, usage = os.wait4(pid, 0)
    seconds = time.perf_counter() - began
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{argv} failed")
    return seconds, usage.ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="villagecast-bench-") as folder:
        config = Path(folder) / "config.yaml"
        config.write_text("tts: {engines: [espeak-ng]}\naudio: {sink: recording}\n")
        cli = [sys.executable, "-m", "scheduler", "--config", str(config)]
        cases = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "villagecast --help": [*cli, "--help"],
            "villagecast plan (a week)": [*cli, "plan", "--from", "2023-03-28"],
            "villagecast plan --json": [*cli, "plan", "--from", "2023-03-28", "--json"],
            "python -c 'import flask'": [sys.executable, "-c", "import flask"],
        }
        warm_up = cases["villagecast plan (a week)"]
        subprocess.run(warm_up, capture_output=True, check=True, cwd=folder)
        bare = 0.0
        for name, argv in cases.items():
            runs = [run_once(argv, Path(folder)) for _ in range(args.runs)]
            median = statistics.median(s for s, _ in runs)
            bare = bare or median
            print(
                f"{name:<28} median {median * 1000:6.0f} ms  max "
                f"{max(s for s, _ in runs) * 1000:6.0f} ms  peak RSS "
                f"{max(m for _, m in runs):5.1f} MB  {median / bare:5.1f}x bare",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
