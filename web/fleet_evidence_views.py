"""/fleet/evidence: the town's village × topic table of evidence against the deadline.

Town staff (reviewers and admins) see which village has sent evidence for which
campaign topic, on time or late, with the thumbnails; a tap opens the photo or video.
They accept an item or ask for more with a comment, which the village sees after
its next sync.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from werkzeug.wrappers import Response as BaseResponse

from media.errors import PdfError
from playlists.clock import station_today
from playlists.errors import EvidenceReviewError, NotFoundError
from playlists.town import evidence_review, village_evidence
from playlists.town.evidence_export import export_town_package
from playlists.town.evidence_status import evidence_table
from playlists.town.village_evidence import VillageItem
from web.auth import REVIEWER, role_required
from web.evidence_views import MIME_TYPES, private
from web.state import now, settings, store

bp = Blueprint("fleet_evidence", __name__, url_prefix="/fleet/evidence")


@bp.get("")
@role_required(REVIEWER)
def index() -> str:
    campaign = settings().campaign
    today = station_today(now(), settings().tz)
    return render_template(
        "fleet_evidence.html",
        campaign=campaign,
        rows=evidence_table(store(), settings()),
        days_left=(campaign.report_by - today).days,
    )


@bp.post("/<int:item_id>/review")
@role_required(REVIEWER)
def review(item_id: int) -> BaseResponse:
    item = _item(item_id)
    try:
        evidence_review.review_item(
            store(),
            item.id,
            request.form.get("decision", ""),
            request.form.get("comment", ""),
            g.user.username,
            now(),
        )
    except EvidenceReviewError as exc:
        flash(str(exc), "error")
    else:
        flash(_("Recorded; %(village)s sees it after its next sync.", village=item.village), "info")
    return redirect(url_for(".index", _anchor=f"village-item-{item.id}"))


@bp.get("/<int:item_id>/thumbnail")
@role_required(REVIEWER)
def thumbnail(item_id: int) -> Response:
    item = _item(item_id)
    path = village_evidence.item_path(settings(), item, item.thumbnail)
    return private(send_file(path, mimetype="image/jpeg", max_age=86400))


@bp.get("/<int:item_id>/file")
@role_required(REVIEWER)
def original(item_id: int) -> Response:
    item = _item(item_id)
    suffix = item.file.rsplit(".", 1)[-1]
    response = send_file(
        village_evidence.item_path(settings(), item, item.file),
        mimetype=MIME_TYPES.get(suffix, "application/octet-stream"),
        download_name=f"{item.village}-{item.id}.{suffix}",
        conditional=True,
        max_age=86400,
    )
    return private(response)


@bp.get("/export.zip")
@role_required(REVIEWER)
def export() -> Response:
    village = request.args.get("village") or None
    folder = settings().data_dir / "tmp"
    folder.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix="evidence-", suffix=".zip", dir=folder)
    os.close(handle)
    target = Path(name)
    try:
        export_town_package(store(), settings(), target, now(), village)
        # Opened, then unlinked: the answer streams the open file, nothing stays behind.
        opened = target.open("rb")
    except NotFoundError:
        abort(404, _("No such village."))
    except PdfError as exc:  # no Chromium on this machine: say which package to install
        abort(503, str(exc))
    finally:
        target.unlink(missing_ok=True)
    day = station_today(now(), settings().tz).isoformat()
    response = send_file(
        opened,
        mimetype="application/zip",
        as_attachment=True,
        download_name=f"evidence-{village or 'all'}-{day}.zip",
    )
    response.headers["Cache-Control"] = "no-store"  # made for this request, private
    return response


def _item(item_id: int) -> VillageItem:
    try:
        return village_evidence.get_item(store(), item_id)
    except NotFoundError:
        abort(404, _("No such photo or video."))
