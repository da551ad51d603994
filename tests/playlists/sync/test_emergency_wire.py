"""The town emergency's signed message and the village's answers, byte for byte."""

from __future__ import annotations

import base64
import datetime as dt
import json
from pathlib import Path

import pytest

from playlists.bundles.keys import SigningKey, generate_keys, load_signing_key
from playlists.errors import ContentError, TownEmergencyError
from playlists.sync import emergency_wire as wire

NOW = dt.datetime(2026, 12, 5, 8, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)


def make_key(folder: Path, name: str = "town") -> SigningKey:
    private, _ = generate_keys(folder, name)
    return load_signing_key(private)


def test_a_signed_message_reads_back_whole(tmp_path: Path) -> None:
    key = make_key(tmp_path)
    message = wire.new_emergency("防汛", "河水上涨，请立即转移。", 2, HOUR, NOW)
    assert wire.decode(wire.encode(message, key), [key.public]) == message
    assert message.seconds_left(NOW) == 3600 and message.seconds_left(NOW + 2 * HOUR) == 0


def test_a_recording_travels_signed_and_a_spoken_message_has_no_audio_field(
    tmp_path: Path,
) -> None:
    key = make_key(tmp_path)
    recorded = wire.new_emergency("防汛", "请听广播", 1, HOUR, NOW, audio=b"OggS" + bytes(500))
    assert wire.decode(wire.encode(recorded, key), [key.public]) == recorded
    spoken = wire.encode(wire.new_emergency("", "请注意", 1, HOUR, NOW), key)
    assert "audio" not in json.loads(json.loads(spoken)["body"])


@pytest.mark.parametrize(
    ("audio", "code"),
    [
        (base64.b64encode(b"OggS" + bytes(499)).decode(), "bad-signature"),
        ("", "malformed"),
        ("not base64!", "malformed"),
        (base64.b64encode(bytes(wire.MAX_AUDIO + 1)).decode(), "malformed"),
    ],
    ids=["other-recording", "empty", "not-base64", "too-long"],
)
def test_a_changed_or_strange_recording_is_refused(tmp_path: Path, audio: str, code: str) -> None:
    key = make_key(tmp_path)
    message = wire.new_emergency("", "请听广播", 1, HOUR, NOW, audio=b"OggS" + bytes(500))
    payload = _tamper(wire.encode(message, key), "body", {"audio": audio})
    if code == "malformed":  # signed as changed: only the check of the audio itself refuses it
        envelope = json.loads(payload)
        envelope["signature"] = base64.b64encode(key.sign(envelope["body"].encode())).decode()
        payload = json.dumps(envelope).encode()
    with pytest.raises(TownEmergencyError) as caught:
        wire.decode(payload, [key.public])
    assert caught.value.code == code


def test_a_recording_over_the_limit_is_refused_at_the_town() -> None:
    with pytest.raises(ContentError, match="512 KB"):
        wire.new_emergency("", "请听广播", 1, HOUR, NOW, audio=bytes(wire.MAX_AUDIO + 1))


def _tamper(payload: bytes, field: str, change: object) -> bytes:
    envelope = json.loads(payload)
    if field == "body":
        body = json.loads(envelope["body"])
        body.update(change)
        envelope["body"] = json.dumps(body, ensure_ascii=False)
    else:
        envelope[field] = change
    return json.dumps(envelope).encode()


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (lambda p, k: _tamper(p, "body", {"text": "假消息"}), "bad-signature"),
        (
            lambda p, k: _tamper(p, "body", {"deadline": "2099-01-01T00:00:00+00:00"}),
            "bad-signature",
        ),
        (
            lambda p, k: _tamper(p, "signature", base64.b64encode(b"x" * 64).decode()),
            "bad-signature",
        ),
        (lambda p, k: _tamper(p, "key", k.fingerprint), "untrusted"),
        (lambda p, k: _tamper(p, "format", "villagecast/town-emergency@9"), "malformed"),
        (lambda p, k: _tamper(p, "signature", "not base64!"), "malformed"),
        (lambda p, k: b"\xff\xfe", "malformed"),
        (lambda p, k: b"[1, 2]", "malformed"),
        (lambda p, k: b" " * (wire.MAX_PAYLOAD + 1), "malformed"),
    ],
    ids=[
        "text-changed",
        "deadline-moved",
        "other-signature",
        "unknown-key",
        "other-format",
        "signature-not-base64",
        "not-utf8",
        "not-an-object",
        "too-large",
    ],
)
def test_a_changed_or_strange_message_is_refused_with_a_code(
    tmp_path: Path, change: object, code: str
) -> None:
    key, stranger = make_key(tmp_path), make_key(tmp_path, "stranger")
    payload = wire.encode(wire.new_emergency("", "请注意", 1, HOUR, NOW), key)
    with pytest.raises(TownEmergencyError) as caught:
        wire.decode(change(payload, stranger.public), [key.public])
    assert caught.value.code == code


def test_a_message_signed_by_an_untrusted_key_is_refused(tmp_path: Path) -> None:
    key, stranger = make_key(tmp_path), make_key(tmp_path, "stranger")
    payload = wire.encode(wire.new_emergency("", "请注意", 1, HOUR, NOW), stranger)
    with pytest.raises(TownEmergencyError, match=r"not one of bundles\.trusted_keys"):
        wire.decode(payload, [key.public])


@pytest.mark.parametrize(
    ("title", "text", "repeat", "lifetime", "message"),
    [
        ("", "  ", 1, HOUR, "write the text"),
        ("", "字" * 501, 1, HOUR, "at most 500 characters"),
        ("", "请注意", 0, HOUR, "repeat it 1 to 3 times"),
        ("", "请注意", 4, HOUR, "repeat it 1 to 3 times"),
        ("", "请注意", 1, dt.timedelta(hours=25), "1 second to 24 hours"),
        ("", "请注意", 1, dt.timedelta(0), "1 second to 24 hours"),
    ],
    ids=["empty", "too-long", "no-repeat", "too-many-repeats", "too-long-lived", "already-over"],
)
def test_town_input_is_checked_before_anything_is_sent(
    title: str, text: str, repeat: int, lifetime: dt.timedelta, message: str
) -> None:
    with pytest.raises(ContentError, match=message):
        wire.new_emergency(title, text, repeat, lifetime, NOW)


def test_each_new_emergency_has_its_own_id() -> None:
    ids = {wire.new_emergency("", "请注意", 1, HOUR, NOW).id for _ in range(20)}
    assert len(ids) == 20


@pytest.mark.parametrize("state", list(wire.AckState), ids=[s.value for s in wire.AckState])
def test_answers_read_back(state: wire.AckState) -> None:
    ident = "ab" * 16
    payload = wire.encode_ack(ident, state, "quiet_hours", NOW)
    assert wire.decode_ack(payload) == (ident, state, "quiet_hours")


@pytest.mark.parametrize(
    "payload",
    [
        b'{"id": "x", "state": "played", "reason": ""}',
        b'{"id": "' + b"a" * 32 + b'", "state": "?"}',
    ],
    ids=["bad-id", "bad-state"],
)
def test_a_malformed_answer_is_refused(payload: bytes) -> None:
    with pytest.raises(TownEmergencyError):
        wire.decode_ack(payload)
