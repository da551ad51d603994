"""Evidence the system made itself: per campaign topic, how often it was broadcast and shown.

The as-run log says which playlists played; their items say what each broadcast
held. An item belongs to a topic when the topic's words are in its slide or in its
announcement's title, or, failing that, in its playlist's name. A played broadcast
counts each of its items' repeats as broadcasts of the item's topic, and each item
with a slide or picture as one showing. Items are counted as the playlist holds
them now; a playlist changed during the campaign counts as it stands.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter

from playlists.model import Outcome
from playlists.plan import day_range
from playlists.record import asrun
from playlists.settings import Settings
from playlists.store import Store

_SPOKEN = ("announcement", "audio")


@dataclasses.dataclass(frozen=True)
class TopicItem:
    topic: str
    spoken: int  # times the item sounds in one broadcast (its repeat), 0 for pictures and pauses
    shows: bool  # a slide or picture is on the screens while it plays
    slide: str  # that slide's title ("" for a picture without one)


@dataclasses.dataclass(frozen=True)
class TopicRecord:
    """One topic's evidence from the as-run log."""

    topic: str
    broadcasts: int  # times an item of the topic sounded in a played broadcast
    shown: int  # times a slide or picture of the topic was on the screens
    slides: tuple[tuple[str, int], ...]  # each slide's title and how often it was shown


def topic_records(store: Store, settings: Settings) -> list[TopicRecord]:
    """Count, per campaign topic, what played in the campaign window (through report_by)."""
    topics = settings.campaign.topics
    last = max(settings.campaign.end, settings.campaign.report_by)
    start, end = day_range(settings.campaign.start, last, settings.tz)
    played = Counter(
        row.playlist_id
        for row in asrun.rows_between(store, start, end)
        if row.status == Outcome.PLAYED and row.playlist_id is not None
    )
    broadcasts: Counter[str] = Counter()
    shown: Counter[str] = Counter()
    slides: dict[str, Counter[str]] = {topic: Counter() for topic in topics}
    for playlist_id, times in played.items():
        for item in playlist_topics(store, playlist_id, topics):
            broadcasts[item.topic] += item.spoken * times
            if item.shows:
                shown[item.topic] += times
                slides[item.topic][item.slide] += times
    return [
        TopicRecord(t, broadcasts[t], shown[t], tuple(sorted(slides[t].items()))) for t in topics
    ]


def playlist_topics(store: Store, playlist_id: int, topics: tuple[str, ...]) -> list[TopicItem]:
    """Return the playlist's items that belong to a topic, with what each sounds and shows."""
    playlist = store.query_one("SELECT name FROM playlists WHERE id = ?", (playlist_id,))
    if playlist is None:
        return []
    rows = store.query(
        "SELECT i.kind, i.repeat, i.slide_title, i.slide_body, a.title AS spoken_title "
        "FROM playlist_items i LEFT JOIN announcements a ON a.id = i.announcement_id "
        "WHERE i.playlist_id = ? ORDER BY i.position",
        (playlist_id,),
    )
    found = []
    for row in rows:
        texts = (row["slide_title"], row["slide_body"], row["spoken_title"] or "")
        topic = _topic_of(texts, topics) or _topic_of((playlist["name"],), topics)
        if topic is None:
            continue
        spoken = row["repeat"] if row["kind"] in _SPOKEN else 0
        slide = row["slide_title"] or row["slide_body"]
        shows = bool(slide) or row["kind"] == "image"
        found.append(TopicItem(topic, spoken, shows, slide))
    return found


def _topic_of(texts: tuple[str, ...], topics: tuple[str, ...]) -> str | None:
    for topic in topics:
        if any(topic in text for text in texts):
            return topic
    return None


def campaign_days(settings: Settings) -> tuple[dt.date, dt.date]:
    """Return the first and last day evidence is counted for: the window through report_by."""
    return settings.campaign.start, max(settings.campaign.end, settings.campaign.report_by)
