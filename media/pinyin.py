"""Read runs of Chinese characters as words with their pinyin.

jieba cuts a run into words, pypinyin reads each word with its phrase data, and the
rules of ``media.polyphones`` settle what both leave wrong. The two dictionaries
load on the first call, never at import: a process that never speaks Mandarin
never pays for them (figures in README.md).
"""

import logging
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from media.polyphones import RULES

logger = logging.getLogger(__name__)

# A toneless syllable and its tone: "zhang3"; 5 is the neutral tone.
_SYLLABLE = re.compile(r"^[a-z]+[1-5]$")


@dataclass(frozen=True)
class Word:
    """A word as spoken: its characters and one pinyin syllable ("zhang3") for each."""

    text: str
    syllables: tuple[str, ...]


class _Reader:
    """jieba's word list and pypinyin's phrase data, loaded together."""

    def __init__(self) -> None:
        import jieba  # type: ignore[import-untyped]
        from pypinyin import Style, lazy_pinyin
        from pypinyin.constants import PHRASES_DICT
        from pypinyin.seg.mmseg import seg

        # jieba logs its dictionary loading at DEBUG on its own stderr handler.
        jieba.setLogLevel(logging.WARNING)
        self._tokenizer = jieba.Tokenizer()
        self._tokenizer.initialize()
        self._style = Style.TONE3
        self._lazy_pinyin: Callable[..., list[str]] = lazy_pinyin
        self._phrases: dict[str, Any] = PHRASES_DICT
        self._phrase_cut: Callable[[str], Any] = seg.cut

    def cut(self, run: str) -> list[str]:
        """Cut a run of Chinese characters into words."""
        return [word for word in self._tokenizer.cut(run, HMM=True) if word]

    def read(self, word: str) -> tuple[list[str | None], list[bool]]:
        """Return the pinyin of each character and whether a dictionary phrase gave it."""
        readings = self._lazy_pinyin(
            word,
            style=self._style,
            neutral_tone_with_five=True,
            errors=lambda chars: [""] * len(chars),
        )
        syllables = [r if _SYLLABLE.match(r) else None for r in readings]
        if len(syllables) != len(word):
            syllables = [self._single(char) for char in word]
        from_phrase: list[bool] = []
        for piece in self._phrase_cut(word):
            from_phrase += [len(piece) > 1 and piece in self._phrases] * len(piece)
        return syllables, from_phrase

    def _single(self, char: str) -> str | None:
        reading = self._lazy_pinyin(char, style=self._style, neutral_tone_with_five=True)
        return reading[0] if reading and _SYLLABLE.match(reading[0]) else None


_lock = threading.Lock()
_reader: _Reader | None = None


def _loaded_reader() -> _Reader:
    """Load the dictionaries once, on first use."""
    global _reader
    if _reader is None:
        _reader = _Reader()
    return _reader


def read_han(run: str) -> list[Word]:
    """Return a run of Chinese characters as words, each with its pinyin."""
    with _lock:
        reader = _loaded_reader()
        words = reader.cut(run)
        spoken: list[Word] = []
        start = 0
        for word in words:
            syllables, from_phrase = reader.read(word)
            settled = _settle(run, start, word, syllables, from_phrase)
            kept = [(c, s) for c, s in zip(word, settled, strict=True) if s is not None]
            if kept:
                spoken.append(
                    Word("".join(c for c, _ in kept), tuple(s for _, s in kept if s is not None))
                )
            start += len(word)
        return spoken


def _settle(
    run: str,
    start: int,
    word: str,
    syllables: Sequence[str | None],
    from_phrase: Sequence[bool],
) -> list[str | None]:
    """Apply the polyphone rules to the characters of word, which starts at run[start]."""
    settled = list(syllables)
    for offset, char in enumerate(word):
        rules = RULES.get(char)
        if not rules or settled[offset] is None:
            continue
        at = start + offset
        before, after = run[:at], run[at + 1 :]
        for rule in rules:
            if from_phrase[offset] and not rule.over_phrases:
                break
            if rule.matches(before, after):
                settled[offset] = rule.reading
                break
    return settled
