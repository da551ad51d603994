"""The emergency right at every door: the attack from issue 11, finding 8.

An operator without the emergency right brings `priority: emergency` in through each
way a schedule entry enters the station: the schedule form, the API, a YAML file on
the playlists page, a YAML file and a bundle on the bundle form. The panel runs under
waitress on loopback and is driven over HTTP as a browser or a script would. Each door
refuses, and nothing is stored; a user holding the right passes the same doors.
The command line (trusted like an admin) and the town's sync are tested in
test_cli_bundles.py and test_sync_client.py.
"""

from __future__ import annotations

import dataclasses
import json
import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from playlists.access import emergency_right, tokens
from playlists.access.users import User
from playlists.errors import EmergencyRightError
from playlists.model import Priority
from playlists.settings import Settings
from playlists.store import Store
from tests.bundle_kit import bundle_entries, make_png, playlist_yaml, write_zip
from tests.web_fixtures import NOW, Browser, add_pause_playlist, add_user, serving
from web import create_app

EMERGENCY_SCHEDULE = (
    "schedule:\n  - {start: 2023-03-28, end: 2023-04-07, times: ['03:00'], priority: emergency}\n"
)
ITEMS = "  - announcement: 紧急通知，请注意\n  - image: media/poster.png\n    duration: 5\n"
REFUSED = "Your account may not schedule emergency broadcasts."
REFUSED_ZH = "您的账号不能安排紧急广播。"


@pytest.mark.parametrize(
    ("role", "may_emergency", "holds"),
    [
        ("admin", False, True),
        ("operator", True, True),
        ("reviewer", True, True),
        ("operator", False, False),
        ("reviewer", False, False),
    ],
    ids=["admin-always", "operator-given", "reviewer-given", "operator", "reviewer"],
)
def test_who_holds_the_right(role: str, may_emergency: bool, holds: bool) -> None:
    user = User(1, "someone", role, False, may_emergency=may_emergency)
    assert emergency_right.holds(user) is holds


@pytest.mark.parametrize(
    ("priorities", "allowed", "refused"),
    [
        ((Priority.SCHEDULED, Priority.EMERGENCY), False, True),
        ((Priority.EMERGENCY,), True, False),
        ((Priority.SCHEDULED, Priority.MANUAL, Priority.IDLE), False, False),
        ((), False, False),
    ],
    ids=["emergency-without", "emergency-with", "others", "none"],
)
def test_only_emergency_needs_the_right(
    priorities: tuple[Priority, ...], allowed: bool, refused: bool
) -> None:
    if refused:
        with pytest.raises(EmergencyRightError, match="emergency right"):
            emergency_right.check(iter(priorities), allowed)
    else:
        emergency_right.check(iter(priorities), allowed)


# -- the panel's doors, over HTTP ---------------------------------------------------


@dataclasses.dataclass
class Station:
    url: str
    store: Store
    playlist_id: int
    tokens: dict[str, str]


@pytest.fixture
def station(settings: Settings, store: Store) -> Iterator[Station]:
    add_user(store, "op", "operator", may_emergency=False)
    add_user(store, "boss", "operator", may_emergency=True)
    playlist_id = add_pause_playlist(store, "日常节目")
    minted = {name: tokens.create_token(store, name, "tests", NOW) for name in ("op", "boss")}
    with serving(create_app(settings, store)) as url:
        yield Station(url, store, playlist_id, minted)


def emergency_yaml(name: str, with_picture: bool = False) -> bytes:
    items = ITEMS if with_picture else "  - announcement: 紧急通知，请注意\n"
    return playlist_yaml(items, EMERGENCY_SCHEDULE, name=name)


def stored(store: Store) -> tuple[list[str], list[str]]:
    """The playlists and the priorities of the schedule entries the station holds."""
    names = [row["name"] for row in store.query("SELECT name FROM playlists ORDER BY id")]
    priorities = [row["priority"] for row in store.query("SELECT priority FROM schedules")]
    return names, priorities


def door_form(station: Station, who: str, name: str, tmp_path: Path) -> tuple[int, str]:
    fields: dict[str, str | list[str]] = {
        "playlist_id": str(station.playlist_id),
        "start": "2023-03-28",
        "end": "2023-04-07",
        "times": "03:00",
        "weekdays": [str(day) for day in range(7)],
        "priority": "emergency",
        "on_interrupt": "resume",
        "wait": "300",
    }
    browser = Browser(station.url, who)
    status, html = browser.post("/schedule/new", fields)
    seen = re.search(r'name="seen" value="([0-9a-f]+)"', html)
    if seen:  # warnings shown (quiet hours): confirm them, as the operator would
        status, html = browser.post("/schedule/new", {**fields, "seen": seen[1]})
    return status, html


def door_api(station: Station, who: str, name: str, tmp_path: Path) -> tuple[int, str]:
    body = {
        "playlist_id": station.playlist_id,
        "start": "2023-03-28",
        "end": "2023-04-07",
        "times": ["03:00"],
        "priority": "emergency",
    }
    request = urllib.request.Request(
        station.url + "/api/v1/schedule",
        data=json.dumps(body).encode(),
        headers={
            "Authorization": f"Bearer {station.tokens[who]}",
            "Content-Type": "application/json",
            "Accept-Language": "en",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def door_playlist_yaml(station: Station, who: str, name: str, tmp_path: Path) -> tuple[int, str]:
    browser = Browser(station.url, who)
    return browser.upload("/playlists/import", "playlist", "alert.yaml", emergency_yaml(name))


def door_bundle_yaml(station: Station, who: str, name: str, tmp_path: Path) -> tuple[int, str]:
    browser = Browser(station.url, who)
    return browser.upload("/bundles/import", "bundle", "alert.yaml", emergency_yaml(name))


def door_bundle_zip(station: Station, who: str, name: str, tmp_path: Path) -> tuple[int, str]:
    files = {
        "playlist.yaml": emergency_yaml(name, with_picture=True),
        "media/poster.png": make_png(),
    }
    bundle = write_zip(tmp_path / "alert.zip", bundle_entries(files))
    browser = Browser(station.url, who)
    return browser.upload("/bundles/import", "bundle", "alert.zip", bundle.read_bytes())


DOORS = {
    "schedule-form": door_form,
    "api": door_api,
    "playlist-yaml": door_playlist_yaml,
    "bundle-form-yaml": door_bundle_yaml,
    "bundle-form-zip": door_bundle_zip,
}


@pytest.mark.parametrize("door", DOORS.values(), ids=DOORS.keys())
def test_an_operator_without_the_right_is_refused_at_every_door(
    station: Station, door: object, tmp_path: Path
) -> None:
    before = stored(station.store)
    status, answer = door(station, "op", "紧急节目", tmp_path)  # type: ignore[operator]
    assert REFUSED in answer or REFUSED_ZH in answer, (status, answer[:300])
    assert status in (200, 403)  # a form shown again with the error, or the API's refusal
    assert stored(station.store) == before, "nothing stored"


@pytest.mark.parametrize("door", DOORS.values(), ids=DOORS.keys())
def test_a_user_with_the_right_passes_the_same_doors(
    station: Station, door: object, tmp_path: Path
) -> None:
    status, answer = door(station, "boss", "紧急节目", tmp_path)  # type: ignore[operator]
    assert REFUSED not in answer and REFUSED_ZH not in answer, answer[:300]
    assert status in (200, 201)
    assert "emergency" in stored(station.store)[1]
