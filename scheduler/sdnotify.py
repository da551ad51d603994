"""Tell systemd how the player is doing: the sd_notify protocol, without libsystemd.

Under a unit with `Type=notify` systemd passes `NOTIFY_SOCKET` (a datagram socket
path, or an abstract socket name starting with '@') and, with `WatchdogSec=`,
`WATCHDOG_USEC`. The player says `READY=1` once it runs, pings `WATCHDOG=1` from its
loop so a hung loop gets restarted, and says `STOPPING=1` on its way out. Outside
systemd every call does nothing. A failing send is logged once and never raised:
the broadcasts matter more than systemd's view of them.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Callable, Mapping

log = logging.getLogger(__name__)

_VARIABLES = ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID")
SEND_TIMEOUT = 1.0  # seconds: a busy systemd must not stall the player loop


def notify_address(value: str) -> str | None:
    """Return the socket address NOTIFY_SOCKET names, or None if there is none we can use."""
    if value.startswith("@"):
        return "\0" + value[1:]  # Linux abstract namespace
    if value.startswith("/"):
        return value
    return None  # unset, empty, or a transport this client does not speak (vsock:)


def watchdog_interval(environ: Mapping[str, str], pid: int) -> float | None:
    """Return how often to ping the watchdog (half of WATCHDOG_USEC), or None if it is off."""
    owner = environ.get("WATCHDOG_PID")
    if owner and owner != str(pid):
        return None  # the watchdog belongs to another process (our parent)
    try:
        usec = int(environ.get("WATCHDOG_USEC", ""))
    except ValueError:
        return None
    return usec / 2e6 if usec > 0 else None


class Notifier:
    """Send state changes to the service manager; every method is a no-op outside systemd.

    Without `environ` it reads the variables from the process environment and removes
    them there, so they reach no child process.
    """

    def __init__(
        self,
        environ: Mapping[str, str] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        env: Mapping[str, str]
        if environ is None:
            # Like sd_notify(unset_environment=1): children (mpv, ffmpeg, timedatectl)
            # must not inherit the socket and speak to systemd in the player's name.
            env = {key: os.environ.pop(key) for key in _VARIABLES if key in os.environ}
        else:
            env = environ
        raw = env.get("NOTIFY_SOCKET", "")
        self.address = notify_address(raw)
        if raw and self.address is None:
            log.warning("NOTIFY_SOCKET=%r is not a socket path; not notifying systemd", raw)
        self.watchdog_interval = (
            watchdog_interval(env, os.getpid()) if self.address is not None else None
        )
        self.clock = clock
        self._last_ping = float("-inf")
        self._warned = False

    def send(self, *fields: str) -> bool:
        """Send `KEY=value` fields in one datagram; return whether systemd got them."""
        if self.address is None:
            return False
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
                sock.settimeout(SEND_TIMEOUT)
                sock.connect(self.address)
                sock.send("\n".join(fields).encode())
        except (OSError, ValueError) as exc:  # ValueError: a NUL inside a path
            if not self._warned:
                log.warning("cannot notify systemd at %r: %s", self.address, exc)
                self._warned = True
            return False
        return True

    def ready(self, status: str = "") -> bool:
        """Say that the service is up."""
        return self.send("READY=1", *([f"STATUS={status}"] if status else []))

    def status(self, text: str) -> bool:
        """Show a one-line status in `systemctl status`."""
        return self.send(f"STATUS={text}")

    def stopping(self) -> bool:
        """Say that the service is shutting down."""
        return self.send("STOPPING=1")

    def watchdog(self) -> bool:
        """Ping the watchdog when half its timeout has passed since the last ping."""
        if self.watchdog_interval is None:
            return False
        now = self.clock()
        if now - self._last_ping < self.watchdog_interval:
            return False
        if not self.send("WATCHDOG=1"):
            return False  # try again on the next call
        self._last_ping = now
        return True
