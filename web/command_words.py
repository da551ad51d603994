"""The player's answers in the operator's language: each reason code is said here, once.

The player answers with codes and parameters (playlists/commands.py); no page, flash
or JSON message reads its English.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from flask_babel import gettext as _

from playlists.commands import CommandOutcome, CommandResult, Param, ReasonCode

Params = Mapping[str, Param]

# The flash category of each outcome: how much the operator should look twice.
CATEGORIES = {
    CommandOutcome.DONE: "info",
    CommandOutcome.QUEUED: "info",
    CommandOutcome.NOTHING_TO_DO: "info",
    CommandOutcome.NOT_PLAYED: "warning",
    CommandOutcome.REFUSED: "warning",
    CommandOutcome.EXPIRED: "warning",
    CommandOutcome.FAILED: "error",
}


def _not_approved(p: Params) -> str:
    if p["subject"] == "playlist":
        return _(
            "Not played: the playlist “%(name)s” is not approved for broadcast.", name=p["name"]
        )
    return _(
        "Not played: the announcement “%(name)s” is not approved for broadcast.", name=p["name"]
    )


def _not_found(p: Params) -> str:
    if p["subject"] == "playlist":
        return _("Not played: playlist %(id)s no longer exists.", id=p["id"])
    return _("Not played: announcement %(id)s no longer exists.", id=p["id"])


WORDS: dict[ReasonCode, Callable[[Params], str]] = {
    ReasonCode.STARTED: lambda p: _("The player started the broadcast."),
    ReasonCode.WAITING: lambda p: _(
        "The broadcast is queued: it starts when “%(on_air)s”, on air now, ends.",
        on_air=p["on_air"],
    ),
    ReasonCode.SLOT_BUSY: lambda p: _(
        "Not played: “%(on_air)s” was on air and this broadcast does not wait.",
        on_air=p["on_air"],
    ),
    ReasonCode.NOT_PLAYED: lambda p: _(
        "The player did not play it; today's broadcast log says why."
    ),
    ReasonCode.STOPPED: lambda p: _("The broadcast was stopped."),
    # The number counts the lead-in and chime, so the operator is not shown it.
    ReasonCode.ITEM_SKIPPED: lambda p: _("The item on air was skipped; the next one follows."),
    ReasonCode.NOTHING_PLAYING: lambda p: _("Nothing was playing, so there was nothing to do."),
    ReasonCode.QUIET_HOURS: lambda p: _(
        "Not played: these are quiet hours (%(start)s–%(end)s); only emergency broadcasts "
        "play now.",
        start=p["start"],
        end=p["end"],
    ),
    ReasonCode.NOT_APPROVED: _not_approved,
    ReasonCode.NOT_FOUND: _not_found,
    ReasonCode.AUDIO_MISSING: lambda p: _(
        "Not played: the recording is missing from the station; make the speech again."
    ),
    ReasonCode.PLAYER_NOT_RUNNING: lambda p: _(
        "Not carried out: the player was not running when the command was given."
    ),
    ReasonCode.BAD_COMMAND: lambda p: _(
        "The player could not read the command (are panel and player the same version?): "
        "%(detail)s",
        detail=p["detail"],
    ),
    ReasonCode.PLAYER_ERROR: lambda p: _(
        "The player could not do it: %(detail)s", detail=p["detail"]
    ),
}


def result_words(result: CommandResult) -> tuple[str, str]:
    """Return the flash category and the operator's words for the player's answer."""
    return CATEGORIES[result.outcome], WORDS[result.reason.code](result.reason.params)


def no_answer_words(player_running: bool) -> str:
    """Say that the player did not answer in time, and what that means now."""
    if player_running:
        return _(
            "The player is running but did not answer in time. It may still carry out the "
            "command shortly: watch the box “On air now”."
        )
    return _(
        "The player is not running, so the command has not been carried out. Check that the "
        "player (the Raspberry Pi) is switched on; if it starts within a minute it will still "
        "carry out the command."
    )


def unreadable_words(error: str) -> str:
    """Say that the player's answer could not be read."""
    return _("The player's answer could not be read: %(error)s", error=error)
