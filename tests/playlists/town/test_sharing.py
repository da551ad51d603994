"""The town's side of sync: sharing rules, the feed revision, cached bundles and their media,
villages with device tokens, heartbeats, as-run rows received, and the fleet report."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from playlists.bundles.keys import generate_keys, load_signing_key
from playlists.bundles.manifest import check_signature
from playlists.content import review
from playlists.content.ingest import Ingest
from playlists.errors import NotFoundError, ShareError
from playlists.model import Priority, Review
from playlists.record import audit
from playlists.schedule import entry_table
from playlists.settings import Settings, TownSettings, load_settings
from playlists.store import Store
from playlists.town import bundle_cache, sharing
from tests.town_kit import add_media_playlist
from tests.web_fixtures import NOW, add_pause_playlist

SHANGHAI_DAY = dt.date(2023, 3, 28)


def shared_playlist(ingest: Ingest, tmp_path: Path, name: str = "镇共享节目") -> int:
    playlist_id = add_media_playlist(ingest, tmp_path, name)
    sharing.share(ingest.store, ingest.settings, playlist_id, "chief", NOW)
    return playlist_id


# -- sharing -----------------------------------------------------------------------


def test_an_approved_playlist_is_shared_audited_and_listed(
    ingest: Ingest, store: Store, settings: Settings, tmp_path: Path
) -> None:
    playlist_id = shared_playlist(ingest, tmp_path)
    feed = sharing.current_feed(store, settings)
    assert [(e.id, e.name) for e in feed.entries] == [(playlist_id, "镇共享节目")]
    assert feed.listing()["playlists"][0]["version"] == feed.entries[0].version
    rows = [r for r in audit.rows(store) if r.action == "share"]
    assert [(r.username, r.subject_id, r.detail) for r in rows] == [
        ("chief", playlist_id, "镇共享节目")
    ]


@pytest.mark.parametrize(
    ("state", "code"),
    [
        pytest.param(Review.DRAFT, "NOT_PLAYABLE", id="draft"),
        pytest.param(Review.PENDING, "NOT_PLAYABLE", id="pending"),
        pytest.param(Review.REJECTED, "NOT_PLAYABLE", id="rejected"),
    ],
)
def test_only_approved_playlists_are_shared(
    ingest: Ingest, store: Store, settings: Settings, tmp_path: Path, state: Review, code: str
) -> None:
    playlist_id = add_media_playlist(ingest, tmp_path, review=state)
    with pytest.raises(ShareError) as refused:
        sharing.share(store, settings, playlist_id, "chief", NOW)
    assert refused.value.code == code
    assert sharing.shared_ids(store) == set()
    assert not [r for r in audit.rows(store) if r.action == "share"]


def test_sharing_twice_and_unsharing_what_is_not_shared_are_refused(
    ingest: Ingest, store: Store, settings: Settings, tmp_path: Path
) -> None:
    playlist_id = shared_playlist(ingest, tmp_path)
    with pytest.raises(ShareError) as twice:
        sharing.share(store, settings, playlist_id, "chief", NOW)
    assert twice.value.code == "ALREADY_SHARED"
    sharing.unshare(store, settings, playlist_id, "chief", NOW)
    with pytest.raises(ShareError) as again:
        sharing.unshare(store, settings, playlist_id, "chief", NOW)
    assert again.value.code == "NOT_SHARED"
    assert [r.action for r in audit.rows(store) if r.subject == "playlist"].count("unshare") == 1
    with pytest.raises(NotFoundError):
        sharing.share(store, settings, 999, "chief", NOW)


def test_a_playlist_whose_media_is_gone_is_not_shared(
    ingest: Ingest, store: Store, settings: Settings, tmp_path: Path
) -> None:
    playlist_id = add_media_playlist(ingest, tmp_path)
    for path in settings.media_dir.rglob("*.png"):
        path.unlink()
    with pytest.raises(ShareError) as refused:
        sharing.share(store, settings, playlist_id, "chief", NOW)
    assert refused.value.code == "BUNDLE"
    assert sharing.shared_ids(store) == set()


# -- the feed revision ---------------------------------------------------------------


def test_the_revision_changes_exactly_when_the_shared_listing_does(
    ingest: Ingest, store: Store, settings: Settings, tmp_path: Path
) -> None:
    empty = sharing.current_revision(store, settings)
    playlist_id = shared_playlist(ingest, tmp_path)
    shared = sharing.current_revision(store, settings)
    assert shared != empty

    # Another playlist added, scheduled and approved: not shared, so nothing for villages.
    add_pause_playlist(store, "本村节目")
    assert sharing.current_revision(store, settings) == shared

    # The shared playlist's own schedule changes: a new version, a new revision.
    version = sharing.current_feed(store, settings).entries[0].version
    entry_table.add_schedule(
        store, playlist_id, SHANGHAI_DAY, SHANGHAI_DAY, (dt.time(9),), frozenset(range(7)),
        Priority.SCHEDULED, NOW,
    )  # fmt: skip
    rescheduled = sharing.current_revision(store, settings)
    assert rescheduled != shared
    assert sharing.current_feed(store, settings).entries[0].version != version

    # Changed back to draft: out of the feed; approved again as it was: the same revision.
    review.mark_changed(store, review.PLAYLIST, playlist_id, "op", NOW)
    assert sharing.current_revision(store, settings) == empty
    review.submit(store, review.PLAYLIST, playlist_id, "op", NOW)
    review.approve(store, review.PLAYLIST, playlist_id, "chief", NOW)
    assert sharing.current_revision(store, settings) == rescheduled

    sharing.unshare(store, settings, playlist_id, "chief", NOW)
    assert sharing.current_revision(store, settings) == empty


def test_an_unchanged_feed_builds_no_bundle_and_reads_one_query(
    ingest: Ingest,
    store: Store,
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    shared_playlist(ingest, tmp_path)
    revision = sharing.current_revision(store, settings)

    def no_build(*args: object) -> None:
        raise AssertionError("a poll of an unchanged feed built a bundle")

    monkeypatch.setattr(bundle_cache, "build_bundle", no_build)
    statements: list[str] = []
    store.conn.set_trace_callback(statements.append)
    try:
        assert sharing.current_revision(store, settings) == revision
    finally:
        store.conn.set_trace_callback(None)
    assert len(statements) == 1, statements
    # An unrelated edit costs a few queries of the shared playlist's rows, still no export.
    add_pause_playlist(store, "本村节目")
    assert sharing.current_revision(store, settings) == revision


def test_a_rebuild_rebuilds_only_the_changed_playlist(
    ingest: Ingest,
    store: Store,
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first = shared_playlist(ingest, tmp_path, "第一")
    second = shared_playlist(ingest, tmp_path, "第二")
    built: list[int] = []
    real = bundle_cache.build_bundle

    def counting(store: Store, settings: Settings, playlist_id: int, key: Any) -> Any:
        built.append(playlist_id)
        return real(store, settings, playlist_id, key)

    monkeypatch.setattr(bundle_cache, "build_bundle", counting)
    with store.transaction() as conn:
        conn.execute("UPDATE playlists SET description = '改了' WHERE id = ?", (second,))
    feed = sharing.current_feed(store, settings)
    assert built == [second]
    assert [e.id for e in feed.entries] == [first, second]
    # The old version's zip is gone from the cache; the current ones are there.
    cached = sorted(p.name for p in bundle_cache.bundles_dir(settings).glob("*.zip"))
    assert cached == sorted(f"{e.version}.zip" for e in feed.entries)


def test_a_playlist_that_cannot_be_bundled_any_more_leaves_the_feed_with_its_reason(
    ingest: Ingest, store: Store, settings: Settings, tmp_path: Path
) -> None:
    playlist_id = shared_playlist(ingest, tmp_path)
    for path in settings.media_dir.rglob("*.png"):
        path.unlink()
    with store.transaction() as conn:  # a change, so the feed is built again
        conn.execute("UPDATE playlists SET description = 'x' WHERE id = ?", (playlist_id,))
    feed = sharing.current_feed(store, settings)
    assert feed.entries == ()
    assert "missing" in feed.problems[playlist_id]


# -- bundles and media ---------------------------------------------------------------


def test_the_bundle_index_is_the_bundle_without_media_and_its_version_hashes_the_manifest(
    ingest: Ingest, store: Store, settings: Settings, tmp_path: Path
) -> None:
    playlist_id = shared_playlist(ingest, tmp_path)
    index = sharing.bundle_index(store, settings, playlist_id)
    version = sharing.current_feed(store, settings).entries[0].version
    assert hashlib.sha256(index["manifest"].encode("utf-8")).hexdigest() == version
    assert index["signature"] is None
    assert "name: 镇共享节目" in index["playlist_yaml"]
    listed = json.loads(index["manifest"])["files"]
    assert sorted(listed) == ["media/" + n for n in sorted(_media_names(listed))] + [
        "playlist.yaml"
    ]


def _media_names(listed: dict[str, Any]) -> list[str]:
    return [name.removeprefix("media/") for name in listed if name.startswith("media/")]


def test_bundles_are_signed_with_the_town_key(
    ingest: Ingest, store: Store, settings: Settings, tmp_path: Path
) -> None:
    private, public = generate_keys(tmp_path / "keys", "赤溪镇")
    signed = dataclasses.replace(settings, town=TownSettings(signing_key=str(private)))
    playlist_id = add_media_playlist(Ingest(store, signed), tmp_path)
    sharing.share(store, signed, playlist_id, "chief", NOW)
    index = sharing.bundle_index(store, signed, playlist_id)
    signature = base64.b64decode(index["signature"])
    trusted = (public.read_text(encoding="utf-8").strip(),)
    key = check_signature(signature, index["manifest"].encode("utf-8"), trusted)
    assert key == load_signing_key(private).public


def test_a_missing_signing_key_keeps_playlists_out_of_the_feed_unsigned(
    ingest: Ingest, store: Store, settings: Settings, tmp_path: Path
) -> None:
    playlist_id = shared_playlist(ingest, tmp_path)
    broken = dataclasses.replace(settings, town=TownSettings(signing_key=str(tmp_path / "no.key")))
    feed = sharing.current_feed(store, broken)
    assert feed.entries == ()
    assert "town.signing_key" in feed.problems[playlist_id]


def test_media_are_found_by_sha256_only_in_shared_bundles(
    ingest: Ingest, store: Store, settings: Settings, tmp_path: Path
) -> None:
    playlist_id = shared_playlist(ingest, tmp_path)
    index = sharing.bundle_index(store, settings, playlist_id)
    listed = json.loads(index["manifest"])["files"]
    media = {f["sha256"]: f["size"] for name, f in listed.items() if name.startswith("media/")}
    assert len(media) == 2
    for sha, size in media.items():
        found = sharing.find_media(store, settings, sha)
        assert found is not None
        data = b"".join(bundle_cache.media_chunks(found))
        assert (hashlib.sha256(data).hexdigest(), len(data), found.size) == (sha, size, size)
    not_media = (
        listed["playlist.yaml"]["sha256"],
        "0" * 64,
        "../../villagecast.db",
        next(iter(media)).upper(),
    )
    for wrong in not_media:
        assert sharing.find_media(store, settings, wrong) is None


def _first_media_sha(store: Store, settings: Settings) -> str:
    return next(iter(sharing.current_feed(store, settings).entries[0].media))


def test_media_of_an_unshared_playlist_are_not_served(
    ingest: Ingest, store: Store, settings: Settings, tmp_path: Path
) -> None:
    playlist_id = shared_playlist(ingest, tmp_path)
    sha = _first_media_sha(store, settings)
    sharing.unshare(store, settings, playlist_id, "chief", NOW)
    assert sharing.find_media(store, settings, sha) is None
    with pytest.raises(NotFoundError):
        sharing.bundle_index(store, settings, playlist_id)
    assert list(bundle_cache.bundles_dir(settings).glob("*.zip")) == []


def test_a_cached_bundle_deleted_by_hand_is_made_again(
    ingest: Ingest, store: Store, settings: Settings, tmp_path: Path
) -> None:
    playlist_id = shared_playlist(ingest, tmp_path)
    for path in bundle_cache.bundles_dir(settings).glob("*.zip"):
        path.unlink()
    assert "manifest" in sharing.bundle_index(store, settings, playlist_id)


def test_the_signing_key_path_is_read_relative_to_config_yaml(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text("town: {signing_key: keys/town.key}\n")
    assert load_settings(tmp_path / "config.yaml").town.signing_key == str(
        tmp_path / "keys" / "town.key"
    )
