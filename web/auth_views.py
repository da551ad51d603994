"""Log in, log out and change the password."""

from __future__ import annotations

import math

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from playlists.access import users
from playlists.errors import VillagecastError
from web.audit_views import record_session
from web.auth import keep_session, login_required, safe_target, start_session
from web.state import current_user, panel, signed_in_user, store

bp = Blueprint("auth", __name__)


def _wait_message(seconds: float) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return _(
        "Too many failed log-ins for this user. Try again in %(minutes)d minutes.",
        minutes=minutes,
    )


def _checked(username: str, password: str) -> tuple[users.User | None, str | None]:
    """Check a password within this address's budget (web/throttle.py)."""
    throttle = panel().throttle
    address = request.remote_addr
    wait = throttle.begin(address, username)
    if wait > 0:
        return None, _wait_message(wait)
    user = None
    try:
        user = users.authenticate(store(), username, password)
    finally:
        throttle.finish(address, username, succeeded=user is not None)
    return user, None


def _attempt(username: str, password: str) -> tuple[users.User | None, str | None]:
    """Check a log-in against the throttle and the store."""
    user, error = _checked(username, password)
    if user is None and error is None:
        error = _("Wrong user name or password.")
    return user, error


def _reset_session() -> None:
    """Empty the session (user and CSRF token) but keep the chosen language."""
    language = session.get("lang")
    session.clear()
    if language:
        session["lang"] = language


def _start_session(user: users.User) -> None:
    # A fresh session on log-in, so a token or cookie planted before it is worthless.
    _reset_session()
    start_session(user)


@bp.route("/login", methods=("GET", "POST"))
def login() -> Response | str:
    if request.method == "POST":
        username = request.form.get("username", "").strip()
        user, error = _attempt(username, request.form.get("password", ""))
        record_session("login" if user else "login_failed", username, user.id if user else None)
        if user is not None:
            _start_session(user)
            if user.must_change_password:
                return redirect(url_for("auth.password"))
            return redirect(safe_target(request.args.get("next"), url_for("dashboard.index")))
        flash(error or "", "error")
        return render_template("login.html", username=username)
    if signed_in_user() is not None:
        return redirect(url_for("dashboard.index"))
    return render_template("login.html", username="")


@bp.route("/logout", methods=("POST",))
def logout() -> Response:
    user = signed_in_user()
    if user is not None:
        # Every session of the user ends, so a copy of this cookie is worthless too.
        with store().transaction():
            users.end_sessions(store(), user.id)
            record_session("logout", user.username, user.id)
    _reset_session()
    flash(_("You are logged out."), "info")
    return redirect(url_for("auth.login"))


def _password_error(current: str, new: str, confirm: str) -> str | None:
    # The same budget as log-ins: a borrowed session cannot guess the password here.
    user, error = _checked(current_user().username, current)
    if error is not None:
        return error
    if user is None:
        return _("The current password is wrong.")
    if len(new) < users.MIN_PASSWORD:
        return _("The new password needs at least %(n)d characters.", n=users.MIN_PASSWORD)
    if new != confirm:
        return _("The two new passwords are not the same.")
    if new == current:
        return _("Choose a new password that differs from the current one.")
    return None


@bp.route("/password", methods=("GET", "POST"))
@login_required
def password() -> Response | str:
    if request.method == "POST":
        form = request.form
        new = form.get("new_password", "")
        error = _password_error(form.get("current_password", ""), new, form.get("confirm", ""))
        if error is None:
            try:
                users.set_password(store(), current_user().username, new)
            except VillagecastError as exc:
                error = str(exc)
            else:
                keep_session(current_user().id)  # other browsers and copied cookies are logged out
                flash(_("Your password has been changed."), "info")
                return redirect(url_for("dashboard.index"))
        flash(error, "error")
    return render_template("password.html", min_password=users.MIN_PASSWORD)
