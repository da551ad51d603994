"""scripts/enable-debian-components, run for real on apt sources under a temporary root."""

import subprocess
import sys
from pathlib import Path

import pytest

from tests.paths import REPO

SCRIPT = REPO / "scripts" / "enable-debian-components"

DEB822_MAIN = """\
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
"""


def run(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), "--root", str(root), "contrib", "non-free"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def sources(root: Path, name: str, text: str) -> Path:
    path = root / "etc" / "apt" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("name", "before", "after"),
    [
        pytest.param(
            "sources.list.d/debian.sources",
            DEB822_MAIN,
            DEB822_MAIN.replace("Components: main", "Components: main contrib non-free"),
            id="deb822-debian-12",
        ),
        pytest.param(
            "sources.list",
            "deb http://mirrors.ustc.edu.cn/debian bookworm main # mirror\n",
            "deb http://mirrors.ustc.edu.cn/debian bookworm main contrib non-free # mirror\n",
            id="one-line-mirror-with-comment",
        ),
        pytest.param(
            "sources.list",
            "deb [arch=armhf] http://raspbian.raspberrypi.com/raspbian/ bookworm main contrib\n",
            "deb [arch=armhf] http://raspbian.raspberrypi.com/raspbian/ bookworm main contrib"
            " non-free\n",
            id="raspbian-with-options",
        ),
        pytest.param(
            "sources.list",
            "deb http://deb.debian.org/debian bookworm main\n"
            "# deb http://deb.debian.org/debian bookworm main\n"
            "deb http://archive.raspberrypi.com/debian/ bookworm main\n",
            "deb http://deb.debian.org/debian bookworm main contrib non-free\n"
            "# deb http://deb.debian.org/debian bookworm main\n"
            "deb http://archive.raspberrypi.com/debian/ bookworm main\n",
            id="comments-and-the-pi-repository-left-alone",
        ),
    ],
)
def test_components_are_added_once(tmp_path: Path, name: str, before: str, after: str) -> None:
    path = sources(tmp_path, name, before)
    path.chmod(0o644)
    first = run(tmp_path)
    assert first.returncode == 0, first.stderr
    assert path.read_text(encoding="utf-8") == after
    assert first.stdout == f"enabling Debian's contrib and non-free components in /etc/apt/{name}\n"
    assert path.stat().st_mode & 0o777 == 0o644
    again = run(tmp_path)
    assert (again.returncode, again.stdout) == (0, "")
    assert path.read_text(encoding="utf-8") == after
    assert sorted(p.name for p in path.parent.iterdir() if p.name.startswith(".")) == []


def test_enabled_already_says_nothing(tmp_path: Path) -> None:
    text = "deb http://deb.debian.org/debian bookworm main contrib non-free non-free-firmware\n"
    path = sources(tmp_path, "sources.list", text)
    result = run(tmp_path)
    assert (result.returncode, result.stdout) == (0, "")
    assert path.read_text(encoding="utf-8") == text


def test_no_debian_source_is_an_error(tmp_path: Path) -> None:
    sources(tmp_path, "sources.list", "deb http://example.org/ubuntu jammy main\n")
    result = run(tmp_path)
    assert result.returncode == 1
    assert "no source of the Debian archive" in result.stderr
