"""Processes the tests start: each in its own process group, every group ended afterwards.

Every process of a run carries a marker in its environment (set once per run), so the
end of the session can find any that outlived the tests, orphans included, and end them.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import threading
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

MARKER = "VILLAGECAST_TEST_RUN"


def mark_this_run() -> None:
    """Put this run's marker in the environment every child process inherits.

    Each pytest process that runs tests marks its own: two xdist workers must never see
    each other's processes, nor each other, as leftovers.
    """
    os.environ[MARKER] = f"{os.getpid()}-{uuid.uuid4().hex}"


def _marked_processes() -> dict[int, str]:
    """Return pid → command line of every other process that carries this run's marker."""
    needle = f"{MARKER}={os.environ.get(MARKER, '')}".encode()
    found: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if needle not in (entry / "environ").read_bytes().split(b"\0"):
                continue
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:  # gone meanwhile, or a zombie whose environment is unreadable
            continue
        if argv and argv[0]:  # a zombie has an empty command line: its parent reaps it
            found[int(entry.name)] = " ".join(a.decode(errors="replace") for a in argv if a)
    return found


def leftovers(grace: float = 5.0) -> list[str]:
    """Wait up to grace seconds for this run's processes to end; end and return the rest."""
    if MARKER not in os.environ:
        return []
    deadline = time.monotonic() + grace
    found = _marked_processes()
    while found and time.monotonic() < deadline:
        time.sleep(0.1)
        found = _marked_processes()
    for pid in found:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return [f"{pid}: {argv}" for pid, argv in sorted(found.items())]


def start_in_group(argv: Sequence[str], **popen: Any) -> subprocess.Popen[Any]:
    """Start argv in a process group of its own, so that ending it ends its children too."""
    return subprocess.Popen(list(argv), start_new_session=True, **popen)


def end(process: subprocess.Popen[Any], timeout: float = 10.0) -> None:
    """End process and everything in its group: SIGTERM, then SIGKILL after timeout."""
    for signum, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5.0)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signum)
        try:
            process.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            continue
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # children that outlived their leader
        return


class Processes:
    """The processes one test started; all ended when the test ends, passed or failed."""

    def __init__(self) -> None:
        self.started: list[subprocess.Popen[Any]] = []

    def start(self, argv: Sequence[str], **popen: Any) -> subprocess.Popen[Any]:
        process = start_in_group(argv, **popen)
        self.started.append(process)
        return process

    def end_all(self) -> None:
        for process in reversed(self.started):
            end(process)


class Output:
    """Read a child's text pipe in a thread, so the child never blocks on a full pipe."""

    def __init__(self, pipe: IO[str]) -> None:
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._read, args=(pipe,), daemon=True)
        self._thread.start()

    def _read(self, pipe: IO[str]) -> None:
        for line in pipe:
            with self._changed:
                self.lines.append(line)
                self._changed.notify_all()

    def wait_for(self, pattern: str, timeout: float) -> re.Match[str]:
        """Return the first match of pattern in a line, waiting up to timeout seconds."""
        compiled = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for line in self.lines:
                    if match := compiled.search(line):
                        return match
                left = deadline - time.monotonic()
                if left <= 0 or not self._thread.is_alive():
                    raise AssertionError(f"no line matching {pattern!r}: {self.text()!r}")
                self._changed.wait(min(left, 0.2))

    def text(self) -> str:
        """Return everything read so far (all of it once the pipe is closed)."""
        return "".join(self.lines)

    def close(self, timeout: float = 5.0) -> str:
        """Wait for the pipe to close and return everything it carried."""
        self._thread.join(timeout)
        return self.text()


PANEL_LISTENS = r"panel listening on (http://[\d.]+:\d+)/"
