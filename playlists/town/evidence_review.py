"""The town's word on a village's evidence item: accepted, or asked for more with a comment.

The village learns it at its next sync (GET /town/v1/evidence/reviews) and shows it
beside the item on its 活动影像 page. Each decision is audited.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from playlists.errors import EvidenceReviewError, NotFoundError
from playlists.record import audit
from playlists.store import Store, to_db_time

DECISIONS = ("accepted", "more")
MAX_COMMENT = 500


def review_item(
    store: Store, item_id: int, decision: str, comment: str, by: str, now: dt.datetime
) -> None:
    """Record the town's decision on an item, with its audit row, in one transaction."""
    text = comment.strip()
    if decision not in DECISIONS:
        raise EvidenceReviewError("choose accept or ask for more")
    if decision == "more" and not text:
        raise EvidenceReviewError("say what more the village should send")
    if len(text) > MAX_COMMENT:
        raise EvidenceReviewError(f"the comment is too long: at most {MAX_COMMENT} characters")
    with store.transaction() as conn:
        changed = conn.execute(
            "UPDATE village_evidence SET review = ?, review_comment = ?, reviewed_by = ?, "
            "reviewed_at = ? WHERE id = ?",
            (decision, text, by, to_db_time(now), item_id),
        ).rowcount
        if not changed:
            raise NotFoundError(f"village evidence {item_id} does not exist")
        audit.record(
            store, by, f"evidence_{decision}", now, subject="village_evidence",
            subject_id=item_id, detail=text,
        )  # fmt: skip


def reviews_for(store: Store, village_id: int) -> list[dict[str, Any]]:
    """Return the town's decisions on one village's items, for its sync."""
    rows = store.query(
        "SELECT sha256, review, review_comment FROM village_evidence "
        "WHERE village_id = ? AND review != 'new' ORDER BY id",
        (village_id,),
    )
    return [
        {"sha256": r["sha256"], "review": r["review"], "comment": r["review_comment"]} for r in rows
    ]
