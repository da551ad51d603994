"""`villagecast evidence export`, run as a user runs it: a separate process."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from tests.scheduler.test_cli import villagecast, write_config

pytestmark = pytest.mark.slow  # real processes: see pyproject.toml


@pytest.fixture(scope="module")
def initialized(tmp_path_factory: pytest.TempPathFactory) -> Path:
    config = write_config(tmp_path_factory.mktemp("evidence"))
    result = villagecast("init", config=config)
    assert result.returncode == 0, result.stderr
    return config


def test_export_writes_the_package(initialized: Path, tmp_path: Path) -> None:
    out = tmp_path / "村委会-evidence.zip"
    result = villagecast("evidence", "export", "--out", str(out), config=initialized)
    assert result.returncode == 0, result.stderr
    assert "0 photos, 0 videos" in result.stdout and "2023-04-09" in result.stdout
    with zipfile.ZipFile(out) as package:
        assert {"asrun.csv", "summary.csv", "items.csv", "report.pdf"} <= set(package.namelist())


def test_a_town_exports_what_its_villages_sent(initialized: Path, tmp_path: Path) -> None:
    out = tmp_path / "villages.zip"
    result = villagecast("evidence", "export", "--out", str(out), "--villages", config=initialized)
    assert result.returncode == 0, result.stderr
    assert "0 items of 0 villages" in result.stdout
    with zipfile.ZipFile(out) as package:
        assert sorted(package.namelist()) == ["asrun.csv", "items.csv", "report.pdf", "summary.csv"]


@pytest.mark.parametrize(
    ("args", "message", "code"),
    [
        pytest.param(["--out", "/no/such/folder/e.zip"], "no such folder", 1, id="missing-folder"),
        pytest.param(["--out", "e.txt"], "zip file", 1, id="not-zip"),
        pytest.param([], "--out", 2, id="no-out"),
        pytest.param(
            ["--out", "e.zip", "--village", "北村"], "no village named '北村'", 1, id="no-village"
        ),
    ],
)
def test_bad_targets_are_one_line(
    initialized: Path, args: list[str], message: str, code: int
) -> None:
    result = villagecast("evidence", "export", *args, config=initialized)
    assert result.returncode == code
    assert message in result.stderr
    assert result.stdout == ""
