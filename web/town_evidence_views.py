"""The town's endpoints for villages' evidence, under /town/v1/evidence (device tokens only).

POST offer {sha256, size} → {received}; PUT <sha256>?offset=N with a piece → {received}
(409 with the bytes held when N is not where the part stands); POST <sha256>/finish
with the item's fields → {id}. GET reviews → the town's decisions on this village's
items. See playlists/town/village_evidence.py and evidence_review.py.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, g, jsonify, request
from flask_babel import gettext as _

from playlists.errors import NotFoundError, VillageEvidenceError
from playlists.town import evidence_review, village_evidence
from web.state import now, settings, store
from web.town_views import authenticate

bp = Blueprint("town_evidence_api", __name__, url_prefix="/town/v1/evidence")
bp.before_request(authenticate)


@bp.post("/offer")
def offer() -> tuple[Response, int]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        abort(400, _("Send a JSON body (Content-Type: application/json, UTF-8)."))
    size = body.get("size")
    if not isinstance(size, int) or isinstance(size, bool):
        return jsonify(error="size must be a whole number of bytes"), 400
    try:
        held = village_evidence.offer(
            store(), settings(), g.village.id, str(body.get("sha256")), size
        )
    except VillageEvidenceError as exc:
        return jsonify(error=str(exc)), 400
    return jsonify(received=held), 200


@bp.put("/<sha256>")
def piece(sha256: str) -> tuple[Response, int]:
    offset = request.args.get("offset", "")
    if not offset.isdigit():
        return jsonify(error="offset must be a whole number"), 400
    try:
        held = village_evidence.append(
            settings(), g.village.id, sha256, int(offset), request.get_data()
        )
    except NotFoundError as exc:
        return jsonify(error=str(exc)), 404
    except VillageEvidenceError as exc:
        return jsonify(error=str(exc)), 409
    return jsonify(received=held), 200


@bp.post("/<sha256>/finish")
def finish(sha256: str) -> tuple[Response, int]:
    try:
        item_id = village_evidence.finish(
            store(), settings(), g.village.id, sha256, request.get_json(silent=True), now()
        )
    except NotFoundError as exc:
        return jsonify(error=str(exc)), 404
    except VillageEvidenceError as exc:
        return jsonify(error=str(exc)), 422
    return jsonify(id=item_id), 200


@bp.get("/reviews")
def reviews() -> Response:
    return jsonify(reviews=evidence_review.reviews_for(store(), g.village.id))
