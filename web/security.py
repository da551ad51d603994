"""The session secret and the security headers every response carries."""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path

from flask import Flask, Response, request

from playlists.errors import ConfigError

SECRET_FILE = "secret_key"

# No inline scripts or styles anywhere: JS and CSS are files under web/static.
# media-src allows blob: so an operator hears a microphone recording before uploading it.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; media-src 'self' blob:; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'self'"
)
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "SAMEORIGIN",
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Referrer-Policy": "same-origin",
}


def load_secret_key(data_dir: Path) -> str:
    """Read the session secret from the data folder, creating it on first start."""
    path = data_dir / SECRET_FILE
    if not path.exists():
        _write_secret(path, secrets.token_hex(32))
    try:
        key = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the panel's secret key: {exc}") from None
    if len(key) < 32:
        raise ConfigError(f"{path}: the secret key is too short; delete the file to make a new one")
    return key


def _write_secret(path: Path, key: str) -> None:
    """Write the key to a private temporary file and rename it, so it is whole or absent."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".secret_key.", dir=path.parent)  # mode 0600
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(key + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


# Answers anyone may see and keep: the kiosk pages, their state and slides, and the
# static files. Every other answer (pages, CSV, JSON) is private and never cached.
PUBLIC_ENDPOINTS = frozenset({"static"})
PUBLIC_BLUEPRINTS = frozenset({"screens"})


def is_public(endpoint: str | None) -> bool:
    if endpoint is None:
        return False
    return endpoint in PUBLIC_ENDPOINTS or endpoint.partition(".")[0] in PUBLIC_BLUEPRINTS


def add_security_headers(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    # A view that set its own rule (media files, the village feed) keeps it.
    if "Cache-Control" not in response.headers and not is_public(request.endpoint):
        response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    app.after_request(add_security_headers)
