"""Announcements: list them with their speech, write new ones."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from media.errors import MediaError
from playlists import catalog
from playlists.errors import VillagecastError
from playlists.playlist_format import MAX_TEXT
from web.auth import OPERATOR, login_required, role_required
from web.state import library, store

bp = Blueprint("announcements", __name__, url_prefix="/announcements")

CHARS_PER_SECOND = 4.5  # a steady Mandarin announcer; the JS estimate uses the same
MAX_TITLE = 100


def _render(title: str = "", text: str = "") -> str:
    return render_template(
        "announcements.html",
        announcements=catalog.list_announcements(store()),
        title=title,
        text=text,
        max_text=MAX_TEXT,
        max_title=MAX_TITLE,
        chars_per_second=CHARS_PER_SECOND,
    )


@bp.route("")
@login_required
def index() -> str:
    return _render()


def _form_error(title: str, text: str) -> str | None:
    if not text:
        return _("Write the text to be broadcast first.")
    if len(text) > MAX_TEXT:
        return _(
            "The text has %(n)d characters; at most %(max)d are allowed.", n=len(text), max=MAX_TEXT
        )
    if len(title) > MAX_TITLE:
        return _("The title may have at most %(max)d characters.", max=MAX_TITLE)
    return None


@bp.route("", methods=("POST",))
@role_required(OPERATOR)
def create() -> Response | str:
    title = request.form.get("title", "").strip()
    text = request.form.get("text", "").strip()
    error = _form_error(title, text)
    if error is None:
        try:
            # Speech is made now, while someone waits for it, never at air time.
            library().create_announcement(title, text, created_by=g.user.username)
        except (VillagecastError, MediaError) as exc:
            error = _("The announcement was not saved: %(reason)s", reason=str(exc))
        else:
            flash(_("The announcement is saved and its speech is ready."), "info")
            return redirect(url_for("announcements.index"))
    flash(error, "error")
    return _render(title, text)
