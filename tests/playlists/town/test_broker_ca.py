"""The town CA and the broker's certificate: a chain villages can verify, keys kept private."""

from __future__ import annotations

import ipaddress
import stat
from pathlib import Path

import pytest
from cryptography import x509

from playlists.errors import BrokerError
from playlists.town import broker_ca
from tests.broker_kit import NOW


def test_server_certificate_is_issued_by_the_ca_for_every_host(tmp_path: Path) -> None:
    broker_ca.make_ca(tmp_path, "东镇", NOW)
    broker_ca.make_server_cert(tmp_path, ["town.example", "192.168.1.10"], NOW)
    ca = x509.load_pem_x509_certificate((tmp_path / "ca.crt").read_bytes())
    server = x509.load_pem_x509_certificate((tmp_path / "server.crt").read_bytes())
    server.verify_directly_issued_by(ca)
    names = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["town.example"]
    assert names.get_values_for_type(x509.IPAddress) == [ipaddress.ip_address("192.168.1.10")]
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert server.not_valid_before_utc < NOW < server.not_valid_after_utc
    for key in ("ca.key", "server.key"):
        assert stat.S_IMODE((tmp_path / key).stat().st_mode) == 0o600


def test_a_second_ca_is_refused_and_the_first_kept(tmp_path: Path) -> None:
    broker_ca.make_ca(tmp_path, "东镇", NOW)
    before = (tmp_path / "ca.crt").read_bytes()
    with pytest.raises(BrokerError, match="already exists"):
        broker_ca.make_ca(tmp_path, "东镇", NOW)
    assert (tmp_path / "ca.crt").read_bytes() == before


@pytest.mark.parametrize(
    ("hosts", "message"),
    [([], "at least one host"), (["town.example"], "cannot read the town CA")],
    ids=["no-host", "no-ca-yet"],
)
def test_server_certificate_needs_hosts_and_a_ca(
    tmp_path: Path, hosts: list[str], message: str
) -> None:
    with pytest.raises(BrokerError, match=message):
        broker_ca.make_server_cert(tmp_path, hosts, NOW)
    assert not (tmp_path / "server.crt").exists()
