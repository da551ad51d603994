"""Evidence videos: ffprobe limits, creation_time, a clean copy without metadata, a thumbnail."""

import datetime as dt
from pathlib import Path

import pytest
from PIL import Image

from media.errors import VideoError
from media.videos import VideoLimits, copy_clean, make_thumbnail, probe_video
from tests.evidence_kit import phone_photo, short_video, video_tags

LIMITS = VideoLimits(max_bytes=5_000_000, max_seconds=10, max_pixels=640 * 480, timeout=60)


def test_a_phone_video_is_read(tmp_path: Path) -> None:
    info = probe_video(short_video(tmp_path / "v.mp4"), LIMITS)
    assert (info.width, info.height, info.codec, info.suffix) == (320, 240, "h264", "mp4")
    assert info.duration == pytest.approx(2.0, abs=0.2)
    assert info.recorded == dt.datetime(2023, 3, 31, 2, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("created", "expected"),
    [
        pytest.param(None, None, id="none"),
        pytest.param("1904-01-01T00:00:00Z", None, id="quicktime-zero"),
    ],
)
def test_creation_time_that_says_nothing_is_none(
    tmp_path: Path, created: str | None, expected: None
) -> None:
    info = probe_video(short_video(tmp_path / "v.mp4", created=created), LIMITS)
    assert info.recorded is expected


def test_clean_copy_drops_location_and_title(tmp_path: Path) -> None:
    source = short_video(tmp_path / "v.mp4", title="<b>x</b>")
    assert "location" in video_tags(source)
    target = tmp_path / "clean.mp4"
    copy_clean(source, target, keep_metadata=False, timeout=60)
    tags = video_tags(target)
    assert "location" not in tags and "<b>" not in tags
    thumb = tmp_path / "t.jpg"
    make_thumbnail(target, thumb, 2.0, timeout=60)
    with Image.open(thumb) as image:
        assert image.format == "JPEG" and image.width == 320


def test_clean_copy_keeps_metadata_when_asked(tmp_path: Path) -> None:
    target = tmp_path / "clean.mp4"
    copy_clean(short_video(tmp_path / "v.mp4"), target, keep_metadata=True, timeout=60)
    assert "location" in video_tags(target)


def test_truncated_video_is_refused_when_copied(tmp_path: Path) -> None:
    whole = short_video(tmp_path / "v.mp4", seconds=3)
    cut = tmp_path / "cut.mp4"
    data = whole.read_bytes()
    cut.write_bytes(data[: len(data) * 2 // 3])
    with pytest.raises(VideoError, match="truncated or damaged"):
        copy_clean(cut, tmp_path / "clean.mp4", keep_metadata=False, timeout=60)
    assert not (tmp_path / "clean.mp4").exists()


@pytest.mark.parametrize(
    ("make", "message"),
    [
        pytest.param(lambda d: (d / "e.mp4").write_bytes(b""), "empty", id="empty"),
        pytest.param(
            lambda d: (d / "h.mp4").write_bytes(b"\0" * 6_000_000), "too large", id="huge"
        ),
        pytest.param(
            lambda d: (d / "t.mp4").write_text("just text, not a film"),
            "not a whole video",
            id="text",
        ),
        pytest.param(lambda d: phone_photo(d / "p.jpg"), "not a video", id="photo-as-video"),
        pytest.param(
            lambda d: short_video(d / "long.mp4", seconds=12), "at most 10 s", id="too-long"
        ),
        pytest.param(
            lambda d: short_video(d / "big.mp4", size="800x600"), "pixels", id="too-many-pixels"
        ),
        pytest.param(
            lambda d: short_video(d / "gif.mkv", codec="gif"), "not kept", id="wrong-codec"
        ),
    ],
)
def test_hostile_videos_are_refused(tmp_path: Path, make: object, message: str) -> None:
    made = make(tmp_path)  # type: ignore[operator]
    path = made if isinstance(made, Path) else next(tmp_path.iterdir())
    with pytest.raises(VideoError, match=message):
        probe_video(path, LIMITS)
