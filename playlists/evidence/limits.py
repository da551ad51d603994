"""The evidence limits of config.yaml's `evidence` section, as the media checks take them."""

from __future__ import annotations

from pathlib import Path

from media.photos import PhotoLimits
from media.videos import VideoLimits
from playlists.settings import Settings

MB = 1_000_000
# Copying a 300 MB video's packets takes seconds; a minute covers a slow SD card.
VIDEO_TOOL_SECONDS = 120.0
# Magic numbers of the picture formats media/images.py reads; anything else is a video.
_PHOTO_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a", b"BM")


def photo_limits(settings: Settings) -> PhotoLimits:
    evidence = settings.evidence
    return PhotoLimits(evidence.max_photo_mb * MB, evidence.max_photo_megapixels * MB)


def video_limits(settings: Settings) -> VideoLimits:
    evidence = settings.evidence
    return VideoLimits(
        max_bytes=evidence.max_video_mb * MB,
        max_seconds=evidence.max_video_seconds,
        max_pixels=evidence.max_video_pixels,
        timeout=VIDEO_TOOL_SECONDS,
    )


def largest_upload(settings: Settings) -> int:
    """Return the most bytes one evidence upload may have."""
    return max(settings.evidence.max_photo_mb, settings.evidence.max_video_mb) * MB


def looks_like_photo(path: Path) -> bool:
    """Tell a picture from a video by its first bytes (a client's file name proves nothing)."""
    with path.open("rb") as file:
        head = file.read(12)
    return head.startswith(_PHOTO_MAGIC) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP")
