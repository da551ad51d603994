"""Evidence files for tests: phone photos with EXIF (GPS, time, orientation) and short videos."""

from __future__ import annotations

import subprocess
from pathlib import Path

from PIL import Image

GPS_IFD = 0x8825
EXIF_IFD = 0x8769
ORIENTATION = 0x0112
DATE_TIME_ORIGINAL = 0x9003
IMAGE_DESCRIPTION = 0x010E
# A position near the town hall of the sample campaign: what must not travel.
GPS_POSITION = {1: "N", 2: (27.0, 10.0, 0.0), 3: "E", 4: (119.0, 50.0, 0.0)}
HOSTILE_TEXT = "<script>alert('exif')</script>"


def phone_photo(
    path: Path,
    *,
    size: tuple[int, int] = (400, 300),
    taken: str | None = "2023:03:30 09:15:00",
    gps: bool = True,
    orientation: int | None = None,
    description: str | None = None,
) -> Path:
    """Write a JPEG as a phone saves it: left half red, right half blue, with EXIF."""
    image = Image.new("RGB", size, (200, 30, 30))
    image.paste((30, 30, 200), (size[0] // 2, 0, size[0], size[1]))
    exif = image.getexif()
    if gps:
        exif[GPS_IFD] = GPS_POSITION
    if taken is not None:
        exif.get_ifd(EXIF_IFD)[DATE_TIME_ORIGINAL] = taken
    if orientation is not None:
        exif[ORIENTATION] = orientation
    if description is not None:
        exif[IMAGE_DESCRIPTION] = description
    image.save(path, format="JPEG", quality=90, exif=exif.tobytes())
    return path


def has_gps(path: Path) -> bool:
    with Image.open(path) as image:
        return bool(image.getexif().get_ifd(GPS_IFD))


def short_video(
    path: Path,
    *,
    seconds: float = 2.0,
    size: str = "320x240",
    created: str | None = "2023-03-31T02:00:00Z",
    title: str | None = None,
    codec: str = "libx264",
) -> Path:
    """Make a short test video with sound, as a phone's camera app would (ffmpeg)."""
    metadata: list[str] = []
    if created is not None:
        metadata += ["-metadata", f"creation_time={created}"]
    if title is not None:
        metadata += ["-metadata", f"title={title}"]
    metadata += ["-metadata", "location=+27.1667+119.8333/"]
    subprocess.run(
        [
            "ffmpeg", "-nostdin", "-v", "error",
            "-f", "lavfi", "-i", f"testsrc=size={size}:rate=15",
            "-f", "lavfi", "-i", "sine=frequency=440",
            "-t", f"{seconds:g}", "-c:v", codec, "-pix_fmt", "yuv420p", "-c:a", "aac",
            *metadata, "-y", str(path),
        ],
        check=True,
        timeout=60,
    )  # fmt: skip
    return path


def video_tags(path: Path) -> str:
    """Return ffprobe's report of a file's container tags, as text."""
    result = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format_tags", "-of", "json", str(path)],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    return result.stdout
