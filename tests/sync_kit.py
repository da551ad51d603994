"""A fake town for village sync tests: the /town/v1 endpoints in memory, as an HttpClient.

It serves bundles made here from files (playlist.yaml and media), keeps the as-run
rows it is sent by (village row id) as the real town does, and records every request
so tests can count what a village asked for.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import io
import json
from collections.abc import Mapping
from typing import Any

from playlists.bundles.keys import SigningKey
from playlists.bundles.manifest import build_signature
from playlists.errors import TownUnreachableError
from playlists.sync.transport import Reply
from playlists.sync.wire import API_PREFIX, row_digest
from tests.bundle_kit import manifest_of

TOWN_URL = "http://town.test:8080"
TOKEN = "vcd_test-token"


@dataclasses.dataclass
class Shared:
    name: str
    files: dict[str, bytes]
    manifest: bytes
    signature: bytes | None

    @property
    def version(self) -> str:
        return hashlib.sha256(self.manifest).hexdigest()


class FakeTown:
    """The town's endpoints in memory."""

    def __init__(self) -> None:
        self.shared: dict[int, Shared] = {}
        self.requests: list[tuple[str, str]] = []
        self.heartbeats: list[dict[str, Any]] = []
        self.asrun: dict[int, dict[str, Any]] = {}  # kept by the village's row id
        self.asrun_posts = 0
        self.down = False
        self.lose_next_ack = False  # the town stores the rows, the answer never arrives
        self.wrong_media: dict[str, bytes] = {}  # SHA-256 → the bytes served instead
        # After this many as-run posts the town answers 429 (None: never), with this
        # Retry-After header (None: without one).
        self.busy_after_posts: int | None = None
        self.retry_after: str | None = "45"

    def share(
        self, playlist_id: int, name: str, files: dict[str, bytes], key: SigningKey | None = None
    ) -> Shared:
        manifest = manifest_of(files)
        signature = build_signature(key, manifest) if key is not None else None
        self.shared[playlist_id] = Shared(name, files, manifest, signature)
        return self.shared[playlist_id]

    @property
    def revision(self) -> str:
        listing = sorted((i, s.version) for i, s in self.shared.items())
        return hashlib.sha256(repr(listing).encode()).hexdigest()[:16]

    def count(self, method: str, prefix: str) -> int:
        return sum(1 for m, path in self.requests if m == method and path.startswith(prefix))

    # -- the HttpClient seam -------------------------------------------------------

    def request(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes | None = None
    ) -> Reply:
        if self.down:
            raise TownUnreachableError(f"cannot reach the town at {url}: [Errno 111] refused")
        assert url.startswith(TOWN_URL + API_PREFIX), url
        path = url.removeprefix(TOWN_URL + API_PREFIX)
        self.requests.append((method, path))
        if headers.get("Authorization") != f"Bearer {TOKEN}":
            return _json(401, {"error": "The device token is missing or wrong."})
        if method == "POST":
            return self._post(path, json.loads(body or b"{}"))
        return self._get(path, headers)

    def _get(self, path: str, headers: Mapping[str, str]) -> Reply:
        if path == "/feed":
            if headers.get("If-None-Match") == f'"{self.revision}"':
                return Reply(304, {"ETag": f'"{self.revision}"'}, io.BytesIO())
            listing = [
                {"id": i, "name": s.name, "version": s.version}
                for i, s in sorted(self.shared.items())
            ]
            body = {"revision": self.revision, "playlists": listing}
            return _json(200, body, {"ETag": f'"{self.revision}"'})
        if path.startswith("/playlists/") and path.endswith("/bundle-index"):
            shared = self.shared.get(int(path.split("/")[2]))
            if shared is None:
                return _json(404, {"error": "This playlist is not shared with the villages."})
            signature = shared.signature
            return _json(
                200,
                {
                    "manifest": shared.manifest.decode("utf-8"),
                    "signature": base64.b64encode(signature).decode() if signature else None,
                    "playlist_yaml": shared.files["playlist.yaml"].decode("utf-8"),
                },
            )
        if path.startswith("/media/"):
            sha = path.removeprefix("/media/")
            if sha in self.wrong_media:
                return Reply(200, {}, io.BytesIO(self.wrong_media[sha]))
            for shared in self.shared.values():
                for data in shared.files.values():
                    if hashlib.sha256(data).hexdigest() == sha:
                        return Reply(200, {}, io.BytesIO(data))
            return _json(404, {"error": "No shared playlist has a file with this SHA-256."})
        return _json(404, {"error": "not found"})

    def _post(self, path: str, document: dict[str, Any]) -> Reply:
        if path == "/heartbeat":
            self.heartbeats.append(document)
            return Reply(204, {}, io.BytesIO())
        assert path == "/asrun", path
        if self.busy_after_posts is not None and self.asrun_posts >= self.busy_after_posts:
            wait = {"Retry-After": self.retry_after} if self.retry_after is not None else {}
            return _json(429, {"error": "This village calls the town too often."}, wait)
        self.asrun_posts += 1
        rows = document["rows"]
        assert len(rows) <= 500
        for row in rows:
            self.asrun[row["id"]] = row  # an upsert: a row sent again replaces its copy
        if self.lose_next_ack:
            self.lose_next_ack = False
            raise TownUnreachableError("the connection was reset before the answer came")
        acked = [{"id": row["id"], "digest": row_digest(row)} for row in rows]
        return _json(200, {"acked": acked})


def _json(status: int, document: dict[str, Any], headers: dict[str, str] | None = None) -> Reply:
    body = json.dumps(document, ensure_ascii=False).encode("utf-8")
    return Reply(status, {"Content-Type": "application/json", **(headers or {})}, io.BytesIO(body))
