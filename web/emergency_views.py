"""The emergency broadcast (紧急广播): speech made now, played at once above everything else."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from media.errors import MediaError
from playlists.access import emergency_right
from playlists.commands import PlaySpeech, ReasonCode, SentCommand
from playlists.content import emergency_speech
from playlists.content.emergency_speech import DEFAULT_GAP, MAX_GAP, MAX_REPEAT
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
        "emergency_max_repeat": MAX_REPEAT,
        "emergency_max_gap": MAX_GAP,
        "emergency_default_gap": DEFAULT_GAP,
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


def repeat_error(repeat: int | None, gap: int | None) -> str | None:
    """Say what is wrong with the times an emergency is said and the gap between them."""
    if repeat is None or not 1 <= repeat <= MAX_REPEAT:
        return _("Say the emergency 1 to %(max)d times.", max=MAX_REPEAT)
    if gap is None or not 0 <= gap <= MAX_GAP:
        return _("The pause between repeats is 0 to %(max)d seconds.", max=MAX_GAP)
    return None


def whole_number(value: str | None, default: int) -> int | None:
    """Read a form field as a whole number: default when it is absent, None when it is not one."""
    if value is None or not value.strip():
        return default
    value = value.strip()
    return int(value) if value.isascii() and value.isdigit() and len(value) < 6 else None


def _form_error(
    title: str, text: str, repeat: int | None, gap: int | None, confirmed: bool
) -> str | None:
    error = text_error(title, text) or repeat_error(repeat, gap)
    if error is None and not confirmed:
        return _("Tick “I confirm: broadcast this now” first; nothing was broadcast.")
    return error


def send_emergency(title: str, text: str, repeat: int = 1, gap: int = DEFAULT_GAP) -> SentCommand:
    """Make the speech (said repeat times, gap seconds apart) and send it now.

    The player makes the screens' slides as the sound starts: the voice never waits
    for them. Raises VillagecastError or MediaError when the speech cannot be made.
    """
    slide = Slide(title or DEFAULT_TITLE, text)
    # Speech is made while the operator waits: about 2 s with fastspeech2 here.
    record = emergency_speech.repeated_speech(ingest(), text, repeat, gap)
    speech = PlaySpeech(record.sha256, slide.title, text, Priority.EMERGENCY, repeat, gap)
    return commands.send_and_wait(speech)


def on_air_words(sent: SentCommand) -> tuple[str, str]:
    """Return the flash category and words: plainly an emergency on air, else the player's."""
    result = sent.result
    if result is None or result.reason.code is not ReasonCode.STARTED:
        return commands.describe(sent)
    speech = sent.request
    assert isinstance(speech, PlaySpeech)
    if speech.repeat > 1:
        words = _(
            "EMERGENCY BROADCAST ON AIR: “%(title)s”, said %(n)d times.",
            title=speech.title,
            n=speech.repeat,
        )
    else:
        words = _("EMERGENCY BROADCAST ON AIR: “%(title)s”.", title=speech.title)
    return "info", words


@bp.route("", methods=("POST",))
@login_required
def broadcast() -> Response | str:
    if not may_broadcast_emergency():
        abort(403, _("Your account may not send emergency broadcasts; an admin can allow it."))
    title = request.form.get("title", "").strip()
    text = request.form.get("text", "").strip()
    repeat = whole_number(request.form.get("repeat"), 1)
    gap = whole_number(request.form.get("gap"), DEFAULT_GAP)
    error = _form_error(title, text, repeat, gap, request.form.get("confirm") == "yes")
    if error is None and repeat is not None and gap is not None:
        try:
            sent = send_emergency(title, text, repeat, gap)
        except (VillagecastError, MediaError) as exc:
            error = _("The emergency broadcast was not sent: %(reason)s", reason=str(exc))
        else:
            category, words = on_air_words(sent)
            flash(words, category)
            return redirect(url_for("dashboard.index"))
    flash(error or "", "error")
    return render_dashboard(title, text)
