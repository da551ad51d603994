"""The playlist editor's forms: numbers, slides and uploads read strictly from a request."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import g, request
from werkzeug.datastructures import FileStorage

from media import images
from media.errors import MediaError
from playlists.content import limits as content_limits
from playlists.content import playlist_rules
from playlists.content.media_table import MediaRecord
from playlists.content.playlist_rules import check_repeat, check_slide
from playlists.errors import EditError, VillagecastError
from playlists.model import Slide
from web import uploads
from web.state import ingest, now, settings


class Refused(Exception):
    """An upload the library refused; the message is already in the operator's language."""


def limits() -> dict[str, Any]:
    """The rules the forms show and enforce in the browser too (maxlength, min, max)."""
    audio = settings().audio
    return {
        "name": content_limits.MAX_PLAYLIST_NAME,
        "description": content_limits.MAX_DESCRIPTION,
        "slide_title": content_limits.MAX_SLIDE_TITLE,
        "slide_body": content_limits.MAX_SLIDE_BODY,
        "repeat": playlist_rules.REPEAT_RANGE,
        "pause": playlist_rules.PAUSE_RANGE,
        "image": playlist_rules.IMAGE_RANGE,
        "upload_mb": audio.max_upload_mb,
        "recording_minutes": audio.max_recording_minutes,
        "image_mb": images.MAX_BYTES // 1_000_000,
    }


def who() -> tuple[str, dt.datetime]:
    """Return who makes the change and when, as playlists/content/editing.py takes them."""
    return g.user.username, now()


def repeat() -> int:
    low, high = playlist_rules.REPEAT_RANGE
    try:
        return check_repeat(int(request.form.get("repeat", "").strip() or "1"))
    except ValueError:
        raise EditError("repeat", "repeat is not a whole number", low=low, high=high) from None


def seconds(field: str = "seconds") -> float:
    """Read a number of seconds; what is not one becomes NaN, which every range refuses."""
    try:
        return float(request.form.get(field, "").strip().replace(",", "."))
    except ValueError:
        return math.nan


def slide() -> Slide:
    form = request.form
    return check_slide(Slide(form.get("slide_title", ""), form.get("slide_body", "")))


def render_slide(shown: Slide) -> None:
    if shown.title or shown.body:
        ingest().render_slides(shown)  # now, so air time only looks it up


def upload_in(field: str, missing: str) -> FileStorage:
    """Return the file sent in a field, or refuse with the message for a missing one."""
    upload = request.files.get(field)
    if upload is None or not upload.filename:
        raise Refused(missing)
    return upload


def stored(
    upload: FileStorage, ingest: Callable[[Path], MediaRecord], refused: Callable[[str], str]
) -> MediaRecord:
    """Check and store an uploaded file; nothing is kept when it is refused."""
    path: Path | None = None
    try:
        with uploads.saved_upload(upload) as path:
            return ingest(path)
    except (VillagecastError, MediaError) as exc:
        # The checks name the file they read: name the one the operator chose, not our copy.
        reason = str(exc).replace(path.name, upload.filename or "") if path else str(exc)
        raise Refused(refused(reason)) from None
