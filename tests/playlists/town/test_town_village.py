"""A real town (the panel under waitress on loopback) and a real village syncing with it."""

from __future__ import annotations

import dataclasses
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import waitress

from playlists.bundles.keys import generate_keys
from playlists.content import playlist_table
from playlists.content.ingest import Ingest
from playlists.errors import TownBusyError
from playlists.model import Review
from playlists.plan import day_range
from playlists.record.tally import ReasonCount
from playlists.settings import BundleSettings, Settings, SyncSettings, TownSettings
from playlists.store import Store, to_db_time
from playlists.sync.client import run_cycle
from playlists.sync.transport import UrllibClient
from playlists.sync.wire import row_digest
from playlists.town import fleet, sharing, villages
from tests.conftest import make_settings
from tests.town_kit import add_media_playlist
from tests.web_fixtures import NOW, stop_serving
from web import create_app
from web.state import EXTENSION, PanelState
from web.town_limits import VillageLimits

pytestmark = pytest.mark.slow  # real processes or real time: see pyproject.toml


@dataclasses.dataclass
class Town:
    settings: Settings
    store: Store
    url: str
    public_key: str
    panel: PanelState


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
        key = public.read_text(encoding="utf-8").strip()
        yield Town(settings, store, url, key, app.extensions[EXTENSION])
    finally:
        stop_serving(server, thread)
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
    shared = add_media_playlist(Ingest(real_town.store, real_town.settings), tmp_path)
    sharing.share(real_town.store, real_town.settings, shared, "chief", NOW)
    settings, store = village_of(real_town, tmp_path / "village")
    ingest, client = Ingest(store, settings), UrllibClient(10)

    report = run_cycle(store, settings, ingest, client, NOW)
    assert (report.imported, report.refused) == (["'镇共享节目' (new, approved)"], [])
    [row] = [r for r in playlist_table.list_playlists(store) if r["name"] == "镇共享节目"]
    assert (row["review"], row["playable"]) == (Review.APPROVED.value, 1)
    assert villages.get_village(real_town.store, "东村").last_seen_at == NOW

    with store.transaction() as conn:
        conn.execute(
            "INSERT INTO as_run (occurrence, playlist_name, priority, scheduled_at, status, "
            "reason) VALUES ('9@2023-03-28T00:00:00Z', '镇共享节目', 'scheduled', ?, 'missed', "
            "'停电')",
            (to_db_time(NOW),),
        )
    again = run_cycle(store, settings, ingest, client, NOW)
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
    assert run_cycle(store, settings, ingest, client, NOW).asrun_sent == 0

    campaign = day_range(settings.campaign.start, settings.campaign.end, settings.tz)
    [line] = fleet.fleet_report(real_town.store, real_town.settings.tz, *campaign)
    assert (line.village, line.tally.missed, line.reasons) == ("东村", 1, (ReasonCount("停电", 1),))
    store.close()


class FakeMonotonic:
    def __init__(self) -> None:
        self.value = 1000.0

    def __call__(self) -> float:
        return self.value


def _wire_rows(first: int, count: int) -> list[dict[str, object]]:
    return [
        {
            "id": n,
            "occurrence": f"1@2023-03-28T00:{n % 60:02d}:00Z",
            "playlist": "镇共享节目",
            "priority": "scheduled",
            "scheduled": "2023-03-28T08:00:00+08:00",
            "started": None,
            "ended": None,
            "status": "missed",
            "reason": "停电",
            "requested_by": None,
        }
        for n in range(first, first + count)
    ]


def test_one_village_token_cannot_flood_the_town_with_asrun_rows(real_town: Town) -> None:
    token = villages.add_village(real_town.store, "东村", "cli:town", NOW)
    client = UrllibClient(10)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    answers = []
    for batch in range(20):  # 10,000 rows as fast as one client can send them
        body = json.dumps({"rows": _wire_rows(1 + batch * 500, 500)}).encode("utf-8")
        with client.request("POST", f"{real_town.url}/town/v1/asrun", headers, body) as reply:
            answers.append((reply.status, reply.headers.get("retry-after")))
    limit = real_town.settings.town.village_asrun_rows_per_hour
    assert [status for status, _wait in answers].count(200) == limit // 500
    refused = [wait for status, wait in answers if status == 429]
    assert len(refused) == 20 - limit // 500
    assert all(wait is not None and 0 < int(wait) <= 3600 for wait in refused)
    stored = real_town.store.query_one("SELECT COUNT(*) AS n FROM village_asrun")
    assert stored is not None and stored["n"] == limit


def test_a_village_over_its_rate_waits_and_loses_no_row(real_town: Town, tmp_path: Path) -> None:
    clock = FakeMonotonic()
    limits = VillageLimits(
        dataclasses.replace(real_town.settings.town, village_asrun_rows_per_hour=500), clock
    )
    real_town.panel.village_limits = limits
    settings, store = village_of(real_town, tmp_path / "village")
    with store.transaction() as conn:
        conn.executemany(
            "INSERT INTO as_run (playlist_name, priority, scheduled_at, status) "
            "VALUES ('通知', 'scheduled', ?, 'played')",
            [(f"2023-03-28T01:{n // 60:02d}:{n % 60:02d}.000+00:00",) for n in range(1200)],
        )
    ingest, client = Ingest(store, settings), UrllibClient(10)
    with pytest.raises(TownBusyError) as busy:
        run_cycle(store, settings, ingest, client, NOW)
    assert busy.value.retry_after is not None and 3500 < busy.value.retry_after <= 3600
    clock.value += busy.value.retry_after
    with pytest.raises(TownBusyError):
        run_cycle(store, settings, ingest, client, NOW)
    clock.value += 3600
    assert run_cycle(store, settings, ingest, client, NOW).asrun_sent == 200
    received = real_town.store.query("SELECT remote_id FROM village_asrun ORDER BY remote_id")
    assert [row["remote_id"] for row in received] == list(range(1, 1201))
    store.close()
