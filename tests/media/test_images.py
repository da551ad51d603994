"""Checking uploaded pictures and fitting them to screens."""

import struct
import subprocess
import sys
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from media.errors import ImageError
from media.images import ImageInfo, check_image, fit_image
from tests.paths import REPO

ROOT = REPO
BACKGROUND = (10, 20, 30)
PICTURE_COLOUR = (200, 40, 40)


def picture(path: Path, size: tuple[int, int] = (400, 300), **save: Any) -> Path:
    """Write a plain picture; the suffix picks the format."""
    Image.new("RGB", size, PICTURE_COLOUR).save(path, **save)
    return path


def png_declaring(path: Path, width: int, height: int) -> Path:
    """Write a tiny PNG whose header claims width×height one-bit pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    # One row of zeros, compressed: the data a bomb would unpack runs out at once.
    rows = zlib.compress(b"\x00" * (1 + (width + 7) // 8), 9)
    data = (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")
    )
    path.write_bytes(data)
    return path


def black_png(path: Path, width: int, height: int) -> Path:
    """Write a whole, valid all-black RGB PNG without holding its pixels (a small bomb)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    packer = zlib.compressobj(9)
    row = b"\x00" * (1 + 3 * width)
    rows = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    data = (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")
    )
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("name", "save", "expected_format"),
    [
        pytest.param("poster.png", {}, "PNG", id="png"),
        pytest.param("photo.jpg", {"quality": 90}, "JPEG", id="jpeg"),
        pytest.param("banner.gif", {}, "GIF", id="gif"),
        pytest.param("slide.webp", {}, "WEBP", id="webp"),
        pytest.param("scan.bmp", {}, "BMP", id="bmp"),
    ],
)
def test_good_pictures_pass(
    tmp_path: Path, name: str, save: dict[str, Any], expected_format: str
) -> None:
    path = picture(tmp_path / name, **save)

    assert check_image(path) == ImageInfo(400, 300, expected_format)


def text_named_png(folder: Path) -> Path:
    path = folder / "notice.png"
    path.write_text("关于印发方案的通知")
    return path


def empty_file(folder: Path) -> Path:
    path = folder / "empty.png"
    path.touch()
    return path


def truncated(path: Path) -> Path:
    """Write a noisy picture, which does not compress away, and cut off its last third."""
    Image.effect_noise((300, 200), 80).convert("RGB").save(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) * 2 // 3])
    return path


@pytest.mark.parametrize(
    ("make", "message"),
    [
        pytest.param(text_named_png, "notice.png: not an image", id="text-named-png"),
        pytest.param(empty_file, "empty.png: not an image", id="empty-file"),
        pytest.param(
            lambda folder: truncated(folder / "cut.png"),
            "cut.png: truncated or damaged",
            id="truncated-png",
        ),
        pytest.param(
            lambda folder: truncated(folder / "cut.jpg"),
            "cut.jpg: truncated or damaged",
            id="truncated-jpeg",
        ),
        pytest.param(
            lambda folder: picture(folder / "scan.tiff"),
            "scan.tiff: not an image; upload a PNG, JPEG, GIF, WebP or BMP picture",
            id="tiff-not-allowed",
        ),
        pytest.param(
            lambda folder: png_declaring(folder / "bomb.png", 20000, 20000),
            "bomb.png: too many pixels (400 megapixels); at most 16 megapixels (64 for a JPEG",
            id="decompression-bomb",
        ),
        pytest.param(
            lambda folder: png_declaring(folder / "bomb.png", 12000, 10000),
            "bomb.png: too many pixels (120 megapixels); at most 16 megapixels",
            id="pillow-warning-is-an-error",
        ),
        pytest.param(
            lambda folder: png_declaring(folder / "huge.png", 8000, 6000),
            "huge.png: too many pixels (8000×6000); at most 16 megapixels",
            id="over-pixel-limit",
        ),
        pytest.param(
            lambda folder: black_png(folder / "bomb.png", 6300, 6300),
            "bomb.png: too many pixels (6300×6300); at most 16 megapixels (64 for a JPEG photo)",
            id="113-KB-png-of-40-megapixels",
        ),
        pytest.param(
            lambda folder: picture(folder / "huge.jpg", (10_000, 7_000)),
            "huge.jpg: too many pixels (10000×7000); at most 16 megapixels (64 for a JPEG photo)",
            id="jpeg-over-64-megapixels",
        ),
        pytest.param(lambda folder: folder / "gone.png", "gone.png: no such file", id="missing"),
    ],
)
def test_bad_files_get_a_specific_message(
    tmp_path: Path, make: Callable[[Path], Path], message: str
) -> None:
    path = make(tmp_path)

    with pytest.raises(ImageError) as caught:
        check_image(path)

    assert str(caught.value).startswith(message)


def test_pixel_limit_is_the_callers_not_pillows(tmp_path: Path) -> None:
    path = picture(tmp_path / "poster.png", (400, 300))

    with pytest.raises(ImageError, match=r"too many pixels \(400×300\); at most 0.1 megapixels"):
        check_image(path, max_pixels=100_000)


def test_size_is_checked_before_the_file_is_opened(tmp_path: Path) -> None:
    # Not even an image: the size limit alone must refuse it.
    path = tmp_path / "big.png"
    path.write_bytes(b"\0" * 3_500_000)

    with pytest.raises(ImageError, match=r"big.png: too large: 3.5 MB, at most 2 MB"):
        check_image(path, max_bytes=2_000_000)


SCREENS = [
    pytest.param(352, 80, id="352x80-bar"),
    pytest.param(960, 576, id="960x576"),
    pytest.param(1920, 1080, id="1920x1080"),
]


@pytest.mark.parametrize(("width", "height"), SCREENS)
def test_letterbox_keeps_the_whole_picture_on_background_bars(
    tmp_path: Path, width: int, height: int
) -> None:
    path = picture(tmp_path / "square.png", (500, 500))

    fitted = fit_image(path, width, height, "letterbox", background=BACKGROUND)

    assert (fitted.size, fitted.mode) == ((width, height), "RGB")
    assert fitted.getpixel((0, height // 2)) == BACKGROUND
    assert fitted.getpixel((width - 1, height // 2)) == BACKGROUND
    assert fitted.getpixel((width // 2, 0)) == PICTURE_COLOUR
    assert fitted.getpixel((width // 2, height - 1)) == PICTURE_COLOUR


@pytest.mark.parametrize(("width", "height"), SCREENS)
def test_crop_fills_the_screen(tmp_path: Path, width: int, height: int) -> None:
    path = picture(tmp_path / "square.png", (500, 500))

    fitted = fit_image(path, width, height, "crop", background=BACKGROUND)

    assert (fitted.size, fitted.mode) == ((width, height), "RGB")
    assert fitted.getcolors() == [(width * height, PICTURE_COLOUR)]


def test_crop_keeps_the_centre(tmp_path: Path) -> None:
    # Left half blue, right half yellow: a centred crop of a wide screen shows both.
    source = Image.new("RGB", (400, 400), (0, 0, 255))
    source.paste((255, 255, 0), (200, 0, 400, 400))
    source.save(tmp_path / "halves.png")

    fitted = fit_image(tmp_path / "halves.png", 352, 80, "crop")

    assert fitted.getpixel((10, 40)) == (0, 0, 255)
    assert fitted.getpixel((341, 40)) == (255, 255, 0)


def test_exif_orientation_is_applied(tmp_path: Path) -> None:
    # Stored 400×200 but tagged "rotate 90°": the phone held it upright, 200×400.
    exif = Image.Exif()
    exif[0x0112] = 6
    path = picture(tmp_path / "phone.jpg", (400, 200), exif=exif.tobytes())

    fitted = fit_image(path, 960, 576, "letterbox", background=BACKGROUND)

    # An upright picture leaves bars left and right, none above or below.
    assert fitted.getpixel((100, 288)) == BACKGROUND
    assert fitted.getpixel((480, 2)) != BACKGROUND


def test_transparent_parts_take_the_background_colour(tmp_path: Path) -> None:
    Image.new("RGBA", (100, 100), (255, 255, 255, 0)).save(tmp_path / "clear.png")

    fitted = fit_image(tmp_path / "clear.png", 960, 576, "crop", background=BACKGROUND)

    assert fitted.getcolors() == [(960 * 576, BACKGROUND)]


def test_animated_gif_shows_its_first_frame(tmp_path: Path) -> None:
    frames = [Image.new("RGB", (100, 100), colour) for colour in ((255, 0, 0), (0, 0, 255))]
    frames[0].save(tmp_path / "blink.gif", save_all=True, append_images=frames[1:])

    fitted = fit_image(tmp_path / "blink.gif", 352, 80, "crop")

    assert fitted.getpixel((176, 40)) == (255, 0, 0)


def test_fit_refuses_a_bad_file(tmp_path: Path) -> None:
    path = png_declaring(tmp_path / "bomb.png", 20000, 20000)

    with pytest.raises(ImageError, match="too many pixels"):
        fit_image(path, 960, 576, "letterbox")


def test_a_phone_s_full_resolution_photo_is_fitted_from_a_reduced_decode(tmp_path: Path) -> None:
    path = picture(tmp_path / "full.jpg", (8000, 6000), quality=80)  # 48 megapixels

    assert check_image(path) == ImageInfo(8000, 6000, "JPEG")
    fitted = fit_image(path, 1920, 1080, "letterbox", background=BACKGROUND)

    assert fitted.getpixel((960, 540)) == pytest.approx(PICTURE_COLOUR, abs=3)
    assert fitted.getpixel((0, 540)) == BACKGROUND


@pytest.mark.parametrize(
    ("mode", "transparency"),
    [
        pytest.param("RGBA", None, id="rgba"),
        pytest.param("P", 0, id="palette-with-a-transparent-colour"),
        pytest.param("LA", None, id="grey-with-alpha"),
    ],
)
def test_a_large_picture_reduced_before_fitting_keeps_colours_and_transparency(
    tmp_path: Path, mode: str, transparency: int | None
) -> None:
    # 3000×3000 on a 352×80 bar: reduced by 2 before the resize. Left half clear.
    source = Image.new("RGBA", (3000, 3000), (0, 0, 0, 0))
    source.paste((255, 255, 255, 255), (1500, 0, 3000, 3000))
    if mode == "P":
        converted = source.convert("RGB").convert("P", colors=2)
        extra = {"transparency": converted.getpixel((0, 0))}
    else:
        converted, extra = source.convert(mode), {}
    converted.save(tmp_path / "half.png", **extra)

    fitted = fit_image(tmp_path / "half.png", 352, 80, "letterbox", background=BACKGROUND)

    # The square sits in the middle 80×80: its left half background, its right half white.
    assert fitted.getpixel((176 - 20, 40)) == BACKGROUND
    assert fitted.getpixel((176 + 20, 40)) == (255, 255, 255)


@pytest.mark.slow
def test_three_large_pictures_at_once_cost_about_what_one_does(tmp_path: Path) -> None:
    """The attack itself: big pictures fitted in parallel, peak memory of a fresh process."""
    black_png(tmp_path / "big.png", 4600, 3450)  # 15.9 megapixels: the largest PNG allowed
    script = """
import sys, threading
from pathlib import Path
from media.images import fit_image

def peak_mb():
    text = Path("/proc/self/status").read_text()
    return int(text.split("VmHWM:")[1].split()[0]) / 1024

before = peak_mb()
threads = [
    threading.Thread(target=fit_image, args=(Path(sys.argv[1]), 1920, 1080, "letterbox"))
    for _ in range(3)
]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print(peak_mb() - before)
"""
    answer = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "big.png")],
        env={"PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        check=True,
    )
    # One decode is 64 MB; three at once, each copied twice, were 609 MB before.
    assert float(answer.stdout) < 250
