"""Playout: one broadcast on air at a time, item after item, with its as-run row.

The rules live here and nowhere else; the daemon and the simulator both drive
this class, through the `Timeline` and `AudioSink` seams. Every entry point takes
the lock, because in the daemon callbacks arrive from APScheduler's threads, the
sink's watcher thread and the command poller.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import logging
import threading
from collections.abc import Callable
from pathlib import Path

from playlists import asrun
from playlists.model import ItemKind, Outcome, PlannedBroadcast, Playlist, Priority, Slide
from playlists.store import Store
from scheduler.sinks import AudioSink, SinkError
from scheduler.timeline import Timeline

log = logging.getLogger(__name__)

SEGMENT_KEY = "playout:segment"


@dataclasses.dataclass(frozen=True)
class Segment:
    """One stretch of a broadcast: a clip to play, or a pause or image to wait out."""

    kind: ItemKind
    duration: float
    slide: Slide
    audio_path: Path | None = None


@dataclasses.dataclass
class Broadcast:
    name: str
    priority: Priority
    segments: list[Segment]
    due: dt.datetime
    planned: PlannedBroadcast | None = None
    playlist_id: int | None = None
    requested_by: str | None = None
    as_run_id: int | None = None
    index: int = -1

    @property
    def current(self) -> Segment | None:
        return self.segments[self.index] if 0 <= self.index < len(self.segments) else None


def segments_of(playlist: Playlist) -> list[Segment]:
    """Expand a playlist's items (with repeats) into the segments that go on air."""
    segments = []
    for item in playlist.items:
        audio = item.audio_path if item.kind in (ItemKind.ANNOUNCEMENT, ItemKind.AUDIO) else None
        for _ in range(item.repeat):
            segments.append(Segment(item.kind, item.duration, item.slide, audio))
    return segments


class Playout:
    """Put broadcasts on air one at a time and log each outcome."""

    def __init__(
        self,
        store: Store,
        timeline: Timeline,
        sink: AudioSink,
        grace_seconds: float,
        on_change: Callable[[], None] = lambda: None,
    ) -> None:
        self.store = store
        self.timeline = timeline
        self.sink = sink
        self.grace = dt.timedelta(seconds=grace_seconds)
        self.on_change = on_change
        self.lock = threading.RLock()
        self.current: Broadcast | None = None
        self.waiting: list[Broadcast] = []
        self._tokens = itertools.count(1)
        self._token = 0

    # -- entry points ------------------------------------------------------------------

    def submit(self, broadcast: Broadcast) -> None:
        """Put a broadcast on air now, pre-empting a lower one, or queue it behind its peers."""
        with self.lock:
            current = self.current
            if current is None:
                self._start(broadcast)
            elif broadcast.priority.rank > current.priority.rank:
                self._end_current(
                    Outcome.INTERRUPTED,
                    f"interrupted by {broadcast.priority.value}: {broadcast.name}",
                )
                self._start(broadcast)
            else:
                self.waiting.append(broadcast)
                self.waiting.sort(key=lambda b: (-b.priority.rank, b.due))
            self.on_change()

    def stop(self, requested_by: str) -> bool:
        """Stop what is on air (waiting broadcasts still follow); False if nothing was."""
        with self.lock:
            if self.current is None:
                return False
            self._end_current(Outcome.INTERRUPTED, f"stopped by {requested_by}")
            self._next_waiting()
            return True

    def shutdown(self, reason: str) -> None:
        """Stop the sink and close the row on air, as the daemon exits."""
        with self.lock:
            if self.current is not None:
                self._end_current(Outcome.INTERRUPTED, reason)
            self.waiting.clear()

    # -- internals ---------------------------------------------------------------------

    def _start(self, broadcast: Broadcast) -> None:
        now = self.timeline.now()
        late = now - broadcast.due
        if late > self.grace:
            self._log_unplayed(
                broadcast,
                Outcome.SKIPPED,
                f"waited {late.total_seconds():.0f} s for the broadcast before it",
            )
            self._next_waiting()
            return
        if broadcast.planned is not None:
            row = asrun.claim(self.store, broadcast.planned, Outcome.PLAYING, now)
            if row is None:
                log.info("%s was already handled; not playing it again", broadcast.planned.key)
                self._next_waiting()
                return
            broadcast.as_run_id = row
        else:
            broadcast.as_run_id = asrun.open_manual(
                self.store,
                broadcast.name,
                broadcast.playlist_id,
                broadcast.priority,
                broadcast.requested_by or "",
                now,
            )
        log.info("on air: %s (%s)", broadcast.name, broadcast.priority.value)
        self.current = broadcast
        self._advance()

    def _advance(self) -> None:
        """Start the current broadcast's next segment, or close it when all have played."""
        broadcast = self.current
        assert broadcast is not None
        broadcast.index += 1
        segment = broadcast.current
        token = self._token = next(self._tokens)
        if segment is None:
            self._finish(Outcome.PLAYED, "")
            return
        self.on_change()
        if segment.audio_path is None:
            when = self.timeline.now() + dt.timedelta(seconds=segment.duration)
            self.timeline.call_at(SEGMENT_KEY, when, lambda: self._segment_done(token, None))
            return
        try:
            self.sink.start(
                segment.audio_path,
                0.0,
                segment.duration,
                lambda error: self._segment_done(token, error),
            )
        except SinkError as exc:
            self._finish(Outcome.FAILED, f"audio output {self.sink.name}: {exc}")

    def _segment_done(self, token: int, error: str | None) -> None:
        with self.lock:
            if token != self._token or self.current is None:
                return  # a stale report from a segment that was stopped
            if error:
                self._finish(Outcome.FAILED, f"audio output {self.sink.name}: {error}")
            else:
                self._advance()

    def _finish(self, outcome: Outcome, reason: str) -> None:
        self._close_current(outcome, reason)
        self._next_waiting()

    def _end_current(self, outcome: Outcome, reason: str) -> None:
        self._token = next(self._tokens)  # later reports from the old segment are stale
        self.timeline.cancel(SEGMENT_KEY)
        self.sink.stop()
        self._close_current(outcome, reason)

    def _close_current(self, outcome: Outcome, reason: str) -> None:
        broadcast, self.current = self.current, None
        if broadcast is None or broadcast.as_run_id is None:
            return
        asrun.close(self.store, broadcast.as_run_id, outcome, self.timeline.now(), reason)
        log.info("%s: %s %s", outcome.value, broadcast.name, reason)
        self.on_change()

    def _next_waiting(self) -> None:
        if self.waiting and self.current is None:
            self._start(self.waiting.pop(0))
        self.on_change()

    def _log_unplayed(self, broadcast: Broadcast, outcome: Outcome, reason: str) -> None:
        if broadcast.planned is not None:
            asrun.claim(self.store, broadcast.planned, outcome, self.timeline.now(), reason)
        log.warning("%s: %s (%s)", outcome.value, broadcast.name, reason)
