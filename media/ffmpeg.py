"""Run ffmpeg and ffprobe, and read what they report about a sound file."""

import re
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from media.errors import AudioError

FFMPEG = "ffmpeg"
FFPROBE = "ffprobe"

# Quiet mode for runs whose only output is a file; analysis runs need "info"
# because that is the level silencedetect and ebur128 report at.
QUIET = ("-nostdin", "-hide_banner", "-nostats", "-loglevel", "error")
REPORTING = ("-nostdin", "-hide_banner", "-nostats", "-loglevel", "info")

# A loudness of -70 LUFS is ebur128's floor: nothing rose above its absolute gate.
SILENT_LUFS = -70.0

# How close to the ends of the file a silence must be to count as leading or
# trailing: silencedetect's timestamps are frame-accurate, not sample-accurate.
_EDGE_SLACK = 0.02

_SILENCE_RE = re.compile(r"silence_(start|end): (-?\d+(?:\.\d+)?)")
_LOUDNESS_RE = re.compile(r"^\s*I:\s+(-?\d+(?:\.\d+)?) LUFS", re.MULTILINE)
_OUT_TIME_RE = re.compile(r"^out_time_us=(\d+)$", re.MULTILINE)
# "[mp3 @ 0x55c0f7f691c0] " names ffmpeg's internal component: noise to an operator.
_COMPONENT_RE = re.compile(r"^\[[^\]]* @ 0x[0-9a-f]+\]\s*")
# What the system said when a write failed (strerror texts), worth more than any report.
_SYSTEM_CAUSES = (
    "No space left on device",
    "Read-only file system",
    "Permission denied",
    "Input/output error",
    "Disk quota exceeded",
)


@dataclass(frozen=True)
class SoundSpan:
    """Where the sound in a file starts and ends (seconds), and how loud it is (LUFS)."""

    start: float
    end: float
    loudness: float


def media_arg(path: Path) -> str:
    """Name a file for ffmpeg so it is never read as an option or a protocol."""
    # "-x.mp3" would be an option and "http:x" a URL; an absolute path is neither.
    return str(path.absolute())


def run_tool(args: Sequence[str], *, timeout: float) -> subprocess.CompletedProcess[str]:
    """Run ffmpeg or ffprobe; raise AudioError if it is missing or overruns timeout."""
    try:
        return subprocess.run(
            list(args),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=timeout,
            check=False,
        )
    except FileNotFoundError as exc:
        raise AudioError(f"{args[0]} is not installed; install the ffmpeg package") from exc
    except subprocess.TimeoutExpired as exc:
        raise AudioError(f"{args[0]} took longer than {timeout:g} s and was stopped") from exc


def stderr_tail(stderr: str, path: Path | None = None, lines: int = 3) -> str:
    """Return the last few lines of a tool's error output on one line, naming path briefly.

    A line naming a system cause (a full disk, a read-only folder) leads, wherever it
    stood: ffmpeg may print its loudness report after it, and the operator must read
    "No space left on device", not the report.
    """
    kept = [_COMPONENT_RE.sub("", line.strip()) for line in stderr.splitlines() if line.strip()]
    chosen = kept[-lines:]
    cause = next((line for line in kept if any(c in line for c in _SYSTEM_CAUSES)), None)
    if cause is not None and cause not in chosen:
        chosen = [cause, *chosen[1:]] if lines > 1 else [cause]
    tail = " | ".join(chosen) or "no error output"
    return tail.replace(media_arg(path), path.name) if path is not None else tail


def decoded_duration(path: Path, *, timeout: float) -> float:
    """Decode the first audio stream and return how many seconds it lasts."""
    source = ("-i", media_arg(path), "-map", "0:a:0")
    result = run_tool(
        [FFMPEG, *QUIET, "-progress", "pipe:1", *source, "-f", "null", "-"], timeout=timeout
    )
    if result.returncode != 0:
        tail = stderr_tail(result.stderr, path)
        raise AudioError(f"{path.name}: ffmpeg could not decode it ({tail})")
    return _last_out_time(result.stdout)


def measure_sound(
    path: Path, *, silence_db: float, min_silence: float, margin: float, timeout: float
) -> SoundSpan:
    """Find where the sound starts and ends and how loud it is, in one decoding pass."""
    graph = ",".join(
        [
            "aformat=channel_layouts=mono",
            f"silencedetect=noise={silence_db:g}dB:duration={min_silence:g}",
            # framelog=verbose keeps the ten-per-second frame lines out of "info".
            "ebur128=framelog=verbose",
        ]
    )
    source = ("-i", media_arg(path), "-map", "0:a:0", "-af", graph)
    result = run_tool(
        [FFMPEG, *REPORTING, "-progress", "pipe:1", *source, "-f", "null", "-"], timeout=timeout
    )
    if result.returncode != 0:
        tail = stderr_tail(result.stderr, path)
        raise AudioError(f"{path.name}: ffmpeg could not decode it ({tail})")
    return parse_sound_span(result.stdout, result.stderr, margin=margin)


def parse_sound_span(progress: str, log: str, *, margin: float) -> SoundSpan:
    """Read an analysis run's progress and log into the span of sound, keeping margin."""
    total = _last_out_time(progress)
    loudness = parse_loudness(log)
    silences = _silences(log, total)
    start, end = 0.0, total
    if silences and silences[0][0] <= _EDGE_SLACK:
        start = max(0.0, silences[0][1] - margin)
    if silences and silences[-1][1] >= total - _EDGE_SLACK:
        end = min(total, silences[-1][0] + margin)
    return SoundSpan(start=start, end=end, loudness=loudness)


def parse_loudness(log: str) -> float:
    """Return the integrated loudness (LUFS) from the summary ebur128 logged last."""
    hits = _LOUDNESS_RE.findall(log)
    if not hits:
        raise AudioError(f"ffmpeg did not report the loudness ({stderr_tail(log)})")
    return float(hits[-1])


def _silences(log: str, total: float) -> list[tuple[float, float]]:
    """Pair silencedetect's start and end reports; an open silence runs to the end."""
    spans: list[tuple[float, float]] = []
    opened: float | None = None
    for kind, value in _SILENCE_RE.findall(log):
        if kind == "start":
            opened = float(value)
        elif opened is not None:
            spans.append((opened, float(value)))
            opened = None
    if opened is not None:
        spans.append((opened, total))
    return spans


def _last_out_time(progress: str) -> float:
    """Return the final position, in seconds, from ffmpeg's -progress output."""
    hits = _OUT_TIME_RE.findall(progress)
    if not hits:
        raise AudioError("ffmpeg did not report how long the sound is")
    return int(hits[-1]) / 1_000_000
