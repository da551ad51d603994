"""The audit log: who created, changed, approved, played or stopped what, and when.

Rows are only ever added, except failed log-ins: those count on one row per address
and name per window and are deleted after a while (`record_failed_login`). A change
and its audit row are written in one transaction where the change is made here in
`playlists/`; the panel records what it does itself (play, stop, log in) with `record`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import sqlite3

from playlists.store import Store, from_db_time, to_db_time

MAX_DETAIL = 500


@dataclasses.dataclass(frozen=True)
class AuditRow:
    id: int
    at: dt.datetime
    username: str
    action: str  # a verb such as "create", "approve", "play"
    subject: str  # what kind of thing: "announcement", "playlist", "user", ...
    subject_id: int | None
    detail: str


def record(
    store: Store,
    username: str,
    action: str,
    now: dt.datetime,
    *,
    subject: str = "",
    subject_id: int | None = None,
    detail: str = "",
) -> None:
    """Add one row; inside a caller's transaction it commits (or not) with the change."""
    with store.transaction() as conn:
        conn.execute(
            "INSERT INTO audit (at, username, action, subject, subject_id, detail) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (to_db_time(now), username, action, subject, subject_id, detail[:MAX_DETAIL]),
        )


FAILED_LOGIN = "login_failed"
REPEAT_WINDOW = dt.timedelta(minutes=15)  # as web/throttle.py's window
MAX_NAMES_PER_ADDRESS = 20  # rows one address opens per window; more names share one row
MAX_FAILED_ROWS = 200  # rows everyone opens per window; more attempts share one row
MANY = "*"  # the name (and address) of a row that counts what is past a cap


def record_failed_login(
    store: Store, username: str, address: str, now: dt.datetime, keep_days: int
) -> None:
    """Count a failed log-in: one row per address and name per window, with a count.

    Past MAX_NAMES_PER_ADDRESS names from one address, or MAX_FAILED_ROWS rows from
    everyone, attempts count on one row named MANY, so a flood writes a bounded number
    of rows. Rows of failed log-ins older than keep_days are deleted.
    """
    since = to_db_time(now - REPEAT_WINDOW)
    with store.transaction() as conn:
        key = _failed_login_key(conn, username, address, since)
        found = conn.execute(
            "SELECT id, repeats FROM audit WHERE action = ? AND source = ? AND username = ? "
            "AND at >= ? ORDER BY id DESC LIMIT 1",
            (FAILED_LOGIN, key[1], key[0], since),
        ).fetchone()
        if found is not None:
            repeats = found["repeats"] + 1
            conn.execute(
                "UPDATE audit SET repeats = ?, detail = ? WHERE id = ?",
                (repeats, _failed_detail(key[1], repeats), found["id"]),
            )
            return
        conn.execute(
            "INSERT INTO audit (at, username, action, subject, detail, source) "
            "VALUES (?, ?, ?, 'user', ?, ?)",
            (to_db_time(now), key[0], FAILED_LOGIN, _failed_detail(key[1], 1), key[1]),
        )
        conn.execute(
            "DELETE FROM audit WHERE action = ? AND at < ?",
            (FAILED_LOGIN, to_db_time(now - dt.timedelta(days=keep_days))),
        )


def _failed_login_key(
    conn: sqlite3.Connection, username: str, address: str, since: str
) -> tuple[str, str]:
    """Return the (name, address) row an attempt counts on, within the caps."""
    opened = conn.execute(
        "SELECT 1 FROM audit WHERE action = ? AND source = ? AND username = ? AND at >= ?",
        (FAILED_LOGIN, address, username, since),
    ).fetchone()
    if opened is not None:
        return username, address
    everyone = conn.execute(
        "SELECT COUNT(*) FROM audit WHERE action = ? AND at >= ?", (FAILED_LOGIN, since)
    ).fetchone()[0]
    if everyone >= MAX_FAILED_ROWS:
        return MANY, MANY
    names = conn.execute(
        "SELECT COUNT(*) FROM audit WHERE action = ? AND source = ? AND at >= ?",
        (FAILED_LOGIN, address, since),
    ).fetchone()[0]
    return (MANY, address) if names >= MAX_NAMES_PER_ADDRESS else (username, address)


def _failed_detail(address: str, repeats: int) -> str:
    where = "many addresses" if address == MANY else address
    return f"from {where}" if repeats == 1 else f"from {where}, {repeats} times"


def rows(
    store: Store,
    *,
    username: str | None = None,
    action: str | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    limit: int = 200,
    offset: int = 0,
) -> list[AuditRow]:
    """The newest rows first, filtered in SQL (the log grows all campaign)."""
    where, params = _filters(username, action, since, until)
    found = store.query(
        f"SELECT * FROM audit{where} ORDER BY id DESC LIMIT ? OFFSET ?",
        (*params, limit, offset),
    )
    return [_row(row) for row in found]


def count(
    store: Store,
    *,
    username: str | None = None,
    action: str | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> int:
    where, params = _filters(username, action, since, until)
    row = store.query_one(f"SELECT COUNT(*) AS n FROM audit{where}", params)
    return int(row["n"]) if row else 0


def actions(store: Store) -> list[str]:
    return [row["action"] for row in store.query("SELECT DISTINCT action FROM audit ORDER BY 1")]


def _filters(
    username: str | None, action: str | None, since: dt.datetime | None, until: dt.datetime | None
) -> tuple[str, tuple[object, ...]]:
    clauses: list[str] = []
    params: list[object] = []
    for clause, value in (
        ("username = ?", username),
        ("action = ?", action),
        ("at >= ?", to_db_time(since) if since else None),
        ("at < ?", to_db_time(until) if until else None),
    ):
        if value:
            clauses.append(clause)
            params.append(value)
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), tuple(params)


def _row(row: sqlite3.Row) -> AuditRow:
    return AuditRow(
        id=row["id"],
        at=from_db_time(row["at"]) or dt.datetime.min.replace(tzinfo=dt.UTC),
        username=row["username"],
        action=row["action"],
        subject=row["subject"],
        subject_id=row["subject_id"],
        detail=row["detail"],
    )
