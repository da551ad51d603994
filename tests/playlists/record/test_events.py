"""Warnings and errors kept in the store for the panel's system page."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from playlists.record import events
from playlists.store import Store


@pytest.fixture
def handler(store: Store) -> Iterator[events.StoreLogHandler]:
    installed = events.install(store, "player")
    yield installed
    logging.getLogger().removeHandler(installed)


def test_warnings_and_errors_are_kept_newest_first(
    store: Store, handler: events.StoreLogHandler
) -> None:
    log = logging.getLogger("scheduler.playout")
    log.info("on air: 通知")  # not kept
    log.warning("skipped: 通知 (quiet hours)")
    try:
        raise RuntimeError("no sound card")
    except RuntimeError:
        log.exception("updating the screens failed")
    kept = events.recent_events(store)
    assert [(e.level, e.message) for e in kept] == [
        ("ERROR", "updating the screens failed (RuntimeError: no sound card)"),
        ("WARNING", "skipped: 通知 (quiet hours)"),
    ]
    assert {e.process for e in kept} == {"player"}
    assert kept[0].source == "scheduler.playout"


def test_only_the_newest_are_kept(store: Store, handler: events.StoreLogHandler) -> None:
    log = logging.getLogger("t")
    for n in range(events.KEEP + 20):
        log.warning("warning %d", n)
    rows = store.query_one("SELECT COUNT(*) AS n FROM events")
    assert rows is not None and rows["n"] == events.KEEP
    assert events.recent_events(store, 1)[0].message == f"warning {events.KEEP + 19}"


def test_a_broken_store_never_breaks_the_logger(
    store: Store, handler: events.StoreLogHandler, capsys: pytest.CaptureFixture[str]
) -> None:
    store.conn.execute("DROP TABLE events")
    logging.getLogger("t").error("still logged elsewhere")  # must not raise
    assert "Logging error" in capsys.readouterr().err
