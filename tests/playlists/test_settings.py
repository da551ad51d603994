"""config.yaml: defaults, documentation of every key, and one-line errors naming the key."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from pathlib import Path

import pytest

from playlists.errors import ConfigError
from playlists.settings import Settings, iter_setting_keys, load_settings, parse_settings
from tests.paths import REPO

CONFIG = REPO / "config.yaml"


def test_shipped_config_equals_embedded_defaults() -> None:
    shipped = load_settings(CONFIG)
    assert dataclasses.replace(shipped, data_dir=Path("data")) == Settings()
    assert shipped.data_dir == REPO / "data"


def test_every_setting_is_documented_in_config_yaml() -> None:
    lines = CONFIG.read_text(encoding="utf-8").splitlines()
    for key in iter_setting_keys():
        name = key.rsplit(".", 1)[-1]
        pattern = re.compile(rf"^\s*(- )?{re.escape(name)}:")
        found = [i for i, line in enumerate(lines) if pattern.match(line)]
        assert found, f"{key} is missing from config.yaml"
        if "[]" not in key:  # list entries share their list's comment
            assert any(lines[i - 1].strip().startswith("#") for i in found), (
                f"{key} has no comment above it in config.yaml"
            )


def test_empty_file_means_defaults() -> None:
    assert parse_settings("") == Settings()


def test_values_are_read() -> None:
    settings = parse_settings(
        "station: {timezone: Europe/Berlin}\n"
        "campaign: {start: 2024-01-30, end: 2024-02-02}\n"
        "screens: [{name: bar, width: 352, height: 80}]\n"
        "audio: {sink: command, command: [mpv, '{file}']}\n"
    )
    assert settings.station.timezone == "Europe/Berlin"
    assert settings.campaign.end == dt.date(2024, 2, 2)
    assert settings.screens[0].width == 352
    assert settings.audio.command == ("mpv", "{file}")


def test_mainland_china_chain_is_accepted() -> None:
    settings = parse_settings(
        "tts: {engines: [edge-tts, espeak-ng], edge_voice: zh-CN-YunxiNeural}\n"
    )
    assert settings.tts.engines == ("edge-tts", "espeak-ng")
    assert settings.tts.edge_voice == "zh-CN-YunxiNeural"
    assert Settings().tts.engines == (
        "gtts",
        "fastspeech2",
        "mbrola",
        "espeak-ng",
    ), "edge-tts is opt-in"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("stations: {}", "unknown key 'stations'", id="unknown-top-key"),
        pytest.param("audio: {sinc: aplay}", "unknown key 'audio.sinc'", id="unknown-nested-key"),
        pytest.param("audio: {sink: speaker}", "key 'audio.sink' must be one of", id="bad-choice"),
        pytest.param("station: {timezone: Mars/Base}", "key 'station.timezone'", id="bad-tz"),
        pytest.param(
            "panel: {port: 70000}", "key 'panel.port' must be from 0 to 65535", id="port-range"
        ),
        pytest.param(
            "panel: {port: eighty}", "key 'panel.port' must be a whole number", id="port-type"
        ),
        pytest.param(
            "campaign: {start: 28 March}", "key 'campaign.start' must be a date", id="bad-date"
        ),
        pytest.param(
            "campaign: {start: 2023-04-08}",
            "key 'campaign.end' must not be before",
            id="end-before-start",
        ),
        pytest.param("tts: {engines: [gtts, azure]}", "unknown engine 'azure'", id="bad-engine"),
        pytest.param("tts: {gtts_lang: en}", "key 'tts.gtts_lang' must be one of", id="gtts-lang"),
        pytest.param(
            "tts: {edge_voice: Xiaoxiao}",
            "key 'tts.edge_voice' must be a Microsoft voice name",
            id="edge-voice",
        ),
        pytest.param(
            "tts: {edge_timeout: 0}",
            "key 'tts.edge_timeout' must be from 1 to 60",
            id="edge-timeout",
        ),
        pytest.param(
            "tts: {fastspeech2_speed: 2}",
            "key 'tts.fastspeech2_speed' must be from 0.7 to 1.5",
            id="fastspeech2-speed",
        ),
        pytest.param(
            "tts: {engines: []}", "key 'tts.engines' must list at least one", id="no-engine"
        ),
        pytest.param(
            "screens: [{name: a, width: 0, height: 80}]",
            "key 'screens[0].width'",
            id="screen-width",
        ),
        pytest.param(
            "screens: [{name: a}, {name: a}]",
            "two screens with the same name",
            id="duplicate-screen",
        ),
        pytest.param("audio: {sink: command}", "key 'audio.command' must list", id="no-command"),
        pytest.param(
            "player: {grace_seconds: true}",
            "key 'player.grace_seconds' must be a number",
            id="bool-not-number",
        ),
        pytest.param("campaign: {topics: []}", "key 'campaign.topics' must list", id="no-topics"),
        pytest.param(
            "campaign: {topics: [五社联动, 五社联动]}",
            "key 'campaign.topics' must not list a topic twice",
            id="topic-twice",
        ),
        pytest.param(
            "evidence: {max_video_seconds: 0}",
            "key 'evidence.max_video_seconds' must be from 1",
            id="video-seconds",
        ),
        pytest.param("- a\n- b", "must be a mapping", id="not-a-mapping"),
        pytest.param("station: [", "is not valid YAML", id="bad-yaml"),
    ],
)
def test_bad_config_names_the_key(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        parse_settings(text)
    assert message in str(raised.value)
    assert "\n" not in str(raised.value)


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        load_settings(tmp_path / "nope.yaml")


def test_relative_data_dir_is_beside_the_config_file(tmp_path: Path) -> None:
    config = tmp_path / "site" / "config.yaml"
    config.parent.mkdir()
    config.write_text("data_dir: var/vc\n", encoding="utf-8")
    assert load_settings(config).data_dir == tmp_path / "site" / "var" / "vc"


@pytest.mark.parametrize(
    ("entry", "shown"),
    [
        ("{name: led-bar, label: 村口条屏}", "村口条屏"),
        ("{name: led-bar}", "led-bar"),
        ("{name: led-bar, label: '  '}", "led-bar"),
    ],
    ids=["label-shown", "no-label-shows-name", "blank-label-shows-name"],
)
def test_a_screen_is_shown_by_its_label(entry: str, shown: str) -> None:
    screen = parse_settings(f"screens: [{entry}]\n").screens[0]
    assert screen.name == "led-bar" and screen.display_name == shown


def test_the_shipped_screens_have_chinese_names() -> None:
    assert [s.display_name for s in Settings().screens] == ["村口条屏", "广场大屏", "活动室电视"]
