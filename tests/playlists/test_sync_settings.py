"""config.yaml's `sync:` section: a village's town, its token and how often it calls."""

from __future__ import annotations

from pathlib import Path

import pytest

from playlists.errors import ConfigError
from playlists.settings import SyncSettings, load_settings, parse_settings

TOKEN = "device_token: vcd_x"


@pytest.mark.parametrize(
    "url",
    ["", "http://town.example:8080", "https://town.example/villagecast/", "http://10.0.0.2"],
    ids=["no-town", "port", "https-with-path", "address"],
)
def test_good_town_addresses_are_taken(url: str) -> None:
    settings = parse_settings(f'sync: {{town_url: "{url}", {TOKEN}}}')
    assert settings.sync.town_url == url


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param('town_url: "town.example"', "must be an address like", id="no-scheme"),
        pytest.param('town_url: "ftp://town.example"', "must be an address like", id="ftp"),
        pytest.param('town_url: "http://"', "must be an address like", id="no-host"),
        pytest.param('town_url: "http://t:80x"', "the port is not a number", id="bad-port"),
        pytest.param('town_url: "http://t/?a=1"', "without ?, # or user", id="query"),
        pytest.param('town_url: "http://u:p@t/"', "without ?, # or user", id="password"),
        pytest.param("town_url: 12", "must be an address like", id="number"),
        pytest.param("poll_seconds: 0", "'sync.poll_seconds' must be from 1", id="poll-zero"),
        pytest.param("timeout_seconds: 0.5", "'sync.timeout_seconds'", id="timeout-short"),
        pytest.param(
            "poll_seconds: 600, max_backoff_seconds: 60",
            "'sync.max_backoff_seconds' must not be below 'sync.poll_seconds'",
            id="backoff-below-poll",
        ),
        pytest.param(
            'broker_host: "town.example"',
            "'sync.broker_ca' must be set when 'sync.broker_host' is",
            id="broker-without-ca",
        ),
        pytest.param("broker_port: 0", "'sync.broker_port' must be from 1", id="broker-port"),
    ],
)
def test_a_bad_sync_setting_is_one_line_naming_the_key(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=r"sync\.") as caught:
        parse_settings(f"sync: {{{text}, {TOKEN}}}")
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_a_town_without_a_device_token_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"'sync\.device_token' must be set"):
        parse_settings('sync: {town_url: "http://town.example"}')


def test_defaults_mean_no_town() -> None:
    assert parse_settings("").sync == SyncSettings()
    assert SyncSettings().town_url == "" and SyncSettings().poll_seconds == 300


def test_the_brokers_ca_is_found_beside_config_yaml(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(
        'sync: {broker_host: "town.example", broker_ca: "town-ca.crt", device_token: vcd_x}'
    )
    assert load_settings(config).sync.broker_ca == str(tmp_path / "town-ca.crt")
