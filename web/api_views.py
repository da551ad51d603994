"""The JSON API under /api/v1: status, plan, broadcast record, commands and the system checks.

Errors are ``{"error": "..."}`` with the matching status (web/errors.py). Today
calls are authenticated by the session cookie, and POSTs carry the CSRF token
in the X-CSRF-Token header; a token scheme for other machines can be added in
web/auth.py without touching these views.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, jsonify, request
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from playlists import asrun, events
from playlists.errors import NotFoundError
from playlists.plan import day_range, station_plan
from playlists.review import ReviewError
from web import commands
from web.asrun_export import asrun_json
from web.asrun_filter import default_range, read_filter
from web.auth import OPERATOR, login_required, role_required
from web.plan_views import parse_day
from web.state import now, panel, settings, store
from web.status import broadcast_json, player_status, status_json, upcoming
from web.system import EVENTS_SHOWN, check_json, event_json

bp = Blueprint("api", __name__, url_prefix="/api/v1")

MAX_PLAN_DAYS = 62


@bp.route("/status")
@login_required
def status() -> Response:
    instant = now()
    tz = settings().tz
    current = player_status(store().status(), instant)
    return jsonify(status_json(current, upcoming(store(), settings(), instant), tz, instant))


@bp.route("/plan")
@login_required
def plan_range() -> Response:
    tz = settings().tz
    first = parse_day(request.args.get("from"), now().astimezone(tz).date())
    last = parse_day(request.args.get("to"), first)
    if last < first:
        abort(400, _("'to' must not be before 'from'."))
    if (last - first).days >= MAX_PLAN_DAYS:
        abort(400, _("Ask for at most %(n)d days at once.", n=MAX_PLAN_DAYS))
    start, end = day_range(first, last, tz)
    planned = station_plan(store(), settings(), start, end)
    return jsonify([broadcast_json(b, tz) for b in planned])


@bp.route("/asrun")
@login_required
def asrun_rows() -> Response:
    tz = settings().tz
    today = now().astimezone(tz).date()
    # A script gets a 400 for what is wrong, never silently other days than it asked for.
    chosen, errors = read_filter(request.args, default_range(settings().campaign, today))
    if errors:
        abort(400, errors[0])
    start, end = day_range(chosen.first, chosen.last, tz)
    rows = asrun.rows_between(store(), start, end)
    return jsonify([asrun_json(row, tz) for row in rows if chosen.picks(row)])


@bp.route("/system")
@role_required(OPERATOR)
def system() -> Response:
    checks = panel().checks.results(settings(), now())
    recent = events.recent_events(store(), EVENTS_SHOWN)
    return jsonify(
        checks=[check_json(c) for c in checks],
        events=[event_json(e, settings().tz) for e in recent],
    )


def _json_id(body: dict[str, Any], key: str) -> int | None:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        abort(400, _("%(field)s must be a positive whole number.", field=key))
    return value


@bp.route("/commands", methods=("POST",))
@role_required(OPERATOR)
def send_command() -> tuple[Response, int]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        abort(400, _('Send a JSON object such as {"kind": "stop"}.'))
    kind = body.get("kind")
    if kind in ("stop", "skip"):
        payload: dict[str, Any] = {}
    elif kind == "play":
        try:
            payload = commands.play_payload(
                _json_id(body, "playlist_id"), _json_id(body, "announcement_id")
            )
        except ValueError:
            abort(400, _("A play command names exactly one of playlist_id and announcement_id."))
        except NotFoundError as exc:
            abort(404, str(exc))
        except ReviewError as exc:
            abort(409, _("Only approved content can be played: %(reason)s", reason=str(exc)))
    else:
        abort(400, _('\'kind\' must be "play", "stop" or "skip".'))
    # "result" is what the player did, or null when it did not answer in time.
    sent = commands.send_and_wait(kind, payload)
    return jsonify(sent.json()), 201
