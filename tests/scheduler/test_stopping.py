"""SIGTERM and SIGINT stop the player and `up` without the handler ever blocking."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator

import pytest

from scheduler.stopping import stop_handler, stop_on_signals


def test_the_handler_returns_while_the_main_thread_holds_the_events_lock() -> None:
    stopping = threading.Event()
    handler = stop_handler(stopping, "test")

    def signal_inside_wait() -> None:
        # As if the signal came while this thread was inside stopping.wait(): setting
        # the event here would wait for a lock this very thread holds, forever.
        with stopping._cond:  # the very lock the old handler deadlocked on
            handler(signal.SIGTERM, None)

    main = threading.Thread(target=signal_inside_wait, daemon=True)
    main.start()
    main.join(5)
    assert not main.is_alive(), "the handler blocked on the event's lock"
    assert stopping.wait(5)


@pytest.fixture
def handlers_restored() -> Iterator[None]:
    saved = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)}
    yield
    for signum, handler in saved.items():
        signal.signal(signum, handler)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["term", "int"])
def test_a_real_signal_sets_the_event(signum: int, handlers_restored: None) -> None:
    stopping = threading.Event()
    stop_on_signals(stopping, "test")
    os.kill(os.getpid(), signum)
    assert stopping.wait(5)
