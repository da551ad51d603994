"""Check uploaded pictures and fit them to a screen's exact pixel size.

Uploads come from operators' phones and from shared bundles, so every file is
checked for size, format and damage before Pillow decodes a single pixel of it.
Decoding is what costs memory (4 bytes a pixel, whatever the file's size: a 131 KB
PNG declaring 6300×6300 pixels took 456 MB to check and fit), so a process decodes
one picture at a time, JPEGs decode at the smallest scale that still covers the
screen, and other pictures are reduced right after decoding, before any copy.
"""

import re
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from PIL import Image, ImageOps, UnidentifiedImageError

from media.errors import ImageError

RGB = tuple[int, int, int]

ALLOWED_FORMATS = ("PNG", "JPEG", "GIF", "WEBP", "BMP")
MAX_BYTES = 20_000_000
# 16 megapixels decode to 64 MB, once at a time, which a 1 GB Raspberry Pi can spare
# beside the player: 8 times the largest default screen (1920×1080), twice a 4K one,
# more than a phone's 12-megapixel photo (bench/image_bench.py measures it).
MAX_PIXELS = 16_000_000
# A JPEG decodes at 1/2, 1/4 or 1/8 of its size for a screen smaller than it, so a
# phone's full-resolution photo (48 or 50 megapixels) costs no more than the above.
JPEG_PIXEL_FACTOR = 4
_FORMAT_NAMES = "PNG, JPEG, GIF, WebP or BMP"
# EXIF orientations 5 to 8 turn the picture a quarter turn: width and height swap.
_QUARTER_TURNS = frozenset({5, 6, 7, 8})
_EXIF_ORIENTATION = 0x0112
# Pillow's own shortcut for big reductions: shrink by whole factors first, then
# resample only the last few steps, which looks the same and is far faster.
_REDUCING_GAP = 3.0
# Modes whose pixels Image.reduce may average (not palettes, nor 1-bit or 16-bit ones).
_AVERAGED_MODES = frozenset({"L", "LA", "I", "F", "RGB", "RGBA", "CMYK", "YCbCr"})
# One decode at a time per process: three bombs at once cost what one does.
_DECODING = threading.Lock()


@dataclass(frozen=True)
class ImageInfo:
    """Pixel size and Pillow's format name ("PNG", "JPEG", "GIF", "WEBP", "BMP")."""

    width: int
    height: int
    format: str


def check_image(
    path: Path, *, max_bytes: int = MAX_BYTES, max_pixels: int = MAX_PIXELS
) -> ImageInfo:
    """Check that a file is a whole picture in an allowed format and within the limits."""
    if not path.is_file():
        raise ImageError(f"{path.name}: no such file")
    size = path.stat().st_size
    if size == 0:
        raise ImageError(f"{path.name}: not an image (the file is empty); upload the picture again")
    if size > max_bytes:
        raise ImageError(
            f"{path.name}: too large: {size / 1e6:.1f} MB, at most {max_bytes / 1e6:g} MB; "
            "save the picture smaller and upload it again"
        )
    with _reading(path, max_pixels):
        with Image.open(path, formats=ALLOWED_FORMATS) as image:
            _check_pixels(path, image.size, image.format, max_pixels)
            image.verify()
        # verify() leaves the image unusable and reads no pixels of most formats;
        # decoding them is what finds a file cut short.
        with _DECODING, Image.open(path, formats=ALLOWED_FORMATS) as image:
            info = ImageInfo(image.width, image.height, image.format or "")
            _decode_cheaply(image)
    return info


def fit_image(
    path: Path,
    width: int,
    height: int,
    mode: Literal["letterbox", "crop"],
    background: RGB = (0, 0, 0),
) -> Image.Image:
    """Scale a checked picture to exactly width×height: whole with bars, or cropped to fill."""
    if width <= 0 or height <= 0:
        raise ValueError(f"screen size must be positive, not {width}×{height}")
    if mode not in ("letterbox", "crop"):
        raise ValueError(f"mode must be 'letterbox' or 'crop', not {mode!r}")
    check_image(path)
    with (
        _reading(path, MAX_PIXELS),
        _DECODING,
        Image.open(path, formats=ALLOWED_FORMATS) as source,
    ):
        turned = source.getexif().get(_EXIF_ORIENTATION) in _QUARTER_TURNS
        need = (height, width) if turned else (width, height)
        # JPEG can decode straight at 1/2, 1/4 or 1/8 size: a phone photo for a
        # small screen then costs a fraction of the memory and time.
        source.draft("RGB", need)
        # The full picture is decoded once and never copied: it is reduced first,
        # and turned, resized and flattened only after that.
        picture = _upright(_resizable(_reduced(source, *need)))
        if mode == "crop":
            return _flatten(_cover(picture, width, height), background)
        return _contain(picture, width, height, background)


@contextmanager
def _reading(path: Path, max_pixels: int) -> Iterator[None]:
    """Turn what Pillow raises while reading one file into ImageError messages."""
    name = path.name
    try:
        with warnings.catch_warnings():
            # Pillow only warns about sizes between its limit and twice that;
            # a possible bomb must stop the reading, not scroll by in a log.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            yield
    except UnidentifiedImageError:
        raise ImageError(f"{name}: not an image; upload a {_FORMAT_NAMES} picture") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        # Pillow stops before the picture's size reaches us; its message holds the count.
        found = re.search(r"\((\d+) pixels\)", str(exc))
        count = f"{int(found[1]) / 1e6:.0f} megapixels" if found else "a decompression bomb"
        raise ImageError(f"{name}: too many pixels ({count}); {_limit_text(max_pixels)}") from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise ImageError(
            f"{name}: truncated or damaged ({exc}); upload the picture again"
        ) from None


def _check_pixels(
    path: Path, size: tuple[int, int], image_format: str | None, max_pixels: int
) -> None:
    """Refuse a picture whose declared size would take too much memory to decode."""
    width, height = size
    limit = max_pixels * JPEG_PIXEL_FACTOR if image_format == "JPEG" else max_pixels
    if width * height > limit:
        raise ImageError(
            f"{path.name}: too many pixels ({width}×{height}); {_limit_text(max_pixels)}"
        )


def _limit_text(max_pixels: int) -> str:
    return (
        f"at most {max_pixels / 1e6:g} megapixels "
        f"({max_pixels * JPEG_PIXEL_FACTOR / 1e6:g} for a JPEG photo); "
        "save the picture smaller and upload it again"
    )


def _reduced(image: Image.Image, width: int, height: int) -> Image.Image:
    """Shrink a decoded picture by a whole factor that keeps it well over width×height."""
    factor = int(min(image.width / width, image.height / height) / _REDUCING_GAP)
    if factor < 2:
        return image
    if image.mode not in _AVERAGED_MODES:
        # Averaging palette indices makes noise; nearest pixels keep palette and transparency.
        size = (-(-image.width // factor), -(-image.height // factor))
        return image.resize(size, Image.Resampling.NEAREST)
    return image.reduce(factor)


def _decode_cheaply(image: Image.Image) -> None:
    """Decode every byte of the picture's data, at 1/8 scale where the format allows."""
    image.draft("RGB", (max(1, image.width // 8), max(1, image.height // 8)))
    image.load()


def _resizable(image: Image.Image) -> Image.Image:
    """Return the picture in RGB, or RGBA where it has transparency; as it is if it is."""
    if image.mode in ("RGB", "RGBA"):
        return image
    transparent = image.mode in ("LA", "PA") or "transparency" in image.info
    return image.convert("RGBA" if transparent else "RGB")


def _upright(image: Image.Image) -> Image.Image:
    """Turn the picture as its EXIF orientation says, in place (no copy when upright)."""
    ImageOps.exif_transpose(image, in_place=True)
    return image


def _flatten(image: Image.Image, background: RGB) -> Image.Image:
    """Return an RGB copy with transparent parts painted in the background colour."""
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, background)
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return image.convert("RGB")


def _contain(picture: Image.Image, width: int, height: int, background: RGB) -> Image.Image:
    """Scale the whole picture into the screen, centred on bars of the background colour."""
    scale = min(width / picture.width, height / picture.height)
    size = (
        min(width, max(1, round(picture.width * scale))),
        min(height, max(1, round(picture.height * scale))),
    )
    scaled = _flatten(
        picture.resize(size, Image.Resampling.LANCZOS, reducing_gap=_REDUCING_GAP), background
    )
    screen = Image.new("RGB", (width, height), background)
    screen.paste(scaled, ((width - size[0]) // 2, (height - size[1]) // 2))
    return screen


def _cover(picture: Image.Image, width: int, height: int) -> Image.Image:
    """Scale the picture to fill the screen, cutting equal amounts off opposite edges."""
    scale = max(width / picture.width, height / picture.height)
    crop_w = min(picture.width, width / scale)
    crop_h = min(picture.height, height / scale)
    # Rounding can push an edge a hair outside the picture, which Pillow refuses.
    left, top = max(0.0, (picture.width - crop_w) / 2), max(0.0, (picture.height - crop_h) / 2)
    box = (left, top, left + crop_w, top + crop_h)
    return picture.resize(
        (width, height), Image.Resampling.LANCZOS, box=box, reducing_gap=_REDUCING_GAP
    )
