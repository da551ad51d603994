"""API tokens page: every user makes and revokes their own; admins see and revoke all."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from playlists.access import tokens
from playlists.errors import NotFoundError, VillagecastError
from web.auth import ADMIN, login_required
from web.state import current_user, now, store

bp = Blueprint("tokens", __name__, url_prefix="/account/tokens")


def _render(secret: str | None = None, name: str = "") -> str:
    me = current_user()
    admin = me.role == ADMIN
    return render_template(
        "tokens.html",
        tokens=tokens.list_tokens(store(), None if admin else me.username),
        show_owner=admin,
        secret=secret,
        name=name,
        max_name=tokens.MAX_NAME,
    )


@bp.route("")
@login_required
def index() -> str:
    return _render()


@bp.route("", methods=("POST",))
@login_required
def create() -> Response | str:
    name = request.form.get("name", "").strip()
    if not name:
        flash(_("Give the token a name that says where it is used."), "error")
        return _render(name=name)
    if len(name) > tokens.MAX_NAME:
        flash(_("The name may have at most %(max)d characters.", max=tokens.MAX_NAME), "error")
        return _render(name=name)
    try:
        secret = tokens.create_token(store(), current_user().username, name, now())
    except VillagecastError as exc:
        flash(_("No token was made: %(reason)s", reason=str(exc)), "error")
        return _render(name=name)
    # Shown in this answer only, never put in the session or a redirect: it is not kept.
    response = make_response(_render(secret=secret, name=name))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/<int:token_id>/revoke", methods=("POST",))
@login_required
def revoke(token_id: int) -> Response:
    gone = _("That token does not exist (any more).")
    me = current_user()
    try:
        token = tokens.get_token(store(), token_id)
        if token.username != me.username and me.role != ADMIN:
            abort(404, gone)  # others' tokens stay unseen
        tokens.revoke(store(), token_id, me.username, now())
    except NotFoundError:
        abort(404, gone)
    flash(_("Token “%(name)s” revoked: scripts using it are refused now.", name=token.name), "info")
    return redirect(url_for("tokens.index"))
