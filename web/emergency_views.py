"""The emergency broadcast (紧急广播): speech made now, played at once above everything else."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from media.errors import MediaError
from playlists.access import emergency_right
from playlists.commands import PlaySpeech, SentCommand
from playlists.content.limits import MAX_EMERGENCY_TEXT, MAX_TITLE
from playlists.errors import VillagecastError
from playlists.model import Priority, Slide
from web import commands
from web.auth import login_required
from web.dashboard_views import render_dashboard
from web.state import ingest, signed_in_user

bp = Blueprint("emergency", __name__, url_prefix="/emergency")

# Shown on the village screens, which are Chinese whatever the panel's language.
DEFAULT_TITLE = "紧急通知"


@bp.app_template_global()
def may_broadcast_emergency() -> bool:
    """Tell whether the current user may send an emergency broadcast.

    Emergency text interrupts everything and skips review: the right is the one every
    door asks (playlists/access/emergency_right.py).
    """
    return emergency_right.holds(signed_in_user())


@bp.app_context_processor
def emergency_limits() -> dict[str, object]:
    return {
        "emergency_max_text": MAX_EMERGENCY_TEXT,
        "emergency_max_title": MAX_TITLE,
        "emergency_default_title": DEFAULT_TITLE,
    }


def text_error(title: str, text: str) -> str | None:
    """Say what is wrong with an emergency broadcast's title or text (the API uses it too)."""
    if not text:
        return _("Write the text of the emergency broadcast first.")
    if len(text) > MAX_EMERGENCY_TEXT:
        return _(
            "The text has %(n)d characters; at most %(max)d are allowed.",
            n=len(text),
            max=MAX_EMERGENCY_TEXT,
        )
    if len(title) > MAX_TITLE:
        return _("The title may have at most %(max)d characters.", max=MAX_TITLE)
    return None


def _form_error(title: str, text: str, confirmed: bool) -> str | None:
    error = text_error(title, text)
    if error is None and not confirmed:
        return _("Tick “I confirm: broadcast this now” first; nothing was broadcast.")
    return error


def send_emergency(title: str, text: str) -> SentCommand:
    """Make the speech and slides now and send them at emergency priority.

    Raises VillagecastError or MediaError when the speech or a slide cannot be made.
    """
    slide = Slide(title or DEFAULT_TITLE, text)
    # Speech is made while the operator waits: seconds with espeak-ng.
    record = ingest().speak(text)
    ingest().render_slides(slide)
    speech = PlaySpeech(record.sha256, slide.title, text, Priority.EMERGENCY)
    return commands.send_and_wait(speech)


@bp.route("", methods=("POST",))
@login_required
def broadcast() -> Response | str:
    if not may_broadcast_emergency():
        abort(403, _("Your account may not send emergency broadcasts; an admin can allow it."))
    title = request.form.get("title", "").strip()
    text = request.form.get("text", "").strip()
    error = _form_error(title, text, request.form.get("confirm") == "yes")
    if error is None:
        try:
            sent = send_emergency(title, text)
        except (VillagecastError, MediaError) as exc:
            error = _("The emergency broadcast was not sent: %(reason)s", reason=str(exc))
        else:
            commands.flash_result(sent)
            return redirect(url_for("dashboard.index"))
    flash(error, "error")
    return render_dashboard(title, text)
