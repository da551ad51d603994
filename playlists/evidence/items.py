"""Read the stored evidence: items by topic, one item, and where its files are."""

from __future__ import annotations

from pathlib import Path

from playlists.errors import NotFoundError
from playlists.evidence.model import EvidenceItem, item_from_row
from playlists.evidence.writer import evidence_dir, thumbs_dir
from playlists.settings import Settings
from playlists.store import Store


def list_items(store: Store, topic: str | None = None) -> list[EvidenceItem]:
    """Return the items, of one topic or all, by day taken, newest first."""
    if topic is None:
        rows = store.query("SELECT * FROM evidence ORDER BY taken_on DESC, id DESC")
    else:
        rows = store.query(
            "SELECT * FROM evidence WHERE topic = ? ORDER BY taken_on DESC, id DESC", (topic,)
        )
    return [item_from_row(row) for row in rows]


def get_item(store: Store, item_id: int) -> EvidenceItem:
    row = store.query_one("SELECT * FROM evidence WHERE id = ?", (item_id,))
    if row is None:
        raise NotFoundError(f"evidence item {item_id} does not exist")
    return item_from_row(row)


def by_topic(store: Store, topics: tuple[str, ...]) -> dict[str, list[EvidenceItem]]:
    """Group every item under the campaign's topics, in their order; others come last."""
    groups: dict[str, list[EvidenceItem]] = {topic: [] for topic in topics}
    for item in list_items(store):
        groups.setdefault(item.topic, []).append(item)
    return groups


def file_path(settings: Settings, item: EvidenceItem) -> Path:
    return evidence_dir(settings) / item.file


def thumbnail_path(settings: Settings, item: EvidenceItem) -> Path:
    return thumbs_dir(settings) / item.thumbnail
