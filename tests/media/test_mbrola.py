"""The MBROLA engine with the real mbrola program and cn1 voice, and its place in the chain."""

import array
import wave
from pathlib import Path

import pytest

from media.audio import probe
from media.errors import TtsError
from media.mbrola import MbrolaEngine
from media.tts import EngineChain, EspeakEngine, build_chain

NOTICE = "各位村民请注意：开放时间为上午八点到十七点三十分，咨询电话零五九五，二二三四五六七八。"
SYLLABLES = 40  # in NOTICE


def voiced_share(wav: Path) -> float:
    """Return the share of 50 ms frames of a 16-bit mono WAV that carry sound."""
    with wave.open(str(wav)) as audio:
        rate = audio.getframerate()
        samples = array.array("h", audio.readframes(audio.getnframes()))
    frame = rate // 20
    frames = [samples[at : at + frame] for at in range(0, len(samples) - frame, frame)]
    loud = [f for f in frames if (sum(s * s for s in f) / len(f)) ** 0.5 > 300]
    return len(loud) / len(frames)


def test_mbrola_speaks_a_notice_into_a_wav(tmp_path: Path) -> None:
    out = tmp_path / "notice.wav"
    MbrolaEngine().synthesize(NOTICE, out)
    info = probe(out)
    assert info.codec == "pcm_s16le"
    # 40 syllables at 4 a second, plus its pauses: about ten seconds of speech.
    assert SYLLABLES / 6 < info.duration < SYLLABLES / 2.5 + 4
    assert voiced_share(out) > 0.5
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notice.wav"]


def test_pace_sets_the_length(tmp_path: Path) -> None:
    lengths = []
    for pace in (3.0, 4.0, 5.5):
        out = tmp_path / f"{pace}.wav"
        MbrolaEngine(pace=pace).synthesize(NOTICE, out)
        lengths.append(probe(out).duration)
    slow, default, fast = lengths
    # Consonants and the shortest final keep their length: faster shortens less.
    assert slow > default * 1.15 and fast < default * 0.95


@pytest.mark.parametrize(
    ("engine", "reason"),
    [
        pytest.param(
            MbrolaEngine(binary="no-such-mbrola"),
            "apt install mbrola, from Debian contrib",
            id="no-program",
        ),
        pytest.param(
            MbrolaEngine(voice_dir=Path("/nonexistent")),
            "apt install mbrola-cn1, from Debian non-free",
            id="no-voice",
        ),
    ],
)
def test_missing_parts_are_named(tmp_path: Path, engine: MbrolaEngine, reason: str) -> None:
    out = tmp_path / "x.wav"
    with pytest.raises(TtsError, match=f"^mbrola: .*{reason}"):
        engine.synthesize(NOTICE, out)
    assert not out.exists()


@pytest.mark.parametrize(
    "text", [pytest.param("", id="empty"), pytest.param("★ ~ ★", id="no-syllable")]
)
def test_nothing_to_say_is_an_error(tmp_path: Path, text: str) -> None:
    with pytest.raises(TtsError, match=r"^mbrola: (nothing to speak|the text has nothing)"):
        MbrolaEngine().synthesize(text, tmp_path / "x.wav")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        pytest.param({"voice": "en1"}, "only the cn1 voice", id="other-voice"),
        pytest.param({"pace": 9.0}, "2.5-6 syllables", id="pace"),
        pytest.param({"timeout": 0}, "positive", id="timeout"),
    ],
)
def test_bad_settings_are_refused(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        MbrolaEngine(**kwargs)  # type: ignore[arg-type]


def test_chain_skips_a_missing_mbrola_for_espeak(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    espeak = EspeakEngine()
    chain = EngineChain([MbrolaEngine(binary="no-such-mbrola"), espeak])
    out = tmp_path / "notice.wav"
    assert chain.synthesize(NOTICE, out) is espeak
    assert probe(out).duration > 2.0
    assert "speech engine mbrola failed: no-such-mbrola is not installed" in caplog.text


def test_default_chain_speaks_offline_with_mbrola(tmp_path: Path) -> None:
    chain = build_chain(["mbrola", "espeak-ng"], mbrola_pace=3.5)
    engine = chain.synthesize(NOTICE, tmp_path / "notice.wav")
    assert engine.name == "mbrola"
    assert engine.voice.startswith("cn1+fe") and engine.voice.endswith("@3.5")


def test_voice_names_the_front_end_and_pace() -> None:
    """Clips are cached by voice: a new front end or pace must not reuse old clips."""
    assert MbrolaEngine().voice != MbrolaEngine(pace=3.5).voice
