"""Ed25519 keys that sign playlist bundles: make a pair, read key lines, sign and verify.

A public key is one line, ``villagecast-ed25519 <base64 of the 32-byte key> [name]``,
the form villages paste into ``bundles.trusted_keys``. A private key file is one line
too, ``villagecast-ed25519-private <base64 of the 32-byte seed> [name]``, readable
by its owner only.

The ``cryptography`` package is imported where a key is used, not at the top:
config.yaml's check reads key lines with base64 alone, and every process loads settings.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hashlib
import os
import re
from pathlib import Path

from playlists.errors import KeyFileError

PUBLIC_PREFIX = "villagecast-ed25519"
PRIVATE_PREFIX = "villagecast-ed25519-private"
KEY_BYTES = 32
SIGNATURE_BYTES = 64
_NAME = re.compile(r"[\w.@-]{1,40}")  # \w takes Chinese names too
_MAX_KEY_FILE = 1024


@dataclasses.dataclass(frozen=True)
class PublicKey:
    """A public key with the name it was given (may be empty)."""

    raw: bytes
    name: str = ""

    @property
    def fingerprint(self) -> str:
        """Return 16 hex digits of the key's SHA-256: short enough to read out on a phone."""
        return hashlib.sha256(self.raw).hexdigest()[:16]

    @property
    def label(self) -> str:
        return self.name or self.fingerprint

    @property
    def line(self) -> str:
        encoded = base64.b64encode(self.raw).decode("ascii")
        return f"{PUBLIC_PREFIX} {encoded} {self.name}".rstrip()

    def verify(self, signature: bytes, data: bytes) -> bool:
        """Return whether signature is this key's Ed25519 signature of data."""
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

        try:
            Ed25519PublicKey.from_public_bytes(self.raw).verify(signature, data)
        except InvalidSignature:
            return False
        return True


@dataclasses.dataclass(frozen=True)
class SigningKey:
    """A private key and the public key that goes with it."""

    seed: bytes = dataclasses.field(repr=False)
    public: PublicKey

    def sign(self, data: bytes) -> bytes:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        return Ed25519PrivateKey.from_private_bytes(self.seed).sign(data)


def parse_public_key(line: str) -> PublicKey:
    """Read a ``villagecast-ed25519 BASE64 [name]`` line; ValueError says what is wrong."""
    parts = line.split()
    if len(parts) not in (2, 3) or parts[0] != PUBLIC_PREFIX:
        raise ValueError(f"must be a line like '{PUBLIC_PREFIX} BASE64 [name]'")
    raw = _decode(parts[1], "the key")
    name = parts[2] if len(parts) == 3 else ""
    if name and not _NAME.fullmatch(name):
        raise ValueError("the name after the key may hold letters, digits, '.', '-', '_', '@'")
    return PublicKey(raw, name)


def _decode(text: str, what: str) -> bytes:
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(f"{what} is not base64") from None
    if len(raw) != KEY_BYTES:
        raise ValueError(f"{what} must be {KEY_BYTES} bytes, not {len(raw)}")
    return raw


def generate_keys(folder: Path, name: str) -> tuple[Path, Path]:
    """Write NAME.key (owner-only) and NAME.pub into folder; never overwrite either."""
    if not _NAME.fullmatch(name):
        raise KeyFileError(
            f"key name {name!r}: use 1 to 40 letters, digits, '.', '-', '_' or '@' (no spaces)"
        )
    private_path, public_path = folder / f"{name}.key", folder / f"{name}.pub"
    for path in (private_path, public_path):
        if path.exists() or path.is_symlink():
            raise KeyFileError(f"{path} already exists; choose another --name or folder")
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    seed = Ed25519PrivateKey.generate().private_bytes_raw()
    public = PublicKey(_public_of(seed), name)
    encoded = base64.b64encode(seed).decode("ascii")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        _write_new(private_path, f"{PRIVATE_PREFIX} {encoded} {name}\n", 0o600)
        _write_new(public_path, public.line + "\n", 0o644)
    except OSError as exc:
        private_path.unlink(missing_ok=True)
        raise KeyFileError(f"cannot write the key files in {folder}: {exc.strerror}") from None
    return private_path, public_path


def _write_new(path: Path, text: str, mode: int) -> None:
    """Create path with mode (failing if it exists), write text and flush it to disk."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode)
    with os.fdopen(fd, "w", encoding="utf-8") as stream:
        stream.write(text)
        stream.flush()
        os.fsync(stream.fileno())
    os.chmod(path, mode)  # the umask may have taken bits off


def load_signing_key(path: Path) -> SigningKey:
    """Read a private key file written by generate_keys."""
    try:
        with path.open("rb") as stream:
            data = stream.read(_MAX_KEY_FILE + 1)
    except OSError as exc:
        raise KeyFileError(f"cannot read the key file {path}: {exc.strerror}") from None
    try:
        parts = data.decode("utf-8").split()
        if len(data) > _MAX_KEY_FILE or len(parts) not in (2, 3) or parts[0] != PRIVATE_PREFIX:
            raise ValueError(f"it is not a '{PRIVATE_PREFIX}' key file")
        seed = _decode(parts[1], "the key")
    except (UnicodeDecodeError, ValueError) as exc:
        reason = exc if isinstance(exc, ValueError) else "it is not text"
        raise KeyFileError(
            f"{path}: {reason}; give the .key file from `villagecast keys generate`"
        ) from None
    name = parts[2] if len(parts) == 3 else ""
    return SigningKey(seed, PublicKey(_public_of(seed), name))


def _public_of(seed: bytes) -> bytes:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    return Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes_raw()


def key_problem(lines: tuple[str, ...]) -> str | None:
    """Say what is wrong with a list of trusted key lines, for config.yaml's check."""
    for number, line in enumerate(lines):
        try:
            parse_public_key(line)
        except ValueError as exc:
            return f"entry {number + 1} {exc}"
    return None
