"""A real town (the panel under waitress on loopback) and a real village syncing with it."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import waitress

from playlists import catalog, fleet, town, villages
from playlists.bundle_keys import generate_keys
from playlists.library import Library
from playlists.model import Review
from playlists.plan import day_range
from playlists.settings import BundleSettings, Settings, SyncSettings, TownSettings
from playlists.store import Store, to_db_time
from playlists.sync_client import run_cycle
from playlists.sync_format import row_digest
from playlists.sync_http import UrllibClient
from tests.conftest import make_settings
from tests.town_kit import add_media_playlist
from tests.web_fixtures import NOW
from web import create_app
from web.state import EXTENSION

pytestmark = pytest.mark.slow  # real processes or real time: see pyproject.toml


@dataclasses.dataclass
class Town:
    settings: Settings
    store: Store
    url: str
    public_key: str


@pytest.fixture
def real_town(tmp_path: Path) -> Iterator[Town]:
    private, public = generate_keys(tmp_path / "keys", "赤溪镇")
    settings = dataclasses.replace(
        make_settings(tmp_path / "town"), town=TownSettings(signing_key=str(private))
    )
    store = Store.open(settings.db_path)
    app = create_app(settings, store)
    app.extensions[EXTENSION].clock = lambda: NOW
    server = waitress.create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, name="town", daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.effective_port}"
        yield Town(settings, store, url, public.read_text(encoding="utf-8").strip())
    finally:
        server.close()
        thread.join(timeout=5)
        store.close()


def village_of(real_town: Town, folder: Path) -> tuple[Settings, Store]:
    token = villages.add_village(real_town.store, "东村", "cli:town", NOW)
    settings = dataclasses.replace(
        make_settings(folder),
        sync=SyncSettings(town_url=real_town.url, device_token=token, timeout_seconds=10),
        bundles=BundleSettings(
            trusted_keys=(real_town.public_key,), signed_counts_as_approval=True
        ),
    )
    return settings, Store.open(settings.db_path)


def test_a_village_takes_the_shared_playlist_and_reports_back(
    real_town: Town, tmp_path: Path
) -> None:
    shared = add_media_playlist(Library(real_town.store, real_town.settings), tmp_path)
    town.share(real_town.store, real_town.settings, shared, "chief", NOW)
    settings, store = village_of(real_town, tmp_path / "village")
    library, client = Library(store, settings), UrllibClient(10)

    report = run_cycle(store, settings, library, client, NOW)
    assert (report.imported, report.refused) == (["'镇共享节目' (new, approved)"], [])
    [row] = [r for r in catalog.list_playlists(store) if r["name"] == "镇共享节目"]
    assert (row["review"], row["playable"]) == (Review.APPROVED.value, 1)
    assert villages.get_village(real_town.store, "东村").last_seen_at == NOW

    with store.transaction() as conn:
        conn.execute(
            "INSERT INTO as_run (occurrence, playlist_name, priority, scheduled_at, status, "
            "reason) VALUES ('9@2023-03-28T00:00:00Z', '镇共享节目', 'scheduled', ?, 'missed', "
            "'停电')",
            (to_db_time(NOW),),
        )
    again = run_cycle(store, settings, library, client, NOW)
    assert (again.feed_changed, again.asrun_sent) == (False, 1)  # the feed answered 304
    [received] = real_town.store.query("SELECT * FROM village_asrun")
    assert (received["status"], received["reason"]) == ("missed", "停电")
    [sent] = store.query("SELECT digest FROM asrun_sent")
    row_sent = {
        "id": received["remote_id"],
        "occurrence": "9@2023-03-28T00:00:00Z",
        "playlist": "镇共享节目",
        "priority": "scheduled",
        "scheduled": NOW.astimezone(settings.tz).isoformat(),
        "started": None,
        "ended": None,
        "status": "missed",
        "reason": "停电",
        "requested_by": None,
    }
    assert sent["digest"] == row_digest(row_sent)  # both sides hashed the same bytes
    assert run_cycle(store, settings, library, client, NOW).asrun_sent == 0

    campaign = day_range(settings.campaign.start, settings.campaign.end, settings.tz)
    [line] = fleet.fleet_report(real_town.store, real_town.settings.tz, *campaign)
    assert (line.village, line.tally.missed, line.reasons) == ("东村", 1, (("停电", 1),))
    store.close()
