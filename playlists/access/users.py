"""Panel users: roles and scrypt-hashed passwords."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import hmac
import re
import secrets
import sqlite3

from playlists.errors import ContentError, NotFoundError
from playlists.store import Store, to_db_time

ROLES = ("admin", "reviewer", "operator")
# OWASP's scrypt point with 32 MiB per check (n=2**15, r=8, p=3), not n=2**17 (128 MiB):
# about 0.3 s a check here, 1.2-2 s on a Pi (bench/scrypt_bench.py, README "Security").
_SCRYPT = {"n": 2**15, "r": 8, "p": 3}
_MAX_N = 2**20  # a stored hash naming more is refused rather than run
_dummy_hashes: dict[tuple[int, int, int], str] = {}
_USERNAME = re.compile(r"[A-Za-z0-9_.\-]{2,32}")
MIN_PASSWORD = 8


@dataclasses.dataclass(frozen=True)
class User:
    id: int
    username: str
    role: str
    must_change_password: bool
    may_emergency: bool = False  # may send emergency text, which skips review
    disabled: bool = False  # may not log in; kept so the audit log still names them
    # Carried in the session cookie; a cookie naming an older version is dead.
    session_version: int = 1


def _cost() -> tuple[int, int, int]:
    return _SCRYPT["n"], _SCRYPT["r"], _SCRYPT["p"]


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    # A check holds 128 * r * n bytes; the panel runs at most one per waitress thread.
    return hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=256 * r * n + 2**20
    )


def hash_password(password: str) -> str:
    """Hash at the current cost; the hash names its cost, so a later change keeps it valid."""
    n, r, p = _cost()
    salt = secrets.token_bytes(16)
    return f"scrypt${n}${r}${p}${salt.hex()}${_scrypt(password, salt, n, r, p).hex()}"


def _parse(stored: str) -> tuple[int, int, int, bytes, str] | None:
    """Read a stored hash's cost, salt and digest; None for one that is not ours or absurd."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        cost = int(n), int(r), int(p)
        salt_bytes = bytes.fromhex(salt)
    except ValueError:
        return None
    if scheme != "scrypt" or not 1 < cost[0] <= _MAX_N or not 0 < cost[1] * cost[2] < 2**10:
        return None
    return (*cost, salt_bytes, digest)


def check_password(stored: str, password: str) -> bool:
    parsed = _parse(stored)
    if parsed is None:
        return False
    n, r, p, salt, digest = parsed
    return hmac.compare_digest(_scrypt(password, salt, n, r, p).hex(), digest)


def needs_rehash(stored: str) -> bool:
    """Tell whether a hash was made at another cost than the current one."""
    parsed = _parse(stored)
    return parsed is None or parsed[:3] != _cost()


def dummy_hash() -> str:
    """A hash at the current cost to check unknown names against, made once."""
    cost = _cost()
    if cost not in _dummy_hashes:
        _dummy_hashes[cost] = hash_password(secrets.token_urlsafe(16))
    return _dummy_hashes[cost]


def new_password() -> str:
    """Make a one-time password that is easy to read out over the phone."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return "".join(secrets.choice(alphabet) for _ in range(12))


def add_user(
    store: Store,
    username: str,
    password: str,
    role: str,
    now: dt.datetime,
    must_change_password: bool = False,
    may_emergency: bool | None = None,
) -> int:
    """Add a user; may_emergency defaults to yes for admins only."""
    if not _USERNAME.fullmatch(username):
        raise ContentError("a user name is 2 to 32 letters, digits, dots, dashes or underscores")
    _check_role(role)
    if len(password) < MIN_PASSWORD:
        raise ContentError(f"a password needs at least {MIN_PASSWORD} characters")
    emergency = role == "admin" if may_emergency is None else may_emergency
    with store.transaction() as conn:
        if conn.execute("SELECT 1 FROM users WHERE username = ?", (username,)).fetchone():
            raise ContentError(f"user {username!r} already exists")
        cursor = conn.execute(
            "INSERT INTO users (username, password_hash, role, must_change_password, "
            "may_emergency, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            (
                username,
                hash_password(password),
                role,
                int(must_change_password),
                int(emergency),
                to_db_time(now),
            ),
        )
    return int(cursor.lastrowid or 0)


def update_user(
    store: Store,
    username: str,
    *,
    role: str | None = None,
    may_emergency: bool | None = None,
    disabled: bool | None = None,
) -> None:
    """Change a user's role, emergency right or whether they may log in.

    A new role or a disable/enable ends the user's sessions; a disable also deletes
    their API tokens. The last admin who may log in can be neither demoted nor
    disabled: nobody could manage users after that.
    """
    if role is not None:
        _check_role(role)
    with store.transaction() as conn:
        row = conn.execute("SELECT * FROM users WHERE username = ?", (username,)).fetchone()
        if row is None:
            raise NotFoundError(f"user {username!r} does not exist")
        new_role = row["role"] if role is None else role
        new_disabled = bool(row["disabled"]) if disabled is None else disabled
        if row["role"] == "admin" and not row["disabled"] and (new_role != "admin" or new_disabled):
            others = conn.execute(
                "SELECT COUNT(*) FROM users WHERE role = 'admin' AND disabled = 0 AND id != ?",
                (row["id"],),
            ).fetchone()[0]
            if others == 0:
                raise ContentError(f"{username!r} is the last admin; add another admin first")
        emergency = bool(row["may_emergency"]) if may_emergency is None else may_emergency
        conn.execute(
            "UPDATE users SET role = ?, may_emergency = ?, disabled = ? WHERE id = ?",
            (new_role, int(emergency), int(new_disabled), row["id"]),
        )
        if new_role != row["role"] or new_disabled != bool(row["disabled"]):
            end_sessions(store, row["id"])
        if new_disabled and not row["disabled"]:
            # Tokens made before a disable die with it: enabling again revives none of them.
            conn.execute("DELETE FROM api_tokens WHERE user_id = ?", (row["id"],))


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise ContentError(f"role must be one of: {', '.join(ROLES)}")


def authenticate(store: Store, username: str, password: str) -> User | None:
    """Return the user whose name and password these are, or None.

    An unknown name is checked against a dummy hash at the same cost (one scrypt run,
    like a real check), so timing does not tell which names exist. A right password
    whose hash has an older cost is hashed again at the current one.
    """
    row = store.query_one("SELECT * FROM users WHERE username = ?", (username,))
    if row is None:
        check_password(dummy_hash(), password)
        return None
    if not check_password(row["password_hash"], password) or row["disabled"]:
        return None
    if needs_rehash(row["password_hash"]):
        with store.transaction() as conn:
            conn.execute(
                "UPDATE users SET password_hash = ? WHERE id = ? AND password_hash = ?",
                (hash_password(password), row["id"], row["password_hash"]),
            )
    return _user(row)


def get_user(store: Store, user_id: int) -> User | None:
    row = store.query_one("SELECT * FROM users WHERE id = ?", (user_id,))
    return None if row is None else _user(row)


def list_users(store: Store) -> list[User]:
    return [_user(row) for row in store.query("SELECT * FROM users ORDER BY username")]


def count_users(store: Store) -> int:
    row = store.query_one("SELECT COUNT(*) AS n FROM users")
    return int(row["n"]) if row else 0


def set_password(store: Store, username: str, password: str, must_change: bool = False) -> None:
    """Set a new password; it ends every session of the user."""
    if len(password) < MIN_PASSWORD:
        raise ContentError(f"a password needs at least {MIN_PASSWORD} characters")
    with store.transaction() as conn:
        cursor = conn.execute(
            "UPDATE users SET password_hash = ?, must_change_password = ? WHERE username = ?",
            (hash_password(password), int(must_change), username),
        )
        if cursor.rowcount == 0:
            raise NotFoundError(f"user {username!r} does not exist")
        conn.execute(
            "UPDATE users SET session_version = session_version + 1 WHERE username = ?",
            (username,),
        )


def end_sessions(store: Store, user_id: int) -> None:
    """Make every session cookie of a user worthless (log-out, new password, new role)."""
    with store.transaction() as conn:
        conn.execute(
            "UPDATE users SET session_version = session_version + 1 WHERE id = ?", (user_id,)
        )


def _user(row: sqlite3.Row) -> User:
    return User(
        id=row["id"],
        username=row["username"],
        role=row["role"],
        must_change_password=bool(row["must_change_password"]),
        may_emergency=bool(row["may_emergency"]),
        disabled=bool(row["disabled"]),
        session_version=row["session_version"],
    )
