"""Timing and pitch of Mandarin syllables, written as an MBROLA .pho script.

The pace is steady and a little slower than conversation, as suits horn
loudspeakers that echo across a village: every syllable gets about 1000 / pace ms,
a little more for finals recorded long (diphthongs, nasal codas) and less for
short ones, a neutral tone is short, the last syllable before a pause is drawn
out, and pauses grow from a breath inside a clause to a full stop. Initials keep
a share of their recorded length whatever the pace: squeezed, they are heard as
other consonants. Glides (y, w, the ü of yuan) are short, and a stop or affricate
inside a phrase is preceded by its closure, a short silence.

Pitch follows Chao's five-level tone letters on a female register: tone 1 high
level (55), tone 2 rising (35), tone 3 low dipping (214, only a low 21 before
another syllable), tone 4 falling (51), the neutral tone a short step after the
tone before it. The register drifts down across each clause, as speech does.
"""

import math
from collections.abc import Iterable, Iterator, Sequence

from media.cn1 import RECORDED_FINAL_MS, RECORDED_INITIAL_MS, SILENCE, units
from media.mandarin import Pause, Syllable, Token

DEFAULT_PACE = 4.0  # syllables a second, pauses aside

# Pitch of Chao levels 1 (lowest) and 5 (highest), in Hz, for the female cn1 voice.
_LOW_HZ = 165.0
_HIGH_HZ = 300.0
# Contours as (percent through the final, Chao level).
_CONTOURS: dict[str, tuple[tuple[int, float], ...]] = {
    "1": ((0, 4.6), (100, 4.5)),
    "2": ((0, 2.8), (35, 2.6), (100, 4.6)),
    "3": ((0, 2.3), (55, 1.0), (100, 3.4)),  # before a pause: the full dip
    "3-": ((0, 2.3), (70, 1.0), (100, 1.1)),  # inside a phrase: low only
    "4": ((0, 5.0), (100, 1.4)),
    "4-4": ((0, 4.8), (100, 2.6)),  # a fall before another fall stops half way
}
# Where a neutral tone sits after each full tone.
_NEUTRAL_LEVEL = {1: 2.4, 2: 3.0, 3: 3.8, 4: 1.6, 5: 2.0}
_TONE_LENGTH = {1: 1.0, 2: 1.05, 3: 1.1, 4: 0.92, 5: 0.6}
_PAUSE_MS = {Pause.PHRASE: 110, Pause.LIST: 220, Pause.CLAUSE: 340, Pause.SENTENCE: 620}
_FINAL_LENGTHENING = {Pause.PHRASE: 1.15, Pause.LIST: 1.2, Pause.CLAUSE: 1.3, Pause.SENTENCE: 1.35}
# An initial keeps this share of its recorded length (consonants shrink less than
# vowels as speech gets faster; shrunk too far they are heard as other consonants).
_CONSONANT_SHARE = 0.6
# A glide is a quick movement into the vowel: y, w and the ü of yuan, sung long in
# cn1, kept at 0.6 became a syllable of their own (元 heard as 一万, 亿王).
_GLIDES = frozenset({"y", "w", "yu"})
_GLIDE_SHARE = 0.35
_SHORTEST_FINAL_MS = 120.0
# A stop or affricate inside a phrase starts with its closure, a short silence: cn1's
# syllables join through a zero-length silence, and without that gap a b was heard as
# w and a j as x (补 as 五, 及 as 习). Speech gets that much longer.
_STOPS = frozenset(
    str.split("b p d t g k j q z c zh ch bi pi di ti ji qi ju qu gu ku du tu zu cu zhu chu")
)
_CLOSURE_MS = 80
# Finals recorded long (diphthongs, nasal codas: ai, ing, un) keep some of that length,
# short ones (a, i, u) give some up: 0 would make every syllable equally long. With 0.4
# Whisper base misheard 24% of the benchmark's characters, with 0 26% (镇 as 正, 元 as 万).
_FINAL_ELASTICITY = 0.4
_MEAN_FINAL_MS = sum(RECORDED_FINAL_MS.values()) / len(RECORDED_FINAL_MS)
_DECLINATION = 0.1  # the register falls by this fraction across a clause
_LEAD_MS = 150  # silence before the first syllable
_TAIL_MS = 300  # and after the last


def pho_script(tokens: Sequence[Token], pace: float = DEFAULT_PACE) -> str:
    """Return the MBROLA .pho script that speaks tokens at pace syllables a second."""
    lines = [f"{SILENCE} {_LEAD_MS}"]
    after_pause = True
    for syllable, pause, position in _with_context(tokens):
        if not after_pause and units(syllable.syllable.pinyin)[0] in _STOPS:
            lines[-1] = f"{SILENCE} {round(_CLOSURE_MS * DEFAULT_PACE / pace)}"
        lines += _syllable_lines(syllable, pause, position, pace)
        lines.append(f"{SILENCE} {_silence_ms(pause, pace)}")
        after_pause = pause is not None
    lines[-1] = f"{SILENCE} {_TAIL_MS}"
    return "\n".join(lines) + "\n"


def _with_context(
    tokens: Sequence[Token],
) -> Iterator[tuple["_Spoken", Pause | None, float]]:
    """Yield each syllable with its neighbours' tones, the pause after it, and its place."""
    clause: list[Syllable] = []
    for token in [*tokens, Pause.SENTENCE]:
        if isinstance(token, Syllable):
            clause.append(token)
            continue
        yield from _clause_context(clause, token)
        clause = []


def _clause_context(
    clause: Sequence[Syllable], end: Pause
) -> Iterator[tuple["_Spoken", Pause | None, float]]:
    """Yield the syllables of a clause (which may hold breath pauses) with their context."""
    for at, syllable in enumerate(clause):
        previous = clause[at - 1].tone if at else 0
        following = clause[at + 1].tone if at + 1 < len(clause) else 0
        pause = end if at + 1 == len(clause) else None
        yield _Spoken(syllable, previous, following), pause, at / max(len(clause) - 1, 1)


class _Spoken:
    """A syllable with the tones around it, which shape its own."""

    def __init__(self, syllable: Syllable, previous: int, following: int) -> None:
        self.syllable = syllable
        self.previous = previous
        self.following = following


def _silence_ms(pause: Pause | None, pace: float) -> int:
    """Return the silence after a syllable: 0 inside a phrase (cn1 needs one there)."""
    if pause is None:
        return 0
    return round(_PAUSE_MS[pause] * DEFAULT_PACE / pace)


def _syllable_lines(
    spoken: _Spoken, pause: Pause | None, position: float, pace: float
) -> list[str]:
    """Return the .pho lines of one syllable: its initial, if any, and its final."""
    syllable = spoken.syllable
    length = 1000.0 / pace * _TONE_LENGTH[syllable.tone]
    if pause is not None:
        length *= _FINAL_LENGTHENING[pause]
    phones = units(syllable.pinyin)
    recorded = RECORDED_FINAL_MS.get(phones[-1], _MEAN_FINAL_MS)
    length *= (recorded / _MEAN_FINAL_MS) ** _FINAL_ELASTICITY
    register = 1.0 - _DECLINATION * position
    pitch = " ".join(f"{at} {_hz(level, register)}" for at, level in _contour(spoken, pause))
    if len(phones) == 1:
        return [f"{phones[0]} {round(length)} {pitch}"]
    share = _GLIDE_SHARE if phones[0] in _GLIDES else _CONSONANT_SHARE
    initial_ms = RECORDED_INITIAL_MS.get(phones[0], 150) * share
    final_ms = max(length - initial_ms, _SHORTEST_FINAL_MS * _TONE_LENGTH[syllable.tone])
    return [f"{phones[0]} {round(initial_ms)}", f"{phones[1]} {round(final_ms)} {pitch}"]


def _contour(spoken: _Spoken, pause: Pause | None) -> Iterable[tuple[int, float]]:
    """Return the pitch targets of a syllable's final as (percent, Chao level)."""
    tone = spoken.syllable.tone
    if tone == 5:
        level = _NEUTRAL_LEVEL[spoken.previous or 5]
        return ((0, level), (100, level - 0.3))
    if tone == 3:
        return _CONTOURS["3" if pause is not None else "3-"]
    if tone == 4 and spoken.following == 4 and pause is None:
        return _CONTOURS["4-4"]
    return _CONTOURS[str(tone)]


def _hz(level: float, register: float) -> int:
    """Return the frequency of a Chao level, lowered by the register's drift."""
    ratio = _HIGH_HZ / _LOW_HZ
    return round(_LOW_HZ * math.pow(ratio, (level - 1) / 4) * register)
