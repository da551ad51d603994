"""The dashboard: what is on air, what comes next, the player's health and today's log."""

from __future__ import annotations

from flask import Blueprint, render_template

from playlists import asrun
from playlists.plan import day_range
from web.auth import login_required
from web.state import now, settings, store
from web.status import player_status, upcoming

bp = Blueprint("dashboard", __name__)

# Today's newest rows on the dashboard; the as-run log page has the whole day.
LOG_ROWS = 30


def render_dashboard(emergency_title: str = "", emergency_text: str = "") -> str:
    """Render the dashboard, keeping what was typed into the emergency form."""
    instant = now()
    tz = settings().tz
    today = instant.astimezone(tz).date()
    start, end = day_range(today, today, tz)
    rows = asrun.rows_between(store(), start, end)
    return render_template(
        "dashboard.html",
        status=player_status(store().status(), instant),
        next_up=upcoming(store(), settings(), instant),
        rows=rows[-LOG_ROWS:],
        rows_today=len(rows),
        today=today,
        emergency_title=emergency_title,
        emergency_text=emergency_text,
    )


@bp.route("/")
@login_required
def index() -> str:
    return render_dashboard()
