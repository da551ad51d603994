"""A village takes a town emergency: signed, in time and new, then played at emergency priority."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from playlists import commands as contract
from playlists.commands import PlaySpeech, ReasonCode, answer, decode_request
from playlists.content import media_table
from playlists.content.ingest import Ingest
from playlists.model import Outcome, Priority
from playlists.record import asrun, audit
from playlists.store import Store
from playlists.sync import emergency_receive as receive
from playlists.sync import emergency_wire as wire
from playlists.town.emergency_dispatch import compact_recording
from tests.playlists.sync.test_emergency_wire import HOUR, NOW, make_key
from tests.web_fixtures import FakePlayer

QUICK = contract.Waiting(seconds=5.0, poll=0.01)


@pytest.fixture
def seen(tmp_path: Path) -> receive.SeenIds:
    return receive.SeenIds(tmp_path / receive.SEEN_FILE)


def test_a_new_signed_message_plays_once_then_is_a_replay(
    tmp_path: Path, seen: receive.SeenIds
) -> None:
    key = make_key(tmp_path)
    payload = wire.encode(wire.new_emergency("", "请注意", 1, HOUR, NOW), key)
    first = receive.judge(payload, [key.public], seen, NOW)
    assert first.verdict is receive.Verdict.PLAY
    again = receive.judge(payload, [key.public], seen, NOW + dt.timedelta(minutes=1))
    assert again.verdict is receive.Verdict.REPLAYED


@pytest.mark.parametrize(
    ("heard_at", "verdict"),
    [
        (NOW + HOUR - dt.timedelta(seconds=1), receive.Verdict.PLAY),
        (NOW + HOUR, receive.Verdict.EXPIRED),
        (NOW + 3 * HOUR, receive.Verdict.EXPIRED),
    ],
    ids=["just-in-time", "at-the-deadline", "hours-late"],
)
def test_the_signed_deadline_decides(
    tmp_path: Path, seen: receive.SeenIds, heard_at: dt.datetime, verdict: receive.Verdict
) -> None:
    key = make_key(tmp_path)
    payload = wire.encode(wire.new_emergency("", "请注意", 1, HOUR, NOW), key)
    assert receive.judge(payload, [key.public], seen, heard_at).verdict is verdict


def test_a_wrongly_signed_message_is_refused_and_not_remembered(
    tmp_path: Path, seen: receive.SeenIds
) -> None:
    key, stranger = make_key(tmp_path), make_key(tmp_path, "stranger")
    payload = wire.encode(wire.new_emergency("", "请注意", 1, HOUR, NOW), stranger)
    judged = receive.judge(payload, [key.public], seen, NOW)
    assert (judged.verdict, judged.message) == (receive.Verdict.REFUSED, None)
    assert judged.detail.startswith("untrusted: ")
    assert not seen.path.exists()


def test_ids_are_forgotten_after_their_deadline(tmp_path: Path, seen: receive.SeenIds) -> None:
    short = wire.new_emergency("", "一", 1, dt.timedelta(minutes=5), NOW)
    long = wire.new_emergency("", "二", 1, HOUR, NOW)
    seen.remember(short, NOW)
    seen.remember(long, NOW + dt.timedelta(minutes=10))
    assert list(json.loads(seen.path.read_text())) == [long.id]


def test_an_unreadable_list_of_ids_starts_afresh(seen: receive.SeenIds) -> None:
    seen.path.write_text("{not json")
    assert seen.load(NOW) == {}


@pytest.mark.slow  # espeak-ng speaks
def test_play_speaks_the_repeats_at_emergency_priority(ingest: Ingest, store: Store) -> None:
    message = wire.new_emergency("防汛通知", "河水上涨，请转移。", 2, HOUR, NOW)
    with FakePlayer(store, answer(ReasonCode.STARTED)) as player:
        result = receive.play(store, ingest, message, QUICK, NOW)
    assert result == (wire.AckState.STARTED, "")
    (command,) = player.taken
    request = decode_request(command["kind"], command["payload"])
    assert isinstance(request, PlaySpeech)
    assert (request.priority, request.title, request.text) == (
        Priority.EMERGENCY,
        "防汛通知",
        "河水上涨，请转移。",
    )
    once = ingest.speak("河水上涨，请转移。")
    assert ingest.path_of(once).is_file()
    spoken = store.query_one("SELECT duration FROM media WHERE sha256 = ?", (request.media_sha256,))
    assert spoken is not None and spoken["duration"] > 1.5 * once.duration  # said twice
    row = audit.rows(store)[0]
    assert (row.username, row.detail) == (
        receive.BY,
        f"town emergency {message.id}: {request.text}",
    )


def test_play_plays_the_towns_recording_instead_of_speaking(
    ingest: Ingest, store: Store, tmp_path: Path
) -> None:
    recorded = ingest.speak("这是镇里的录音")
    audio = compact_recording(ingest.path_of(recorded), tmp_path)
    message = wire.new_emergency("", "请听镇里的广播", 2, HOUR, NOW, audio=audio)
    with FakePlayer(store, answer(ReasonCode.STARTED)) as player:
        assert receive.play(store, ingest, message, QUICK, NOW) == (wire.AckState.STARTED, "")
    (command,) = player.taken
    request = decode_request(command["kind"], command["payload"])
    assert isinstance(request, PlaySpeech)
    assert (request.title, request.text, request.repeat) == ("紧急通知", "请听镇里的广播", 2)
    played = media_table.get_media(store, request.media_sha256)
    assert played is not None and played.duration is not None and recorded.duration is not None
    assert played.duration == pytest.approx(2 * recorded.duration + receive.GAP, abs=0.3)
    # The cache keys a speech by its written and its normalized text: one clip, two keys.
    spoken = store.query("SELECT DISTINCT media_sha256 FROM tts_cache")
    assert [row["media_sha256"] for row in spoken] == [recorded.sha256], "the text was not spoken"


@pytest.mark.slow  # espeak-ng speaks
@pytest.mark.parametrize(
    ("player_answer", "expected"),
    [
        (answer(ReasonCode.PLAYER_ERROR, detail="no sound card"), "player-error"),
        ("not json", receive.UNREADABLE),
        (None, receive.NO_ANSWER),
    ],
    ids=["player-error", "unreadable", "no-player"],
)
def test_play_reports_what_went_wrong(
    ingest: Ingest, store: Store, player_answer: object, expected: str
) -> None:
    message = wire.new_emergency("", "请注意", 1, HOUR, NOW)
    if player_answer is None:
        waiting = contract.Waiting(seconds=0.2, poll=0.01)
        assert receive.play(store, ingest, message, waiting, NOW) == (
            wire.AckState.FAILED,
            expected,
        )
        return
    with FakePlayer(store, player_answer):  # type: ignore[arg-type]
        assert receive.play(store, ingest, message, QUICK, NOW) == (wire.AckState.FAILED, expected)


@pytest.mark.parametrize(
    ("outcome", "expected"),
    [
        (Outcome.PLAYING, None),
        (Outcome.PLAYED, (wire.AckState.PLAYED, "")),
        (Outcome.INTERRUPTED, (wire.AckState.FAILED, "interrupted")),
        (Outcome.FAILED, (wire.AckState.FAILED, "failed")),
    ],
    ids=["still-on-air", "played", "cut-off", "failed"],
)
def test_the_final_answer_follows_the_as_run_row(
    store: Store, outcome: Outcome, expected: tuple[wire.AckState, str] | None
) -> None:
    asrun.open_manual(store, "本地", None, Priority.MANUAL, "admin", NOW)  # not the town's
    row_id = asrun.open_manual(store, "紧急通知", None, Priority.EMERGENCY, receive.BY, NOW)
    if outcome is not Outcome.PLAYING:
        asrun.close(store, row_id, outcome, NOW + dt.timedelta(seconds=20))
    row = receive.aired(store, NOW, NOW + dt.timedelta(seconds=30))
    assert (None if row is None else receive.final_answer(row)) == expected


def test_an_older_town_emergency_is_not_taken_for_this_one(store: Store) -> None:
    row_id = asrun.open_manual(store, "紧急通知", None, Priority.EMERGENCY, receive.BY, NOW)
    asrun.close(store, row_id, Outcome.PLAYED, NOW + dt.timedelta(seconds=20))
    assert receive.aired(store, NOW + HOUR, NOW + HOUR) is None
