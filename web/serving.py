"""Serve the panel with waitress, bounded against one hostile client on the LAN.

Plain waitress stops accepting at ``connection_limit`` open sockets, keeps a socket
open as long as a byte arrives now and then, and reads any body up to 1 GB into /tmp
before the app sees it. The panel's server changes that in waitress's own hooks:

- **Connections per client**: ``PanelServer.handle_accept`` closes at once a new
  connection from an address that already holds ``panel.connections_per_client``;
  the station itself (its kiosks, one Chromium per screen, on 127.0.0.1) is exempt.
- **Read deadlines**: a request's head must arrive within ``panel.header_timeout``
  seconds of its first byte; its body after that at ``MIN_BODY_BYTES_PER_SECOND`` on
  average; a connection idle between requests closes after ``header_timeout``
  (waitress's ``channel_timeout``). Checked every second; a late socket is closed.
- **Body limits per request**, decided from the head alone (method, path, session):
  ``body_limit(method, path, headers)`` (web/uploads.py). A declared body over it is
  never read: the app answers 413 (its own page) and the connection closes. A
  chunked body is cut off at the limit the same way.
- **Spooling inside data_dir**: a body larger than waitress's ``inbuf_overflow`` waits
  in an unnamed file in data_dir/tmp, never in /tmp (memory on many Pis).
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import gc
import logging
import tempfile
import time
from collections.abc import Callable, Mapping
from io import BufferedRandom
from pathlib import Path
from typing import TYPE_CHECKING, Any

from waitress import wasyncore
from waitress.adjustments import Adjustments
from waitress.buffers import OverflowableBuffer, TempfileBasedBuffer
from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser
from waitress.server import MultiSocketServer, TcpWSGIServer
from waitress.task import ThreadedTaskDispatcher, WSGITask
from waitress.utilities import RequestEntityTooLarge

from playlists.settings import PanelSettings

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

logger = logging.getLogger(__name__)

# Set in the WSGI environ when the server refused to read a body over its limit.
BODY_REFUSED = "villagecast.body_refused"
# A body slower than this after its head (1 MB in 100 s) holds a socket for nothing.
MIN_BODY_BYTES_PER_SECOND = 10_000
# All request headers together; a session cookie and a token are well under 4 KB.
MAX_HEADER_BYTES = 64 * 1024
# How often deadlines are checked (seconds).
CHECK_INTERVAL = 1
# The station's own kiosks and commands: no machine on the LAN can send from these.
STATION_ADDRESSES = frozenset({"127.0.0.1", "::1"})
THREADS = 8

BodyLimit = Callable[[str, str, Mapping[str, str]], int]


@dataclasses.dataclass(frozen=True)
class ServingLimits:
    """What one client may take of the server: connections, time and body bytes."""

    body_limit: BodyLimit
    spool_dir: Path
    header_timeout: float
    connections_per_client: int


class _SpoolFileBuffer(TempfileBasedBuffer):
    def __init__(self, folder: Path, from_buffer: Any = None) -> None:
        self.folder = folder
        super().__init__(from_buffer)

    def newfile(self) -> BufferedRandom:
        self.folder.mkdir(parents=True, exist_ok=True)
        # Unnamed where the file system allows: nothing is left after a crash.
        return tempfile.TemporaryFile("w+b", dir=self.folder)


class SpoolBuffer(OverflowableBuffer):
    """waitress's body buffer, overflowing into a file in the spool folder, not /tmp."""

    def __init__(self, overflow: int, folder: Path) -> None:
        super().__init__(overflow)
        self.folder = folder

    def _set_large_buffer(self) -> None:
        old = self.buf
        # types-waitress 3.0.1 declares buf a BufferedIOBase: it holds waitress's buffers.
        self.buf = _SpoolFileBuffer(self.folder, old)  # type: ignore[assignment]
        if old is not None:
            old.close()
        self.overflowed = True


class PanelRequestParser(HTTPRequestParser):
    """A request whose body is bounded by its route and read against a deadline."""

    body_refused = False
    head_done_at = 0.0
    # Set by waitress's parse_header; types-waitress 3.0.1 omits path, calls the (decoded)
    # command bytes and the headers (a dict) read-only.
    command: str  # type: ignore[assignment]
    path: str
    headers: dict[str, str]

    def __init__(self, adj: Adjustments, limits: ServingLimits) -> None:
        super().__init__(adj)
        self.limits = limits
        self.started_at = time.monotonic()  # made when the request's first byte arrives

    def parse_header(self, header_plus: bytes) -> None:
        super().parse_header(header_plus)
        self.head_done_at = time.monotonic()
        limit = self.limits.body_limit(self.command, self.path, self.headers)
        if self.chunked:
            # waitress cuts a chunked body off at max_request_body_size (see received).
            self.adj = copy.copy(self.adj)
            self.adj.max_request_body_size = limit + 1
        elif self.content_length > limit:
            self._refuse_body()
            return
        if self.body_rcv is not None:
            self.body_rcv.buf = SpoolBuffer(self.adj.inbuf_overflow, self.limits.spool_dir)

    def received(self, data: bytes) -> int:
        consumed: int = super().received(data)
        if isinstance(self.error, RequestEntityTooLarge) and self.headers_finished:
            # A chunked body past its limit: the app answers, as for Content-Length.
            self.error = None
            self._refuse_body()
        return consumed

    def _refuse_body(self) -> None:
        """Leave the body unread: the app answers 413 and the connection closes."""
        if self.body_rcv is not None:
            self.body_rcv.getbuf().close()
        self.body_rcv = None
        self.body_refused = True
        self.expect_continue = False  # no "100 Continue" invites the body
        self.headers["CONNECTION"] = "close"  # the unread body must not be taken for a request

    def overdue(self, now: float) -> bool:
        """Tell whether this request arrives too slowly to keep its socket."""
        timeout = self.limits.header_timeout
        if not self.headers_finished:
            return now - self.started_at > timeout
        if self.completed:
            return False
        allowed = timeout + self.body_bytes_received / MIN_BODY_BYTES_PER_SECOND
        return now - self.head_done_at > allowed


class PanelTask(WSGITask):
    """A WSGI task that tells the app when the server left a body over its limit unread.

    It also keeps the connection open after a bodiless answer (1xx, 204, 304), which
    ends with its head (RFC 9112, 6.3): waitress 3.0.2 closes it for want of a
    Content-Length that such an answer may not carry, so every 304 of the town's feed
    cost its client a new connection.
    """

    # The channel's parser (types-waitress 3.0.1 declares an error here).
    request: PanelRequestParser  # type: ignore[assignment]
    _ends_with_head = False  # set while the head of a bodiless HTTP/1.1 answer is built

    def get_environment(self) -> dict[str, Any]:
        environ: dict[str, Any] = super().get_environment()
        environ[BODY_REFUSED] = self.request.body_refused
        return environ

    def build_response_header(self) -> bytes:
        asked_close = self.request.headers.get("CONNECTION", "").lower() == "close"
        self._ends_with_head = (
            not self.has_body and self.version == "1.1" and not asked_close
        ) and not self.close_on_finish
        try:
            head: bytes = super().build_response_header()
        finally:
            self._ends_with_head = False
        return head

    def set_close_on_finish(self) -> None:
        if self._ends_with_head:
            return  # waitress asks only because no length is given; none is needed
        super().set_close_on_finish()


class PanelChannel(HTTPChannel):
    """One client connection, whose requests use the panel's parser."""

    task_class = PanelTask
    request: PanelRequestParser | None

    def __init__(self, server: PanelServer, *args: Any, **kwargs: Any) -> None:
        # waitress only calls parser_class(adj): a partial with the server's limits will do.
        self.parser_class = functools.partial(  # type: ignore[assignment]
            PanelRequestParser, limits=server.limits
        )
        super().__init__(server, *args, **kwargs)

    def overdue(self, now: float) -> bool:
        """Tell whether the request being read missed its deadline."""
        if self.requests or self.request is None:
            return False  # answering, or idle (waitress's channel_timeout covers that)
        return self.request.overdue(now)


class PanelServer(TcpWSGIServer):
    """waitress's TCP server with per-client connection quotas and read deadlines."""

    channel_class = PanelChannel
    _last_refusal_logged = 0.0
    # Set by waitress, and left out or mistyped by types-waitress 3.0.1.
    _map: dict[int, wasyncore.dispatcher]
    active_channels: dict[int, PanelChannel]  # type: ignore[assignment]
    effective_host: str
    effective_port: int

    def __init__(self, app: WSGIApplication, limits: ServingLimits, **kwargs: Any) -> None:
        self.limits = limits
        super().__init__(app, **kwargs)

    def connections_from(self, host: str) -> int:
        """Count the open connections of one client address (on every listening socket)."""
        return sum(
            1
            for channel in list(self._map.values())
            if isinstance(channel, PanelChannel) and channel.addr[0] == host
        )

    def handle_accept(self) -> None:
        try:
            pair = self.accept()
        except OSError:
            return  # as waitress: a client gone before accept() stops nothing
        if pair is None:
            return
        conn, addr = pair
        if self._over_quota(addr[0]):
            conn.close()
            self._log_refusal(addr[0])
            return
        try:
            self.set_socket_options(conn)
        except OSError:
            conn.close()
            return
        self.channel_class(self, conn, self.fix_addr(addr), self.adj, map=self._map)

    def _over_quota(self, host: str) -> bool:
        if host in STATION_ADDRESSES:
            return False
        return self.connections_from(host) >= self.limits.connections_per_client

    def maintenance(self, now: float) -> None:
        # Idle connections, by waitress's channel_timeout (types-waitress: an int "now").
        super().maintenance(now)  # type: ignore[arg-type]
        mono = time.monotonic()
        for channel in list(self.active_channels.values()):
            if channel.overdue(mono):
                channel.will_close = True  # the loop closes it at its next turn

    def _log_refusal(self, host: str) -> None:
        now = time.monotonic()
        if now - self._last_refusal_logged >= 60:  # one line a minute, not one per socket
            self._last_refusal_logged = now
            logger.warning(
                "refused connections from %s: it holds %d already",
                host,
                self.limits.connections_per_client,
            )


def build_server(
    app: WSGIApplication, panel: PanelSettings, limits: ServingLimits
) -> PanelServer | MultiSocketServer:
    """Make the panel's server on panel.host:panel.port (port 0: any free port)."""
    adjustments = Adjustments(
        host=panel.host,
        port=panel.port,
        threads=THREADS,
        connection_limit=panel.max_connections,
        channel_timeout=limits.header_timeout,
        cleanup_interval=CHECK_INTERVAL,
        max_request_header_size=MAX_HEADER_BYTES,
        # The real limit is per request (ServingLimits.body_limit); this is the ceiling.
        max_request_body_size=2**40,
    )
    dispatcher = ThreadedTaskDispatcher()
    dispatcher.set_thread_count(THREADS)
    socket_map: dict[int, Any] = {}  # waitress's dispatchers (types-waitress: sockets)
    # A host name such as localhost may stand for an IPv4 and an IPv6 address.
    servers = [
        PanelServer(
            app, limits, map=socket_map, dispatcher=dispatcher, adj=adjustments, sockinfo=info
        )
        for info in adjustments.listen
    ]
    if len(servers) == 1:
        return servers[0]
    listening = [(server.effective_host, server.effective_port) for server in servers]
    return MultiSocketServer(socket_map, adjustments, listening, dispatcher, logger.info)


def bind(
    app: WSGIApplication, panel: PanelSettings, limits: ServingLimits
) -> PanelServer | MultiSocketServer:
    """Make the spool folder and bind the panel's server; serve with its run()."""
    limits.spool_dir.mkdir(parents=True, exist_ok=True)
    # Anything else that spools (waitress's answers, libraries) stays in data_dir too.
    tempfile.tempdir = str(limits.spool_dir)
    return build_server(app, panel, limits)


def settle_heap() -> None:
    """Leave what start-up made out of the garbage collector's full passes (`gc.freeze`).

    The modules, templates and settings loaded at start live as long as the panel; a
    full pass, which a busy page's many objects set off now and then, walked them all
    and paused that page (bench/README.md has the figures). Called once, just before
    serving.
    """
    gc.collect()  # what start-up let go is freed, not kept for good
    gc.freeze()


def addresses(server: PanelServer | MultiSocketServer) -> list[str]:
    """Return the URLs the server listens on: the bound ports, so port 0 shows the real one."""
    if isinstance(server, MultiSocketServer):
        pairs = list(server.effective_listen)
    else:
        pairs = [(server.effective_host, server.effective_port)]
    return [f"http://{host}:{port}/" for host, port in pairs]
