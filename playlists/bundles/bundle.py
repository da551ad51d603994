"""Playlist bundles: a zip of playlist.yaml, its media, manifest.json and, from the town,
manifest.sig. A bundle is checked whole in a temporary folder before anything is stored.

Checks, in order (the first problem refuses the bundle with its own BundleError):
zip entries (names, links, duplicates, sizes, ratios), manifest.json, the signature,
every file's size and SHA-256 against the manifest, playlist.yaml, then the media it
names (present, used, and really sound or pictures).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from types import TracebackType

from media.audio import probe
from media.errors import MediaError
from media.images import check_image
from playlists.bundles.export import ExportSummary, export_bundle
from playlists.bundles.keys import PublicKey
from playlists.bundles.manifest import (
    MANIFEST,
    MAX_MANIFEST_BYTES,
    MAX_SIGNATURE_BYTES,
    PLAYLIST,
    SIGNATURE,
    check_signature,
    parse_manifest,
)
from playlists.bundles.unpack import Unpacked, unpack
from playlists.content.ingest import Ingest
from playlists.content.playlist_format import PlaylistSpec, parse_playlist
from playlists.errors import (
    BundleChecksumError,
    BundleManifestError,
    BundleMediaError,
    BundlePlaylistError,
    BundleSignatureError,
    PlaylistFormatError,
)
from playlists.model import ItemKind, Review
from playlists.settings import BundleSettings, Settings

__all__ = [
    "CheckedBundle",
    "ExportSummary",
    "bundle_review",
    "bundle_workdir",
    "check_unpacked",
    "export_bundle",
    "import_bundle",
    "is_bundle",
    "parse_playlist_safely",
    "read_bundle",
]

MAX_PLAYLIST_BYTES = 5_000_000  # 200 items of 2000 characters with their slides fit
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")


class CheckedBundle:
    """A bundle that passed every check, unpacked in a temporary folder until closed."""

    def __init__(
        self,
        spec: PlaylistSpec,
        folder: Path,
        signer: PublicKey | None,
        tmp: tempfile.TemporaryDirectory[str],
    ) -> None:
        self.spec = spec
        self.folder = folder
        self.signer = signer  # the trusted key that signed it, as config.yaml names it
        self._tmp = tmp

    def close(self) -> None:
        self._tmp.cleanup()

    def __enter__(self) -> CheckedBundle:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def is_bundle(path: Path) -> bool:
    """Tell a bundle (zip) from a bare playlist YAML file by its first bytes or its name."""
    try:
        with path.open("rb") as stream:
            head = stream.read(4)
    except OSError:
        return path.suffix.lower() == ".zip"
    return head in _ZIP_MAGIC or path.suffix.lower() == ".zip"


def read_bundle(path: Path, settings: Settings) -> CheckedBundle:
    """Check a bundle whole, unpacked into a fresh folder under data_dir/tmp."""
    tmp = bundle_workdir(settings.data_dir, "bundle-")
    try:
        folder = Path(tmp.name)
        files = unpack(path, folder, settings.bundles)
        spec, signer = check_unpacked(folder, files, settings.bundles)
    except BaseException:
        tmp.cleanup()
        raise
    return CheckedBundle(spec, folder, signer, tmp)


def bundle_workdir(data_dir: Path, prefix: str) -> tempfile.TemporaryDirectory[str]:
    """Make a fresh folder under data_dir/tmp to unpack or assemble a bundle in."""
    tmp_root = data_dir / "tmp"
    tmp_root.mkdir(parents=True, exist_ok=True)
    return tempfile.TemporaryDirectory(prefix=prefix, dir=tmp_root)


def check_unpacked(
    folder: Path, unpacked: dict[str, Unpacked], limits: BundleSettings
) -> tuple[PlaylistSpec, PublicKey | None]:
    """Check a bundle laid out in folder, each file's size and SHA-256 as actually read.

    Everything after unpacking is checked here, so a bundle assembled from a town's
    answers passes the same checks as a zip; return the playlist and who signed it.
    """
    files = dict(unpacked)
    manifest = files.pop(MANIFEST, None)
    if manifest is None:
        raise BundleManifestError(
            f"the bundle has no {MANIFEST}; make bundles with `villagecast export`"
        )
    if manifest.size > MAX_MANIFEST_BYTES:
        raise BundleManifestError(
            f"{MANIFEST}: {manifest.size} bytes; at most {MAX_MANIFEST_BYTES}"
        )
    manifest_bytes = (folder / MANIFEST).read_bytes()
    signer = _signer(folder, files.pop(SIGNATURE, None), manifest_bytes, limits)
    _compare(files, parse_manifest(manifest_bytes))
    spec = _playlist(folder / PLAYLIST, files[PLAYLIST])
    _check_media(spec, files, folder)
    return spec, signer


def _signer(
    folder: Path, signature: Unpacked | None, manifest: bytes, limits: BundleSettings
) -> PublicKey | None:
    """Return the trusted key that signed the manifest, or None for an unsigned bundle."""
    if signature is None:
        if limits.require_signature:
            raise BundleSignatureError(
                f"the bundle is not signed (it has no {SIGNATURE}) and bundles.require_signature "
                "is on; ask the town for a signed bundle"
            )
        return None
    if signature.size > MAX_SIGNATURE_BYTES:
        raise BundleSignatureError(f"{SIGNATURE}: {signature.size} bytes; a signature is smaller")
    return check_signature((folder / SIGNATURE).read_bytes(), manifest, limits.trusted_keys)


def _compare(files: dict[str, Unpacked], expected: dict[str, Unpacked]) -> None:
    """Refuse unless the bundle holds exactly the manifest's files, byte for byte."""
    for name in sorted(expected):
        if name not in files:
            raise BundleManifestError(f"{MANIFEST} lists {name!r}, which is not in the bundle")
    for name in sorted(files):
        if name not in expected:
            raise BundleManifestError(f"{name!r} is in the bundle but not in {MANIFEST}")
    for name, want in sorted(expected.items()):
        got = files[name]
        if got.size != want.size:
            raise BundleChecksumError(
                f"{name}: {got.size} bytes, but {MANIFEST} says {want.size}; "
                "the file was changed or damaged after the bundle was made"
            )
        if got.sha256 != want.sha256:
            raise BundleChecksumError(
                f"{name}: its SHA-256 is {got.sha256[:16]}…, but {MANIFEST} says "
                f"{want.sha256[:16]}…; the file was changed or damaged after the bundle was made"
            )


def _playlist(path: Path, unpacked: Unpacked) -> PlaylistSpec:
    if unpacked.size > MAX_PLAYLIST_BYTES:
        raise BundlePlaylistError(
            f"{PLAYLIST}: {unpacked.size} bytes; at most {MAX_PLAYLIST_BYTES}"
        )
    try:
        return parse_playlist_safely(path.read_bytes(), PLAYLIST)
    except PlaylistFormatError as exc:
        raise BundlePlaylistError(str(exc)) from None


def parse_playlist_safely(data: bytes, source: str) -> PlaylistSpec:
    """Parse playlist@1 YAML from an outsider (parse_playlist refuses aliases itself)."""
    return parse_playlist(data, source)


def _check_media(spec: PlaylistSpec, files: dict[str, Unpacked], folder: Path) -> None:
    """Refuse media that is named but absent, present but unused, or not what it claims."""
    used: dict[str, tuple[str, ItemKind]] = {}
    for number, item in enumerate(spec.items, 1):
        if item.kind not in (ItemKind.AUDIO, ItemKind.IMAGE):
            continue
        where = f"{PLAYLIST}: item {number} ({item.kind.value})"
        if item.file == PLAYLIST or item.file not in files:
            raise BundleMediaError(f"{where}: media file {item.file!r} is not in the bundle")
        used.setdefault(item.file, (where, item.kind))
    extra = sorted(set(files) - set(used) - {PLAYLIST})
    if extra:
        raise BundleMediaError(
            f"{extra[0]!r} is in the bundle but no item of {PLAYLIST} uses it; "
            "a bundle holds only the playlist's media"
        )
    for name, (where, kind) in used.items():
        try:
            if kind is ItemKind.AUDIO:
                probe(folder / name)
            else:
                check_image(folder / name)
        except MediaError as exc:
            raise BundleMediaError(f"{where}: {exc}") from None


def import_bundle(
    ingest: Ingest,
    bundle: CheckedBundle,
    created_by: str,
    review: Review = Review.DRAFT,
    *,
    town_may_approve: bool = True,
    may_emergency: bool = False,
) -> int:
    """Store a checked bundle; a trusted town signature approves it where config.yaml says so.

    Emergency entries need the importer's emergency right, or a trusted town signature.
    """
    review, reviewed_by, note = bundle_review(
        ingest.settings.bundles, bundle.signer, review, town_may_approve=town_may_approve
    )
    return ingest.import_playlist(
        bundle.spec,
        bundle.folder,
        created_by,
        review=review,
        reviewed_by=reviewed_by,
        note=note,
        may_emergency=may_emergency or bundle.signer is not None,
    )


def bundle_review(
    limits: BundleSettings,
    signer: PublicKey | None,
    review: Review = Review.DRAFT,
    *,
    town_may_approve: bool = True,
) -> tuple[Review, str | None, str]:
    """Return the review state, the approver and the audit note for a checked bundle."""
    reviewed_by = None
    if town_may_approve and signer and limits.signed_counts_as_approval:
        review, reviewed_by = Review.APPROVED, f"town key {signer.label}"
    note = f"bundle signed by town key {signer.label}" if signer else "unsigned bundle"
    return review, reviewed_by, note
