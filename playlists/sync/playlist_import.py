"""Store a town's playlist at the village: new, or replacing the copy of an older version.

The village's copy keeps its id (so the village's own schedule entries for it stay);
its items, its announcements and the schedule entries that came from the town are
replaced in one transaction, with an audit row "sync". The review follows the bundle
rules: signed by a trusted key with bundles.signed_counts_as_approval, it is
approved; otherwise it is a draft for the village's reviewer.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import sqlite3

from playlists.access import emergency_right
from playlists.bundles.bundle import CheckedBundle, bundle_review
from playlists.content import announcement_table, playlist_table
from playlists.content.ingest import Ingest
from playlists.content.playlist_format import PlaylistSpec
from playlists.content.review import set_reviewer
from playlists.errors import NameTakenError
from playlists.model import Review
from playlists.record import audit
from playlists.schedule import entry_table
from playlists.store import Store

SYNC_USER = "town-sync"  # who the audit log and the review state name for the town
SCHEDULES_META = "sync_schedules:"  # + origin: ids of the entries that came from the town
MEDIA_META = "sync_media:"  # + origin: the town media files the stored version uses
TAKEN_META = "sync_taken:"  # + origin: the version last taken (the copy may be deleted since)


@dataclasses.dataclass(frozen=True)
class Installed:
    playlist_id: int
    name: str
    replaced: bool
    review: Review


def origin_of(town_playlist_id: int) -> str:
    return f"town:{town_playlist_id}"


def local_version(store: Store, origin: str) -> str | None:
    row = store.query_one("SELECT origin_version FROM playlists WHERE origin = ?", (origin,))
    return None if row is None else row["origin_version"]


def deleted_here(store: Store, origin: str, version: str) -> bool:
    """Tell whether the village deleted its copy of this very version (it stays deleted)."""
    return local_version(store, origin) is None and store.meta(TAKEN_META + origin) == version


def install(
    ingest: Ingest, bundle: CheckedBundle, origin: str, version: str, media: list[str]
) -> Installed | None:
    """Store a checked bundle as the village's copy of origin; None if it already is."""
    store, spec = ingest.store, bundle.spec
    # The town's right travels with its signature only: an unsigned feed may not.
    emergency_right.check((entry.priority for entry in spec.schedule), bundle.signer is not None)
    review, reviewed_by, note = bundle_review(ingest.settings.bundles, bundle.signer)
    if local_version(store, origin) == version:
        return None
    prepared = ingest.prepare_items(spec, bundle.folder)  # slow: speech, leveling, slides
    now = ingest.now()
    with store.transaction() as conn:
        old = conn.execute("SELECT id FROM playlists WHERE origin = ?", (origin,)).fetchone()
        if local_version(store, origin) == version:
            return None  # `villagecast sync` and the player's thread raced; one is enough
        _check_name_free(conn, spec.name, origin)
        items = ingest.add_items(spec, prepared, SYNC_USER, review, now)
        if old is None:
            playlist_id = playlist_table.add_playlist(
                store, spec.name, spec.description, items, now, review=review, created_by=SYNC_USER
            )
        else:
            playlist_id = int(old["id"])
            _replace(store, conn, playlist_id, spec, items, review, origin, now)
        playlist_table.set_origin(conn, playlist_id, origin, version)
        _add_schedules(store, spec, playlist_id, origin, now)
        store.set_meta(MEDIA_META + origin, json.dumps(sorted(media)))
        store.set_meta(TAKEN_META + origin, version)
        state = review.value
        if reviewed_by is not None and review is Review.APPROVED:
            set_reviewer(store, playlist_id, reviewed_by)
            state = f"{state} by {reviewed_by}"
        change = "new version" if old is not None else "new"
        audit.record(
            store,
            SYNC_USER,
            "sync",
            now,
            subject="playlist",
            subject_id=playlist_id,
            detail=f"{spec.name} ({change} from the town, {origin}; {state}); {note}",
        )
    return Installed(playlist_id, spec.name, old is not None, review)


def _check_name_free(conn: sqlite3.Connection, name: str, origin: str) -> None:
    row = conn.execute(
        "SELECT id FROM playlists WHERE name = ? AND origin IS NOT ?", (name, origin)
    ).fetchone()
    if row is not None:
        raise NameTakenError(
            f"the town's playlist {name!r} was not taken: this station already has a "
            f"playlist of that name (id {row['id']}); rename it to take the town's"
        )


def _replace(
    store: Store,
    conn: sqlite3.Connection,
    playlist_id: int,
    spec: PlaylistSpec,
    items: list[playlist_table.NewItem],
    review: Review,
    origin: str,
    now: dt.datetime,
) -> None:
    """Swap in the new version's items and drop what only the old version used."""
    stale = [
        row["announcement_id"]
        for row in conn.execute(
            "SELECT announcement_id FROM playlist_items "
            "WHERE playlist_id = ? AND announcement_id IS NOT NULL",
            (playlist_id,),
        )
    ]
    old_entries = json.loads(store.meta(SCHEDULES_META + origin) or "[]")
    entry_table.delete_entries_of(conn, playlist_id, old_entries)
    playlist_table.replace_playlist(
        store,
        playlist_id,
        spec.name,
        spec.description,
        items,
        now,
        review=review,
        created_by=SYNC_USER,
    )
    announcement_table.delete_unplayed(conn, stale)


def _add_schedules(
    store: Store, spec: PlaylistSpec, playlist_id: int, origin: str, now: dt.datetime
) -> None:
    ids = [entry_table.add_with_content(store, playlist_id, e, now) for e in spec.schedule]
    store.set_meta(SCHEDULES_META + origin, json.dumps(ids))
