"""Evidence goes to a real town on loopback: in pieces, resumed after the town stops, once each."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from pathlib import Path

import pytest
from flask import Flask

from playlists.evidence import items
from playlists.evidence.model import EvidenceFields
from playlists.evidence.writer import add_evidence, file_sha256
from playlists.settings import Settings, SyncSettings
from playlists.store import Store
from playlists.sync import evidence_outbox
from playlists.sync.evidence_outbox import pending, send_evidence
from playlists.sync.transport import Reply, TownUnreachableError, UrllibClient
from playlists.town import evidence_review, village_evidence, villages
from playlists.town.evidence_status import evidence_table
from tests.conftest import make_settings
from tests.evidence_kit import phone_photo, short_video
from tests.web_fixtures import serving
from web import create_app
from web.state import EXTENSION

pytestmark = pytest.mark.slow  # a real town under waitress: see pyproject.toml

NOW = dt.datetime(2023, 4, 5, 2, 0, tzinfo=dt.UTC)


class StopsAfter:
    """A client that loses the town after some pieces, as when the town is switched off."""

    def __init__(self, pieces: int) -> None:
        self.inner = UrllibClient(10)
        self.pieces = pieces

    def request(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes | None = None
    ) -> Reply:
        if method == "PUT":
            if self.pieces == 0:
                raise TownUnreachableError(f"cannot reach the town at {url}: connection reset")
            self.pieces -= 1
        return self.inner.request(method, url, headers, body)


@pytest.fixture
def town(tmp_path: Path) -> tuple[Settings, Store, Flask]:
    settings = make_settings(tmp_path / "town")
    store = Store.open(settings.db_path)
    app = create_app(settings, store)
    app.extensions[EXTENSION].clock = lambda: NOW
    return settings, store, app


def village(town_store: Store, folder: Path, name: str) -> tuple[Settings, Store]:
    """A village with a photo and a 3-second video, registered at the town."""
    token = villages.add_village(town_store, name, "cli:town", NOW)
    settings = dataclasses.replace(
        make_settings(folder / "data"),
        sync=SyncSettings(town_url="http://127.0.0.1:1", device_token=token),
    )
    store = Store.open(settings.db_path)
    photo = phone_photo(folder / "p.jpg", size=(800, 600))
    add_evidence(
        store, settings, photo, EvidenceFields(f"{name}横幅", "五社联动", None), "cun", NOW
    )
    video = short_video(folder / "v.mp4", seconds=3)
    add_evidence(
        store, settings, video, EvidenceFields(f"{name}视频", "人才政策", None), "cun", NOW
    )
    return settings, store


def at(settings: Settings, url: str) -> Settings:
    return dataclasses.replace(settings, sync=dataclasses.replace(settings.sync, town_url=url))


def test_two_villages_reach_the_town_with_the_town_stopped_in_between(
    town: tuple[Settings, Store, Flask], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(evidence_outbox, "PIECE", 1024)  # many pieces for small files
    town_settings, town_store, app = town
    east, east_store = village(town_store, tmp_path / "east", "东村")
    west, west_store = village(town_store, tmp_path / "west", "西村")
    total = sum(item.bytes for item in pending(east_store))
    assert pending(east_store)[0].bytes > 3 * 1024

    with serving(app) as url:
        # The town goes away after three pieces of the east village's first item.
        with pytest.raises(TownUnreachableError):
            send_evidence(east_store, at(east, url), StopsAfter(3), NOW)
        assert len(pending(east_store)) == 2
    # The town is switched off: the villages keep everything and try later.
    for settings, store in ((east, east_store), (west, west_store)):
        with pytest.raises(TownUnreachableError):
            send_evidence(store, at(settings, url), UrllibClient(2), NOW)
    with serving(app) as again:
        east_report = send_evidence(east_store, at(east, again), UrllibClient(10), NOW)
        west_report = send_evidence(west_store, at(west, again), UrllibClient(10), NOW)
        # A village that lost the confirmation sends the item again: it is kept once.
        east_store.query("DELETE FROM evidence_sent")
        repeat = send_evidence(east_store, at(east, again), UrllibClient(10), NOW)
        # The town asks the east village for more; the village learns it at its next sync.
        video = next(i for i in village_evidence.list_items(town_store) if i.caption == "东村视频")
        evidence_review.review_item(town_store, video.id, "more", "请补拍广场", "zhen", NOW)
        told = send_evidence(east_store, at(east, again), UrllibClient(10), NOW)

    assert (east_report.sent, west_report.sent) == (2, 2)
    assert east_report.bytes == total - 3 * 1024  # resumed, not started again
    assert (repeat.sent, repeat.bytes) == (2, 0)
    assert (told.sent, told.reviews) == (0, 1)
    asked = [(i.caption, i.town_review, i.town_comment) for i in items.list_items(east_store)]
    assert ("东村视频", "more", "请补拍广场") in asked and ("东村横幅", "", "") in asked
    assert pending(east_store) == [] and pending(west_store) == []
    kept = village_evidence.list_items(town_store)
    assert sorted((i.village, i.kind, i.topic) for i in kept) == [
        ("东村", "photo", "五社联动"),
        ("东村", "video", "人才政策"),
        ("西村", "photo", "五社联动"),
        ("西村", "video", "人才政策"),
    ]
    for item in kept:
        assert (
            file_sha256(village_evidence.item_path(town_settings, item, item.file)) == item.sha256
        )
        assert village_evidence.item_path(town_settings, item, item.thumbnail).stat().st_size > 0
    assert not list(village_evidence.town_dir(town_settings).glob("incoming/*.part"))
    # Both villages sent 五社联动 and 人才政策 before 9 April, and nothing else yet.
    table = {row.village: [c.mark for c in row.cells.values()] for row in evidence_table(
        town_store, town_settings)}  # fmt: skip
    expected = ["missing", "missing", "sent", "missing", "sent"]
    assert table == {"东村": expected, "西村": expected}


@pytest.mark.parametrize(
    ("offer", "message"),
    [
        pytest.param({"sha256": "x" * 64, "size": 10}, "64 lower-case hex", id="bad-sha"),
        pytest.param({"sha256": "a" * 64, "size": 0}, "size must be", id="empty"),
        pytest.param({"sha256": "a" * 64, "size": 10**10}, "size must be", id="huge"),
    ],
)
def test_bad_offers_are_refused(
    town: tuple[Settings, Store, Flask], offer: dict[str, object], message: str
) -> None:
    _settings, town_store, app = town
    token = villages.add_village(town_store, "东村", "cli:town", NOW)
    answer = app.test_client().post(
        "/town/v1/evidence/offer", json=offer, headers={"Authorization": f"Bearer {token}"}
    )
    assert answer.status_code == 400 and message in answer.get_json()["error"]


def test_a_file_that_is_not_what_was_offered_is_refused_whole(
    town: tuple[Settings, Store, Flask],
) -> None:
    town_settings, town_store, app = town
    token = villages.add_village(town_store, "东村", "cli:town", NOW)
    auth = {"Authorization": f"Bearer {token}"}
    client = app.test_client()
    sha = "a" * 64
    assert client.post("/town/v1/evidence/offer", json={"sha256": sha, "size": 4}, headers=auth)
    client.put(f"/town/v1/evidence/{sha}?offset=0", data=b"evil", headers=auth)
    fields = {
        "kind": "photo", "caption": "<b>x</b>", "topic": "五社联动",
        "taken_on": "2023-03-30", "added_by": "cun",
    }  # fmt: skip
    answer = client.post(f"/town/v1/evidence/{sha}/finish", json=fields, headers=auth)
    assert answer.status_code == 422 and "SHA-256 differs" in answer.get_json()["error"]
    assert village_evidence.list_items(town_store) == []
    assert not list(village_evidence.town_dir(town_settings).glob("incoming/*"))
