"""A town emergency on the wire: the signed message the town sends and the village's answers.

The message is JSON: ``{"format", "body", "key", "signature"}``, where ``body`` is the
text of a JSON object (id, title, text, repeat, deadline; and audio, a recording
to play instead of speaking the text: Ogg Opus in base64) and ``signature`` the town's
Ed25519 signature (the key villages trust for bundles) of exactly those UTF-8 bytes, so
nothing is re-encoded before it is checked. The deadline is signed; the broker's
message expiry (MQTT v5) is only a courtesy that spares an offline village the bytes.

An answer is JSON too: ``{"id", "state", "reason", "at"}`` on the village's own topic.
When the broker is down both travel by the sync instead (docs/town.md): the village fetches
the same signed messages from ``GET /town/v1/emergencies`` and posts its answers to
``POST /town/v1/emergency-answers``.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import datetime as dt
import enum
import json
import re
import secrets
from collections.abc import Sequence
from typing import Any

from playlists.bundles.keys import PublicKey, SigningKey
from playlists.content.limits import MAX_EMERGENCY_TEXT, MAX_TITLE
from playlists.errors import ContentError, TownEmergencyError

FORMAT = "villagecast/town-emergency@1"
SUBJECT = "emergency"  # the topic's last level, to one village or all
ACK_SUBJECT = "emergency-ack"
MAX_REPEAT = 3
MAX_LIFETIME = dt.timedelta(hours=24)
MAX_AUDIO = 512 * 1024  # a recording's bytes: nearly three minutes at 24 kbit/s
MAX_PAYLOAD = 16 * 1024 + MAX_AUDIO * 4 // 3 + 4  # text, and a recording in base64
MAX_ANSWER = 16 * 1024
_ID = re.compile(r"[0-9a-f]{32}")
EMERGENCIES_PATH = "/emergencies"  # under /town/v1: the live emergencies for this village
ANSWERS_PATH = "/emergency-answers"  # under /town/v1: a village's answers by sync


class AckState(enum.StrEnum):
    """What became of an emergency at a village."""

    RECEIVED = "received"
    STARTED = "started"
    PLAYED = "played"
    FAILED = "failed"


# A later state never gives way to an earlier one that arrives late.
_RANK = {AckState.RECEIVED: 0, AckState.STARTED: 1, AckState.PLAYED: 2, AckState.FAILED: 2}


def outranks(state: AckState, before: AckState) -> bool:
    """Tell whether a village's new answer replaces its earlier one (never a step back)."""
    return _RANK[state] >= _RANK[before]


@dataclasses.dataclass(frozen=True)
class TownEmergency:
    id: str
    title: str
    text: str
    repeat: int
    deadline: dt.datetime  # UTC
    audio: bytes = b""  # a recording (Ogg Opus) played instead of speaking the text

    def seconds_left(self, now: dt.datetime) -> int:
        """Return whole seconds until the deadline (0 once it passed)."""
        return max(0, int((self.deadline - now).total_seconds()))


def new_emergency(
    title: str,
    text: str,
    repeat: int,
    lifetime: dt.timedelta,
    now: dt.datetime,
    audio: bytes = b"",
) -> TownEmergency:
    """Make a new emergency with a fresh id; ContentError says what is wrong with the input.

    audio, when given, is a recording the villages play instead of speaking the text
    (which their screens show).
    """
    text, title = text.strip(), title.strip()
    if not text:
        raise ContentError("write the text of the emergency first")
    if len(text) > MAX_EMERGENCY_TEXT or len(title) > MAX_TITLE:
        raise ContentError(
            f"an emergency has at most {MAX_EMERGENCY_TEXT} characters of text "
            f"and {MAX_TITLE} of title"
        )
    if not 1 <= repeat <= MAX_REPEAT:
        raise ContentError(f"repeat it 1 to {MAX_REPEAT} times")
    if not dt.timedelta(seconds=1) <= lifetime <= MAX_LIFETIME:
        raise ContentError("an emergency is valid from 1 second to 24 hours")
    if len(audio) > MAX_AUDIO:
        raise ContentError(f"the recording is over {MAX_AUDIO // 1024} KB once compressed")
    return TownEmergency(secrets.token_hex(16), title, text, repeat, now + lifetime, audio)


def encode(message: TownEmergency, key: SigningKey) -> bytes:
    """Return the signed message as the town publishes it."""
    fields: dict[str, object] = {
        "id": message.id,
        "title": message.title,
        "text": message.text,
        "repeat": message.repeat,
        "deadline": message.deadline.astimezone(dt.UTC).isoformat(),
    }
    if message.audio:  # left out otherwise: a spoken message reads as it always did
        fields["audio"] = base64.b64encode(message.audio).decode("ascii")
    body = json.dumps(fields, ensure_ascii=False, sort_keys=True)
    signature = key.sign(body.encode("utf-8"))
    envelope = {
        "format": FORMAT,
        "body": body,
        "key": key.public.fingerprint,
        "signature": base64.b64encode(signature).decode("ascii"),
    }
    return json.dumps(envelope, ensure_ascii=False).encode("utf-8")


def decode(payload: bytes, trusted: Sequence[PublicKey]) -> TownEmergency:
    """Check the signature against the trusted keys and return the message."""
    envelope = _object(payload, "the message")
    if envelope.keys() != {"format", "body", "key", "signature"} or envelope["format"] != FORMAT:
        raise TownEmergencyError(f"not a {FORMAT} message", "malformed")
    body, signature = envelope["body"], envelope["signature"]
    if not isinstance(body, str) or not isinstance(signature, str):
        raise TownEmergencyError("body and signature must be text", "malformed")
    try:
        raw = base64.b64decode(signature, validate=True)
    except (binascii.Error, ValueError):
        raise TownEmergencyError("the signature is not base64", "malformed") from None
    keys = [k for k in trusted if k.fingerprint == envelope["key"]]
    if not keys:
        raise TownEmergencyError(
            f"signed by key {str(envelope['key'])[:16]!r}, not one of bundles.trusted_keys",
            "untrusted",
        )
    if not keys[0].verify(raw, body.encode("utf-8")):
        raise TownEmergencyError("the signature does not match the message", "bad-signature")
    return _message(_object(body.encode("utf-8"), "the body"))


def _object(data: bytes, what: str, limit: int = MAX_PAYLOAD) -> dict[str, Any]:
    if len(data) > limit:
        raise TownEmergencyError(f"{what} is over {limit} bytes", "malformed")
    try:
        value = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise TownEmergencyError(f"{what} is not JSON", "malformed") from None
    if not isinstance(value, dict):
        raise TownEmergencyError(f"{what} is not a JSON object", "malformed")
    return value


def _message(body: dict[str, Any]) -> TownEmergency:
    fields = {"id", "title", "text", "repeat", "deadline"}
    if body.keys() not in (fields, fields | {"audio"}):
        raise TownEmergencyError(
            f"the body must have exactly {sorted(fields)}, and audio or not", "malformed"
        )
    ident, title, text, repeat = body["id"], body["title"], body["text"], body["repeat"]
    if not (isinstance(ident, str) and _ID.fullmatch(ident)):
        raise TownEmergencyError("the id must be 32 hex digits", "malformed")
    if not (isinstance(title, str) and isinstance(text, str) and text.strip()):
        raise TownEmergencyError("the title and text must be text", "malformed")
    if len(text) > MAX_EMERGENCY_TEXT or len(title) > MAX_TITLE:
        raise TownEmergencyError("the title or text is too long", "malformed")
    if isinstance(repeat, bool) or not isinstance(repeat, int) or not 1 <= repeat <= MAX_REPEAT:
        raise TownEmergencyError(f"repeat must be 1 to {MAX_REPEAT}", "malformed")
    try:
        deadline = dt.datetime.fromisoformat(str(body["deadline"]))
    except ValueError:
        deadline = None
    if deadline is None or deadline.tzinfo is None:
        raise TownEmergencyError("the deadline must be a time with its UTC offset", "malformed")
    return TownEmergency(
        ident, title, text, repeat, deadline.astimezone(dt.UTC), _audio(body.get("audio"))
    )


def _audio(value: object) -> bytes:
    if value is None:
        return b""
    try:
        audio = base64.b64decode(str(value), validate=True) if isinstance(value, str) else b""
    except (binascii.Error, ValueError):
        audio = b""
    if not audio or len(audio) > MAX_AUDIO:
        raise TownEmergencyError(
            f"the audio must be a recording of 1 to {MAX_AUDIO} bytes in base64", "malformed"
        )
    return audio


def encode_ack(ident: str, state: AckState, reason: str, now: dt.datetime) -> bytes:
    """Return a village's answer about one emergency."""
    answer = {"id": ident, "state": state.value, "reason": reason, "at": now.isoformat()}
    return json.dumps(answer, ensure_ascii=False).encode("utf-8")


def decode_ack(payload: bytes) -> tuple[str, AckState, str]:
    """Return (id, state, reason) of a village's answer; TownEmergencyError if malformed."""
    answer = _object(payload, "the answer", MAX_ANSWER)
    try:
        state = AckState(str(answer.get("state")))
    except ValueError:
        raise TownEmergencyError("the answer's state is unknown", "malformed") from None
    ident, reason = answer.get("id"), answer.get("reason")
    if not (isinstance(ident, str) and _ID.fullmatch(ident) and isinstance(reason, str)):
        raise TownEmergencyError("the answer needs an id and a reason", "malformed")
    return ident, state, reason
