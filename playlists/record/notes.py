"""What the as-run log says about a broadcast, as codes with parameters.

The player writes each row's `reason` as notes (who stopped it, which emergency cut
in, what comes next), encoded as versioned JSON text in the same column, so the town's
copy and the report carry them unchanged. Each reader says them in its own language:
web/asrun_words.py for pages, CSV and reports, `english` for the shell. Rows written
before notes were codes hold an English sentence: `read` returns that text as it is.
"""

from __future__ import annotations

import dataclasses
import enum
import json
from collections.abc import Callable, Mapping

from playlists.content.limits import MAX_EMERGENCY_TEXT
from playlists.model import InterruptPolicy, Priority

FORMAT = 1

Param = str | int


class NoteCode(enum.StrEnum):
    PLAYER_STOPPED = "player-stopped"  # the player was shut down during it
    PLAYER_CUT = "player-cut"  # the player stopped (crash, power) during it
    CONTINUED_AFTER_RESTART = "continued-after-restart"  # policy: resume | restart
    PLAYER_DOWN = "player-down"  # due while the player was not running
    QUIET_HOURS = "quiet-hours"  # start, end
    AWAITING_REVIEW = "awaiting-review"  # name: the playlist
    LOAD_FAILED = "load-failed"  # detail: the error's words
    CLOCK_JUMPED = "clock-jumped"  # seconds
    LATE = "late"  # seconds
    SLOT_BUSY = "slot-busy"  # on_air
    INTERRUPTED = "interrupted"  # priority, name: what cut in; then: resume | restart | ""
    CONTINUED_AFTER = "continued-after"  # policy; priority, name: what had cut in
    STOPPED_BY = "stopped-by"  # who
    ITEM_SKIPPED = "item-skipped"  # items: "2" or "2, 3"; who
    WAITED_TOO_LONG = "waited-too-long"  # waited, wait: seconds
    AUDIO_FAILED = "audio-failed"  # sink, detail
    EMERGENCY = "emergency"  # text, repeat, gap: what an emergency said, on its own row


PARAMS: dict[NoteCode, frozenset[str]] = {
    NoteCode.PLAYER_STOPPED: frozenset(),
    NoteCode.PLAYER_CUT: frozenset(),
    NoteCode.CONTINUED_AFTER_RESTART: frozenset({"policy"}),
    NoteCode.PLAYER_DOWN: frozenset(),
    NoteCode.QUIET_HOURS: frozenset({"start", "end"}),
    NoteCode.AWAITING_REVIEW: frozenset({"name"}),
    NoteCode.LOAD_FAILED: frozenset({"detail"}),
    NoteCode.CLOCK_JUMPED: frozenset({"seconds"}),
    NoteCode.LATE: frozenset({"seconds"}),
    NoteCode.SLOT_BUSY: frozenset({"on_air"}),
    NoteCode.INTERRUPTED: frozenset({"priority", "name", "then"}),
    NoteCode.CONTINUED_AFTER: frozenset({"policy", "priority", "name"}),
    NoteCode.STOPPED_BY: frozenset({"who"}),
    NoteCode.ITEM_SKIPPED: frozenset({"items", "who"}),
    NoteCode.WAITED_TOO_LONG: frozenset({"waited", "wait"}),
    NoteCode.AUDIO_FAILED: frozenset({"sink", "detail"}),
    NoteCode.EMERGENCY: frozenset({"text", "repeat", "gap"}),
}
# Parameters whose values come from a closed set, checked like the codes.
CHOICES: dict[str, frozenset[str]] = {
    "policy": frozenset({InterruptPolicy.RESUME.value, InterruptPolicy.RESTART.value}),
    "then": frozenset({InterruptPolicy.RESUME.value, InterruptPolicy.RESTART.value, ""}),
    "priority": frozenset(p.value for p in Priority),
}


@dataclasses.dataclass(frozen=True)
class Note:
    """One thing the as-run log says about a broadcast."""

    code: NoteCode
    params: Mapping[str, Param] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        wanted = PARAMS[self.code]
        if set(self.params) != wanted:
            raise ValueError(
                f"note {self.code.value} takes {sorted(wanted)}, not {sorted(self.params)}"
            )
        for name, value in self.params.items():
            if isinstance(value, bool) or not isinstance(value, str | int):
                raise ValueError(f"note parameter {name} is {value!r}")
            if name in CHOICES and value not in CHOICES[name]:
                raise ValueError(f"note parameter {name} is {value!r}")


Notes = tuple[Note, ...]


MAX_DETAIL = 200  # an error's own words, cut so the row still fits the town's column


def note(code: NoteCode, **params: Param) -> Note:
    """Make a note; an error's words (`detail`) are cut to MAX_DETAIL characters."""
    if isinstance(params.get("detail"), str):
        params["detail"] = str(params["detail"])[:MAX_DETAIL]
    return Note(code, params)


def emergency(text: str, repeat: int, gap: int) -> Note:
    """Note what an emergency said: its text (cut to what an emergency may hold) and repeats."""
    return Note(
        NoteCode.EMERGENCY, {"text": text[:MAX_EMERGENCY_TEXT], "repeat": repeat, "gap": gap}
    )


def encode(notes: Notes) -> str:
    """Return the reason column's text for some notes; no notes is the empty text."""
    if not notes:
        return ""
    coded = [{"code": n.code.value, "params": dict(n.params)} for n in notes]
    return json.dumps({"v": FORMAT, "notes": coded}, ensure_ascii=False, separators=(",", ":"))


def read(text: str) -> Notes | str:
    """Return a reason column's notes, or its text when it holds no notes of this format.

    Old rows hold English sentences; a row from a newer villagecast, or a damaged one,
    reads as its text too, so a page shows something rather than failing.
    """
    if not text:
        return ()
    if not text.startswith('{"v":'):
        return text
    try:
        value = json.loads(text)
        if value.get("v") != FORMAT or set(value) != {"v", "notes"}:
            return text
        return tuple(_note(item) for item in value["notes"])
    except (ValueError, TypeError, AttributeError, KeyError):
        return text


def _note(item: dict[str, object]) -> Note:
    params = item["params"]
    if set(item) != {"code", "params"} or not isinstance(params, dict):
        raise ValueError("a note is {code, params}")
    return Note(NoteCode(str(item["code"])), params)


def _interrupted(p: Mapping[str, Param]) -> str:
    words = f"interrupted by {p['priority']}: {p['name']}"
    return f"{words}; will {p['then']}" if p["then"] else words


def _items(p: Mapping[str, Param]) -> str:
    items = str(p["items"])
    return f"items {items}" if "," in items else f"item {items}"


def with_skip(notes: Notes, item: int, who: str) -> Notes:
    """Add an item skipped to a broadcast's notes, one note for a run of skips by one user.

    Kept short: the row travels to the town, whose reason column holds 500 characters.
    """
    last = notes[-1] if notes else None
    if last is not None and last.code is NoteCode.ITEM_SKIPPED and last.params["who"] == who:
        items = f"{last.params['items']}, {item}"
        return (*notes[:-1], note(NoteCode.ITEM_SKIPPED, items=items, who=who))
    return (*notes, note(NoteCode.ITEM_SKIPPED, items=str(item), who=who))


_PAST = {InterruptPolicy.RESUME.value: "resumed", InterruptPolicy.RESTART.value: "restarted"}

ENGLISH: dict[NoteCode, Callable[[Mapping[str, Param]], str]] = {
    NoteCode.PLAYER_STOPPED: lambda p: "player stopped",
    NoteCode.PLAYER_CUT: lambda p: "player stopped during the broadcast",
    NoteCode.CONTINUED_AFTER_RESTART: lambda p: (
        f"{_PAST[str(p['policy'])]} after the player stopped"
    ),
    NoteCode.PLAYER_DOWN: lambda p: "the player was not running",
    NoteCode.QUIET_HOURS: lambda p: f"quiet hours {p['start']}–{p['end']}",
    NoteCode.AWAITING_REVIEW: lambda p: f"awaiting review: playlist “{p['name']}” is not approved",
    NoteCode.LOAD_FAILED: lambda p: str(p["detail"]),
    NoteCode.CLOCK_JUMPED: lambda p: f"the clock jumped forward {p['seconds']} s past it",
    NoteCode.LATE: lambda p: f"{p['seconds']} s late: the player was busy or stopped",
    NoteCode.SLOT_BUSY: lambda p: f"slot busy: {p['on_air']} was on air",
    NoteCode.INTERRUPTED: _interrupted,
    NoteCode.CONTINUED_AFTER: lambda p: (
        f"{_PAST[str(p['policy'])]} after {p['priority']}: {p['name']}"
    ),
    NoteCode.STOPPED_BY: lambda p: f"stopped by {p['who']}",
    NoteCode.ITEM_SKIPPED: lambda p: f"{_items(p)} skipped by {p['who']}",
    NoteCode.WAITED_TOO_LONG: lambda p: (
        f"the lane was busy for {p['waited']} s, longer than its wait of {p['wait']} s"
    ),
    NoteCode.AUDIO_FAILED: lambda p: f"audio output {p['sink']}: {p['detail']}",
    NoteCode.EMERGENCY: lambda p: (
        f"emergency said {p['repeat']} times, {p['gap']} s apart: {p['text']}"
        if int(p["repeat"]) > 1
        else f"emergency: {p['text']}"
    ),
}


def english(text: str) -> str:
    """Say a reason column in English (an old row's sentence as it is)."""
    notes = read(text)
    if isinstance(notes, str):
        return notes
    return "; ".join(ENGLISH[n.code](n.params) for n in notes)
