"""An emergency said 1 to 3 times in one clip, with silence between, made once."""

from __future__ import annotations

from pathlib import Path

import pytest

from media.audio import probe
from media.errors import AudioError, TtsError
from media.tts import URGENT_ONLINE_SECONDS, EngineChain, EspeakEngine, GttsEngine
from playlists.content import emergency_speech
from playlists.content.ingest import Ingest
from playlists.errors import ContentError
from playlists.settings import Settings
from playlists.store import Store
from playlists.town.emergency_dispatch import compact_recording

TEXT = "河水上涨，请立即转移。"


@pytest.mark.parametrize(
    ("repeat", "gap", "problem"),
    [
        pytest.param(1, 0, None, id="once-no-gap"),
        pytest.param(3, 30, None, id="most"),
        pytest.param(0, 3, "1 to 3 times", id="zero-times"),
        pytest.param(4, 3, "1 to 3 times", id="four-times"),
        pytest.param(True, 3, "1 to 3 times", id="bool-times"),
        pytest.param(2, -1, "0 to 30 seconds", id="negative-gap"),
        pytest.param(2, 31, "0 to 30 seconds", id="long-gap"),
    ],
)
def test_repeats_and_gaps_are_bounded(repeat: int, gap: int, problem: str | None) -> None:
    if problem is None:
        emergency_speech.check(repeat, gap)
    else:
        with pytest.raises(ContentError, match=problem):
            emergency_speech.check(repeat, gap)


@pytest.mark.parametrize(
    ("repeat", "gap"), [(1, 3), (2, 0), (3, 2)], ids=["once", "no-gap", "three"]
)
def test_one_clip_says_it_repeat_times_with_the_gaps(ingest: Ingest, repeat: int, gap: int) -> None:
    once = ingest.speak(TEXT)
    clip = emergency_speech.repeated_speech(ingest, TEXT, repeat, gap)
    assert once.duration is not None and clip.duration is not None
    assert clip.duration == pytest.approx(repeat * once.duration + (repeat - 1) * gap, abs=0.15)
    assert probe(ingest.path_of(clip)).duration == pytest.approx(clip.duration, abs=0.05)
    assert (clip.sha256 == once.sha256) is (repeat == 1)


def test_the_same_repeat_is_made_once(ingest: Ingest, store: Store) -> None:
    first = emergency_speech.repeated_speech(ingest, TEXT, 2, 3)
    media = len(store.query("SELECT * FROM media"))
    again = emergency_speech.repeated_speech(ingest, TEXT, 2, 3)
    assert again == first
    assert len(store.query("SELECT * FROM media")) == media


def test_a_refused_repeat_makes_no_speech(ingest: Ingest, store: Store) -> None:
    with pytest.raises(ContentError):
        emergency_speech.repeated_speech(ingest, TEXT, 4, 3)
    assert store.query("SELECT * FROM media") == []


def test_a_town_recording_is_played_repeat_times_with_the_gaps(
    ingest: Ingest, tmp_path: Path
) -> None:
    spoken = ingest.speak(TEXT)
    audio = compact_recording(ingest.path_of(spoken), tmp_path)
    clip = emergency_speech.repeated_recording(ingest, audio, 2, 3)
    assert spoken.duration is not None and clip.duration is not None
    assert clip.duration == pytest.approx(2 * spoken.duration + 3, abs=0.3)
    assert clip.engine == "recording"


def test_a_recording_that_is_not_audio_is_refused(ingest: Ingest, store: Store) -> None:
    with pytest.raises(AudioError):
        emergency_speech.repeated_recording(ingest, b"OggS not really", 2, 3)
    assert store.query("SELECT * FROM media") == []


class BlockedGoogle(GttsEngine):
    """gTTS where Google is blocked: it fails at its timeout, which it notes."""

    def __init__(self, timeout: float) -> None:
        super().__init__(timeout=timeout)
        self.waited: list[float] = []

    def synthesize(self, text: str, out_path: Path) -> None:
        self.waited.append(self.timeout)
        raise TtsError(f"timed out after {self.timeout:g} s", engine=self.name)


def test_an_emergency_waits_for_a_blocked_online_voice_a_few_seconds_at_most(
    store: Store, settings: Settings
) -> None:
    google = BlockedGoogle(timeout=10)
    ingest = Ingest(store, settings, EngineChain([google, EspeakEngine()]))
    clip = emergency_speech.repeated_speech(ingest, TEXT, 1, 0)
    assert google.waited == [URGENT_ONLINE_SECONDS], "not the station's 10 s"
    assert clip.engine == "espeak-ng"
    announcement = Ingest(store, settings, EngineChain([google, EspeakEngine()])).speak("通知。")
    assert google.waited[-1] == 10 and announcement.engine == "espeak-ng", "saving waits in full"
