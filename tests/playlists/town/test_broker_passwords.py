"""Mosquitto's password file as the project writes it, checked against mosquitto_passwd."""

from __future__ import annotations

import base64
import stat
import subprocess
from pathlib import Path

import pytest

from playlists.errors import BrokerError
from playlists.town import broker_passwords


@pytest.mark.parametrize(
    ("tried", "accepted"),
    [("vcd_secret", True), ("vcd_secreT", False), ("", False)],
    ids=["same-password", "one-letter-off", "empty"],
)
def test_hash_of_mosquitto_passwd_is_read_as_mosquitto_reads_it(
    tmp_path: Path, tried: str, accepted: bool
) -> None:
    path = tmp_path / "passwords"
    subprocess.run(["mosquitto_passwd", "-c", "-b", str(path), "v1", "vcd_secret"], check=True)
    hashed = broker_passwords.read_entries(path)["v1"]
    assert broker_passwords.check_password(tried, hashed) is accepted


def test_our_hash_is_mosquittos_form_byte_for_byte(tmp_path: Path) -> None:
    path = tmp_path / "passwords"
    subprocess.run(["mosquitto_passwd", "-c", "-b", str(path), "v1", "pw"], check=True)
    theirs = broker_passwords.read_entries(path)["v1"]
    salt = base64.b64decode(theirs.split("$")[3])
    assert broker_passwords.hash_password("pw", salt) == theirs


def test_set_change_and_remove_users_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "broker" / "passwords"
    broker_passwords.set_password(path, "village-a", "one")
    broker_passwords.set_password(path, "village-b", "two")
    broker_passwords.set_password(path, "village-a", "three")
    entries = broker_passwords.read_entries(path)
    assert sorted(entries) == ["village-a", "village-b"]
    assert broker_passwords.check_password("three", entries["village-a"])
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert broker_passwords.remove_user(path, "village-a") is True
    assert broker_passwords.remove_user(path, "village-a") is False
    assert list(broker_passwords.read_entries(path)) == ["village-b"]


@pytest.mark.parametrize("user", ["a:b", "a b", ""], ids=["colon", "space", "empty"])
def test_bad_user_name_is_refused_and_the_file_unchanged(tmp_path: Path, user: str) -> None:
    path = tmp_path / "passwords"
    broker_passwords.set_password(path, "town", "pw")
    before = path.read_bytes()
    with pytest.raises(BrokerError, match="no ':' and no spaces"):
        broker_passwords.set_password(path, user, "pw")
    assert path.read_bytes() == before
