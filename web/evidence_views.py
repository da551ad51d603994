"""活动影像: the village's evidence photos and videos, uploaded in resumable chunks.

The page shows the items per campaign topic and what the system itself broadcast
and showed per topic. Operators upload: the browser starts an upload, sends the
file in pieces of at most MAX_CHUNK bytes (small bodies, so web/uploads.py needs no
exception), asks the server what the file says about its day, and then stores it
with caption, topic and day. Anyone logged in may look.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from pathlib import Path

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    g,
    jsonify,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _

from media.errors import PdfError
from playlists.clock import station_today
from playlists.errors import EvidenceError, NotFoundError
from playlists.evidence import incoming, items
from playlists.evidence.export import export_package
from playlists.evidence.limits import largest_upload
from playlists.evidence.model import EvidenceFields, EvidenceItem
from playlists.evidence.system import topic_records
from playlists.evidence.writer import add_evidence, probe
from web.auth import OPERATOR, login_required, role_required
from web.state import now, settings, store

bp = Blueprint("evidence", __name__)

MIME_TYPES = {
    "jpg": "image/jpeg",
    "png": "image/png",
    "mp4": "video/mp4",
    "mkv": "video/x-matroska",
}


@bp.route("/evidence")
@login_required
def index() -> str:
    campaign = settings().campaign
    today = station_today(now(), settings().tz)
    return render_template(
        "evidence.html",
        campaign=campaign,
        groups=items.by_topic(store(), campaign.topics),
        records=topic_records(store(), settings()),
        today=today,
        days_left=(campaign.report_by - today).days,
        chunk=incoming.MAX_CHUNK,
        largest=largest_upload(settings()),
    )


@bp.route("/evidence/uploads", methods=["POST"])
@role_required(OPERATOR)
def start_upload() -> tuple[Response, int]:
    body = request.get_json(silent=True) or {}
    size = body.get("size")
    if not isinstance(size, int) or isinstance(size, bool):
        return _refused(_("Say how many bytes the file has."))
    try:
        upload = incoming.start(settings(), g.user.username, size, now())
    except EvidenceError as exc:
        return _refused(str(exc))
    return _state(upload), 201


@bp.route("/evidence/uploads/<upload_id>", methods=["GET"])
@role_required(OPERATOR)
def upload_state(upload_id: str) -> tuple[Response, int]:
    return _state(_find(upload_id)), 200


@bp.route("/evidence/uploads/<upload_id>", methods=["PUT"])
@role_required(OPERATOR)
def upload_chunk(upload_id: str) -> tuple[Response, int]:
    offset = request.args.get("offset", "")
    if not offset.isdigit():
        return _refused(_("Say where the piece starts (offset)."))
    _find(upload_id)
    try:
        upload = incoming.append(
            settings(), upload_id, g.user.username, int(offset), request.get_data()
        )
    except EvidenceError as exc:
        return _refused(str(exc), 409)
    return _state(upload), 200


@bp.route("/evidence/uploads/<upload_id>/probe", methods=["POST"])
@role_required(OPERATOR)
def probe_upload(upload_id: str) -> tuple[Response, int]:
    upload = _find(upload_id)
    try:
        found = probe(incoming.part_path(settings(), upload), settings())
    except EvidenceError as exc:
        incoming.discard(settings(), upload_id)  # a refused file is kept nowhere
        return _refused(_plain(str(exc), upload))
    taken = found.taken_on.isoformat() if found.taken_on else ""
    return jsonify(kind=found.kind, taken_on=taken), 200


@bp.route("/evidence", methods=["POST"])
@role_required(OPERATOR)
def add() -> tuple[Response, int]:
    upload = _find(request.form.get("upload_id", ""))
    try:
        fields = EvidenceFields(
            caption=request.form.get("caption", ""),
            topic=request.form.get("topic", ""),
            taken_on=_day(request.form.get("taken_on", "")),
        )
        item = add_evidence(
            store(),
            settings(),
            incoming.part_path(settings(), upload),
            fields,
            g.user.username,
            now(),
        )
    except EvidenceError as exc:
        return _refused(_plain(str(exc), upload))
    incoming.discard(settings(), upload.id)
    flash(_("Saved: %(caption)s", caption=item.caption), "info")
    return jsonify(id=item.id, url=url_for(".index", saved=item.id, _anchor=f"item-{item.id}")), 201


@bp.route("/evidence/export.zip")
@login_required
def export() -> Response:
    """Send this village's package for the town (as `villagecast evidence export`)."""
    folder = settings().data_dir / "tmp"
    folder.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix="evidence-", suffix=".zip", dir=folder)
    os.close(handle)
    target = Path(name)
    try:
        export_package(store(), settings(), target, now())
        # Opened, then unlinked: the answer streams the open file, nothing stays behind.
        opened = target.open("rb")
    except PdfError as exc:  # no Chromium on this machine: say which package to install
        abort(503, str(exc))
    finally:
        target.unlink(missing_ok=True)
    day = station_today(now(), settings().tz).isoformat()
    response = send_file(
        opened, mimetype="application/zip", as_attachment=True, download_name=f"evidence-{day}.zip"
    )
    response.headers["Cache-Control"] = "no-store"  # made for this request, private
    return response


@bp.route("/evidence/<int:item_id>/thumbnail")
@login_required
def thumbnail(item_id: int) -> Response:
    item = _item(item_id)
    path = items.thumbnail_path(settings(), item)
    return private(send_file(path, mimetype="image/jpeg", max_age=86400))


@bp.route("/evidence/<int:item_id>/file")
@login_required
def original(item_id: int) -> Response:
    item = _item(item_id)
    suffix = item.file.rsplit(".", 1)[-1]
    response = send_file(
        items.file_path(settings(), item),
        mimetype=MIME_TYPES.get(suffix, "application/octet-stream"),
        download_name=f"evidence-{item.id}.{suffix}",
        conditional=True,
        max_age=86400,
    )
    return private(response)


def private(response: Response) -> Response:
    """Let the browser keep an item's file (it never changes), but no shared cache."""
    response.cache_control.public = False
    response.cache_control.private = True  # behind a log-in
    return response


def _find(upload_id: str) -> incoming.Incoming:
    try:
        return incoming.find(settings(), upload_id, g.user.username)
    except NotFoundError:
        abort(404, _("This upload is unknown or finished; choose the file again."))


def _item(item_id: int) -> EvidenceItem:
    try:
        return items.get_item(store(), item_id)
    except NotFoundError:
        abort(404, _("No such photo or video."))


def _day(text: str) -> dt.date | None:
    if not text.strip():
        return None
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise EvidenceError(_("Enter the day taken as a date like 2023-03-30.")) from None


def _plain(message: str, upload: incoming.Incoming) -> str:
    """Say "the file" where a check named the upload's part file by its random name."""
    return message.replace(f"{upload.id}.part", _("the file"))


def _state(upload: incoming.Incoming) -> Response:
    return jsonify(id=upload.id, received=upload.received, size=upload.size)


def _refused(message: str, status: int = 400) -> tuple[Response, int]:
    return jsonify(error=message), status
