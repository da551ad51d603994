"""The sounds made in code that open a broadcast."""

from __future__ import annotations

from pathlib import Path

import pytest

from media.audio import CANONICAL_RATE, sha256_file
from media.chime import make_chime, make_lead_in
from tests.media.test_audio import loudness_and_peak


def test_chime_is_a_short_canonical_two_tone_sound(tmp_path: Path) -> None:
    info = make_chime(tmp_path / "chime.wav")
    assert (info.codec, info.sample_rate, info.channels) == ("pcm_s16le", CANONICAL_RATE, 1)
    assert 2 <= info.duration <= 3
    loudness, peak = loudness_and_peak(tmp_path / "chime.wav")
    assert -24 < loudness < -12
    assert peak < -1.5


def test_chime_is_reproducible(tmp_path: Path) -> None:
    make_chime(tmp_path / "a.wav")
    make_chime(tmp_path / "b.wav")
    assert sha256_file(tmp_path / "a.wav") == sha256_file(tmp_path / "b.wav")


def test_lead_in_is_faint(tmp_path: Path) -> None:
    info = make_lead_in(tmp_path / "lead.wav", 1.0)
    assert info.duration == pytest.approx(1.0, abs=0.01)
    _, peak = loudness_and_peak(tmp_path / "lead.wav")
    assert -50 < peak < -40


@pytest.mark.parametrize("seconds", [0, -1, 11], ids=["zero", "negative", "too-long"])
def test_lead_in_length_is_checked(tmp_path: Path, seconds: float) -> None:
    with pytest.raises(ValueError, match="lead-in"):
        make_lead_in(tmp_path / "lead.wav", seconds)
