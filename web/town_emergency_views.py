"""The town's emergency (镇紧急广播): send to every village or chosen ones, watch them answer.

Sending needs the emergency right, as the village's own emergency does. The live
table of one emergency is for whoever may send one and for the town's staff
(reviewers); it shows what the town's listener (playlists/town/answer_recorder.py)
kept, and web/static/town_emergency.js asks web/town_emergency_api.py for it twice a
second, so a change shows within a second; without JavaScript a link reloads it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from media.errors import AudioError
from playlists.errors import BrokerError, ContentError, NotFoundError
from playlists.sync.emergency_wire import MAX_LIFETIME, MAX_REPEAT, TownEmergency, new_emergency
from playlists.town import emergency_dispatch, emergency_log, villages
from playlists.town.emergency_acks import NO_ANSWER
from web.auth import REVIEWER, has_role, login_required
from web.emergency_views import may_broadcast_emergency, text_error, whole_number
from web.state import current_user, ingest, now, settings, store
from web.uploads import saved_upload

bp = Blueprint("town_emergency", __name__, url_prefix="/town-emergencies")

DEFAULT_MINUTES = 30
MAX_MINUTES = int(MAX_LIFETIME.total_seconds() // 60)
RECENT = 20
STATES = (NO_ANSWER, "received", "started", "played", "failed")


@dataclasses.dataclass(frozen=True)
class Asked:
    """A town emergency as the form or the API asked for it."""

    title: str
    text: str
    repeat: int | None
    minutes: int | None
    villages: list[str]  # empty: every village
    everyone: bool
    audio: bytes = b""  # a recording, as the villages get it (Ogg Opus)


class Refused(Exception):
    """The emergency was not sent: the words for the operator and the HTTP status."""

    def __init__(self, words: str, status: int) -> None:
        super().__init__(words)
        self.words, self.status = words, status


@bp.app_template_global()
def may_send_town_emergency() -> bool:
    """Tell whether the current user may send a town emergency, on a town with villages."""
    if not may_broadcast_emergency():
        return False
    return store().query_one("SELECT 1 FROM villages LIMIT 1") is not None


def may_watch() -> bool:
    """Tell whether the current user may see how the villages answered."""
    return may_broadcast_emergency() or has_role(REVIEWER)


@bp.app_template_filter()
def answer_state(state: str) -> str:
    """Say a village's state for a town emergency in the reader's language."""
    words = {
        NO_ANSWER: _("no answer"),
        "received": _("received"),
        "started": _("playing"),
        "played": _("played"),
        "failed": _("failed"),
    }
    return words.get(state, state)


@bp.app_template_filter()
def answer_reason(reason: str) -> str:
    """Say why a village could not play a town emergency (its code as sent when unknown)."""
    words = {
        "expired": _("it arrived after its deadline"),
        "player-not-answering": _("the village's player did not answer"),
        "unreadable-answer": _("the village's player gave an unreadable answer"),
        "player-not-running": _("the village's player is not running"),
        "audio-missing": _("the speech could not be found"),
        "player-error": _("the village's player had an error"),
        "interrupted": _("it was cut off before the end"),
        "skipped": _("it was skipped"),
        "failed": _("the audio failed"),
        "AudioError": _("the recording could not be played"),
        "ContentError": _("the recording could not be played"),
    }
    return words.get(reason, reason)


def asked_error(asked: Asked) -> str | None:
    """Say what is wrong with what was asked, in the same words for the form and the API."""
    error = text_error(asked.title, asked.text)
    if error is not None:
        return error
    if asked.repeat is None or not 1 <= asked.repeat <= MAX_REPEAT:
        return _("Say the emergency 1 to %(max)d times.", max=MAX_REPEAT)
    if asked.minutes is None or not 1 <= asked.minutes <= MAX_MINUTES:
        return _("An emergency is valid for 1 to %(max)d minutes.", max=MAX_MINUTES)
    if not asked.everyone and not asked.villages:
        return _("Choose at least one village, or send to every village.")
    if store().query_one("SELECT 1 FROM villages LIMIT 1") is None:
        return _("This station has no villages yet: add them with villagecast village add NAME.")
    return None


def send_town_emergency(asked: Asked) -> tuple[TownEmergency, bool]:
    """Send what was asked through the town's one door (as `villagecast emergency` does).

    Return the message and whether the broker took it (if not, the villages' sync does).
    """
    error = asked_error(asked)
    if error is not None or asked.repeat is None or asked.minutes is None:
        raise Refused(error or "", 400)
    instant = now()
    chosen = [] if asked.everyone else asked.villages
    try:
        lifetime = dt.timedelta(minutes=asked.minutes)
        message = new_emergency(
            asked.title, asked.text, asked.repeat, lifetime, instant, asked.audio
        )
        message, voice = emergency_dispatch.spoken_by_town(ingest(), message)
        topics = emergency_dispatch.dispatch(
            settings(), store(), message, chosen, current_user().username, instant, voice
        )
    except ContentError as exc:  # checked above; the core's own words as a last resort
        raise Refused(str(exc), 400) from None
    except NotFoundError:
        raise Refused(_("One of the chosen villages is no longer registered."), 400) from None
    except BrokerError as exc:
        raise Refused(
            _(
                "The emergency was not sent: the town's message broker did not take it "
                "(%(reason)s).",
                reason=str(exc),
            ),
            503,
        ) from None
    return message, bool(topics)


def _recording() -> bytes:
    """Return the uploaded recording as the villages get it; b"" when none was chosen."""
    upload = request.files.get("recording")
    if upload is None or not upload.filename:
        return b""
    try:
        with saved_upload(upload) as path:
            return emergency_dispatch.compact_recording(path, settings().data_dir / "tmp")
    except (AudioError, ContentError) as exc:
        raise Refused(_("The recording was not taken: %(reason)s", reason=str(exc)), 400) from None


def _form_asked(audio: bytes = b"") -> Asked:
    form = request.form
    return Asked(
        title=form.get("title", "").strip(),
        text=form.get("text", "").strip(),
        repeat=whole_number(form.get("repeat"), 1),
        minutes=whole_number(form.get("minutes"), DEFAULT_MINUTES),
        villages=[name for name in form.getlist("village") if name],
        everyone=form.get("to", "all") == "all",
        audio=audio,
    )


def _render(asked: Asked | None = None, status: int = 200) -> tuple[str, int]:
    page = render_template(
        "town_emergencies.html",
        asked=asked or Asked("", "", 1, DEFAULT_MINUTES, [], True),
        villages=villages.list_villages(store()),
        recent=emergency_log.recent(store(), RECENT),
        max_repeat=MAX_REPEAT,
        max_minutes=MAX_MINUTES,
        max_recording_seconds=emergency_dispatch.MAX_RECORDING_SECONDS,
    )
    return page, status


@bp.get("")
@login_required
def index() -> tuple[str, int]:
    if not may_watch():
        abort(403, _("Your account may not send emergency broadcasts; an admin can allow it."))
    return _render()


@bp.post("")
@login_required
def send() -> Response | tuple[str, int]:
    if not may_broadcast_emergency():
        abort(403, _("Your account may not send emergency broadcasts; an admin can allow it."))
    asked = _form_asked()
    if request.form.get("confirm") != "yes" and asked_error(asked) is None:
        flash(_("Tick “I confirm: broadcast this now” first; nothing was broadcast."), "error")
        return _render(asked, 400)
    try:
        if asked_error(asked) is None:
            asked = _form_asked(_recording())
        message, by_broker = send_town_emergency(asked)
    except Refused as refused:
        flash(refused.words, "error")
        return _render(asked, refused.status)
    if by_broker:
        said = _(
            "EMERGENCY SENT to the villages: “%(text)s”. Their answers show below as they come.",
            text=message.text[:40],
        )
    else:
        said = _(
            "EMERGENCY SENT, but the town's message broker is down: the villages get "
            "“%(text)s” at their next sync with the town, usually within minutes. Their "
            "answers show below as they come.",
            text=message.text[:40],
        )
    flash(said, "info")
    return redirect(url_for("town_emergency.show", ident=message.id))


@bp.get("/<ident>")
@login_required
def show(ident: str) -> str:
    if not may_watch():
        abort(403, _("Your account may not do this."))
    try:
        sent = emergency_log.get_sent(store(), ident)
    except NotFoundError:
        abort(404, _("The town sent no such emergency."))
    return render_template(
        "town_emergency.html",
        sent=sent,
        answers=emergency_log.answers(store(), ident),
        states=STATES,
    )
