"""The tests' own process bookkeeping: each pytest process finds only what it started."""

from __future__ import annotations

import os
import subprocess
import sys

from tests import processes


def sleeper(marker: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, processes.MARKER: marker}
    return processes.start_in_group([sys.executable, "-c", "import time; time.sleep(30)"], env=env)


def test_a_worker_finds_its_own_processes_and_not_another_workers() -> None:
    mine = sleeper(os.environ[processes.MARKER])
    theirs = sleeper("another-worker")
    try:
        found = processes._marked_processes()
        assert mine.pid in found
        assert theirs.pid not in found, "another worker's process is not a leftover of this one"
    finally:
        processes.end(mine)
        processes.end(theirs)


def test_every_pytest_process_marks_its_own_run() -> None:
    before = os.environ[processes.MARKER]
    try:
        processes.mark_this_run()
        assert os.environ[processes.MARKER] != before, "a worker never keeps an inherited marker"
    finally:
        os.environ[processes.MARKER] = before
