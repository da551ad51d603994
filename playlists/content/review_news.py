"""What became of the content a user sent for review: approved or sent back, lately.

Read from the audit log, which already holds every decision: a reviewer's `approve`
or `reject` row, and before it the `submit` row of whoever sent the content in. The
dashboard tells that person for NEWS_DAYS days; nothing is stored for it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from playlists.store import Store, to_db_time

NEWS_DAYS = 3  # how long the dashboard tells an author about a decision
MOST = 10  # decisions shown at once, newest first

# Each decision on an announcement or playlist, with the submission it decided: the last
# `submit` of the same content before it (its author, and its title or name then). The
# decisions are found by time (the audit_at index); each submission by walking back
# from its decision, which it shortly precedes.
_NEWS_SQL = """
SELECT d.at, d.action, d.subject, d.subject_id, d.username AS reviewer, d.detail,
       s.detail AS label
FROM audit d
JOIN audit s ON s.id = (
    SELECT id FROM audit
    WHERE id < d.id AND action = 'submit' AND subject = d.subject AND subject_id = d.subject_id
    ORDER BY id DESC LIMIT 1
)
WHERE d.at >= ? AND d.action IN ('approve', 'reject')
  AND d.subject IN ('announcement', 'playlist')
  AND s.username = ? AND d.username != s.username
ORDER BY d.at DESC, d.id DESC
LIMIT ?
"""


@dataclasses.dataclass(frozen=True)
class ReviewNews:
    """A reviewer's decision on content the reader sent for review."""

    at: dt.datetime
    subject: str  # "announcement" or "playlist"
    subject_id: int
    label: str  # its title or name as sent for review
    approved: bool  # else sent back for changes
    reviewer: str
    comment: str  # the reviewer's note on content sent back ("" when approved)


def review_news(
    store: Store, username: str, now: dt.datetime, days: int = NEWS_DAYS
) -> list[ReviewNews]:
    """Return the decisions of the last `days` days on what `username` sent for review."""
    since = to_db_time(now - dt.timedelta(days=days))
    rows = store.query(_NEWS_SQL, (since, username, MOST))
    news = []
    for row in rows:
        label, approved = row["label"], row["action"] == "approve"
        news.append(
            ReviewNews(
                at=dt.datetime.fromisoformat(row["at"]),
                subject=row["subject"],
                subject_id=row["subject_id"],
                label=label,
                approved=approved,
                reviewer=row["reviewer"],
                comment="" if approved else _comment(row["detail"], label),
            )
        )
    return news


def _comment(detail: str, label: str) -> str:
    """Return the reviewer's note from a rejection's audit detail, "<label>: <note>"."""
    prefix = f"{label}: "
    return detail[len(prefix) :] if detail.startswith(prefix) else detail
