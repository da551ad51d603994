"""Probing, normalizing and making audio files with the real ffmpeg."""

import hashlib
import math
import re
import subprocess
import wave
from collections.abc import Callable
from pathlib import Path
from typing import IO

import pytest

from media.audio import (
    CANONICAL_RATE,
    AudioInfo,
    compact_voice,
    join_clips,
    make_silence,
    normalize,
    probe,
    sha256_file,
)
from media.errors import AudioError
from media.fastspeech2_engine import FastSpeech2Engine
from media.ffmpeg import SoundSpan, parse_sound_span
from media.tts import EspeakEngine


def ffmpeg(*args: str, loglevel: str = "error", stdout: IO[bytes] | None = None) -> str:
    """Run ffmpeg for a test and return what it logged."""
    command = ["ffmpeg", "-nostdin", "-hide_banner", "-nostats", "-loglevel", loglevel, *args]
    return subprocess.run(
        command, stdout=stdout, stderr=subprocess.PIPE, text=True, check=True
    ).stderr


def synth(
    path: Path,
    *,
    lead: float,
    tone: float,
    trail: float,
    level_db: float,
    channels: int = 1,
    rate: int = 44100,
) -> Path:
    """Write a 440 Hz tone of peak level_db between two silences; the suffix picks the format."""
    wave = f"if(between(t,{lead},{lead + tone}),{10 ** (level_db / 20)}*sin(2*PI*440*t),0)"
    source = f"aevalsrc='{'|'.join([wave] * channels)}':s={rate}:d={lead + tone + trail}"
    ffmpeg("-f", "lavfi", "-i", source, str(path))
    return path


def integrated_loudness(path: Path) -> float:
    """Measure a file's integrated loudness in LUFS with ffmpeg's ebur128 filter."""
    return loudness_and_peak(path)[0]


def loudness_and_peak(path: Path) -> tuple[float, float]:
    """Measure integrated loudness (LUFS) and true peak (dBTP) with ffmpeg's ebur128."""
    log = ffmpeg("-i", str(path), "-af", "ebur128=peak=true", "-f", "null", "-", loglevel="info")
    summary = log[log.rindex("Summary:") :]
    loudness = re.search(r"I:\s+(-?\d+\.\d) LUFS", summary)
    peak = re.search(r"Peak:\s+(-?(?:\d+\.\d|inf)) dBFS", summary)
    assert loudness and peak, summary
    return float(loudness.group(1)), float(peak.group(1))


def quiet_with_lead(folder: Path) -> Path:
    return synth(
        folder / "quiet.wav", lead=1, tone=3, trail=0, level_db=-35, channels=2, rate=48000
    )


def loud_with_tail(folder: Path) -> Path:
    return synth(folder / "loud.mp3", lead=0, tone=3, trail=1.5, level_db=-1)


def speech_at(gain_db: float, suffix: str) -> Callable[[Path], Path]:
    """Make espeak-ng speech turned up or down, as a recording made too quiet or too loud."""

    def make(folder: Path) -> Path:
        raw = folder / "raw.wav"
        EspeakEngine().synthesize("村民朋友们，请注意：今天下午三点在村委会开会。", raw)
        path = folder / f"speech{suffix}"
        ffmpeg("-i", str(raw), "-af", f"volume={gain_db}dB", str(path))
        raw.unlink()
        return path

    return make


def loud_noise_ogg(folder: Path) -> Path:
    path = folder / "band.ogg"
    ffmpeg("-f", "lavfi", "-i", "anoisesrc=d=3:a=0.9:c=pink", "-ac", "2", str(path))
    return path


def short_speech(folder: Path) -> Path:
    # Under 3 s with peaks near full scale: ffmpeg 5.1's loudnorm would turn
    # this down by about 16 dB instead of up to the target.
    path = folder / "slogan.wav"
    EspeakEngine().synthesize("推进五社联动", path)
    return path


@pytest.mark.parametrize(
    ("make", "trimmed"),
    [
        pytest.param(quiet_with_lead, 0.8, id="quiet-stereo-lead-silence"),
        pytest.param(loud_with_tail, 1.3, id="loud-mp3-trailing-silence"),
        pytest.param(short_speech, 0.1, id="short-speech"),
        pytest.param(speech_at(-25, ".wav"), 0.1, id="speech-recorded-quiet"),
        pytest.param(speech_at(12, ".mp3"), 0.1, id="speech-recorded-clipping-mp3"),
        pytest.param(speech_at(0, ".m4a"), 0.1, id="speech-m4a"),
        pytest.param(loud_noise_ogg, 0.0, id="loud-noise-ogg"),
    ],
)
def test_normalize_trims_and_reaches_target_loudness(
    tmp_path: Path, make: Callable[[Path], Path], trimmed: float
) -> None:
    src = make(tmp_path)
    dst = tmp_path / "out.wav"
    before = probe(src)
    info = normalize(src, dst)
    assert info == probe(dst)
    assert (info.codec, info.sample_rate, info.channels) == ("pcm_s16le", CANONICAL_RATE, 1)
    assert info.duration <= before.duration - trimmed
    loudness, peak = loudness_and_peak(dst)
    assert loudness == pytest.approx(-16, abs=0.5)
    assert peak <= -1.5, "true peak over the -1.5 dBTP ceiling"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([src.name, dst.name])


LEVELING_TEXTS = {
    "meeting": "村民朋友们，请注意：今天下午三点在村委会开会。",
    "slogan": "推进五社联动",
    "policy": "社会工作是以利他主义为指导，推进五社联动，关爱一小一老。请大家互相转告！",
    "flood": "防汛抗旱，人人有责。",
    "vaccine": "六十岁以上老人请于三月二十八日到卫生室接种疫苗，电话12345。",
}


# Spoken by the default offline voice too: its clips are leveled the same way.
NEURAL_TEXTS = ("meeting", "vaccine")


@pytest.fixture(scope="module")
def spoken(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Speak each leveling text once with espeak-ng (and two with fastspeech2) per module."""
    folder = tmp_path_factory.mktemp("spoken")
    clips = {name: folder / f"{name}.wav" for name in LEVELING_TEXTS}
    for name, text in LEVELING_TEXTS.items():
        EspeakEngine().synthesize(text, clips[name])
    for name in NEURAL_TEXTS:
        clips[f"neural-{name}"] = folder / f"neural-{name}.wav"
        FastSpeech2Engine().synthesize(LEVELING_TEXTS[name], clips[f"neural-{name}"])
    return clips


def tone_clip(wave: str, seconds: float) -> Callable[[Path, dict[str, Path]], Path]:
    """Make a clip from an aevalsrc expression."""

    def make(folder: Path, spoken: dict[str, Path]) -> Path:
        path = folder / "tone.wav"
        ffmpeg("-f", "lavfi", "-i", f"aevalsrc='{wave}':s=44100:d={seconds}", str(path))
        return path

    return make


def speech_clip(name: str, gain_db: float, suffix: str) -> Callable[[Path, dict[str, Path]], Path]:
    """Make a clip of spoken text turned up or down and stored as suffix."""

    def make(folder: Path, spoken: dict[str, Path]) -> Path:
        path = folder / f"speech{suffix}"
        ffmpeg("-i", str(spoken[name]), "-af", f"volume={gain_db}dB", str(path))
        return path

    return make


@pytest.mark.parametrize(
    "make",
    [
        *(
            pytest.param(speech_clip(name, gain, suffix), id=f"{name}{gain:+d}dB{suffix}")
            for name in [*LEVELING_TEXTS, *(f"neural-{name}" for name in NEURAL_TEXTS)]
            for gain, suffix in ((-30, ".wav"), (0, ".mp3"), (10, ".ogg"))
        ),
        pytest.param(tone_clip("0.01*sin(2*PI*440*t)", 3), id="tone-440Hz-40dBFS"),
        pytest.param(tone_clip("0.9*sin(2*PI*1000*t)", 2), id="tone-1kHz-1dBFS"),
        pytest.param(tone_clip("0.5*sin(2*PI*150*t)*sin(2*PI*2*t)", 4), id="tone-150Hz-pulsing"),
        pytest.param(
            tone_clip("0.3*(sin(2*PI*659*t)+sin(2*PI*523*t))*exp(-2*mod(t,1))", 4),
            id="tone-two-bells",
        ),
        pytest.param(tone_clip("0.8*sin(2*PI*3000*t)*lt(mod(t,0.5),0.05)", 3), id="tone-beeps"),
    ],
)
def test_every_clip_lands_on_the_loudness_target(
    tmp_path: Path, spoken: dict[str, Path], make: Callable[[Path, dict[str, Path]], Path]
) -> None:
    """Speech and tones at any level end at -16 +/- 0.5 LUFS, true peaks at -1.5 dBTP or below."""
    dst = tmp_path / "out.wav"
    normalize(make(tmp_path, spoken), dst)
    loudness, peak = loudness_and_peak(dst)
    assert loudness == pytest.approx(-16, abs=0.5)
    assert peak <= -1.5, "true peak over the -1.5 dBTP ceiling"


def test_normalize_honours_the_target(tmp_path: Path) -> None:
    src = synth(tmp_path / "tone.wav", lead=0, tone=2, trail=0, level_db=-20)
    normalize(src, tmp_path / "out.wav", target_lufs=-23)
    assert integrated_loudness(tmp_path / "out.wav") == pytest.approx(-23, abs=1.0)


def test_normalize_output_is_reproducible(tmp_path: Path) -> None:
    src = synth(tmp_path / "tone.wav", lead=0.5, tone=1, trail=0.5, level_db=-20)
    normalize(src, tmp_path / "a.wav")
    normalize(src, tmp_path / "b.wav")
    assert sha256_file(tmp_path / "a.wav") == sha256_file(tmp_path / "b.wav")


def text_named_mp3(folder: Path) -> Path:
    path = folder / "notice.mp3"
    path.write_text("这不是录音，是一段文字。\n", encoding="utf-8")
    return path


def truncated_wav(folder: Path) -> Path:
    whole = synth(folder / "whole.wav", lead=0, tone=1, trail=0, level_db=-10)
    path = folder / "cut.wav"
    path.write_bytes(whole.read_bytes()[:30])
    whole.unlink()
    return path


def empty_file(folder: Path) -> Path:
    path = folder / "empty.wav"
    path.touch()
    return path


def picture(folder: Path) -> Path:
    path = folder / "poster.png"
    ffmpeg("-f", "lavfi", "-i", "color=red:s=32x32", "-frames:v", "1", str(path))
    return path


def silence(folder: Path) -> Path:
    path = folder / "silence.wav"
    make_silence(path, 2)
    return path


@pytest.mark.parametrize(
    ("make", "message"),
    [
        pytest.param(text_named_mp3, "not an audio file ffprobe can read", id="text-named-mp3"),
        pytest.param(truncated_wav, "not an audio file ffprobe can read", id="truncated"),
        pytest.param(empty_file, r"the file is empty \(0 bytes\)", id="zero-bytes"),
        pytest.param(picture, "the file has no sound in it", id="picture"),
        pytest.param(silence, "the recording is silent", id="silent"),
        pytest.param(lambda folder: folder / "gone.wav", "no such file", id="missing"),
    ],
)
def test_normalize_refuses_what_is_not_usable_audio(
    tmp_path: Path, make: Callable[[Path], Path], message: str
) -> None:
    src = make(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(AudioError, match=f"^{re.escape(src.name)}: {message}"):
        normalize(src, out / "new.wav")
    assert list(out.iterdir()) == []


def test_failed_normalize_leaves_the_old_file(tmp_path: Path) -> None:
    dst = tmp_path / "clip.wav"
    dst.write_bytes(b"old clip")
    with pytest.raises(AudioError):
        normalize(text_named_mp3(tmp_path), dst)
    assert dst.read_bytes() == b"old clip"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clip.wav", "notice.mp3"]


def test_probe_describes_the_audio_stream(tmp_path: Path) -> None:
    src = synth(
        tmp_path / "tone.wav", lead=0, tone=1.5, trail=0, level_db=-10, channels=2, rate=48000
    )
    assert probe(src) == AudioInfo(duration=1.5, codec="pcm_s16le", sample_rate=48000, channels=2)


def test_probe_measures_recordings_without_a_duration_header(tmp_path: Path) -> None:
    # Browsers record WebM without a duration; probe decodes the file instead.
    src = tmp_path / "recording.webm"
    with src.open("wb") as stream:
        ffmpeg("-f", "lavfi", "-i", "sine=d=2", "-c:a", "libopus", "-f", "webm", "-", stdout=stream)
    assert probe(src).duration == pytest.approx(2, abs=0.05)


def test_missing_ffprobe_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = synth(tmp_path / "tone.wav", lead=0, tone=1, trail=0, level_db=-10)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(AudioError, match="ffprobe is not installed"):
        probe(src)


@pytest.mark.parametrize("seconds", [0.25, 3], ids=["quarter-second", "three-seconds"])
def test_make_silence_is_canonical_and_lasts(tmp_path: Path, seconds: float) -> None:
    make_silence(tmp_path / "pause.wav", seconds)
    info = probe(tmp_path / "pause.wav")
    assert (info.codec, info.sample_rate, info.channels) == ("pcm_s16le", CANONICAL_RATE, 1)
    assert info.duration == pytest.approx(seconds, abs=0.001)


@pytest.mark.parametrize(
    "seconds", [0, -1, math.nan, math.inf], ids=["zero", "negative", "nan", "inf"]
)
def test_make_silence_refuses_impossible_lengths(tmp_path: Path, seconds: float) -> None:
    with pytest.raises(ValueError, match="positive number of seconds"):
        make_silence(tmp_path / "pause.wav", seconds)
    assert list(tmp_path.iterdir()) == []


def pcm(path: Path) -> bytes:
    with wave.open(str(path), "rb") as clip:
        return clip.readframes(clip.getnframes())


@pytest.mark.slow
def test_join_clips_plays_them_in_order_samples_unchanged(tmp_path: Path) -> None:
    parts = [tmp_path / "a.wav", tmp_path / "b.wav", tmp_path / "c.wav"]
    make_silence(parts[0], 0.5)
    for part, level in zip(parts[1:], (-20, -6), strict=True):
        raw = synth(tmp_path / f"raw{level}.wav", lead=0, tone=1, trail=0, level_db=level)
        normalize(raw, part)
    info = join_clips(parts, tmp_path / "joined.wav")
    assert info == probe(tmp_path / "joined.wav")
    assert info.duration == pytest.approx(sum(probe(p).duration for p in parts), abs=0.001)
    assert pcm(tmp_path / "joined.wav") == b"".join(pcm(part) for part in parts)


def test_join_clips_needs_a_clip(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least one clip"):
        join_clips([], tmp_path / "joined.wav")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("size", [0, 1, (1 << 20) + 1], ids=["empty", "one-byte", "over-a-chunk"])
def test_sha256_file_matches_hashlib(tmp_path: Path, size: int) -> None:
    data = bytes(i % 251 for i in range(size))
    (tmp_path / "blob").write_bytes(data)
    assert sha256_file(tmp_path / "blob") == hashlib.sha256(data).hexdigest()


LOUD = "[Parsed_ebur128_2 @ 0x1]   Integrated loudness:\n    I:         -20.0 LUFS\n"


@pytest.mark.parametrize(
    ("log", "expected"),
    [
        pytest.param("", SoundSpan(0, 10, -20), id="no-silence"),
        pytest.param(
            "silence_start: 0\nsilence_end: 2 | silence_duration: 2\n",
            SoundSpan(1.9, 10, -20),
            id="leading",
        ),
        pytest.param(
            "silence_start: -0.0013\nsilence_end: 2 | silence_duration: 2\n",
            SoundSpan(1.9, 10, -20),
            id="leading-before-zero",
        ),
        pytest.param(
            "silence_start: 7\nsilence_end: 10 | silence_duration: 3\n",
            SoundSpan(0, 7.1, -20),
            id="trailing-closed-at-eof",
        ),
        pytest.param("silence_start: 7\n", SoundSpan(0, 7.1, -20), id="trailing-left-open"),
        pytest.param(
            "silence_start: 4\nsilence_end: 5 | silence_duration: 1\n",
            SoundSpan(0, 10, -20),
            id="middle-kept",
        ),
        pytest.param(
            "silence_start: 0.05\nsilence_end: 1 | silence_duration: 0.95\n",
            SoundSpan(0, 10, -20),
            id="not-at-the-very-start",
        ),
        pytest.param(
            "silence_start: 0\nsilence_end: 0.05 | silence_duration: 0.05\n",
            SoundSpan(0, 10, -20),
            id="margin-never-negative",
        ),
    ],
)
def test_parse_sound_span(log: str, expected: SoundSpan) -> None:
    progress = "out_time_us=5000000\nprogress=continue\nout_time_us=10000000\nprogress=end\n"
    assert parse_sound_span(progress, log + LOUD, margin=0.1) == expected


@pytest.mark.parametrize("suffix", [".wav", ".mp3"], ids=["wav", "mp3"])
def test_a_recording_is_compacted_to_mono_opus_of_the_same_length(
    tmp_path: Path, suffix: str
) -> None:
    source = synth(
        tmp_path / f"voice{suffix}", lead=0.2, tone=3.0, trail=0.2, level_db=-6, channels=2
    )
    info = compact_voice(source, tmp_path / "small.ogg")
    assert (info.codec, info.channels) == ("opus", 1)
    assert info.duration == pytest.approx(probe(source).duration, abs=0.1)
    assert (tmp_path / "small.ogg").stat().st_size < 3.4 * 3000 + 2000  # 24 kbit/s and headers


def test_compacting_what_is_not_audio_is_refused_and_writes_nothing(tmp_path: Path) -> None:
    text = tmp_path / "notes.mp3"
    text.write_text("not audio", encoding="utf-8")
    with pytest.raises(AudioError):
        compact_voice(text, tmp_path / "small.ogg")
    assert not (tmp_path / "small.ogg").exists()
