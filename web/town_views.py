"""The town's endpoints for its villages under /town/v1 (README "Town and villages").

Every call carries ``Authorization: Bearer <device token>`` (`villagecast village
add`); nothing else lets a request in: no session is read here (web/auth.py) and so
no CSRF token is asked for (web/csrf.py). Errors are ``{"error": "..."}``.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, g, jsonify, request
from flask_babel import gettext as _
from werkzeug.datastructures import WWWAuthenticate
from werkzeug.exceptions import TooManyRequests, Unauthorized

from playlists.errors import ContentError, NotFoundError
from playlists.sync import broker_topics
from playlists.town import emergency_log, emergency_relay, sharing, village_asrun, villages
from playlists.town.bundle_cache import media_chunks
from playlists.town.poll_memo import PollSnapshot
from web.state import now, panel, settings, store

bp = Blueprint("town_api", __name__, url_prefix="/town/v1")

IMMUTABLE = "public, max-age=31536000, immutable"


@bp.before_request
def authenticate() -> None:
    """Let in only a request whose device token belongs to a registered village."""
    scheme, _sep, secret = request.headers.get("Authorization", "").partition(" ")
    # Read from the store, or kept from an earlier call if nothing was committed since.
    g.town_polls = panel().town_polls.snapshot()
    device = g.town_polls.device(secret.strip()) if scheme.lower() == "bearer" else None
    if device is None:
        raise Unauthorized(
            _("The device token is missing or wrong, or the village was removed from the town."),
            www_authenticate=WWWAuthenticate("bearer"),
        )
    g.village = device
    _within(panel().village_limits.request(device.id))


def _village() -> villages.Device:
    """Return the village whose device token let this request in (see authenticate)."""
    device: villages.Device = g.village
    return device


def _within(wait: int) -> None:
    """Answer 429 with Retry-After when a village is over its rate (web/town_limits.py)."""
    if wait > 0:
        raise TooManyRequests(
            _("This village calls the town too often; try again in %(n)d seconds.", n=wait),
            retry_after=wait,
        )


@bp.get("/feed")
def feed() -> Response:
    polls: PollSnapshot = g.town_polls  # taken by authenticate
    revision = polls.revision()
    if request.if_none_match.contains_weak(revision):
        response = Response(status=304)
    else:
        response = jsonify(sharing.current_feed(store(), settings()).listing())
    # Each village asks again every time; the ETag makes the answer a bodiless 304.
    response.set_etag(revision)
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/playlists/<int:playlist_id>/bundle-index")
def bundle_index(playlist_id: int) -> Response:
    try:
        return jsonify(sharing.bundle_index(store(), settings(), playlist_id))
    except NotFoundError:
        abort(404, _("This playlist is not shared with the villages."))


@bp.get("/media/<sha256>")
def media(sha256: str) -> Response:
    found = sharing.find_media(store(), settings(), sha256)
    if found is None:
        abort(404, _("No shared playlist has a file with this SHA-256."))
    response = Response(media_chunks(found), mimetype="application/octet-stream")
    response.content_length = found.size
    response.set_etag(sha256)
    response.headers["Cache-Control"] = IMMUTABLE
    return response


@bp.post("/heartbeat")
def heartbeat() -> Response:
    try:
        villages.record_heartbeat(store(), _village().id, _json_body(), now())
    except ContentError as exc:
        abort(400, _("The heartbeat was refused: %(problem)s", problem=str(exc)))
    return Response(status=204)


@bp.post("/asrun")
def asrun() -> Response:
    try:
        rows = village_asrun.check_batch(_json_body())
    except ContentError as exc:
        abort(400, _("The broadcast records were refused: %(problem)s", problem=str(exc)))
    _within(panel().village_limits.asrun_rows(_village().id, len(rows)))
    acked = village_asrun.store_batch(store(), _village().id, rows, now())
    return jsonify(acked=acked)


@bp.get("/emergencies")
def emergencies() -> Response:
    """The town's live signed emergencies for this village: the broker's fallback."""
    live = emergency_relay.live_for(settings().data_dir, _broker_user(), now())
    response = jsonify(emergencies=live)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/emergency-answers")
def emergency_answers() -> Response:
    """A village's answers to emergencies, when it cannot give them on the broker."""
    try:
        answers = emergency_relay.check_answers(_json_body())
    except ContentError as exc:
        abort(400, _("The emergency answers were refused: %(problem)s", problem=str(exc)))
    user, at = _broker_user(), now()
    emergency_relay.record_answers(settings().data_dir, user, answers, at)
    for ident, state, reason in answers:  # the panel's live table, as answers on the broker
        emergency_log.record_answer(store(), ident, user, state, reason, at)
    return Response(status=204)


def _broker_user() -> str:
    """Return the broker user name of the village this request came from."""
    _scheme, _sep, secret = request.headers.get("Authorization", "").partition(" ")
    return broker_topics.user_for_token(secret.strip())


def _json_body() -> object:
    body = request.get_json(silent=True)
    if body is None:
        abort(400, _("Send a JSON body (Content-Type: application/json, UTF-8)."))
    return body
