"""A real panel on loopback (waitress in a thread) and Debian's Chromium driven by Playwright.

Playwright never downloads a browser here: it drives /usr/bin/chromium. Without
that binary the browser tests are skipped, saying why.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from playlists.settings import Settings
from playlists.store import Store
from tests.web_fixtures import add_user, serving
from web import create_app

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture
def panel_url(settings: Settings, store: Store) -> Iterator[str]:
    """Serve a fresh panel with an operator (who may send emergencies) and a reviewer."""
    add_user(store, "op", "operator", may_emergency=True)
    add_user(store, "rev", "reviewer")
    app = create_app(settings, store)
    with serving(app) as url:
        yield url


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
