"""The system page: the station checks and the recent warnings and errors, for operators."""

from __future__ import annotations

from flask import Blueprint, render_template

from playlists.record import events
from web.auth import OPERATOR, role_required
from web.state import now, panel, settings, store
from web.system import EVENTS_SHOWN, sync_view

bp = Blueprint("system", __name__)


@bp.route("/system")
@role_required(OPERATOR)
def index() -> str:
    return render_template(
        "system.html",
        checks=panel().checks.results(settings(), now()),
        events=events.recent_events(store(), EVENTS_SHOWN),
        sync=sync_view(settings(), store().status()),
    )
