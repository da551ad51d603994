"""What the operator is told is on air: "item n of m", counted as the playlist lists them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from playlists.model import ItemKind, Playlist, PlaylistItem, Priority
from scheduler.playout import Assembly, Broadcast, segments_of

OPENERS = Assembly(openers=((Path("lead-in.wav"), 0.5), (Path("chime.wav"), 2.4)), gap=1.0)
NOW = dt.datetime(2026, 3, 28, 8, 0, tzinfo=dt.UTC)


def _item(position: int, kind: ItemKind = ItemKind.ANNOUNCEMENT, repeat: int = 1) -> PlaylistItem:
    audio = Path(f"{position}.wav") if kind is ItemKind.ANNOUNCEMENT else None
    return PlaylistItem(position, kind, 5.0, repeat=repeat, audio_path=audio)


def _broadcast(items: list[PlaylistItem], index: int) -> Broadcast:
    playlist = Playlist(1, "p", "", tuple(items))
    segments = segments_of(playlist, OPENERS)
    return Broadcast("p", Priority.SCHEDULED, segments, NOW, index=index)


# Segments with the openers: lead-in (0), chime (1), then items with a gap between them.
CASES = [
    ("one notice, lead-in", [_item(0)], 0, (1, 1)),
    ("one notice, chime", [_item(0)], 1, (1, 1)),
    ("one notice, speech", [_item(0)], 2, (1, 1)),
    ("one notice said twice, second time", [_item(0, repeat=2)], 4, (1, 1)),
    ("two notices, gap after the first", [_item(0), _item(1)], 3, (1, 2)),
    ("two notices, the second", [_item(0), _item(1)], 4, (2, 2)),
    ("notice, pause, notice: the pause", [_item(0), _item(1, ItemKind.PAUSE), _item(2)], 3, (2, 3)),
    ("not started yet", [_item(0), _item(1)], -1, (1, 2)),
]


@pytest.mark.parametrize(
    ("items", "index", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_item_of_items_counts_playlist_items_not_openers(
    items: list[PlaylistItem], index: int, expected: tuple[int, int]
) -> None:
    assert _broadcast(items, index).item_of_items() == expected


def test_a_broadcast_of_openers_only_has_no_items() -> None:
    segments = segments_of(Playlist(1, "p", "", ()), OPENERS)
    broadcast = Broadcast("p", Priority.SCHEDULED, segments, NOW)
    assert broadcast.item_of_items() == (0, 0)
