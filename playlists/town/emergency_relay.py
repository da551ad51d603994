"""The town keeps each emergency it sends for the villages' sync, and their answers by sync.

When the broker is down, or a village cannot reach it, the emergency still goes out: the
town keeps the exact signed message it published (``data_dir/town/emergencies/<id>/
message.json``) and serves it, until its deadline, to every village it was for when the
village polls (GET /town/v1/emergencies). The village checks it as it checks one from the
broker, so an id heard both ways plays once. A village that cannot answer on the broker
answers by sync (POST /town/v1/emergency-answers): each village's latest answer is kept in
``answers/<broker user>.json`` beside the message, one file per village, so answers of
many villages arriving at once never overwrite each other.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from media.files import atomic_output
from playlists.errors import ContentError, TownEmergencyError
from playlists.sync.emergency_wire import AckState, TownEmergency, decode_ack, outranks

log = logging.getLogger(__name__)

FOLDER = ("town", "emergencies")
MESSAGE = "message.json"
ANSWERS = "answers"
KEEP_AFTER_DEADLINE = dt.timedelta(days=1)  # late answers (played) still find their message
MAX_ANSWERS = 100  # per POST /town/v1/emergency-answers


def folder(data_dir: Path) -> Path:
    """Return the folder of the emergencies the town sent."""
    return data_dir.joinpath(*FOLDER)


def keep(
    data_dir: Path,
    message: TownEmergency,
    payload: bytes,
    users: Sequence[str] | None,
    now: dt.datetime,
) -> None:
    """Keep a signed emergency for the villages' sync; users None means every village."""
    prune(data_dir, now)
    place = folder(data_dir) / message.id
    place.mkdir(parents=True, exist_ok=True)
    record = {
        "payload": payload.decode("utf-8"),
        "users": None if users is None else sorted(users),
        "deadline": message.deadline.isoformat(),
    }
    with atomic_output(place / MESSAGE, ".tmp") as tmp:
        tmp.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")


def live_for(data_dir: Path, user: str, now: dt.datetime) -> list[str]:
    """Return the signed emergencies for this village's broker user whose deadline is ahead."""
    found: list[tuple[dt.datetime, str]] = []
    for record in _records(data_dir):
        deadline, users = record["deadline"], record["users"]
        if deadline > now and (users is None or user in users):
            found.append((deadline, record["payload"]))
    return [payload for _deadline, payload in sorted(found)]


def check_answers(body: object) -> list[tuple[str, AckState, str]]:
    """Read a POST /emergency-answers body whole; ContentError names what is wrong."""
    answers = body.get("answers") if isinstance(body, dict) else None
    if not isinstance(answers, list) or len(answers) > MAX_ANSWERS:
        raise ContentError(f"'answers' must be a list of at most {MAX_ANSWERS} answers")
    checked = []
    for index, answer in enumerate(answers):
        try:
            checked.append(decode_ack(json.dumps(answer).encode("utf-8")))
        except TownEmergencyError as exc:
            raise ContentError(f"answer {index}: {exc}") from None
    return checked


def record_answers(
    data_dir: Path, user: str, answers: Sequence[tuple[str, AckState, str]], now: dt.datetime
) -> int:
    """Keep a village's answers to emergencies the town sent; return how many were kept."""
    kept = 0
    for ident, state, reason in answers:
        place = folder(data_dir) / ident / ANSWERS
        if not (place.parent / MESSAGE).is_file():
            continue  # not an emergency of this town (or pruned long ago): nothing to add to
        before = _answer(place / f"{user}.json")
        if before is not None and not outranks(state, before[0]):
            continue
        place.mkdir(exist_ok=True)
        text = json.dumps({"state": state.value, "reason": reason, "at": now.isoformat()})
        with atomic_output(place / f"{user}.json", ".tmp") as tmp:
            tmp.write_text(text, encoding="utf-8")
        kept += 1
    return kept


def answers_for(data_dir: Path, ident: str) -> dict[str, tuple[AckState, str]]:
    """Return broker user → (state, reason) of the answers that came by sync for an emergency."""
    place = folder(data_dir) / ident / ANSWERS
    if not ident.isalnum() or not place.is_dir():
        return {}
    found = {}
    for path in sorted(place.glob("*.json")):
        answer = _answer(path)
        if answer is not None:
            found[path.stem] = answer
    return found


def prune(data_dir: Path, now: dt.datetime) -> None:
    """Delete the emergencies whose deadline passed more than a day ago."""
    for record in _records(data_dir):
        if record["deadline"] + KEEP_AFTER_DEADLINE < now:
            shutil.rmtree(record["place"], ignore_errors=True)


def _records(data_dir: Path) -> list[dict[str, Any]]:
    records = []
    for path in sorted(folder(data_dir).glob(f"*/{MESSAGE}")):
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
            record["deadline"] = dt.datetime.fromisoformat(record["deadline"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.error("cannot read the kept emergency %s: %s", path, exc)
            continue
        record["place"] = path.parent
        records.append(record)
    return records


def _answer(path: Path) -> tuple[AckState, str] | None:
    try:
        answer = json.loads(path.read_text(encoding="utf-8"))
        return AckState(answer["state"]), str(answer["reason"])
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.error("cannot read the village's answer %s: %s", path, exc)
        return None
