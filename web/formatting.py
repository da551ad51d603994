"""How values look on a page: station-local times, durations and translated labels."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from typing import Any, TypeVar

from flask import Flask, g
from flask_babel import lazy_gettext as _l

from playlists.model import ItemKind, Outcome, Priority, Review
from web.state import settings

K = TypeVar("K")

OUTCOME_LABELS = {
    Outcome.PLAYING: _l("playing"),
    Outcome.PLAYED: _l("played"),
    Outcome.INTERRUPTED: _l("interrupted"),
    Outcome.SKIPPED: _l("skipped"),
    Outcome.MISSED: _l("missed"),
    Outcome.FAILED: _l("failed"),
}
PRIORITY_LABELS = {
    Priority.EMERGENCY: _l("emergency"),
    Priority.MANUAL: _l("manual"),
    Priority.SCHEDULED: _l("scheduled"),
    Priority.IDLE: _l("idle"),
}
ITEM_KIND_LABELS = {
    ItemKind.ANNOUNCEMENT: _l("announcement"),
    ItemKind.AUDIO: _l("recording"),
    ItemKind.IMAGE: _l("picture"),
    ItemKind.PAUSE: _l("pause"),
}
REVIEW_LABELS = {
    Review.DRAFT: _l("draft"),
    Review.PENDING: _l("awaiting review"),
    Review.APPROVED: _l("approved"),
    Review.REJECTED: _l("sent back"),
}
# Which voice made a clip, as an operator says it: whose online voice, the offline one,
# the backup machine voice, or their own recording.
ENGINE_LABELS = {
    "edge-tts": _l("online voice (Microsoft)"),
    "gtts": _l("online voice (Google)"),
    "fastspeech2": _l("clear offline voice"),
    "kokoro": _l("offline neural voice (Kokoro)"),
    "mbrola": _l("offline voice"),
    "espeak-ng": _l("offline voice (backup)"),
    "recording": _l("own recording"),
}
# The names and states of playlists/health.py's checks, and who logged an event.
CHECK_LABELS = {
    "config": _l("Configuration"),
    "store": _l("Database"),
    "disk": _l("Disk space"),
    "clock": _l("Clock"),
    "player": _l("Player"),
    "speech": _l("Speech synthesis"),
    "audio": _l("Audio output"),
    "screens": _l("Screens"),
    "fonts": _l("Fonts"),
}
CHECK_STATUS_LABELS = {"ok": _l("OK"), "warn": _l("Attention"), "fail": _l("Fault")}
PROCESS_LABELS = {"player": _l("Player"), "panel": _l("Control panel")}
LEVEL_LABELS = {"WARNING": _l("warning"), "ERROR": _l("error"), "CRITICAL": _l("critical")}
# What did not play, in the order a report lists it (playlists.record.report.Tally's fields).
TALLY_LABELS = {
    "missed": _l("missed"),
    "skipped": _l("skipped"),
    "failed": _l("failed"),
    "interrupted": _l("interrupted"),
    "playing": _l("playing"),
    "unlogged": _l("no record"),
}
# Accounts that are villagecast itself, not a person: `villagecast init` imports the sample.
MACHINE_USERS = {"init": _l("the system")}


def localtime(value: dt.datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """Show an instant in the station's time zone, never the machine's."""
    if value is None:
        return "–"
    if value.tzinfo is None:  # the store keeps UTC; a naive value here is a bug upstream
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(settings().tz).strftime(fmt)


def clock(value: dt.datetime | None) -> str:
    return localtime(value, "%H:%M")


def duration(seconds: float | None) -> str:
    """Show a length as m:ss (or h:mm:ss), in whole seconds cut down, never rounded up.

    The one format of every length on the panel, its report and exports. It cuts as the
    browser's own audio player does (Chromium shows 8.6 s as 0:08), so a notice's length
    beside its play button never disagrees with the button's own count.
    """
    if seconds is None or seconds != seconds:  # None or NaN
        return "–"
    total = math.floor(max(seconds, 0.0))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def excerpt(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def translated(labels: Mapping[K, object]) -> dict[K, str]:
    """A table's labels in this request's language, translated once per request."""
    # One cache for tables of every key type, so it holds dict[Any, str].
    cache: dict[int, dict[Any, str]] = g.setdefault("translated_labels", {})
    if id(labels) not in cache:
        cache[id(labels)] = {key: str(label) for key, label in labels.items()}
    return cache[id(labels)]


def tally_details(tally: object) -> str:
    """Say what of a tally did not play, or plays now: "missed 3 · no record 1"."""
    labels = translated(TALLY_LABELS)
    counts = ((labels[name], getattr(tally, name)) for name in TALLY_LABELS)
    return " · ".join(f"{label} {count}" for label, count in counts if count)


def outcome_label(value: str) -> str:
    try:
        return translated(OUTCOME_LABELS)[Outcome(value)]
    except ValueError:
        return str(value)


def priority_label(value: str) -> str:
    try:
        return translated(PRIORITY_LABELS)[Priority(value)]
    except ValueError:
        return str(value)


def person(username: str | None) -> str:
    """Name who did something; villagecast's own accounts are "the system"."""
    if not username:
        return "–"
    return str(MACHINE_USERS.get(username, username))


def engine_label(name: str | None) -> str:
    return str(ENGINE_LABELS.get(name or "", name or "–"))


def check_label(name: str) -> str:
    return str(CHECK_LABELS.get(name, name))


def check_status_label(status: str) -> str:
    return str(CHECK_STATUS_LABELS.get(status, status))


def process_label(process: str) -> str:
    return str(PROCESS_LABELS.get(process, process))


def level_label(level: str) -> str:
    return str(LEVEL_LABELS.get(level, level))


def item_kind_label(value: str) -> str:
    try:
        return str(ITEM_KIND_LABELS[ItemKind(value)])
    except ValueError:
        return str(value)


def review_label(value: str) -> str:
    try:
        return str(REVIEW_LABELS[Review(value)])
    except ValueError:
        return str(value)


def init_app(app: Flask) -> None:
    filters = {
        "localtime": localtime,
        "clock": clock,
        "duration": duration,
        "excerpt": excerpt,
        "outcome_label": outcome_label,
        "priority_label": priority_label,
        "engine_label": engine_label,
        "person": person,
        "check_label": check_label,
        "check_status_label": check_status_label,
        "process_label": process_label,
        "level_label": level_label,
        "review_label": review_label,
        "item_kind_label": item_kind_label,
        "tally_details": tally_details,
    }
    app.jinja_env.filters.update(filters)
