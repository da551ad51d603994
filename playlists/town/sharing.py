"""A town shares playlists with its villages: sharing, the feed, cached bundles, their media.

Villages poll the feed (GET /town/v1/feed, see README "Town and villages"). It lists
every playlist that is shared and playable, each with its version: the SHA-256 of its
bundle's manifest.json. The bundle is made once per content change by
playlists/bundles/export.py (signed with ``town.signing_key`` when set) and cached as
data_dir/town/bundles/<version>.zip; its media are served out of that zip.

Building a bundle costs time, a poll must not. The feed is kept in ``meta`` with the
``plan_revision`` it was built at (every change to playlists, items, schedules or
announcements bumps that, see playlists/schema.py); a poll reads those few rows and
rebuilds only when the revision moved. A rebuild re-exports only playlists whose own
rows changed (their content key), so editing an unshared notice costs a few queries.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import re
import threading
from typing import Any

from playlists.bundles.keys import SigningKey
from playlists.content import playlist_table
from playlists.content.review import PLAYABLE_SQL
from playlists.errors import NotFoundError, ShareError, VillagecastError
from playlists.record import audit
from playlists.settings import Settings, TownSettings
from playlists.store import Store
from playlists.sync.wire import FEED_REVISION_META, Feed, FeedEntry
from playlists.town import bundle_cache
from playlists.town.bundle_cache import SharedMedia, bundle_path

FEED_META = "town_feed"  # the feed document: entries with content keys and media
FEED_BASIS_META = "town_feed_basis"  # what the feed was built from
SUBJECT = "playlist"
_SHA256 = re.compile(r"[0-9a-f]{64}")
_rebuilding = threading.Lock()  # one rebuild at a time per process; polls meanwhile wait


@dataclasses.dataclass(frozen=True)
class SharedPlaylist:
    """A playlist the feed lists, with what the town keeps to serve and rebuild its bundle."""

    id: int
    name: str
    version: str  # SHA-256 of the bundle's manifest.json
    key: str  # the content key the bundle was built from
    media: dict[str, str]  # SHA-256 → file name inside the bundle

    def listed(self) -> FeedEntry:
        return FeedEntry(self.id, self.name, self.version)


@dataclasses.dataclass(frozen=True)
class SharedFeed:
    """The feed as the town keeps it: what it lists, and what could not be listed and why."""

    revision: str
    entries: tuple[SharedPlaylist, ...]
    problems: dict[int, str]  # shared and playable, but no bundle could be made: why

    def listing(self) -> dict[str, Any]:
        """Return the body of GET /town/v1/feed."""
        return Feed(self.revision, tuple(e.listed() for e in self.entries)).to_json()


def share(store: Store, settings: Settings, playlist_id: int, user: str, now: dt.datetime) -> None:
    """Share a playable playlist with the villages; its bundle is built first."""
    name, shared, playable = _sharing_state(store, playlist_id)
    if shared:
        raise ShareError(f"playlist {name!r} is already shared", "ALREADY_SHARED")
    if not playable:
        raise ShareError(
            f"playlist {name!r} is not approved for broadcast; only approved playlists "
            "are shared with villages",
            "NOT_PLAYABLE",
        )
    try:  # a bundle that cannot be made would never reach a village: say so now
        key = bundle_cache.signing_key(settings.town)
        built = _build(
            store, settings, playlist_id, key, bundle_cache.content_key(store, playlist_id, key)
        )
    except VillagecastError as exc:
        raise ShareError(
            f"playlist {name!r} cannot be made into a bundle: {exc}", "BUNDLE"
        ) from None
    with store.transaction() as conn:
        _name, shared, playable = _sharing_state(store, playlist_id)
        if shared or not playable:  # changed while the bundle was made
            raise ShareError(f"playlist {name!r} changed meanwhile; try again", "NOT_PLAYABLE")
        playlist_table.set_shared(conn, playlist_id, True)
        audit.record(
            store, user, "share", now, subject=SUBJECT, subject_id=playlist_id, detail=name
        )
    refresh_feed(store, settings, built)


def unshare(
    store: Store, settings: Settings, playlist_id: int, user: str, now: dt.datetime
) -> None:
    """Stop sharing a playlist; villages keep the copies they have."""
    with store.transaction() as conn:
        name, shared, _playable = _sharing_state(store, playlist_id)
        if not shared:
            raise ShareError(f"playlist {name!r} is not shared", "NOT_SHARED")
        playlist_table.set_shared(conn, playlist_id, False)
        audit.record(
            store, user, "unshare", now, subject=SUBJECT, subject_id=playlist_id, detail=name
        )
    refresh_feed(store, settings)


def _sharing_state(store: Store, playlist_id: int) -> tuple[str, bool, bool]:
    row = store.query_one(
        f"SELECT p.name, p.shared, {PLAYABLE_SQL} AS playable FROM playlists p WHERE p.id = ?",
        (playlist_id,),
    )
    if row is None:
        raise NotFoundError(f"playlist {playlist_id} does not exist")
    return str(row["name"]), bool(row["shared"]), bool(row["playable"])


def shared_ids(store: Store) -> set[int]:
    return {int(row["id"]) for row in store.query("SELECT id FROM playlists WHERE shared = 1")}


# -- the feed --------------------------------------------------------------------


def current_revision(store: Store, settings: Settings) -> str:
    """Return the feed's revision: one small query, unless content changed since."""
    keys = ("plan_revision", FEED_BASIS_META, FEED_REVISION_META)
    values = {
        row["key"]: row["value"]
        for row in store.query("SELECT key, value FROM meta WHERE key IN (?, ?, ?)", keys)
    }
    revision = values.get(FEED_REVISION_META)
    basis = _basis(values.get("plan_revision"), settings.town)
    if revision and values.get(FEED_BASIS_META) == basis:
        return str(revision)
    # While another request rebuilds, answer with the feed as it was: a village asks
    # again at its next poll, and no server thread waits on a long export.
    feed = _refresh(store, settings, None, wait=not revision)
    return feed.revision if feed else str(revision)


def current_feed(store: Store, settings: Settings) -> SharedFeed:
    """Return the feed as it stands, rebuilt first if content changed since."""
    current_revision(store, settings)
    return _load(store)


def refresh_feed(
    store: Store, settings: Settings, built: SharedPlaylist | None = None
) -> SharedFeed:
    """Rebuild the feed from the shared playlists, re-exporting only those that changed.

    `built` is a bundle just made for a playlist being shared, so it is not made twice.
    """
    feed = _refresh(store, settings, built, wait=True)
    assert feed is not None  # a waiting rebuild always ends with a feed
    return feed


def _refresh(
    store: Store, settings: Settings, built: SharedPlaylist | None, *, wait: bool
) -> SharedFeed | None:
    """Rebuild the feed; without `wait`, return None at once when another thread is at it."""
    if not _rebuilding.acquire(blocking=wait):
        return None
    try:
        # Read before building: a change made during the build leaves the basis stale.
        basis = _basis(str(store.plan_revision()), settings.town)
        if store.meta(FEED_BASIS_META) == basis and store.meta(FEED_REVISION_META):
            return _load(store)  # another thread rebuilt it while this one waited
        feed = _rebuild(store, settings, built)
        with store.transaction():
            store.set_meta(FEED_META, json.dumps(_document(feed), ensure_ascii=False))
            store.set_meta(FEED_REVISION_META, feed.revision)
            store.set_meta(FEED_BASIS_META, basis)
        bundle_cache.prune_bundles(settings, (e.version for e in feed.entries))
        return feed
    finally:
        _rebuilding.release()


def _basis(plan_revision: str | None, town: TownSettings) -> str:
    return f"{plan_revision}|{town.signing_key}"


def _rebuild(store: Store, settings: Settings, built: SharedPlaylist | None) -> SharedFeed:
    old = {entry.id: entry for entry in _load(store).entries}
    if built is not None:
        old[built.id] = built
    problems: dict[int, str] = {}
    entries: list[SharedPlaylist] = []
    try:
        key = bundle_cache.signing_key(settings.town)
    except VillagecastError as exc:  # no unsigned bundle where a signed one is promised
        key, problem = None, f"town.signing_key: {exc}"
    else:
        problem = ""
    rows = store.query(
        f"SELECT p.id, p.name FROM playlists p WHERE p.shared = 1 AND {PLAYABLE_SQL} ORDER BY p.id"
    )
    for row in rows:
        playlist_id = int(row["id"])
        if problem:
            problems[playlist_id] = problem
            continue
        content = bundle_cache.content_key(store, playlist_id, key)
        known = old.get(playlist_id)
        if known and known.key == content and bundle_path(settings, known.version).is_file():
            entries.append(dataclasses.replace(known, name=str(row["name"])))
            continue
        try:
            entries.append(_build(store, settings, playlist_id, key, content))
        except VillagecastError as exc:  # kept out of the feed and shown to town staff
            problems[playlist_id] = str(exc)
    return SharedFeed(_revision(entries), tuple(entries), problems)


def _revision(entries: list[SharedPlaylist]) -> str:
    listing = [[e.id, e.name, e.version] for e in sorted(entries, key=lambda e: e.id)]
    text = json.dumps(listing, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def _build(
    store: Store, settings: Settings, playlist_id: int, key: SigningKey | None, content: str
) -> SharedPlaylist:
    made = bundle_cache.build_bundle(store, settings, playlist_id, key)
    return SharedPlaylist(playlist_id, made.name, made.version, content, made.media)


def _document(feed: SharedFeed) -> dict[str, Any]:
    return {
        "revision": feed.revision,
        "entries": [dataclasses.asdict(entry) for entry in feed.entries],
        "problems": {str(k): v for k, v in feed.problems.items()},
    }


def _load(store: Store) -> SharedFeed:
    text = store.meta(FEED_META)
    if not text:
        return SharedFeed("", (), {})
    document = json.loads(text)
    entries = tuple(SharedPlaylist(**entry) for entry in document["entries"])
    problems = {int(k): str(v) for k, v in document["problems"].items()}
    return SharedFeed(str(document["revision"]), entries, problems)


# -- bundles and media for villages ----------------------------------------------


def bundle_index(store: Store, settings: Settings, playlist_id: int) -> dict[str, Any]:
    """Return everything of a shared playlist's bundle but its media files."""
    path = bundle_path(settings, _entry(store, settings, playlist_id).version)
    if not path.is_file():  # deleted by hand: build the feed again
        store.set_meta(FEED_BASIS_META, "")
        refresh_feed(store, settings)
        path = bundle_path(settings, _entry(store, settings, playlist_id).version)
        if not path.is_file():
            raise NotFoundError(f"the bundle of playlist {playlist_id} is being made again")
    return bundle_cache.read_index(path)


def _entry(store: Store, settings: Settings, playlist_id: int) -> SharedPlaylist:
    for entry in current_feed(store, settings).entries:
        if entry.id == playlist_id:
            return entry
    raise NotFoundError(f"playlist {playlist_id} is not shared with villages")


def find_media(store: Store, settings: Settings, sha256: str) -> SharedMedia | None:
    """Find a media file by SHA-256 in the bundles the feed lists now."""
    if not _SHA256.fullmatch(sha256):
        return None
    for entry in current_feed(store, settings).entries:
        name = entry.media.get(sha256)
        path = bundle_path(settings, entry.version)
        if name is not None and path.is_file():
            return bundle_cache.locate_media(path, name)
    return None
