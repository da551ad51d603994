"""Schedule caps at every door: the attack from issue 11, finding 4.

A 26 KB playlist@1 file of 80 schedule entries made one view of /schedule take 16 s
and 1.5 GB; 300 entries passed 5 GB. The file is now refused with one clear line at
every door (the YAML parser, the panel's imports over HTTP, the command line), the
form and the API refuse what would take the station over its caps, and the store
refuses it last of all.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

import pytest

from playlists.access import tokens
from playlists.bundles.bundle import read_bundle
from playlists.content import playlist_table
from playlists.content.playlist_format import parse_playlist
from playlists.content.playlist_table import NewItem
from playlists.errors import PlaylistFormatError, ScheduleLimitError
from playlists.model import ItemKind, Priority, Review
from playlists.schedule import entry_table, limits
from playlists.settings import Settings
from playlists.store import Store
from tests.bundle_kit import bundle_entries, make_png, write_bundle
from tests.scheduler.test_cli import villagecast, write_config
from tests.web_fixtures import (
    NOW,
    Browser,
    add_pause_playlist,
    add_user,
    client_for,
    csrf_of,
    make_app,
    serving,
)

DAY = dt.date(2023, 3, 28)
EVERY_HALF_HOUR = tuple(dt.time(h, m) for h in range(24) for m in (0, 30))


def big_playlist(entries: int, times: int = 24, name: str = "大日程") -> bytes:
    """A playlist@1 file as the red team wrote it: many entries of many times each."""
    clock = ", ".join(f'"{t:%H:%M}"' for t in EVERY_HALF_HOUR[:times])
    schedule = "".join(
        f"  - {{start: 2023-03-28, end: 2023-04-07, times: [{clock}]}}\n" for _ in range(entries)
    )
    text = (
        f"format: villagecast/playlist@1\nname: {name}\nitems:\n"
        f"  - image: media/poster.png\n    duration: 5\nschedule:\n{schedule}"
    )
    return text.encode("utf-8")


# -- the rules ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("times", "days", "wait", "limit"),
    [
        (48, 366, 3600, None),
        (49, 1, 300, limits.TIMES),
        (1, 367, 300, limits.DAYS),
        (1, 1, 3601, limits.WAIT),
        (1, 1, -1, limits.WAIT),
        (1, 1, float("nan"), limits.WAIT),
    ],
    ids=["at-the-caps", "times", "days", "wait", "negative-wait", "nan-wait"],
)
def test_one_entry(times: int, days: int, wait: float, limit: str | None) -> None:
    end = DAY + dt.timedelta(days=days - 1)
    if limit is None:
        limits.check_entry(times, DAY, end, wait)
        return
    with pytest.raises(ScheduleLimitError) as refused:
        limits.check_entry(times, DAY, end, wait)
    assert refused.value.limit == limit


@pytest.mark.parametrize("entries", [80, 300], ids=["80-entries", "300-entries"])
def test_the_red_team_file_is_one_line_from_the_parser(entries: int) -> None:
    data = big_playlist(entries)
    assert len(data) > 20_000
    with pytest.raises(PlaylistFormatError) as refused:
        parse_playlist(data)
    message = str(refused.value)
    assert message == f"playlist.yaml: 'schedule' has {entries} entries; at most 20"


def test_an_entry_of_too_many_times_is_named() -> None:
    with pytest.raises(PlaylistFormatError, match="schedule 1: an entry has 49 times of day"):
        parse_playlist(big_playlist(1, times=48).replace(b'"23:30"]', b'"23:30", "23:45"]'))


def test_the_store_refuses_past_each_cap(store: Store) -> None:
    first = add_pause_playlist(store, "节目0", times=EVERY_HALF_HOUR)  # 48 times
    for _n in range(limits.MAX_ENTRIES_PER_PLAYLIST - 1):
        entry_table.add_schedule(
            store, first, DAY, DAY, (dt.time(8),), frozenset(range(7)), Priority.SCHEDULED, NOW
        )
    with pytest.raises(ScheduleLimitError) as per_playlist:
        entry_table.add_schedule(
            store, first, DAY, DAY, (dt.time(8),), frozenset(range(7)), Priority.SCHEDULED, NOW
        )
    assert per_playlist.value.limit == limits.PLAYLIST_ENTRIES
    # 19 + 48 times so far; nine more playlists of 48 times reach 499.
    for n in range(1, 10):
        add_pause_playlist(store, f"节目{n}", times=EVERY_HALF_HOUR)
    with pytest.raises(ScheduleLimitError) as per_station:
        add_pause_playlist(store, "一个太多", times=EVERY_HALF_HOUR[:2])
    assert per_station.value.limit == limits.STATION_TIMES
    assert playlist_table.playlist_id_by_name(store, "一个太多") is not None  # its entry is not
    times = sum(len(entry.times) for entry in entry_table.schedule_entries(store))
    assert times == 19 + 48 * 10 == 499


# -- the doors, over HTTP -------------------------------------------------------------


def panel_import(url: str, path: str, field: str, filename: str, data: bytes) -> str:
    browser = Browser(url, "op")
    status, html = browser.upload(path, field, filename, data)
    assert status == 200  # redirected to the playlists page, which says why
    return html


def stored_zip(path: Path, entries: list[tuple[str, bytes]]) -> bytes:
    """Zip without compression: so repetitive a file deflated looks like a zip bomb."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        for name, data in entries:
            archive.writestr(name, data)
    return path.read_bytes()


def unescaped(html: str) -> str:
    return html.replace("&#39;", "'").replace("&#34;", '"')


@pytest.mark.parametrize("entries", [80, 300], ids=["80-entries", "300-entries"])
@pytest.mark.parametrize(
    ("path", "field", "filename"),
    [
        ("/playlists/import", "playlist", "big.yaml"),
        ("/bundles/import", "bundle", "big.yaml"),
        ("/bundles/import", "bundle", "big.zip"),
    ],
    ids=["playlists-yaml", "bundle-form-yaml", "bundle-form-zip"],
)
def test_the_panel_imports_refuse_the_file_and_store_nothing(
    settings: Settings,
    store: Store,
    tmp_path: Path,
    entries: int,
    path: str,
    field: str,
    filename: str,
) -> None:
    add_user(store, "op", "operator")
    data = big_playlist(entries)
    if filename.endswith(".zip"):
        files = {"playlist.yaml": data, "media/poster.png": make_png()}
        data = stored_zip(tmp_path / filename, bundle_entries(files))
    with serving(make_app(settings, store)) as url:
        html = unescaped(panel_import(url, path, field, filename, data))
    assert f"'schedule' has {entries} entries; at most 20" in html
    assert store.query("SELECT * FROM playlists") == []
    assert store.query("SELECT * FROM schedules") == []


@pytest.mark.slow  # a real `villagecast` process
@pytest.mark.parametrize("entries", [80, 300], ids=["80-entries", "300-entries"])
def test_the_command_line_refuses_the_file_in_one_line(tmp_path: Path, entries: int) -> None:
    config = write_config(tmp_path)
    source = tmp_path / "big.yaml"
    source.write_bytes(big_playlist(entries))
    result = villagecast("import", str(source), config=config)
    assert result.returncode != 0
    assert result.stderr.count("\n") == 1
    assert f"'schedule' has {entries} entries; at most 20" in result.stderr


def api_schedule(
    url: str, token: str, playlist_id: int, times: list[str], end: str = "2023-04-07"
) -> tuple[int, str]:
    body = {"playlist_id": playlist_id, "start": "2023-03-28", "end": end, "times": times}
    request = urllib.request.Request(
        url + "/api/v1/schedule",
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def form_schedule(browser: Browser, playlist_id: int, times: str) -> str:
    fields: dict[str, str | list[str]] = {
        "playlist_id": str(playlist_id),
        "start": "2023-03-28",
        "end": "2023-04-07",
        "times": times,
        "weekdays": [str(day) for day in range(7)],
        "priority": "scheduled",
        "on_interrupt": "resume",
        "wait": "300",
    }
    _status, html = browser.post("/schedule/new", fields)
    seen = re.search(r'name="seen" value="([0-9a-f]+)"', html)
    if seen:  # the overlaps it would make are shown first: confirm them
        _status, html = browser.post("/schedule/new", {**fields, "seen": seen[1]})
    return html


def test_the_form_and_the_api_refuse_what_passes_the_station_caps(
    settings: Settings, store: Store
) -> None:
    add_user(store, "op", "operator")
    token = tokens.create_token(store, "op", "tests", NOW)
    full = [add_pause_playlist(store, f"节目{n}", times=EVERY_HALF_HOUR) for n in range(10)]
    crowded = ", ".join(f"{t:%H:%M}" for t in EVERY_HALF_HOUR[:25])
    with serving(make_app(settings, store)) as url:
        too_many = [f"{t:%H:%M}" for t in EVERY_HALF_HOUR] + ["23:45"]
        status, answer = api_schedule(url, token, full[0], too_many)
        assert status == 400 and "49" not in answer and "48" in answer
        status, answer = api_schedule(url, token, full[0], ["08:15"], end="2024-03-28")
        assert status == 400 and "366" in answer  # 367 days
        # 480 times are on the schedule: 21 more would make 501.
        more = [f"{t:%H:%M}" for t in EVERY_HALF_HOUR[:21]]
        status, answer = api_schedule(url, token, full[1], more)
        assert status == 400, answer
        assert "500" in json.loads(answer)["error"]
        html = form_schedule(Browser(url, "op"), full[0], crowded)
    assert "播出日程最多 500 个时刻" in html
    assert len(entry_table.schedule_entries(store)) == 10  # nothing added by either


# -- the same limit at every door -----------------------------------------------------

CAMPAIGN_DAY = "2023-03-28"


@dataclasses.dataclass(frozen=True)
class Entry:
    """One schedule entry as each door is asked it: in its own words, the same values."""

    times: tuple[dt.time, ...] = (dt.time(8),)
    end: dt.date = dt.date(2023, 4, 7)
    wait: int = 300

    def clocks(self) -> list[str]:
        return [f"{time:%H:%M}" for time in self.times]


ONE_TOO_MANY = (*EVERY_HALF_HOUR, dt.time(23, 45))


def a_year_of(days: int) -> dt.date:
    return DAY + dt.timedelta(days=days - 1)


def through_the_form(settings: Settings, store: Store, playlist_id: int, entry: Entry) -> str:
    client = client_for(make_app(settings, store), store, "op", "operator")
    fields: dict[str, object] = {
        "csrf_token": csrf_of(client.get("/schedule/new")),
        "playlist_id": str(playlist_id), "start": CAMPAIGN_DAY, "end": entry.end.isoformat(),
        "times": " ".join(entry.clocks()), "weekdays": [str(day) for day in range(7)],
        "priority": "scheduled", "on_interrupt": "resume", "wait": str(entry.wait),
    }  # fmt: skip
    html = client.post("/schedule/new", data=fields, follow_redirects=True).get_data(True)
    seen = re.search(r'name="seen" value="([0-9a-f]+)"', html)
    if seen:  # outside the campaign or overlapping: the operator confirms what was shown
        html = client.post("/schedule/new", data={**fields, "seen": seen[1]}).get_data(True)
    errors = re.findall(r'<p class="flash flash-error"[^>]*>([^<]*)</p>', unescaped(html))
    return " ".join(errors) or "stored"


def through_the_api(settings: Settings, store: Store, playlist_id: int, entry: Entry) -> str:
    add_user(store, "op", "operator")
    token = tokens.create_token(store, "op", "tests", NOW)
    body = {"playlist_id": playlist_id, "start": CAMPAIGN_DAY, "end": entry.end.isoformat(),
            "times": entry.clocks(), "wait_seconds": entry.wait}  # fmt: skip
    client = make_app(settings, store).test_client()
    response = client.post(
        "/api/v1/schedule", json=body, headers={"Authorization": f"Bearer {token}"}
    )
    return str(response.get_json().get("error", "stored"))


def playlist_text(entry: Entry) -> bytes:
    clocks = ", ".join(f'"{clock}"' for clock in entry.clocks())
    return (
        "format: villagecast/playlist@1\nname: 每道门\nitems:\n"
        "  - image: media/poster.png\n    duration: 5\nschedule:\n"
        f"  - {{start: {CAMPAIGN_DAY}, end: {entry.end}, times: [{clocks}], wait: {entry.wait}}}\n"
    ).encode()


def through_yaml(settings: Settings, store: Store, playlist_id: int, entry: Entry) -> str:
    try:
        parse_playlist(playlist_text(entry))
    except PlaylistFormatError as exc:
        return str(exc)
    return "stored"


def through_a_bundle(settings: Settings, store: Store, playlist_id: int, entry: Entry) -> str:
    files = {"playlist.yaml": playlist_text(entry), "media/poster.png": make_png()}
    path = write_bundle(settings.data_dir / "every-door.zip", files)
    try:
        read_bundle(path, settings).close()
    except PlaylistFormatError as exc:  # BundlePlaylistError is one
        return str(exc)
    return "stored"


DOORS = {
    "form": through_the_form,
    "api": through_the_api,
    "yaml": through_yaml,
    "bundle": through_a_bundle,
}


@pytest.mark.parametrize("door", list(DOORS))
@pytest.mark.parametrize(
    ("entry", "maximum"),
    [
        pytest.param(Entry(times=EVERY_HALF_HOUR, end=a_year_of(366), wait=3600), None,
                     id="at-every-cap"),
        pytest.param(Entry(times=ONE_TOO_MANY), limits.MAX_TIMES, id="times"),
        pytest.param(Entry(end=a_year_of(367)), limits.MAX_DAYS, id="days"),
        pytest.param(Entry(wait=3601), limits.MAX_WAIT, id="wait"),
    ],
)  # fmt: skip
def test_every_door_refuses_the_same_entry(
    settings: Settings, store: Store, door: str, entry: Entry, maximum: int | None
) -> None:
    playlist_id = playlist_table.add_playlist(
        store, "每道门", "", [NewItem(ItemKind.PAUSE, 5.0)], NOW,
        review=Review.APPROVED, created_by="test",
    )  # fmt: skip
    answer = DOORS[door](settings, store, playlist_id, entry)
    stored = entry_table.schedule_entries(store)
    if maximum is None:
        assert "at most" not in answer and "最多" not in answer, answer
        assert len(stored) == (door in ("form", "api"))
        return
    assert str(maximum) in answer, answer
    assert stored == []
