"""`python -m web`: choosing the config, serving with waitress, failing in one line."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

import web.__main__ as panel_main
from playlists.settings import PanelSettings
from tests.web_fixtures import free_port
from web.serving import ServingLimits

ROOT = Path(__file__).resolve().parents[1]
# Loopback only, even where the environment names a proxy.
NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


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
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(
        "data_dir: data\ntts: {engines: [espeak-ng]}\npanel: {host: 127.0.0.1, port: 8099}\n",
        encoding="utf-8",
    )
    calls: list[dict[str, Any]] = []

    def fake_serve(app: Flask, panel: PanelSettings, limits: ServingLimits) -> None:
        calls.append({"app": app, "panel": panel, "limits": limits})

    monkeypatch.setattr(panel_main, "serve", fake_serve)
    assert panel_main.main(["--config", str(config)]) == 0
    [call] = calls
    assert (call["panel"].host, call["panel"].port) == ("127.0.0.1", 8099)
    assert call["limits"].spool_dir == tmp_path / "data" / "tmp"
    assert call["app"].extensions["villagecast"].settings.data_dir == tmp_path / "data"
    assert (tmp_path / "data" / "villagecast.db").is_file()


def test_sigterm_stops_the_panel_cleanly(tmp_path: Path) -> None:
    port = free_port()
    config = tmp_path / "config.yaml"
    config.write_text(
        f"data_dir: data\ntts: {{engines: [espeak-ng]}}\npanel: {{port: {port}}}\n",
        encoding="utf-8",
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-m", "web", "--config", str(config)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                with NO_PROXY.open(f"http://127.0.0.1:{port}/login", timeout=1) as r:
                    assert r.status == 200
                    break
            except OSError:
                assert process.poll() is None, process.stderr.read()  # type: ignore[union-attr]
                assert time.monotonic() < deadline, "the panel did not start"
                time.sleep(0.1)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
