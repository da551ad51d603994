"""Uploads: how big a request may be, and where an uploaded file waits while it is checked.

Every request body is small (``SMALL_BODY_BYTES``) except a recording sent by
someone allowed to send one: that may be as large as config.yaml's
``audio.max_upload_mb``, and a playlist bundle, up to ``bundles.max_bytes``.
Uploaded files are spooled inside the data folder (``data_dir/tmp``), never in
/tmp, which on a Pi may be memory. The server applies the same limit before it reads
a body (``head_body_limit``, used by web/serving.py), so an anonymous 1 GB post is
refused from its head, not after it has been stored.
"""

from __future__ import annotations

import contextlib
import functools
import io
import os
import re
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO

from flask import Flask, Request, current_app, request
from werkzeug.datastructures import FileStorage, Headers
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge
from werkzeug.test import EnvironBuilder

from playlists.settings import Settings
from web.auth import OPERATOR, has_role, load_user
from web.serving import BODY_REFUSED, ServingLimits
from web.state import settings

SMALL_BODY_BYTES = 2 * 1024 * 1024  # forms, JSON and playlist files
FORM_OVERHEAD_BYTES = 1024 * 1024  # multipart boundaries and the other fields
SPOOL_IN_MEMORY_BYTES = 500 * 1024  # werkzeug's own threshold
# Endpoints that take a recording (or a picture for the playlist editor, which
# media/images.py limits itself); they get the large limit.
# waitress's names of the headers that tell who is asking.
_HEAD_FIELDS = {"COOKIE": "Cookie", "AUTHORIZATION": "Authorization"}
RECORDING_ENDPOINTS = frozenset(
    {
        "announcements.set_voice",
        "playlists.add_recording",
        "playlists.add_image",
        "town_emergency.send",
    }
)
# Where the panel takes a playlist bundle, which may be as large as bundles.max_bytes.
BUNDLE_ENDPOINT = "bundles.import_bundle_upload"
_SAFE_SUFFIX = re.compile(r"\.[a-z0-9]{1,8}")


def recording_limit(settings: Settings) -> int:
    """Return the largest request that may carry a recording, in bytes."""
    return settings.audio.max_upload_mb * 1_000_000 + FORM_OVERHEAD_BYTES


def serving_limits(app: Flask, settings: Settings) -> ServingLimits:
    """Return what the panel's server lets one client take (see web/serving.py)."""
    return ServingLimits(
        body_limit=functools.partial(head_body_limit, app),
        spool_dir=settings.data_dir / "tmp",
        header_timeout=settings.panel.header_timeout,
        connections_per_client=settings.panel.connections_per_client,
    )


def tmp_dir() -> Path:
    folder = settings().data_dir / "tmp"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class PanelRequest(Request):
    """A request whose large uploads are spooled inside the data folder."""

    def _get_file_stream(
        self,
        total_content_length: int | None,
        content_type: str | None,
        filename: str | None = None,
        content_length: int | None = None,
    ) -> IO[bytes]:
        if total_content_length is not None and total_content_length <= SPOOL_IN_MEMORY_BYTES:
            return io.BytesIO()
        # Unnamed (O_TMPFILE where the file system allows): nothing is left after a crash.
        return tempfile.TemporaryFile("wb+", dir=tmp_dir())


def body_limit() -> int:
    """Return the largest body the current request may send, in bytes."""
    # MAX_CONTENT_LENGTH (the recording limit, see create_app) caps all but a bundle,
    # which bundles.max_bytes caps.
    ceiling: int = current_app.config["MAX_CONTENT_LENGTH"]
    if request.endpoint in RECORDING_ENDPOINTS and has_role(OPERATOR):
        return ceiling
    if request.endpoint == BUNDLE_ENDPOINT and has_role(OPERATOR):
        return settings().bundles.max_bytes + FORM_OVERHEAD_BYTES
    return min(ceiling, SMALL_BODY_BYTES)


def limit_body_size() -> None:
    """Let only a recording or bundle upload by an operator be large; the rest stays small."""
    if request.environ.get(BODY_REFUSED):
        raise RequestEntityTooLarge()  # the server left the body unread (web/serving.py)
    request.max_content_length = body_limit()


def head_body_limit(app: Flask, method: str, path: str, headers: Mapping[str, str]) -> int:
    """Decide a request's body limit from its head, before the server reads the body.

    ``headers`` are waitress's (``COOKIE``, ``AUTHORIZATION``). Only an upload route
    asks who is logged in; everything else gets the small limit at once.
    """
    small: int = min(app.config["MAX_CONTENT_LENGTH"], SMALL_BODY_BYTES)
    try:
        endpoint, _args = app.url_map.bind("localhost").match(path, method)
    except HTTPException:
        return small  # no such page (or a redirect): it reads no body
    if endpoint not in RECORDING_ENDPOINTS and endpoint != BUNDLE_ENDPOINT:
        return small
    sent = {name: headers[key] for key, name in _HEAD_FIELDS.items() if key in headers}
    builder = EnvironBuilder(path=path, method=method, headers=Headers(sent))
    try:
        with app.request_context(builder.get_environ()):
            load_user()
            return body_limit()
    except HTTPException:
        return small  # a wrong API token: the request will be refused anyway
    finally:
        builder.close()


@contextlib.contextmanager
def saved_upload(upload: FileStorage) -> Iterator[Path]:
    """Save an upload under a generated name in data_dir/tmp; delete it afterwards, always."""
    # The client's file name never becomes a path; only a plain extension is kept,
    # which helps ffprobe recognize a few containers.
    suffix = Path(upload.filename or "").suffix.lower()
    if not _SAFE_SUFFIX.fullmatch(suffix):
        suffix = ""
    handle, name = tempfile.mkstemp(prefix="upload-", suffix=suffix, dir=tmp_dir())
    path = Path(name)
    try:
        with os.fdopen(handle, "wb") as target:
            upload.save(target)
        yield path
    finally:
        path.unlink(missing_ok=True)


def init_app(app: Flask) -> None:
    app.request_class = PanelRequest
    # Runs after the user is loaded (web/auth.py) and before CSRF reads the form.
    app.before_request(limit_body_size)
