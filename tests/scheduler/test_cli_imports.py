"""Which heavy libraries each `villagecast` command imports (module names, not time).

`--help` and the light commands start without speech engines, Pillow, APScheduler
or Flask; a command that needs one still gets it (the contrast rows).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.paths import REPO

HEAVY = ("gtts", "requests", "PIL", "apscheduler", "flask", "wetext", "waitress")
# The project's own modules that only one other command uses.
OTHERS = ("playlists.town.broker_setup", "playlists.town.villages", "scheduler.lifeline")

PROBE = f"""
import json, sys
from scheduler.cli import main
try:
    code = main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
heavy = sorted(name for name in {HEAVY!r} if name in sys.modules)
others = sorted(name for name in {OTHERS!r} if name in sys.modules)
print(json.dumps({{"code": code, "heavy": heavy, "others": others}}))
"""

CASES = [
    pytest.param(["--help"], [], id="help"),
    pytest.param(["plan", "--help"], [], id="plan-help"),
    pytest.param(["plan", "--from", "2023-03-28", "--to", "2023-03-29"], [], id="plan"),
    pytest.param(["plan", "--from", "2023-03-28", "--json"], [], id="plan-json"),
    pytest.param(["token", "list"], [], id="token-list"),
    pytest.param(["village", "list"], [], id="village-list"),
    pytest.param(["user", "list"], [], id="user-list"),
]
NEEDED = [
    pytest.param(
        ["simulate", "--from", "2023-03-28", "--to", "2023-03-28"], "apscheduler", id="simulate"
    ),
]


def run_probe(args: list[str], config: Path) -> dict[str, object]:
    result = subprocess.run(
        [sys.executable, "-c", PROBE, "--config", str(config), *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
        env=os.environ.copy(),
    )
    assert result.returncode == 0, result.stderr
    figures: dict[str, object] = json.loads(result.stdout.strip().splitlines()[-1])
    assert figures["code"] in (0, None), result.stdout + result.stderr
    return figures


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text("tts: {engines: [espeak-ng]}\naudio: {sink: recording}\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(("args", "expected"), CASES)
def test_light_commands_import_no_heavy_library(
    args: list[str], expected: list[str], config: Path
) -> None:
    assert run_probe(args, config)["heavy"] == expected


@pytest.mark.parametrize(("args", "needed"), NEEDED)
def test_a_command_still_imports_what_it_uses(args: list[str], needed: str, config: Path) -> None:
    assert needed in run_probe(args, config)["heavy"]  # type: ignore[operator]


@pytest.mark.parametrize(
    "args",
    [["--help"], ["plan", "--from", "2023-03-28", "--json"]],
    ids=["help", "plan-json"],
)
def test_help_and_plan_leave_the_other_commands_modules_alone(
    args: list[str], config: Path
) -> None:
    assert run_probe(args, config)["others"] == []


def test_a_town_command_still_imports_its_modules(config: Path) -> None:
    assert "playlists.town.villages" in run_probe(["village", "list"], config)["others"]  # type: ignore[operator]
