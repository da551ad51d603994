"""The screen (kiosk) page, the state it polls and the slide images it shows.

These three addresses need no log-in: a kiosk browser on the LED sending card's
HDMI input opens them and nobody is there to type a password. They show only
what the player already puts on the street screens, and the player puts there
only content that may air (playlists/content/review.py `is_playable`).
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, abort, jsonify, render_template, request, send_file, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from media.slide_layout import BAR_MAX_HEIGHT
from playlists.content import media_table
from playlists.settings import ScreenSettings
from web.state import settings, signed_in_user, store

bp = Blueprint("screens", __name__)

_SHA256 = re.compile(r"[0-9a-f]{64}")
_ONE_YEAR = 365 * 24 * 3600
_SHA_SLOT = "0" * 64  # stands in for a hash in the slide address handed to the page
# What a screen shows before the player has published anything: the station name.
NOTHING_YET: dict[str, Any] = {"mode": "idle", "slides": [], "on_air": None}


def find_screen(name: str) -> ScreenSettings:
    """Return the configured screen of that name, or answer 404."""
    for screen in settings().screens:
        if screen.name == name:
            return screen
    abort(404, _("There is no screen named %(name)s in config.yaml.", name=name))


@bp.route("/screen/<name>")
def page(name: str) -> Response:
    screen = find_screen(name)
    slide_url = url_for("screens.slide", sha256=_SHA_SLOT).replace(_SHA_SLOT, "{sha256}")
    html = render_template(
        "screen.html",
        screen=screen,
        bar=screen.height <= BAR_MAX_HEIGHT,
        state_url=url_for("screens.state", name=name),
        slide_url=slide_url,
    )
    response = Response(html, mimetype="text/html")
    # Revalidate, so a kiosk that reloads picks up a new page after an upgrade.
    response.cache_control.no_cache = True
    return response


@bp.route("/screen/<name>/state")
def state(name: str) -> Response:
    screen = find_screen(name)
    published = store().screen_state(screen.name)
    seq, current = published if published is not None else (0, NOTHING_YET)
    etag = str(seq)
    if request.if_none_match.contains_weak(etag):
        response = Response(status=304)
    else:
        response = jsonify(seq=seq, state=current, width=screen.width, height=screen.height)
    response.set_etag(etag)
    # Browsers may keep a copy but must ask every time; 304s keep the polls tiny.
    response.cache_control.no_cache = True
    return response


@bp.route("/slides/<sha256>.png")
def slide(sha256: str) -> Response:
    """Serve a slide picture: to anyone while a screen shows it, else to logged-in users.

    A kiosk has no account, and the street sees what the screens show anyway; a hash of
    anything else (a draft's slide, an unapproved picture) answers 404 to it. Reviewers
    preview slides of content not yet approved through this same address.
    """
    not_found = _("No such media file.")
    if not _SHA256.fullmatch(sha256):
        abort(404, not_found)
    public = store().on_screens(sha256)
    if not public and signed_in_user() is None:
        abort(404, not_found)
    record = media_table.get_media(store(), sha256)
    if record is None or record.kind != "image" or not record.path.endswith(".png"):
        abort(404, not_found)
    # The path comes from the store, never from the URL; still refuse one that escapes.
    root = settings().media_dir.resolve()
    path = (root / record.path).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        abort(404, not_found)
    response = send_file(path, mimetype="image/png", conditional=True, max_age=_ONE_YEAR)
    # The address names the content's hash, so the bytes behind it never change.
    response.cache_control.immutable = True
    response.cache_control.public = public
    if not public:
        response.cache_control.private = True  # shown to a logged-in user only
    return response
