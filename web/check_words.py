"""The station checks' findings (playlists/health.py codes) in the reader's language."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from flask import Flask
from flask_babel import gettext as _

from playlists.health import CheckResult

Params = Mapping[str, str]

WORDS: dict[str, Callable[[Params], str]] = {
    "config-ok": lambda p: _(
        "Station %(name)s, time zone %(zone)s", name=p["name"], zone=p["zone"]
    ),
    "no-database": lambda p: _("There is no database yet: run villagecast init on the station."),
    "store-error": lambda p: _("The database cannot be opened: %(error)s", error=p["error"]),
    "store-damaged": lambda p: _("The database is damaged: restore a backup."),
    "store-version": lambda p: _(
        "The database is version %(version)s; this villagecast expects %(expected)s.",
        version=p["version"],
        expected=p["expected"],
    ),
    "store-ok": lambda p: _("The database is sound (version %(version)s).", version=p["version"]),
    "disk-low": lambda p: _(
        "%(free)s MB free, below %(need)s MB: uploads and new speech are refused.",
        free=p["free"],
        need=p["need"],
    ),
    "disk-free": lambda p: _("%(free)s MB free", free=p["free"]),
    "clock-unknown": lambda p: _("Whether the clock is synchronized is not known."),
    "clock-unsynced": lambda p: _(
        "The clock is not synchronized: add a clock module or connect to network time."
    ),
    "clock-ok": lambda p: _("The clock is synchronized."),
    "player-never": lambda p: _("The player has never run: start it (villagecast player)."),
    "player-silent": lambda p: _(
        "The player has not answered for %(seconds)s seconds: is it running?", seconds=p["seconds"]
    ),
    "player-ok": lambda p: _(
        "Running (last answered %(seconds)s seconds ago).", seconds=p["seconds"]
    ),
    "espeak-missing": lambda p: _("espeak-ng is not installed: no speech can be made offline."),
    "no-offline-engine": lambda p: _(
        "No offline voice is set in tts.engines: without the internet nothing can be spoken."
    ),
    "mbrola-missing-only": lambda p: _(
        "The offline voice is not installed (%(what)s): no speech can be made offline.",
        what=p["what"],
    ),
    "mbrola-missing": lambda p: _(
        "The offline voice is not installed (%(what)s): the backup voice is used instead.",
        what=p["what"],
    ),
    "speech-ok": lambda p: _("Voices in order: %(engines)s", engines=p["engines"]),
    "sink-recording": lambda p: _(
        "audio.sink is recording: nothing comes out of the loudspeakers."
    ),
    "program-missing": lambda p: _("%(program)s is not installed.", program=p["program"]),
    "command-ok": lambda p: _("Plays through %(program)s", program=p["program"]),
    "mpv-ok": lambda p: _("Plays through mpv on sound device %(device)s", device=p["device"]),
    "alsa-failed": lambda p: _(
        "Sound device %(device)s cannot be opened: %(error)s", device=p["device"], error=p["error"]
    ),
    "alsa-ok": lambda p: _("Sound device %(device)s opens.", device=p["device"]),
    "no-slide": lambda p: _(
        "No picture shown yet on %(names)s: is the player running?", names=p["names"]
    ),
    "screens-ok": lambda p: p["names"],
    "check-crashed": lambda p: _("The check itself failed: %(error)s", error=p["error"]),
}


def check_words(result: CheckResult) -> str:
    """Say what a check found in the reader's language; its English detail if no code fits."""
    say = WORDS.get(result.code)
    return say(result.params) if say is not None else result.detail


def init_app(app: Flask) -> None:
    app.jinja_env.filters["check_words"] = check_words
