"""Evidence photos: checked like slides, turned upright, GPS stripped, time read, thumbnail made."""

import datetime as dt
from pathlib import Path

import pytest
from PIL import Image

from media.errors import ImageError
from media.photos import PhotoLimits, check_photo, save_clean
from tests.evidence_kit import GPS_IFD, has_gps, phone_photo
from tests.media.test_images import black_png, png_declaring

LIMITS = PhotoLimits(max_bytes=5_000_000, max_pixels=4_000_000)


@pytest.mark.parametrize(
    ("taken", "expected"),
    [
        pytest.param("2023:03:30 09:15:00", dt.datetime(2023, 3, 30, 9, 15), id="exif-time"),
        pytest.param(None, None, id="no-time"),
        pytest.param("0000:00:00 00:00:00", None, id="unset-clock"),
        pytest.param("1970:01:01 00:00:00", None, id="epoch"),
        pytest.param("2023:02:30 09:15:00", None, id="no-such-day"),
        pytest.param("<b>yesterday</b>", None, id="markup"),
    ],
)
def test_day_taken_is_read_from_exif(
    tmp_path: Path, taken: str | None, expected: dt.datetime | None
) -> None:
    photo = phone_photo(tmp_path / "p.jpg", taken=taken)
    assert check_photo(photo, LIMITS).taken == expected


def test_gps_is_stripped_and_other_exif_kept(tmp_path: Path) -> None:
    photo = phone_photo(tmp_path / "p.jpg")
    assert has_gps(photo)
    target, thumb = tmp_path / "clean", tmp_path / "thumb.jpg"
    assert save_clean(photo, target, thumb, keep_gps=False, limits=LIMITS) == "jpg"
    assert not has_gps(target)
    assert check_photo(target, LIMITS).taken == dt.datetime(2023, 3, 30, 9, 15)
    with Image.open(thumb) as small:
        assert max(small.size) <= 320


def test_gps_is_kept_when_asked(tmp_path: Path) -> None:
    photo = phone_photo(tmp_path / "p.jpg")
    target = tmp_path / "clean"
    save_clean(photo, target, tmp_path / "t.jpg", keep_gps=True, limits=LIMITS)
    with Image.open(target) as image:
        assert image.getexif().get_ifd(GPS_IFD)[1] == "N"


def test_orientation_is_applied(tmp_path: Path) -> None:
    # Orientation 6: the camera was held upright; the stored pixels lie on their side.
    photo = phone_photo(tmp_path / "p.jpg", size=(400, 300), orientation=6)
    target = tmp_path / "clean"
    save_clean(photo, target, tmp_path / "t.jpg", keep_gps=False, limits=LIMITS)
    with Image.open(target) as image:
        assert image.size == (300, 400)
        assert 0x0112 not in image.getexif()
        top = image.convert("RGB").getpixel((150, 20))
        assert top[0] > 150 and top[2] < 100  # the red left half is on top now


@pytest.mark.parametrize(
    ("make", "message"),
    [
        pytest.param(lambda p: p.write_bytes(b""), "empty", id="empty"),
        pytest.param(lambda p: p.write_bytes(b"%PDF-1.4 not a photo"), "not an image", id="pdf"),
        pytest.param(lambda p: png_declaring(p, 30000, 30000), "too many pixels", id="bomb"),
        pytest.param(lambda p: black_png(p, 2100, 2100), "too many pixels", id="over-limit"),
        pytest.param(
            lambda p: p.write_bytes(b"\xff\xd8\xff" + b"\0" * 6_000_000), "too large", id="huge"
        ),
        pytest.param(
            lambda p: p.write_bytes(phone_photo(p).read_bytes()[:2000]), "truncated", id="truncated"
        ),
    ],
)
def test_hostile_photos_are_refused(tmp_path: Path, make: object, message: str) -> None:
    path = tmp_path / "upload"
    make(path)  # type: ignore[operator]
    with pytest.raises(ImageError, match=message):
        check_photo(path, LIMITS)
