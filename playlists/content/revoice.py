"""Speak saved announcements again with a better engine; each changed clip goes back to review.

A clip is made by the first engine of the chain that answered when the announcement
was saved: the backup espeak-ng when the network was down, say. Re-voicing speaks
it again with only the engines of the chain that are better than the one that made
it, so an older clip is never replaced by a worse one. Operators' own recordings
are never touched.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence

from media.errors import TtsError
from media.tts import EngineChain, TtsEngine
from playlists.content import announcement_table, announcing
from playlists.content.ingest import Ingest
from playlists.content.media_table import MediaRecord
from playlists.model import Announcement

log = logging.getLogger(__name__)

RECORDING = "recording"  # the engine name of an operator's own recording
# Best understood first: online neural voices, then the offline engines by their
# character error rate on village notices (bench/voice_bench.py: fastspeech2 0.125,
# mbrola 0.20, kokoro 0.24, espeak-ng 0.88). An engine not listed (one this station no
# longer has) ranks last.
ENGINES_BEST_FIRST = ("edge-tts", "gtts", "fastspeech2", "mbrola", "kokoro", "espeak-ng")


@dataclasses.dataclass(frozen=True)
class Revoiced:
    """One announcement re-voicing found: its clip's engine before, and after."""

    announcement_id: int
    title: str
    old_engine: str
    new_engine: str  # "" when nothing was spoken (a dry run, or no engine answered)


@dataclasses.dataclass(frozen=True)
class RevoiceReport:
    """What a re-voicing changed, what it could not better, and what it left alone."""

    changed: tuple[Revoiced, ...]  # a new clip, back to draft (in a dry run: would be)
    kept: tuple[Revoiced, ...]  # no better engine answered, or the same clip came back
    recordings: int  # operators' own recordings, never touched


def engine_rank(name: str) -> int:
    """Return an engine's place in ENGINES_BEST_FIRST (0 is best); unknown names rank last."""
    try:
        return ENGINES_BEST_FIRST.index(name)
    except ValueError:
        return len(ENGINES_BEST_FIRST)


def better_engines(chain: EngineChain, engine: str, *, everything: bool) -> list[TtsEngine]:
    """Return the chain's engines that may replace a clip made by engine, in chain order."""
    if everything:
        return list(chain.engines)
    return [e for e in chain.engines if engine_rank(e.name) < engine_rank(engine)]


def revoice(
    ingest: Ingest, changed_by: str, *, everything: bool = False, dry_run: bool = False
) -> RevoiceReport:
    """Speak every announcement a better engine of library's chain could voice, oldest first.

    everything speaks all of them with the whole chain (after a voice setting changed);
    a clip that comes back the same changes nothing. dry_run only says what it would do.
    """
    announcements = sorted(announcement_table.list_announcements(ingest.store), key=lambda a: a.id)
    spoken = [a for a in announcements if a.engine != RECORDING]
    changed: list[Revoiced] = []
    kept: list[Revoiced] = []
    failed: set[str] = set()  # engines that did not answer, not asked again this run
    for announcement in spoken:
        engines = better_engines(ingest.chain, announcement.engine, everything=everything)
        if not engines:
            continue
        found = Revoiced(announcement.id, announcement.title, announcement.engine, "")
        if dry_run:
            changed.append(found)
            continue
        answering = [engine for engine in engines if engine.name not in failed]
        record = _first_answer(ingest, announcement.text, answering, failed)
        if record is None or record.sha256 == announcement.media_sha256:
            kept.append(found)
            continue
        changed.append(_store_new_voice(ingest, announcement, record, changed_by))
    return RevoiceReport(tuple(changed), tuple(kept), len(announcements) - len(spoken))


def _first_answer(
    ingest: Ingest, text: str, engines: Sequence[TtsEngine], failed: set[str]
) -> MediaRecord | None:
    """Speak text with the first of engines that answers; add those that fail to failed."""
    for engine in engines:
        try:
            return ingest.speak(text, EngineChain([engine]))
        except TtsError:
            # Over a whole library a dead service would cost its timeout on every
            # announcement: an engine that failed once is not asked again (the chain
            # has logged why it failed).
            log.info("speech engine %s is not asked again in this run", engine.name)
            failed.add(engine.name)
    return None


def _store_new_voice(
    ingest: Ingest, announcement: Announcement, record: MediaRecord, changed_by: str
) -> Revoiced:
    """Give an announcement its new clip: back to draft, audited as revoice."""
    new_engine = record.engine or ""
    detail = f"{announcement.title}: {announcement.engine} → {new_engine}"
    announcing.store_voice(
        ingest.store, announcement.id, record, changed_by, ingest.now(), announcing.REVOICE, detail
    )
    return Revoiced(announcement.id, announcement.title, announcement.engine, new_engine)
