"""Shared fixtures: settings on a temporary data folder, a store, and the sample campaign.

Speech comes from the real espeak-ng; gTTS is left out of the chain so no test
reaches for the network. The sample campaign is synthesized once per session and
copied into each test that wants it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from playlists.access import users
from playlists.content.ingest import Ingest
from playlists.settings import (
    AudioSettings,
    BroadcastSettings,
    PlayerSettings,
    Settings,
    StationSettings,
    TtsSettings,
)
from playlists.store import Store
from tests import processes

pytest_plugins = ["tests.web_fixtures"]

OFFLINE_TTS = TtsSettings(engines=("espeak-ng",))
# Rule tests read exact times off the as-run log; tests of the openers turn them back on.
BARE_BROADCAST = BroadcastSettings(chime=False, lead_in_seconds=0, gap_seconds=0)


def live_player(**changes: object) -> PlayerSettings:
    """Return player settings for a test that plays in real time: no quiet hours.

    The default quiet hours (22:00–06:30 station time) would hold every scheduled and
    "play now" broadcast for a third of each day; a test that is about quiet hours sets
    its own, and the station clock with station_zone_at.
    """
    return PlayerSettings(**{"quiet_hours": (), **changes})  # type: ignore[arg-type]


def station_zone_at(hour: int, now: dt.datetime | None = None) -> StationSettings:
    """Return a station whose local time now falls in the given hour (a fixed-offset zone).

    Etc/GMT zones cover UTC-12 to UTC+14, so every hour of the day can be reached; their
    sign is the POSIX one (Etc/GMT-8 is eight hours ahead of UTC).
    """
    now = now or dt.datetime.now(dt.UTC)
    offset = (hour - now.astimezone(dt.UTC).hour) % 24
    if offset > 14:
        offset -= 24
    name = "Etc/GMT" if offset == 0 else f"Etc/GMT{-offset:+d}"
    return StationSettings(timezone=name)


def make_settings(data_dir: Path, **changes: object) -> Settings:
    """Return default settings on data_dir: offline speech, a recording sink, no openers."""
    base = Settings(
        data_dir=data_dir,
        tts=OFFLINE_TTS,
        audio=AudioSettings(sink="recording"),
        broadcast=BARE_BROADCAST,
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def quick_password_hashing(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Hash passwords at a small scrypt cost in this process.

    The real cost (n = 2**15, p = 3, about 0.3 s) is paid at every user added and every log-in,
    over a thousand times a run. Hashes name their cost, so checking works either way;
    tests marked real_scrypt (and every station run as a process) use the real one.
    """
    if request.node.get_closest_marker("real_scrypt") is None:
        monkeypatch.setitem(users._SCRYPT, "n", 2**8)


# Programs the tests run for real, with the Debian package that brings each: a missing
# one is a set-up fault, not a reason to skip (a skipped test protects nothing).
REQUIRED_PROGRAMS = {
    "espeak-ng": "espeak-ng",
    "mbrola": "mbrola",
    "ffmpeg": "ffmpeg",
    "ffprobe": "ffmpeg",
    "mpv": "mpv",
    "aplay": "alsa-utils",
    "chromium": "chromium",
    "curl": "curl",
    "systemd-escape": "systemd",
    "systemd-analyze": "systemd",
    "shellcheck": "shellcheck",
    "mosquitto": "mosquitto",
    "mosquitto_passwd": "mosquitto",
}


def missing_programs() -> dict[str, str]:
    """Return each required program that is not on PATH, with its Debian package."""
    return {name: pkg for name, pkg in REQUIRED_PROGRAMS.items() if shutil.which(name) is None}


def runs_tests_itself(config: pytest.Config) -> bool:
    """Whether this pytest process runs tests: not so the controller of xdist workers."""
    workers = config.getoption("numprocesses", default=None)
    return hasattr(config, "workerinput") or not workers


def pytest_configure(config: pytest.Config) -> None:
    if runs_tests_itself(config):
        processes.mark_this_run()
    missing = missing_programs()
    if missing:
        raise pytest.UsageError(
            f"the tests need {', '.join(missing)} (Debian packages "
            f"{' '.join(sorted(set(missing.values())))}): run scripts/setup --test"
        )


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the run if a process it started outlives it, and end that process."""
    if not runs_tests_itself(session.config):
        return  # each worker looks after the processes its own tests started
    leftovers = processes.leftovers()
    if leftovers:
        session.config.get_terminal_writer().line(
            "processes started by the tests were still running at the end (now ended):\n  "
            + "\n  ".join(leftovers),
            red=True,
        )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture
def spawned() -> Iterator[processes.Processes]:
    """Start processes in groups of their own; every group is ended when the test ends."""
    started = processes.Processes()
    yield started
    started.end_all()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "data")


@pytest.fixture(scope="session")
def empty_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database with the whole schema and nothing in it, made once per run.

    Each test's store starts as a copy: applying every migration again, each in its
    own synchronous transaction, cost ~50 ms a test.
    """
    path = tmp_path_factory.mktemp("schema") / "villagecast.db"
    Store.open(path).close()  # the last close folds the WAL into the file
    return path


@pytest.fixture
def store(settings: Settings, empty_database: Path) -> Iterator[Store]:
    settings.db_path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(empty_database, settings.db_path)
    store = Store.open(settings.db_path)
    yield store
    store.close()


@pytest.fixture
def ingest(store: Store, settings: Settings) -> Ingest:
    return Ingest(store, settings)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Debian's Chromium driven by Playwright, one for the whole session.

    Playwright's sync API runs an event loop for as long as it is open, so every test
    that needs a browser shares this one instead of starting its own.
    """
    from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS

    if not CHROMIUM.exists():
        pytest.skip("browser tests need Debian's Chromium at /usr/bin/chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def sample_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder after `villagecast init`, made once per session."""
    from scheduler import commands

    data_dir = tmp_path_factory.mktemp("sample") / "data"
    commands.init(make_settings(data_dir))
    return data_dir


@pytest.fixture
def sample_settings(tmp_path: Path, sample_data_dir: Path) -> Settings:
    """Settings on a private copy of the initialized sample data folder."""
    data_dir = tmp_path / "data"
    shutil.copytree(sample_data_dir, data_dir)
    return make_settings(data_dir)


@pytest.fixture
def sample_store(sample_settings: Settings) -> Iterator[Store]:
    store = Store.open(sample_settings.db_path)
    yield store
    store.close()
