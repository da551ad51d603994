"""Sounds made in code that open a broadcast: a two-tone chime and an amplifier lead-in."""

from pathlib import Path

from media.audio import CANONICAL_RATE, AudioInfo, probe
from media.errors import AudioError
from media.ffmpeg import FFMPEG, QUIET, media_arg, run_tool, stderr_tail
from media.files import atomic_output

# A descending major third (E5 then C5), like a station's "ding-dong". Each tone is a
# soft-attack bell: the fundamental with two quieter partials, decaying exponentially.
_TONES = ((659.25, 0.0), (523.25, 0.6))
_CHIME_SECONDS = 2.4
_LEAD_IN_HZ = 60.0  # below what horn loudspeakers reproduce, but a signal to the amplifier
_LEAD_IN_DB = -45.0

_OUTPUT = (
    *("-ac", "1", "-ar", str(CANONICAL_RATE), "-c:a", "pcm_s16le", "-f", "wav"),
    *("-map_metadata", "-1", "-fflags", "+bitexact", "-flags:a", "+bitexact"),
)


def _bell(freq: float, start: float) -> str:
    t = f"(t-{start})"
    envelope = f"(1-exp(-{t}*200))*exp(-{t}*2.6)"
    partials = f"sin(2*PI*{freq}*{t})+0.35*sin(2*PI*{2 * freq}*{t})+0.12*sin(2*PI*{3 * freq}*{t})"
    return f"gte(t,{start})*{envelope}*({partials})"


def chime_expression() -> str:
    """Return the ffmpeg aevalsrc expression of the chime (peak about -4 dBFS)."""
    return "0.4*(" + "+".join(_bell(freq, start) for freq, start in _TONES) + ")"


def make_chime(dst: Path) -> AudioInfo:
    """Write the two-tone chime to dst in the canonical format."""
    source = f"aevalsrc='{chime_expression()}':s={CANONICAL_RATE}:d={_CHIME_SECONDS}"
    return _render(source, dst, "the chime")


def make_lead_in(dst: Path, seconds: float) -> AudioInfo:
    """Write seconds of a faint low tone that wakes signal-sensing amplifiers."""
    if not 0 < seconds <= 10:
        raise ValueError(f"a lead-in lasts more than 0 and at most 10 seconds, not {seconds}")
    level = 10 ** (_LEAD_IN_DB / 20)
    source = f"aevalsrc='{level}*sin(2*PI*{_LEAD_IN_HZ}*t)':s={CANONICAL_RATE}:d={seconds}"
    return _render(source, dst, "the lead-in")


def _render(source: str, dst: Path, what: str) -> AudioInfo:
    with atomic_output(dst, ".tmp.wav") as tmp:
        result = run_tool(
            [FFMPEG, *QUIET, "-f", "lavfi", "-i", source, *_OUTPUT, "-y", media_arg(tmp)],
            timeout=60.0,
        )
        if result.returncode != 0:
            raise AudioError(f"ffmpeg could not make {what} ({stderr_tail(result.stderr)})")
        return probe(tmp)
