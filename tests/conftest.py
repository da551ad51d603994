"""Shared fixtures: settings on a temporary data folder, a store, and the sample campaign.

Speech comes from the real espeak-ng; gTTS is left out of the chain so no test
reaches for the network. The sample campaign is synthesized once per session and
copied into each test that wants it.
"""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from playlists import users
from playlists.library import Library
from playlists.settings import AudioSettings, BroadcastSettings, Settings, TtsSettings
from playlists.store import Store

OFFLINE_TTS = TtsSettings(engines=("espeak-ng",))
# Rule tests read exact times off the as-run log; tests of the openers turn them back on.
BARE_BROADCAST = BroadcastSettings(chime=False, lead_in_seconds=0, gap_seconds=0)


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


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "data")


@pytest.fixture
def store(settings: Settings) -> Iterator[Store]:
    store = Store.open(settings.db_path)
    yield store
    store.close()


@pytest.fixture
def library(store: Store, settings: Settings) -> Library:
    return Library(store, settings)


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
