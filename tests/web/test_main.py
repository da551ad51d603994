"""`python -m web`: choosing the config, serving with waitress, failing in one line."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

import web.__main__ as panel_main
from playlists.settings import PanelSettings, Settings
from playlists.store import Store
from tests.broker_kit import Broker, broker, town_settings
from tests.paths import REPO
from tests.processes import PANEL_LISTENS, Output, Processes
from web.serving import ServingLimits

ROOT = REPO
# Loopback only, even where the environment names a proxy.
NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))
__all__ = ["broker"]  # the fixture, used by name


def test_bad_config_is_one_line_and_exit_code_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("panel:\n  colour: red\n", encoding="utf-8")
    assert panel_main.main(["--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "panel.colour" in err


def test_missing_config_file_is_exit_code_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert panel_main.main(["--config", str(tmp_path / "nope.yaml")]) == 2
    assert "file not found" in capsys.readouterr().err


def test_config_path_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("VILLAGECAST_CONFIG", raising=False)
    assert panel_main.config_path(None) is None
    (tmp_path / "config.yaml").write_text("{}\n", encoding="utf-8")
    assert panel_main.config_path(None) == Path("config.yaml")
    monkeypatch.setenv("VILLAGECAST_CONFIG", "/etc/villagecast.yaml")
    assert panel_main.config_path(None) == Path("/etc/villagecast.yaml")
    assert panel_main.config_path("other.yaml") == Path("other.yaml")


def test_serves_the_configured_address_with_waitress(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(
        "data_dir: data\ntts: {engines: [espeak-ng]}\npanel: {host: 127.0.0.1, port: 8099}\n",
        encoding="utf-8",
    )
    calls: list[dict[str, Any]] = []

    class FakeServer:
        effective_host, effective_port = "127.0.0.1", 8099

        def run(self) -> None:
            calls.append({"ran": True})

        def close(self) -> None:
            calls.append({"closed": True})

    def fake_bind(app: Flask, panel: PanelSettings, limits: ServingLimits) -> FakeServer:
        calls.append({"app": app, "panel": panel, "limits": limits})
        return FakeServer()

    monkeypatch.setattr(panel_main, "bind", fake_bind)
    # Start-up's objects are frozen just before serving (not in the tests' own process).
    monkeypatch.setattr(panel_main, "settle_heap", lambda: calls.append({"settled": True}))
    caplog.set_level("INFO", logger="web")
    assert panel_main.main(["--config", str(config)]) == 0
    [bound, settled, ran, closed] = calls
    assert settled == {"settled": True}
    assert (bound["panel"].host, bound["panel"].port) == ("127.0.0.1", 8099)
    assert bound["limits"].spool_dir == tmp_path / "data" / "tmp"
    assert bound["app"].extensions["villagecast"].settings.data_dir == tmp_path / "data"
    assert ran == {"ran": True} and closed == {"closed": True}
    assert "panel listening on http://127.0.0.1:8099/" in caplog.text
    assert (tmp_path / "data" / "villagecast.db").is_file()


def test_sigterm_stops_the_panel_cleanly(tmp_path: Path, spawned: Processes) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(
        "data_dir: data\ntts: {engines: [espeak-ng]}\npanel: {port: 0}\n", encoding="utf-8"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = spawned.start(
        [sys.executable, "-m", "web", "--config", str(config)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = Output(process.stderr).wait_for(PANEL_LISTENS, timeout=30)[1]
    with NO_PROXY.open(f"{url}/login", timeout=10) as response:
        assert response.status == 200
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=10) == 0


def test_a_taken_port_is_one_line_and_exit_2(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        config = tmp_path / "config.yaml"
        config.write_text(
            f"data_dir: data\npanel: {{port: {taken.getsockname()[1]}}}\n", encoding="utf-8"
        )
        result = subprocess.run(
            [sys.executable, "-m", "web", "--config", str(config)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 2
    assert result.stderr.startswith("villagecast panel:") and "Traceback" not in result.stderr


def test_a_station_without_a_broker_starts_no_answer_listener(
    settings: Settings, store: Store
) -> None:
    assert panel_main.start_answer_recorder(settings, store) is None


@pytest.mark.slow  # a real mosquitto
def test_a_town_with_its_broker_listens_for_the_villages_answers(
    broker: Broker, tmp_path: Path
) -> None:
    settings = town_settings(broker, tmp_path)
    store = Store.open(settings.db_path)
    recorder = panel_main.start_answer_recorder(settings, store)
    try:
        assert recorder is not None
        assert recorder.subscribed.wait(10), "it subscribed to every village's answers"
    finally:
        if recorder is not None:
            recorder.stop()
        store.close()
