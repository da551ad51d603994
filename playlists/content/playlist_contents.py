"""What the playlist editor shows: each item with its label, and who schedules a playlist."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

from playlists.model import ItemKind, Review, Slide
from playlists.store import Store


@dataclasses.dataclass(frozen=True)
class EditorItem:
    """One item as the editor shows it."""

    id: int
    position: int
    kind: ItemKind
    duration: float
    repeat: int
    slide: Slide
    announcement_id: int | None
    announcement_title: str | None
    announcement_review: Review | None
    own_slide: bool  # an announcement that shows its own title and text
    media_sha256: str | None
    file_name: str  # an uploaded recording's original name

    @property
    def total_duration(self) -> float:
        return self.duration * self.repeat


@dataclasses.dataclass(frozen=True)
class ScheduleUse:
    id: int
    start: dt.date
    end: dt.date
    times: tuple[dt.time, ...]


def items_of(store: Store, playlist_id: int) -> list[EditorItem]:
    """Return a playlist's items in order, with what the editor shows of each."""
    rows = store.query(
        "SELECT i.*, a.title AS a_title, a.text AS a_text, a.review AS a_review, "
        "m.engine, m.voice FROM playlist_items i "
        "LEFT JOIN announcements a ON a.id = i.announcement_id "
        "LEFT JOIN media m ON m.sha256 = i.media_sha256 "
        "WHERE i.playlist_id = ? ORDER BY i.position",
        (playlist_id,),
    )
    return [
        EditorItem(
            id=row["id"],
            position=row["position"],
            kind=ItemKind(row["kind"]),
            duration=row["duration"],
            repeat=row["repeat"],
            slide=Slide(row["slide_title"], row["slide_body"]),
            announcement_id=row["announcement_id"],
            announcement_title=row["a_title"],
            announcement_review=Review(row["a_review"]) if row["a_review"] else None,
            own_slide=row["a_title"] is not None
            and (row["slide_title"], row["slide_body"]) == (row["a_title"], row["a_text"]),
            media_sha256=row["media_sha256"],
            file_name=row["voice"] if row["engine"] == "recording" else "",
        )
        for row in rows
    ]


def schedules_using(store: Store, playlist_id: int) -> list[ScheduleUse]:
    """Return every schedule entry that plays the playlist, enabled or not."""
    rows = store.query(
        "SELECT id, start_date, end_date, times FROM schedules WHERE playlist_id = ? ORDER BY id",
        (playlist_id,),
    )
    return [
        ScheduleUse(
            id=row["id"],
            start=dt.date.fromisoformat(row["start_date"]),
            end=dt.date.fromisoformat(row["end_date"]),
            times=tuple(dt.time.fromisoformat(t) for t in json.loads(row["times"])),
        )
        for row in rows
    ]
