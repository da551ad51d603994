"""The JSON API under /api/v1: status, plan, schedule, as-run log, commands, emergency, audit.

Errors are ``{"error": "..."}`` with the matching status (web/errors.py). Scripts
send ``Authorization: Bearer <token>`` (web/auth.py); the panel's own JavaScript
uses the session cookie, and then POSTs carry the CSRF token in the X-CSRF-Token
header. Content (announcements, playlists, review, schedule) is in
web/api_content_views.py; web/static/openapi.yaml describes every call.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, g, jsonify, request
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from media.errors import MediaError
from playlists.access import emergency_right
from playlists.clock import station_iso, station_today
from playlists.commands import Request, Skip, Stop
from playlists.content import review
from playlists.content.emergency_speech import DEFAULT_GAP
from playlists.errors import (
    ContentError,
    EmergencyRightError,
    NotFoundError,
    ScheduleLimitError,
    VillagecastError,
)
from playlists.model import ScheduleEntry
from playlists.plan import day_range, station_plan
from playlists.record import asrun, audit, events
from playlists.schedule import entry_table, scheduling
from web import api_fields, commands
from web.asrun_export import asrun_json
from web.asrun_filter import default_range, read_filter
from web.auth import ADMIN, OPERATOR, login_required, role_required
from web.emergency_views import (
    may_broadcast_emergency,
    on_air_words,
    repeat_error,
    send_emergency,
    text_error,
)
from web.plan_views import parse_day
from web.schedule_messages import schedule_limit_message
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
    first = parse_day(request.args.get("from"), station_today(now(), tz))
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
    today = station_today(now(), tz)
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


@bp.route("/commands", methods=("POST",))
@role_required(OPERATOR)
def send_command() -> tuple[Response, int]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        abort(400, _('Send a JSON object such as {"kind": "stop"}.'))
    kind = body.get("kind")
    command: Request
    if kind == "stop":
        command = Stop()
    elif kind == "skip":
        command = Skip()
    elif kind == "play":
        try:
            command = commands.play_request(
                api_fields.positive_id(body, "playlist_id"),
                api_fields.positive_id(body, "announcement_id"),
            )
        except ValueError:
            abort(400, _("A play command names exactly one of playlist_id and announcement_id."))
        except NotFoundError as exc:
            abort(404, str(exc))
        refused = commands.refusal(command)
        if refused is not None:
            abort(409, refused)
    else:
        abort(400, _('\'kind\' must be "play", "stop" or "skip".'))
    # "result" and "reason" are null when the player did not answer in time.
    return jsonify(commands.sent_json(commands.send_and_wait(command))), 201


@bp.route("/emergency", methods=("POST",))
@login_required
def emergency() -> tuple[Response, int]:
    """Speak a text now at emergency priority, above everything; it skips review."""
    if not may_broadcast_emergency():
        abort(403, _("Your account may not send emergency broadcasts; an admin can allow it."))
    body = api_fields.json_object({"text", "title", "repeat", "gap"}, {"text"})
    # text_error checks what is in them, in the same words as the dashboard's form.
    title, text = api_fields.text(body, "title"), api_fields.text(body, "text")
    repeat, gap = _count(body, "repeat", 1), _count(body, "gap", DEFAULT_GAP)
    error = text_error(title, text) or repeat_error(repeat, gap)
    if error is not None or repeat is None or gap is None:
        abort(400, error)
    try:
        sent = send_emergency(title, text, repeat, gap)
    except (VillagecastError, MediaError) as exc:  # no speech: the station's trouble
        abort(503, _("The emergency broadcast was not sent: %(reason)s", reason=str(exc)))
    # The operator's words say plainly that an emergency is on air.
    return jsonify({**commands.sent_json(sent), "message": on_air_words(sent)[1]}), 201


def _count(body: dict[str, Any], name: str, default: int) -> int | None:
    """Return a whole number field of a JSON body, default when absent, None when not one."""
    value = body.get(name, default)
    return None if isinstance(value, bool) or not isinstance(value, int) else value


MAX_AUDIT_ROWS = 500


@bp.route("/audit")
@role_required(ADMIN)
def audit_log() -> Response:
    """The audit log, newest first; filter by ?user= and ?action=, page by limit and offset."""
    username = request.args.get("user") or None
    action = request.args.get("action") or None
    limit = api_fields.query_int("limit", 100, 1, MAX_AUDIT_ROWS)
    offset = api_fields.query_int("offset", 0, 0, 10**9)
    rows = audit.rows(store(), username=username, action=action, limit=limit, offset=offset)
    tz = settings().tz
    return jsonify(
        total=audit.count(store(), username=username, action=action),
        limit=limit,
        offset=offset,
        rows=[
            {
                "id": row.id,
                "at": station_iso(row.at, tz),
                "user": row.username,
                "action": row.action,
                "subject": row.subject,
                "subject_id": row.subject_id,
                "detail": row.detail,
            }
            for row in rows
        ],
    )


# -- schedule ----------------------------------------------------------------------


def schedule_json(entry: ScheduleEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "playlist_id": entry.playlist_id,
        "playlist": entry.playlist_name,
        "start": entry.start.isoformat(),
        "end": entry.end.isoformat(),
        "times": [t.strftime("%H:%M") for t in entry.times],
        "weekdays": sorted(entry.weekdays),
        "priority": entry.priority.value,
        "on_interrupt": entry.on_interrupt.value,
        "wait_seconds": entry.wait_seconds,
        "approved": entry.approved,
    }


@bp.route("/schedule")
@login_required
def schedule() -> Response:
    return jsonify([schedule_json(entry) for entry in entry_table.schedule_entries(store())])


@bp.route("/schedule", methods=("POST",))
@role_required(OPERATOR)
def add_schedule() -> tuple[Response, int]:
    asked = api_fields.schedule_request()
    may_emergency = emergency_right.holds(g.user)
    try:
        entry = scheduling.add(store(), asked, g.user.username, now(), may_emergency=may_emergency)
    except EmergencyRightError:
        abort(403, _("Your account may not schedule emergency broadcasts."))
    except NotFoundError:
        abort(404, _("There is no playlist %(id)d.", id=asked.playlist_id))
    except ScheduleLimitError as exc:
        abort(400, schedule_limit_message(exc))
    except ContentError as exc:
        reason = review.playlist_unplayable(store(), asked.playlist_id) or str(exc)
        message = _("Only playlists approved or awaiting review can be scheduled: %(reason)s")
        abort(409, message % {"reason": reason})
    return jsonify(schedule_json(entry)), 201


@bp.route("/schedule/<int:schedule_id>", methods=("DELETE",))
@role_required(OPERATOR)
def delete_schedule(schedule_id: int) -> Response:
    try:
        entry = scheduling.delete(store(), schedule_id, g.user.username, now())
    except NotFoundError:
        abort(404, _("There is no schedule entry %(id)d.", id=schedule_id))
    return jsonify(schedule_json(entry))
