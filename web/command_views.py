"""The "play now", "stop" and "skip" buttons: each writes one command row for the player.

Each then tells the operator what the player did with it (web/commands.py).
"""

from __future__ import annotations

from flask import Blueprint, abort, redirect, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from playlists.commands import Skip, Stop
from playlists.errors import NotFoundError
from web import commands
from web.api_fields import id_of
from web.auth import OPERATOR, role_required

bp = Blueprint("commands", __name__, url_prefix="/commands")


def _form_id(name: str) -> int | None:
    value = request.form.get(name, "").strip()
    if not value:
        return None
    try:
        return id_of(value)
    except ValueError:
        abort(400, _("%(field)s must be a whole number.", field=name))


@bp.route("/play", methods=("POST",))
@role_required(OPERATOR)
def play() -> Response:
    try:
        command = commands.play_request(_form_id("playlist_id"), _form_id("announcement_id"))
    except ValueError:
        abort(400, _("Choose one playlist or one announcement to play."))
    except NotFoundError:
        abort(404, _("That playlist or announcement does not exist (any more)."))
    refused = commands.refusal(command)
    if refused is not None:
        abort(409, refused)
    commands.flash_result(commands.send_and_wait(command))
    return redirect(url_for("dashboard.index"))


@bp.route("/stop", methods=("POST",))
@role_required(OPERATOR)
def stop() -> Response:
    commands.flash_result(commands.send_and_wait(Stop()))
    return redirect(url_for("dashboard.index"))


@bp.route("/skip", methods=("POST",))
@role_required(OPERATOR)
def skip() -> Response:
    commands.flash_result(commands.send_and_wait(Skip()))
    return redirect(url_for("dashboard.index"))
