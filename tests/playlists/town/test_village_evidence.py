"""What the town takes from a village: fields checked, pieces in order, the file as offered."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from playlists.errors import NotFoundError, VillageEvidenceError
from playlists.evidence.writer import file_sha256
from playlists.settings import Settings
from playlists.store import Store
from playlists.town import village_evidence, villages
from tests.evidence_kit import phone_photo

NOW = dt.datetime(2023, 4, 5, 2, 0, tzinfo=dt.UTC)
FIELDS = {
    "kind": "photo", "caption": "横幅", "topic": "五社联动", "taken_on": "2023-03-30",
    "added_by": "cun",
}  # fmt: skip


@pytest.fixture
def offered(store: Store, settings: Settings, tmp_path: Path) -> tuple[int, str, bytes]:
    """A village and a photo it has offered and sent whole."""
    villages.add_village(store, "东村", "cli:town", NOW)
    village_id = villages.get_village(store, "东村").id
    photo = phone_photo(tmp_path / "p.jpg")
    data, sha = photo.read_bytes(), file_sha256(photo)
    assert village_evidence.offer(store, settings, village_id, sha, len(data)) == 0
    village_evidence.append(settings, village_id, sha, 0, data)
    return village_id, sha, data


@pytest.mark.parametrize(
    ("change", "message"),
    [
        pytest.param({"kind": "film"}, "photo or video", id="kind"),
        pytest.param({"caption": ""}, "must not be empty", id="no-caption"),
        pytest.param({"taken_on": "yesterday"}, "date like", id="day"),
        pytest.param({"extra": "x"}, "exactly these fields", id="extra-field"),
        pytest.param({"kind": "video"}, "is a photo, not a video", id="not-what-it-says"),
    ],
)
def test_bad_fields_are_refused(
    store: Store, settings: Settings, offered: tuple[int, str, bytes], change: dict, message: str
) -> None:
    village_id, sha, _data = offered
    with pytest.raises(VillageEvidenceError, match=message):
        village_evidence.finish(store, settings, village_id, sha, {**FIELDS, **change}, NOW)
    assert village_evidence.list_items(store) == []


def test_a_finished_item_is_kept_once(
    store: Store, settings: Settings, offered: tuple[int, str, bytes]
) -> None:
    village_id, sha, data = offered
    first = village_evidence.finish(store, settings, village_id, sha, FIELDS, NOW)
    assert village_evidence.finish(store, settings, village_id, sha, FIELDS, NOW) == first
    assert village_evidence.offer(store, settings, village_id, sha, len(data)) == len(data)
    (item,) = village_evidence.list_items(store)
    assert (item.village, item.caption, item.bytes) == ("东村", "横幅", len(data))


@pytest.mark.parametrize(
    ("offset", "extra", "error"),
    [
        pytest.param(0, b"x", VillageEvidenceError, id="repeated-piece"),
        pytest.param(None, b"x", VillageEvidenceError, id="more-than-offered"),
    ],
)
def test_pieces_out_of_order_are_refused(
    settings: Settings,
    offered: tuple[int, str, bytes],
    offset: int | None,
    extra: bytes,
    error: type[Exception],
) -> None:
    village_id, sha, data = offered
    with pytest.raises(error):
        village_evidence.append(
            settings, village_id, sha, len(data) if offset is None else offset, extra
        )


def test_a_piece_without_an_offer_is_not_found(settings: Settings) -> None:
    with pytest.raises(NotFoundError):
        village_evidence.append(settings, 1, "b" * 64, 0, b"x")
