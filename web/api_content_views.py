"""The JSON API for content: announcements, playlists and their review.

The same roles as the panel's pages: anyone logged in reads; operators write and send
for review; reviewers approve and send back. Every change is written with its audit
row (the library and review functions write theirs). The schedule is in
web/api_views.py; web/static/openapi.yaml describes every call.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from typing import Any, NoReturn

from flask import Blueprint, abort, g, jsonify, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from media.errors import MediaError
from playlists.clock import station_iso
from playlists.content import announcement_table, announcing, playlist_table, review
from playlists.content.limits import MAX_ANNOUNCEMENT_TEXT, MAX_TITLE
from playlists.content.review import ANNOUNCEMENT, PLAYLIST, ReviewState
from playlists.errors import ContentError, NotFoundError, ReviewError
from playlists.model import Announcement
from playlists.store import from_db_time
from web import api_fields
from web.auth import OPERATOR, REVIEWER, login_required, role_required
from web.review_views import review_message
from web.state import ingest, now, settings, store

bp = Blueprint("api_content", __name__, url_prefix="/api/v1")

# What a review step that does not apply answers, by web/review_views' codes; else 409.
_REVIEW_STATUS = {review.OWN_CHANGE: 403, review.NO_COMMENT: 400, review.LONG_COMMENT: 400}


def _iso(value: dt.datetime | None) -> str | None:
    return station_iso(value, settings().tz)


def _not_found(subject: str, subject_id: int) -> NoReturn:
    messages = {
        ANNOUNCEMENT: _("There is no announcement %(id)d.", id=subject_id),
        PLAYLIST: _("There is no playlist %(id)d.", id=subject_id),
    }
    abort(404, messages[subject])


def _subject(subject: str) -> str:
    # Checked here, not by the route: an anonymous caller learns 401 first, as everywhere.
    if subject not in (ANNOUNCEMENT, PLAYLIST):
        abort(404, _("Only announcements and playlists are reviewed."))
    return subject


def _review_error(exc: ReviewError) -> NoReturn:
    abort(_REVIEW_STATUS.get(exc.code, 409), review_message(exc))


def state_json(state: ReviewState) -> dict[str, Any]:
    return {
        "subject": state.subject,
        "id": state.id,
        "label": state.label,
        "review": state.review.value,
        "comment": state.comment,
        "changed_by": state.changed_by,
        "reviewed_by": state.reviewed_by,
        "reviewed_at": _iso(state.reviewed_at),
        "updated_at": _iso(state.updated_at),
    }


def _state(subject: str, subject_id: int) -> Response:
    return jsonify(state_json(review.state(store(), subject, subject_id)))


# -- announcements -----------------------------------------------------------------


def announcement_json(a: Announcement) -> dict[str, Any]:
    return {
        "id": a.id,
        "title": a.title,
        "text": a.text,
        "review": a.review.value,
        "review_comment": a.review_comment,
        "reviewed_by": a.reviewed_by,
        "changed_by": a.changed_by,
        "engine": a.engine,
        "duration": a.duration,
        "media_sha256": a.media_sha256,
        "created_at": _iso(a.created_at),
        "archived_at": _iso(a.archived_at),
    }


@bp.route("/announcements")
@login_required
def announcements() -> Response:
    return jsonify([announcement_json(a) for a in announcement_table.list_announcements(store())])


@bp.route("/announcements/<int:announcement_id>")
@login_required
def announcement(announcement_id: int) -> Response:
    try:
        return jsonify(
            announcement_json(announcement_table.get_announcement(store(), announcement_id))
        )
    except NotFoundError:
        _not_found(ANNOUNCEMENT, announcement_id)


@bp.route("/announcements", methods=("POST",))
@role_required(OPERATOR)
def create_announcement() -> tuple[Response, int, dict[str, str]]:
    body = api_fields.json_object({"title", "text"}, {"text"})
    title = api_fields.text(body, "title", MAX_TITLE)
    text = api_fields.text(body, "text", MAX_ANNOUNCEMENT_TEXT, required=True)
    try:
        # Speech is made now, while the script waits, never at air time.
        new_id = announcing.create(ingest(), title, text, created_by=g.user.username)
    except ContentError as exc:
        abort(400, _("The announcement was not saved: %(reason)s", reason=str(exc)))
    except MediaError as exc:  # the speech engines failed: the station's trouble, not the text
        abort(503, _("The announcement was not saved: %(reason)s", reason=str(exc)))
    location = url_for("api_content.announcement", announcement_id=new_id)
    created = announcement_json(announcement_table.get_announcement(store(), new_id))
    return jsonify(created), 201, {"Location": location}


def _submit(subject: str, subject_id: int) -> Response:
    api_fields.optional_object()
    try:
        review.submit(store(), subject, subject_id, g.user.username, now())
    except NotFoundError:
        _not_found(subject, subject_id)
    except ReviewError as exc:
        _review_error(exc)
    return _state(subject, subject_id)


@bp.route("/announcements/<int:announcement_id>/submit", methods=("POST",))
@role_required(OPERATOR)
def submit_announcement(announcement_id: int) -> Response:
    return _submit(ANNOUNCEMENT, announcement_id)


# -- playlists ---------------------------------------------------------------------


def _summary_json(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "name": row["name"],
        "description": row["description"],
        "review": row["review"],
        "review_comment": row["review_comment"],
        "reviewed_by": row["reviewed_by"],
        "changed_by": row["changed_by"],
        "playable": bool(row["playable"]),
        "item_count": row["items"],
        "duration": row["duration"],
        "archived_at": _iso(from_db_time(row["archived_at"])),
    }


@bp.route("/playlists")
@login_required
def playlists() -> Response:
    return jsonify([_summary_json(row) for row in playlist_table.list_playlists(store())])


@bp.route("/playlists/<int:playlist_id>")
@login_required
def playlist(playlist_id: int) -> Response:
    try:
        found = playlist_table.get_playlist(store(), playlist_id, settings().media_dir)
    except NotFoundError:
        _not_found(PLAYLIST, playlist_id)
    (row,) = [r for r in playlist_table.list_playlists(store()) if r["id"] == playlist_id]
    items = [
        {
            "position": item.position,
            "kind": item.kind.value,
            "duration": item.duration,
            "repeat": item.repeat,
            "slide": {"title": item.slide.title, "body": item.slide.body},
            "announcement_id": item.announcement_id,
            "text": item.text,
        }
        for item in found.items
    ]
    return jsonify({**_summary_json(row), "items": items})


@bp.route("/playlists/<int:playlist_id>/submit", methods=("POST",))
@role_required(OPERATOR)
def submit_playlist(playlist_id: int) -> Response:
    return _submit(PLAYLIST, playlist_id)


# -- review ------------------------------------------------------------------------


@bp.route("/review")
@role_required(REVIEWER)
def review_queue() -> Response:
    return jsonify([state_json(item) for item in review.queue(store())])


@bp.route("/review/<subject>/<int:subject_id>/approve", methods=("POST",))
@role_required(REVIEWER)
def approve(subject: str, subject_id: int) -> Response:
    subject = _subject(subject)
    api_fields.optional_object()
    try:
        review.approve(
            store(),
            subject,
            subject_id,
            g.user.username,
            now(),
            self_approval=settings().review.self_approval,
        )
    except NotFoundError:
        _not_found(subject, subject_id)
    except ReviewError as exc:
        _review_error(exc)
    return _state(subject, subject_id)


@bp.route("/review/<subject>/<int:subject_id>/reject", methods=("POST",))
@role_required(REVIEWER)
def reject(subject: str, subject_id: int) -> Response:
    subject = _subject(subject)
    body = api_fields.json_object({"comment"}, {"comment"})
    comment = api_fields.text(body, "comment", review.MAX_COMMENT, required=True)
    try:
        review.reject(store(), subject, subject_id, g.user.username, comment, now())
    except NotFoundError:
        _not_found(subject, subject_id)
    except ReviewError as exc:
        _review_error(exc)
    return _state(subject, subject_id)
