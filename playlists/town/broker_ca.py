"""The town's certificate authority for its broker: the CA, and the broker's certificate.

Villages trust the town's CA certificate (``ca.crt``, copied to each village) and so the
broker's certificate, which names the host names and addresses villages dial. Keys are
ECDSA P-256 (every TLS stack of a Pi speaks it); private keys are owner-only files.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from media.files import atomic_output
from playlists.errors import BrokerError

CA_YEARS = 20
SERVER_YEARS = 10
_BACKDATE = dt.timedelta(days=1)  # a village whose clock lags a little still accepts it


def make_ca(folder: Path, town_name: str, now: dt.datetime) -> tuple[Path, Path]:
    """Write ca.key and ca.crt into folder (never over existing ones); return their paths."""
    key_path, cert_path = folder / "ca.key", folder / "ca.crt"
    _refuse_existing(key_path, cert_path)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{town_name} villagecast CA")])
    cert = (
        _builder(name, name, key.public_key(), now, CA_YEARS)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(cert_sign=True), critical=True)
        .sign(key, hashes.SHA256())
    )
    _write_key(key_path, key)
    _write(cert_path, cert.public_bytes(serialization.Encoding.PEM))
    return key_path, cert_path


def make_server_cert(folder: Path, hosts: list[str], now: dt.datetime) -> tuple[Path, Path]:
    """Write server.key and server.crt, signed by the CA in folder, for the given hosts."""
    if not hosts:
        raise BrokerError("name at least one host name or address villages reach the broker at")
    ca_key, ca_cert = _load_ca(folder)
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hosts[0])])
    cert = (
        _builder(subject, ca_cert.subject, key.public_key(), now, SERVER_YEARS)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(cert_sign=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName(_alt_names(hosts)), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key_path, cert_path = folder / "server.key", folder / "server.crt"
    _write_key(key_path, key)
    _write(cert_path, cert.public_bytes(serialization.Encoding.PEM))
    return key_path, cert_path


def _builder(
    subject: x509.Name,
    issuer: x509.Name,
    public_key: ec.EllipticCurvePublicKey,
    now: dt.datetime,
    years: int,
) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _BACKDATE)
        .not_valid_after(now + dt.timedelta(days=365 * years))
    )


def _key_usage(*, cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


def _alt_names(hosts: list[str]) -> list[x509.GeneralName]:
    names: list[x509.GeneralName] = []
    for host in hosts:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    return names


def _load_ca(folder: Path) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    try:
        key = serialization.load_pem_private_key((folder / "ca.key").read_bytes(), None)
        cert = x509.load_pem_x509_certificate((folder / "ca.crt").read_bytes())
    except (OSError, ValueError) as exc:
        raise BrokerError(
            f"cannot read the town CA in {folder}: {exc}; run `villagecast broker init`"
        ) from None
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise BrokerError(f"{folder / 'ca.key'} is not an ECDSA key of `villagecast broker init`")
    return key, cert


def _refuse_existing(*paths: Path) -> None:
    for path in paths:
        if path.exists() or path.is_symlink():
            raise BrokerError(f"{path} already exists: the town has a CA; villages trust it")


def _write_key(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    _write(
        path,
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
    )


def _write(path: Path, data: bytes) -> None:
    with atomic_output(path, ".tmp") as tmp:
        tmp.write_bytes(data)
