"""Playlists a town shares in tests: with a recording, a picture and a pause, approved."""

from __future__ import annotations

import functools
from pathlib import Path

from playlists.content.ingest import Ingest
from playlists.content.playlist_format import parse_playlist
from playlists.model import Review
from tests.bundle_kit import make_png, make_wav, playlist_yaml

MEDIA_ITEMS = (
    "  - audio: media/chime.wav\n  - image: media/poster.png\n    duration: 5\n  - pause: 1\n"
)
SCHEDULE = "schedule:\n  - {start: 2023-03-28, end: 2023-04-07, times: ['08:00']}\n"


@functools.cache
def media_bytes() -> tuple[bytes, bytes]:
    """A WAV tone and a PNG, made once per test session."""
    return make_wav(0.5), make_png()


def add_media_playlist(
    ingest: Ingest,
    folder: Path,
    name: str = "镇共享节目",
    review: Review = Review.APPROVED,
) -> int:
    """Import a playlist of a recording, a picture and a pause, with a schedule."""
    wav, png = media_bytes()
    source = folder / f"source-{name}"
    (source / "media").mkdir(parents=True, exist_ok=True)
    (source / "media" / "chime.wav").write_bytes(wav)
    (source / "media" / "poster.png").write_bytes(png)
    spec = parse_playlist(playlist_yaml(MEDIA_ITEMS, SCHEDULE, name=name))
    return ingest.import_playlist(spec, source, "town", review=review)
