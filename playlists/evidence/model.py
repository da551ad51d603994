"""An evidence item: a photo or video of the campaign, with caption, topic and day taken."""

from __future__ import annotations

import dataclasses
import datetime as dt
import sqlite3
from typing import Literal

from playlists.store import from_db_time

Kind = Literal["photo", "video"]
MAX_CAPTION = 200


@dataclasses.dataclass(frozen=True)
class EvidenceItem:
    id: int
    kind: Kind
    caption: str
    topic: str
    taken_on: dt.date
    added_by: str
    sha256: str  # of the stored file, which is also its name
    file: str  # name inside data_dir/evidence
    thumbnail: str  # name inside data_dir/evidence/thumbs
    bytes: int
    width: int
    height: int
    duration: float | None  # seconds, videos only
    created_at: dt.datetime
    town_review: str = ""  # "" until the town says: "accepted" or "more" (asks for more)
    town_comment: str = ""


@dataclasses.dataclass(frozen=True)
class EvidenceFields:
    """What the person adding an item says about it; taken_on None means "from the file"."""

    caption: str
    topic: str
    taken_on: dt.date | None


def item_from_row(row: sqlite3.Row) -> EvidenceItem:
    created = from_db_time(row["created_at"])
    assert created is not None  # NOT NULL in the schema
    return EvidenceItem(
        id=row["id"],
        kind=row["kind"],
        caption=row["caption"],
        topic=row["topic"],
        taken_on=dt.date.fromisoformat(row["taken_on"]),
        added_by=row["added_by"],
        sha256=row["sha256"],
        file=row["file"],
        thumbnail=row["thumbnail"],
        bytes=row["bytes"],
        width=row["width"],
        height=row["height"],
        duration=row["duration"],
        created_at=created,
        town_review=row["town_review"],
        town_comment=row["town_comment"],
    )
