"""Commands for the player ("play now", "stop", "skip"), shared by the forms and the JSON API.

The panel writes a command row, then waits briefly for the player to take it and
fill in its ``result``, so the operator learns what actually happened.
"""

from __future__ import annotations

import dataclasses
import re
import time
from typing import Any

from flask import current_app, flash, g
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from playlists.content import announcement_table, playlist_table, review
from playlists.model import Priority
from playlists.record import audit
from web.state import now, settings, store
from web.status import player_status

# The player takes commands several times a second; beyond this it is off or stuck.
# Tests shorten both through the app config.
DEFAULT_WAIT_SECONDS = 1.5
DEFAULT_POLL_SECONDS = 0.05

_QUIET_HOURS = re.compile(r"refused: quiet hours ([^;]+)")
# What scheduler/player.py answers, in the operator's words (flash category, message).
_KNOWN_RESULTS = {
    "started": ("info", _l("The player started the broadcast.")),
    "waiting": ("info", _l("The broadcast is queued: it starts when the one on air now ends.")),
    "skipped": ("warning", _l("The player did not play it; today's broadcast log says why.")),
    "skipped the item": ("info", _l("The item on air was skipped; the next one follows.")),
    "stopped": ("info", _l("The broadcast was stopped.")),
    "nothing was playing": ("info", _l("Nothing was playing, so there was nothing to do.")),
    "expired: the player was not running when it was given": (
        "warning",
        _l("Not carried out: the player was not running when the command was given."),
    ),
}
_NOT_ANSWERING = _l(
    "The player is running but did not answer in time. It may still carry out the command "
    "shortly: watch the box “On air now”."
)
_NOT_RUNNING = _l(
    "The player is not running, so the command has not been carried out. Check that the "
    "player (the Raspberry Pi) is switched on; if it starts within a minute it will still "
    "carry out the command."
)


@dataclasses.dataclass(frozen=True)
class SentCommand:
    id: int
    kind: str
    payload: dict[str, Any]
    result: str | None  # None: the player did not take it in time

    def json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def play_payload(playlist_id: int | None, announcement_id: int | None) -> dict[str, Any]:
    """Build a manual play command for approved content.

    Raises NotFoundError for an unknown id and ReviewError for content not approved.
    """
    if (playlist_id is None) == (announcement_id is None):
        raise ValueError("name exactly one of playlist_id and announcement_id")
    if playlist_id is not None:
        playlist_table.get_playlist(store(), playlist_id, settings().media_dir)
        _check_approved(review.playlist_unplayable(store(), playlist_id))
        return {"playlist_id": playlist_id, "priority": Priority.MANUAL.value}
    assert announcement_id is not None
    announcement_table.get_announcement(store(), announcement_id)
    _check_approved(review.announcement_unplayable(store(), announcement_id))
    return {"announcement_id": announcement_id, "priority": Priority.MANUAL.value}


def _check_approved(reason: str | None) -> None:
    if reason is not None:
        raise review.ReviewError(reason, review.NOT_APPROVED)


def send(kind: str, payload: dict[str, Any]) -> int:
    """Queue a command for the player in the store, with its audit row; return its id."""
    user = g.user.username
    with store().transaction():
        command_id = store().add_command(kind, payload, created_by=user, now=now())
        audit.record(
            store(),
            user,
            kind,
            now(),
            subject="command",
            subject_id=command_id,
            detail=_describe(payload),
        )
    return command_id


def _describe(payload: dict[str, Any]) -> str:
    if "playlist_id" in payload:
        return f"playlist {payload['playlist_id']}"
    if "announcement_id" in payload:
        return f"announcement {payload['announcement_id']}"
    if "text" in payload:
        return f"{payload.get('priority', '')}: {payload['text']}"
    return ""


def wait_for_result(command_id: int) -> str | None:
    """Poll the store until the player has answered the command, or give up; return its result."""
    config = current_app.config
    wait = float(config.get("COMMAND_WAIT_SECONDS", DEFAULT_WAIT_SECONDS))
    poll = float(config.get("COMMAND_POLL_SECONDS", DEFAULT_POLL_SECONDS))
    deadline = time.monotonic() + wait
    while True:
        row = store().command(command_id)
        if row is not None and row["result"] is not None:
            return str(row["result"])
        if time.monotonic() >= deadline:
            return None
        time.sleep(poll)


def send_and_wait(kind: str, payload: dict[str, Any]) -> SentCommand:
    """Queue a command and wait briefly for what the player made of it."""
    command_id = send(kind, payload)
    return SentCommand(command_id, kind, payload, wait_for_result(command_id))


def describe_result(kind: str, result: str | None) -> tuple[str, str]:
    """Return the flash category and the operator's words for the player's answer."""
    if result is None:
        if player_status(store().status(), now()).running:
            return "warning", str(_NOT_ANSWERING)
        return "warning", str(_NOT_RUNNING)
    if kind == "skip" and result.startswith("skipped"):
        result = "skipped the item"
    if result in _KNOWN_RESULTS:
        category, message = _KNOWN_RESULTS[result]
        return category, str(message)
    quiet = _QUIET_HOURS.match(result)
    if quiet:
        return "warning", _(
            "Not played: these are quiet hours (%(hours)s); only emergency broadcasts play now.",
            hours=quiet[1].strip(),
        )
    # The player's reasons are English; they follow a translated prefix, as elsewhere.
    word, _sep, reason = result.partition(": ")
    if word == "refused":
        return "warning", _("The player refused: %(reason)s", reason=reason)
    if word == "expired":
        return "warning", _("Not carried out, the command was too old: %(reason)s", reason=reason)
    if word == "error":
        return "error", _("The player could not do it: %(reason)s", reason=reason)
    return "info", _("The player answered: %(result)s", result=result)


def flash_result(sent: SentCommand) -> None:
    """Tell the operator, on the next page, what the player did with the command."""
    category, message = describe_result(sent.kind, sent.result)
    flash(message, category)
