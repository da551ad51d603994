"""Serve stored media files (speech clips, recordings, images) to logged-in users."""

from __future__ import annotations

import re

from flask import Blueprint, abort, send_file, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from playlists.content import media_table
from web.auth import login_required
from web.state import settings, store

bp = Blueprint("media_files", __name__, url_prefix="/media")

_SHA256 = re.compile(r"[0-9a-f]{64}")
_ONE_YEAR = 365 * 24 * 3600


@bp.app_template_global()
def media_url(sha256: str) -> str | None:
    """Return the address of a stored file, None if the store does not know it."""
    record = media_table.get_media(store(), sha256)
    if record is None:
        return None
    return url_for("media_files.serve", sha256=sha256, ext=record.path.rsplit(".", 1)[-1])


@bp.route("/<sha256>.<ext>")
@login_required
def serve(sha256: str, ext: str) -> Response:
    not_found = _("No such media file.")
    if not _SHA256.fullmatch(sha256):
        abort(404, not_found)
    record = media_table.get_media(store(), sha256)
    if record is None or not record.path.endswith(f".{ext}"):
        abort(404, not_found)
    # The path comes from the store, never from the URL; still refuse one that escapes.
    root = settings().media_dir.resolve()
    path = (root / record.path).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        abort(404, not_found)
    # Content-addressed files never change, so browsers may keep them; conditional
    # responses give <audio> the range requests it uses to seek.
    response = send_file(path, conditional=True, max_age=_ONE_YEAR)
    response.cache_control.public = False
    response.cache_control.private = True  # behind a log-in: no shared caches
    return response
