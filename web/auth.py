"""Who is asking: load the user for each request and guard views by login and role.

People are authenticated by the session cookie. Scripts calling /api/ send
``Authorization: Bearer <token>`` (playlists/access/tokens.py): that sets ``g.user`` and
``g.auth_via = "token"`` (read them with web/state.py's ``signed_in_user``, ``current_user``
and ``auth_via``), and CSRF checks then skip the request (see web/csrf.py).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar
from urllib.parse import urlsplit

from flask import Flask, abort, current_app, redirect, request, session, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from playlists.access import tokens, users
from web.errors import wants_json
from web.state import auth_via, now, set_user, signed_in_user, store

P = ParamSpec("P")
R = TypeVar("R")

ADMIN = "admin"
OPERATOR = "operator"
REVIEWER = "reviewer"

# What a user who must change the password may still reach.
_OPEN_WHILE_CHANGING = frozenset({"auth.password", "auth.logout", "static", "set_language"})
# The town's endpoints for villages (see playlists/sync/wire.py).
DEVICE_PATH = "/town/v1/"


def load_user() -> None:
    """Put the logged-in user (or None) on ``g`` for this request."""
    set_user(None, None)
    if request.path.startswith(DEVICE_PATH):
        return  # villages' stations: a device token only (web/town_views.py), never a session
    scheme, _sep, secret = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and request.path.startswith("/api/"):
        # A bad token is refused even beside a good session: the script must learn it is bad.
        token_user = tokens.verify(store(), secret.strip(), now())
        if token_user is None:
            abort(401, _("The API token is wrong, revoked or belongs to a disabled user."))
        set_user(token_user, "token")
        return
    user_id = session.get("user_id")
    if isinstance(user_id, int):
        user = users.get_user(store(), user_id)
        if user is not None and _session_is_current(user):
            set_user(user, "session")
        else:
            forget_user()


def _session_is_current(user: users.User) -> bool:
    """Tell whether the cookie belongs to the user's current sessions and is young enough.

    The version moves on log-out, password change, disable/enable and role change, so
    a copied cookie dies with them. The age counts from the log-in, however often the
    cookie has been re-signed since: a stolen cookie is not kept alive by using it.
    """
    if user.disabled or session.get("version") != user.session_version:
        return False
    logged_in_at = session.get("logged_in_at")
    if not isinstance(logged_in_at, int | float):
        return False
    lifetime = current_app.permanent_session_lifetime.total_seconds()
    # abs(): a Pi without a clock chip may have started in the past and been corrected.
    return abs(now().timestamp() - logged_in_at) < lifetime


def start_session(user: users.User) -> None:
    """Tie the session to the user's current version and the time of this log-in."""
    session["user_id"] = user.id
    session["version"] = user.session_version
    session["logged_in_at"] = int(now().timestamp())
    session.permanent = True


def keep_session(user_id: int) -> None:
    """Keep this browser logged in after a change that ended the user's other sessions."""
    user = users.get_user(store(), user_id)
    if user is not None and session.get("user_id") == user_id:
        session["version"] = user.session_version


def forget_user() -> None:
    """Drop the user from the session cookie (the language stays)."""
    for key in ("user_id", "version", "logged_in_at"):
        session.pop(key, None)


def require_password_change() -> Response | None:
    """Send a user with a one-time password to the change-password page first."""
    user = signed_in_user()
    # A script's token stands on its own; the person behind the user changes the password.
    if user is None or not user.must_change_password or auth_via() == "token":
        return None
    if request.endpoint in _OPEN_WHILE_CHANGING:
        return None
    if wants_json():
        abort(403, _("Change your password first."))
    return redirect(url_for("auth.password"))


def has_role(*roles: str) -> bool:
    """Tell whether the current user holds one of the roles (admin holds them all)."""
    user = signed_in_user()
    return user is not None and (user.role == ADMIN or user.role in roles)


def login_required(view: Callable[P, R]) -> Callable[P, R | Response]:
    """Send anonymous visitors to the log-in page (API clients get 401)."""

    @functools.wraps(view)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> R | Response:
        if signed_in_user() is None:
            if wants_json():
                abort(401, _("Log in first."))
            target = request.full_path if request.method == "GET" else None
            return redirect(url_for("auth.login", next=target))
        return view(*args, **kwargs)

    return wrapped


def role_required(*roles: str) -> Callable[[Callable[P, R]], Callable[P, R | Response]]:
    """Allow a view only to logged-in users holding one of the roles (or admin)."""

    def decorator(view: Callable[P, R]) -> Callable[P, R | Response]:
        @functools.wraps(view)
        def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
            if not has_role(*roles):
                abort(403, _("Your account may not do this."))
            return view(*args, **kwargs)

        return login_required(wrapped)

    return decorator


def safe_target(target: str | None, default: str) -> str:
    """Return a same-site path to go to, never another site named in a query string."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target.rstrip("?") or default


def init_app(app: Flask) -> None:
    # Order matters: the user is known before CSRF and password checks run.
    app.before_request(load_user)
    app.before_request(require_password_change)
    app.jinja_env.globals["has_role"] = has_role
