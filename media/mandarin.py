"""The Mandarin front end: text for the ear → syllables with tones, and pauses.

Input is text already rewritten for the ear by ``media.textnorm`` (numbers in
words, phone numbers digit by digit). Each clause is read word by word
(``media.pinyin``), its tones changed as connected speech changes them
(``media.sandhi``) within each phrase: long clauses are broken into phrases with
short pauses at word boundaries, where a broadcaster takes a breath.
"""

import enum
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from media.pinyin import Word, read_han
from media.sandhi import apply_sandhi

# Raise when a change here or in pinyin, polyphones, sandhi, prosody or cn1 changes a clip.
FRONT_END_VERSION = "3"


class Pause(enum.Enum):
    """A silence in speech, shortest first."""

    PHRASE = "|"  # a breath inside a long clause
    LIST = "、"  # between the items of a list
    CLAUSE = "，"  # at ，；：
    SENTENCE = "。"  # at 。！？


@dataclass(frozen=True)
class Syllable:
    """One spoken syllable: its character, toneless pinyin and tone (5 = neutral).

    word_start tells that a word begins with it; it does not take part in equality.
    """

    char: str
    pinyin: str
    tone: int
    word_start: bool = field(default=False, compare=False)

    def __str__(self) -> str:
        return f"{self.pinyin}{self.tone}"


Token = Syllable | Pause

_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_PUNCTUATION = {
    **dict.fromkeys("。！？!?\n", Pause.SENTENCE),
    **dict.fromkeys("，；：,;:…—", Pause.CLAUSE),
    "、": Pause.LIST,
}
_PIECE = re.compile(rf"[{_HAN}]+|[A-Za-z]+|\d")
_DIGIT_WORDS = dict(zip("0123456789", "零幺二三四五六七八九", strict=True))
# Letters as Chinese listeners say them, in syllables the voice has.
_LETTERS = {
    "a": "ei1", "b": "bi4", "c": "xi1", "d": "di4", "e": "yi4", "f": "ai4 fu5",
    "g": "ji4", "h": "ai4 qi1", "i": "ai4", "j": "jie4", "k": "kai4", "l": "ai4 le5",
    "m": "ai4 mu5", "n": "en1", "o": "ou1", "p": "pi4", "q": "qiu1", "r": "a4 er3",
    "s": "ai4 si1", "t": "ti4", "u": "you1", "v": "wei1", "w": "da2 bu5 liu1",
    "x": "ai4 ke4 si1", "y": "wai4", "z": "zei4",
}  # fmt: skip

# Words a broadcaster takes a breath before: conjunctions, prepositions, modals.
_BREATH_BEFORE = frozenset(
    str.split(
        "和 与 及 以及 并 并且 或 或者 而 但 但是 如 如有 如果 若 对 对于 按照 根据 通过 由 由于 "
        "为了 请 将 把 在 从 向 凡 须 必须 要 应 应当 可 可以 不得 严禁 禁止 确保 以便 以免 "
        "同时 其中 包括 共同 进一步 切实 积极 认真 主动 及时 做好 加强 推进 坚持"
    )
)
_NUMBER_CHARS = frozenset("零〇幺一二两三四五六七八九十百千万亿点分秒年月日号时")
_DIGIT_CHARS = frozenset("零〇幺一二两三四五六七八九十百千万亿")
# Adverbs and determiners that lean on the next word: no breath after them (也 | 可以).
_LEANING_ON_NEXT = frozenset(
    str.split("也 都 就 还 又 才 很 最 更 太 不 没 再 已 已经 第 每 各 该")
)
# Particles and postpositions that lean on the word before: no breath before them.
_LEANING_ON_PREVIOUS = frozenset(str.split("的 地 得 了 着 过 们 以上 以下 以内 之"))
_SHORTEST_PHRASE = 3  # syllables on each side of a breath
_LONGEST_PHRASE = 9


def transcribe(text: str) -> list[Token]:
    """Return text as the syllables and pauses it is spoken with."""
    tokens: list[Token] = []
    for clause, pause in _clauses(text):
        # Tones change within a breath group, never across the breath between two.
        for phrase in map(apply_sandhi, _phrases(_words(clause))):
            if tokens and isinstance(tokens[-1], Syllable):
                tokens.append(Pause.PHRASE)
            tokens += [
                Syllable(char, syllable[:-1], int(syllable[-1]), word_start=index == 0)
                for word in phrase
                for index, (char, syllable) in enumerate(
                    zip(word.text, word.syllables, strict=True)
                )
            ]
        if tokens and isinstance(tokens[-1], Syllable):
            tokens.append(pause)
        elif tokens and isinstance(tokens[-1], Pause):
            tokens[-1] = max(tokens[-1], pause, key=_PAUSE_ORDER.index)
    return tokens


_PAUSE_ORDER = list(Pause)


def spell(tokens: Sequence[Token]) -> str:
    """Write tokens as tone-numbered pinyin with pause marks: "bu2 shi4 ，"."""
    return " ".join(token.value if isinstance(token, Pause) else str(token) for token in tokens)


def _clauses(text: str) -> Iterator[tuple[str, Pause]]:
    """Split text at punctuation into clauses and the pause that ends each."""
    clause: list[str] = []
    for char in text:
        pause = _PUNCTUATION.get(char)
        if pause is None:
            clause.append(char)
            continue
        # A mark after a mark still counts: "好，。" ends with a full stop.
        yield "".join(clause), pause
        clause = []
    if clause:
        yield "".join(clause), Pause.SENTENCE


def _words(clause: str) -> list[Word]:
    """Read a clause as words: Chinese by the dictionaries, digits and letters one by one."""
    words: list[Word] = []
    for piece in _PIECE.findall(clause):
        if piece.isdigit():
            words += read_han(_DIGIT_WORDS[piece])
        elif piece.isascii():
            words += [_spelled(letter) for letter in piece.lower()]
        else:
            words += read_han(piece)
    return words


def _spelled(letter: str) -> Word:
    """Return a Latin letter as Chinese listeners say its name."""
    syllables = tuple(_LETTERS[letter].split())
    return Word(letter * len(syllables), syllables)


def _phrases(words: Sequence[Word]) -> list[list[Word]]:
    """Group a clause's words into breath groups."""
    total = sum(len(word.syllables) for word in words)
    phrases: list[list[Word]] = [[]]
    length = 0
    spoken = 0
    for word in words:
        current = phrases[-1]
        remaining = total - spoken
        if current and _breath_between(current[-1], word, length, remaining):
            phrases.append([])
            length = 0
        phrases[-1].append(word)
        length += len(word.syllables)
        spoken += len(word.syllables)
    return [phrase for phrase in phrases if phrase]


def _breath_between(previous: Word, word: Word, length: int, remaining: int) -> bool:
    """Tell whether a breath goes between previous and word."""
    if length < _SHORTEST_PHRASE or remaining < _SHORTEST_PHRASE:
        return False
    if previous.text[-1] in _NUMBER_CHARS and word.text[0] in _NUMBER_CHARS:
        return False  # never inside a number, date or time
    if previous.text[-1] in _DIGIT_CHARS or previous.text in _LEANING_ON_NEXT:
        return False  # nor between a number and its unit (五 | 摄氏度), nor after 也, 都
    if word.text in _LEANING_ON_PREVIOUS:
        return False
    if word.text in _BREATH_BEFORE:
        return True
    if previous.text.endswith("的") and length >= 5:
        return True
    return length + len(word.syllables) > _LONGEST_PHRASE
