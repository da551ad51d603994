"""The daemon's timeline: APScheduler's per-job lines stay out of the INFO log."""

from __future__ import annotations

import datetime as dt
import logging
from zoneinfo import ZoneInfo

import pytest

from scheduler.timeline import SchedulerTimeline


@pytest.mark.parametrize(
    ("level", "job_lines"), [(logging.INFO, 0), (logging.DEBUG, 4)], ids=["info", "debug"]
)
def test_job_detail_is_logged_at_debug_only(
    caplog: pytest.LogCaptureFixture, level: int, job_lines: int
) -> None:
    timeline = SchedulerTimeline(ZoneInfo("Asia/Shanghai"), grace_seconds=60)
    with caplog.at_level(level, logger="apscheduler"):
        timeline.start()
        try:
            for key in ("a", "b"):
                timeline.call_at(key, timeline.now() + dt.timedelta(hours=1), lambda: None)
                timeline.cancel(key)
        finally:
            timeline.shutdown()
    added_removed = [r for r in caplog.records if r.getMessage().startswith(("Added", "Removed"))]
    assert [r.levelno for r in added_removed] == [logging.DEBUG] * job_lines
    assert not [r for r in caplog.records if r.levelno == logging.INFO and "job" in r.msg]
    assert "Scheduler started" in [r.getMessage() for r in caplog.records]
