"""media/online.py: an online call with a hard limit on the whole call."""

from __future__ import annotations

import threading
import time

import pytest

from media.errors import TtsError
from media.online import fetch_within


def fail() -> bytes:
    raise ConnectionError("refused")


def test_returns_what_the_download_gives() -> None:
    assert fetch_within(lambda: b"mp3", 1.0, "svc", str) == b"mp3"


def test_a_failure_is_described_by_the_engine() -> None:
    with pytest.raises(TtsError, match=r"svc: network: refused") as caught:
        fetch_within(fail, 1.0, "svc", lambda exc: f"network: {exc}")
    assert isinstance(caught.value.__cause__, ConnectionError)


def test_a_hang_is_abandoned_at_the_limit() -> None:
    release = threading.Event()
    began = time.monotonic()
    with pytest.raises(TtsError, match=r"timed out after 0\.2 s"):
        fetch_within(lambda: release.wait(30) and b"late", 0.2, "svc", str)
    assert time.monotonic() - began < 5
    release.set()  # the abandoned worker ends; it never wrote anything
