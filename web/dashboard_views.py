"""The dashboard: what is on air, what comes next, the player's health and today's log."""

from __future__ import annotations

import datetime as dt
import threading

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

    The report reads the whole log, so it is kept until what it counts changes: the
    plan's schedule entries (an edit of an announcement's text moves the plan revision
    and plans nothing else), the log, or the five minutes it counts due broadcasts by.
    """
    campaign, tz = settings().campaign, settings().tz
    slot = instant.replace(minute=instant.minute - instant.minute % 5, second=0, microsecond=0)
    last = min(campaign.end, station_date(slot, tz))
    if last < campaign.start:
        return Tally()
    log = store().query_one(
        "SELECT COUNT(*) AS n, MAX(id) AS last, MAX(ended_at) AS ended, "
        "SUM(status = 'playing') AS playing FROM as_run"
    )
    assert log is not None
    plan = plan_of(campaign.start, last)  # the plan the calendar keeps too
    days = (plan.first, plan.last, plan.tz, plan.quiet)
    key = (settings().db_path, days, plan.entries, tuple(log), slot)
    with _progress_lock:
        found = _progress.get(key)
    if found is None:
        report = campaign_report(store(), settings(), campaign.start, last, slot, plan.planned)
        found = report.totals
        with _progress_lock:
            _progress[key] = found
            while len(_progress) > PROGRESS_KEPT:
                del _progress[next(iter(_progress))]  # the oldest
    return found


PROGRESS_KEPT = 4
_progress: dict[tuple[object, ...], Tally] = {}
_progress_lock = threading.Lock()


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
