"""The command contract: requests and results round-trip, bad rows are clear errors, one wait."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from playlists.commands import (
    ENGLISH,
    RULES,
    CommandKind,
    CommandOutcome,
    CommandResult,
    Doorbell,
    PlayAnnouncement,
    PlayPlaylist,
    PlaySpeech,
    Reason,
    ReasonCode,
    Request,
    Skip,
    Stop,
    Waiting,
    answer,
    await_result,
    decode_request,
    decode_result,
    encode_request,
    encode_result,
    english,
    payload_of,
    send_and_await,
)
from playlists.errors import CommandFormatError
from playlists.model import Priority
from playlists.store import Store

NOW = dt.datetime(2023, 3, 28, 3, 0, tzinfo=dt.UTC)

# -- requests ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("request_", "kind", "payload"),
    [
        pytest.param(
            PlayPlaylist(3), "play", {"playlist_id": 3, "priority": "manual"}, id="playlist"
        ),
        pytest.param(
            PlayAnnouncement(7, Priority.EMERGENCY),
            "play",
            {"announcement_id": 7, "priority": "emergency"},
            id="announcement",
        ),
        pytest.param(
            PlaySpeech("ab12", "紧急通知", "河水上涨", Priority.EMERGENCY),
            "play",
            {
                "media_sha256": "ab12",
                "title": "紧急通知",
                "text": "河水上涨",
                "priority": "emergency",
                "repeat": 1,
                "gap": 0,
            },
            id="speech",
        ),
        pytest.param(
            PlaySpeech("ab12", "紧急通知", "河水上涨", Priority.EMERGENCY, 3, 5),
            "play",
            {
                "media_sha256": "ab12",
                "title": "紧急通知",
                "text": "河水上涨",
                "priority": "emergency",
                "repeat": 3,
                "gap": 5,
            },
            id="speech-repeated",
        ),
        pytest.param(Stop(), "stop", {}, id="stop"),
        pytest.param(Skip(), "skip", {}, id="skip"),
    ],
)
def test_requests_round_trip_through_the_row(
    request_: Request, kind: str, payload: dict[str, object]
) -> None:
    text = encode_request(request_)
    assert json.loads(text) == {"v": 1, **payload}
    assert request_.kind is CommandKind(kind)
    assert payload_of(request_) == payload
    assert decode_request(kind, text) == request_


@pytest.mark.parametrize(
    ("kind", "payload", "expected"),
    [
        pytest.param("play", '{"playlist_id": 2}', PlayPlaylist(2), id="priority-defaults-manual"),
        pytest.param("stop", "{}", Stop(), id="stop-without-version"),
        pytest.param(
            "play",
            '{"playlist_id": 2, "priority": "emergency"}',
            PlayPlaylist(2, Priority.EMERGENCY),
            id="emergency-without-version",
        ),
        pytest.param(
            "play",
            '{"v": 1, "media_sha256": "ab", "title": "t", "text": "x", "priority": "emergency"}',
            PlaySpeech("ab", "t", "x", Priority.EMERGENCY, 1, 0),
            id="speech-before-repeats",
        ),
    ],
)
def test_rows_written_before_the_version_still_read(
    kind: str, payload: str, expected: Request
) -> None:
    assert decode_request(kind, payload) == expected


@pytest.mark.parametrize(
    ("kind", "payload", "message"),
    [
        pytest.param("dance", "{}", "unknown command kind 'dance'", id="unknown-kind"),
        pytest.param("stop", "{not json", "payload is not JSON", id="not-json"),
        pytest.param("stop", "[1]", "payload is not a JSON object", id="not-an-object"),
        pytest.param(
            "stop", '{"v": 2}', "payload has format 2; this villagecast reads 1", id="newer"
        ),
        pytest.param("stop", '{"playlist_id": 1}', "unexpected field(s)", id="stop-with-fields"),
        pytest.param(
            "play", '{"playlist_id": "1"}', "playlist_id must be a positive", id="id-text"
        ),
        pytest.param(
            "play", '{"playlist_id": true}', "playlist_id must be a positive", id="id-bool"
        ),
        pytest.param("play", '{"announcement_id": 0}', "announcement_id must be a", id="id-zero"),
        pytest.param(
            "play", '{"playlist_id": 1, "priority": "loud"}', "unknown priority", id="prio"
        ),
        pytest.param("play", '{"playlist_id": 1, "text": "x"}', "unexpected field", id="mixed"),
        pytest.param(
            "play", '{"title": "t", "text": "x"}', "media_sha256 must be text", id="no-sha"
        ),
        pytest.param("play", "{}", "media_sha256 must be text", id="empty-play"),
        pytest.param(
            "play",
            '{"media_sha256": "ab", "title": "t", "text": "x", "repeat": "2"}',
            "repeat must be a whole number",
            id="repeat-text",
        ),
        pytest.param(
            "play",
            '{"media_sha256": "ab", "title": "t", "text": "x", "gap": -1}',
            "gap must be a whole number",
            id="gap-negative",
        ),
    ],
)
def test_bad_request_rows_are_clear_errors(kind: str, payload: str, message: str) -> None:
    with pytest.raises(CommandFormatError, match=message.replace("(", r"\(").replace(")", r"\)")):
        decode_request(kind, payload)


# -- results -------------------------------------------------------------------------

EVERY_RESULT = [
    answer(ReasonCode.STARTED),
    answer(ReasonCode.WAITING, on_air="早间新闻"),
    answer(ReasonCode.SLOT_BUSY, on_air="早间新闻"),
    answer(ReasonCode.NOT_PLAYED),
    answer(ReasonCode.STOPPED),
    answer(ReasonCode.ITEM_SKIPPED, item=3),
    answer(ReasonCode.NOTHING_PLAYING),
    answer(ReasonCode.QUIET_HOURS, start="22:00", end="06:30"),
    answer(ReasonCode.NOT_APPROVED, subject="playlist", name="社会工作宣传"),
    answer(ReasonCode.NOT_FOUND, subject="announcement", id=9),
    answer(ReasonCode.AUDIO_MISSING, sha256="ab12"),
    answer(ReasonCode.PLAYER_NOT_RUNNING, seconds=75),
    answer(ReasonCode.BAD_COMMAND, detail="unknown command kind 'dance'"),
    answer(ReasonCode.PLAYER_ERROR, detail="disk full"),
]


def test_every_reason_code_is_in_the_table() -> None:
    assert {r.reason.code for r in EVERY_RESULT} == set(ReasonCode) == set(RULES) == set(ENGLISH)


@pytest.mark.parametrize("result", EVERY_RESULT, ids=lambda r: r.reason.code.value)
def test_results_round_trip_through_the_row(result: CommandResult) -> None:
    text = encode_result(result)
    assert json.loads(text)["v"] == 1
    assert decode_result(text) == result


@pytest.mark.parametrize(
    ("result", "words"),
    [
        (answer(ReasonCode.STARTED), "started the broadcast"),
        (answer(ReasonCode.WAITING, on_air="早间新闻"), "queued: it starts when 早间新闻 ends"),
        (answer(ReasonCode.ITEM_SKIPPED, item=3), "skipped item 3; the next one follows"),
        (
            answer(ReasonCode.QUIET_HOURS, start="22:00", end="06:30"),
            "refused: quiet hours 22:00–06:30; only emergencies play now",
        ),
        (
            answer(ReasonCode.NOT_APPROVED, subject="playlist", name="宣传"),
            "refused: the playlist “宣传” is not approved for broadcast",
        ),
        (
            answer(ReasonCode.PLAYER_NOT_RUNNING, seconds=75),
            "not carried out: the player was not running when it was given (75 s ago)",
        ),
    ],
    ids=["started", "waiting", "item-skipped", "quiet-hours", "not-approved", "expired"],
)
def test_english_for_the_shell(result: CommandResult, words: str) -> None:
    assert english(result) == words


@pytest.mark.parametrize("result", EVERY_RESULT, ids=lambda r: r.reason.code.value)
def test_every_code_has_english_using_all_its_params(result: CommandResult) -> None:
    words = english(result)
    assert all(str(value) in words for value in result.reason.params.values())


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("started", "result is not JSON", id="old-english-answer"),
        pytest.param('{"v": 9, "outcome": "done"}', "result has format 9", id="newer"),
        pytest.param(
            '{"outcome": "done", "reason": {"code": "started"}}',
            "must be {code, params}",
            id="no-params",
        ),
        pytest.param(
            '{"outcome": "done", "reason": {"code": "danced", "params": {}}}',
            "names 'danced'",
            id="unknown-code",
        ),
        pytest.param(
            '{"outcome": "done", "reason": {"code": "quiet-hours", "params": {}}}',
            r"takes \['end', 'start'\]",
            id="missing-params",
        ),
        pytest.param(
            '{"outcome": "refused", "reason": {"code": "started", "params": {}}}',
            "goes with outcome done, not refused",
            id="outcome-mismatch",
        ),
        pytest.param(
            '{"outcome": "refused", "reason": {"code": "not-approved", '
            '"params": {"subject": "user", "name": "x"}}}',
            "subject 'user'",
            id="unknown-subject",
        ),
        pytest.param(
            '{"outcome": "done", "reason": {"code": "item-skipped", "params": {"item": [1]}}}',
            "parameter item",
            id="param-not-scalar",
        ),
        pytest.param(
            '{"outcome": "done", "reason": {"code": "started", "params": {}}, "extra": 1}',
            "unexpected field",
            id="extra-field",
        ),
    ],
)
def test_bad_result_rows_are_clear_errors(text: str, message: str) -> None:
    with pytest.raises(CommandFormatError, match=message):
        decode_result(text)


def test_a_result_cannot_be_made_with_the_wrong_params() -> None:
    with pytest.raises(CommandFormatError, match="quiet-hours takes"):
        answer(ReasonCode.QUIET_HOURS, until="06:30")
    with pytest.raises(CommandFormatError, match="goes with outcome done"):
        CommandResult(CommandOutcome.FAILED, Reason(ReasonCode.STARTED))


# -- sending and waiting ----------------------------------------------------------------


class FakeClock:
    """A monotonic clock that moves only when the waiter sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def waiting(clock: FakeClock, seconds: float = 1.0) -> Waiting:
    return Waiting(seconds=seconds, poll=0.25, clock=clock, sleep=clock.sleep)


def test_nobody_answers_gives_up_at_the_deadline(store: Store) -> None:
    clock = FakeClock()
    sent = send_and_await(store, Stop(), "王五", NOW, waiting(clock))
    assert sent.result is None and sent.unreadable is None
    assert clock.sleeps == [0.25] * 4  # looked at 0, .25, .5, .75 and 1.0 s, then gave up
    row = store.command(sent.id)
    assert row is not None and (row["kind"], row["created_by"]) == ("stop", "王五")


def test_the_answer_is_read_when_the_player_writes_it(store: Store) -> None:
    clock = FakeClock()

    def player_answers_on_second_look(seconds: float) -> None:
        clock.sleep(seconds)
        for row in store.take_commands(NOW):
            store.finish_command(row["id"], encode_result(answer(ReasonCode.STOPPED)))

    wait = Waiting(seconds=5, poll=0.25, clock=clock, sleep=player_answers_on_second_look)
    sent = send_and_await(store, Stop(), "王五", NOW, wait)
    assert sent.result == answer(ReasonCode.STOPPED)
    assert clock.sleeps == [0.25]


def test_an_unreadable_answer_is_reported_not_raised(store: Store) -> None:
    clock = FakeClock()

    def player_answers_in_old_english(seconds: float) -> None:
        clock.sleep(seconds)
        for row in store.take_commands(NOW):
            store.finish_command(row["id"], "stopped")

    wait = Waiting(seconds=5, poll=0.25, clock=clock, sleep=player_answers_in_old_english)
    sent = send_and_await(store, Stop(), "王五", NOW, wait)
    assert sent.result is None
    assert sent.unreadable is not None and "result is not JSON" in sent.unreadable
    with pytest.raises(CommandFormatError):
        await_result(store, sent.id, waiting(clock))


def test_also_runs_in_the_same_transaction(store: Store) -> None:
    def fail(command_id: int) -> None:
        raise RuntimeError("audit failed")

    with pytest.raises(RuntimeError):
        send_and_await(store, Skip(), "王五", NOW, waiting(FakeClock()), also=fail)
    assert store.query("SELECT * FROM commands") == []  # nothing half-written


def test_a_real_player_thread_answers(store: Store) -> None:
    """The real clock and sleep: a second thread with its own connection answers."""
    other = Store.open(store.path)
    done = threading.Event()

    def player() -> None:
        while not done.is_set():
            for row in other.take_commands(NOW):
                other.finish_command(row["id"], encode_result(answer(ReasonCode.STARTED)))
            done.wait(0.01)

    thread = threading.Thread(target=player, daemon=True)
    thread.start()
    try:
        sent = send_and_await(store, PlayPlaylist(1), "王五", NOW, Waiting(seconds=10, poll=0.01))
    finally:
        done.set()
        thread.join(timeout=5)
        other.close()
    assert sent.result == answer(ReasonCode.STARTED)


# -- the doorbell ------------------------------------------------------------------------


@pytest.fixture
def doorbell(tmp_path: Path) -> Iterator[Doorbell]:
    bell = Doorbell(tmp_path / "villagecast.db")
    assert bell.listen()
    yield bell
    bell.close()


def test_a_ring_wakes_the_listener_before_its_poll(doorbell: Doorbell, tmp_path: Path) -> None:
    Doorbell(tmp_path / "villagecast.db").ring()  # the panel's own instance
    Doorbell(tmp_path / "villagecast.db").ring()
    began = time.monotonic()
    assert doorbell.wait(30.0)
    assert time.monotonic() - began < 15.0  # far below the 30 s poll, whatever the load
    assert not doorbell.wait(0.01), "both rings were taken at once"


def test_a_ring_reaches_only_the_player_on_the_same_database(
    doorbell: Doorbell, tmp_path: Path
) -> None:
    Doorbell(tmp_path / "other.db").ring()
    assert not doorbell.wait(0.05)


def test_ringing_with_no_player_listening_is_harmless(tmp_path: Path) -> None:
    Doorbell(tmp_path / "villagecast.db").ring()


def test_a_second_player_on_the_database_falls_back_to_polling(
    doorbell: Doorbell, tmp_path: Path
) -> None:
    second = Doorbell(tmp_path / "villagecast.db")
    assert not second.listen()
    assert not second.listening
    began = time.monotonic()
    assert not second.wait(0.05)  # a plain sleep
    assert time.monotonic() - began >= 0.05
