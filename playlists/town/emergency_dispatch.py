"""The one way a town emergency leaves the town: the panel, its API and the command line.

The emergency (made by emergency_wire.new_emergency, which checks the input) is kept
with a "no answer" row for each village it goes to, then signed and published
(playlists/town/emergency_send.py). Kept first, so that an answer arriving at once
finds its row; dropped again when it cannot be signed, so a refused send leaves nothing
behind. A broker that is down refuses nothing: the villages' sync carries the emergency
and their answers (playlists/town/emergency_relay.py).
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Sequence
from pathlib import Path

from media.audio import compact_voice
from playlists.errors import ContentError
from playlists.settings import Settings
from playlists.store import Store
from playlists.sync.emergency_wire import MAX_AUDIO, TownEmergency
from playlists.town import emergency_log, emergency_send


def dispatch(
    settings: Settings,
    store: Store,
    message: TownEmergency,
    villages: Sequence[str],
    by: str,
    now: dt.datetime,
) -> list[str]:
    """Send an emergency (from new_emergency) to the named villages, or every village.

    Return the broker topics it went out on: none when the broker is down, and then the
    villages' sync carries it. NotFoundError: no such village; BrokerError: the town has
    no key to sign it with. In either case nothing is kept.
    """
    emergency_log.record_sent(store, message, villages, by, now)
    try:
        return emergency_send.send(settings, store, message, villages, by, now)
    except BaseException:
        emergency_log.forget(store, message.id)
        raise


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
