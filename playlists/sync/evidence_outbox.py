"""Send the village's evidence to the town: each item once, in resumable pieces, checked by hash.

Store and forward: an item waits in the store until the town has confirmed it
(evidence_sent). For each: offer it by SHA-256 and size, send the pieces from where
the town stands, then finish it with its fields. A town that goes away mid-file keeps
what it has; the next cycle goes on from there. An item the town refuses is
reported and tried again next cycle (the town may have been short of disk).
Last, the town's decisions on the items (accepted, or asked for more with a comment)
are copied onto them, for the village's page.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
from typing import Any

from playlists.errors import TownAnswerError, TownRefusedError
from playlists.evidence import items
from playlists.evidence.model import EvidenceItem
from playlists.settings import Settings
from playlists.store import Store, to_db_time
from playlists.sync.transport import HttpClient
from playlists.sync.wire import API_PREFIX

log = logging.getLogger(__name__)

PIECE = 1024 * 1024


@dataclasses.dataclass
class EvidenceReport:
    sent: int = 0  # items the town confirmed in this cycle
    bytes: int = 0  # bytes sent in pieces
    refused: list[str] = dataclasses.field(default_factory=list)
    reviews: int = 0  # items whose town decision changed


def pending(store: Store) -> list[EvidenceItem]:
    """Return the items the town has not confirmed, oldest first."""
    rows = store.query(
        "SELECT id FROM evidence WHERE id NOT IN (SELECT evidence_id FROM evidence_sent) "
        "ORDER BY id"
    )
    return [items.get_item(store, row["id"]) for row in rows]


def send_evidence(
    store: Store, settings: Settings, client: HttpClient, now: dt.datetime
) -> EvidenceReport:
    """Send every pending item; TownUnreachableError ends the cycle, keeping what arrived."""
    town = _Town(client, settings)
    report = EvidenceReport()
    for item in pending(store):
        try:
            report.bytes += _send_item(town, settings, item)
        except TownRefusedError as exc:
            report.refused.append(f"{item.caption!r}: {exc}")
            log.error("the town refused evidence item %d: %s", item.id, exc)
            continue
        with store.transaction() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO evidence_sent (evidence_id, acked_at) VALUES (?, ?)",
                (item.id, to_db_time(now)),
            )
        report.sent += 1
    # Only a village that has sent evidence asks what the town thinks of it.
    if store.query_one("SELECT 1 FROM evidence_sent LIMIT 1") is not None:
        report.reviews = take_reviews(store, town)
    return report


def take_reviews(store: Store, town: _Town) -> int:
    """Copy the town's decisions onto the items; return how many changed."""
    answer = town.get("/reviews").get("reviews")
    if not isinstance(answer, list):
        raise TownAnswerError("GET evidence/reviews: 'reviews' must be a list")
    changed = 0
    with store.transaction() as conn:
        for review in answer:
            if not isinstance(review, dict) or review.get("review") not in ("accepted", "more"):
                raise TownAnswerError("GET evidence/reviews: a review is malformed")
            changed += conn.execute(
                "UPDATE evidence SET town_review = ?, town_comment = ? WHERE sha256 = ? "
                "AND (town_review != ? OR town_comment != ?)",
                (
                    review["review"], str(review.get("comment", ""))[:500], str(review["sha256"]),
                    review["review"], str(review.get("comment", ""))[:500],
                ),
            ).rowcount  # fmt: skip
    return changed


def _send_item(town: _Town, settings: Settings, item: EvidenceItem) -> int:
    """Send what the town lacks of one item and finish it; return the bytes sent."""
    offer = {"sha256": item.sha256, "size": item.bytes}
    held = int(town.json("/offer", offer)["received"])
    sent = 0
    with items.file_path(settings, item).open("rb") as file:
        while held < item.bytes:
            file.seek(held)
            piece = file.read(PIECE)
            received = town.piece(item.sha256, held, piece)
            sent += len(piece)
            # None: out of step (an earlier answer was lost); the offer says where it stands.
            held = int(town.json("/offer", offer)["received"]) if received is None else received
    fields = {
        "kind": item.kind,
        "caption": item.caption,
        "topic": item.topic,
        "taken_on": item.taken_on.isoformat(),
        "added_by": item.added_by,
    }
    town.json(f"/{item.sha256}/finish", fields)
    return sent


class _Town:
    """The /town/v1/evidence endpoints with this village's device token."""

    def __init__(self, client: HttpClient, settings: Settings) -> None:
        self.client = client
        self.base = settings.sync.town_url.rstrip("/") + API_PREFIX + "/evidence"
        self.auth = {"Authorization": f"Bearer {settings.sync.device_token}"}

    def json(self, where: str, document: dict[str, Any]) -> dict[str, Any]:
        body = json.dumps(document, ensure_ascii=False).encode("utf-8")
        headers = {**self.auth, "Content-Type": "application/json; charset=utf-8"}
        status, answer = self._send("POST", where, headers, body)
        if status != 200:
            raise _refused("POST", where, status, answer)
        return answer

    def get(self, where: str) -> dict[str, Any]:
        status, answer = self._send("GET", where, dict(self.auth), None)
        if status != 200:
            raise _refused("GET", where, status, answer)
        return answer

    def piece(self, sha256: str, offset: int, data: bytes) -> int | None:
        """Send a piece; return the bytes the town holds, or None when out of step."""
        headers = {**self.auth, "Content-Type": "application/octet-stream"}
        where = f"/{sha256}?offset={offset}"
        status, answer = self._send("PUT", where, headers, data)
        if status == 409:
            return None
        if status != 200 or not isinstance(answer.get("received"), int):
            raise _refused("PUT", where, status, answer)
        return int(answer["received"])

    def _send(
        self, method: str, where: str, headers: dict[str, str], body: bytes | None
    ) -> tuple[int, dict[str, Any]]:
        with self.client.request(method, self.base + where, headers, body) as reply:
            text, status = reply.read(), reply.status
        try:
            document = json.loads(text) if text else {}
        except ValueError:
            raise TownAnswerError(f"{method} evidence{where}: the answer is not JSON") from None
        if not isinstance(document, dict):
            raise TownAnswerError(f"{method} evidence{where}: the answer is not a JSON object")
        return status, document


def _refused(method: str, where: str, status: int, answer: dict[str, Any]) -> TownRefusedError:
    reason = answer.get("error") or "no reason given"
    return TownRefusedError(f"{method} evidence{where}: {status} {reason}", status)
