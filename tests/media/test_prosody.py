"""The .pho script: pauses, tone contours, lengths and pace, read back from its lines."""

import pytest

from media.mandarin import Pause, Syllable, transcribe
from media.prosody import pho_script


def phones(script: str) -> list[tuple[str, int, list[int]]]:
    """Return each line of a .pho script as (phoneme, ms, pitch targets in Hz)."""
    parsed = []
    for line in script.splitlines():
        name, ms, *targets = line.split()
        parsed.append((name, int(ms), [int(hz) for hz in targets[1::2]]))
    return parsed


def finals(script: str) -> list[tuple[str, int, list[int]]]:
    """Return the phonemes that carry pitch: one a syllable."""
    return [phone for phone in phones(script) if phone[2]]


def test_script_opens_and_closes_with_silence_and_parts_syllables() -> None:
    lines = phones(pho_script(transcribe("村民你好")))
    assert lines[0][0] == "_" and lines[-1][0] == "_"
    names = [name for name, _, _ in lines]
    # cn1 joins a final only to silence: a zero-length one sits between syllables.
    assert names == ["_", "c", "un", "_", "m", "in", "_", "n", "i", "_", "h", "ao", "_"]
    assert [ms for name, ms, _ in lines[1:-1] if name == "_"] == [0, 0, 0]


@pytest.mark.parametrize(
    ("text", "shorter", "longer"),
    [
        pytest.param("村民、你好", "、", "，", id="list-shorter-than-clause"),
        pytest.param("村民，你好", "，", "。", id="clause-shorter-than-sentence"),
    ],
)
def test_pauses_grow_with_the_mark(text: str, shorter: str, longer: str) -> None:
    def pause_ms(mark: str) -> int:
        lines = phones(pho_script(transcribe(text.replace("、", mark).replace("，", mark))))
        return max(ms for name, ms, _ in lines[1:-1] if name == "_")

    assert 0 < pause_ms(shorter) < pause_ms(longer)


def test_a_breath_is_shorter_than_a_comma() -> None:
    tokens = transcribe("请广大村民积极参加城乡居民医疗保险，谢谢")
    assert Pause.PHRASE in tokens
    silences = sorted({ms for name, ms, _ in phones(pho_script(tokens))[1:-1] if name == "_"})
    # none, a stop's closure, a breath, a comma
    assert len(silences) == 4 and silences[0] == 0


def silence_before(text: str, initial: str) -> int:
    """Return the silence just before the first syllable of text that starts with initial."""
    lines = phones(pho_script(transcribe(text)))
    at = next(at for at, (name, _, _) in enumerate(lines) if at and name == initial)
    assert lines[at - 1][0] == "_"
    return lines[at - 1][1]


@pytest.mark.parametrize(
    ("text", "initial", "closure"),
    [
        pytest.param("上级补助", "b", True, id="b-inside-a-word"),
        pytest.param("上级补助", "j", True, id="affricate-j"),
        pytest.param("每户补贴", "t", True, id="aspirated-t"),
        pytest.param("到村里", "c", True, id="affricate-c-across-words"),
        pytest.param("安全", "qu", True, id="compound-initial-qu"),
        pytest.param("村民", "m", False, id="nasal-none"),
        pytest.param("你好", "h", False, id="fricative-none"),
        pytest.param("上来", "l", False, id="lateral-none"),
    ],
)
def test_a_stop_inside_a_phrase_starts_with_its_closure(
    text: str, initial: str, closure: bool
) -> None:
    gap = silence_before(text, initial)
    assert (40 <= gap <= 120) if closure else gap == 0


def test_a_stop_after_a_pause_takes_the_pause_as_its_closure() -> None:
    comma = phones(pho_script(transcribe("你好")))[-1][1]
    assert silence_before("你好，补助", "b") > 200 and comma > 0


@pytest.mark.parametrize(
    ("text", "glide", "consonant"),
    [
        pytest.param("八十元", "yu", "sh", id="yuan"),
        pytest.param("一万", "w", "y", id="wan-after-yi"),
        pytest.param("有人", "y", "r", id="you"),
    ],
)
def test_glides_are_shorter_than_consonants(text: str, glide: str, consonant: str) -> None:
    lines = {name: ms for name, ms, _ in phones(pho_script(transcribe(text)))}
    assert lines[glide] < 100 and lines[glide] < lines[consonant]


@pytest.mark.parametrize(
    ("syllable", "shape"),
    [
        pytest.param("ma1", "level", id="tone1-high-level"),
        pytest.param("ma2", "rising", id="tone2-rising"),
        pytest.param("ma4", "falling", id="tone4-falling"),
    ],
)
def test_tone_contours(syllable: str, shape: str) -> None:
    tokens = [Syllable("x", syllable[:-1], int(syllable[-1])), Pause.SENTENCE]
    ((_, _, pitch),) = finals(pho_script(tokens))
    start, end = pitch[0], pitch[-1]
    if shape == "level":
        assert abs(end - start) < 0.05 * start
    elif shape == "rising":
        assert end > start * 1.3
    else:
        assert end < start * 0.7


def test_third_tone_dips_before_a_pause_and_stays_low_inside_a_phrase() -> None:
    tokens = [Syllable("好", "hao", 3), Syllable("好", "hao", 3), Pause.SENTENCE]
    inside, before_pause = (pitch for _, _, pitch in finals(pho_script(tokens)))
    assert min(before_pause) < before_pause[0] < before_pause[-1]  # 214: down, then up
    assert inside[-1] <= min(inside) * 1.05  # 21: down, and no rise


def test_tone1_is_higher_than_tone3() -> None:
    tone1, tone3 = finals(pho_script(transcribe("他好")))
    assert min(tone1[2]) > max(tone3[2][:-1])


def test_neutral_tone_is_short() -> None:
    tokens = [Syllable("走", "zou", 3), Syllable("了", "le", 5), Syllable("走", "zou", 3)]
    full, neutral, _ = finals(pho_script([*tokens, Pause.SENTENCE]))
    assert neutral[1] < full[1] * 0.8


def test_the_last_syllable_before_a_pause_is_drawn_out() -> None:
    first, last = finals(pho_script(transcribe("他他")))
    assert last[1] > first[1] * 1.2


def test_pace_sets_the_length_of_speech() -> None:
    tokens = transcribe("各位村民请注意，开放时间为上午八点到十七点三十分。")

    def total(pace: float) -> int:
        return sum(ms for _, ms, _ in phones(pho_script(tokens, pace)))

    assert total(3.0) > total(4.0) * 1.15
    assert total(4.0) > total(5.0) * 1.05
