"""Stop on SIGTERM or SIGINT without ever blocking inside the signal handler."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from types import FrameType

log = logging.getLogger(__name__)

Handler = Callable[[int, FrameType | None], None]


def stop_handler(stopping: threading.Event, name: str) -> Handler:
    """Return a signal handler that sets `stopping` from a fresh thread.

    A handler runs in the main thread between two bytecodes, possibly while that thread
    holds the event's own lock inside `stopping.wait()`; calling `set()` (or logging)
    there can deadlock, and `up` once hung on SIGTERM that way. A short thread takes the
    lock once the main thread lets go of it.
    """

    def handle(signum: int, frame: FrameType | None) -> None:
        threading.Thread(target=_stop, args=(stopping, name, signum), daemon=True).start()

    return handle


def _stop(stopping: threading.Event, name: str, signum: int) -> None:
    log.info("%s: signal %d, stopping", name, signum)
    stopping.set()


def stop_on_signals(stopping: threading.Event, name: str) -> None:
    """Set `stopping` on SIGTERM and SIGINT (a shell starts background jobs ignoring SIGINT)."""
    handler = stop_handler(stopping, name)
    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
