"""The street screens show only content that may air: the attack from issue 11, finding 1.

An operator imports playlists that nobody approved (a draft, one scheduled only in the
past, one a reviewer rejected, one approved and then edited back to draft). The real
player publishes the screens; the real panel, under waitress on loopback, serves them
to an anonymous kiosk. None of the unapproved text or pictures may reach it, neither in
/screen/<name>/state nor by asking /slides/<hash>.png or /media/<hash> for their hashes.
A town's playlist synced unsigned (a draft here) stays off the street the same way.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from PIL import Image

from playlists.content import editing, review
from playlists.content.ingest import Ingest
from playlists.content.playlist_format import parse_playlist
from playlists.model import Review, Slide
from playlists.settings import PlayerSettings, Settings, SyncSettings
from playlists.store import Store
from playlists.sync.client import run_cycle
from scheduler.simulate import Simulation
from tests.bundle_kit import playlist_yaml
from tests.sync_kit import TOKEN, TOWN_URL, FakeTown
from tests.web_fixtures import serving
from web import create_app

pytestmark = pytest.mark.slow  # real processes or real time: see pyproject.toml

TZ = ZoneInfo("Asia/Shanghai")
START = dt.datetime(2023, 3, 28, 10, 0, tzinfo=TZ)  # nothing is due before 12:00
CLOCK = dt.datetime(2023, 3, 28, 9, 0, tzinfo=TZ)  # when content is written
COLOURS = {
    "approved": (20, 160, 20),
    "draft": (200, 20, 20),
    "past": (200, 120, 20),
    "rejected": (120, 20, 200),
    "reverted": (20, 20, 200),
}


@dataclasses.dataclass(frozen=True)
class Imported:
    """One imported playlist: its slide title, its picture's hash and its id."""

    kind: str
    playlist_id: int
    title: str
    picture: str  # the uploaded picture's SHA-256


def campaign_yaml(kind: str, schedule_start: str, schedule_end: str) -> str:
    return f"""
format: villagecast/playlist@1
name: 节目{kind}
items:
  - announcement: 村民朋友们请注意{kind}
    slide: {{title: 标题{kind}, body: 正文{kind}}}
  - image: {kind}.png
    duration: 5
schedule:
  - start: {schedule_start}
    end: {schedule_end}
    times: ["12:00"]
"""


def import_one(
    ingest: Ingest, folder: Path, kind: str, review_state: Review, past: bool = False
) -> Imported:
    picture = io.BytesIO()
    Image.new("RGB", (320, 200), COLOURS[kind]).save(picture, format="PNG")
    (folder / f"{kind}.png").write_bytes(picture.getvalue())
    dates = ("2020-03-01", "2020-03-07") if past else ("2023-03-28", "2023-04-07")
    spec = parse_playlist(campaign_yaml(kind, *dates))
    playlist_id = ingest.import_playlist(spec, folder, "op", review=review_state)
    row = ingest.store.query_one(
        "SELECT media_sha256 FROM playlist_items WHERE playlist_id = ? AND kind = 'image'",
        (playlist_id,),
    )
    assert row is not None
    return Imported(kind, playlist_id, f"标题{kind}", row["media_sha256"])


def reject(store: Store, playlist_id: int) -> None:
    rows = store.query(
        "SELECT announcement_id FROM playlist_items WHERE playlist_id = ? "
        "AND announcement_id IS NOT NULL",
        (playlist_id,),
    )
    for row in rows:
        review.submit(store, review.ANNOUNCEMENT, row["announcement_id"], "op", CLOCK)
    review.submit(store, review.PLAYLIST, playlist_id, "op", CLOCK)
    review.reject(store, review.PLAYLIST, playlist_id, "rev", "不合适", CLOCK)


def edit_slide(store: Store, playlist_id: int, title: str) -> None:
    row = store.query_one(
        "SELECT id FROM playlist_items WHERE playlist_id = ? AND kind = 'announcement'",
        (playlist_id,),
    )
    assert row is not None
    editing.update_item(
        store, playlist_id, row["id"], "op", CLOCK, repeat=1, slide=Slide(title, "改过的正文")
    )


@pytest.fixture
def station(settings: Settings, store: Store) -> Settings:
    return dataclasses.replace(settings, player=PlayerSettings(quiet_hours=()))


@pytest.fixture
def panel(station: Settings, store: Store) -> Iterator[str]:
    """The panel under waitress on a free loopback port, as `villagecast panel` runs it."""
    with serving(create_app(station, store)) as url:
        yield url


def get(url: str) -> tuple[int, bytes]:
    """GET anonymously, as a kiosk browser does; never follow a redirect to the log-in."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: object, **kwargs: object) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def published(panel: str, settings: Settings) -> tuple[str, set[str]]:
    """Return every screen's state as text and the picture hashes in it."""
    texts, pictures = [], set()
    for screen in settings.screens:
        status, body = get(f"{panel}/screen/{screen.name}/state")
        assert status == 200
        texts.append(body.decode("utf-8"))
        for slide in json.loads(body)["state"]["slides"]:
            pictures.update(filter(None, (slide["image"], slide["scroll"])))
    return "\n".join(texts), pictures


def slide_hashes(ingest: Ingest, settings: Settings, imported: Imported) -> set[str]:
    """Every picture made for one playlist: the upload and its slides on every screen."""
    hashes = {imported.picture}
    for screen in settings.screens:
        for slide, image in (
            (Slide(imported.title, f"正文{imported.kind}"), None),
            (Slide(), imported.picture),
        ):
            images = ingest.slides.lookup(screen, slide, image)
            assert images is not None, f"{imported.kind}: slides are rendered on import"
            hashes.update(filter(None, (images.image_sha256, images.scroll_sha256)))
    return hashes


def test_unapproved_content_never_reaches_the_street(
    station: Settings, store: Store, panel: str, tmp_path: Path
) -> None:
    ingest = Ingest(store, station, now=lambda: CLOCK)
    approved = import_one(ingest, tmp_path, "approved", Review.APPROVED)
    reverted = import_one(ingest, tmp_path, "reverted", Review.APPROVED)
    hidden = [
        import_one(ingest, tmp_path, "draft", Review.DRAFT),
        import_one(ingest, tmp_path, "past", Review.DRAFT, past=True),
        import_one(ingest, tmp_path, "rejected", Review.DRAFT),
    ]
    reject(store, hidden[-1].playlist_id)
    simulation = Simulation.build(station, store, START)
    simulation.run(START + dt.timedelta(seconds=5))

    text, shown = published(panel, station)
    assert approved.title in text and reverted.title in text  # both approved so far
    for imported in hidden:
        assert imported.title not in text and f"正文{imported.kind}" not in text, imported.kind
        assert not shown & slide_hashes(ingest, station, imported), imported.kind

    # An operator edits the approved playlist: it is a draft again, off the street at once.
    reverted_pictures = slide_hashes(ingest, station, reverted) - {reverted.picture}
    edit_slide(store, reverted.playlist_id, "未审核的新标题")
    assert review.playlist_unplayable(store, reverted.playlist_id) is not None
    simulation.player.check_store()  # what the daemon does every poll
    simulation.timeline.run_until(START + dt.timedelta(seconds=10))
    text, shown = published(panel, station)
    assert approved.title in text
    for absent in (reverted.title, "未审核的新标题", "改过的正文"):
        assert absent not in text
    assert not shown & reverted_pictures

    # The hashes of everything unapproved answer 404 to a kiosk, or the log-in page.
    approved_pictures = slide_hashes(ingest, station, approved) - {approved.picture}
    assert approved_pictures & shown
    for sha in approved_pictures & shown:
        assert get(f"{panel}/slides/{sha}.png")[0] == 200
    secret = reverted_pictures | {reverted.picture}
    for imported in hidden:
        secret |= slide_hashes(ingest, station, imported)
    for sha in secret:
        assert get(f"{panel}/slides/{sha}.png")[0] == 404, sha
        assert get(f"{panel}/media/{sha}.png")[0] == 302, sha  # to the log-in page


def test_a_town_playlist_synced_as_a_draft_stays_off_the_street(
    station: Settings, store: Store, panel: str, tmp_path: Path
) -> None:
    """The town's sync is another way in: unsigned, its playlist is a draft here."""
    town = FakeTown()
    schedule = "schedule:\n  - {start: 2023-03-28, end: 2023-04-07, times: ['12:00']}\n"
    items = "  - announcement: 镇里的通知\n    slide: {title: 镇里未审标题, body: 镇里未审正文}\n"
    town.share(1, "镇节目", {"playlist.yaml": playlist_yaml(items, schedule, name="镇节目")})
    synced = dataclasses.replace(
        station, sync=SyncSettings(town_url=TOWN_URL, device_token=TOKEN, poll_seconds=1)
    )
    ingest = Ingest(store, synced, now=lambda: CLOCK)
    report = run_cycle(store, synced, ingest, town, CLOCK)
    assert report.imported == ["'镇节目' (new, draft)"]
    approved = import_one(ingest, tmp_path, "approved", Review.APPROVED)
    Simulation.build(station, store, START).run(START + dt.timedelta(seconds=5))
    text, _shown = published(panel, station)
    assert approved.title in text
    assert "镇里未审标题" not in text and "镇里未审正文" not in text
