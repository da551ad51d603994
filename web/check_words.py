"""The station checks' findings in the reader's language: each check code is said here, once.

playlists/health.py stores what a check found as a code with its parameters; the
system page says it through `check_words` (the `check_detail` filter in templates).
Paths, device names and program names stay as they are: an operator reads them to a
technician, who types them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from flask import Flask
from flask_babel import gettext as _

from playlists.health import CheckCode, CheckResult, Param
from web.formatting import engine_label

Params = Mapping[str, Param]


def _effect(p: Params) -> str:
    if p["effect"] == "fallback":
        return _("offline speech falls back to the backup voice")
    return _("offline speech is impossible")


def _engines(p: Params) -> str:
    return " → ".join(engine_label(name) for name in str(p["engines"]).split(" → "))


WORDS: dict[CheckCode, Callable[[Params], str]] = {
    CheckCode.STATION: lambda p: _(
        "station %(name)s, time zone %(timezone)s", name=p["name"], timezone=p["timezone"]
    ),
    CheckCode.NO_DATABASE: lambda p: _(
        "No database at %(path)s: run “villagecast init”.", path=p["path"]
    ),
    CheckCode.DATABASE_ERROR: lambda p: _(
        "The database %(path)s cannot be read: %(error)s", path=p["path"], error=p["error"]
    ),
    CheckCode.DATABASE_DAMAGED: lambda p: _(
        "The database %(path)s is damaged: restore a backup.", path=p["path"]
    ),
    CheckCode.SCHEMA_MISMATCH: lambda p: _(
        "The database has version %(found)s; this program expects %(expected)s.",
        found=p["found"],
        expected=p["expected"],
    ),
    CheckCode.DATABASE_OK: lambda p: _("intact (version %(version)s)", version=p["version"]),
    CheckCode.DISK_TOO_FULL: lambda p: _(
        "Only %(free)s MB free; below %(need)s MB uploads and new speech are refused.",
        free=p["free_mb"],
        need=p["need_mb"],
    ),
    CheckCode.DISK_LOW: lambda p: _("Only %(free)s MB free.", free=p["free_mb"]),
    CheckCode.DISK_OK: lambda p: _("%(free)s MB free", free=p["free_mb"]),
    CheckCode.CLOCK_UNKNOWN: lambda p: _("Cannot tell whether the clock is set from the network."),
    CheckCode.CLOCK_UNSYNCHRONIZED: lambda p: _(
        "The clock is not set from the network: add a clock module or connect the network."
    ),
    CheckCode.CLOCK_SYNCHRONIZED: lambda p: _("set from the network"),
    CheckCode.PLAYER_NEVER_RAN: lambda p: _("The player has never run: start the player service."),
    CheckCode.HEARTBEAT_STALE: lambda p: _(
        "No sign of the player for %(seconds)s s: is it running?", seconds=p["seconds"]
    ),
    CheckCode.PLAYER_RUNNING: lambda p: _(
        "running (last sign %(seconds)s s ago)", seconds=p["seconds"]
    ),
    CheckCode.ESPEAK_MISSING: lambda p: _(
        "The backup voice (espeak-ng) is not installed: offline speech is impossible."
    ),
    CheckCode.NO_OFFLINE_ENGINE: lambda p: _(
        "No offline voice is configured: without the network nothing is spoken."
    ),
    CheckCode.FASTSPEECH2_MISSING: lambda p: _(
        "The clear offline voice (fastspeech2) is not installed: %(effect)s.", effect=_effect(p)
    ),
    CheckCode.MBROLA_MISSING: lambda p: _(
        "The offline voice program (mbrola) is not installed: %(effect)s.", effect=_effect(p)
    ),
    CheckCode.MBROLA_VOICE_MISSING: lambda p: _(
        "The offline voice data (mbrola-%(voice)s) is not installed: %(effect)s.",
        voice=p["voice"],
        effect=_effect(p),
    ),
    CheckCode.SPEECH_CHAIN: lambda p: _("voices in order: %(engines)s", engines=_engines(p)),
    CheckCode.SINK_SILENT: lambda p: _(
        "Audio goes to a recording (test setting): nothing is heard."
    ),
    CheckCode.PROGRAM_MISSING: lambda p: _(
        "The player program %(program)s is not installed.", program=p["program"]
    ),
    CheckCode.COMMAND_SINK: lambda p: _("plays through %(program)s", program=p["program"]),
    CheckCode.MPV_SINK: lambda p: _("plays through mpv on %(device)s", device=p["device"]),
    CheckCode.DEVICE_FAILS: lambda p: _(
        "The sound card %(device)s cannot be opened: %(error)s",
        device=p["device"],
        error=p["error"],
    ),
    CheckCode.DEVICE_OPENS: lambda p: _("sound card %(device)s works", device=p["device"]),
    CheckCode.SCREENS_UNPUBLISHED: lambda p: _(
        "No slide shown yet on %(screens)s: is the player running?", screens=p["screens"]
    ),
    CheckCode.SCREENS_OK: lambda p: str(p["screens"]),
    CheckCode.NO_CHINESE_FONT: lambda p: _(
        "No Chinese font is installed: slides cannot be drawn (fonts-noto-cjk)."
    ),
    CheckCode.NO_DOT_MATRIX_FONT: lambda p: _(
        "No dot-matrix Chinese font: text on %(screens)s looks blurred (fonts-wqy-zenhei).",
        screens=p["screens"],
    ),
    CheckCode.FONTS_OK: lambda p: _("font %(font)s", font=p["font"]),
    CheckCode.CHECK_CRASHED: lambda p: _("The check itself failed: %(error)s", error=p["error"]),
}


def check_words(result: CheckResult) -> str:
    """Say a check's finding in the reader's language."""
    return WORDS[result.code](result.params)


def init_app(app: Flask) -> None:
    app.jinja_env.filters["check_detail"] = check_words
