"""A village's sync with its town (playlists/sync/client.py), against a fake town in memory.

The fake town (tests/sync_kit.py) plugs in at the HTTP seam; everything else is
real: the store, the bundle checks, espeak-ng and ffmpeg for the imported content.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from playlists.bundles.keys import SigningKey, generate_keys, load_signing_key
from playlists.content import announcement_table, playlist_table
from playlists.content.ingest import Ingest
from playlists.errors import TownBusyError, TownRefusedError, TownUnreachableError
from playlists.model import Outcome, Priority
from playlists.record import asrun
from playlists.schedule import entry_table
from playlists.settings import BundleSettings, Settings, SyncSettings
from playlists.store import Store
from playlists.sync.client import CycleReport, run_cycle
from tests.bundle_kit import (
    GOOD_ITEMS,
    files_under,
    make_png,
    make_wav,
    playlist_yaml,
    store_fingerprint,
)
from tests.conftest import make_settings
from tests.sync_kit import TOKEN, TOWN_URL, FakeTown

NOW = dt.datetime(2023, 3, 28, 1, 0, tzinfo=dt.UTC)
NAME = "镇共享节目"
V2_ITEMS = (
    "  - announcement: 请注意，第二版通知\n"
    "  - audio: media/chime.wav\n"
    "  - image: media/poster.png\n"
    "    duration: 5\n"
)
V2_SCHEDULE = "schedule:\n  - {start: 2023-03-28, end: 2023-04-07, times: ['09:00']}\n"


@pytest.fixture(scope="module")
def wav() -> bytes:
    return make_wav(1.0)


@pytest.fixture(scope="module")
def png() -> bytes:
    return make_png()


@pytest.fixture(scope="module")
def town_key(tmp_path_factory: pytest.TempPathFactory) -> SigningKey:
    private, _ = generate_keys(tmp_path_factory.mktemp("keys"), "镇")
    return load_signing_key(private)


def village_settings(data_dir: Path, **bundles: object) -> Settings:
    sync = SyncSettings(town_url=TOWN_URL, device_token=TOKEN, poll_seconds=1)
    return make_settings(data_dir, sync=sync, bundles=BundleSettings(**bundles))  # type: ignore[arg-type]


@pytest.fixture
def village(tmp_path: Path) -> Settings:
    return village_settings(tmp_path / "data")


@pytest.fixture
def approving(tmp_path: Path, town_key: SigningKey) -> Settings:
    """A village that trusts the town's key and takes its signature as the review."""
    return village_settings(
        tmp_path / "data", trusted_keys=(town_key.public.line,), signed_counts_as_approval=True
    )


@pytest.fixture
def town() -> FakeTown:
    return FakeTown()


class Village:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.store = Store.open(settings.db_path)
        self.ingest = Ingest(self.store, settings, now=lambda: NOW)
        self.refused: dict[str, str] = {}

    def sync(self, town: FakeTown) -> CycleReport:
        return run_cycle(self.store, self.settings, self.ingest, town, NOW, self.refused)

    def copy(self, origin: str = "town:1") -> dict[str, Any] | None:
        row = self.store.query_one("SELECT * FROM playlists WHERE origin = ?", (origin,))
        return None if row is None else dict(row)


def open_village(settings: Settings) -> Iterator[Village]:
    village = Village(settings)
    yield village
    village.store.close()


@pytest.fixture
def v(village: Settings) -> Iterator[Village]:
    yield from open_village(village)


@pytest.fixture
def va(approving: Settings) -> Iterator[Village]:
    yield from open_village(approving)


def files(wav: bytes, png: bytes, items: str = GOOD_ITEMS, schedule: str | None = None) -> dict:
    kwargs = {} if schedule is None else {"schedule": schedule}
    return {
        "playlist.yaml": playlist_yaml(items, name=NAME, **kwargs),
        "media/chime.wav": wav,
        "media/poster.png": png,
    }


def other_png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (30, 200, 30)).save(out, "PNG")
    return out.getvalue()


# -- shared playlists --------------------------------------------------------------


def test_a_new_shared_playlist_is_imported_as_a_draft_with_its_schedule(
    v: Village, town: FakeTown, wav: bytes, png: bytes
) -> None:
    shared = town.share(1, NAME, files(wav, png))
    report = v.sync(town)
    assert report.imported == [f"{NAME!r} (new, draft)"] and not report.refused
    copy = v.copy()
    assert copy is not None
    assert (copy["name"], copy["origin_version"], copy["review"]) == (NAME, shared.version, "draft")
    assert copy["changed_by"] == "town-sync"
    playlist = playlist_table.get_playlist(v.store, copy["id"], v.settings.media_dir)
    assert [item.kind.value for item in playlist.items] == [
        "announcement",
        "audio",
        "image",
        "pause",
    ]
    entries = [e for e in entry_table.schedule_entries(v.store) if e.playlist_id == copy["id"]]
    assert [(e.times, e.weekdays) for e in entries] == [((dt.time(8, 0),), frozenset({0, 2}))]
    audit = v.store.query("SELECT username, action, detail FROM audit")
    assert [(a["username"], a["action"]) for a in audit] == [("town-sync", "sync")]
    assert "unsigned bundle" in audit[0]["detail"]
    cached = v.settings.data_dir / "town" / "media"
    assert sorted(p.name for p in cached.iterdir()) == sorted(
        hashlib.sha256(data).hexdigest() for data in (wav, png)
    )
    assert files_under(v.settings.data_dir / "tmp") == []
    assert town.heartbeats[0].keys() == {
        "now", "clock_synchronized", "now_playing", "free_mb", "version", "player_running"
    }  # fmt: skip
    assert town.heartbeats[0]["player_running"] is False  # no player wrote a heartbeat here


def test_a_playlist_signed_by_a_trusted_town_is_approved(
    va: Village, town: FakeTown, wav: bytes, png: bytes, town_key: SigningKey
) -> None:
    town.share(1, NAME, files(wav, png), key=town_key)
    assert va.sync(town).imported == [f"{NAME!r} (new, approved)"]
    copy = va.copy()
    assert copy is not None and copy["reviewed_by"] == "town key 镇"
    assert playlist_table.list_playlists(va.store)[0]["playable"]


def test_a_key_the_village_does_not_trust_is_refused_once_and_not_fetched_again(
    v: Village, town: FakeTown, wav: bytes, png: bytes, town_key: SigningKey
) -> None:
    town.share(1, NAME, files(wav, png), key=town_key)
    first = v.sync(town)
    assert "not in bundles.trusted_keys" in first.refused[0] and v.copy() is None
    index_requests = town.count("GET", "/playlists/")
    second = v.sync(town)
    assert second.refused == [] and town.count("GET", "/playlists/") == index_requests
    assert v.store.meta("sync_feed_etag") is None  # the feed is read in full until it changes


EMERGENCY_SCHEDULE = (
    "schedule:\n  - {start: 2023-03-28, end: 2023-04-07, times: ['03:00'], priority: emergency}\n"
)


def test_an_unsigned_emergency_entry_is_refused_and_nothing_is_stored(
    v: Village, town: FakeTown, wav: bytes, png: bytes
) -> None:
    town.share(1, NAME, files(wav, png, schedule=EMERGENCY_SCHEDULE))
    report = v.sync(town)
    assert report.imported == [] and "emergency right" in report.refused[0]
    assert v.copy() is None and entry_table.schedule_entries(v.store) == []


def test_a_signed_emergency_entry_carries_the_town_s_right(
    va: Village, town: FakeTown, wav: bytes, png: bytes, town_key: SigningKey
) -> None:
    town.share(1, NAME, files(wav, png, schedule=EMERGENCY_SCHEDULE), key=town_key)
    assert va.sync(town).imported == [f"{NAME!r} (new, approved)"]
    assert [e.priority for e in entry_table.schedule_entries(va.store)] == [Priority.EMERGENCY]


def test_a_schedule_over_the_caps_is_refused_and_nothing_is_stored(
    v: Village, town: FakeTown, wav: bytes, png: bytes
) -> None:
    """The red team's 80 entries (issue 11, finding 4) from the town, not a file."""
    entry = "  - {start: 2023-03-28, end: 2023-04-07, times: ['08:00', '12:00']}\n"
    town.share(1, NAME, files(wav, png, schedule="schedule:\n" + entry * 80))
    report = v.sync(town)
    assert report.imported == [] and "'schedule' has 80 entries; at most 20" in report.refused[0]
    assert v.copy() is None and entry_table.schedule_entries(v.store) == []


def test_an_unchanged_feed_is_a_304_and_nothing_is_downloaded(
    v: Village, town: FakeTown, wav: bytes, png: bytes
) -> None:
    town.share(1, NAME, files(wav, png))
    v.sync(town)
    town.requests.clear()
    report = v.sync(town)
    assert town.requests == [("POST", "/heartbeat"), ("GET", "/feed")]
    assert not report.feed_changed and report.downloads.files == 0


@pytest.mark.slow
def test_a_new_version_replaces_the_copy_and_the_town_schedule_but_not_the_village_s(
    va: Village, town: FakeTown, wav: bytes, png: bytes, town_key: SigningKey
) -> None:
    town.share(1, NAME, files(wav, png), key=town_key)
    va.sync(town)
    copy = va.copy()
    assert copy is not None
    playlist_id = copy["id"]
    own = entry_table.add_schedule(
        va.store, playlist_id, dt.date(2023, 3, 30), dt.date(2023, 3, 30), (dt.time(19, 0),),
        frozenset(range(7)), Priority.SCHEDULED, NOW,
    )  # fmt: skip
    v2 = town.share(1, NAME, files(wav, png, V2_ITEMS, V2_SCHEDULE), key=town_key)
    report = va.sync(town)
    assert report.imported == [f"{NAME!r} (a new version, approved)"]
    copy = va.copy()
    assert copy is not None and copy["id"] == playlist_id and copy["origin_version"] == v2.version
    playlist = playlist_table.get_playlist(va.store, playlist_id, va.settings.media_dir)
    assert [item.text for item in playlist.items][:1] == ["请注意，第二版通知"]
    assert len(playlist.items) == 3
    times = {e.id: e.times for e in entry_table.schedule_entries(va.store)}
    assert times.pop(own) == (dt.time(19, 0),)
    assert list(times.values()) == [(dt.time(9, 0),)]
    texts = [a.text for a in announcement_table.list_announcements(va.store)]
    assert texts == ["请注意，第二版通知"]  # the old version's announcement went with it
    actions = [row["action"] for row in va.store.query("SELECT action FROM audit ORDER BY id")]
    assert actions == ["sync", "sync"]


@pytest.mark.slow
def test_only_the_media_files_the_village_lacks_are_downloaded(
    v: Village, town: FakeTown, wav: bytes, png: bytes
) -> None:
    town.share(1, NAME, files(wav, png))
    v.sync(town)
    assert town.count("GET", "/media/") == 2
    town.share(1, NAME, files(wav, other_png()))
    report = v.sync(town)
    assert town.count("GET", "/media/") == 3  # the new picture only; the chime was kept
    assert report.downloads.files == 1 and report.imported


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda data: data[:100] + bytes([data[100] ^ 1]) + data[101:], id="one-bit"),
        pytest.param(lambda data: data + b"\0", id="one-byte-longer"),
        pytest.param(lambda data: data[:-1], id="one-byte-shorter"),
    ],
)
def test_a_media_file_with_the_wrong_bytes_is_refused_and_nothing_is_imported(
    v: Village, town: FakeTown, wav: bytes, png: bytes, damage: object
) -> None:
    town.share(1, NAME, files(wav, png))
    sha = hashlib.sha256(wav).hexdigest()
    town.wrong_media[sha] = damage(wav)  # type: ignore[operator]
    before = store_fingerprint(v.store)
    report = v.sync(town)
    assert "it was not kept" in report.refused[0]
    assert store_fingerprint(v.store) == before and v.copy() is None
    assert not (v.settings.data_dir / "town" / "media" / sha).exists()
    assert files_under(v.settings.data_dir / "tmp") == []
    del town.wrong_media[sha]  # damage on the way is tried again at the next sync
    assert v.sync(town).imported == [f"{NAME!r} (new, draft)"]


def test_a_hostile_name_in_the_manifest_is_refused_before_any_download(
    v: Village, town: FakeTown, wav: bytes
) -> None:
    items = "  - audio: ../../escape.wav\n"
    town.share(1, NAME, {"playlist.yaml": playlist_yaml(items, name=NAME), "../../escape.wav": wav})
    report = v.sync(town)
    assert "leaves the bundle's folder" in report.refused[0]
    assert town.count("GET", "/media/") == 0 and v.copy() is None


@pytest.mark.slow
def test_a_local_playlist_of_the_same_name_holds_the_town_s_back_until_renamed(
    v: Village, town: FakeTown, wav: bytes, png: bytes
) -> None:
    from playlists.content import editing

    local = editing.create_playlist(v.store, NAME, "", "wangwu", NOW)
    town.share(1, NAME, files(wav, png))
    assert "already has a playlist of that name" in v.sync(town).refused[0]
    editing.update_playlist(v.store, local, "村里的节目", "", "wangwu", NOW)
    assert v.sync(town).imported == [f"{NAME!r} (new, draft)"]


def test_a_wrong_device_token_is_a_refusal_naming_the_setting(
    tmp_path: Path, town: FakeTown
) -> None:
    settings = village_settings(tmp_path / "data")
    settings = dataclasses.replace(
        settings, sync=dataclasses.replace(settings.sync, device_token="vcd_wrong")
    )
    village = Village(settings)
    with pytest.raises(TownRefusedError, match=r"401 .*sync.device_token"):
        village.sync(town)


# -- the as-run log ----------------------------------------------------------------


def add_rows(store: Store, count: int, status: Outcome = Outcome.PLAYED) -> list[int]:
    ids = []
    for n in range(count):
        at = NOW + dt.timedelta(minutes=n)
        ids.append(asrun.open_manual(store, f"通知{n}", None, Priority.MANUAL, "wangwu", at))
        if status is not Outcome.PLAYING:
            asrun.close(store, ids[-1], status, at + dt.timedelta(seconds=30))
    return ids


def test_asrun_rows_are_sent_once_and_again_only_when_they_change(
    v: Village, town: FakeTown
) -> None:
    played, playing = add_rows(v.store, 1) + add_rows(v.store, 1, Outcome.PLAYING)
    assert v.sync(town).asrun_sent == 2
    assert town.asrun[playing]["status"] == "playing" and town.asrun[played]["ended"]
    assert town.asrun[played]["scheduled"] == "2023-03-28T09:00:00+08:00"  # station time
    assert v.sync(town).asrun_sent == 0 and town.asrun_posts == 1
    asrun.close(v.store, playing, Outcome.PLAYED, NOW + dt.timedelta(minutes=5))
    assert v.sync(town).asrun_sent == 1 and town.asrun_posts == 2
    assert town.asrun[playing]["status"] == "played" and len(town.asrun) == 2


def test_a_row_whose_ack_was_lost_is_sent_again_under_its_own_id(
    v: Village, town: FakeTown
) -> None:
    (row,) = add_rows(v.store, 1)
    town.lose_next_ack = True
    with pytest.raises(TownUnreachableError):
        v.sync(town)
    first = dict(town.asrun[row])
    assert v.sync(town).asrun_sent == 1
    assert town.asrun == {row: first}  # the same row, replaced by itself: never two
    assert v.sync(town).asrun_sent == 0 and town.asrun_posts == 2


def test_many_rows_go_oldest_first_500_at_a_time(v: Village, town: FakeTown) -> None:
    ids = add_rows(v.store, 1203)
    sent: list[list[int]] = []
    original = town._post

    def spy(path: str, document: dict) -> object:
        if path == "/asrun":
            sent.append([row["id"] for row in document["rows"]])
        return original(path, document)

    town._post = spy  # type: ignore[method-assign]
    assert v.sync(town).asrun_sent == 1203
    assert [len(batch) for batch in sent] == [500, 500, 203]
    assert [row_id for batch in sent for row_id in batch] == sorted(ids)


def test_a_busy_town_stops_the_cycle_and_the_rows_it_did_not_take_stay_pending(
    v: Village, town: FakeTown
) -> None:
    ids = add_rows(v.store, 1203)
    town.busy_after_posts = 1
    with pytest.raises(TownBusyError) as refused:
        v.sync(town)
    assert (refused.value.status, refused.value.retry_after) == (429, 45)
    assert sorted(town.asrun) == sorted(ids)[:500]  # the first batch, acknowledged
    town.busy_after_posts = None
    assert v.sync(town).asrun_sent == 703
    assert sorted(town.asrun) == sorted(ids) and town.asrun_posts == 3


@pytest.mark.slow
def test_a_copy_deleted_at_the_village_stays_deleted_until_the_town_changes_it(
    v: Village, town: FakeTown, wav: bytes, png: bytes
) -> None:
    from playlists.content import editing

    town.share(1, NAME, files(wav, png))
    v.sync(town)
    copy = v.copy()
    assert copy is not None
    for entry in entry_table.schedule_entries(v.store):
        entry_table.delete_schedule(v.store, entry.id)
    editing.delete_playlist(v.store, copy["id"], "wangwu", NOW)
    town.requests.clear()
    v.store.set_meta("sync_feed_etag", "")  # as after a restart: the feed is read in full
    assert v.sync(town).imported == [] and town.count("GET", "/playlists/") == 0
    assert v.copy() is None
    town.share(1, NAME, files(wav, other_png()))
    assert v.sync(town).imported == [f"{NAME!r} (new, draft)"]
