"""The town emergency in the JSON API over HTTP: token rights, bad bodies, the answers."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

import pytest

from playlists.access.tokens import create_token
from playlists.sync import emergency_wire as wire
from tests.broker_kit import NOW, broker
from tests.web.test_town_emergency_views import WEST, TownPanel, ack, town, village
from tests.web_fixtures import Browser

pytestmark = pytest.mark.slow  # real processes or real time: see pyproject.toml
__all__ = ["broker", "town"]  # the fixtures, used by name

API = "/api/v1/town-emergencies"
BODY = {"text": "河水上涨，请立即转移。", "title": "防汛", "repeat": 3, "minutes": 20}


def call(
    url: str, token: str | None, body: object = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, object]]:
    request = urllib.request.Request(
        url,
        data=None if body is None else json.dumps(body, ensure_ascii=False).encode(),
        headers={
            "Content-Type": "application/json",
            "Accept": "application/json",
            **({"Authorization": f"Bearer {token}"} if token else {}),
            **(headers or {}),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def token_of(town: TownPanel, username: str) -> str:
    return create_token(town.store, username, "script", NOW)


def test_a_script_sends_and_reads_the_villages_answers(town: TownPanel) -> None:
    west = village(town.broker, WEST)
    try:
        status, sent = call(town.url + API, token_of(town, "chief"), {**BODY, "villages": ["西村"]})
        assert status == 201, sent
        assert (sent["text"], sent["title"], sent["repeat"], sent["everyone"]) == (
            BODY["text"],
            "防汛",
            3,
            False,
        )
        assert sent["sent_by"] == "chief" and str(sent["deadline"]).endswith("+08:00")
        assert sent["answers"] == [
            {
                "village": "西村",
                "state": "no answer",
                "state_words": "无回应",
                "reason": "",
                "reason_words": "",
                "answered_at": None,
            }
        ]
        ident = str(sent["id"])
        [message] = west.wait_messages(1, timeout=10)
        assert json.loads(json.loads(message.payload)["body"])["id"] == ident
        ack(west, WEST, ident, wire.AckState.PLAYED)
        reader = token_of(town, "rev")  # the town's staff read the answers too
        deadline = time.monotonic() + 5
        while True:
            status, read = call(
                f"{town.url}{API}/{ident}", reader, headers={"Accept-Language": "zh-CN"}
            )
            answers = read["answers"]
            assert isinstance(answers, list)
            if answers[0]["state"] == "played" or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert status == 200
        assert (answers[0]["state"], answers[0]["state_words"]) == ("played", "已播出")
    finally:
        west.close()


@pytest.mark.parametrize(
    ("who", "method", "status"),
    [
        pytest.param(None, "POST", 401, id="no-token-post"),
        pytest.param(None, "GET", 401, id="no-token-get"),
        pytest.param("op", "POST", 403, id="operator-without-the-right-posts"),
        pytest.param("op", "GET", 403, id="operator-without-the-right-reads"),
        pytest.param("rev", "POST", 403, id="reviewer-posts"),
    ],
)
def test_rights_are_asked_at_the_door(
    town: TownPanel, who: str | None, method: str, status: int
) -> None:
    token = token_of(town, who) if who else None
    if method == "POST":
        got, body = call(town.url + API, token, BODY)
    else:
        got, body = call(f"{town.url}{API}/{'ab' * 16}", token)
    assert got == status and body["error"]
    assert town.kept() == []


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"title": "防汛"}, "text"),
        ({**BODY, "colour": "red"}, "colour"),
        ({**BODY, "text": " "}, "Write the text"),
        ({**BODY, "text": "撤" * 501}, "501"),
        ({**BODY, "repeat": 0}, "1 to 3 times"),
        ({**BODY, "repeat": "2"}, "1 to 3 times"),
        ({**BODY, "repeat": True}, "1 to 3 times"),
        ({**BODY, "minutes": 1441}, "1 to 1440 minutes"),
        ({**BODY, "minutes": 2.5}, "1 to 1440 minutes"),
        ({**BODY, "villages": "东村"}, "villages"),
        ({**BODY, "villages": [""]}, "villages"),
        ({**BODY, "villages": ["北村"]}, "no longer registered"),
        ([BODY], "JSON object"),
    ],
    ids=[
        "no-text",
        "unknown-field",
        "blank-text",
        "text-too-long",
        "repeat-0",
        "repeat-text",
        "repeat-bool",
        "minutes-over-a-day",
        "minutes-fraction",
        "villages-not-a-list",
        "villages-empty-name",
        "unknown-village",
        "not-an-object",
    ],
)
def test_bad_bodies_are_400_and_nothing_is_sent(town: TownPanel, body: object, words: str) -> None:
    west = village(town.broker, WEST)
    try:
        status, answer = call(
            town.url + API, token_of(town, "chief"), body, {"Accept-Language": "en"}
        )
        assert status == 400 and words in str(answer["error"]), answer
        assert town.kept() == []
        assert west.wait_messages(1, timeout=0.3) == []
    finally:
        west.close()


def test_a_session_post_needs_the_csrf_header(town: TownPanel) -> None:
    chief = Browser(town.url, "chief")
    request = urllib.request.Request(
        town.url + API,
        data=json.dumps(BODY).encode(),
        headers={"Content-Type": "application/json"},
    )
    assert chief.open(request)[0] == 400
    assert town.kept() == []
    request.add_header("X-CSRF-Token", chief.token())
    assert chief.open(request)[0] == 201


def test_an_unknown_emergency_is_404(town: TownPanel) -> None:
    status, body = call(f"{town.url}{API}/{'ab' * 16}", token_of(town, "chief"))
    assert status == 404 and body["error"]
