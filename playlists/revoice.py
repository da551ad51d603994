"""Speak saved announcements again with a better engine; each changed clip goes back to review.

A clip is made by the first engine of the chain that answered when the announcement
was saved: the backup espeak-ng when the network was down, say. Re-voicing speaks
it again with only the engines of the chain that are better than the one that made
it, so an older clip is never replaced by a worse one. Operators' own recordings
are never touched.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from media.errors import TtsUnavailableError
from media.tts import EngineChain, TtsEngine
from playlists import audit, catalog
from playlists.library import Library
from playlists.model import Announcement

RECORDING = "recording"  # the engine name of an operator's own recording
# Best understood first: online neural voices, then the offline engines by their
# character error rate on village notices (bench/voice_bench.py: mbrola 0.22,
# espeak-ng 0.83). An engine not listed (one this station no longer has) ranks last.
ENGINES_BEST_FIRST = ("edge-tts", "gtts", "mbrola", "espeak-ng")


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
    library: Library, changed_by: str, *, everything: bool = False, dry_run: bool = False
) -> RevoiceReport:
    """Speak every announcement a better engine of library's chain could voice, oldest first.

    everything speaks all of them with the whole chain (after a voice setting changed);
    a clip that comes back the same changes nothing. dry_run only says what it would do.
    """
    announcements = sorted(catalog.list_announcements(library.store), key=lambda a: a.id)
    spoken = [a for a in announcements if a.engine != RECORDING]
    changed: list[Revoiced] = []
    kept: list[Revoiced] = []
    for announcement in spoken:
        engines = better_engines(library.chain, announcement.engine, everything=everything)
        if not engines:
            continue
        found = Revoiced(announcement.id, announcement.title, announcement.engine, "")
        if dry_run:
            changed.append(found)
            continue
        outcome = _speak_again(library, announcement, engines, changed_by)
        (changed if outcome.new_engine else kept).append(outcome)
    return RevoiceReport(tuple(changed), tuple(kept), len(announcements) - len(spoken))


def _speak_again(
    library: Library, announcement: Announcement, engines: Sequence[TtsEngine], changed_by: str
) -> Revoiced:
    """Give one announcement a new clip from engines; back to draft, audited, if it changed."""
    unchanged = Revoiced(announcement.id, announcement.title, announcement.engine, "")
    try:
        record = library.speak(announcement.text, EngineChain(engines))
    except TtsUnavailableError:
        return unchanged  # the chain logged why each engine failed
    if record.sha256 == announcement.media_sha256:
        return unchanged
    now = library.now()
    new_engine = record.engine or ""
    with library.store.transaction():
        catalog.set_announcement_voice(library.store, announcement.id, record, changed_by, now)
        audit.record(
            library.store,
            changed_by,
            "revoice",
            now,
            subject="announcement",
            subject_id=announcement.id,
            detail=f"{announcement.title}: {announcement.engine} → {new_engine}",
        )
    return Revoiced(announcement.id, announcement.title, announcement.engine, new_engine)
