"""The `villagecast/playlist@1` YAML format: parse and validate, or say exactly what is wrong.

Parsing is pure: it reads text and returns a `PlaylistSpec`; nothing is stored
until the whole document is valid.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import re
from collections.abc import Mapping
from pathlib import PurePosixPath
from typing import Any, TypeVar

from playlists.content.limits import (
    MAX_ANNOUNCEMENT_TEXT,
    MAX_ITEM_SECONDS,
    MAX_ITEMS,
    MAX_PLAYLIST_NAME,
    MAX_REPEAT,
    MAX_SLIDE_TITLE,
)
from playlists.errors import PlaylistFormatError, ScheduleLimitError
from playlists.model import DEFAULT_WAIT, WEEKDAYS, InterruptPolicy, ItemKind, Priority, Slide
from playlists.safe_yaml import load_bounded
from playlists.schedule import limits

E = TypeVar("E", bound=enum.Enum)

FORMAT = "villagecast/playlist@1"


@dataclasses.dataclass(frozen=True)
class ItemSpec:
    kind: ItemKind
    text: str = ""
    slide: Slide | None = None
    repeat: int = 1
    file: str = ""  # a relative path inside the bundle, for audio and image items
    duration: float = 0.0  # seconds, for image and pause items


@dataclasses.dataclass(frozen=True)
class ScheduleSpec:
    start: dt.date
    end: dt.date
    times: tuple[dt.time, ...]
    weekdays: frozenset[int] = frozenset(range(7))
    priority: Priority = Priority.SCHEDULED
    on_interrupt: InterruptPolicy = InterruptPolicy.RESUME
    wait: float = DEFAULT_WAIT


@dataclasses.dataclass(frozen=True)
class PlaylistSpec:
    name: str
    description: str
    items: tuple[ItemSpec, ...]
    schedule: tuple[ScheduleSpec, ...] = ()


_TOP_KEYS = {"format", "name", "description", "items", "schedule"}
_ITEM_KEYS = {
    ItemKind.ANNOUNCEMENT: {"announcement", "slide", "repeat"},
    ItemKind.AUDIO: {"audio", "slide", "repeat"},
    ItemKind.IMAGE: {"image", "duration"},
    ItemKind.PAUSE: {"pause"},
}
_SCHEDULE_KEYS = {"start", "end", "times", "weekdays", "priority", "on_interrupt", "wait"}


def parse_playlist(text: str | bytes, source: str = "playlist.yaml") -> PlaylistSpec:
    """Parse a playlist@1 document, raising PlaylistFormatError that names item and field.

    Every playlist comes through here, from a bundle, the panel, the API, sync or the
    command line; load_bounded keeps a hostile file's cost small before it is built.
    """
    data = load_bounded(text, source)
    try:
        return _playlist(data)
    except PlaylistFormatError as exc:
        raise PlaylistFormatError(f"{source}: {exc}") from None


def _playlist(data: Any) -> PlaylistSpec:
    if not isinstance(data, Mapping):
        raise PlaylistFormatError("must be a mapping with format, name and items")
    _no_unknown(data, _TOP_KEYS, "")
    if data.get("format") != FORMAT:
        raise PlaylistFormatError(
            f"'format' must be {FORMAT!r} (got {data.get('format')!r}); "
            "this villagecast reads version 1 only"
        )
    name = _text(data, "name", "", MAX_PLAYLIST_NAME, required=True)
    description = _text(data, "description", "", 500)
    items = data.get("items")
    if not isinstance(items, list) or not items:
        raise PlaylistFormatError("'items' must be a non-empty list")
    if len(items) > MAX_ITEMS:
        raise PlaylistFormatError(f"'items' has {len(items)} entries; at most {MAX_ITEMS}")
    schedule = data.get("schedule") or []
    if not isinstance(schedule, list):
        raise PlaylistFormatError("'schedule' must be a list")
    if len(schedule) > limits.MAX_ENTRIES_PER_PLAYLIST:
        raise PlaylistFormatError(
            f"'schedule' has {len(schedule)} entries; at most {limits.MAX_ENTRIES_PER_PLAYLIST}"
        )
    return PlaylistSpec(
        name=name,
        description=description,
        items=tuple(_item(item, n) for n, item in enumerate(items, 1)),
        schedule=tuple(_schedule(entry, n) for n, entry in enumerate(schedule, 1)),
    )


def _item(data: Any, number: int) -> ItemSpec:
    if not isinstance(data, Mapping):
        raise PlaylistFormatError(f"item {number}: must be a mapping")
    kinds = [kind for kind in ItemKind if kind.value in data]
    if len(kinds) != 1:
        allowed = ", ".join(kind.value for kind in ItemKind)
        raise PlaylistFormatError(f"item {number}: must have exactly one of: {allowed}")
    kind = kinds[0]
    where = f"item {number} ({kind.value}): "
    _no_unknown(data, _ITEM_KEYS[kind], where)
    if kind is ItemKind.ANNOUNCEMENT:
        return ItemSpec(
            kind,
            text=_text(data, "announcement", where, MAX_ANNOUNCEMENT_TEXT, required=True),
            slide=_slide(data.get("slide"), where),
            repeat=_int(data, "repeat", where, 1, MAX_REPEAT, default=1),
        )
    if kind is ItemKind.AUDIO:
        return ItemSpec(
            kind,
            file=_media_path(data, "audio", where),
            slide=_slide(data.get("slide"), where),
            repeat=_int(data, "repeat", where, 1, MAX_REPEAT, default=1),
        )
    if kind is ItemKind.IMAGE:
        return ItemSpec(
            kind,
            file=_media_path(data, "image", where),
            duration=_seconds(data, "duration", where, default=10.0),
        )
    return ItemSpec(kind, duration=_seconds(data, "pause", where, default=None))


def _schedule(data: Any, number: int) -> ScheduleSpec:
    where = f"schedule {number}: "
    if not isinstance(data, Mapping):
        raise PlaylistFormatError(f"{where}must be a mapping")
    _no_unknown(data, _SCHEDULE_KEYS, where)
    start = _date(data, "start", where)
    end = _date(data, "end", where)
    if end < start:
        raise PlaylistFormatError(f"{where}'end' {end} is before 'start' {start}")
    times = data.get("times")
    if not isinstance(times, list) or not times:
        raise PlaylistFormatError(f'{where}\'times\' must be a list like ["07:30", "18:30"]')
    wait = _wait(data, where)
    try:  # counted before the times are read: a long list costs nothing more
        limits.check_entry(len(times), start, end, wait)
    except ScheduleLimitError as exc:
        raise PlaylistFormatError(f"{where}{exc}") from None
    weekdays = data.get("weekdays", list(WEEKDAYS))
    if not isinstance(weekdays, list) or not weekdays or any(d not in WEEKDAYS for d in weekdays):
        raise PlaylistFormatError(f"{where}'weekdays' must be a list of: {', '.join(WEEKDAYS)}")
    return ScheduleSpec(
        start=start,
        end=end,
        times=tuple(sorted({parse_clock(t, f"{where}'times'") for t in times})),
        weekdays=frozenset(WEEKDAYS.index(d) for d in weekdays),
        priority=_choice(data, "priority", where, Priority, Priority.SCHEDULED),
        on_interrupt=_choice(data, "on_interrupt", where, InterruptPolicy, InterruptPolicy.RESUME),
        wait=wait,
    )


def _choice(data: Mapping[str, Any], key: str, where: str, kind: type[E], default: E) -> E:
    value = data.get(key, default.value)
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        raise PlaylistFormatError(f"{where}'{key}' must be one of: {allowed}") from None


def _wait(data: Mapping[str, Any], where: str) -> float:
    value = data.get("wait", DEFAULT_WAIT)
    limit = limits.MAX_WAIT
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= limit:
        raise PlaylistFormatError(
            f"{where}'wait' must be a number of seconds from 0 to {limit} (got {value!r})"
        )
    return float(value)


def parse_clock(value: Any, where: str) -> dt.time:
    """Parse a wall-clock time written HH:MM."""
    # YAML 1.1 reads an unquoted 07:30 as the sexagesimal number 450.
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 24 * 60:
        return dt.time(value // 60, value % 60)
    match = re.fullmatch(r"([01]?\d|2[0-3]):([0-5]\d)", str(value))
    if not match:
        raise PlaylistFormatError(f'{where} has {value!r}; write times as HH:MM, like "07:30"')
    return dt.time(int(match[1]), int(match[2]))


def _no_unknown(data: Mapping[str, Any], allowed: set[str], where: str) -> None:
    for key in data:
        if key not in allowed:
            names = ", ".join(sorted(allowed))
            raise PlaylistFormatError(f"{where}unknown field {key!r} (allowed: {names})")


def _text(data: Mapping[str, Any], key: str, where: str, limit: int, required: bool = False) -> str:
    value = data.get(key, "")
    if value is None:
        value = ""
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise PlaylistFormatError(f"{where}'{key}' must be text")
    value = str(value).strip()
    if required and not value:
        raise PlaylistFormatError(f"{where}'{key}' must not be empty")
    if len(value) > limit:
        raise PlaylistFormatError(
            f"{where}'{key}' has {len(value)} characters; at most {limit} are allowed"
        )
    return value


def _slide(data: Any, where: str) -> Slide | None:
    if data is None:
        return None
    if not isinstance(data, Mapping):
        raise PlaylistFormatError(f"{where}'slide' must be a mapping with title and body")
    _no_unknown(data, {"title", "body"}, f"{where}slide: ")
    return Slide(
        title=_text(data, "title", f"{where}slide ", MAX_SLIDE_TITLE),
        body=_text(data, "body", f"{where}slide ", MAX_ANNOUNCEMENT_TEXT),
    )


def _int(data: Mapping[str, Any], key: str, where: str, low: int, high: int, default: int) -> int:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise PlaylistFormatError(
            f"{where}'{key}' must be a whole number from {low} to {high} (got {value!r})"
        )
    return value


def _seconds(data: Mapping[str, Any], key: str, where: str, default: float | None) -> float:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PlaylistFormatError(f"{where}'{key}' must be a number of seconds (got {value!r})")
    if not 0 < value <= MAX_ITEM_SECONDS:
        raise PlaylistFormatError(
            f"{where}'{key}' must be more than 0 and at most {MAX_ITEM_SECONDS:g} seconds"
        )
    return float(value)


def _date(data: Mapping[str, Any], key: str, where: str) -> dt.date:
    value = data.get(key)
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise PlaylistFormatError(f"{where}'{key}' must be a date like 2023-03-28 (got {value!r})")


def _media_path(data: Mapping[str, Any], key: str, where: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise PlaylistFormatError(f"{where}'{key}' must be a file path inside the bundle")
    path = PurePosixPath(value)
    if (
        path.is_absolute()
        or "\\" in value
        or re.match(r"^[A-Za-z]:", value)
        or any(part in {"..", ""} for part in path.parts)
    ):
        raise PlaylistFormatError(f"{where}'{key}' {value!r} must stay inside the bundle")
    return str(path)
