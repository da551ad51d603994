"""The domain's plain data: playlists, their items, schedule entries, broadcasts."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import functools
from pathlib import Path


class Priority(enum.StrEnum):
    """Broadcast lanes; a higher rank interrupts a lower one."""

    EMERGENCY = "emergency"
    MANUAL = "manual"
    SCHEDULED = "scheduled"
    IDLE = "idle"

    @property
    def rank(self) -> int:
        return _RANKS[self]


_RANKS = {Priority.EMERGENCY: 3, Priority.MANUAL: 2, Priority.SCHEDULED: 1, Priority.IDLE: 0}


class ItemKind(enum.StrEnum):
    ANNOUNCEMENT = "announcement"
    AUDIO = "audio"
    IMAGE = "image"
    PAUSE = "pause"


class Outcome(enum.StrEnum):
    """Status of an as-run row; PLAYING only while a broadcast is on air."""

    PLAYING = "playing"
    PLAYED = "played"
    INTERRUPTED = "interrupted"
    SKIPPED = "skipped"
    MISSED = "missed"
    FAILED = "failed"


class InterruptPolicy(enum.StrEnum):
    """What a broadcast does when a higher one cuts in or its slot is busy."""

    RESUME = "resume"  # continue from where it stopped
    RESTART = "restart"  # play again from the start
    SKIP = "skip"  # give up


class Review(enum.StrEnum):
    """Where content is in review (审核): only approved content is scheduled or played."""

    DRAFT = "draft"  # written or changed, not yet sent for review
    PENDING = "pending"  # waiting for a reviewer
    APPROVED = "approved"
    REJECTED = "rejected"  # sent back with a comment


DEFAULT_WAIT = 300.0  # seconds a broadcast waits for the lane to be free before it is skipped

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclasses.dataclass(frozen=True)
class QuietHours:
    """A nightly stretch of wall-clock time in which only emergencies play."""

    start: dt.time
    end: dt.time

    def contains(self, moment: dt.time) -> bool:
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end  # the stretch crosses midnight

    def __str__(self) -> str:
        return f"{self.start:%H:%M}–{self.end:%H:%M}"


@dataclasses.dataclass(frozen=True)
class Slide:
    title: str = ""
    body: str = ""


@dataclasses.dataclass(frozen=True)
class Announcement:
    id: int
    title: str
    text: str
    media_sha256: str
    engine: str
    duration: float
    created_at: dt.datetime
    review: Review = Review.APPROVED
    review_comment: str = ""
    reviewed_by: str | None = None
    changed_by: str | None = None
    archived_at: dt.datetime | None = None  # archived (归档): kept, never played


@dataclasses.dataclass(frozen=True)
class PlaylistItem:
    """One step of a playlist; audio_path is None for pauses and images."""

    position: int
    kind: ItemKind
    duration: float
    repeat: int = 1
    slide: Slide = Slide()
    announcement_id: int | None = None
    media_sha256: str | None = None
    audio_path: Path | None = None
    text: str = ""

    @property
    def total_duration(self) -> float:
        return self.duration * self.repeat


@dataclasses.dataclass(frozen=True)
class Playlist:
    id: int
    name: str
    description: str
    items: tuple[PlaylistItem, ...]

    @property
    def duration(self) -> float:
        return sum(item.total_duration for item in self.items)


@dataclasses.dataclass(frozen=True)
class PlannedBroadcast:
    """One occurrence of a schedule entry: a playlist due at an instant."""

    start: dt.datetime
    end: dt.datetime
    schedule_id: int
    playlist_id: int
    playlist_name: str
    priority: Priority
    quiet: bool = False  # falls inside quiet hours, so it will be skipped
    unapproved: bool = False  # its content awaits review, so it will be skipped
    on_interrupt: InterruptPolicy = InterruptPolicy.RESUME
    wait_seconds: float = DEFAULT_WAIT
    part: int = 1  # 2, 3, ... when it resumes or restarts after an interruption

    @functools.cached_property  # the calendar and the report look it up thousands of times
    def key(self) -> str:
        """Identify the occurrence (and part), so it is logged and played at most once."""
        utc = self.start.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        suffix = f"#{self.part}" if self.part > 1 else ""
        return f"{self.schedule_id}@{utc}{suffix}"

    @property
    def held(self) -> bool:
        """Tell whether it will be skipped rather than played when it comes due."""
        return self.quiet or self.unapproved


@dataclasses.dataclass(frozen=True)
class ScheduleEntry:
    """When a playlist plays: every listed time on the listed weekdays of a date range."""

    id: int
    playlist_id: int
    playlist_name: str
    start: dt.date
    end: dt.date  # inclusive
    times: tuple[dt.time, ...]
    weekdays: frozenset[int] = frozenset(range(7))  # Monday is 0
    priority: Priority = Priority.SCHEDULED
    duration: float = 0.0  # the playlist's length in seconds
    on_interrupt: InterruptPolicy = InterruptPolicy.RESUME
    wait_seconds: float = DEFAULT_WAIT
    approved: bool = True  # the playlist and every announcement in it passed review

    def occurrence(
        self, start: dt.datetime, *, quiet: bool = False, part: int = 1
    ) -> PlannedBroadcast:
        """Return this entry's broadcast due at start."""
        return PlannedBroadcast(
            start=start,
            end=start + dt.timedelta(seconds=self.duration),
            schedule_id=self.id,
            playlist_id=self.playlist_id,
            playlist_name=self.playlist_name,
            priority=self.priority,
            quiet=quiet,
            unapproved=not self.approved,
            on_interrupt=self.on_interrupt,
            wait_seconds=self.wait_seconds,
            part=part,
        )


@dataclasses.dataclass(frozen=True)
class AsRunRow:
    id: int
    occurrence: str | None
    playlist_id: int | None
    playlist_name: str
    priority: Priority
    scheduled_at: dt.datetime
    started_at: dt.datetime | None
    ended_at: dt.datetime | None
    status: Outcome
    reason: str
    requested_by: str | None
    schedule_id: int | None = None
    item: int | None = None  # index of the segment last on air
    item_started_at: dt.datetime | None = None  # when that segment's second 0 was
