"""What a village does with a town emergency: check it, never twice, play it at once.

A message is played only if a trusted town key signed it, its signed deadline has not
passed and its id was not heard before. Ids are remembered in ``data_dir/
town-emergencies.json`` until their deadline: after it the message is refused as
expired anyway. Playing goes through the command contract, as the panel's emergency
button does: speech made here (the repeats in one clip), slides for the screens, and a
``PlaySpeech`` at emergency priority, which cuts whatever plays.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from media.files import atomic_output
from playlists import commands as contract
from playlists.bundles.keys import PublicKey
from playlists.commands import PlaySpeech, ReasonCode
from playlists.content import emergency_speech
from playlists.errors import TownEmergencyError
from playlists.model import AsRunRow, Outcome, Priority, Slide
from playlists.record import asrun, audit
from playlists.store import Store
from playlists.sync.emergency_wire import AckState, TownEmergency, decode

if TYPE_CHECKING:
    from playlists.content.ingest import Ingest

log = logging.getLogger(__name__)

SEEN_FILE = "town-emergencies.json"
TITLE = "紧急通知"  # on the screens when the town gave none, as for local emergencies
BY = "town:emergency"  # who the command and audit rows name
NO_ANSWER = "player-not-answering"
_SLACK = dt.timedelta(seconds=5)  # between the village's clock and the player's row
UNREADABLE = "unreadable-answer"
GAP = emergency_speech.DEFAULT_GAP  # seconds between repeats: the town's message names none


class Verdict(enum.StrEnum):
    PLAY = "play"
    EXPIRED = "expired"
    REPLAYED = "replayed"
    REFUSED = "refused"


@dataclasses.dataclass(frozen=True)
class Judgement:
    verdict: Verdict
    message: TownEmergency | None
    detail: str = ""


class SeenIds:
    """The ids of emergencies this village took, each kept until its deadline."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self, now: dt.datetime) -> dict[str, dt.datetime]:
        """Return id → deadline of the emergencies taken whose deadline is still ahead."""
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            # Started afresh: the signed deadlines still keep stale messages off the air.
            log.error("cannot read %s (%s): heard emergencies start afresh", self.path, exc)
            return {}
        seen: dict[str, dt.datetime] = {}
        for ident, deadline in raw.items() if isinstance(raw, dict) else ():
            try:
                when = dt.datetime.fromisoformat(str(deadline))
            except ValueError:
                continue
            if when.tzinfo is not None and when > now:
                seen[str(ident)] = when
        return seen

    def remember(self, message: TownEmergency, now: dt.datetime) -> None:
        """Add a message's id (and drop the ids whose deadline passed), atomically."""
        seen = self.load(now)
        seen[message.id] = message.deadline
        text = json.dumps({k: v.isoformat() for k, v in sorted(seen.items())})
        with atomic_output(self.path, ".tmp") as tmp:
            tmp.write_text(text, encoding="utf-8")


def judge(
    payload: bytes, trusted: Sequence[PublicKey], seen: SeenIds, now: dt.datetime
) -> Judgement:
    """Decide whether to play a message; a message to play is remembered as taken."""
    try:
        message = decode(payload, trusted)
    except TownEmergencyError as exc:
        return Judgement(Verdict.REFUSED, None, f"{exc.code}: {exc}")
    if message.deadline <= now:
        return Judgement(Verdict.EXPIRED, message, f"deadline {message.deadline.isoformat()}")
    if message.id in seen.load(now):
        return Judgement(Verdict.REPLAYED, message, "this id was already taken")
    seen.remember(message, now)
    return Judgement(Verdict.PLAY, message)


def play(
    store: Store,
    ingest: Ingest,
    message: TownEmergency,
    waiting: contract.Waiting,
    now: dt.datetime,
) -> tuple[AckState, str]:
    """Speak the message at emergency priority; return the answer for the town."""
    if message.audio:  # a recording, or the town's speech of the text: played as sent
        record = emergency_speech.repeated_recording(ingest, message.audio, message.repeat, GAP)
    else:
        record = emergency_speech.repeated_speech(ingest, message.text, message.repeat, GAP)
    slide = Slide(message.title or TITLE, message.text)
    ingest.render_slides(slide)
    speech = PlaySpeech(
        record.sha256, slide.title, message.text, Priority.EMERGENCY, message.repeat, GAP
    )

    def audit_row(command_id: int) -> None:
        audit.record(
            store,
            BY,
            speech.kind.value,
            now,
            subject="command",
            subject_id=command_id,
            detail=f"town emergency {message.id}: {message.text}",
        )

    sent = contract.send_and_await(store, speech, BY, now, waiting, also=audit_row)
    if sent.unreadable is not None:
        return AckState.FAILED, UNREADABLE
    if sent.result is None:
        return AckState.FAILED, NO_ANSWER
    code = sent.result.reason.code
    if code is ReasonCode.STARTED:
        return AckState.STARTED, ""
    return AckState.FAILED, code.value


def aired(store: Store, since: dt.datetime, now: dt.datetime) -> AsRunRow | None:
    """Return the as-run row of the town emergency played since then, once it is over."""
    rows = [
        row
        for row in asrun.manual_between(store, since - _SLACK, now + _SLACK)
        if row.requested_by == BY
    ]
    if not rows or rows[-1].status is Outcome.PLAYING:
        return None
    return rows[-1]


def final_answer(row: AsRunRow) -> tuple[AckState, str]:
    """Return the town's answer for an emergency's finished as-run row."""
    if row.status is Outcome.PLAYED:
        return AckState.PLAYED, ""
    return AckState.FAILED, row.status.value
