"""The system page and its JSON twin: station checks, recent events, who may see them, caching."""

from __future__ import annotations

import datetime as dt
import logging
import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

import web.__main__ as panel_main
from playlists import health
from playlists.health import CheckResult
from playlists.record import events
from playlists.settings import Settings
from playlists.store import Store
from tests.web_fixtures import NOW, client_as, make_app, state
from web.system import CheckCache

CHECK_NAMES = [
    pytest.param("config", "配置", id="config"),
    pytest.param("store", "数据库", id="store"),
    pytest.param("disk", "存储空间", id="disk"),
    pytest.param("clock", "时钟", id="clock"),
    pytest.param("player", "播放器", id="player"),
    pytest.param("speech", "语音合成", id="speech"),
    pytest.param("audio", "音频输出", id="audio"),
    pytest.param("screens", "屏幕", id="screens"),
]
SCRIPT = "<script>alert(1)</script>"


@pytest.fixture
def client(app: Flask, store: Store) -> FlaskClient:
    return client_as(app, store, "operator")


@pytest.fixture
def player_log(store: Store) -> Iterator[logging.Logger]:
    """Keep warnings in the store as the player does, for the length of one test."""
    handler = events.install(store, "player")
    yield logging.getLogger("x")
    logging.getLogger().removeHandler(handler)


def check_row(html: str, name: str) -> str:
    match = re.search(rf'<tr id="check-{name}">.*?</tr>', html, re.S)
    assert match, f"no row for the {name} check"
    return match[0]


# -- who may look -------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_log_in(app: Flask, store: Store) -> None:
    client = client_as(app, store, None)
    page = client.get("/system")
    assert page.status_code == 302
    assert page.headers["Location"].startswith("/login?next=/system")
    api = client.get("/api/v1/system")
    assert api.status_code == 401
    assert api.json == {"error": "请先登录。"}


@pytest.mark.parametrize(
    ("role", "status"),
    [("admin", 200), ("operator", 200), ("reviewer", 403)],
    ids=["admin", "operator", "reviewer"],
)
@pytest.mark.parametrize("path", ["/system", "/api/v1/system"], ids=["page", "api"])
def test_only_operators_and_admins_see_the_system(
    app: Flask, store: Store, path: str, role: str, status: int
) -> None:
    assert client_as(app, store, role).get(path).status_code == status


@pytest.mark.parametrize(("role", "linked"), [("operator", True), ("reviewer", False)])
def test_navigation_links_the_system_page_for_operators_only(
    app: Flask, store: Store, role: str, linked: bool
) -> None:
    html = client_as(app, store, role).get("/").get_data(as_text=True)
    assert ('href="/system"' in html) is linked


# -- the checks ---------------------------------------------------------------------


@pytest.mark.parametrize(("name", "chinese"), CHECK_NAMES)
def test_every_check_is_named_in_chinese(client: FlaskClient, name: str, chinese: str) -> None:
    html = client.get("/system").get_data(as_text=True)
    assert f">{chinese}</td>" in check_row(html, name)


def test_a_player_that_never_ran_is_marked_as_a_fault(client: FlaskClient) -> None:
    row = check_row(client.get("/system").get_data(as_text=True), "player")
    assert '<span class="badge check-fail">故障</span>' in row
    assert "播放器从未运行：请启动它（villagecast player）。" in row
    english = client.get("/system", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "The player has never run: start it (villagecast player)." in english


def test_a_running_player_is_marked_ok(client: FlaskClient, store: Store) -> None:
    store.set_status({"heartbeat": (NOW - dt.timedelta(seconds=2)).isoformat()}, NOW)
    row = check_row(client.get("/system").get_data(as_text=True), "player")
    assert '<span class="badge check-ok">正常</span>' in row


def test_check_details_are_escaped(client: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(health, "run_checks", lambda s, n: [CheckResult("disk", "warn", SCRIPT)])
    html = client.get("/system").get_data(as_text=True)
    assert SCRIPT not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in check_row(html, "disk")
    assert '<span class="badge check-warn">注意</span>' in check_row(html, "disk")


# -- recent warnings and errors ------------------------------------------------------


def test_warnings_are_shown_escaped(client: FlaskClient, player_log: logging.Logger) -> None:
    player_log.warning(SCRIPT)
    html = client.get("/system").get_data(as_text=True)
    assert SCRIPT not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert ">播放器</td>" in html and ">警告</td>" in html


def test_event_times_are_in_the_station_zone(client: FlaskClient, store: Store) -> None:
    handler = events.StoreLogHandler(store, "panel")
    record = logging.makeLogRecord(
        {"name": "web", "levelno": logging.ERROR, "levelname": "ERROR", "msg": "磁盘已满"}
    )
    record.created = NOW.timestamp()  # 03:00 UTC, 11:00 in Shanghai
    handler.handle(record)
    html = client.get("/system").get_data(as_text=True)
    assert ">2023-03-28 11:00:00</td>" in html
    assert ">控制面板</td>" in html and ">错误</td>" in html and ">磁盘已满</td>" in html
    [event] = client.get("/api/v1/system").json["events"]  # type: ignore[index]
    assert event["at"] == "2023-03-28T11:00:00+08:00"


def test_only_the_newest_fifty_events_are_shown(
    client: FlaskClient, player_log: logging.Logger
) -> None:
    for n in range(60):
        player_log.warning("warning %d", n)
    body = client.get("/api/v1/system").json or {}
    messages = [e["message"] for e in body["events"]]
    assert messages == [f"warning {n}" for n in range(59, 9, -1)]


def test_no_events_says_so(client: FlaskClient) -> None:
    assert "没有记录任何警告或错误" in client.get("/system").get_data(as_text=True)


def test_the_panel_keeps_its_own_warnings_while_it_serves(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("data_dir: data\ntts: {engines: [espeak-ng]}\n", encoding="utf-8")
    handlers_before = list(logging.getLogger().handlers)

    class BusyServer:
        """Warn as waitress does when requests queue up, then stop serving."""

        effective_host, effective_port = "127.0.0.1", 8080

        def run(self) -> None:
            logging.getLogger("waitress.queue").warning("Task queue depth is 5")

        def close(self) -> None:
            pass

    monkeypatch.setattr(panel_main, "bind", lambda app, panel, limits: BusyServer())
    assert panel_main.main(["--config", str(config)]) == 0
    assert logging.getLogger().handlers == handlers_before  # removed before the store closed
    store = Store.open(tmp_path / "data" / "villagecast.db")
    try:
        [event] = events.recent_events(store)
    finally:
        store.close()
    assert (event.process, event.level) == ("panel", "WARNING")
    assert event.message == "Task queue depth is 5"


# -- the JSON twin ------------------------------------------------------------------


def test_json_lists_checks_and_events(client: FlaskClient, player_log: logging.Logger) -> None:
    player_log.warning(SCRIPT)
    response = client.get("/api/v1/system")
    assert response.status_code == 200 and response.is_json
    body = response.json or {}
    assert set(body) == {"checks", "events"}
    assert [c["name"] for c in body["checks"]] == [p.values[0] for p in CHECK_NAMES]
    assert all(set(c) == {"name", "status", "detail"} for c in body["checks"])
    assert {c["status"] for c in body["checks"]} <= {"ok", "warn", "fail"}
    player = next(c for c in body["checks"] if c["name"] == "player")
    assert player["status"] == "fail"
    [event] = body["events"]
    assert set(event) == {"at", "process", "level", "source", "message"}
    assert (event["process"], event["level"], event["source"]) == ("player", "WARNING", "x")
    assert event["message"] == SCRIPT  # JSON carries the text; pages escape it


# -- the checks run at most every 10 seconds -------------------------------------------


class FakeMonotonic:
    def __init__(self) -> None:
        self.value = 1000.0

    def __call__(self) -> float:
        return self.value


@pytest.fixture
def check_runs(monkeypatch: pytest.MonkeyPatch) -> list[dt.datetime]:
    """Record each run of the checks (its "now") instead of running them."""
    runs: list[dt.datetime] = []

    def run_checks(settings: Settings, now: dt.datetime) -> list[CheckResult]:
        runs.append(now)
        return [CheckResult("player", "ok", f"run {len(runs)}")]

    monkeypatch.setattr(health, "run_checks", run_checks)
    return runs


def test_checks_are_cached_for_ten_seconds(
    app: Flask, client: FlaskClient, check_runs: list[dt.datetime]
) -> None:
    clock = FakeMonotonic()
    state(app).checks = CheckCache(clock=clock)
    assert "run 1" in client.get("/system").get_data(as_text=True)
    clock.value += 9.9
    assert client.get("/api/v1/system").json["checks"][0]["detail"] == "run 1"  # type: ignore[index]
    assert "run 1" in client.get("/system").get_data(as_text=True)
    assert check_runs == [NOW]
    clock.value += 0.1
    assert "run 2" in client.get("/system").get_data(as_text=True)
    assert len(check_runs) == 2


def test_each_app_has_its_own_cache(
    settings: Settings, store: Store, check_runs: list[dt.datetime]
) -> None:
    for _ in range(2):
        state(make_app(settings, store)).checks.results(settings, NOW)
    assert len(check_runs) == 2  # kept on the app: a fresh app never sees stale results


def test_a_request_during_a_run_waits_for_its_results(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    started, release = threading.Event(), threading.Event()
    runs: list[int] = []

    def slow_checks(settings: Settings, now: dt.datetime) -> list[CheckResult]:
        runs.append(1)
        started.set()
        release.wait(5)  # the first run holds on until the second request has come in
        return [CheckResult("audio", "ok", "ALSA device default opens")]

    monkeypatch.setattr(health, "run_checks", slow_checks)
    cache = CheckCache()
    answers: list[list[CheckResult]] = []
    first = threading.Thread(target=lambda: answers.append(cache.results(settings, NOW)))
    second = threading.Thread(target=lambda: answers.append(cache.results(settings, NOW)))
    first.start()
    assert started.wait(5)
    second.start()
    second.join(timeout=0.2)  # waiting for the first run, not starting aplay again
    release.set()
    first.join(timeout=5)
    second.join(timeout=5)
    assert runs == [1]
    assert len(answers) == 2 and answers[0] == answers[1]
