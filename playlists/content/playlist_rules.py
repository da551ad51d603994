"""The limits a hand-built playlist keeps, and the error that names the rule it broke."""

from __future__ import annotations

import math

from playlists.content.limits import (
    MAX_DESCRIPTION,
    MAX_ITEM_SECONDS,
    MAX_PLAYLIST_NAME,
    MAX_REPEAT,
    MAX_SLIDE_BODY,
    MAX_SLIDE_TITLE,
)
from playlists.errors import EditError
from playlists.model import ItemKind, Slide

REPEAT_RANGE = (1, MAX_REPEAT)
PAUSE_RANGE = (0.5, MAX_ITEM_SECONDS)  # seconds
IMAGE_RANGE = (1.0, MAX_ITEM_SECONDS)  # seconds a picture stays on the screens
# The items whose length the operator sets; the others last as long as their audio.
SECONDS_RANGE = {ItemKind.PAUSE: PAUSE_RANGE, ItemKind.IMAGE: IMAGE_RANGE}


def check_details(name: str, description: str) -> tuple[str, str]:
    """Return the name and description stripped, or refuse them."""
    name, description = name.strip(), description.strip()
    if not name:
        raise EditError("name-empty", "the playlist needs a name")
    _check_length("name", name, MAX_PLAYLIST_NAME)
    _check_length("description", description, MAX_DESCRIPTION)
    return name, description


def check_slide(slide: Slide) -> Slide:
    """Return the slide stripped, or refuse a title or body that is too long."""
    checked = Slide(slide.title.strip(), slide.body.strip())
    _check_length("slide-title", checked.title, MAX_SLIDE_TITLE)
    _check_length("slide-body", checked.body, MAX_SLIDE_BODY)
    return checked


def check_repeat(repeat: int) -> int:
    """Return the repeat count, or refuse one outside its range."""
    low, high = REPEAT_RANGE
    if not low <= repeat <= high:
        raise EditError("repeat", f"repeat must be from {low} to {high}", low=low, high=high)
    return repeat


def check_seconds(kind: ItemKind, seconds: float) -> float:
    """Refuse a pause or picture length outside its range (NaN and infinity included)."""
    low, high = SECONDS_RANGE[kind]
    if not (math.isfinite(seconds) and low <= seconds <= high):
        raise EditError(
            f"{kind.value}-seconds",
            f"a {kind.value} lasts from {low:g} to {high:g} seconds",
            low=low,
            high=high,
        )
    return seconds


def _check_length(field: str, value: str, limit: int) -> None:
    if len(value) > limit:
        raise EditError(
            f"{field}-length",
            f"the {field.replace('-', ' ')} has {len(value)} characters; at most {limit}",
            n=len(value),
            limit=limit,
        )
