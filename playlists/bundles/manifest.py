"""A bundle's manifest.json (every file's size and SHA-256) and its signature, manifest.sig.

manifest.json::

    {"format": "villagecast/bundle@1",
     "files": {"playlist.yaml": {"sha256": "<64 hex>", "size": 321}, "media/...": {...}}}

manifest.sig::

    {"format": "villagecast/signature@1",
     "key": "villagecast-ed25519 <base64> <name>",
     "signature": "<base64 of the Ed25519 signature of manifest.json's exact bytes>"}
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from typing import Any

from playlists.bundles.keys import SIGNATURE_BYTES, PublicKey, SigningKey, parse_public_key
from playlists.bundles.unpack import Unpacked
from playlists.errors import BundleManifestError, BundleSignatureError, BundleUntrustedError

MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
PLAYLIST = "playlist.yaml"
BUNDLE_FORMAT = "villagecast/bundle@1"
SIGNATURE_FORMAT = "villagecast/signature@1"
MAX_MANIFEST_BYTES = 1_000_000
MAX_SIGNATURE_BYTES = 4096
_SHA256 = re.compile(r"[0-9a-f]{64}")


def build_manifest(files: Mapping[str, Unpacked]) -> bytes:
    """Return manifest.json's bytes for these files (sorted, so the same files give the same)."""
    listing = {name: {"sha256": f.sha256, "size": f.size} for name, f in sorted(files.items())}
    text = json.dumps({"format": BUNDLE_FORMAT, "files": listing}, ensure_ascii=False, indent=2)
    return (text + "\n").encode("utf-8")


def parse_manifest(data: bytes) -> dict[str, Unpacked]:
    """Read manifest.json into file name → expected size and SHA-256."""
    if len(data) > MAX_MANIFEST_BYTES:
        raise BundleManifestError(f"{MANIFEST}: {len(data)} bytes; at most {MAX_MANIFEST_BYTES}")
    document = _json(data, MANIFEST, BundleManifestError)
    if set(document) != {"format", "files"}:
        raise BundleManifestError(f"{MANIFEST}: must have exactly the keys 'format' and 'files'")
    if document["format"] != BUNDLE_FORMAT:
        raise BundleManifestError(
            f"{MANIFEST}: 'format' must be {BUNDLE_FORMAT!r} (got {document['format']!r}); "
            "this villagecast reads version 1 only"
        )
    listing = document["files"]
    if not isinstance(listing, dict):
        raise BundleManifestError(f"{MANIFEST}: 'files' must map each file's name to its sum")
    files = {name: _entry(name, value) for name, value in listing.items()}
    if PLAYLIST not in files:
        raise BundleManifestError(f"{MANIFEST}: must list {PLAYLIST}")
    for reserved in (MANIFEST, SIGNATURE):
        if reserved in files:
            raise BundleManifestError(f"{MANIFEST}: must not list {reserved}")
    return files


def _entry(name: str, value: Any) -> Unpacked:
    where = f"{MANIFEST}: file {name!r}"
    if not isinstance(value, dict) or set(value) != {"sha256", "size"}:
        raise BundleManifestError(f"{where} must have exactly 'sha256' and 'size'")
    sha, size = value["sha256"], value["size"]
    if not isinstance(sha, str) or not _SHA256.fullmatch(sha):
        raise BundleManifestError(f"{where}: 'sha256' must be 64 lower-case hex digits")
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        raise BundleManifestError(f"{where}: 'size' must be a whole number of bytes")
    return Unpacked(size, sha)


def build_signature(key: SigningKey, manifest: bytes) -> bytes:
    """Return manifest.sig's bytes: the signer's public key and its signature of manifest."""
    document = {
        "format": SIGNATURE_FORMAT,
        "key": key.public.line,
        "signature": base64.b64encode(key.sign(manifest)).decode("ascii"),
    }
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def check_signature(data: bytes, manifest: bytes, trusted: tuple[str, ...]) -> PublicKey:
    """Return the trusted key that signed manifest, as config.yaml names it."""
    if len(data) > MAX_SIGNATURE_BYTES:
        raise BundleSignatureError(f"{SIGNATURE}: {len(data)} bytes; a signature is far smaller")
    document = _json(data, SIGNATURE, BundleSignatureError)
    if set(document) != {"format", "key", "signature"} or document["format"] != SIGNATURE_FORMAT:
        raise BundleSignatureError(
            f"{SIGNATURE}: must have 'format' {SIGNATURE_FORMAT!r}, 'key' and 'signature'"
        )
    try:
        signer = parse_public_key(str(document["key"]))
    except ValueError as exc:
        raise BundleSignatureError(f"{SIGNATURE}: 'key' {exc}") from None
    try:
        signature = base64.b64decode(str(document["signature"]), validate=True)
    except (binascii.Error, ValueError):
        raise BundleSignatureError(f"{SIGNATURE}: 'signature' is not base64") from None
    if len(signature) != SIGNATURE_BYTES:
        raise BundleSignatureError(
            f"{SIGNATURE}: 'signature' must be {SIGNATURE_BYTES} bytes, not {len(signature)}"
        )
    known = {key.raw: key for key in map(parse_public_key, trusted)}
    trusted_key = known.get(signer.raw)
    if trusted_key is None:
        named = f" ({signer.name})" if signer.name else ""
        raise BundleUntrustedError(
            f"{SIGNATURE}: signed by key {signer.fingerprint}{named}, which is not in "
            "bundles.trusted_keys; add the town's public key to config.yaml if you trust it"
        )
    if not trusted_key.verify(signature, manifest):
        raise BundleSignatureError(
            f"{SIGNATURE}: the signature of key {trusted_key.label} does not match "
            f"{MANIFEST}; the bundle was changed after it was signed"
        )
    return trusted_key


def _json(data: bytes, source: str, error: type[Exception]) -> dict[str, Any]:
    try:
        document = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise error(f"{source}: is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise error(f"{source}: is not valid JSON (line {exc.lineno}: {exc.msg})") from None
    if not isinstance(document, dict):
        raise error(f"{source}: must be a JSON object")
    return document
