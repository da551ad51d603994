"""Write files so that a power cut leaves either the old file or the new one."""

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# Owner-only, like everything in the data folder: the player, the panel and the
# kiosk run as the same user (systemd/), so the panel still serves what the player renders.
_FILE_MODE = 0o600


@contextmanager
def atomic_output(dst: Path, suffix: str) -> Iterator[Path]:
    """Yield a temporary path beside dst and rename it onto dst if the block succeeds."""
    fd, name = tempfile.mkstemp(dir=dst.parent, prefix=f".{dst.name}.", suffix=suffix)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        # Data must be on disk before the rename, or a power cut could leave
        # dst pointing at an empty file.
        fsync_path(tmp)
        os.chmod(tmp, _FILE_MODE)
        os.replace(tmp, dst)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    # The rename itself lives in the folder's entry list.
    fsync_path(dst.parent)


def fsync_path(path: Path) -> None:
    """Flush a file's or a folder's contents to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
