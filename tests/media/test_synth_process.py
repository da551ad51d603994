"""media/synth_process.py: an offline synthesizer program run into a WAV file."""

from __future__ import annotations

from pathlib import Path

import pytest

from media.errors import TtsError
from media.synth_process import WAV_HEADER_BYTES, run_synthesizer, speak_in_model_process


@pytest.mark.parametrize(
    ("script", "says"),
    [
        pytest.param("exit 3", "exit status 3: no error output", id="fails-silently"),
        pytest.param("echo bad voice >&2; exit 1", "exit status 1: bad voice", id="says-why"),
        pytest.param('printf x > "$1"', "empty audio file", id="header-only"),
        pytest.param("true", "empty audio file", id="writes-nothing"),
        pytest.param("exec sleep 5", "timed out after 0.5 s", id="hangs"),
    ],
)
def test_a_program_that_writes_no_sound_is_a_tts_error(
    tmp_path: Path, script: str, says: str
) -> None:
    wav = tmp_path / "out.wav"
    with pytest.raises(TtsError, match=says):
        run_synthesizer(
            ["sh", "-c", script, "sh", str(wav)], b"", wav, engine="e", timeout=0.5, install="x"
        )


HINT = "apt install it"


def test_a_missing_program_names_its_package(tmp_path: Path) -> None:
    with pytest.raises(TtsError, match=r"no-such-tts is not installed \(apt install it\)"):
        run_synthesizer(
            ["no-such-tts"],
            b"",
            tmp_path / "o.wav",
            engine="e",
            timeout=1,
            install="apt install it",
        )


def test_sound_written_is_accepted(tmp_path: Path) -> None:
    wav = tmp_path / "out.wav"
    script = f'head -c {WAV_HEADER_BYTES + 100} /dev/zero > "$1"'
    run_synthesizer(
        ["sh", "-c", script, "sh", str(wav)], b"", wav, engine="e", timeout=5, install=""
    )
    assert wav.stat().st_size == WAV_HEADER_BYTES + 100


@pytest.mark.parametrize(
    ("script", "written"),
    [
        pytest.param('cat > "$1"; head -c 100 /dev/zero >> "$1"', True, id="speaks"),
        pytest.param('printf half > "$1"; exit 1', False, id="fails-half-way"),
    ],
)
def test_a_model_process_replaces_the_clip_only_when_it_succeeds(
    tmp_path: Path, script: str, written: bool
) -> None:
    out = tmp_path / "clip.wav"
    out.write_bytes(b"the clip before")
    args = ["sh", "-c", script, "sh"]
    if written:
        speak_in_model_process(args, "话", out, engine="e", timeout=5, install="x")
        assert out.read_bytes() == "话".encode() + bytes(100)
    else:
        with pytest.raises(TtsError, match="exit status 1"):
            speak_in_model_process(args, "话", out, engine="e", timeout=5, install="x")
        assert out.read_bytes() == b"the clip before"
    assert [path.name for path in tmp_path.iterdir()] == ["clip.wav"]
