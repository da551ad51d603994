"""Adding evidence: checked whole, stored clean under its SHA-256 with an audit row, or refused."""

import dataclasses
import datetime as dt
from pathlib import Path

import pytest

from playlists.errors import EvidenceError
from playlists.evidence import items
from playlists.evidence.model import EvidenceFields
from playlists.evidence.writer import add_evidence, evidence_dir, file_sha256, probe
from playlists.settings import EvidenceSettings, Settings
from playlists.store import Store
from tests.evidence_kit import has_gps, phone_photo, short_video
from tests.media.test_images import png_declaring

NOW = dt.datetime(2023, 4, 2, 4, 0, tzinfo=dt.UTC)
FIELDS = EvidenceFields("村委会广场横幅", "五社联动", None)


def stored_files(settings: Settings) -> list[str]:
    folder = evidence_dir(settings)
    return sorted(p.name for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def audit_rows(store: Store) -> list[str]:
    return [row["action"] for row in store.query("SELECT action FROM audit")]


def test_photo_is_stored_without_gps_with_day_from_exif(
    tmp_path: Path, store: Store, settings: Settings
) -> None:
    photo = phone_photo(tmp_path / "IMG_0001.jpg")
    item = add_evidence(store, settings, photo, FIELDS, "cun", NOW)
    assert (item.kind, item.topic, item.taken_on) == ("photo", "五社联动", dt.date(2023, 3, 30))
    stored = items.file_path(settings, item)
    assert stored.name == f"{item.sha256}.jpg" and file_sha256(stored) == item.sha256
    assert not has_gps(stored)
    assert items.thumbnail_path(settings, item).is_file()
    assert items.list_items(store) == [item]
    assert audit_rows(store) == ["create"]


def test_gps_stays_when_the_village_keeps_it(
    tmp_path: Path, store: Store, settings: Settings
) -> None:
    keeping = dataclasses.replace(settings, evidence=EvidenceSettings(keep_gps=True))
    item = add_evidence(store, keeping, phone_photo(tmp_path / "p.jpg"), FIELDS, "cun", NOW)
    assert has_gps(items.file_path(keeping, item))


def test_video_day_is_the_station_day_of_creation_time(
    tmp_path: Path, store: Store, settings: Settings
) -> None:
    # 2023-03-31 20:00 UTC is 1 April 04:00 in Asia/Shanghai.
    video = short_video(tmp_path / "v.mp4", created="2023-03-31T20:00:00Z")
    assert probe(video, settings).taken_on == dt.date(2023, 4, 1)
    item = add_evidence(store, settings, video, FIELDS, "cun", NOW)
    assert item.kind == "video" and item.duration == pytest.approx(2.0, abs=0.2)
    assert items.file_path(settings, item).suffix == ".mp4"
    assert items.thumbnail_path(settings, item).stat().st_size > 0


def test_the_day_given_wins_over_the_file(tmp_path: Path, store: Store, settings: Settings) -> None:
    fields = dataclasses.replace(FIELDS, taken_on=dt.date(2023, 3, 28))
    item = add_evidence(store, settings, phone_photo(tmp_path / "p.jpg"), fields, "cun", NOW)
    assert item.taken_on == dt.date(2023, 3, 28)


@pytest.mark.parametrize(
    ("make", "fields", "message"),
    [
        pytest.param(
            lambda p: phone_photo(p),
            EvidenceFields(" ", "五社联动", None),
            "caption",
            id="no-caption",
        ),
        pytest.param(
            lambda p: phone_photo(p),
            EvidenceFields("x" * 201, "五社联动", None),
            "too long",
            id="long-caption",
        ),
        pytest.param(
            lambda p: phone_photo(p),
            EvidenceFields("横幅", "<b>别的</b>", None),
            "topics",
            id="unknown-topic",
        ),
        pytest.param(
            lambda p: phone_photo(p, taken=None),
            FIELDS,
            "enter the day",
            id="no-day",
        ),
        pytest.param(
            lambda p: phone_photo(p),
            EvidenceFields("横幅", "五社联动", dt.date(2023, 4, 3)),
            "to today",
            id="future-day",
        ),
        pytest.param(
            lambda p: png_declaring(p, 30000, 30000), FIELDS, "too many pixels", id="bomb"
        ),
        pytest.param(
            lambda p: p.write_bytes(phone_photo(p).read_bytes()[:1500]),
            FIELDS,
            "truncated",
            id="truncated-photo",
        ),
        pytest.param(
            lambda p: p.write_bytes(b"MZ\x90\0 program"), FIELDS, "not a whole video", id="exe"
        ),
    ],
)
def test_refused_evidence_leaves_nothing(
    tmp_path: Path,
    store: Store,
    settings: Settings,
    make: object,
    fields: EvidenceFields,
    message: str,
) -> None:
    path = tmp_path / "upload"
    make(path)  # type: ignore[operator]
    with pytest.raises(EvidenceError, match=message):
        add_evidence(store, settings, path, fields, "cun", NOW)
    assert items.list_items(store) == []
    assert audit_rows(store) == []
    assert stored_files(settings) == []


def test_truncated_video_leaves_nothing(tmp_path: Path, store: Store, settings: Settings) -> None:
    data = short_video(tmp_path / "v.mp4", seconds=3).read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) * 2 // 3])
    with pytest.raises(EvidenceError, match="cut short"):
        add_evidence(store, settings, cut, FIELDS, "cun", NOW)
    assert items.list_items(store) == [] and stored_files(settings) == []


def test_the_same_file_twice_is_refused(tmp_path: Path, store: Store, settings: Settings) -> None:
    photo = phone_photo(tmp_path / "p.jpg")
    first = add_evidence(store, settings, photo, FIELDS, "cun", NOW)
    with pytest.raises(EvidenceError, match=f"already stored \\(item {first.id}\\)"):
        add_evidence(store, settings, photo, FIELDS, "cun", NOW)
    assert len(items.list_items(store)) == 1
    assert audit_rows(store) == ["create"]
