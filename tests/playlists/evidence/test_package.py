"""An evidence package's zip: the target checked first, the zip whole or not there at all."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from playlists.errors import EvidenceError
from playlists.evidence.package import check_target, name_part, writing_package


@pytest.mark.parametrize(
    ("name", "refused"),
    [("evidence.zip", False), ("EVIDENCE.ZIP", False), ("evidence.pdf", True),
     ("missing/evidence.zip", True)],
    ids=["zip", "upper-case", "not-a-zip", "no-such-folder"],
)  # fmt: skip
def test_the_target_is_checked_before_any_work(tmp_path: Path, name: str, refused: bool) -> None:
    if refused:
        with pytest.raises(EvidenceError):
            check_target(tmp_path / name)
    else:
        check_target(tmp_path / name)


def test_a_whole_package_appears_and_nothing_else(tmp_path: Path) -> None:
    out = tmp_path / "evidence.zip"
    with writing_package(out) as (folder, package):
        assert folder.parent == tmp_path
        package.writestr("summary.csv", "topic\n")
    assert zipfile.ZipFile(out).namelist() == ["summary.csv"]
    assert [p.name for p in tmp_path.iterdir()] == ["evidence.zip"]


def test_a_failure_midway_leaves_the_old_package_and_no_scratch(tmp_path: Path) -> None:
    out = tmp_path / "evidence.zip"
    out.write_bytes(b"the package sent yesterday")
    with pytest.raises(OSError), writing_package(out) as (_, package):
        package.writestr("summary.csv", "topic\n")
        raise OSError("disk full")
    assert out.read_bytes() == b"the package sent yesterday"
    assert [p.name for p in tmp_path.iterdir()] == ["evidence.zip"]


@pytest.mark.parametrize(
    ("text", "part"),
    [("五社联动", "五社联动"), ("../etc/passwd", ".._etc_passwd"), ("村 一/组", "村_一_组")],
    ids=["chinese-kept", "no-path", "spaces-and-slashes"],
)
def test_names_inside_the_zip_never_make_folders(text: str, part: str) -> None:
    assert name_part(text) == part
