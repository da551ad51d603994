"""Pinyin syllables as phonemes of the cn1 voice, checked against the installed database."""

import itertools
from pathlib import Path

import pytest
from pypinyin.pinyin_dict import pinyin_dict

from media.cn1 import DIPHONES, FINALS, RECORDED_INITIAL_MS, SILENCE, units
from media.mbrola import VOICE_DIR

DATABASE = VOICE_DIR / "cn1" / "cn1"


def database_diphones(path: Path) -> dict[str, set[str]]:
    """Read the diphone table of an MBROLA database: each left phoneme's right ones."""
    data = path.read_bytes()
    assert data[:6] == b"MBROLA"
    count = int.from_bytes(data[11:15], "little")
    at = 27  # after magic, version, counts, sample rate, period and one flag byte
    table: dict[str, set[str]] = {}
    for _ in range(count):
        left_end = data.index(b"\0", at)
        right_end = data.index(b"\0", left_end + 1)
        left, right = data[at:left_end].decode(), data[left_end + 1 : right_end].decode()
        table.setdefault(left, set()).add(right)
        at = right_end + 1 + 4  # position, half-segment and frame count follow
    return table


@pytest.mark.parametrize(
    ("pinyin", "phonemes"),
    [
        pytest.param("hao", ("h", "ao"), id="initial-final"),
        pytest.param("zhuang", ("zhu", "ang"), id="glide-in-the-initial"),
        pytest.param("xiang", ("xi", "ang"), id="i-glide"),
        pytest.param("guo", ("gu", "o"), id="uo"),
        pytest.param("jiong", ("ji", "ong"), id="iong"),
        pytest.param("ju", ("j", "v"), id="ju-is-jv"),
        pytest.param("juan", ("ju", "an"), id="juan"),
        pytest.param("que", ("q", "ue"), id="que"),
        pytest.param("xun", ("x", "un"), id="xun"),
        pytest.param("lv", ("l", "v"), id="lv"),
        pytest.param("lve", ("l", "ue"), id="lve"),
        pytest.param("yuan", ("yu", "an"), id="yuan"),
        pytest.param("yu", ("y", "v"), id="yu"),
        pytest.param("yi", ("y", "i"), id="yi"),
        pytest.param("ying", ("y", "ing"), id="ying"),
        pytest.param("ye", ("y", "e"), id="ye"),
        pytest.param("wu", ("w", "u"), id="wu"),
        pytest.param("wang", ("w", "ang"), id="wang"),
        pytest.param("zhi", ("zh", "ll"), id="zhi-retroflex-i"),
        pytest.param("ri", ("r", "ll"), id="ri"),
        pytest.param("si", ("s", "ii"), id="si-dental-i"),
        pytest.param("dui", ("d", "ui"), id="ui"),
        pytest.param("liu", ("l", "iu"), id="iu"),
        pytest.param("a", ("a",), id="no-initial"),
        pytest.param("er", ("er",), id="er"),
        pytest.param("nar", ("n", "a"), id="erhua-said-without-r"),
        pytest.param("kei", ("k", "ai"), id="missing-diphone-nearest"),
        pytest.param("n", ("en",), id="interjection"),
    ],
)
def test_units(pinyin: str, phonemes: tuple[str, ...]) -> None:
    assert units(pinyin) == phonemes


def every_syllable() -> list[str]:
    """Return every toneless syllable pypinyin can give a character."""
    from pypinyin import Style
    from pypinyin.style import convert

    readings = {r for value in pinyin_dict.values() for r in value.split(",")}
    return sorted({convert(r, Style.NORMAL, strict=True) for r in readings} - {""})


def test_every_syllable_is_spoken_with_diphones_the_voice_has() -> None:
    syllables = every_syllable()
    assert len(syllables) > 400
    for syllable in syllables:
        phonemes = units(syllable)
        chain = [SILENCE, *phonemes, SILENCE]
        missing = [(a, b) for a, b in itertools.pairwise(chain) if b not in DIPHONES[a]]
        assert not missing, f"{syllable} → {phonemes} needs {missing}"


@pytest.mark.skipif(not DATABASE.is_file(), reason="mbrola-cn1 is not installed")
def test_the_diphone_table_is_the_installed_voices() -> None:
    installed = database_diphones(DATABASE)
    assert {left: set(rights) for left, rights in DIPHONES.items()} == installed


def test_every_initial_has_a_recorded_length() -> None:
    initials = set(DIPHONES[SILENCE]) - FINALS - {SILENCE}
    assert initials <= set(RECORDED_INITIAL_MS)
