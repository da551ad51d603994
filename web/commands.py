"""Commands for the player ("play now", "stop"), shared by the forms and the JSON API."""

from __future__ import annotations

from typing import Any

from flask import g

from playlists import catalog
from playlists.model import Priority
from web.state import now, settings, store


def play_payload(playlist_id: int | None, announcement_id: int | None) -> dict[str, Any]:
    """Build a manual play command, raising NotFoundError for an unknown id."""
    if (playlist_id is None) == (announcement_id is None):
        raise ValueError("name exactly one of playlist_id and announcement_id")
    if playlist_id is not None:
        catalog.get_playlist(store(), playlist_id, settings().media_dir)
        return {"playlist_id": playlist_id, "priority": Priority.MANUAL.value}
    assert announcement_id is not None
    catalog.get_announcement(store(), announcement_id)
    return {"announcement_id": announcement_id, "priority": Priority.MANUAL.value}


def send(kind: str, payload: dict[str, Any]) -> int:
    """Queue a command for the player in the store; return its id."""
    return store().add_command(kind, payload, created_by=g.user.username, now=now())
