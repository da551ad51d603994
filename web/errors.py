"""One error handler for the whole panel: HTML for people, JSON for API clients."""

from __future__ import annotations

from flask import Flask, Response, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

# Werkzeug's own descriptions are English prose for developers; operators get these.
_DEFAULT_MESSAGES = {
    400: _l("The request was not understood."),
    401: _l("Log in first."),
    403: _l("Your account may not do this."),
    404: _l("There is nothing at this address."),
    405: _l("This address does not accept that kind of request."),
    413: _l("The upload is too big."),
    500: _l("Something went wrong inside the panel. The problem has been logged."),
}


def wants_json() -> bool:
    """Tell whether the client expects JSON rather than a page."""
    if request.path.startswith(("/api/", "/town/v1/")):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def describe(error: HTTPException) -> str:
    """Return the message to show: ours when a view gave one, else a friendly default."""
    if error.description and error.description != type(error).description:
        return str(error.description)
    return str(_DEFAULT_MESSAGES.get(error.code or 500, error.name))


def handle_http_error(error: HTTPException) -> tuple[Response | str, int, list[tuple[str, str]]]:
    code = error.code or 500
    # Keep headers such as Allow (405); the body and its type are ours.
    headers = [(k, v) for k, v in error.get_headers() if k.lower() != "content-type"]
    message = describe(error)
    if wants_json():
        return jsonify(error=message), code, headers
    return render_template("error.html", code=code, message=message), code, headers


def init_app(app: Flask) -> None:
    # Flask wraps unhandled exceptions in InternalServerError, so this covers 500s too.
    app.register_error_handler(HTTPException, handle_http_error)
