"""Import a shared playlist on the panel: a bundle (.zip) from the town or a bare YAML file.

The form lives in templates/_bundle_import.html, included by the playlists page. A
bundle is checked whole before anything is stored; a refused one is named with its
problem. What is imported here is a draft, unless config.yaml lets a trusted town
signature count as approval.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import LazyString
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from media.errors import MediaError
from playlists import errors as core
from playlists.access import emergency_right
from playlists.bundles.bundle import import_bundle, is_bundle, parse_playlist_safely, read_bundle
from playlists.errors import VillagecastError
from playlists.model import Review
from web import errors, uploads
from web.auth import OPERATOR, has_role, role_required
from web.playlist_messages import import_refusal
from web.state import current_user, ingest, settings

bp = Blueprint("bundles", __name__, url_prefix="/bundles")

# What went wrong, in the operator's language; the core's message gives the details.
_PROBLEMS: dict[type[Exception], LazyString] = {
    core.BundleFormatError: _l("the file is not a bundle villagecast can read"),
    core.BundlePathError: _l("a file name in it leads out of the bundle's folder"),
    core.BundleLinkError: _l("it holds a link or a special file"),
    core.BundleDuplicateError: _l("two files in it have the same name"),
    core.BundleTooLargeError: _l("it is too large or packed too tightly (a zip bomb)"),
    core.BundleManifestError: _l("its list of files (manifest.json) is missing or wrong"),
    core.BundleChecksumError: _l("a file in it was changed or damaged"),
    core.BundleSignatureError: _l("its signature is missing or does not match"),
    core.BundleUntrustedError: _l("it is signed by a key this station does not trust"),
    core.BundlePlaylistError: _l("its playlist.yaml is not a valid playlist"),
    core.BundleMediaError: _l("a media file in it is missing, unused or unreadable"),
}


def _refusal(error: Exception) -> str:
    if isinstance(error, core.EmergencyRightError | core.ScheduleLimitError):
        return _("The playlist was not imported: %(reason)s", reason=import_refusal(error))
    problem = _PROBLEMS.get(type(error))
    if problem is None:
        return _("The playlist was not imported: %(reason)s", reason=str(error))
    return _(
        "The bundle was not imported: %(problem)s. Details: %(reason)s",
        problem=problem,
        reason=str(error),
    )


@bp.route("/import", methods=("POST",))
@role_required(OPERATOR)
def import_bundle_upload() -> Response:
    upload = request.files.get("bundle")
    back = url_for("playlists.index")
    if upload is None or not upload.filename:
        flash(_("Choose a bundle (.zip) or a playlist file (.yaml) first."), "error")
        return redirect(back)
    try:
        with uploads.saved_upload(upload) as path:
            playlist_id, name, approver = _import(path, upload.filename)
    except (VillagecastError, MediaError) as exc:
        flash(_refusal(exc), "error")
        return redirect(back)
    if approver:
        flash(_("Imported %(name)s, approved by %(key)s.", name=name, key=approver), "info")
    else:
        flash(_("Imported %(name)s as a draft; send it for review.", name=name), "info")
    return redirect(url_for("playlists.index", _anchor=f"playlist-{playlist_id}"))


def _import(path: Path, filename: str) -> tuple[int, str, str | None]:
    """Import a bundle or a bare YAML file; return its id, name and town approver if any."""
    user = current_user().username
    may_emergency = emergency_right.holds(current_user())
    if is_bundle(path):
        with read_bundle(path, settings()) as bundle:
            playlist_id = import_bundle(
                ingest(), bundle, user, Review.DRAFT, may_emergency=may_emergency
            )
            signer = bundle.signer
            counts = signer is not None and settings().bundles.signed_counts_as_approval
            approver = _("town key %(key)s", key=signer.label) if signer and counts else None
            return playlist_id, bundle.spec.name, approver
    spec = parse_playlist_safely(path.read_bytes(), Path(filename).name[:100])
    playlist_id = ingest().import_playlist(
        spec, base_dir=None, created_by=user, note="YAML file", may_emergency=may_emergency
    )
    return playlist_id, spec.name, None


@bp.errorhandler(RequestEntityTooLarge)
def too_large(error: RequestEntityTooLarge) -> ResponseReturnValue:
    """Say how big a bundle may be, instead of a bare error page."""
    if not has_role(OPERATOR) or errors.wants_json():
        return errors.handle_http_error(error)
    limit_mb = settings().bundles.max_bytes // 1_000_000
    flash(_("The bundle is too big: at most %(mb)d MB.", mb=limit_mb), "error")
    return redirect(url_for("playlists.index"))
