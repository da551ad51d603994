"""The dashboard: what is on air, what comes next, the player's health and today's log."""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path

from flask import Blueprint, g, render_template

from playlists.clock import station_date, station_today
from playlists.content.review_news import NEWS_DAYS, review_news
from playlists.plan import day_range
from playlists.record import asrun
from playlists.record.report import campaign_report
from playlists.record.tally import Tally
from web.auth import login_required
from web.plan_cache import plan_of
from web.state import now, settings, store
from web.status import player_status, upcoming

bp = Blueprint("dashboard", __name__)

# Today's newest rows on the dashboard; the as-run log page has the whole day.
LOG_ROWS = 30


def campaign_progress(instant: dt.datetime) -> Tally:
    """The campaign so far: planned, due, played, missed... (the town report's totals).

    The report reads the whole log, so it is kept until the plan or the log changes, or
    five minutes pass (more broadcasts fall due): the dashboard stays fast all campaign.
    """
    log = store().query_one(
        "SELECT COUNT(*) AS n, MAX(id) AS last, MAX(ended_at) AS ended, "
        "SUM(status = 'playing') AS playing FROM as_run"
    )
    assert log is not None
    version = (store().plan_revision(), log["n"], log["last"], log["ended"], log["playing"])
    slot = instant.replace(minute=instant.minute - instant.minute % 5, second=0, microsecond=0)
    return _progress(settings().db_path, version, slot)


@functools.lru_cache(maxsize=4)
def _progress(db_path: Path, version: tuple[object, ...], slot: dt.datetime) -> Tally:
    campaign = settings().campaign
    last = min(campaign.end, station_date(slot, settings().tz))
    if last < campaign.start:
        return Tally()
    planned = plan_of(campaign.start, last).planned  # the plan the calendar keeps too
    return campaign_report(store(), settings(), campaign.start, last, slot, planned).totals


def render_dashboard(emergency_title: str = "", emergency_text: str = "") -> str:
    """Render the dashboard, keeping what was typed into the emergency form."""
    instant = now()
    tz = settings().tz
    today = station_today(instant, tz)
    start, end = day_range(today, today, tz)
    rows = asrun.rows_between(store(), start, end)
    return render_template(
        "dashboard.html",
        status=player_status(store().status(), instant),
        next_up=upcoming(store(), settings(), instant),
        rows=rows[-LOG_ROWS:],
        rows_today=len(rows),
        progress=campaign_progress(instant),
        review_news=review_news(store(), g.user.username, instant),
        news_days=NEWS_DAYS,
        campaign=settings().campaign,
        today=today,
        emergency_title=emergency_title,
        emergency_text=emergency_text,
    )


@bp.route("/")
@login_required
def index() -> str:
    return render_dashboard()
