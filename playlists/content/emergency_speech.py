"""An emergency's clip: its text said, or a town's recording played, 1 to 3 times.

The panel's own emergency and a town emergency a village plays both come here, so a
repeat sounds the same whichever door it came through.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from media.audio import join_clips, make_silence
from playlists.content import media_table
from playlists.content.media_table import MediaRecord
from playlists.errors import ContentError

if TYPE_CHECKING:
    from playlists.content.ingest import Ingest

MAX_REPEAT = 3  # village practice: said two or three times, never a loop
MAX_GAP = 30  # seconds of silence between two repeats
DEFAULT_GAP = 3  # also the gap of a town emergency, whose message names none


def check(repeat: int, gap: int) -> None:
    """Raise ContentError unless repeat is 1 to MAX_REPEAT and gap 0 to MAX_GAP seconds."""
    if isinstance(repeat, bool) or not 1 <= repeat <= MAX_REPEAT:
        raise ContentError(f"an emergency is said 1 to {MAX_REPEAT} times, not {repeat}")
    if isinstance(gap, bool) or not 0 <= gap <= MAX_GAP:
        raise ContentError(f"the gap between repeats is 0 to {MAX_GAP} seconds, not {gap}")


def repeated_speech(ingest: Ingest, text: str, repeat: int, gap: int) -> MediaRecord:
    """Return one clip that says the text repeat times with gap seconds of silence between.

    An online voice gets a few seconds at most (EngineChain.urgent), then the next
    engine speaks: an emergency never waits out a blocked service's whole timeout.
    """
    check(repeat, gap)
    return repeated_clip(ingest, ingest.speak(text, ingest.chain.urgent()), repeat, gap)


def repeated_recording(ingest: Ingest, audio: bytes, repeat: int, gap: int) -> MediaRecord:
    """Return one clip that plays a recording (a town's, as sent) repeat times, gaps between."""
    check(repeat, gap)
    ingest.tmp_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=ingest.tmp_dir) as work:
        received = Path(work) / "recording.ogg"
        received.write_bytes(audio)
        once = ingest.add_recording(received, "town emergency")  # ContentError, AudioError
    return repeated_clip(ingest, once, repeat, gap)


def repeated_clip(ingest: Ingest, once: MediaRecord, repeat: int, gap: int) -> MediaRecord:
    """Return one clip that plays a stored clip repeat times with gap seconds between."""
    check(repeat, gap)
    if repeat == 1:
        return once
    key = f"emergency-repeat:{once.sha256}:{repeat}:{gap}"
    made = ingest.store.meta(key)
    record = media_table.get_media(ingest.store, made) if made else None
    if record is not None and ingest.path_of(record).is_file():
        return record
    ingest.tmp_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=ingest.tmp_dir) as work:
        parts = _parts(ingest.path_of(once), repeat, gap, Path(work))
        joined = Path(work) / "repeated.wav"
        join_clips(parts, joined)
        record = ingest.ingest_audio(joined, engine=once.engine, voice=once.voice)
    ingest.store.set_meta(key, record.sha256)
    return record


def _parts(clip: Path, repeat: int, gap: int, work: Path) -> list[Path]:
    if gap == 0:
        return [clip] * repeat
    silence = work / "gap.wav"
    make_silence(silence, float(gap))
    parts = [clip]
    for _ in range(repeat - 1):
        parts += [silence, clip]
    return parts
