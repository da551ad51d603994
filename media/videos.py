"""Check short evidence videos with ffprobe, strip their metadata and make a thumbnail.

A video is only ever copied, never re-encoded (a Raspberry Pi would take longer than
the video lasts): ffprobe reads its container, streams and recording time, then
ffmpeg copies every packet into a clean container. Copying reads the whole file, so
a video cut short by a broken upload is found there (``-xerror``), in seconds.
"""

import datetime as dt
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from media.errors import AudioError, VideoError
from media.ffmpeg import FFMPEG, FFPROBE, QUIET, media_arg, run_tool, stderr_tail

# ffprobe's names of the containers phones and cameras write, and what each is kept as.
CONTAINERS = {"mov,mp4,m4a,3gp,3g2,mj2": "mp4", "matroska,webm": "mkv"}
VIDEO_CODECS = frozenset({"h264", "hevc", "vp8", "vp9", "av1", "mpeg4"})
THUMBNAIL_WIDTH = 320
_PROBE_FIELDS = (
    "format=format_name,duration:format_tags=creation_time"
    ":stream=codec_type,codec_name,width,height:stream_tags=creation_time"
)
_NAMES = "an MP4, MOV, 3GP, MKV or WebM video"
_ISO_TIME = re.compile(r"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.\d+)?Z?")
# A camera whose clock was never set writes 1904 or 1970: no recording time at all.
_FIRST_YEAR = 2000


@dataclass(frozen=True)
class VideoLimits:
    max_bytes: int
    max_seconds: float
    max_pixels: int
    timeout: float = 120.0


@dataclass(frozen=True)
class VideoInfo:
    """What ffprobe says about a video; ``recorded`` is its creation_time, if it has one."""

    duration: float
    width: int
    height: int
    codec: str
    suffix: str  # "mp4" or "mkv": the container it is kept in
    recorded: dt.datetime | None


def probe_video(path: Path, limits: VideoLimits) -> VideoInfo:
    """Check a file is a video within the limits, before anything of it is stored."""
    size = path.stat().st_size
    if size == 0:
        raise VideoError(f"{path.name}: not a video (the file is empty); upload it again")
    if size > limits.max_bytes:
        raise VideoError(
            f"{path.name}: too large: {size / 1e6:.1f} MB, at most {limits.max_bytes / 1e6:g} MB; "
            "record a shorter video or lower the camera's resolution"
        )
    report = _probe(path, limits.timeout)
    return _video_info(path, report, limits)


def copy_clean(source: Path, target: Path, *, keep_metadata: bool, timeout: float) -> None:
    """Copy the video's packets into a new file, without its metadata unless asked to keep it."""
    strip = () if keep_metadata else ("-map_metadata", "-1")
    args = [
        FFMPEG,
        *QUIET,
        "-xerror",
        "-i",
        media_arg(source),
        "-map",
        "0:v:0",
        "-map",
        "0:a:0?",
        "-c",
        "copy",
        *strip,
        "-y",
        media_arg(target),
    ]
    result = _run(args, timeout)
    if result.returncode != 0:
        target.unlink(missing_ok=True)
        tail = stderr_tail(result.stderr, source)
        raise VideoError(f"{source.name}: truncated or damaged ({tail}); upload the video again")


def make_thumbnail(source: Path, target: Path, duration: float, *, timeout: float) -> None:
    """Save one frame from early in the video as a small JPEG, turned upright."""
    at = min(1.0, duration / 2)
    args = [
        FFMPEG,
        *QUIET,
        "-ss",
        f"{at:.3f}",
        "-i",
        media_arg(source),
        "-frames:v",
        "1",
        "-vf",
        f"scale={THUMBNAIL_WIDTH}:-2",
        "-f",
        "image2",
        "-c:v",
        "mjpeg",
        "-y",
        media_arg(target),
    ]
    result = _run(args, timeout)
    if result.returncode != 0 or not target.is_file() or target.stat().st_size == 0:
        target.unlink(missing_ok=True)
        tail = stderr_tail(result.stderr, source)
        raise VideoError(f"{source.name}: no picture could be taken from it ({tail})")


def _run(args: list[str], timeout: float) -> Any:
    try:
        return run_tool(args, timeout=timeout)
    except AudioError as exc:  # run_tool speaks of sound; the message is what matters
        raise VideoError(str(exc)) from None


def _probe(path: Path, timeout: float) -> dict[str, Any]:
    args = [FFPROBE, "-v", "error", "-show_entries", _PROBE_FIELDS, "-of", "json", media_arg(path)]
    result = _run(args, timeout)
    if result.returncode != 0:
        raise VideoError(
            f"{path.name}: not a whole video (damaged, cut short or another kind of file); "
            f"upload {_NAMES}"
        )
    try:
        report: dict[str, Any] = json.loads(result.stdout)
    except json.JSONDecodeError:
        raise VideoError(f"{path.name}: ffprobe could not read it; upload {_NAMES}") from None
    return report


def _video_info(path: Path, report: dict[str, Any], limits: VideoLimits) -> VideoInfo:
    form = report.get("format") or {}
    suffix = CONTAINERS.get(str(form.get("format_name", "")))
    streams = [s for s in report.get("streams") or [] if s.get("codec_type") == "video"]
    if suffix is None or not streams:
        raise VideoError(f"{path.name}: not a video; upload {_NAMES}")
    stream = streams[0]
    codec = str(stream.get("codec_name", ""))
    if codec not in VIDEO_CODECS:
        raise VideoError(
            f"{path.name}: the video is coded as {codec or 'unknown'}, which is not kept; "
            "record it with the phone's camera app (H.264, HEVC, VP8, VP9 or AV1)"
        )
    width, height = int(stream.get("width") or 0), int(stream.get("height") or 0)
    if width * height > limits.max_pixels or width <= 0 or height <= 0:
        raise VideoError(
            f"{path.name}: frames of {width}×{height} pixels, at most {limits.max_pixels:,} "
            "pixels; record at a lower resolution"
        )
    duration = _duration(path, form)
    if duration > limits.max_seconds:
        raise VideoError(
            f"{path.name}: {duration:.0f} s long, at most {limits.max_seconds:g} s; "
            "record a shorter video"
        )
    recorded = _creation_time(form, stream)
    return VideoInfo(duration, width, height, codec, suffix, recorded)


def _duration(path: Path, form: dict[str, Any]) -> float:
    try:
        duration = float(form.get("duration", "nan"))
    except (TypeError, ValueError):
        duration = float("nan")
    if not duration > 0:  # also NaN: a container without a length is refused
        raise VideoError(f"{path.name}: the video has no length; upload it again")
    return duration


def _creation_time(form: dict[str, Any], stream: dict[str, Any]) -> dt.datetime | None:
    """Read creation_time (UTC by the QuickTime convention), if well formed."""
    for tags in (form.get("tags") or {}, stream.get("tags") or {}):
        found = _ISO_TIME.fullmatch(str(tags.get("creation_time", "")))
        if found is None:
            continue
        try:
            value = dt.datetime.fromisoformat(found[1]).replace(tzinfo=dt.UTC)
        except ValueError:
            continue
        if value.year >= _FIRST_YEAR:
            return value
    return None
