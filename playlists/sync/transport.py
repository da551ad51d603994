"""Talking to the town: the HTTP seam, the town's endpoints, and what can go wrong.

What can go wrong is a ``SyncError`` (playlists/errors.py): the town is unreachable,
or its answer is refused, busy (429) or unusable.

`HttpClient` is the one seam: `UrllibClient` talks HTTP with urllib.request and a
timeout on every socket operation; tests plug in a fake town instead.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import http.client
import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any, Protocol

from playlists.errors import TownAnswerError, TownBusyError, TownRefusedError, TownUnreachableError
from playlists.sync.wire import API_PREFIX, Feed

MAX_JSON_BYTES = 16_000_000  # a bundle index holds playlist.yaml (5 MB) and the manifest
_CHUNK = 1 << 16


def retry_after(reply: Reply) -> float | None:
    """Read Retry-After in seconds (the town sends whole seconds); None when absent or odd."""
    value = reply.headers.get("retry-after", "").strip()
    if not value.isascii() or not value.isdigit() or len(value) > 9:
        return None
    return float(value)


class Body(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...

    def close(self) -> None: ...


class Reply:
    """An answer: status, headers (lower-case names) and a body read on demand."""

    def __init__(self, status: int, headers: Mapping[str, str], body: Body) -> None:
        self.status = status
        self.headers = {name.lower(): value for name, value in headers.items()}
        self._body = body

    def read(self, size: int = -1) -> bytes:
        try:
            return self._body.read(size)
        except (OSError, http.client.HTTPException) as exc:
            raise TownUnreachableError(f"the town's answer was cut off: {exc}") from None

    def close(self) -> None:
        self._body.close()

    def __enter__(self) -> Reply:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class HttpClient(Protocol):
    def request(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes | None = None
    ) -> Reply:
        """Send one request; raise TownUnreachableError when no answer comes."""
        ...


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Never follow a redirect: the device token must not travel to another address."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class UrllibClient:
    """HTTP with urllib.request; timeout_seconds bounds every connect and every read."""

    def __init__(self, timeout_seconds: float) -> None:
        self.timeout = timeout_seconds
        self._opener = urllib.request.build_opener(_NoRedirect())

    def request(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes | None = None
    ) -> Reply:
        request = urllib.request.Request(url, data=body, headers=dict(headers), method=method)
        try:
            response = self._opener.open(request, timeout=self.timeout)
        except urllib.error.HTTPError as exc:  # an answer all the same: 304, 401, 404, 500
            return Reply(exc.code, dict(exc.headers.items()), exc)
        except urllib.error.URLError as exc:
            raise TownUnreachableError(f"cannot reach the town at {url}: {exc.reason}") from None
        except (OSError, http.client.HTTPException) as exc:
            raise TownUnreachableError(f"cannot reach the town at {url}: {exc}") from None
        return Reply(response.status, dict(response.headers.items()), response)


@dataclasses.dataclass(frozen=True)
class BundleIndex:
    manifest: bytes
    signature: bytes | None
    playlist_yaml: bytes


class TownApi:
    """The town's endpoints under /town/v1, with this village's device token."""

    def __init__(self, client: HttpClient, town_url: str, device_token: str) -> None:
        self.client = client
        self.base = town_url.rstrip("/") + API_PREFIX
        self._auth = {"Authorization": f"Bearer {device_token}"}

    def feed(self, etag: str | None) -> Feed | None:
        """Return the shared playlists, or None when they are unchanged since etag."""
        headers = dict(self._auth)
        if etag:
            headers["If-None-Match"] = f'"{etag}"'
        with self._send("GET", "/feed", headers) as reply:
            if reply.status == 304:
                return None
            document = _json_object(reply, "/feed")
            tag = reply.headers.get("etag", "").removeprefix("W/").strip('"')
        return Feed.from_json(document, tag)

    def bundle_index(self, playlist_id: int) -> BundleIndex:
        """Return everything of a shared playlist's bundle except its media files."""
        where = f"/playlists/{playlist_id}/bundle-index"
        with self._send("GET", where, dict(self._auth)) as reply:
            document = _json_object(reply, where)
        manifest, signature, text = (
            document.get("manifest"),
            document.get("signature"),
            document.get("playlist_yaml"),
        )
        if not isinstance(manifest, str) or not isinstance(text, str):
            raise TownAnswerError(f"{where}: 'manifest' and 'playlist_yaml' must be text")
        if signature is not None and not isinstance(signature, str):
            raise TownAnswerError(f"{where}: 'signature' must be text or null")
        return BundleIndex(
            manifest.encode("utf-8"),
            _base64(signature, where) if signature is not None else None,
            text.encode("utf-8"),
        )

    def get(self, where: str) -> dict[str, Any]:
        """GET a JSON document."""
        with self._send("GET", where, dict(self._auth)) as reply:
            return _json_object(reply, where)

    def media(self, sha256: str) -> Reply:
        """Open a media file's bytes; the caller reads, checks and closes it."""
        return self._send("GET", f"/media/{sha256}", dict(self._auth))

    def post(self, where: str, document: dict[str, Any]) -> dict[str, Any] | None:
        """POST a JSON document; return the JSON answer (None for 204 No Content)."""
        body = json.dumps(document, ensure_ascii=False).encode("utf-8")
        headers = {**self._auth, "Content-Type": "application/json; charset=utf-8"}
        with self._send("POST", where, headers, body) as reply:
            if reply.status == 204:
                return None
            return _json_object(reply, where)

    def _send(
        self, method: str, where: str, headers: dict[str, str], body: bytes | None = None
    ) -> Reply:
        reply = self.client.request(method, self.base + where, headers, body)
        if reply.status in (200, 204, 304):
            return reply
        with reply:
            if reply.status == 429:
                raise TownBusyError(_refusal(reply, method, where), retry_after(reply))
            raise TownRefusedError(_refusal(reply, method, where), reply.status)


def _refusal(reply: Reply, method: str, where: str) -> str:
    """Say what the town refused and why, from its {"error": ...} answer if it gave one."""
    message = ""
    try:
        document = json.loads(reply.read(10_000).decode("utf-8"))
        if isinstance(document, dict):
            message = str(document.get("error", ""))
    except (ValueError, UnicodeDecodeError, TownUnreachableError):
        pass
    hint = " (is sync.device_token right?)" if reply.status == 401 else ""
    reason = f": {message}" if message else ""
    return f"the town answered {reply.status} to {method} {where}{reason}{hint}"


def _json_object(reply: Reply, where: str) -> dict[str, Any]:
    data = reply.read(MAX_JSON_BYTES + 1)
    if len(data) > MAX_JSON_BYTES:
        raise TownAnswerError(f"{where}: the answer is over {MAX_JSON_BYTES} bytes")
    try:
        document = json.loads(data.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        raise TownAnswerError(f"{where}: the answer is not JSON") from None
    if not isinstance(document, dict):
        raise TownAnswerError(f"{where}: the answer is not a JSON object")
    return document


def _base64(text: str, where: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise TownAnswerError(f"{where}: 'signature' is not base64") from None
