"""The town's HTTP side: /town/v1 for villages' device tokens, /fleet for town staff."""

from __future__ import annotations

import codecs
import csv
import dataclasses
import datetime as dt
import hashlib
import io
import json
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from playlists.access import tokens
from playlists.bundles.keys import generate_keys, load_signing_key
from playlists.content.ingest import Ingest
from playlists.model import Review
from playlists.record import audit
from playlists.settings import Settings
from playlists.store import Store
from playlists.sync import broker_topics
from playlists.sync import emergency_wire as wire
from playlists.sync.wire import row_digest
from playlists.town import emergency_log, emergency_relay, sharing, village_asrun, villages
from tests.playlists.town.test_villages import HEARTBEAT, asrun_row
from tests.scheduler.test_cli import villagecast, write_config
from tests.town_kit import add_media_playlist
from tests.web_fixtures import (
    NOW,
    Browser,
    add_pause_playlist,
    add_user,
    csrf_of,
    log_in,
    make_app,
    serving,
)

HOSTILE = '<script>alert("村")</script>'
HB, ASRUN, JSON = "/town/v1/heartbeat", "/town/v1/asrun", "application/json"
GETS = (
    "/town/v1/feed",
    "/town/v1/playlists/1/bundle-index",
    "/town/v1/media/" + "0" * 64,
    "/town/v1/emergencies",
)
POSTS = ("/town/v1/heartbeat", "/town/v1/asrun", "/town/v1/emergency-answers")


@pytest.fixture
def device(store: Store) -> dict[str, str]:
    token = villages.add_village(store, "东村", "cli:town", NOW)
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def shared(ingest: Ingest, store: Store, settings: Settings, tmp_path: Path) -> int:
    playlist_id = add_media_playlist(ingest, tmp_path)
    sharing.share(store, settings, playlist_id, "chief", NOW)
    return playlist_id


def village_tables(store: Store) -> list[object]:
    rows = store.query("SELECT * FROM village_asrun")
    seen = store.query("SELECT heartbeat, last_seen_at FROM villages")
    return [tuple(r) for r in rows] + [tuple(r) for r in seen]


# -- authentication ------------------------------------------------------------------


def _request(client: FlaskClient, url: str, headers: dict[str, str]) -> int:
    if url in POSTS:
        return client.post(url, json={}, headers=headers).status_code
    return client.get(url, headers=headers).status_code


@pytest.mark.parametrize("url", GETS + POSTS)
@pytest.mark.parametrize(
    "authorization",
    [
        pytest.param(None, id="none"),
        pytest.param("Bearer vcd_wrong", id="wrong"),
        pytest.param("Basic dXNlcjpwYXNz", id="basic"),
        pytest.param("Bearer", id="empty"),
    ],
)
def test_every_endpoint_wants_a_device_token(
    app: Flask, store: Store, device: dict[str, str], url: str, authorization: str | None
) -> None:
    client = app.test_client()
    headers = {"Authorization": authorization} if authorization else {}
    response = (
        client.post(url, json=HEARTBEAT, headers=headers)
        if url in POSTS
        else client.get(url, headers=headers)
    )
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert "设备令牌" in response.get_json()["error"]  # the panel speaks Chinese by default
    assert village_tables(store) == [("{}", None)]


def test_neither_a_session_nor_an_api_token_opens_the_town_endpoints(
    app: Flask, store: Store, device: dict[str, str]
) -> None:
    add_user(store, "chief", "admin")
    client = app.test_client()
    log_in(client, "chief")
    assert [_request(client, url, {}) for url in GETS + POSTS] == [401] * 7
    api = {"Authorization": "Bearer " + tokens.create_token(store, "chief", "script", NOW)}
    assert [_request(client, url, api) for url in GETS + POSTS] == [401] * 7


def test_a_removed_village_is_refused(app: Flask, store: Store, device: dict[str, str]) -> None:
    villages.remove_village(store, "东村", "cli:town", NOW)
    assert app.test_client().get("/town/v1/feed", headers=device).status_code == 401


# -- the feed ------------------------------------------------------------------------


def test_the_feed_lists_shared_playlists_and_answers_304_while_unchanged(
    app: Flask, store: Store, settings: Settings, device: dict[str, str], shared: int
) -> None:
    client = app.test_client()
    first = client.get("/town/v1/feed", headers=device)
    body = first.get_json()
    version = sharing.current_feed(store, settings).entries[0].version
    assert body["playlists"] == [{"id": shared, "name": "镇共享节目", "version": version}]
    assert first.headers["ETag"] == f'"{body["revision"]}"'
    again = client.get("/town/v1/feed", headers={**device, "If-None-Match": first.headers["ETag"]})
    assert (again.status_code, again.data) == (304, b"")
    assert again.headers["ETag"] == first.headers["ETag"]

    sharing.unshare(store, settings, shared, "chief", NOW)
    changed = client.get(
        "/town/v1/feed", headers={**device, "If-None-Match": first.headers["ETag"]}
    )
    assert changed.status_code == 200
    assert changed.get_json()["playlists"] == []
    assert changed.headers["ETag"] != first.headers["ETag"]


# -- polls answered from the panel's memory (playlists/town/poll_memo.py) -------------


def poll(client: FlaskClient, headers: dict[str, str], etag: str) -> int:
    """Poll the feed as a village that holds `etag`; return the status."""
    return client.get("/town/v1/feed", headers={**headers, "If-None-Match": etag}).status_code


@pytest.fixture
def other(settings: Settings, store: Store) -> Iterator[Store]:
    """The town's database through another connection, as `villagecast` has it."""
    opened = Store.open(settings.db_path)
    yield opened
    opened.close()


def _share_another(store: Store, settings: Settings, shared: int) -> None:
    sharing.share(store, settings, add_pause_playlist(store, "防诈骗提醒"), "chief", NOW)


def _unshare(store: Store, settings: Settings, shared: int) -> None:
    sharing.unshare(store, settings, shared, "chief", NOW)


def _rename_shared(store: Store, settings: Settings, shared: int) -> None:
    with store.transaction() as conn:
        conn.execute("UPDATE playlists SET name = '镇共享节目（新）' WHERE id = ?", (shared,))


@pytest.mark.parametrize("through", ["panel", "another-connection"])
@pytest.mark.parametrize(
    "change",
    [
        pytest.param(_share_another, id="playlist-shared"),
        pytest.param(_unshare, id="playlist-unshared"),
        pytest.param(_rename_shared, id="shared-playlist-renamed"),
    ],
)
def test_a_poll_after_a_change_of_the_feed_gets_the_new_feed(
    app: Flask,
    store: Store,
    other: Store,
    settings: Settings,
    device: dict[str, str],
    shared: int,
    through: str,
    change: Callable[[Store, Settings, int], None],
) -> None:
    client = app.test_client()
    etag = client.get("/town/v1/feed", headers=device).headers["ETag"]
    assert [poll(client, device, etag), poll(client, device, etag)] == [304, 304]
    change(store if through == "panel" else other, settings, shared)
    changed = client.get("/town/v1/feed", headers={**device, "If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.get_json() == sharing.current_feed(other, settings).listing()
    assert changed.headers["ETag"] != etag
    assert poll(client, device, changed.headers["ETag"]) == 304


@pytest.mark.parametrize(
    "authorization",
    [
        pytest.param(None, id="unsigned"),
        pytest.param("Bearer vcd_" + "A" * 43, id="unknown-token"),
        pytest.param("Basic dXNlcjpwYXNz", id="basic"),
        pytest.param("removed-by-another-connection", id="removed-village"),
    ],
)
def test_a_bad_poll_is_refused_after_good_ones_were_answered_from_memory(
    app: Flask, store: Store, other: Store, shared: int, authorization: str | None
) -> None:
    good = {"Authorization": "Bearer " + villages.add_village(store, "东村", "cli:town", NOW)}
    west = villages.add_village(store, "西村", "cli:town", NOW)
    client = app.test_client()
    for headers in (good, {"Authorization": f"Bearer {west}"}):
        etag = client.get("/town/v1/feed", headers=headers).headers["ETag"]
        assert poll(client, headers, etag) == 304
    if authorization == "removed-by-another-connection":
        villages.remove_village(other, "西村", "cli:town", NOW)
        authorization = f"Bearer {west}"
    bad = {"Authorization": authorization} if authorization else {}
    refused = client.get("/town/v1/feed", headers={**bad, "If-None-Match": etag})
    assert refused.status_code == 401
    assert "设备令牌" in refused.get_json()["error"]
    assert poll(client, good, etag) == 304


@pytest.mark.slow
def test_a_village_removed_by_the_command_in_another_process_is_refused_at_its_next_poll(
    app: Flask, settings: Settings, device: dict[str, str], shared: int
) -> None:
    client = app.test_client()
    etag = client.get("/town/v1/feed", headers=device).headers["ETag"]
    assert poll(client, device, etag) == 304
    config = write_config(settings.data_dir.parent)  # its data folder is the test's
    removed = villagecast("village", "remove", "东村", config=config)
    assert removed.returncode == 0, removed.stderr
    assert poll(client, device, etag) == 401


# -- bundles and media ---------------------------------------------------------------


def test_the_bundle_index_and_every_media_file_of_a_shared_playlist(
    app: Flask, device: dict[str, str], shared: int
) -> None:
    client = app.test_client()
    index = client.get(f"/town/v1/playlists/{shared}/bundle-index", headers=device).get_json()
    assert set(index) == {"manifest", "signature", "playlist_yaml"}
    files = json.loads(index["manifest"])["files"]
    media = [f for name, f in files.items() if name != "playlist.yaml"]
    assert len(media) == 2
    for listed in media:
        response = client.get(f"/town/v1/media/{listed['sha256']}", headers=device)
        assert response.status_code == 200
        assert hashlib.sha256(response.data).hexdigest() == listed["sha256"]
        assert response.headers["Content-Length"] == str(listed["size"])
        assert "immutable" in response.headers["Cache-Control"]


@pytest.mark.parametrize(
    "sha",
    [
        pytest.param("0" * 64, id="unknown"),
        pytest.param("ZZ" * 32, id="not-hex"),
        pytest.param("..%2F..%2Fvillagecast.db", id="path"),
        pytest.param("playlist.yaml", id="name"),
    ],
)
def test_media_that_no_shared_bundle_holds_is_404(
    app: Flask, device: dict[str, str], shared: int, sha: str
) -> None:
    response = app.test_client().get(f"/town/v1/media/{sha}", headers=device)
    assert response.status_code == 404
    assert response.is_json


def test_media_and_index_of_a_playlist_that_is_not_shared_are_404(
    app: Flask,
    store: Store,
    ingest: Ingest,
    settings: Settings,
    device: dict[str, str],
    shared: int,
    tmp_path: Path,
) -> None:
    client = app.test_client()
    index = client.get(f"/town/v1/playlists/{shared}/bundle-index", headers=device).get_json()
    sha = next(
        f["sha256"]
        for n, f in json.loads(index["manifest"])["files"].items()
        if n != "playlist.yaml"
    )
    sharing.unshare(store, settings, shared, "chief", NOW)
    draft = add_media_playlist(ingest, tmp_path, "草稿", review=Review.DRAFT)
    for playlist_id in (shared, draft, 999):
        url = f"/town/v1/playlists/{playlist_id}/bundle-index"
        assert client.get(url, headers=device).status_code == 404
    assert client.get(f"/town/v1/media/{sha}", headers=device).status_code == 404


# -- heartbeat and as-run ------------------------------------------------------------


def test_a_heartbeat_is_kept(app: Flask, store: Store, device: dict[str, str]) -> None:
    response = app.test_client().post("/town/v1/heartbeat", json=HEARTBEAT, headers=device)
    assert (response.status_code, response.data) == (204, b"")
    assert villages.get_village(store, "东村").heartbeat == HEARTBEAT


def test_as_run_rows_are_acknowledged_with_their_digests_and_stored_once(
    app: Flask, store: Store, device: dict[str, str]
) -> None:
    client = app.test_client()
    rows = [asrun_row(1), asrun_row(2, status="missed", reason="停电")]
    for _attempt in range(2):
        response = client.post("/town/v1/asrun", json={"rows": rows}, headers=device)
        assert response.status_code == 200
    assert response.get_json() == {
        "acked": [{"id": r["id"], "digest": row_digest(r)} for r in rows]
    }
    assert len(store.query("SELECT * FROM village_asrun")) == 2


@pytest.mark.parametrize(
    ("url", "data", "content_type"),
    [
        pytest.param(HB, "{not json", JSON, id="hb-broken"),
        pytest.param(HB, json.dumps(HEARTBEAT), "text/plain", id="hb-type"),
        pytest.param(HB, json.dumps({**HEARTBEAT, "now": "noon"}), JSON, id="hb-field"),
        pytest.param(HB, "[]", JSON, id="hb-list"),
        pytest.param(ASRUN, "{not json", JSON, id="asrun-broken"),
        pytest.param(
            ASRUN,
            json.dumps({"rows": [asrun_row(1), asrun_row(2, status="x")]}),
            JSON,
            id="asrun-one-bad-row",
        ),
        pytest.param(ASRUN, json.dumps({"rows": [asrun_row(1)] * 501}), JSON, id="too-many"),
        pytest.param(ASRUN, b"\xff\xfe", JSON, id="asrun-not-utf8"),
    ],
)
def test_bad_bodies_are_400_and_store_nothing(
    app: Flask, store: Store, device: dict[str, str], url: str, data: str | bytes, content_type: str
) -> None:
    before = village_tables(store)
    response = app.test_client().post(url, data=data, content_type=content_type, headers=device)
    assert response.status_code == 400
    assert response.get_json()["error"]
    assert village_tables(store) == before


# -- fleet pages ---------------------------------------------------------------------

FLEET_PAGES = ("/fleet", "/fleet/report", "/fleet/report.csv", "/fleet/playlists")


@pytest.mark.parametrize(
    ("role", "status"),
    [
        pytest.param("admin", 200, id="admin"),
        pytest.param("reviewer", 200, id="reviewer"),
        pytest.param("operator", 403, id="operator"),
    ],
)
def test_fleet_pages_are_for_town_staff(app: Flask, store: Store, role: str, status: int) -> None:
    villages.add_village(store, "东村", "cli:town", NOW)
    add_user(store, "someone", role)
    client = app.test_client()
    log_in(client, "someone")
    assert [client.get(page).status_code for page in FLEET_PAGES] == [status] * 4
    nav = client.get("/").get_data(as_text=True)
    assert ('href="/fleet"' in nav) is (status == 200)


@pytest.mark.parametrize(
    ("town", "shown"),
    [
        pytest.param({}, False, id="village-alone"),
        pytest.param({"village": True}, True, id="town-with-villages"),
        pytest.param({"signing_key": "town.key"}, True, id="town-that-signs"),
        pytest.param(
            {"village": True, "town_url": "http://town:8080"}, False, id="village-of-a-town"
        ),
    ],
)
def test_the_villages_link_shows_on_a_town_panel_only(
    settings: Settings, store: Store, town: dict[str, object], shown: bool
) -> None:
    """各村 is a town feature: a village's panel does not offer it, even to its admin."""
    if town.get("village"):
        villages.add_village(store, "东村", "cli:town", NOW)
    settings = dataclasses.replace(
        settings,
        town=dataclasses.replace(settings.town, signing_key=str(town.get("signing_key", ""))),
        sync=dataclasses.replace(settings.sync, town_url=str(town.get("town_url", ""))),
    )
    add_user(store, "chief", "admin")
    client = make_app(settings, store).test_client()
    log_in(client, "chief")
    nav = (
        client.get("/").get_data(as_text=True).split('<nav class="main-nav"')[1].split("</nav>")[0]
    )
    assert ('href="/fleet"' in nav) is shown
    assert client.get("/fleet").status_code == 200  # the page itself stays where it was


def test_anonymous_visitors_are_sent_to_log_in(app: Flask) -> None:
    for page in FLEET_PAGES:
        assert app.test_client().get(page).status_code == 302


def hostile_village(store: Store) -> None:
    token = villages.add_village(store, HOSTILE, "cli:town", NOW)
    device = villages.verify(store, token)
    assert device is not None
    villages.record_heartbeat(store, device.id, {**HEARTBEAT, "now_playing": HOSTILE}, NOW)
    rows = [asrun_row(1, playlist=HOSTILE, status="missed", reason='=HYPERLINK("x")' + HOSTILE)]
    village_asrun.store_batch(store, device.id, rows, NOW)


def test_village_names_playlists_and_reasons_are_escaped(app: Flask, store: Store) -> None:
    hostile_village(store)
    add_user(store, "chief", "admin")
    client = app.test_client()
    log_in(client, "chief")
    for page in ("/fleet", "/fleet/report?from=2023-03-28&to=2023-03-28"):
        html = client.get(page).get_data(as_text=True)
        assert HOSTILE not in html
        assert "&lt;script&gt;alert(&#34;村&#34;)&lt;/script&gt;" in html


def test_the_fleet_page_shows_each_village(app: Flask, store: Store) -> None:
    hostile_village(store)
    add_user(store, "chief", "reviewer")
    client = app.test_client()
    log_in(client, "chief")
    html = client.get("/fleet").get_data(as_text=True)
    assert "计划 1 次，已播 0 次" in html
    assert "版本 0.9" in html
    assert "联系正常" in html  # heard from at NOW


def test_the_report_csv_has_a_bom_and_formula_safe_cells(app: Flask, store: Store) -> None:
    hostile_village(store)
    add_user(store, "chief", "admin")
    client = app.test_client()
    log_in(client, "chief")
    response = client.get("/fleet/report.csv?from=2023-03-28&to=2023-03-28")
    assert response.mimetype == "text/csv"
    assert response.data.startswith(codecs.BOM_UTF8)
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0][:4] == ["village", "day", "playlist", "planned"]
    assert rows[1][:6] == [HOSTILE, "2023-03-28", HOSTILE, "1", "0", "1"]
    assert rows[1][-1].startswith("'=HYPERLINK")


# -- sharing from the panel ----------------------------------------------------------


def test_a_reviewer_shares_and_stops_sharing_an_approved_playlist(
    app: Flask, store: Store, ingest: Ingest, settings: Settings, tmp_path: Path
) -> None:
    playlist_id = add_media_playlist(ingest, tmp_path, HOSTILE)
    add_user(store, "checker", "reviewer")
    client = app.test_client()
    log_in(client, "checker")
    page = client.get("/fleet/playlists")
    assert "共享给各村" in page.get_data(as_text=True)
    shared = client.post(
        f"/fleet/playlists/{playlist_id}/share",
        data={"csrf_token": csrf_of(page)},
        follow_redirects=True,
    )
    assert HOSTILE not in shared.get_data(as_text=True)
    assert sharing.shared_ids(store) == {playlist_id}
    assert [r.username for r in audit.rows(store) if r.action == "share"] == ["checker"]
    stopped = client.post(
        f"/fleet/playlists/{playlist_id}/unshare",
        data={"csrf_token": csrf_of(shared)},
        follow_redirects=True,
    )
    assert stopped.status_code == 200
    assert sharing.shared_ids(store) == set()


def test_a_draft_has_no_share_button_and_is_refused_with_a_message(
    app: Flask, store: Store, ingest: Ingest, tmp_path: Path
) -> None:
    playlist_id = add_media_playlist(ingest, tmp_path, review=Review.DRAFT)
    add_user(store, "chief", "admin")
    client = app.test_client()
    log_in(client, "chief")
    page = client.get("/fleet/playlists")
    assert f"/fleet/playlists/{playlist_id}/share" not in page.get_data(as_text=True)
    refused = client.post(
        f"/fleet/playlists/{playlist_id}/share",
        data={"csrf_token": csrf_of(page)},
        follow_redirects=True,
    )
    assert "只有审核通过的节目单才能共享给各村。" in refused.get_data(as_text=True)
    assert sharing.shared_ids(store) == set()
    missing = client.post("/fleet/playlists/999/share", data={"csrf_token": csrf_of(page)})
    assert missing.status_code == 404


# -- a hostile village (issue 11, finding 5), over HTTP -----------------------------

HOSTILE_ROWS = {
    "superscript-part": {"occurrence": "3@2023-03-28T00:00:00Z#²"},
    "arabic-digit-part": {"occurrence": "3@2023-03-28T00:00:00Z#٣"},
    "long-part": {"occurrence": "3@2023-03-28T00:00:00Z#" + "9" * 4000},
    "no-key-shape": {"occurrence": "whatever#2"},
    "year-1": {"scheduled": "0001-01-01T00:00:00+14:00"},
    "year-9999": {"scheduled": "9999-12-31T23:59:59-14:00"},
    "started-year-1": {"started": "0001-01-01T00:00:00+00:00"},
    "non-ascii-digits-in-time": {"scheduled": "２０２３-03-28T08:00:00+08:00"},
    "lone-surrogate": {"playlist": "\ud800节目"},
    "nul-in-reason": {"reason": "停电\x00"},
    "escape-in-requested-by": {"requested_by": "\x1b[2J"},
    "huge-id": {"id": 10**30},
    "list-priority": {"priority": ["scheduled"]},
    "object-status": {"status": {"played": True}},
}
HOSTILE_HEARTBEATS = {
    "year-9999": {"now": "9999-12-31T23:59:59-14:00"},
    "year-1": {"now": "0001-01-01T00:00:00+14:00"},
    "huge-free-mb": {"free_mb": 10**300},
    "negative-free-mb": {"free_mb": -5},
    "lone-surrogate": {"now_playing": "\udfff"},
    "control-version": {"version": "0.9\x07"},
}


def post_json(url: str, token: str, body: object) -> tuple[int, dict[str, object]]:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),  # ASCII escapes: lone surrogates travel as \ud800
        headers={"Authorization": f"Bearer {token}", "Content-Type": JSON},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            text = response.read()
            return response.status, json.loads(text) if text else {}
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def fleet_pages_answer(browser: Browser) -> dict[str, tuple[int, str]]:
    pages = ("/fleet", "/fleet/report", "/fleet/report.csv")
    return {page: browser.open(urllib.request.Request(browser.url + page)) for page in pages}


def test_a_hostile_village_is_refused_at_the_door_and_the_fleet_pages_stay_up(
    settings: Settings, store: Store
) -> None:
    token = villages.add_village(store, "东村", "cli:town", NOW)
    add_user(store, "chief", "reviewer")
    with serving(make_app(settings, store)) as url:
        good = [asrun_row(1, status="played")]
        assert post_json(url + ASRUN, token, {"rows": good})[0] == 200
        assert post_json(url + HB, token, HEARTBEAT)[0] == 204
        before = village_tables(store)
        answers = {}
        for name, changes in HOSTILE_ROWS.items():
            answers[name] = post_json(url + ASRUN, token, {"rows": [asrun_row(2, **changes)]})
        for name, changes in HOSTILE_HEARTBEATS.items():
            answers["hb-" + name] = post_json(url + HB, token, {**HEARTBEAT, **changes})
        fields = {**HOSTILE_ROWS, **{"hb-" + k: v for k, v in HOSTILE_HEARTBEATS.items()}}
        for name, (status, body) in answers.items():
            field = f"'{next(iter(fields[name]))}'"  # the answer names the field
            assert status == 400 and field in str(body["error"]), (name, status, body)
        assert village_tables(store) == before, "nothing stored"

        browser = Browser(url, "chief")
        for page, (status, text) in fleet_pages_answer(browser).items():
            assert status == 200, page
            assert "东村" in text, page


def test_a_stored_row_the_report_cannot_read_is_marked_not_fatal(
    settings: Settings, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    """A row stored before the door checked it (as the red team's `#²` was) breaks nothing."""
    villages.add_village(store, "东村", "cli:town", NOW)
    add_user(store, "chief", "reviewer")
    rows = [
        asrun_row(1, status="played"),
        asrun_row(2, occurrence="3@2023-03-28T00:00:00Z#²", status="played"),
        asrun_row(3, occurrence="3@2023-03-28T02:00:00Z", status="exploded"),
    ]
    village_asrun.store_batch(store, 1, rows, NOW)
    with serving(make_app(settings, store)) as url:
        browser = Browser(url, "chief")
        answered = fleet_pages_answer(browser)
    for page, (status, _text) in answered.items():
        assert status == 200, page
    marker = "2 条记录无法读取（见日志）"
    assert marker in answered["/fleet"][1] and marker in answered["/fleet/report"][1]
    csv_text = answered["/fleet/report.csv"][1]
    assert marker in csv_text and ",1,1,0,0,0,0,0," in csv_text  # the good row still counts
    warnings = [r.getMessage() for r in caplog.records if "unreadable" in r.getMessage()]
    assert len(warnings) >= 2 and any("'3@2023-03-28T00:00:00Z#²'" in w for w in warnings)


# -- town emergencies by sync (the broker's fallback) -------------------------------------


def _kept_emergency(settings: Settings, tmp_path: Path, users: list[str] | None) -> str:
    key = load_signing_key(generate_keys(tmp_path / "keys", "town")[0])
    message = wire.new_emergency("防汛", "河水上涨。", 1, dt.timedelta(hours=1), NOW)
    emergency_relay.keep(settings.data_dir, message, wire.encode(message, key), users, NOW)
    return message.id


@pytest.mark.parametrize("to_this_village", [True, False], ids=["to-it", "to-another"])
def test_a_village_gets_the_live_emergencies_meant_for_it(
    client: FlaskClient,
    settings: Settings,
    device: dict[str, str],
    tmp_path: Path,
    to_this_village: bool,
) -> None:
    token = device["Authorization"].removeprefix("Bearer ")
    user = broker_topics.user_for_token(token) if to_this_village else "village-" + "0" * 16
    ident = _kept_emergency(settings, tmp_path, [user])
    response = client.get("/town/v1/emergencies", headers=device)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    served = [json.loads(m)["body"] for m in response.json["emergencies"]]
    assert [ident in body for body in served] == ([True] if to_this_village else [])


def test_a_villages_answers_by_sync_are_kept_for_the_town(
    client: FlaskClient, settings: Settings, store: Store, device: dict[str, str], tmp_path: Path
) -> None:
    ident = _kept_emergency(settings, tmp_path, None)
    message = wire.TownEmergency(ident, "防汛", "河水上涨。", 1, NOW + dt.timedelta(hours=1))
    emergency_log.record_sent(store, message, [], "chief", NOW)  # as dispatch keeps it
    answer = {"id": ident, "state": "played", "reason": "", "at": NOW.isoformat()}
    response = client.post("/town/v1/emergency-answers", json={"answers": [answer]}, headers=device)
    assert response.status_code == 204
    user = broker_topics.user_for_token(device["Authorization"].removeprefix("Bearer "))
    kept = emergency_relay.answers_for(settings.data_dir, ident)
    assert kept == {user: (wire.AckState.PLAYED, "")}
    # The panel's live table shows it as it shows answers that came on the broker.
    assert [(a.village, a.state) for a in emergency_log.answers(store, ident)] == [
        ("东村", "played")
    ]


@pytest.mark.parametrize(
    "body",
    [{"answers": "played"}, {"answers": [{"id": "x", "state": "played"}]}, [1]],
    ids=["not-a-list", "bad-answer", "not-an-object"],
)
def test_bad_emergency_answers_are_refused_and_nothing_is_kept(
    client: FlaskClient, settings: Settings, device: dict[str, str], body: object
) -> None:
    response = client.post("/town/v1/emergency-answers", json=body, headers=device)
    assert response.status_code == 400
    assert "error" in response.json
    assert not (settings.data_dir / "town" / "emergencies").exists()
