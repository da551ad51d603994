"""Mosquitto's password file: one ``user:$7$...`` line per broker user, written atomically.

The hash is mosquitto 2's own ``$7$`` form (PBKDF2-SHA512, 101 rounds, a 12-byte salt,
both in base64), so the broker reads what the project writes without `mosquitto_passwd`.
The secrets hashed are random 256-bit tokens, for which few rounds are enough.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from pathlib import Path

from media.files import atomic_output
from playlists.errors import BrokerError

ROUNDS = 101
_SALT_BYTES = 12


def hash_password(password: str, salt: bytes | None = None) -> str:
    """Return mosquitto's ``$7$`` hash of password."""
    salt = os.urandom(_SALT_BYTES) if salt is None else salt
    digest = hashlib.pbkdf2_hmac("sha512", password.encode("utf-8"), salt, ROUNDS)
    return f"$7${ROUNDS}${_b64(salt)}${_b64(digest)}"


def check_password(password: str, hashed: str) -> bool:
    """Return whether password matches a ``$7$`` hash (as mosquitto would decide)."""
    parts = hashed.split("$")
    if len(parts) != 5 or parts[1] != "7" or not parts[2].isdigit():
        return False
    salt, expected = base64.b64decode(parts[3]), base64.b64decode(parts[4])
    digest = hashlib.pbkdf2_hmac("sha512", password.encode("utf-8"), salt, int(parts[2]))
    return hmac.compare_digest(digest, expected)


def read_entries(path: Path) -> dict[str, str]:
    """Return user → hash of a password file; an absent file has no users."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise BrokerError(f"cannot read the broker's password file {path}: {exc}") from None
    entries: dict[str, str] = {}
    for line in text.splitlines():
        user, sep, hashed = line.partition(":")
        if sep and user:
            entries[user] = hashed
    return entries


def set_password(path: Path, user: str, password: str) -> None:
    """Add user with password to the file, or change its password."""
    if not user or ":" in user or any(c.isspace() for c in user):
        raise BrokerError(f"broker user name {user!r}: no ':' and no spaces")
    entries = read_entries(path)
    entries[user] = hash_password(password)
    _write_entries(path, entries)


def remove_user(path: Path, user: str) -> bool:
    """Take user out of the file; return whether it was there."""
    entries = read_entries(path)
    if entries.pop(user, None) is None:
        return False
    _write_entries(path, entries)
    return True


def _write_entries(path: Path, entries: dict[str, str]) -> None:
    text = "".join(f"{user}:{hashed}\n" for user, hashed in sorted(entries.items()))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_output(path, ".tmp") as tmp:
            tmp.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise BrokerError(f"cannot write the broker's password file {path}: {exc}") from None


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
