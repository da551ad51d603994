"""Check evidence photos, turn them upright, strip their GPS position and make thumbnails.

A photo goes through the same guards as a slide picture (media/images.py: size,
format, decompression bombs, truncation) before it is decoded. It is then saved
again, upright, with its EXIF kept but the GPS block removed unless asked to keep
it, and with EXIF orientation reset, since the pixels are upright now.
"""

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps

from media.images import _DECODING, ALLOWED_FORMATS, ImageInfo, _reading, check_image

THUMBNAIL_SIZE = (320, 320)
JPEG_QUALITY = 90
_EXIF_IFD = 0x8769
_GPS_IFD = 0x8825
_ORIENTATION = 0x0112
_DATE_TIME_ORIGINAL = 0x9003
_DATE_TIME = 0x0132
_EXIF_TIME = re.compile(r"(\d{4}):(\d{2}):(\d{2}) (\d{2}):(\d{2}):(\d{2})")
_FIRST_YEAR = 2000  # a camera whose clock was never set says 1970 or 0000


@dataclass(frozen=True)
class PhotoLimits:
    max_bytes: int
    max_pixels: int


@dataclass(frozen=True)
class PhotoInfo:
    """What a checked photo is; ``taken`` is EXIF DateTimeOriginal, a local wall-clock time."""

    width: int
    height: int
    format: str
    taken: dt.datetime | None


def check_photo(path: Path, limits: PhotoLimits) -> PhotoInfo:
    """Check a photo as slides' pictures are checked, and read when it was taken."""
    info: ImageInfo = check_image(path, max_bytes=limits.max_bytes, max_pixels=limits.max_pixels)
    with _reading(path, limits.max_pixels), Image.open(path, formats=ALLOWED_FORMATS) as image:
        exif = image.getexif()
        taken = _exif_time(exif.get_ifd(_EXIF_IFD).get(_DATE_TIME_ORIGINAL)) or _exif_time(
            exif.get(_DATE_TIME)
        )
    return PhotoInfo(info.width, info.height, info.format, taken)


def save_clean(
    source: Path, target: Path, thumbnail: Path, *, keep_gps: bool, limits: PhotoLimits
) -> str:
    """Save a checked photo upright, without GPS unless kept, and its thumbnail; return suffix."""
    with (
        _reading(source, limits.max_pixels),
        _DECODING,
        Image.open(source, formats=ALLOWED_FORMATS) as image,
    ):
        image.load()
        turned = ImageOps.exif_transpose(image)  # its EXIF no longer has an orientation
        exif = turned.getexif()
        exif.pop(_ORIENTATION, None)
        if not keep_gps:
            exif.pop(_GPS_IFD, None)
        suffix, upright = _savable(turned)
        if suffix == "png":
            upright.save(target, format="PNG", exif=exif.tobytes())
        else:
            upright.save(target, format="JPEG", quality=JPEG_QUALITY, exif=exif.tobytes())
        upright.thumbnail(THUMBNAIL_SIZE)
        upright.convert("RGB").save(thumbnail, format="JPEG", quality=80)
    return suffix


def _savable(image: Image.Image) -> tuple[str, Image.Image]:
    """Keep transparency as PNG; everything else becomes an RGB JPEG, as phones save photos."""
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        return "png", image.convert("RGBA")
    return "jpg", image if image.mode == "RGB" else image.convert("RGB")


def _exif_time(value: object) -> dt.datetime | None:
    """Read an EXIF "YYYY:MM:DD HH:MM:SS" text; anything else (or nonsense) is no time."""
    if not isinstance(value, str):
        return None
    found = _EXIF_TIME.fullmatch(value.strip("\x00 "))
    if found is None:
        return None
    try:
        year, month, day, hour, minute, second = (int(part) for part in found.groups())
        when = dt.datetime(year, month, day, hour, minute, second)
    except ValueError:
        return None
    return when if when.year >= _FIRST_YEAR else None
