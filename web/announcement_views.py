"""Announcements: list them with their speech, write new ones, give one a recorded voice."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from media.errors import MediaError
from playlists.content import announcement_table, announcing, editing, review
from playlists.content.limits import MAX_ANNOUNCEMENT_TEXT, MAX_TITLE
from playlists.errors import EditError, NotFoundError, ReviewError, VillagecastError
from playlists.model import Announcement
from web import errors, uploads
from web.auth import OPERATOR, has_role, login_required, role_required
from web.review_views import review_message
from web.state import ingest, now, settings, store

bp = Blueprint("announcements", __name__, url_prefix="/announcements")

CHARS_PER_SECOND = 4.5  # a steady Mandarin announcer; the JS estimate uses the same


def _render(title: str = "", text: str = "") -> str:
    showing_archived = request.args.get("archived") == "1"
    return render_template(
        "announcements.html",
        announcements=announcement_table.list_announcements(store(), archived=showing_archived),
        showing_archived=showing_archived,
        archived_count=announcement_table.count_archived(store()),
        title=title,
        text=text,
        max_text=MAX_ANNOUNCEMENT_TEXT,
        max_title=MAX_TITLE,
        chars_per_second=CHARS_PER_SECOND,
        max_upload_mb=settings().audio.max_upload_mb,
        max_recording_minutes=settings().audio.max_recording_minutes,
    )


@bp.route("")
@login_required
def index() -> str:
    return _render()


def _words_message(exc: EditError) -> str:
    """Say in the user's language what is wrong with an announcement's words."""
    if exc.rule == announcing.TEXT_EMPTY:
        return _("Write the text to be broadcast first.")
    if exc.rule == announcing.TEXT_LENGTH:
        return _(
            "The text has %(n)d characters; at most %(max)d are allowed.",
            n=exc.values["n"],
            max=exc.values["limit"],
        )
    return _("The title may have at most %(max)d characters.", max=exc.values["limit"])


@bp.route("", methods=("POST",))
@role_required(OPERATOR)
def create() -> Response | str:
    title = request.form.get("title", "").strip()
    text = request.form.get("text", "").strip()
    try:
        # Speech is made now, while someone waits for it, never at air time.
        announcing.create(ingest(), title, text, created_by=g.user.username)
    except EditError as exc:
        error = _words_message(exc)
    except (VillagecastError, MediaError) as exc:
        error = _("The announcement was not saved: %(reason)s", reason=str(exc))
    else:
        flash(
            _(
                "The announcement is saved and its speech is ready. Listen to it, then "
                "send it for review: it is broadcast once a reviewer approves it."
            ),
            "info",
        )
        return redirect(url_for("announcements.index"))
    flash(error, "error")
    return _render(title, text)


def _existing(announcement_id: int) -> Announcement:
    try:
        return announcement_table.get_announcement(store(), announcement_id)
    except NotFoundError:
        abort(404, _("That announcement does not exist (any more)."))


@bp.route("/<int:announcement_id>/edit", methods=("POST",))
@role_required(OPERATOR)
def edit(announcement_id: int) -> Response | str:
    """Change the words: new speech and slides, and the announcement goes back to draft."""
    _existing(announcement_id)
    title = request.form.get("title", "").strip()
    text = request.form.get("text", "").strip()
    error: str | None = None
    try:
        announcing.edit(ingest(), announcement_id, title, text, g.user.username)
    except EditError as exc:
        error = _words_message(exc)
    except (VillagecastError, MediaError) as exc:
        error = _("The announcement was not changed: %(reason)s", reason=str(exc))
    else:
        flash(_("Changed. Send it for review again: it is not broadcast until approved."), "info")
    if error is not None:
        flash(error, "error")
    return redirect(url_for("announcements.index", _anchor=f"announcement-{announcement_id}"))


@bp.route("/<int:announcement_id>/submit", methods=("POST",))
@role_required(OPERATOR)
def submit(announcement_id: int) -> Response:
    """Send a draft to the review queue."""
    _existing(announcement_id)
    try:
        review.submit(store(), review.ANNOUNCEMENT, announcement_id, g.user.username, now())
    except ReviewError as exc:
        flash(review_message(exc), "error")
    else:
        flash(_("Sent for review. A reviewer approves it before it is broadcast."), "info")
    return redirect(url_for("announcements.index", _anchor=f"announcement-{announcement_id}"))


@bp.route("/<int:announcement_id>/schedule", methods=("POST",))
@role_required(OPERATOR)
def schedule(announcement_id: int) -> Response:
    """Open the schedule form on the playlist of just this announcement, made if need be."""
    _existing(announcement_id)
    playlist_id, made = editing.playlist_of_announcement(
        store(), announcement_id, g.user.username, now()
    )
    if made:
        name = review.state(store(), review.PLAYLIST, playlist_id).label
        flash(
            _(
                "Made the playlist “%(name)s” of this announcement: choose when it plays.",
                name=name,
            ),
            "info",
        )
    return redirect(url_for("schedule.new", playlist_id=playlist_id))


@bp.route("/<int:announcement_id>/voice", methods=("POST",))
@role_required(OPERATOR)
def set_voice(announcement_id: int) -> Response:
    announcement = _existing(announcement_id)
    # No #anchor: the message is shown at the top of the page, where it must be seen.
    back = url_for("announcements.index")
    upload = request.files.get("recording")
    if upload is None or not upload.filename:
        flash(_("Choose a recording first."), "error")
        return redirect(back)
    try:
        with uploads.saved_upload(upload) as path:
            # Checked (size, length, ffprobe) and leveled before anything changes.
            announcing.give_recording(
                ingest(), announcement_id, path, upload.filename, g.user.username
            )
    except (VillagecastError, MediaError) as exc:
        # The checks name the file they read: name the one the operator chose, not our copy.
        reason = str(exc).replace(path.name, upload.filename)
        flash(_("The voice was not replaced: %(reason)s", reason=reason), "error")
        return redirect(back)
    flash(
        _(
            "“%(title)s” now speaks with the recording. Send it for review: it is not "
            "broadcast until a reviewer approves it.",
            title=announcement.title,
        ),
        "info",
    )
    return redirect(back)


@bp.errorhandler(RequestEntityTooLarge)
def too_large(error: RequestEntityTooLarge) -> ResponseReturnValue:
    """Answer a too-big recording on the page it came from, saying how big it may be."""
    if request.endpoint not in uploads.RECORDING_ENDPOINTS or not has_role(OPERATOR):
        return errors.handle_http_error(error)
    message = _(
        "The recording is too big: at most %(mb)d MB may be uploaded. Shorten it or "
        "save it at a lower quality (for example MP3), then try again.",
        mb=settings().audio.max_upload_mb,
    )
    if errors.wants_json():
        return jsonify(error=message), 413
    flash(message, "error")
    return _render(), 413
