"""One sync of a village with its town: heartbeat, shared playlists, as-run log.

`run_cycle` is a plain function of the store, the settings, the ingest, an HTTP
client and the time, so tests drive it with a fake town and no sleeps; the player
daemon calls it from its own thread (scheduler/sync_thread.py), `villagecast sync`
once. A cycle:

0. GET /emergencies, when the player asks (`on_emergency`): the town's live signed
   emergencies, handed to the player's receive path (the broker's fallback).
1. POST /heartbeat: the player's clock, what is on air, free disk, version.
2. GET /feed with the ETag of the last complete sync: 304 means nothing changed.
3. For every shared playlist whose version differs from the village's copy: GET its
   bundle-index, download the media files not already kept, check the assembled
   bundle as an uploaded one, and store it, replacing the older copy.
4. POST /asrun with the rows the town lacks, oldest first, 500 at a time.
5. The answers to town emergencies not given on the broker (playlists/sync/emergency_outbox.py).
6. The evidence photos and videos the town lacks, in pieces (playlists/sync/evidence_outbox.py).

A town that does not answer raises TownUnreachableError (the caller backs off); a
playlist that is refused is reported, and the others go on.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import importlib.metadata
import json
import logging
import shutil
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from media.errors import MediaError
from playlists.clock import station_iso
from playlists.content.ingest import Ingest
from playlists.errors import (
    BundleError,
    ContentError,
    MediaDownloadError,
    NameTakenError,
    TownAnswerError,
    TownRefusedError,
)
from playlists.health import HEARTBEAT_STALE
from playlists.settings import Settings
from playlists.store import Store, from_db_time
from playlists.sync import emergency_outbox, outbox
from playlists.sync.evidence_outbox import EvidenceReport, send_evidence
from playlists.sync.media import Downloads, MediaCache, assemble, index_files, media_sha256s
from playlists.sync.playlist_import import (
    MEDIA_META,
    Installed,
    deleted_here,
    install,
    local_version,
    origin_of,
)
from playlists.sync.transport import HttpClient, TownApi
from playlists.sync.wire import MAX_ASRUN_ROWS, FeedEntry

log = logging.getLogger(__name__)

ETAG_META = "sync_feed_etag"


@dataclasses.dataclass
class CycleReport:
    """What one sync did, for the log, the system page and `villagecast sync`."""

    feed_changed: bool = False
    shared: int = 0  # playlists the town shares
    imported: list[str] = dataclasses.field(default_factory=list)
    refused: list[str] = dataclasses.field(default_factory=list)
    downloads: Downloads = dataclasses.field(default_factory=Downloads)
    asrun_sent: int = 0
    emergencies: int = 0  # live town emergencies handed to the player
    answers_sent: int = 0  # answers to town emergencies given by sync
    evidence: EvidenceReport = dataclasses.field(default_factory=EvidenceReport)

    def lines(self) -> list[str]:
        feed = f"{self.shared} shared playlists" if self.feed_changed else "feed unchanged"
        lines = [
            f"heartbeat sent; {feed}; {self.downloads.files} media files downloaded "
            f"({self.downloads.bytes / 1e6:.1f} MB); {self.asrun_sent} as-run rows sent"
        ]
        lines += [f"imported {name}" for name in self.imported]
        lines += [f"refused {reason}" for reason in self.refused]
        if self.answers_sent:
            lines.append(f"{self.answers_sent} answers to town emergencies sent")
        if self.evidence.sent or self.evidence.refused:
            lines.append(f"{self.evidence.sent} evidence items sent")
        lines += [f"evidence refused {reason}" for reason in self.evidence.refused]
        return lines


def run_cycle(
    store: Store,
    settings: Settings,
    ingest: Ingest,
    client: HttpClient,
    now: dt.datetime,
    refused: dict[str, str] | None = None,
    on_emergency: Callable[[bytes], None] | None = None,
) -> CycleReport:
    """Sync once with the town; refused remembers (origin → version) what not to retry."""
    api = TownApi(client, settings.sync.town_url, settings.sync.device_token)
    refused = {} if refused is None else refused
    report = CycleReport()
    if on_emergency is not None:
        for payload in _live_emergencies(api):
            on_emergency(payload)
            report.emergencies += 1
    api.post("/heartbeat", heartbeat(store, settings, now))
    feed = api.feed(store.meta(ETAG_META))
    if feed is not None:
        report.feed_changed, report.shared = True, len(feed.playlists)
        complete = all(
            [_take(store, settings, ingest, api, e, refused, report) for e in feed.playlists]
        )
        if complete and feed.revision:
            store.set_meta(ETAG_META, feed.revision)
        MediaCache(settings).prune(_media_in_use(store))
    report.asrun_sent = send_asrun(store, settings.tz, api, now)
    answers = emergency_outbox.AnswerOutbox.in_data_dir(settings.data_dir)
    report.answers_sent = emergency_outbox.send_answers(answers, api)
    report.evidence = send_evidence(store, settings, client, now)
    return report


def _live_emergencies(api: TownApi) -> list[bytes]:
    """Fetch the town's live emergencies; none from a town too old to serve them (404)."""
    try:
        return emergency_outbox.fetch_live(api)
    except TownRefusedError as exc:
        if exc.status != 404:
            raise
        log.debug("the town serves no emergencies by sync: %s", exc)
        return []


def _take(
    store: Store,
    settings: Settings,
    ingest: Ingest,
    api: TownApi,
    entry: FeedEntry,
    refused: dict[str, str],
    report: CycleReport,
) -> bool:
    """Bring one shared playlist up to the town's version; False if it is not."""
    origin = origin_of(entry.id)
    if local_version(store, origin) == entry.version or deleted_here(store, origin, entry.version):
        return True  # a copy deleted here comes back only with a new version
    if refused.get(origin) == entry.version:
        return False  # refused before: the same bytes would be refused again
    try:
        installed = _fetch_and_install(settings, ingest, api, entry, origin, report)
    except (MediaDownloadError, NameTakenError, TownAnswerError, OSError) as exc:
        # Worth another try next cycle: bytes damaged on the way, a file the town
        # lacks for now, a local playlist of that name, a full disk. Only an
        # unreachable town stops the whole cycle.
        return _refuse(report, entry, exc)
    except (BundleError, ContentError, MediaError) as exc:
        # The checks refused the bundle: the same version is not fetched again until
        # the player restarts (config.yaml may have changed, e.g. trusted_keys).
        refused[origin] = entry.version
        return _refuse(report, entry, exc)
    if installed is not None:
        state = installed.review.value
        how = "a new version" if installed.replaced else "new"
        report.imported.append(f"{installed.name!r} ({how}, {state})")
        log.info("took the town's playlist %r (%s, %s)", installed.name, how, state)
    return True


def _fetch_and_install(
    settings: Settings,
    ingest: Ingest,
    api: TownApi,
    entry: FeedEntry,
    origin: str,
    report: CycleReport,
) -> Installed | None:
    index = api.bundle_index(entry.id)
    files = index_files(index.manifest, index.signature, index.playlist_yaml)
    with assemble(settings, api, files, report.downloads) as bundle:
        version = hashlib.sha256(index.manifest).hexdigest()
        return install(ingest, bundle, origin, version, media_sha256s(index.manifest))


def _refuse(report: CycleReport, entry: FeedEntry, exc: Exception) -> bool:
    report.refused.append(f"{entry.name!r}: {exc}")
    log.error("the town's playlist %r was not taken: %s", entry.name, exc)
    return False


def heartbeat(store: Store, settings: Settings, now: dt.datetime) -> dict[str, Any]:
    """Return the heartbeat body, from what the player last wrote to the store."""
    status = store.status()
    beat = from_db_time(status.get("heartbeat"))
    running = beat is not None and abs(now - beat) <= HEARTBEAT_STALE
    clock = status.get("clock") or {}
    playing = status.get("now_playing") if running else None
    free = shutil.disk_usage(settings.data_dir).free if settings.data_dir.exists() else 0
    return {
        "now": station_iso(now, settings.tz),
        "clock_synchronized": clock.get("synchronized"),
        "now_playing": playing.get("name") if isinstance(playing, dict) else None,
        "free_mb": round(free / 1e6),
        "version": _version(),
        "player_running": running,
    }


def send_asrun(store: Store, tz: ZoneInfo, api: TownApi, now: dt.datetime) -> int:
    """Send the rows the town lacks, 500 at a time, remembering each acknowledgement."""
    sent = 0
    while rows := outbox.pending(store, tz):
        answer = api.post("/asrun", {"rows": rows}) or {}
        acked = _acks(answer, {row["id"] for row in rows})
        if not acked:
            raise TownAnswerError("/asrun: the town acknowledged none of the rows sent")
        sent += outbox.mark_sent(store, acked, now)
        if len(rows) < MAX_ASRUN_ROWS:
            break
    return sent


def _acks(answer: dict[str, Any], sent_ids: set[int]) -> list[tuple[int, str]]:
    acked = answer.get("acked")
    if not isinstance(acked, list):
        raise TownAnswerError("/asrun: the answer has no 'acked' list")
    pairs = []
    for ack in acked:
        if not isinstance(ack, dict):
            raise TownAnswerError("/asrun: every acknowledgement must be an object")
        row_id, digest = ack.get("id"), ack.get("digest")
        if row_id in sent_ids and isinstance(row_id, int) and isinstance(digest, str):
            pairs.append((row_id, digest))
    return pairs


def _media_in_use(store: Store) -> set[str]:
    rows = store.query(
        "SELECT value FROM meta WHERE substr(key, 1, ?) = ?", (len(MEDIA_META), MEDIA_META)
    )
    return {sha for row in rows for sha in json.loads(row["value"])}


def _version() -> str:
    try:
        return importlib.metadata.version("villagecast")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"
