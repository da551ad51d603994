"""The town emergency in the JSON API: send one, and read how the villages answered.

Same door as the page (web/town_emergency_views.py): the emergency right to send,
token or session as every /api/v1 call (a session's POST carries X-CSRF-Token). The
live table's JavaScript reads the answers here every second.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, jsonify
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from playlists.clock import station_iso
from playlists.errors import NotFoundError
from playlists.town import emergency_log
from web import api_fields
from web.auth import login_required
from web.emergency_views import may_broadcast_emergency
from web.state import settings, store
from web.town_emergency_views import (
    DEFAULT_MINUTES,
    Asked,
    Refused,
    answer_reason,
    answer_state,
    may_watch,
    send_town_emergency,
)

bp = Blueprint("town_emergency_api", __name__, url_prefix="/api/v1/town-emergencies")

FIELDS = {"text", "title", "repeat", "minutes", "villages"}


def _whole(body: dict[str, Any], name: str, default: int) -> int | None:
    value = body.get(name, default)
    return None if isinstance(value, bool) or not isinstance(value, int) else value


def _villages(body: dict[str, Any]) -> list[str]:
    value = body.get("villages", [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        abort(400, _("villages must be a list of village names; leave it out for every village."))
    return [str(v) for v in value]


@bp.post("")
@login_required
def send() -> tuple[Response, int]:
    """Send a town emergency to every village, or to the named ones."""
    if not may_broadcast_emergency():
        abort(403, _("Your account may not send emergency broadcasts; an admin can allow it."))
    body = api_fields.json_object(FIELDS, {"text"})
    chosen = _villages(body)
    asked = Asked(
        title=api_fields.text(body, "title"),
        text=api_fields.text(body, "text"),
        repeat=_whole(body, "repeat", 1),
        minutes=_whole(body, "minutes", DEFAULT_MINUTES),
        villages=chosen,
        everyone=not chosen,
    )
    try:
        message, by_broker = send_town_emergency(asked)
    except Refused as refused:
        abort(refused.status, refused.words)
    return jsonify(sent_json(message.id) | {"way": "broker" if by_broker else "sync"}), 201


@bp.get("/<ident>")
@login_required
def answers(ident: str) -> Response:
    """Return an emergency the town sent and each village's latest answer."""
    if not may_watch():
        abort(403, _("Your account may not do this."))
    try:
        return jsonify(sent_json(ident))
    except NotFoundError:
        abort(404, _("The town sent no such emergency."))


def sent_json(ident: str) -> dict[str, Any]:
    """Return a sent emergency with its villages' answers, codes and the reader's words."""
    sent = emergency_log.get_sent(store(), ident)
    tz = settings().tz
    rows = emergency_log.answers(store(), ident)
    return {
        "id": sent.id,
        "title": sent.title,
        "text": sent.text,
        "repeat": sent.repeat,
        "everyone": sent.everyone,
        "voice": sent.voice,
        "sent_by": sent.sent_by,
        "sent_at": station_iso(sent.sent_at, tz),
        "deadline": station_iso(sent.deadline, tz),
        "answers": [
            {
                "village": row.village,
                "state": row.state,
                "state_words": answer_state(row.state),
                "reason": row.reason,
                "reason_words": answer_reason(row.reason) if row.reason else "",
                "answered_at": station_iso(row.answered_at, tz) if row.answered_at else None,
            }
            for row in rows
        ],
    }
