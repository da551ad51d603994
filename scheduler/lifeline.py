"""Child processes that end with their parent, so `villagecast up` never leaves one behind.

Linux sends a child a chosen signal when its parent dies (prctl PR_SET_PDEATHSIG), even
when the parent is killed with SIGKILL and has no chance to stop its children itself.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Sequence
from typing import Any

_PR_SET_PDEATHSIG = 1


def _ending_with(parent: int) -> Callable[[], None] | None:
    """Return a pre-exec hook that ties the child to parent, or None off Linux."""
    if not sys.platform.startswith("linux"):
        return None
    # Loaded here, before the fork: the hook runs in the child and must not load a library.
    libc = ctypes.CDLL(None, use_errno=True)

    def hook() -> None:
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:  # the parent died before the line above took effect
            os.kill(os.getpid(), signal.SIGTERM)

    return hook


def start_child(argv: Sequence[str], **popen: Any) -> subprocess.Popen[Any]:
    """Start argv as a child that gets SIGTERM when this process dies, however it dies."""
    return subprocess.Popen(list(argv), preexec_fn=_ending_with(os.getpid()), **popen)
