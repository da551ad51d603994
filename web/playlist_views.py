"""Playlists: list, build and change them by hand, send them for review, import YAML.

Every change goes through playlists/content/editing.py: one transaction that takes an approved
playlist back to draft and writes the audit row. The pages work without JavaScript:
moving an item is a form with an up and a down button.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from flask import Blueprint, abort, flash, g, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from media.errors import MediaError
from playlists.access import emergency_right
from playlists.content import announcement_table, archive, editing, playlist_table, review
from playlists.content.playlist_contents import items_of, schedules_using
from playlists.content.playlist_format import parse_playlist
from playlists.content.playlist_rules import check_seconds
from playlists.errors import (
    ArchiveError,
    EditError,
    EmergencyRightError,
    NotFoundError,
    ReviewError,
    ScheduleLimitError,
    VillagecastError,
)
from playlists.model import ItemKind, Review, Slide
from web import errors, uploads
from web import playlist_forms as forms
from web.api_fields import id_of
from web.archive_views import archive_message
from web.auth import OPERATOR, has_role, login_required, role_required
from web.playlist_forms import Refused, who
from web.playlist_messages import describe_use, edit_message, import_refusal
from web.review_views import review_message
from web.state import ingest, now, settings, store

bp = Blueprint("playlists", __name__, url_prefix="/playlists")

RECORDING_SUFFIXES = (".mp3", ".wav", ".m4a", ".ogg")
MOVES = {"up": -1, "down": 1}


# -- the list --------------------------------------------------------------------------


def _render_index(name: str = "", description: str = "") -> str:
    showing_archived = request.args.get("archived") == "1"
    return render_template(
        "playlists.html",
        playlists=playlist_table.list_playlists(store(), archived=showing_archived),
        showing_archived=showing_archived,
        archived_count=playlist_table.count_archived(store()),
        name=name,
        description=description,
        limits=forms.limits(),
    )


@bp.route("")
@login_required
def index() -> str:
    return _render_index()


@bp.route("", methods=("POST",))
@role_required(OPERATOR)
def create() -> Response | str:
    name, description = request.form.get("name", ""), request.form.get("description", "")
    try:
        playlist_id = editing.create_playlist(store(), name, description, g.user.username, now())
    except EditError as exc:
        flash(edit_message(exc), "error")
        return _render_index(name, description)
    flash(_("Created the playlist “%(name)s”. Now add its items.", name=name.strip()), "info")
    return redirect(url_for("playlists.edit", playlist_id=playlist_id))


@bp.route("/import", methods=("POST",))
@role_required(OPERATOR)
def import_yaml() -> Response | str:
    upload = request.files.get("playlist")
    if upload is None or not upload.filename:
        flash(_("Choose a playlist file (.yaml) first."), "error")
        return redirect(url_for("playlists.index"))
    try:
        # Parsing checks the whole document before anything is stored.
        spec = parse_playlist(upload.read(), source=upload.filename)
        playlist_id = ingest().import_playlist(
            spec,
            base_dir=None,
            created_by=g.user.username,
            may_emergency=emergency_right.holds(g.user),
        )
    except (EmergencyRightError, ScheduleLimitError) as exc:
        reason = import_refusal(exc)
        flash(_("The playlist was not imported: %(reason)s", reason=reason), "error")
        return redirect(url_for("playlists.index"))
    except (VillagecastError, MediaError) as exc:
        flash(_("The playlist was not imported: %(reason)s", reason=str(exc)), "error")
        return redirect(url_for("playlists.index"))
    flash(_("Imported playlist %(name)s.", name=spec.name), "info")
    return redirect(url_for("playlists.index", _anchor=f"playlist-{playlist_id}"))


# -- one playlist ----------------------------------------------------------------------


def _existing(playlist_id: int) -> review.ReviewState:
    try:
        return review.state(store(), review.PLAYLIST, playlist_id)
    except NotFoundError:
        abort(404, _("That playlist does not exist (any more)."))


def _render_editor(playlist_id: int, name: str | None = None, description: str = "") -> str:
    state = _existing(playlist_id)
    playlist = playlist_table.get_playlist(store(), playlist_id, settings().media_dir)
    items = items_of(store(), playlist_id)
    return render_template(
        "playlist_edit.html",
        state=state,
        playlist=playlist,
        items=items,
        total=sum(item.total_duration for item in items),
        playable=bool(items) and review.playlist_unplayable(store(), playlist_id) is None,
        announcements=announcement_table.list_announcements(store(), archived=False),
        archived=archive.is_archived(store(), review.PLAYLIST, playlist_id),
        uses=[describe_use(use) for use in schedules_using(store(), playlist_id)],
        name=playlist.name if name is None else name,
        description=playlist.description if name is None else description,
        limits=forms.limits(),
    )


@bp.route("/<int:playlist_id>")
@login_required
def edit(playlist_id: int) -> str:
    return _render_editor(playlist_id)


@bp.route("/<int:playlist_id>", methods=("POST",))
@role_required(OPERATOR)
def update_details(playlist_id: int) -> Response | str:
    name, description = request.form.get("name", ""), request.form.get("description", "")
    return _change(
        playlist_id,
        lambda: (
            _("Saved the name and description.")
            if editing.update_playlist(store(), playlist_id, name, description, *who())
            else _("Nothing was changed.")
        ),
        on_error=lambda: _render_editor(playlist_id, name, description),
    )


@bp.route("/<int:playlist_id>/submit", methods=("POST",))
@role_required(OPERATOR)
def submit(playlist_id: int) -> Response:
    _existing(playlist_id)
    try:
        editing.submit_for_review(store(), playlist_id, *who())
    except EditError as exc:
        flash(edit_message(exc), "error")
    except ReviewError as exc:
        flash(review_message(exc), "error")
    else:
        flash(_("Sent for review. A reviewer approves it before it is broadcast."), "info")
    return redirect(url_for("playlists.edit", playlist_id=playlist_id))


@bp.route("/<int:playlist_id>/delete", methods=("POST",))
@role_required(OPERATOR)
def delete(playlist_id: int) -> Response:
    _existing(playlist_id)
    back = url_for("playlists.edit", playlist_id=playlist_id)
    if request.form.get("confirm") != "yes":
        flash(_("Tick the box to confirm that the playlist is to be deleted."), "error")
        return redirect(back)
    try:
        name = editing.delete_playlist(store(), playlist_id, *who())
    except EditError as exc:
        flash(edit_message(exc), "error")
        return redirect(back)
    flash(_("Deleted the playlist “%(name)s”.", name=name), "info")
    return redirect(url_for("playlists.index"))


# -- its items -------------------------------------------------------------------------


@bp.route("/<int:playlist_id>/announcement", methods=("POST",))
@role_required(OPERATOR)
def add_announcement(playlist_id: int) -> Response | str:
    def change() -> str:
        try:
            announcement_id = id_of(request.form.get("announcement_id", ""))
        except ValueError:
            raise Refused(_("Choose an announcement first.")) from None
        editing.add_item(
            store(), playlist_id, ItemKind.ANNOUNCEMENT, *who(),
            announcement_id=announcement_id, repeat=forms.repeat(), slide=forms.slide(),
        )  # fmt: skip
        forms.render_slide(forms.slide())
        return _("Added the announcement.")

    return _change(playlist_id, change)


@bp.route("/<int:playlist_id>/recording", methods=("POST",))
@role_required(OPERATOR)
def add_recording(playlist_id: int) -> Response | str:
    def change() -> str:
        upload = forms.upload_in("recording", _("Choose a recording first."))
        if Path(upload.filename or "").suffix.lower() not in RECORDING_SUFFIXES:
            raise Refused(
                _("“%(name)s” is not an MP3, WAV, M4A or OGG file.", name=upload.filename)
            )
        repeat, slide = forms.repeat(), forms.slide()  # refused before the slow part
        record = forms.stored(
            upload,
            lambda path: ingest().add_recording(path, upload.filename or ""),
            lambda reason: _("The recording was not added: %(reason)s", reason=reason),
        )
        editing.add_item(
            store(), playlist_id, ItemKind.AUDIO, *who(),
            media_sha256=record.sha256, repeat=repeat, slide=slide,
        )  # fmt: skip
        forms.render_slide(slide)
        return _("Added the recording “%(name)s”.", name=upload.filename)

    return _change(playlist_id, change)


@bp.route("/<int:playlist_id>/image", methods=("POST",))
@role_required(OPERATOR)
def add_image(playlist_id: int) -> Response | str:
    def change() -> str:
        upload = forms.upload_in("image", _("Choose a picture first."))
        seconds = check_seconds(ItemKind.IMAGE, forms.seconds())
        record = forms.stored(
            upload,
            ingest().ingest_image,
            lambda reason: _("The picture was not added: %(reason)s", reason=reason),
        )
        editing.add_item(
            store(), playlist_id, ItemKind.IMAGE, *who(),
            media_sha256=record.sha256, seconds=seconds, repeat=forms.repeat(),
        )  # fmt: skip
        ingest().render_slides(Slide(), record.sha256)  # fitted to every screen now
        return _("Added the picture “%(name)s”.", name=upload.filename)

    return _change(playlist_id, change)


@bp.route("/<int:playlist_id>/pause", methods=("POST",))
@role_required(OPERATOR)
def add_pause(playlist_id: int) -> Response | str:
    def change() -> str:
        editing.add_item(
            store(), playlist_id, ItemKind.PAUSE, *who(),
            seconds=forms.seconds(), repeat=forms.repeat(), slide=forms.slide(),
        )  # fmt: skip
        forms.render_slide(forms.slide())
        return _("Added the pause.")

    return _change(playlist_id, change)


@bp.route("/<int:playlist_id>/items/<int:item_id>", methods=("POST",))
@role_required(OPERATOR)
def update_item(playlist_id: int, item_id: int) -> Response | str:
    def change() -> str:
        seconds = forms.seconds() if "seconds" in request.form else None
        changed = editing.update_item(
            store(), playlist_id, item_id, *who(),
            repeat=forms.repeat(), slide=forms.slide(), seconds=seconds,
        )  # fmt: skip
        forms.render_slide(forms.slide())
        return _("Saved the item.") if changed else _("Nothing was changed.")

    return _change(playlist_id, change, anchor=f"item-{item_id}")


@bp.route("/<int:playlist_id>/items/<int:item_id>/move", methods=("POST",))
@role_required(OPERATOR)
def move_item(playlist_id: int, item_id: int) -> Response | str:
    step = MOVES.get(request.form.get("direction", ""))
    if step is None:
        abort(400, _("Say which way to move the item: up or down."))

    def change() -> str:
        position = editing.move_item(store(), playlist_id, item_id, step, *who())
        return _("Moved the item to place %(n)d.", n=position)

    return _change(playlist_id, change, anchor=f"item-{item_id}")


@bp.route("/<int:playlist_id>/items/<int:item_id>/remove", methods=("POST",))
@role_required(OPERATOR)
def remove_item(playlist_id: int, item_id: int) -> Response | str:
    def change() -> str:
        editing.remove_item(store(), playlist_id, item_id, *who())
        return _("Removed the item.")

    return _change(playlist_id, change, anchor="items")


# -- helpers ---------------------------------------------------------------------------


def _change(
    playlist_id: int,
    change: Callable[[], str],
    anchor: str | None = None,
    on_error: Callable[[], str] | None = None,
) -> Response | str:
    """Make one change and go back to the editor, saying what happened."""
    before = _existing(playlist_id).review
    try:
        message = change()
    except (EditError, ArchiveError, Refused, NotFoundError) as exc:
        if isinstance(exc, EditError):
            flash(edit_message(exc), "error")
        elif isinstance(exc, ArchiveError):
            flash(archive_message(exc), "error")
        elif isinstance(exc, Refused):
            flash(str(exc), "error")
        else:
            flash(_("That is not in the playlist (any more). Here it is as it is now."), "error")
        if on_error is not None:
            return on_error()
        # No #anchor: the message is shown at the top of the page, where it must be seen.
        return redirect(url_for("playlists.edit", playlist_id=playlist_id))
    flash(message, "info")
    after = _existing(playlist_id).review
    if before in (Review.APPROVED, Review.PENDING) and after is Review.DRAFT:
        flash(
            _("Changed. Send it for review again: it is not broadcast until approved."), "warning"
        )
    return redirect(url_for("playlists.edit", playlist_id=playlist_id, _anchor=anchor))


@bp.errorhandler(RequestEntityTooLarge)
def too_large(error: RequestEntityTooLarge) -> ResponseReturnValue:
    """Answer a too-big recording or picture on the editor, saying how big it may be."""
    playlist_id = (request.view_args or {}).get("playlist_id")
    if request.endpoint not in uploads.RECORDING_ENDPOINTS or playlist_id is None:
        return errors.handle_http_error(error)
    if not has_role(OPERATOR):
        return errors.handle_http_error(error)
    if request.endpoint == "playlists.add_image":
        message = _(
            "The picture is too big: at most %(mb)d MB. Save it smaller and try again.",
            mb=forms.limits()["image_mb"],
        )
    else:
        message = _(
            "The recording is too big: at most %(mb)d MB may be uploaded. Shorten it or "
            "save it at a lower quality (for example MP3), then try again.",
            mb=settings().audio.max_upload_mb,
        )
    if errors.wants_json():
        return jsonify(error=message), 413
    flash(message, "error")
    return _render_editor(playlist_id), 413
