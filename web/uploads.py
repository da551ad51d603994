"""Uploads: how big a request may be, and where an uploaded file waits while it is checked.

Every request body is small (``SMALL_BODY_BYTES``) except a recording sent by
someone allowed to send one: that may be as large as config.yaml's
``audio.max_upload_mb``, and a playlist bundle, up to ``bundles.max_bytes``.
Uploaded files are spooled inside the data folder (``data_dir/tmp``), never in
/tmp, which on a Pi may be memory.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from flask import Flask, Request, current_app, request
from werkzeug.datastructures import FileStorage

from playlists.settings import Settings
from web.auth import OPERATOR, has_role
from web.state import settings

SMALL_BODY_BYTES = 2 * 1024 * 1024  # forms, JSON and playlist files
FORM_OVERHEAD_BYTES = 1024 * 1024  # multipart boundaries and the other fields
SPOOL_IN_MEMORY_BYTES = 500 * 1024  # werkzeug's own threshold
# Endpoints that take a recording (or a picture for the playlist editor, which
# media/images.py limits itself); they get the large limit.
RECORDING_ENDPOINTS = frozenset(
    {"announcements.set_voice", "playlists.add_recording", "playlists.add_image"}
)
# Where the panel takes a playlist bundle, which may be as large as bundles.max_bytes.
BUNDLE_ENDPOINT = "bundles.import_bundle_upload"
_SAFE_SUFFIX = re.compile(r"\.[a-z0-9]{1,8}")


def recording_limit(settings: Settings) -> int:
    """Return the largest request that may carry a recording, in bytes."""
    return settings.audio.max_upload_mb * 1_000_000 + FORM_OVERHEAD_BYTES


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


def limit_body_size() -> None:
    """Let only a recording or bundle upload by an operator be large; the rest stays small."""
    # MAX_CONTENT_LENGTH (the recording limit, see create_app) caps all but a bundle,
    # which bundles.max_bytes caps.
    ceiling = current_app.config["MAX_CONTENT_LENGTH"]
    if request.endpoint in RECORDING_ENDPOINTS and has_role(OPERATOR):
        request.max_content_length = ceiling
    elif request.endpoint == BUNDLE_ENDPOINT and has_role(OPERATOR):
        request.max_content_length = settings().bundles.max_bytes + FORM_OVERHEAD_BYTES
    else:
        request.max_content_length = min(ceiling, SMALL_BODY_BYTES)


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
