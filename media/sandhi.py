"""Tone sandhi: how 一, 不 and runs of third tones change in connected speech.

Rules apply within one phrase (between two pauses, a breath included) to words
as jieba cut them:

- 不 is bú before a fourth tone (不是 búshì), neutral between a repeated word
  (是不是), bù elsewhere.
- 一 keeps yī in numbers (十一, 二零二一), ordinals (第一), dates and times (一月,
  一号, 一点三十分, 下午一点, 一点到三点) and at the end of a word (统一, 星期一);
  it is neutral between a repeated verb (看一看); otherwise it is yí before a
  fourth tone (一个, 一定) and yì before the others (一般, 一起, 一百).
- Third tones in a row: every one but the last of a word rises (展览馆
  zhánlánguǎn); long words go by two-syllable feet (养老保险 yánglǎo báoxiǎn);
  between words the earlier one rises only before a one-syllable word (处理好
  chúlí hǎo), not before a longer one (老 保管 lǎo báoguǎn).
"""

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from media.pinyin import Word

_DIGITS = "零〇二三四五六七八九十"
_BIG_UNITS = "百千万亿"
_NUMBERISH = _DIGITS + _BIG_UNITS + "一幺两"
# The last character of 上午, 下午, 中午, 晚上, 早上, 凌晨: 一点 after them is one o'clock.
_PART_OF_DAY = "午上晨"


@dataclass
class _Syllable:
    char: str
    base: str  # toneless pinyin
    tone: int
    word: int  # index of its word in the clause


def apply_sandhi(words: Sequence[Word]) -> list[Word]:
    """Return the words of one clause with the tones they take in connected speech."""
    syllables = [
        _Syllable(char, syllable[:-1], int(syllable[-1]), index)
        for index, word in enumerate(words)
        for char, syllable in zip(word.text, word.syllables, strict=True)
    ]
    original = [s.tone for s in syllables]
    for at, syllable in enumerate(syllables):
        if syllable.char == "一" and syllable.base == "yi":
            syllable.tone = _yi_tone(syllables, original, at)
        elif syllable.char == "不" and syllable.base == "bu" and syllable.tone != 5:
            syllable.tone = _bu_tone(syllables, original, at)
    _third_tones(syllables)
    rebuilt: list[Word] = []
    for index, word in enumerate(words):
        tones = [f"{s.base}{s.tone}" for s in syllables if s.word == index]
        rebuilt.append(Word(word.text, tuple(tones)))
    return rebuilt


def _neighbours(syllables: Sequence[_Syllable], at: int) -> tuple[str, str]:
    before = syllables[at - 1].char if at > 0 else ""
    after = syllables[at + 1].char if at + 1 < len(syllables) else ""
    return before, after


def _bu_tone(syllables: Sequence[_Syllable], original: Sequence[int], at: int) -> int:
    """Return the tone of 不 at position at."""
    before, after = _neighbours(syllables, at)
    if before and before == after:
        return 5  # 是不是, 好不好
    if after and original[at + 1] == 4:
        return 2
    return 4


def _yi_tone(syllables: Sequence[_Syllable], original: Sequence[int], at: int) -> int:
    """Return the tone of 一 at position at."""
    before, after = _neighbours(syllables, at)
    if before and before == after and before not in _NUMBERISH:
        return 5  # 看一看, 想一想
    if _keeps_first_tone(syllables, at, before, after):
        return 1
    next_tone = original[at + 1]
    return 2 if next_tone in (4, 5) else 4


def _keeps_first_tone(syllables: Sequence[_Syllable], at: int, before: str, after: str) -> bool:
    """Tell whether 一 is read as the number one itself: yī."""
    if not after or before == "第" or after == "一" or before == "一":
        return True
    if (before and before in _DIGITS) or after in _DIGITS:
        return True  # 十一, 二十一万, 二零二一年, 一九九八
    if before and before in _BIG_UNITS and after not in _BIG_UNITS:
        return True  # 一百一, 三千一
    if after in "月号":
        return True  # 一月, 一号
    if after == "日" and before == "月":
        return True  # 三月一日
    if after == "点" and ((before and before in _PART_OF_DAY) or _clock_follows(syllables, at + 2)):
        return True  # 一点三十分, 下午一点, 一点至三点
    # The last syllable of a word: 统一, 唯一, 星期一, 之一.
    same_word = syllables[at + 1].word == syllables[at].word
    return not same_word and at > 0 and syllables[at - 1].word == syllables[at].word


def _clock_follows(syllables: Sequence[_Syllable], at: int) -> bool:
    """Tell whether the syllable at position at goes on a clock time (一点 | 三十分, 至三点)."""
    return at < len(syllables) and syllables[at].char in _NUMBERISH + "钟整半至到左"


def _third_tones(syllables: Sequence[_Syllable]) -> None:
    """Raise third tones before third tones, by word and by foot."""
    at = 0
    while at < len(syllables):
        if syllables[at].tone != 3:
            at += 1
            continue
        end = at
        while end + 1 < len(syllables) and syllables[end + 1].tone == 3:
            end += 1
        _raise_run(syllables[at : end + 1])
        at = end + 1


def _raise_run(run: Sequence[_Syllable]) -> None:
    """Apply third-tone sandhi to one run of third tones."""
    groups: list[list[_Syllable]] = []
    for syllable in run:
        if groups and groups[-1][0].word == syllable.word:
            groups[-1].append(syllable)
        else:
            groups.append([syllable])
    feet = [foot for group in groups for foot in _feet(group)]
    for foot in feet:
        for syllable in foot[:-1]:
            syllable.tone = 2
    for foot, following in itertools.pairwise(feet):
        if len(following) == 1:
            foot[-1].tone = 2


def _feet(group: list[_Syllable]) -> list[list[_Syllable]]:
    """Split a word's run of third tones into feet of two (three for an odd length)."""
    if len(group) <= 3:
        return [group]
    if len(group) % 2:
        return [group[:3], *_feet(group[3:])]
    return [group[:2], *_feet(group[2:])]
