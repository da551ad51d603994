"""Inspect, normalize and create the audio files villagecast plays.

Every file the player plays is stored in one canonical format, WAV PCM s16le
mono at 44.1 kHz, so ``aplay`` on the Pi can play it without decoding.
"""

import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from media.errors import AudioError
from media.ffmpeg import (
    FFMPEG,
    FFPROBE,
    QUIET,
    REPORTING,
    SILENT_LUFS,
    SoundSpan,
    decoded_duration,
    measure_sound,
    media_arg,
    parse_loudness,
    run_tool,
    stderr_tail,
)
from media.files import atomic_output

CANONICAL_RATE = 44100

_CANONICAL_OUTPUT = (
    *("-ac", "1", "-ar", str(CANONICAL_RATE), "-c:a", "pcm_s16le", "-f", "wav"),
    # No encoder tag or other metadata: the same input always gives the same
    # bytes, so checksums of rendered media are reproducible.
    *("-map_metadata", "-1", "-fflags", "+bitexact", "-flags:a", "+bitexact"),
)
_PROBE_TIMEOUT = 30.0
# Only files whose header lacks a duration (browser recordings) are decoded to
# measure it; an hour of audio decodes well within this on a Raspberry Pi.
_DECODE_TIMEOUT = 300.0
# Gentle trimming: only stretches quieter than -50 dB and longer than 0.2 s at
# the very ends count as silence, and 0.1 s of each is kept so soft consonants
# at the edges of speech are not clipped.
_SILENCE_DB = -50.0
_MIN_SILENCE = 0.2
_EDGE_MARGIN = 0.1
_CHUNK = 1 << 20
# Resampling to 44.1 kHz after the limiter can lift a peak a little: keep this much room.
_PEAK_MARGIN_DB = 0.3
# The limiter takes back part of the gain on peaky sound such as speech (0.5-1 LU), so
# each pass measures what it wrote and the next one raises the gain until the result
# is this close to the target; a few passes always do for speech and music.
_LOUDNESS_TOLERANCE = 0.2
_LEVEL_PASSES = 4
# On speech the limiter lets through about 0.6 dB of loudness per dB of extra gain
# (measured on espeak-ng speech at many levels): the first correction usually lands.
_SPEECH_GAIN_SLOPE = 0.6
# More gain than the first estimate plus this would only push the limiter harder: sound
# made of a few clicks never reaches the target, and is left at its loudest clean level.
_MAX_EXTRA_GAIN_DB = 12.0


@dataclass(frozen=True)
class AudioInfo:
    """What ffprobe says about a file's first audio stream."""

    duration: float
    codec: str
    sample_rate: int
    channels: int


def probe(path: Path) -> AudioInfo:
    """Describe a file's first audio stream; raise AudioError if it is not usable audio."""
    if not path.is_file():
        raise AudioError(f"{path.name}: no such file")
    if path.stat().st_size == 0:
        raise AudioError(f"{path.name}: the file is empty (0 bytes); upload the recording again")
    report_args = ("-v", "error", "-print_format", "json", "-show_streams", "-show_format")
    result = run_tool([FFPROBE, *report_args, media_arg(path)], timeout=_PROBE_TIMEOUT)
    if result.returncode != 0:
        raise AudioError(
            f"{path.name}: not an audio file ffprobe can read "
            f"({stderr_tail(result.stderr, path)}); "
            "upload an MP3, WAV, OGG or M4A recording"
        )
    try:
        report: dict[str, Any] = json.loads(result.stdout)
    except json.JSONDecodeError as exc:
        raise AudioError(f"{path.name}: ffprobe gave an unreadable report ({exc})") from exc
    stream = next(
        (s for s in report.get("streams", []) if s.get("codec_type") == "audio"),
        None,
    )
    if stream is None:
        raise AudioError(f"{path.name}: the file has no sound in it; upload an audio recording")
    container = report.get("format", {})
    duration = _seconds(stream.get("duration")) or _seconds(container.get("duration"))
    if duration is None:
        duration = decoded_duration(path, timeout=_DECODE_TIMEOUT)
    if duration <= 0:
        raise AudioError(f"{path.name}: the recording is zero seconds long; record it again")
    return AudioInfo(
        duration=duration,
        codec=str(stream.get("codec_name", "unknown")),
        sample_rate=int(stream.get("sample_rate", 0)),
        channels=int(stream.get("channels", 0)),
    )


def normalize(
    src: Path, dst: Path, *, target_lufs: float = -16.0, true_peak: float = -1.5
) -> AudioInfo:
    """Write src to dst trimmed of silence at both ends, at the target loudness, canonical."""
    # alimiter takes its ceiling as a factor between 1/16 and 1.
    if not -24.0 <= true_peak <= 0.0:
        raise ValueError(f"true_peak must be between -24 and 0 dBTP, not {true_peak}")
    if not -70.0 < target_lufs < 0.0:
        raise ValueError(f"target_lufs must be between -70 and 0 LUFS, not {target_lufs}")
    timeout = max(60.0, 3 * probe(src).duration)
    # Streaming passes instead of one loudnorm run: ffmpeg 5.1 can only trim
    # trailing silence in one pass with areverse, which holds the whole decoded
    # file in memory (2 GB for ten minutes), and its loudnorm turns clips shorter
    # than 3 s whose peaks are high (most speech) down by about 16 dB. So the
    # first pass finds the sound and measures it; the next trims and applies
    # a fixed gain, with a limiter holding the peaks, and measures what it wrote;
    # when the limiter took back part of the gain, one or two more passes raise it.
    span = measure_sound(
        src,
        silence_db=_SILENCE_DB,
        min_silence=_MIN_SILENCE,
        margin=_EDGE_MARGIN,
        timeout=timeout,
    )
    if span.loudness <= SILENT_LUFS or span.end - span.start <= 2 * _EDGE_MARGIN:
        raise AudioError(
            f"{src.name}: the recording is silent (nothing louder than {_SILENCE_DB:g} dB); "
            "check the microphone and record it again"
        )
    with atomic_output(dst, ".tmp.wav") as tmp:
        _write_leveled(
            src, tmp, span, target_lufs=target_lufs, true_peak=true_peak, timeout=timeout
        )
        # Check the result before it replaces anything.
        return probe(tmp)


def make_silence(dst: Path, seconds: float) -> None:
    """Write seconds of silence to dst in the canonical format."""
    if not (math.isfinite(seconds) and seconds > 0):
        raise ValueError(f"silence must last a positive number of seconds, not {seconds}")
    with atomic_output(dst, ".tmp.wav") as tmp:
        source = ("-f", "lavfi", "-i", f"anullsrc=r={CANONICAL_RATE}:cl=mono")
        _run_ffmpeg(
            [*source, "-t", f"{seconds:.4f}", *_CANONICAL_OUTPUT, "-y", media_arg(tmp)],
            timeout=max(60.0, seconds),
            failure="ffmpeg could not make silence",
        )


def join_clips(parts: Sequence[Path], dst: Path) -> AudioInfo:
    """Write the clips one after the other to dst in the canonical format, samples unchanged."""
    if not parts:
        raise ValueError("joining clips needs at least one clip")
    inputs = [arg for part in parts for arg in ("-i", media_arg(part))]
    # The concat filter streams each input in turn: memory stays flat however long they are.
    streams = "".join(f"[{index}:a:0]" for index in range(len(parts)))
    graph = f"{streams}concat=n={len(parts)}:v=0:a=1,aformat=channel_layouts=mono"
    timeout = max(60.0, sum(probe(part).duration for part in parts))
    with atomic_output(dst, ".tmp.wav") as tmp:
        _run_ffmpeg(
            [*inputs, "-filter_complex", graph, *_CANONICAL_OUTPUT, "-y", media_arg(tmp)],
            timeout=timeout,
            failure="ffmpeg could not join the clips",
        )
        return probe(tmp)


COMPACT_BITRATE = "24k"  # Opus, mono, constant: speech stays clear at 3 KB a second


def compact_voice(src: Path, dst: Path) -> AudioInfo:
    """Write a recording to dst as mono Opus in Ogg, small enough to travel in a message."""
    info = probe(src)
    with atomic_output(dst, ".tmp.ogg") as tmp:
        opus = ("-ac", "1", "-c:a", "libopus", "-b:a", COMPACT_BITRATE, "-vbr", "off")
        output = ("-map_metadata", "-1", "-f", "ogg", "-y", media_arg(tmp))
        _run_ffmpeg(
            ["-i", media_arg(src), "-vn", *opus, *output],
            timeout=max(60.0, info.duration),
            failure="ffmpeg could not compress the recording",
            about=src,
        )
        return probe(tmp)


def sha256_file(path: Path) -> str:
    """Return the SHA-256 hex digest of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _write_leveled(
    src: Path, dst: Path, span: SoundSpan, *, target_lufs: float, true_peak: float, timeout: float
) -> None:
    """Write span of src to dst at target_lufs, raising the gain the limiter took back."""
    first_gain = target_lufs - span.loudness
    gain = first_gain
    tried: list[tuple[float, float]] = []
    for _ in range(_LEVEL_PASSES):
        reached = _write_with_gain(
            src, dst, span, gain_db=gain, true_peak=true_peak, timeout=timeout
        )
        if abs(reached - target_lufs) <= _LOUDNESS_TOLERANCE:
            return
        tried.append((gain, reached))
        gain = min(_next_gain(tried, target_lufs), first_gain + _MAX_EXTRA_GAIN_DB)
        if gain == tried[-1][0]:
            return


def _next_gain(tried: list[tuple[float, float]], target_lufs: float) -> float:
    """Return the gain that should reach target_lufs, from the (gain, loudness) pairs tried."""
    gain, reached = tried[-1]
    # Below the limiter's ceiling loudness follows gain dB for dB; the more the limiter
    # works, the less each dB of gain adds, which the last two passes measure. Before
    # there are two, take what the limiter leaves of extra gain on speech.
    slope = _SPEECH_GAIN_SLOPE
    if len(tried) > 1:
        earlier_gain, earlier_reached = tried[-2]
        if gain != earlier_gain:
            slope = min(1.0, max(0.2, (reached - earlier_reached) / (gain - earlier_gain)))
    return gain + (target_lufs - reached) / slope


def _write_with_gain(
    src: Path, dst: Path, span: SoundSpan, *, gain_db: float, true_peak: float, timeout: float
) -> float:
    """Write span of src to dst with gain_db applied and the peaks held; return its loudness."""
    graph = _trim_and_gain(span, gain_db=gain_db, true_peak=true_peak)
    # ebur128 passes the samples through unchanged and measures what is written.
    source = ("-i", media_arg(src), "-map", "0:a:0", "-af", f"{graph},ebur128=framelog=verbose")
    result = run_tool(
        [FFMPEG, *REPORTING, *source, *_CANONICAL_OUTPUT, "-y", media_arg(dst)], timeout=timeout
    )
    if result.returncode != 0:
        tail = stderr_tail(result.stderr, src)
        raise AudioError(f"{src.name}: ffmpeg could not normalize it ({tail})")
    return parse_loudness(result.stderr)


def _trim_and_gain(span: SoundSpan, *, gain_db: float, true_peak: float) -> str:
    """Return the filter graph that cuts span out, applies gain and limits the peaks."""
    return ",".join(
        [
            "aformat=channel_layouts=mono",
            f"atrim=start={span.start:.4f}:end={span.end:.4f}",
            "asetpts=PTS-STARTPTS",
            f"volume={gain_db:.2f}dB",
            # The limiter sees samples, not the waveform between them: running it at four
            # times the output rate makes its ceiling hold for true peaks too.
            f"aresample={4 * CANONICAL_RATE}",
            f"alimiter=limit={10 ** ((true_peak - _PEAK_MARGIN_DB) / 20):.4f}"
            ":level=false:latency=true",
            f"aresample={CANONICAL_RATE}",
        ]
    )


def _run_ffmpeg(
    args: list[str], *, timeout: float, failure: str, about: Path | None = None
) -> None:
    """Run ffmpeg quietly; raise AudioError with the failure and ffmpeg's last words."""
    result = run_tool([FFMPEG, *QUIET, *args], timeout=timeout)
    if result.returncode != 0:
        raise AudioError(f"{failure} ({stderr_tail(result.stderr, about)})")


def _seconds(value: object) -> float | None:
    """Read a duration ffprobe printed as text; None when it is missing or not a number."""
    try:
        seconds = float(str(value))
    except ValueError:
        return None
    return seconds if math.isfinite(seconds) else None
