"""Playlists: list them and import a villagecast/playlist@1 YAML file."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from media.errors import MediaError
from playlists import catalog
from playlists.errors import VillagecastError
from playlists.playlist_format import parse_playlist
from web.auth import OPERATOR, login_required, role_required
from web.state import library, store

bp = Blueprint("playlists", __name__, url_prefix="/playlists")


@bp.route("")
@login_required
def index() -> str:
    return render_template("playlists.html", playlists=catalog.list_playlists(store()))


@bp.route("/import", methods=("POST",))
@role_required(OPERATOR)
def import_yaml() -> Response | str:
    upload = request.files.get("playlist")
    if upload is None or not upload.filename:
        flash(_("Choose a playlist file (.yaml) first."), "error")
        return redirect(url_for("playlists.index"))
    try:
        # Parsing checks the whole document before anything is stored.
        spec = parse_playlist(upload.read(), source=upload.filename)
        playlist_id = library().import_playlist(spec, base_dir=None, created_by=g.user.username)
    except (VillagecastError, MediaError) as exc:
        flash(_("The playlist was not imported: %(reason)s", reason=str(exc)), "error")
        return redirect(url_for("playlists.index"))
    flash(_("Imported playlist %(name)s.", name=spec.name), "info")
    return redirect(url_for("playlists.index", _anchor=f"playlist-{playlist_id}"))
