"""The plan of one station day: what is due and what the as-run log says happened."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, render_template, request
from flask_babel import gettext as _

from playlists.clock import station_today
from playlists.model import AsRunRow
from playlists.plan import day_range, station_plan
from playlists.record import asrun
from web.api_fields import day_of
from web.auth import login_required
from web.state import now, settings, store

bp = Blueprint("plan", __name__)


def parse_day(value: str | None, default: dt.date) -> dt.date:
    """Parse a YYYY-MM-DD query value, aborting with 400 on anything else."""
    if not value:
        return default
    try:
        return day_of(value)
    except ValueError:
        abort(400, _("Write the day as a date like 2023-03-28."))


@bp.route("/plan")
@login_required
def index() -> str:
    tz = settings().tz
    today = station_today(now(), tz)
    day = parse_day(request.args.get("day"), today)
    start, end = day_range(day, day, tz)
    rows = asrun.rows_between(store(), start, end)
    by_occurrence: dict[str, AsRunRow] = {row.occurrence: row for row in rows if row.occurrence}
    return render_template(
        "plan.html",
        day=day,
        today=today,
        previous_day=day - dt.timedelta(days=1),
        next_day=day + dt.timedelta(days=1),
        planned=station_plan(store(), settings(), start, end),
        by_occurrence=by_occurrence,
        rows=rows,
    )
