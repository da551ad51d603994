"""Playout: one broadcast on air at a time, item after item, each with its as-run row.

The rules live here and nowhere else; the daemon and the simulator both drive
this class, through the `Timeline` and `AudioSink` seams:

- a higher priority cuts in at once; the broadcast it cut resumes, restarts or is
  dropped as its schedule entry says, if the lane frees up within its wait;
- an equal or lower one waits for the lane up to its wait, or is skipped;
- every start, cut and end is logged, and a planned occurrence never plays twice.

Every entry point takes the lock: in the daemon, callbacks come from APScheduler's
threads, the sink's watcher thread and the command poller.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import logging
import threading
from collections.abc import Callable
from pathlib import Path

from playlists.commands import CommandResult, ReasonCode, answer
from playlists.errors import SinkError
from playlists.model import (
    DEFAULT_WAIT,
    InterruptPolicy,
    ItemKind,
    Outcome,
    PlannedBroadcast,
    Playlist,
    Priority,
    Slide,
)
from playlists.record import asrun, notes
from playlists.record.notes import Note, NoteCode, Notes, note
from playlists.store import Store
from scheduler.sinks import AudioSink
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
    image_sha256: str | None = None  # a picture item, fitted to each screen
    item: int = 0  # the playlist item it plays, counting from 1; 0 for openers and gaps


@dataclasses.dataclass
class Broadcast:
    name: str
    priority: Priority
    segments: list[Segment]
    due: dt.datetime  # when it wanted to start; it gives up `wait` after this
    planned: PlannedBroadcast | None = None
    playlist_id: int | None = None
    requested_by: str | None = None
    on_interrupt: InterruptPolicy = InterruptPolicy.RESUME
    wait: dt.timedelta = dt.timedelta(seconds=DEFAULT_WAIT)
    first_item: int = 0  # where to start: 0, or where an interrupted part stopped
    first_offset: float = 0.0
    note: Notes = ()  # logged on its row when it plays through ("resumed after ...")
    label: Notes = ()  # always on its row, whatever the outcome: an emergency's words
    as_run_id: int | None = None
    failure: Note | None = None  # why the audio failed; the slides go on without it
    index: int = -1
    segment_zero: dt.datetime | None = None  # the instant the current segment's second 0 was

    @property
    def current(self) -> Segment | None:
        return self.segments[self.index] if 0 <= self.index < len(self.segments) else None

    def item_of_items(self) -> tuple[int, int]:
        """Return which playlist item is on air and how many there are, as the operator counts.

        The lead-in, chime and gaps are no items: they count as the item they lead to or follow.
        """
        items = max((s.item for s in self.segments), default=0)
        on_air = 0
        for segment in self.segments[: self.index + 1]:
            on_air = segment.item or on_air
        return (max(on_air, 1) if items else 0), items

    def position(self, now: dt.datetime) -> tuple[int, float]:
        """Return the segment on air and how many seconds into it we are."""
        if self.segment_zero is None:
            return max(self.index, 0), 0.0
        return self.index, max(0.0, (now - self.segment_zero).total_seconds())

    def continuation(
        self, policy: InterruptPolicy, at: tuple[int, float], note: Notes, since: dt.datetime
    ) -> Broadcast:
        """Return the part that plays this broadcast on after an interruption."""
        item, offset = at if policy is InterruptPolicy.RESUME else (0, 0.0)
        planned = self.planned
        if planned is not None:
            planned = dataclasses.replace(planned, part=planned.part + 1)
        return dataclasses.replace(
            self,
            due=since,
            planned=planned,
            first_item=item,
            first_offset=offset,
            note=note,
            as_run_id=None,
            failure=None,
            index=-1,
            segment_zero=None,
        )


@dataclasses.dataclass(frozen=True)
class Assembly:
    """What every broadcast gets around its items: openers, and a gap between items."""

    openers: tuple[tuple[Path, float], ...] = ()  # (clip, seconds): lead-in, then chime
    gap: float = 0.0


def segments_of(playlist: Playlist, assembly: Assembly | None = None) -> list[Segment]:
    """Expand a playlist's items (with repeats) into the segments that go on air."""
    segments = []
    for number, item in enumerate(playlist.items, start=1):
        audio = item.audio_path if item.kind in (ItemKind.ANNOUNCEMENT, ItemKind.AUDIO) else None
        image = item.media_sha256 if item.kind is ItemKind.IMAGE else None
        for _ in range(item.repeat):
            segments.append(Segment(item.kind, item.duration, item.slide, audio, image, number))
    return assemble(segments, assembly) if assembly else segments


def assemble(core: list[Segment], assembly: Assembly) -> list[Segment]:
    """Open with the lead-in and chime and put the gap between items that have none."""
    first = next((s for s in core if s.slide.title or s.slide.body or s.image_sha256), None)
    slide, image = (first.slide, first.image_sha256) if first else (Slide(), None)
    # The openers already show the first item's slide, so the screens change with the chime.
    segments = [
        Segment(ItemKind.AUDIO, seconds, slide, path, image) for path, seconds in assembly.openers
    ]
    for segment in core:
        previous = segments[-1] if len(segments) > len(assembly.openers) else None
        pauses = previous is not None and ItemKind.PAUSE in (previous.kind, segment.kind)
        if previous is not None and assembly.gap > 0 and not pauses:
            segments.append(Segment(ItemKind.PAUSE, assembly.gap, Slide()))
        segments.append(segment)
    return segments


class Playout:
    """Put broadcasts on air one at a time and log each outcome."""

    def __init__(
        self,
        store: Store,
        timeline: Timeline,
        sink: AudioSink,
        on_change: Callable[[], None] = lambda: None,
        on_air: Callable[[Broadcast | None], None] = lambda broadcast: None,
    ) -> None:
        self.store = store
        self.timeline = timeline
        self.sink = sink
        self.on_change = on_change
        self.on_air = on_air  # told as each segment starts, and None when the lane goes idle
        self.lock = threading.RLock()
        self.current: Broadcast | None = None
        self.waiting: list[Broadcast] = []
        self._tokens = itertools.count(1)
        self._token = 0
        # Set by the simulation (a scratch copy of the store): each segment's progress
        # is kept here and only the last one written, as the row closes or a step ends.
        self.defer_progress = False
        self._progress: tuple[int, int, dt.datetime] | None = None

    # -- entry points ------------------------------------------------------------------

    def submit(self, broadcast: Broadcast) -> CommandResult:
        """Put a broadcast on air now, cutting into a lower one, or queue it behind its peers.

        Return what happened, as the player answers a command that asked for it.
        """
        with self.lock:
            current = self.current
            if current is not None and broadcast.priority.rank <= current.priority.rank:
                if broadcast.on_interrupt is InterruptPolicy.SKIP:
                    self._log_unplayed(broadcast, note(NoteCode.SLOT_BUSY, on_air=current.name))
                    return answer(ReasonCode.SLOT_BUSY, on_air=current.name)
                self._enqueue(broadcast)
                self.on_change()
                return answer(ReasonCode.WAITING, on_air=current.name)
            if current is not None:
                self._interrupt(broadcast)
            self._start(broadcast)
            self.on_change()
            started = self.current is broadcast
            return answer(ReasonCode.STARTED if started else ReasonCode.NOT_PLAYED)

    def stop(self, requested_by: str) -> bool:
        """Stop what is on air for good (waiting broadcasts still follow); False if nothing was."""
        with self.lock:
            if self.current is None:
                return False
            self._end_current(Outcome.INTERRUPTED, (note(NoteCode.STOPPED_BY, who=requested_by),))
            self._next_waiting()
            return True

    def skip(self, requested_by: str) -> int | None:
        """Skip the item on air and go on with the next; return its number, None if idle."""
        with self.lock:
            broadcast = self.current
            if broadcast is None:
                return None
            item = broadcast.item_of_items()[0]
            broadcast.note = notes.with_skip(broadcast.note, item, requested_by)
            log.info("%s: item %d skipped by %s", broadcast.name, item, requested_by)
            self._token = next(self._tokens)
            self.timeline.cancel(SEGMENT_KEY)
            self.sink.stop()
            self._advance()
            return item

    def shutdown(self) -> None:
        """Stop the sink and close the row on air, as the daemon exits."""
        with self.lock:
            if self.current is not None:
                self._end_current(Outcome.INTERRUPTED, (note(NoteCode.PLAYER_STOPPED),))
            self.waiting.clear()

    # -- starting and stopping ---------------------------------------------------------

    def _start(self, broadcast: Broadcast) -> None:
        now = self.timeline.now()
        waited = now - broadcast.due
        if waited > broadcast.wait:
            waited_for = round(waited.total_seconds())
            wait = round(broadcast.wait.total_seconds())
            self._log_unplayed(
                broadcast, note(NoteCode.WAITED_TOO_LONG, waited=waited_for, wait=wait)
            )
            self._next_waiting()
            return
        if not self._open_row(broadcast, now):
            self._next_waiting()
            return
        log.info("on air: %s (%s)", broadcast.name, broadcast.priority.value)
        self.current = broadcast
        broadcast.index = broadcast.first_item - 1
        self._advance(broadcast.first_offset)

    def _open_row(self, broadcast: Broadcast, now: dt.datetime) -> bool:
        if broadcast.planned is None:
            broadcast.as_run_id = self._manual_row(broadcast, now, Outcome.PLAYING, ())
            return True
        row = asrun.claim(self.store, broadcast.planned, Outcome.PLAYING, now)
        if row is None:
            log.info("%s was already handled; not playing it again", broadcast.planned.key)
            return False
        broadcast.as_run_id = row
        return True

    def _interrupt(self, by: Broadcast) -> None:
        """Cut the broadcast on air; queue its continuation if its policy asks for one."""
        cut = self.current
        assert cut is not None
        now = self.timeline.now()
        at = cut.position(now)
        policy = cut.on_interrupt
        then = "" if policy is InterruptPolicy.SKIP else policy.value
        priority = by.priority.value
        cut_in = note(NoteCode.INTERRUPTED, priority=priority, name=by.name, then=then)
        self._end_current(Outcome.INTERRUPTED, (cut_in,))
        if policy is not InterruptPolicy.SKIP:
            after = note(
                NoteCode.CONTINUED_AFTER, policy=policy.value, priority=priority, name=by.name
            )
            self._enqueue(cut.continuation(policy, at, (after,), since=now))

    def _enqueue(self, broadcast: Broadcast) -> None:
        self.waiting.append(broadcast)
        self.waiting.sort(key=lambda b: (-b.priority.rank, b.due))

    # -- segments ----------------------------------------------------------------------

    def _advance(self, offset: float = 0.0) -> None:
        """Start the current broadcast's next segment, or close it when all have played."""
        broadcast = self.current
        assert broadcast is not None
        broadcast.index += 1
        segment = broadcast.current
        token = self._token = next(self._tokens)
        if segment is None:
            if broadcast.failure:
                self._finish(Outcome.FAILED, (broadcast.failure,))
            else:
                self._finish(Outcome.PLAYED, broadcast.note)
            return
        offset = min(max(offset, 0.0), segment.duration)
        now = self.timeline.now()
        broadcast.segment_zero = now - dt.timedelta(seconds=offset)
        path = segment.audio_path if broadcast.failure is None else None
        silent = path is None
        if path is not None:
            try:
                self.sink.start(
                    path,
                    offset,
                    segment.duration,
                    lambda error: self._segment_done(token, error),
                )
            except SinkError as exc:
                broadcast.failure = self._audio_failed(str(exc))
                silent = True
        if silent:
            # Pauses, pictures, and every item after the audio failed run on the clock,
            # so the screens still follow the broadcast.
            when = now + dt.timedelta(seconds=segment.duration - offset)
            self.timeline.call_at(SEGMENT_KEY, when, lambda: self._segment_done(token, None))
        # Bookkeeping comes after the sound has started, so it never delays air time.
        if broadcast.as_run_id is not None:
            self._record_progress(broadcast.as_run_id, broadcast.index, broadcast.segment_zero)
        self._tell_screens(broadcast)
        self.on_change()

    def _segment_done(self, token: int, error: str | None) -> None:
        with self.lock:
            if token != self._token or self.current is None:
                return  # a late report from a segment that was stopped
            broadcast = self.current
            if error:
                broadcast.failure = self._audio_failed(error)
                segment = broadcast.current
                if segment is not None and broadcast.segment_zero is not None:
                    # The slide stays up for the rest of the item, as if it had sounded.
                    end = broadcast.segment_zero + dt.timedelta(seconds=segment.duration)
                    if end > self.timeline.now():
                        self.timeline.call_at(
                            SEGMENT_KEY, end, lambda: self._segment_done(token, None)
                        )
                        return
            self._advance()

    def _record_progress(self, row_id: int, index: int, since: dt.datetime) -> None:
        """Record which segment is on air, or keep it for later when progress is deferred."""
        if self.defer_progress:
            self._progress = (row_id, index, since)
        else:
            asrun.progress(self.store, row_id, index, since)

    def flush_progress(self) -> None:
        """Write the deferred progress of the row on air, if any."""
        with self.lock:
            pending, self._progress = self._progress, None
            if pending is not None:
                asrun.progress(self.store, *pending)

    def _audio_failed(self, error: str) -> Note:
        return note(NoteCode.AUDIO_FAILED, sink=self.sink.name, detail=error)

    def _finish(self, outcome: Outcome, reason: Notes) -> None:
        self._close_current(outcome, reason)
        self._next_waiting()

    def _end_current(self, outcome: Outcome, reason: Notes) -> None:
        self._token = next(self._tokens)  # later reports from the old segment are stale
        self.timeline.cancel(SEGMENT_KEY)
        self.sink.stop()
        self._close_current(outcome, reason)

    def _close_current(self, outcome: Outcome, reason: Notes) -> None:
        broadcast, self.current = self.current, None
        if broadcast is None or broadcast.as_run_id is None:
            return
        text = notes.encode((*broadcast.label, *reason))
        now = self.timeline.now()
        pending, self._progress = self._progress, None
        if pending is not None and pending[0] == broadcast.as_run_id:
            asrun.progress_and_close(self.store, pending[0], pending[1:], outcome, now, text)
        else:
            if pending is not None:
                asrun.progress(self.store, *pending)
            asrun.close(self.store, broadcast.as_run_id, outcome, now, text)
        if log.isEnabledFor(logging.INFO):  # wording the note is work a year's simulation skips
            log.info("%s: %s %s", outcome.value, broadcast.name, notes.english(text))
        self.on_change()

    def _next_waiting(self) -> None:
        if self.waiting and self.current is None:
            self._start(self.waiting.pop(0))
        if self.current is None:
            self._tell_screens(None)
        self.on_change()

    def _tell_screens(self, broadcast: Broadcast | None) -> None:
        # The screens follow the audio, but a screen fault must never stop the audio.
        try:
            self.on_air(broadcast)
        except Exception:
            log.exception("updating the screens failed")

    def _log_unplayed(self, broadcast: Broadcast, reason: Note) -> None:
        now = self.timeline.now()
        text = notes.encode((reason,))
        if broadcast.planned is not None:
            asrun.claim(self.store, broadcast.planned, Outcome.SKIPPED, now, text)
        else:
            self._manual_row(broadcast, now, Outcome.SKIPPED, (reason,))
        log.warning("skipped: %s (%s)", broadcast.name, notes.english(text))

    def _manual_row(
        self, broadcast: Broadcast, now: dt.datetime, status: Outcome, reason: Notes
    ) -> int:
        """Log a broadcast a command asked for, on air or not."""
        return asrun.open_manual(
            self.store, broadcast.name, broadcast.playlist_id, broadcast.priority,
            broadcast.requested_by or "", now, status, notes.encode((*broadcast.label, *reason)),
        )  # fmt: skip
