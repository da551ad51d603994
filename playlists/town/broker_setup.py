"""The town's broker files: CA, certificate, password file, ACL and mosquitto.conf.

Everything lives in ``data_dir/town/broker/``. `villagecast broker init` makes the CA,
the broker's certificate, the town's own broker credential and mosquitto.conf; every
`village add` puts the village's credential in the password file (whether or not the
broker is set up yet) and every `village remove` takes it out and tells a running
broker to read its files again (SIGHUP), so a removed village can no longer connect.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import pwd
import secrets
import signal
from pathlib import Path

from media.files import atomic_output
from playlists.errors import BrokerError
from playlists.store import Store
from playlists.sync import broker_topics
from playlists.town import broker_passwords

LOCAL_HOSTS = ("127.0.0.1", "localhost")
MAX_QUEUED = 50_000  # QoS 1 messages mosquitto holds per client: answers of ~15,000 villages


@dataclasses.dataclass(frozen=True)
class BrokerFiles:
    """Where the town's broker files are."""

    folder: Path

    @classmethod
    def in_data_dir(cls, data_dir: Path) -> BrokerFiles:
        return cls(data_dir / "town" / "broker")

    @property
    def config(self) -> Path:
        return self.folder / "mosquitto.conf"

    @property
    def passwords(self) -> Path:
        return self.folder / "passwords"

    @property
    def acl(self) -> Path:
        return self.folder / "acl"

    @property
    def pid(self) -> Path:
        return self.folder / "mosquitto.pid"

    @property
    def ca_cert(self) -> Path:
        return self.folder / "ca.crt"

    @property
    def town_secret(self) -> Path:
        return self.folder / "town.secret"


def init_broker(
    files: BrokerFiles, town_name: str, hosts: list[str], port: int, bind: str, now: dt.datetime
) -> None:
    """Make the CA, the broker's certificate, the town's credential, the ACL and the config."""
    from playlists.town import broker_ca  # cryptography's x509: only when making certificates

    files.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    broker_ca.make_ca(files.folder, town_name, now)
    # The town's own panel and CLI dial the broker on this machine.
    local = [host for host in LOCAL_HOSTS if host not in hosts]
    broker_ca.make_server_cert(files.folder, [*hosts, *local], now)
    secret = secrets.token_urlsafe(32)
    _write_text(files.town_secret, secret + "\n")
    broker_passwords.set_password(files.passwords, broker_topics.TOWN_USER, secret)
    write_acl(files)
    write_config(files, port, bind)


def write_acl(files: BrokerFiles) -> None:
    """Write mosquitto's ACL file (the same for every town: villages are told apart by %u)."""
    _write_text(files.acl, "\n".join(broker_topics.acl_lines()) + "\n")


def write_config(files: BrokerFiles, port: int, bind: str) -> None:
    """Write mosquitto.conf: one TLS listener, no anonymous access, our password and ACL files."""
    lines = [
        "# Written by `villagecast broker init`: the town's MQTT broker (docs/town.md).",
        "per_listener_settings false",
        "allow_anonymous false",
        f"password_file {files.passwords}",
        f"acl_file {files.acl}",
        f"pid_file {files.pid}",
        "persistence false",
        # The town's one subscription takes every village's answers to an emergency at
        # once; with mosquitto's default queue (1,000 per client) half the answers of
        # 2,000 villages were dropped (bench/emergency_bench.py).
        f"max_queued_messages {MAX_QUEUED}",
        "log_dest stderr",
        "log_type error",
        "log_type warning",
        "log_type notice",
        # Started as root, mosquitto becomes this user: whoever owns the broker files.
        f"user {_owner(files.folder)}",
        f"listener {port} {bind}".rstrip(),
        f"cafile {files.ca_cert}",
        f"certfile {files.folder / 'server.crt'}",
        f"keyfile {files.folder / 'server.key'}",
        "tls_version tlsv1.2",
    ]
    _write_text(files.config, "\n".join(lines) + "\n")


def town_password(files: BrokerFiles) -> str:
    """Return the town's own broker password (user ``town``)."""
    try:
        return files.town_secret.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise BrokerError(
            f"cannot read {files.town_secret}: {exc.strerror}; run `villagecast broker init`"
        ) from None


def grant_village(files: BrokerFiles, device_token: str) -> str:
    """Let the village with this device token connect; return its broker user name."""
    user = broker_topics.user_for_token(device_token)
    broker_passwords.set_password(files.passwords, user, device_token)
    reload_broker(files)
    return user


def revoke_village(files: BrokerFiles, token_hash: str) -> bool:
    """Stop the village whose token has this SHA-256 connecting; return whether it could."""
    removed = broker_passwords.remove_user(
        files.passwords, broker_topics.user_for_token_hash(token_hash)
    )
    if removed:
        reload_broker(files)
    return removed


def village_token_hash(store: Store, name: str) -> str | None:
    """Return the SHA-256 of a village's device token, or None if there is no such village."""
    row = store.query_one("SELECT token_hash FROM villages WHERE name = ?", (name.strip(),))
    return None if row is None else str(row["token_hash"])


def reload_broker(files: BrokerFiles) -> bool:
    """Tell a running broker to read its password and ACL files again; False if none runs."""
    try:
        pid = int(files.pid.read_text(encoding="ascii").strip())
        # A pid file left by a broker that died may name another process by now.
        if Path(f"/proc/{pid}/comm").read_text(encoding="ascii").strip() != "mosquitto":
            return False
        os.kill(pid, signal.SIGHUP)
    except (OSError, ValueError):
        return False
    return True


def _owner(folder: Path) -> str:
    uid = folder.stat().st_uid
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        raise BrokerError(f"{folder} belongs to uid {uid}, which has no user name") from None


def _write_text(path: Path, text: str) -> None:
    try:
        with atomic_output(path, ".tmp") as tmp:
            tmp.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise BrokerError(f"cannot write {path}: {exc.strerror}") from None
