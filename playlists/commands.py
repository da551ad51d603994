"""The command contract between the panel (and the shell) and the player.

A command row in the store carries a typed request; the player answers it with a
typed result: an outcome and a reason given as a code with its parameters. Each
surface says the reason in its reader's language: web/command_words.py for the
panel, `english` here for the shell and the player's log. Both columns hold JSON with
a format version and are checked when read, so a bad row is a clear
CommandFormatError, never a crash and never a silently misread answer.

The panel and `villagecast say` send and wait through `send_and_await` alone.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import enum
import hashlib
import json
import select
import socket
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, ClassVar

from playlists.errors import CommandFormatError
from playlists.model import Priority
from playlists.store import Store

FORMAT = 1  # of the payload and result JSON; rows without "v" predate it, same fields

Param = str | int


class CommandKind(enum.StrEnum):
    PLAY = "play"
    STOP = "stop"
    SKIP = "skip"


# -- requests ------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class PlayPlaylist:
    """Play a stored playlist now."""

    kind: ClassVar[CommandKind] = CommandKind.PLAY
    playlist_id: int
    priority: Priority = Priority.MANUAL


@dataclasses.dataclass(frozen=True)
class PlayAnnouncement:
    """Play one stored announcement now."""

    kind: ClassVar[CommandKind] = CommandKind.PLAY
    announcement_id: int
    priority: Priority = Priority.MANUAL


@dataclasses.dataclass(frozen=True)
class PlaySpeech:
    """Play speech made just now (an emergency, `villagecast say`): no stored content."""

    kind: ClassVar[CommandKind] = CommandKind.PLAY
    media_sha256: str
    title: str
    text: str
    priority: Priority = Priority.MANUAL
    repeat: int = 1  # times the clip says the text (an emergency's), for the as-run row
    gap: int = 0  # seconds of silence between two repeats


@dataclasses.dataclass(frozen=True)
class Stop:
    """Stop the broadcast on air for good."""

    kind: ClassVar[CommandKind] = CommandKind.STOP


@dataclasses.dataclass(frozen=True)
class Skip:
    """Skip the item on air and go on with the next."""

    kind: ClassVar[CommandKind] = CommandKind.SKIP


PlayRequest = PlayPlaylist | PlayAnnouncement | PlaySpeech
Request = PlayRequest | Stop | Skip


def payload_of(request: Request) -> dict[str, Param]:
    """Return a request's fields as JSON values (the API shows them as `payload`)."""
    fields = dataclasses.asdict(request)
    return {k: v.value if isinstance(v, Priority) else v for k, v in fields.items()}


def encode_request(request: Request) -> str:
    """Return the payload column's text for a request."""
    return json.dumps({"v": FORMAT, **payload_of(request)}, ensure_ascii=False)


def decode_request(kind: str, payload: str) -> Request:
    """Read a command row's kind and payload; raise CommandFormatError if they are bad."""
    fields = _versioned(payload, "payload")
    try:
        command = CommandKind(kind)
    except ValueError:
        raise CommandFormatError(f"unknown command kind {kind!r}") from None
    if command is CommandKind.STOP:
        _only(fields, set())
        return Stop()
    if command is CommandKind.SKIP:
        _only(fields, set())
        return Skip()
    return _play(fields)


def _play(fields: dict[str, Any]) -> PlayRequest:
    priority = _priority(fields.get("priority", Priority.MANUAL.value))
    if "playlist_id" in fields:
        _only(fields, {"playlist_id", "priority"})
        return PlayPlaylist(_id(fields, "playlist_id"), priority)
    if "announcement_id" in fields:
        _only(fields, {"announcement_id", "priority"})
        return PlayAnnouncement(_id(fields, "announcement_id"), priority)
    _only(fields, {"media_sha256", "title", "text", "priority", "repeat", "gap"})
    sha, title, text = (_text(fields, name) for name in ("media_sha256", "title", "text"))
    repeat, gap = _count(fields, "repeat", 1), _count(fields, "gap", 0)
    return PlaySpeech(sha, title, text, priority, repeat, gap)


def _versioned(text: str, column: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except (TypeError, ValueError):
        raise CommandFormatError(f"the command's {column} is not JSON: {text!r:.80}") from None
    if not isinstance(value, dict):
        raise CommandFormatError(f"the command's {column} is not a JSON object")
    version = value.pop("v", FORMAT)
    if version != FORMAT:
        raise CommandFormatError(
            f"the command's {column} has format {version!r}; this villagecast reads {FORMAT}"
        )
    return value


def _only(fields: Mapping[str, Any], allowed: set[str]) -> None:
    extra = sorted(set(fields) - allowed)
    if extra:
        raise CommandFormatError(f"unexpected field(s) in the command: {', '.join(extra)}")


def _id(fields: Mapping[str, Any], name: str) -> int:
    value = fields[name]
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise CommandFormatError(f"{name} must be a positive whole number, not {value!r}")
    return value


def _count(fields: Mapping[str, Any], name: str, default: int) -> int:
    value = fields.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise CommandFormatError(f"{name} must be a whole number, not {value!r}")
    return value


def _text(fields: Mapping[str, Any], name: str) -> str:
    value = fields.get(name)
    if not isinstance(value, str):
        raise CommandFormatError(f"{name} must be text, not {value!r}")
    return value


def _priority(value: Any) -> Priority:
    try:
        return Priority(value)
    except ValueError:
        raise CommandFormatError(f"unknown priority {value!r}") from None


# -- results -------------------------------------------------------------------------


class CommandOutcome(enum.StrEnum):
    DONE = "done"  # started, stopped, skipped the item
    QUEUED = "queued"  # plays when the broadcast on air ends
    NOTHING_TO_DO = "nothing-to-do"
    NOT_PLAYED = "not-played"  # taken, but playout gave it up; the as-run log says why
    REFUSED = "refused"  # not allowed now
    EXPIRED = "expired"  # taken too late to act on
    FAILED = "failed"  # could not be carried out


class ReasonCode(enum.StrEnum):
    STARTED = "started"
    WAITING = "waiting"  # on_air: the broadcast it waits for
    SLOT_BUSY = "slot-busy"  # on_air: the broadcast that kept it off
    NOT_PLAYED = "not-played"
    STOPPED = "stopped"
    ITEM_SKIPPED = "item-skipped"  # item: its number in the broadcast, from 1
    NOTHING_PLAYING = "nothing-playing"
    QUIET_HOURS = "quiet-hours"  # start, end: "22:00", "06:30"
    NOT_APPROVED = "not-approved"  # subject: playlist | announcement; name
    NOT_FOUND = "not-found"  # subject: playlist | announcement; id
    AUDIO_MISSING = "audio-missing"  # sha256
    PLAYER_NOT_RUNNING = "player-not-running"  # seconds: the command's age when taken
    BAD_COMMAND = "bad-command"  # detail: what CommandFormatError said
    PLAYER_ERROR = "player-error"  # detail: the error's own words


SUBJECTS = ("playlist", "announcement")

# Each code's outcome and parameters, checked when a result is made and when it is read.
RULES: dict[ReasonCode, tuple[CommandOutcome, frozenset[str]]] = {
    ReasonCode.STARTED: (CommandOutcome.DONE, frozenset()),
    ReasonCode.WAITING: (CommandOutcome.QUEUED, frozenset({"on_air"})),
    ReasonCode.SLOT_BUSY: (CommandOutcome.NOT_PLAYED, frozenset({"on_air"})),
    ReasonCode.NOT_PLAYED: (CommandOutcome.NOT_PLAYED, frozenset()),
    ReasonCode.STOPPED: (CommandOutcome.DONE, frozenset()),
    ReasonCode.ITEM_SKIPPED: (CommandOutcome.DONE, frozenset({"item"})),
    ReasonCode.NOTHING_PLAYING: (CommandOutcome.NOTHING_TO_DO, frozenset()),
    ReasonCode.QUIET_HOURS: (CommandOutcome.REFUSED, frozenset({"start", "end"})),
    ReasonCode.NOT_APPROVED: (CommandOutcome.REFUSED, frozenset({"subject", "name"})),
    ReasonCode.NOT_FOUND: (CommandOutcome.FAILED, frozenset({"subject", "id"})),
    ReasonCode.AUDIO_MISSING: (CommandOutcome.FAILED, frozenset({"sha256"})),
    ReasonCode.PLAYER_NOT_RUNNING: (CommandOutcome.EXPIRED, frozenset({"seconds"})),
    ReasonCode.BAD_COMMAND: (CommandOutcome.FAILED, frozenset({"detail"})),
    ReasonCode.PLAYER_ERROR: (CommandOutcome.FAILED, frozenset({"detail"})),
}


@dataclasses.dataclass(frozen=True)
class Reason:
    """Why a command ended as it did, as a code with its parameters."""

    code: ReasonCode
    params: Mapping[str, Param] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        wanted = RULES[self.code][1]
        if set(self.params) != wanted:
            raise CommandFormatError(
                f"reason {self.code.value} takes {sorted(wanted)}, not {sorted(self.params)}"
            )
        for name, value in self.params.items():
            if isinstance(value, bool) or not isinstance(value, str | int):
                raise CommandFormatError(f"reason parameter {name} is {value!r}")
        subject = self.params.get("subject")
        if subject is not None and subject not in SUBJECTS:
            raise CommandFormatError(f"reason subject {subject!r} is not one of {SUBJECTS}")


@dataclasses.dataclass(frozen=True)
class CommandResult:
    """What the player made of a command."""

    outcome: CommandOutcome
    reason: Reason

    def __post_init__(self) -> None:
        expected = RULES[self.reason.code][0]
        if self.outcome is not expected:
            raise CommandFormatError(
                f"reason {self.reason.code.value} goes with outcome {expected.value}, "
                f"not {self.outcome.value}"
            )

    def json(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome.value,
            "reason": {"code": self.reason.code.value, "params": dict(self.reason.params)},
        }


def answer(code: ReasonCode, **params: Param) -> CommandResult:
    """Make the result a reason code implies, with its parameters."""
    return CommandResult(RULES[code][0], Reason(code, params))


def encode_result(result: CommandResult) -> str:
    """Return the result column's text for a result."""
    return json.dumps({"v": FORMAT, **result.json()}, ensure_ascii=False)


def decode_result(text: str) -> CommandResult:
    """Read a result column; raise CommandFormatError if it is not a result of this format."""
    fields = _versioned(text, "result")
    _only(fields, {"outcome", "reason"})
    reason = fields.get("reason")
    if not isinstance(reason, dict) or set(reason) != {"code", "params"}:
        raise CommandFormatError("the result's reason must be {code, params}")
    if not isinstance(reason["params"], dict):
        raise CommandFormatError("the result's reason params must be an object")
    try:
        outcome = CommandOutcome(str(fields.get("outcome")))
        code = ReasonCode(reason["code"])
    except ValueError as exc:
        raise CommandFormatError(f"the result names {exc}") from None
    return CommandResult(outcome, Reason(code, reason["params"]))


# -- English, for the shell and the player's log ---------------------------------------

ENGLISH: dict[ReasonCode, str] = {
    ReasonCode.STARTED: "started the broadcast",
    ReasonCode.WAITING: "queued: it starts when {on_air} ends",
    ReasonCode.SLOT_BUSY: "not played: {on_air} was on air",
    ReasonCode.NOT_PLAYED: "not played; the broadcast log says why",
    ReasonCode.STOPPED: "stopped the broadcast",
    ReasonCode.ITEM_SKIPPED: "skipped item {item}; the next one follows",
    ReasonCode.NOTHING_PLAYING: "nothing was playing",
    ReasonCode.QUIET_HOURS: "refused: quiet hours {start}–{end}; only emergencies play now",
    ReasonCode.NOT_APPROVED: "refused: the {subject} “{name}” is not approved for broadcast",
    ReasonCode.NOT_FOUND: "failed: there is no {subject} {id}",
    ReasonCode.AUDIO_MISSING: "failed: the stored audio {sha256} is missing",
    ReasonCode.PLAYER_NOT_RUNNING: (
        "not carried out: the player was not running when it was given ({seconds} s ago)"
    ),
    ReasonCode.BAD_COMMAND: "failed: the command could not be read: {detail}",
    ReasonCode.PLAYER_ERROR: "failed: {detail}",
}


def english(result: CommandResult) -> str:
    """Say a result in English."""
    return ENGLISH[result.reason.code].format(**result.reason.params)


# -- sending and waiting ----------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Waiting:
    """How long and how often to look for the player's answer; the clock is a seam."""

    seconds: float
    poll: float = 0.05
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep


@dataclasses.dataclass(frozen=True)
class SentCommand:
    id: int
    request: Request
    result: CommandResult | None  # None: the player did not answer in time
    unreadable: str | None = None  # why the answer could not be read, if it could not


def send_and_await(
    store: Store,
    request: Request,
    by: str,
    now: dt.datetime,
    waiting: Waiting,
    also: Callable[[int], None] | None = None,
) -> SentCommand:
    """Queue a command for the player and wait up to `waiting` for its answer.

    `also` runs with the new command's id in the same transaction (the panel's audit row).
    An answer that cannot be read comes back as `unreadable`, with the reason.
    """
    with store.transaction():
        command_id = store.add_command(request.kind.value, encode_request(request), by, now)
        if also is not None:
            also(command_id)
    Doorbell(store.path).ring()
    try:
        result = await_result(store, command_id, waiting)
    except CommandFormatError as exc:
        return SentCommand(command_id, request, None, unreadable=str(exc))
    return SentCommand(command_id, request, result)


def await_result(store: Store, command_id: int, waiting: Waiting) -> CommandResult | None:
    """Poll the store until the player answered the command, or give up and return None.

    Raises CommandFormatError when the answer cannot be read.
    """
    deadline = waiting.clock() + waiting.seconds
    while True:
        row = store.command(command_id)
        if row is not None and row["result"] is not None:
            return decode_result(str(row["result"]))
        if waiting.clock() >= deadline:
            return None
        waiting.sleep(waiting.poll)


class Doorbell:
    """A nudge to the player that a command is queued, so it takes it now.

    A datagram on an abstract Unix socket named after the database (Linux; no file).
    The player still reads the store every `player.poll_seconds`: a ring nobody hears
    (no player, another host) costs only that wait, never a command.
    """

    def __init__(self, db_path: Path) -> None:
        digest = hashlib.sha256(str(db_path.resolve()).encode()).hexdigest()[:32]
        self.address = f"\0villagecast-player-{digest}"
        self._socket: socket.socket | None = None

    def ring(self) -> None:
        """Wake the player listening on this database, if one is."""
        with contextlib.suppress(OSError), socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
            s.setblocking(False)
            s.sendto(b"!", self.address)

    @property
    def listening(self) -> bool:
        return self._socket is not None

    def listen(self) -> bool:
        """Start hearing rings; False when another player on this database already does."""
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        try:
            listener.bind(self.address)
        except OSError:
            listener.close()
            return False
        listener.setblocking(False)
        self._socket = listener
        return True

    def wait(self, seconds: float) -> bool:
        """Wait up to seconds for a ring (a plain sleep when not listening); True if rung."""
        if self._socket is None:
            time.sleep(seconds)
            return False
        ready, _, _ = select.select([self._socket], [], [], seconds)
        rung = False
        with contextlib.suppress(BlockingIOError):
            while self._socket.recv(64):
                rung = True
        return rung or bool(ready)

    def close(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None
