"""A village fetches the town's live emergencies by sync and posts the answers it kept."""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Mapping
from pathlib import Path

import pytest

from playlists.errors import TownAnswerError
from playlists.sync import emergency_outbox as outbox
from playlists.sync.emergency_wire import ANSWERS_PATH, EMERGENCIES_PATH, AckState
from playlists.sync.transport import Reply, TownApi
from playlists.sync.wire import API_PREFIX

NOW = dt.datetime(2026, 12, 5, 8, 0, tzinfo=dt.UTC)
URL = "http://town.test"
IDENT = "b" * 32


class Town:
    """The two emergency endpoints in memory, as an HttpClient."""

    def __init__(self, live: object = ()) -> None:
        self.live = {"emergencies": list(live) if isinstance(live, tuple) else live}
        self.posted: list[list[dict[str, object]]] = []

    def request(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes | None = None
    ) -> Reply:
        path = url.removeprefix(URL + API_PREFIX)
        if (method, path) == ("GET", EMERGENCIES_PATH):
            return Reply(200, {}, io.BytesIO(json.dumps(self.live).encode()))
        assert (method, path) == ("POST", ANSWERS_PATH)
        self.posted.append(json.loads(body or b"{}")["answers"])
        return Reply(204, {}, io.BytesIO())


def api(town: Town) -> TownApi:
    return TownApi(town, URL, "vcd_token")


def test_the_live_emergencies_come_as_the_town_published_them() -> None:
    town = Town(('{"format": "villagecast/town-emergency@1", "body": "紧急"}',))
    assert outbox.fetch_live(api(town)) == [town.live["emergencies"][0].encode("utf-8")]


@pytest.mark.parametrize(
    "listing", [None, "one", [1, 2], [{"body": "x"}]], ids=["missing", "text", "numbers", "objects"]
)
def test_a_wrong_listing_is_a_clear_error(listing: object) -> None:
    with pytest.raises(TownAnswerError, match="'emergencies' must be a list of texts"):
        outbox.fetch_live(api(Town(listing)))


def test_answers_wait_in_order_and_go_once(tmp_path: Path) -> None:
    answers = outbox.AnswerOutbox.in_data_dir(tmp_path)
    for seconds, state in enumerate((AckState.RECEIVED, AckState.STARTED, AckState.PLAYED)):
        answers.put(IDENT, state, "", NOW + dt.timedelta(seconds=seconds))
    town = Town()
    assert outbox.send_answers(answers, api(town)) == 3
    assert [[a["state"] for a in batch] for batch in town.posted] == [
        ["received", "started", "played"]
    ]
    assert outbox.send_answers(answers, api(town)) == 0
    assert len(town.posted) == 1 and answers.pending() == []


def test_many_answers_go_in_batches(tmp_path: Path) -> None:
    answers = outbox.AnswerOutbox.in_data_dir(tmp_path)
    for index in range(outbox.MAX_ANSWERS + 5):
        answers.put(IDENT, AckState.RECEIVED, str(index), NOW + dt.timedelta(seconds=index))
    town = Town()
    assert outbox.send_answers(answers, api(town)) == outbox.MAX_ANSWERS + 5
    assert [len(batch) for batch in town.posted] == [outbox.MAX_ANSWERS, 5]


def test_answers_stay_when_the_town_does_not_take_them(tmp_path: Path) -> None:
    answers = outbox.AnswerOutbox.in_data_dir(tmp_path)
    answers.put(IDENT, AckState.FAILED, "expired", NOW)

    class Down(Town):
        def request(self, *args: object, **kwargs: object) -> Reply:
            return Reply(500, {}, io.BytesIO(b'{"error": "boom"}'))

    with pytest.raises(TownAnswerError, match="500"):
        outbox.send_answers(answers, api(Down()))
    [(_, kept)] = answers.pending()
    assert (kept["id"], kept["state"], kept["reason"]) == (IDENT, "failed", "expired")


def test_an_unreadable_answer_file_is_dropped(tmp_path: Path) -> None:
    answers = outbox.AnswerOutbox.in_data_dir(tmp_path)
    answers.put(IDENT, AckState.PLAYED, "", NOW)
    (answers.folder / "0-broken.json").write_text("{not json", encoding="utf-8")
    assert [kept["state"] for _, kept in answers.pending()] == ["played"]
    assert not (answers.folder / "0-broken.json").exists()
