"""The panel keeps the villages' answers as they come, also those sent while it was down."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from playlists.store import Store
from playlists.sync import broker_topics
from playlists.sync.emergency_wire import ACK_SUBJECT, AckState, encode_ack, new_emergency
from playlists.town import emergency_log
from playlists.town.answer_recorder import AnswerRecorder, broker_ready
from tests.broker_kit import NOW, Broker, Client, add_village, broker, town_settings
from tests.conftest import make_settings

pytestmark = pytest.mark.slow  # real processes or real time: see pyproject.toml
__all__ = ["broker"]  # the fixture, used by name

EAST, WEST = "vcd_east-" + "e" * 34, "vcd_west-" + "w" * 34


@pytest.fixture
def setup(broker: Broker, tmp_path: Path) -> Iterator[tuple[Store, Callable[[], AnswerRecorder]]]:
    settings = town_settings(broker, tmp_path)
    store = Store.open(settings.db_path)
    add_village(store, broker, "东村", EAST)
    add_village(store, broker, "西村", WEST)
    started: list[AnswerRecorder] = []

    def start() -> AnswerRecorder:
        recorder = AnswerRecorder(settings, store, lambda: NOW)
        started.append(recorder)
        recorder.start()
        assert recorder.subscribed.wait(10), "the town's listener did not subscribe"
        return recorder

    yield store, start
    for recorder in started:
        recorder.stop()
    store.close()


def answer(broker: Broker, token: str, ident: str, *states: AckState) -> None:
    """Publish a village's answers as its listener does (QoS 1, its own topic)."""
    user = broker_topics.user_for_token(token)
    village = Client(broker, user, token)
    assert village.connect()
    try:
        for state in states:
            reason = "expired" if state is AckState.FAILED else ""
            info = village.mqtt.publish(
                broker_topics.from_village(user, ACK_SUBJECT),
                encode_ack(ident, state, reason, NOW),
                qos=1,
            )
            info.wait_for_publish(10)
    finally:
        village.close()


def wait_for(store: Store, ident: str, wanted: list[tuple[str, str]]) -> list[tuple[str, str]]:
    deadline = time.monotonic() + 10
    while True:
        got = [(a.village, a.state) for a in emergency_log.answers(store, ident)]
        if got == wanted or time.monotonic() > deadline:
            return got
        time.sleep(0.02)


def sent(store: Store) -> str:
    message = new_emergency("", "河水上涨。", 1, dt.timedelta(minutes=30), NOW)
    emergency_log.record_sent(store, message, [], "zhang", NOW)
    return message.id


def test_each_villages_answer_is_kept_as_it_comes(
    broker: Broker, setup: tuple[Store, Callable[[], AnswerRecorder]]
) -> None:
    store, start = setup
    start()
    ident = sent(store)
    answer(broker, EAST, ident, AckState.RECEIVED, AckState.STARTED)
    assert wait_for(store, ident, [("东村", "started"), ("西村", "no answer")]) == [
        ("东村", "started"),
        ("西村", "no answer"),
    ]
    answer(broker, EAST, ident, AckState.PLAYED)
    answer(broker, WEST, ident, AckState.FAILED)
    assert wait_for(store, ident, [("东村", "played"), ("西村", "failed")]) == [
        ("东村", "played"),
        ("西村", "failed"),
    ]
    assert emergency_log.answers(store, ident)[1].reason == "expired"


def test_answers_sent_while_the_panel_was_down_are_kept_when_it_is_back(
    broker: Broker, setup: tuple[Store, Callable[[], AnswerRecorder]]
) -> None:
    store, start = setup
    start().stop()  # the broker now keeps the panel's session
    ident = sent(store)
    answer(broker, EAST, ident, AckState.RECEIVED, AckState.STARTED, AckState.PLAYED)
    start()
    assert wait_for(store, ident, [("东村", "played"), ("西村", "no answer")]) == [
        ("东村", "played"),
        ("西村", "no answer"),
    ]


def test_a_station_without_a_broker_keeps_no_listener(tmp_path: Path) -> None:
    assert not broker_ready(make_settings(tmp_path))
