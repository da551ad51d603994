"""Cross-site request forgery protection: a per-session token on every state change.

Forms carry it in a hidden ``csrf_token`` field; JavaScript sends it in the
``X-CSRF-Token`` header. Requests authenticated by an API token (not by the
session cookie) cannot be forged by another site, so they skip the check.
"""

from __future__ import annotations

import hmac
import secrets

from flask import Flask, abort, request, session
from flask_babel import gettext as _

from web.auth import DEVICE_PATH
from web.state import auth_via, signed_in_user

FIELD = "csrf_token"
HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


def csrf_token() -> str:
    """Return this session's token, making one on first use."""
    token = session.get(FIELD)
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        session[FIELD] = token
    return token


def check_csrf() -> None:
    """Refuse a state-changing request whose token is missing or wrong."""
    if request.method in SAFE_METHODS or request.routing_exception is not None:
        return
    if auth_via() == "token" or request.path.startswith(DEVICE_PATH):
        return  # a bearer token, which no other site can send; /town/v1/ reads no session
    if signed_in_user() is None and request.path.startswith("/api/"):
        return  # changes nothing: every API change needs a login, and a script learns 401
    expected = session.get(FIELD)
    sent = request.headers.get(HEADER) or request.form.get(FIELD)
    # Compared as bytes: compare_digest refuses str that is not ASCII, which anyone may send.
    if not expected or not sent or not hmac.compare_digest(sent.encode(), str(expected).encode()):
        abort(
            400,
            _(
                "This form has expired or came from another site. "
                "Go back, reload the page and try again."
            ),
        )


def init_app(app: Flask) -> None:
    app.before_request(check_csrf)
    app.jinja_env.globals["csrf_token"] = csrf_token
