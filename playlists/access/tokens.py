"""API tokens: secrets that let scripts call the JSON API as a user, stored only hashed.

A token is shown once when it is made (``vc_`` and 43 URL-safe characters, 256 random
bits) and only its SHA-256 is kept. A random secret that long needs no slow salted
hash: nobody can guess one, so a stolen database gives nothing away. Looking a token
up by its hash also means no comparison ever runs over the secret itself.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import secrets
import sqlite3

from playlists.access import users
from playlists.errors import ContentError, NotFoundError
from playlists.record import audit
from playlists.store import Store, from_db_time, to_db_time

PREFIX = "vc_"  # recognisable in a script or a leaked log, so it can be found and revoked
MAX_NAME = 100
# A token used all day would otherwise write the database on every request.
TOUCH_INTERVAL = dt.timedelta(minutes=1)
SUBJECT = "token"


@dataclasses.dataclass(frozen=True)
class ApiToken:
    """What is kept about a token: never the secret."""

    id: int
    username: str
    name: str  # what the user calls it, e.g. "town report script"
    created_at: dt.datetime
    last_used_at: dt.datetime | None


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create_token(
    store: Store, username: str, name: str, now: dt.datetime, *, by: str | None = None
) -> str:
    """Make a token for a user and return its secret; this is the only time it is seen.

    `by` is who made it for the audit log (default: the user themselves).
    """
    name = name.strip()
    if not name:
        raise ContentError("give the token a name that says where it is used")
    if len(name) > MAX_NAME:
        raise ContentError(f"a token name has at most {MAX_NAME} characters")
    secret = PREFIX + secrets.token_urlsafe(32)
    with store.transaction() as conn:
        user = conn.execute(
            "SELECT id, disabled FROM users WHERE username = ?", (username,)
        ).fetchone()
        if user is None:
            raise NotFoundError(f"user {username!r} does not exist")
        if user["disabled"]:
            raise ContentError(f"user {username!r} is disabled and may not have tokens")
        cursor = conn.execute(
            "INSERT INTO api_tokens (user_id, name, token_hash, created_at) VALUES (?, ?, ?, ?)",
            (user["id"], name, hash_secret(secret), to_db_time(now)),
        )
        audit.record(
            store,
            by or username,
            "create",
            now,
            subject=SUBJECT,
            subject_id=cursor.lastrowid,
            detail=f"{name} (for {username})",
        )
    return secret


def verify(store: Store, secret: str, now: dt.datetime) -> users.User | None:
    """Return the user a token belongs to, or None for an unknown, revoked or disabled one."""
    if not secret.startswith(PREFIX):
        return None
    row = store.query_one(
        "SELECT id, user_id, last_used_at FROM api_tokens WHERE token_hash = ?",
        (hash_secret(secret),),
    )
    if row is None:
        return None
    user = users.get_user(store, row["user_id"])
    if user is None or user.disabled:
        return None
    last_used = from_db_time(row["last_used_at"])
    # abs(): a Pi without a clock chip may start in the past and be corrected later.
    if last_used is None or abs(now - last_used) >= TOUCH_INTERVAL:
        with store.transaction() as conn:
            conn.execute(
                "UPDATE api_tokens SET last_used_at = ? WHERE id = ?", (to_db_time(now), row["id"])
            )
    return user


_LIST_SQL = (
    "SELECT t.id, u.username, t.name, t.created_at, t.last_used_at "
    "FROM api_tokens t JOIN users u ON u.id = t.user_id"
)


def list_tokens(store: Store, username: str | None = None) -> list[ApiToken]:
    """Every token (or one user's), newest first."""
    if username is None:
        rows = store.query(f"{_LIST_SQL} ORDER BY t.id DESC")
    else:
        rows = store.query(f"{_LIST_SQL} WHERE u.username = ? ORDER BY t.id DESC", (username,))
    return [_token(row) for row in rows]


def get_token(store: Store, token_id: int) -> ApiToken:
    row = store.query_one(f"{_LIST_SQL} WHERE t.id = ?", (token_id,))
    if row is None:
        raise NotFoundError(f"token {token_id} does not exist")
    return _token(row)


def revoke(store: Store, token_id: int, by_username: str, now: dt.datetime) -> ApiToken:
    """Delete a token so it works no more; return what it was.

    Who may revoke whose token is the caller's decision (the panel: its owner or an
    admin; the command line: whoever runs it on the station).
    """
    with store.transaction() as conn:
        token = get_token(store, token_id)
        conn.execute("DELETE FROM api_tokens WHERE id = ?", (token_id,))
        audit.record(
            store,
            by_username,
            "revoke",
            now,
            subject=SUBJECT,
            subject_id=token_id,
            detail=f"{token.name} (of {token.username})",
        )
    return token


def _token(row: sqlite3.Row) -> ApiToken:
    return ApiToken(
        id=row["id"],
        username=row["username"],
        name=row["name"],
        created_at=from_db_time(row["created_at"]) or dt.datetime.min.replace(tzinfo=dt.UTC),
        last_used_at=from_db_time(row["last_used_at"]),
    )
