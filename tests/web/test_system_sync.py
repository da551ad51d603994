"""The system page's "town sync" card (web/system.py sync_view): what a village operator sees."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import pytest

from playlists import health
from playlists.settings import Settings, SyncSettings
from playlists.store import Store
from tests.conftest import make_settings
from tests.web_fixtures import NOW, add_user, log_in, make_app

TOWN = "http://town.example:8080"
SCRIPT = "<script>alert(1)</script>"


def page(settings: Settings, status: dict[str, Any] | None, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr(health, "run_checks", lambda settings, now: [])
    store = Store.open(settings.db_path)
    if status is not None:
        store.set_status({"sync": status}, NOW)
    client = make_app(settings, store).test_client()
    add_user(store, "wangwu", "operator")
    log_in(client, "wangwu")
    html = client.get("/system", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    store.close()
    return html


def card(html: str) -> str:
    match = re.search(r'<section class="card" id="town-sync">.*?</section>', html, re.S)
    assert match, "no town sync card"
    return match[0]


@pytest.fixture
def village(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "data", sync=SyncSettings(town_url=TOWN, device_token="vcd_x"))


def test_a_station_without_a_town_shows_no_card(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert 'id="town-sync"' not in page(settings, None, monkeypatch)


STATES = [
    pytest.param(None, "播放器还没有与镇同步", id="player-not-started"),
    pytest.param(
        {"town_url": TOWN, "state": "ok", "last_success": "2023-03-28T03:00:00+00:00",
         "refused": []},
        "已同步",
        id="ok",
    ),
    pytest.param(
        {"town_url": TOWN, "state": "failing", "failures": 3,
         "last_error": "cannot reach the town: timed out",
         "last_error_at": "2023-03-28T02:59:00+00:00",
         "next_attempt": "2023-03-28T03:04:00+00:00", "refused": []},
        "连不上镇平台：本站用已有内容照常播出",
        id="failing",
    ),
    pytest.param(
        {"town_url": "http://old.example", "state": "ok"}, "播放器还没有与镇同步",
        id="another-town-before",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("status", "shown"), STATES)
def test_the_card_says_how_the_sync_stands(
    village: Settings, monkeypatch: pytest.MonkeyPatch, status: dict[str, Any] | None, shown: str
) -> None:
    html = card(page(village, status, monkeypatch))
    assert shown in html and TOWN in html and "与镇同步" in html


def test_times_are_station_time_and_the_last_error_is_shown(
    village: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    status = dict(STATES[2].values[0])  # type: ignore[arg-type]
    html = card(page(village, status, monkeypatch))
    assert "2023-03-28 10:59:00: cannot reach the town: timed out" in html
    assert "2023-03-28 11:04:00" in html  # next attempt, Asia/Shanghai


def test_a_refused_playlist_and_hostile_text_are_shown_escaped(
    village: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    status = {"town_url": TOWN, "state": "ok", "refused": [f"'{SCRIPT}': not signed"],
              "last_error": SCRIPT, "last_error_at": "2023-03-28T02:59:00+00:00"}  # fmt: skip
    html = card(page(village, status, monkeypatch))
    assert SCRIPT not in html and "&lt;script&gt;" in html and "未接收" in html


def test_the_card_fits_a_phone(village: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    wide = "x" * 300
    status = {"town_url": TOWN, "state": "failing", "last_error": wide, "refused": []}
    html = card(page(dataclasses.replace(village), status, monkeypatch))
    assert 'class="long-text"' in html  # long errors wrap instead of widening the page
