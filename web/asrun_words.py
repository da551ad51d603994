"""The as-run log's notes in the reader's language: each note code is said here, once.

The player stores notes as codes with parameters (playlists/record/notes.py); every
page, CSV and report says them through `note_words` (the `asrun_note` filter in
templates). A row written before notes were codes shows its stored sentence.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from flask import Flask
from flask_babel import gettext as _

from playlists.model import Priority
from playlists.record.notes import Note, NoteCode, Param, read
from web.formatting import PRIORITY_LABELS

Params = Mapping[str, Param]


def _priority(p: Params) -> str:
    return str(PRIORITY_LABELS[Priority(str(p["priority"]))])


def _continued_after_restart(p: Params) -> str:
    if p["policy"] == "restart":
        return _("played again from the start after the player restarted")
    return _("resumed after the player restarted")


def _interrupted(p: Params) -> str:
    words = {"priority": _priority(p), "name": p["name"]}
    if p["then"] == "resume":
        return _("interrupted by the %(priority)s broadcast “%(name)s”; will resume", **words)
    if p["then"] == "restart":
        return _(
            "interrupted by the %(priority)s broadcast “%(name)s”; will play again from the start",
            **words,
        )
    return _("interrupted by the %(priority)s broadcast “%(name)s”", **words)


def _continued_after(p: Params) -> str:
    words = {"priority": _priority(p), "name": p["name"]}
    if p["policy"] == "restart":
        return _("played again from the start after the %(priority)s broadcast “%(name)s”", **words)
    return _("resumed after the %(priority)s broadcast “%(name)s”", **words)


def _items_skipped(p: Params) -> str:
    items = str(p["items"])
    if "," in items:
        items = items.replace(", ", _(", "))  # the reader's list separator
        return _("items %(items)s skipped by %(who)s", items=items, who=p["who"])
    return _("item %(items)s skipped by %(who)s", items=items, who=p["who"])


def _emergency(p: Params) -> str:
    if int(p["repeat"]) <= 1:
        return _("emergency: %(text)s", text=p["text"])
    return _(
        "emergency, said %(repeat)s times %(gap)s s apart: %(text)s",
        repeat=p["repeat"],
        gap=p["gap"],
        text=p["text"],
    )


WORDS: dict[NoteCode, Callable[[Params], str]] = {
    NoteCode.PLAYER_STOPPED: lambda p: _("the player was shut down"),
    NoteCode.PLAYER_CUT: lambda p: _("the player stopped during the broadcast"),
    NoteCode.CONTINUED_AFTER_RESTART: _continued_after_restart,
    NoteCode.PLAYER_DOWN: lambda p: _("the player was not running"),
    NoteCode.QUIET_HOURS: lambda p: _(
        "quiet hours (%(start)s–%(end)s)", start=p["start"], end=p["end"]
    ),
    NoteCode.AWAITING_REVIEW: lambda p: _(
        "awaiting review: “%(name)s” is not approved", name=p["name"]
    ),
    NoteCode.LOAD_FAILED: lambda p: _("could not be loaded: %(detail)s", detail=p["detail"]),
    NoteCode.CLOCK_JUMPED: lambda p: _(
        "the clock jumped forward %(seconds)s s, past its time", seconds=p["seconds"]
    ),
    NoteCode.LATE: lambda p: _(
        "%(seconds)s s late: the player was busy or stopped", seconds=p["seconds"]
    ),
    NoteCode.SLOT_BUSY: lambda p: _("“%(on_air)s” was on air", on_air=p["on_air"]),
    NoteCode.INTERRUPTED: _interrupted,
    NoteCode.CONTINUED_AFTER: _continued_after,
    NoteCode.STOPPED_BY: lambda p: _("stopped by %(who)s", who=p["who"]),
    NoteCode.ITEM_SKIPPED: _items_skipped,
    NoteCode.WAITED_TOO_LONG: lambda p: _(
        "waited %(waited)s s for the broadcast on air, longer than its %(wait)s s",
        waited=p["waited"],
        wait=p["wait"],
    ),
    NoteCode.AUDIO_FAILED: lambda p: _(
        "audio output %(sink)s failed: %(detail)s", sink=p["sink"], detail=p["detail"]
    ),
    NoteCode.EMERGENCY: _emergency,
}


def one_note(note: Note) -> str:
    return WORDS[note.code](note.params)


def note_words(text: str | None) -> str:
    """Say an as-run row's reason column in the reader's language."""
    notes = read(text or "")
    if isinstance(notes, str):
        return notes  # written before notes were codes: the sentence as stored
    return _("; ").join(one_note(n) for n in notes)


def init_app(app: Flask) -> None:
    app.jinja_env.filters["asrun_note"] = note_words
