"""The one way a town emergency leaves the town: the panel, its API and the command line.

The emergency (made by emergency_wire.new_emergency, which checks the input) is kept
with a "no answer" row for each village it goes to, then signed and published
(playlists/town/emergency_send.py). Kept first, so that an answer arriving at once
finds its row; dropped again when it cannot be signed, so a refused send leaves nothing
behind. A broker that is down refuses nothing: the villages' sync carries the emergency
and their answers (playlists/town/emergency_relay.py).

A text emergency goes out with the town's speech of it when the town's voice is
clearer than the offline one each village has at once (mbrola: a village speaks a
town emergency the instant it arrives, so never with a model that takes seconds to
load).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from media.audio import compact_voice
from media.errors import MediaError
from playlists.content.revoice import engine_rank
from playlists.errors import ContentError
from playlists.settings import Settings
from playlists.store import Store
from playlists.sync.emergency_wire import MAX_AUDIO, TownEmergency
from playlists.town import emergency_log, emergency_send

if TYPE_CHECKING:
    from playlists.content.ingest import Ingest

log = logging.getLogger(__name__)

# What a village speaks a town emergency with, offline, when the message carries no
# speech: its player's resident chain leaves out the voices that load a model for
# seconds, so its best offline engine is mbrola (scheduler/emergency_listener.py).
VILLAGE_VOICE = "mbrola"


def dispatch(
    settings: Settings,
    store: Store,
    message: TownEmergency,
    villages: Sequence[str],
    by: str,
    now: dt.datetime,
    voice: str = "",
) -> list[str]:
    """Send an emergency (from new_emergency) to the named villages, or every village.

    voice names the engine whose speech the message carries (from spoken_by_town), ""
    for none or an operator's recording. Return the broker topics it went out on: none
    when the broker is down, and then the villages' sync carries it. NotFoundError: no
    such village; BrokerError: the town has no key to sign it with. In either case
    nothing is kept.
    """
    emergency_log.record_sent(store, message, villages, by, now, voice)
    try:
        return emergency_send.send(settings, store, message, villages, by, now)
    except BaseException:
        emergency_log.forget(store, message.id)
        raise


def spoken_by_town(ingest: Ingest, message: TownEmergency) -> tuple[TownEmergency, str]:
    """Return the message carrying the town's speech of its text, and the engine that spoke.

    The message comes back as it was, with "", when it carries a recording already,
    when the town does not speak its emergencies (town.speak_emergencies), or when its
    voice is no clearer than a village's own (the network down and only espeak-ng left,
    say): each village then speaks the text itself. A failure to speak never stops an
    emergency: it is logged, and the villages speak it.
    """
    if message.audio or not ingest.settings.town.speak_emergencies:
        return message, ""
    try:
        record = ingest.speak(message.text, ingest.chain.urgent())
        engine = record.engine or ""
        if engine_rank(engine) >= engine_rank(VILLAGE_VOICE):
            return message, ""
        audio = compact_recording(ingest.path_of(record), ingest.tmp_dir)
    except (MediaError, ContentError) as exc:
        log.warning("the villages speak emergency %s themselves: %s", message.id, exc)
        return message, ""
    return dataclasses.replace(message, audio=audio), engine


MAX_RECORDING_SECONDS = 150  # fits MAX_AUDIO at the compact bit rate, with room to spare


def compact_recording(source: Path, work_dir: Path) -> bytes:
    """Return a recording as the villages get it (Ogg Opus); AudioError, ContentError if not."""
    work_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=work_dir) as work:
        compact = Path(work) / "recording.ogg"
        info = compact_voice(source, compact)  # AudioError when it is not audio
        if info.duration > MAX_RECORDING_SECONDS:
            raise ContentError(
                f"the recording lasts {info.duration:.0f} s; an emergency's lasts at most "
                f"{MAX_RECORDING_SECONDS} s"
            )
        audio = compact.read_bytes()
    if len(audio) > MAX_AUDIO:
        raise ContentError(f"the recording is over {MAX_AUDIO // 1024} KB once compressed")
    return audio
