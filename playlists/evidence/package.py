"""An evidence package's zip: its target checked first, then written whole or not at all."""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

from playlists.errors import EvidenceError

_UNSAFE = re.compile(r"[^\w.-]+")


def check_target(out: Path) -> None:
    """Refuse a target that is not a .zip in an existing folder, before any work."""
    if out.suffix.lower() != ".zip":
        raise EvidenceError(f"{out}: the package is a zip file; name it like evidence.zip")
    if not out.parent.is_dir():
        raise EvidenceError(f"{out.parent}: no such folder")


@contextlib.contextmanager
def writing_package(out: Path) -> Iterator[tuple[Path, zipfile.ZipFile]]:
    """Yield a scratch folder beside out and the zip being written; out appears only when whole."""
    with tempfile.TemporaryDirectory(prefix=".evidence-", dir=out.parent) as work:
        folder = Path(work)
        partial = folder / "package.zip"
        with zipfile.ZipFile(partial, "w") as package:
            yield folder, package
        os.replace(partial, out)


def name_part(text: str) -> str:
    """Return text fit for a file name inside the zip (a village's or a topic's name)."""
    return _UNSAFE.sub("_", text)
