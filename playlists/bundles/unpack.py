"""Unpack a bundle's zip into a fresh folder, refusing anything hostile before it is written.

Every entry is judged from the zip's directory first (names, links, duplicates,
declared sizes, compression ratios); only then are files written, each streamed
through a counter that stops at its declared size and the bundle's total, so a zip
bomb never fills the disk. Nothing is written outside the given folder.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import re
import stat
import struct
import unicodedata
import zipfile
import zlib
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from playlists.errors import (
    BundleDuplicateError,
    BundleFormatError,
    BundleLinkError,
    BundlePathError,
    BundleTooLargeError,
    ContentError,
)
from playlists.settings import BundleSettings

_CHUNK = 1 << 16
# Below this, a file cannot amplify much whatever its ratio (a YAML file of spaces).
_RATIO_FROM = 1 << 16
_MAX_NAME = 255
# A plain entry takes about 100 bytes of the zip's directory; far more means padding
# meant to make the directory itself expensive to read.
_DIRECTORY_BYTES_PER_FILE = 1024
_EOCD = b"PK\x05\x06"
_EOCD_SIZE = 22
_DRIVE = re.compile(r"^[A-Za-z]:")


@dataclasses.dataclass(frozen=True)
class Unpacked:
    """A file written out of the bundle: its size and SHA-256 as actually read."""

    size: int
    sha256: str


def unpack(source: Path, folder: Path, limits: BundleSettings) -> dict[str, Unpacked]:
    """Check every entry of the zip at source, then write its files into folder."""
    try:
        stream = source.open("rb")
    except OSError as exc:
        raise ContentError(f"cannot read the bundle {source}: {exc.strerror}") from None
    with stream:
        size = os.fstat(stream.fileno()).st_size
        if size > limits.max_bytes:
            raise BundleTooLargeError(
                f"the bundle is {size} bytes; at most {limits.max_bytes} (bundles.max_bytes)"
            )
        _check_directory(stream, size, limits)
        try:
            archive = zipfile.ZipFile(stream)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError) as exc:
            raise BundleFormatError(f"the bundle is not a readable zip file ({exc})") from None
        with archive:
            entries = checked_entries(archive.infolist(), limits)
            budget = _Budget(limits.max_bytes)
            return {info.filename: _extract(archive, info, folder, budget) for info in entries}


def _check_directory(stream: BinaryIO, size: int, limits: BundleSettings) -> None:
    """Read the zip's end record and refuse a directory too big to read safely."""
    tail_size = min(size, _EOCD_SIZE + 0xFFFF)  # the record, then a comment of up to 64 KiB
    stream.seek(size - tail_size)
    tail = stream.read(tail_size)
    at = tail.rfind(_EOCD)
    if at < 0 or tail_size - at < _EOCD_SIZE:
        raise BundleFormatError("the bundle is not a zip file (it has no zip directory)")
    fields = struct.unpack("<4s4H2LH", tail[at : at + _EOCD_SIZE])
    entries, directory_bytes = fields[4], fields[5]
    if entries > limits.max_files:  # 0xFFFF (zip64, more than 65535) lands here too
        raise BundleTooLargeError(
            f"the bundle holds {entries} files; at most {limits.max_files} (bundles.max_files)"
        )
    if directory_bytes > limits.max_files * _DIRECTORY_BYTES_PER_FILE:
        raise BundleTooLargeError(
            f"the bundle's zip directory is {directory_bytes} bytes, far more than "
            f"{limits.max_files} files need (bundles.max_files)"
        )


def checked_entries(infos: list[zipfile.ZipInfo], limits: BundleSettings) -> list[zipfile.ZipInfo]:
    """Return the file entries to unpack, refusing the whole list at its first problem."""
    if len(infos) > limits.max_files:
        raise BundleTooLargeError(
            f"the bundle holds {len(infos)} files; at most {limits.max_files} (bundles.max_files)"
        )
    seen: dict[str, str] = {}
    files: list[zipfile.ZipInfo] = []
    declared = 0
    for info in infos:
        name = _checked_name(info)
        _check_kind(info, name)
        key = _fold(name.rstrip("/"))
        if key in seen:
            raise BundleDuplicateError(
                f"entry {name!r}: the bundle already has {seen[key]!r}; "
                "both would be written to the same file"
            )
        seen[key] = name
        if info.is_dir():
            continue
        _check_coding(info, name)
        declared += info.file_size
        if declared > limits.max_bytes:
            raise BundleTooLargeError(
                f"entry {name!r}: unpacked, the bundle would be over {limits.max_bytes} bytes "
                "(bundles.max_bytes)"
            )
        _check_ratio(info, name, limits.max_ratio)
        files.append(info)
    _check_folders(files, seen)
    return files


def _checked_name(info: zipfile.ZipInfo) -> str:
    """Return an entry's name if it stays inside the bundle's folder on any system."""
    raw, name = info.orig_filename, info.filename
    if any(ord(char) < 32 or char == "\x7f" for char in raw):
        raise BundlePathError(f"entry {raw!r}: control characters in a name are not allowed")
    if not name or len(name) > _MAX_NAME:
        raise BundlePathError(f"entry {name!r}: a name must have 1 to {_MAX_NAME} characters")
    if name.startswith("/"):
        raise BundlePathError(f"entry {name!r}: an absolute path leaves the bundle's folder")
    if _DRIVE.match(name) or ":" in name:
        raise BundlePathError(
            f"entry {name!r}: a drive letter or ':' in a name is not allowed "
            "(it could leave the bundle's folder on Windows)"
        )
    if "\\" in name:
        raise BundlePathError(
            f"entry {name!r}: backslashes are not allowed in names "
            "(Windows reads them as folders, so the entry could leave the bundle)"
        )
    parts = name.rstrip("/").split("/")
    if ".." in parts:
        raise BundlePathError(f"entry {name!r}: '..' leaves the bundle's folder")
    if any(part in ("", ".") for part in parts):
        raise BundlePathError(f"entry {name!r}: empty or '.' parts are not allowed in a name")
    return name


def _check_kind(info: zipfile.ZipInfo, name: str) -> None:
    """Refuse links and special files: a bundle holds plain files (and folders) only."""
    kind = stat.S_IFMT(info.external_attr >> 16)
    if kind == stat.S_IFLNK:
        raise BundleLinkError(f"entry {name!r}: is a symbolic link; bundles hold plain files only")
    if kind not in (0, stat.S_IFREG, stat.S_IFDIR):
        raise BundleLinkError(
            f"entry {name!r}: is a special file (device, pipe or socket); "
            "bundles hold plain files only"
        )


def _check_coding(info: zipfile.ZipInfo, name: str) -> None:
    if info.flag_bits & 0x1:
        raise BundleFormatError(f"entry {name!r}: is encrypted; bundles are not encrypted")
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise BundleFormatError(
            f"entry {name!r}: uses zip compression method {info.compress_type}; "
            "bundles use stored or deflate"
        )


def _check_ratio(info: zipfile.ZipInfo, name: str, max_ratio: int) -> None:
    if info.file_size <= _RATIO_FROM:
        return
    ratio = info.file_size / max(info.compress_size, 1)
    if ratio > max_ratio:
        raise BundleTooLargeError(
            f"entry {name!r}: {info.file_size} bytes compressed {ratio:.0f}:1; at most "
            f"{max_ratio}:1 (bundles.max_ratio): this looks like a zip bomb"
        )


def _check_folders(files: list[zipfile.ZipInfo], seen: dict[str, str]) -> None:
    """Refuse a file whose name is also another entry's folder ("media" and "media/a")."""
    file_keys = {_fold(info.filename): info.filename for info in files}
    for info in files:
        for parent in PurePosixPath(info.filename).parents:
            other = file_keys.get(_fold(str(parent)))
            if other is not None:
                raise BundleDuplicateError(
                    f"entry {info.filename!r}: {other!r} is both a file and its folder"
                )


def _fold(name: str) -> str:
    """Return the form under which two names land on the same file on some system."""
    return unicodedata.normalize("NFC", name).casefold()


@dataclasses.dataclass
class _Budget:
    """Bytes the bundle may still unpack to, counted as they are written."""

    left: int


def _extract(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, folder: Path, budget: _Budget
) -> Unpacked:
    """Stream one entry into folder, hashing it and stopping at any limit."""
    name = info.filename
    target = folder.joinpath(*name.split("/"))
    if not target.resolve().is_relative_to(folder.resolve()):  # checked above; never trust once
        raise BundlePathError(f"entry {name!r}: leaves the bundle's folder")
    digest = hashlib.sha256()
    written = 0
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
        with os.fdopen(os.open(target, flags, 0o600), "wb") as out, archive.open(info) as src:
            while chunk := src.read(_CHUNK):
                written += len(chunk)
                budget.left -= len(chunk)
                if written > info.file_size or budget.left < 0:
                    raise BundleTooLargeError(
                        f"entry {name!r}: unpacks to more than the bundle declares"
                    )
                digest.update(chunk)
                out.write(chunk)
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise BundleFormatError(f"entry {name!r}: is damaged ({exc})") from None
    except OSError as exc:
        raise ContentError(f"cannot unpack the bundle: {exc.strerror}") from None
    if written != info.file_size:
        raise BundleFormatError(f"entry {name!r}: is damaged (shorter than it declares)")
    return Unpacked(written, digest.hexdigest())
