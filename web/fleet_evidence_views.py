"""/fleet/evidence: the town's village × topic table of evidence against the deadline.

Town staff (reviewers and admins) see which village has sent evidence for which
campaign topic, on time or late, with the thumbnails; a tap opens the photo or video.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template, send_file
from flask_babel import gettext as _

from playlists.errors import NotFoundError
from playlists.town import village_evidence
from playlists.town.evidence_status import evidence_table
from playlists.town.village_evidence import VillageItem
from web.auth import REVIEWER, role_required
from web.evidence_views import MIME_TYPES
from web.state import now, settings, store

bp = Blueprint("fleet_evidence", __name__, url_prefix="/fleet/evidence")


@bp.get("")
@role_required(REVIEWER)
def index() -> str:
    campaign = settings().campaign
    today = now().astimezone(settings().tz).date()
    return render_template(
        "fleet_evidence.html",
        campaign=campaign,
        rows=evidence_table(store(), settings()),
        days_left=(campaign.report_by - today).days,
    )


@bp.get("/<int:item_id>/thumbnail")
@role_required(REVIEWER)
def thumbnail(item_id: int) -> Response:
    item = _item(item_id)
    path = village_evidence.item_path(settings(), item, item.thumbnail)
    return send_file(path, mimetype="image/jpeg", max_age=86400)


@bp.get("/<int:item_id>/file")
@role_required(REVIEWER)
def original(item_id: int) -> Response:
    item = _item(item_id)
    suffix = item.file.rsplit(".", 1)[-1]
    return send_file(
        village_evidence.item_path(settings(), item, item.file),
        mimetype=MIME_TYPES.get(suffix, "application/octet-stream"),
        download_name=f"{item.village}-{item.id}.{suffix}",
        conditional=True,
        max_age=86400,
    )


def _item(item_id: int) -> VillageItem:
    try:
        return village_evidence.get_item(store(), item_id)
    except NotFoundError:
        abort(404, _("No such photo or video."))
