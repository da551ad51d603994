"""Measure how fast `villagecast` commands start, beside a bare Python in the same run.

Run: .venv/bin/python bench/cli_bench.py [--runs N]

Each command runs N times (default 10) as a fresh process: `python -c pass` (the
floor), `villagecast --help`, `plan` of a week on an empty store, and `import flask`
for scale. Printed: median and max wall time, median CPU time (user + system of the
child: the figure the machine's load moves least), peak RSS (ru_maxrss of the child)
and the ratio of the median to the bare interpreter's.

The children may write and read bytecode caches (PYTHONDONTWRITEBYTECODE is dropped
from their environment; the warm-up run writes them), as an installed villagecast
does: without them every run compiles the project's modules again, about 0.1 s here.
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


def run_once(argv: list[str], cwd: Path) -> tuple[float, float, float]:
    """Run a process; return its wall time, CPU time and peak RSS in MB."""
    began = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # the child: no pipes, the output goes to /dev/null
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        os.chdir(cwd)
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        os.execve(argv[0], argv, env)
    _, status, usage = os.wait4(pid, 0)
    seconds = time.perf_counter() - began
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{argv} failed")
    return seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


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
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        subprocess.run(warm_up, capture_output=True, check=True, cwd=folder, env=env)
        bare = 0.0
        for name, argv in cases.items():
            runs = [run_once(argv, Path(folder)) for _ in range(args.runs)]
            median = statistics.median(s for s, _, _ in runs)
            cpu = statistics.median(c for _, c, _ in runs)
            bare = bare or median
            print(
                f"{name:<28} median {median * 1000:6.0f} ms  max "
                f"{max(s for s, _, _ in runs) * 1000:6.0f} ms  CPU {cpu * 1000:5.0f} ms  "
                f"peak RSS {max(m for _, _, m in runs):5.1f} MB  {median / bare:5.1f}x bare",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
