"""Commands for the player ("play now", "stop", "skip"), shared by the forms and the JSON API.

The panel sends a typed request (playlists/commands.py), then waits briefly for the
player's typed answer, so the operator learns what actually happened, in the words
of web/command_words.py.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, g

from playlists import commands as contract
from playlists.commands import (
    PlayAnnouncement,
    PlayPlaylist,
    PlaySpeech,
    ReasonCode,
    Request,
    SentCommand,
    answer,
)
from playlists.content import announcement_table, playlist_table, review
from playlists.record import audit
from web.command_words import no_answer_words, result_words, unreadable_words
from web.state import now, settings, store
from web.status import player_status

# The player takes commands several times a second; beyond this it is off or stuck.
# Tests shorten both through the app config.
DEFAULT_WAIT_SECONDS = 1.5
DEFAULT_POLL_SECONDS = 0.05


def play_request(
    playlist_id: int | None, announcement_id: int | None
) -> PlayPlaylist | PlayAnnouncement:
    """Build a manual play command for stored content.

    Raises ValueError unless exactly one id is given, NotFoundError for an unknown one.
    """
    if (playlist_id is None) == (announcement_id is None):
        raise ValueError("name exactly one of playlist_id and announcement_id")
    if playlist_id is not None:
        playlist_table.get_playlist(store(), playlist_id, settings().media_dir)
        return PlayPlaylist(playlist_id)
    assert announcement_id is not None
    announcement_table.get_announcement(store(), announcement_id)
    return PlayAnnouncement(announcement_id)


def refusal(request: PlayPlaylist | PlayAnnouncement) -> str | None:
    """Say, as the player would, why content may not be played now; None when it may."""
    if isinstance(request, PlayPlaylist):
        subject, content_id = review.PLAYLIST, request.playlist_id
        unplayable = review.playlist_unplayable(store(), content_id)
    else:
        subject, content_id = review.ANNOUNCEMENT, request.announcement_id
        unplayable = review.announcement_unplayable(store(), content_id)
    if unplayable is None:
        return None
    name = review.state(store(), subject, content_id).label
    return result_words(answer(ReasonCode.NOT_APPROVED, subject=subject, name=name))[1]


def send_and_wait(request: Request) -> SentCommand:
    """Queue a command with its audit row, and wait briefly for what the player made of it."""
    user = g.user.username

    def audit_row(command_id: int) -> None:
        audit.record(
            store(),
            user,
            request.kind.value,
            now(),
            subject="command",
            subject_id=command_id,
            detail=_describe(request),
        )

    return contract.send_and_await(store(), request, user, now(), _waiting(), also=audit_row)


def _waiting() -> contract.Waiting:
    config = current_app.config
    return contract.Waiting(
        seconds=float(config.get("COMMAND_WAIT_SECONDS", DEFAULT_WAIT_SECONDS)),
        poll=float(config.get("COMMAND_POLL_SECONDS", DEFAULT_POLL_SECONDS)),
    )


def _describe(request: Request) -> str:
    if isinstance(request, PlayPlaylist):
        return f"playlist {request.playlist_id}"
    if isinstance(request, PlayAnnouncement):
        return f"announcement {request.announcement_id}"
    if isinstance(request, PlaySpeech):
        return f"{request.priority.value}: {request.text}"
    return ""


def describe(sent: SentCommand) -> tuple[str, str]:
    """Return the flash category and the operator's words for what became of a command."""
    if sent.unreadable is not None:
        return "error", unreadable_words(sent.unreadable)
    if sent.result is None:
        return "warning", no_answer_words(player_status(store().status(), now()).running)
    return result_words(sent.result)


def flash_result(sent: SentCommand) -> None:
    """Tell the operator, on the next page, what the player did with the command."""
    category, message = describe(sent)
    flash(message, category)


def sent_json(sent: SentCommand) -> dict[str, Any]:
    """Return a sent command and the player's answer for the JSON API.

    `result` is the answer in English, as `villagecast say` prints it; `outcome` and
    `reason` are what to read; `message` is the operator's words.
    """
    result = sent.result
    return {
        "id": sent.id,
        "kind": sent.request.kind.value,
        "payload": contract.payload_of(sent.request),
        "result": None if result is None else contract.english(result),
        **(result.json() if result is not None else {"outcome": None, "reason": None}),
        "message": describe(sent)[1],
    }
