"""Town emergencies by sync, the broker's fallback: fetch the live ones, post the answers.

Every sync asks the town for its live signed emergencies (GET /town/v1/emergencies) and
hands each to the player's one receive path (scheduler/emergency_listener.py), which
checks signature, deadline and replay as for a message from the broker: an id heard
both ways plays once. An answer the village could not give on the broker waits in
``data_dir/town-emergency-answers/``, one file each (written whole, then renamed), and
goes with the next sync; the file is deleted once the town took it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import secrets
from pathlib import Path

from media.files import atomic_output
from playlists.errors import TownAnswerError
from playlists.sync.emergency_wire import (
    ANSWERS_PATH,
    EMERGENCIES_PATH,
    MAX_PAYLOAD,
    AckState,
    encode_ack,
)
from playlists.sync.transport import TownApi

log = logging.getLogger(__name__)

FOLDER = "town-emergency-answers"
MAX_ANSWERS = 100  # per POST, as the town takes them (playlists/town/emergency_relay.py)


def fetch_live(api: TownApi) -> list[bytes]:
    """Return the signed emergencies the town holds for this village, as it published them."""
    document = api.get(EMERGENCIES_PATH)
    listing = document.get("emergencies")
    if not isinstance(listing, list) or not all(isinstance(m, str) for m in listing):
        raise TownAnswerError(f"{EMERGENCIES_PATH}: 'emergencies' must be a list of texts")
    payloads = [message.encode("utf-8") for message in listing]
    return [payload for payload in payloads if len(payload) <= MAX_PAYLOAD]


@dataclasses.dataclass(frozen=True)
class AnswerOutbox:
    """The village's answers waiting for the next sync, one file each."""

    folder: Path

    @classmethod
    def in_data_dir(cls, data_dir: Path) -> AnswerOutbox:
        return cls(data_dir / FOLDER)

    def put(self, ident: str, state: AckState, reason: str, now: dt.datetime) -> None:
        """Keep an answer until a sync gives it to the town."""
        self.folder.mkdir(parents=True, exist_ok=True)
        # The name sorts by time, so answers go in the order they were given.
        name = f"{now.strftime('%Y%m%dT%H%M%S%f')}-{secrets.token_hex(4)}.json"
        with atomic_output(self.folder / name, ".tmp") as tmp:
            tmp.write_bytes(encode_ack(ident, state, reason, now))

    def pending(self, limit: int = MAX_ANSWERS) -> list[tuple[Path, dict[str, object]]]:
        """Return up to limit waiting answers, oldest first; an unreadable one is dropped."""
        found: list[tuple[Path, dict[str, object]]] = []
        for path in sorted(self.folder.glob("*.json"))[:limit]:
            try:
                found.append((path, json.loads(path.read_text(encoding="utf-8"))))
            except (OSError, ValueError) as exc:
                log.error("dropping the unreadable emergency answer %s: %s", path, exc)
                path.unlink(missing_ok=True)
        return found


def send_answers(outbox: AnswerOutbox, api: TownApi) -> int:
    """Give the town the waiting answers; return how many it took."""
    sent = 0
    while waiting := outbox.pending():
        api.post(ANSWERS_PATH, {"answers": [answer for _path, answer in waiting]})
        for path, _answer in waiting:
            path.unlink(missing_ok=True)
        sent += len(waiting)
        if len(waiting) < MAX_ANSWERS:
            break
    return sent
