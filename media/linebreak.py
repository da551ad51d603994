"""Break Chinese text into lines the way a typesetter would (禁则).

The text is cut into tokens that never split: a number with its separators, sign
and unit ("0595-2234567", "8:00-17:30", "-2℃", "15.6万元", "第7年",
"2023年4月9日"), a Latin word, a short 《title》 or （aside）, or a doubled mark (……, ——).
Closing marks cling to the token before them and opening marks to the token after
them, so every break between these segments obeys the rules, even on a line that
holds a single token. Lines are then filled greedily and the last one is kept
from being a widow. A segment wider than the line is never split: it stays whole
and the result says the text does not fit, so the caller shrinks it or scrolls it.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass

from media.errors import SlideError

Measure = Callable[[str], float]

# Chinese typesetting rules (禁则): these never start a line ...
NO_LINE_START = frozenset("，。、；：？！）》」』】〕〗〉］｝…‥—％‰℃·～”’,.;:?!)]}%")
# ... and these never end one.
NO_LINE_END = frozenset("（《「『【〔〖〈［｛“‘([{")
# Marks dropped before the "…" of a cut line: "今晚停电，…" reads worse than "今晚停电…".
_PAUSES = "，、；：,;: \u3000"
TITLE_MAX_CHARS = 12
ASIDE_MAX_CHARS = 4

# Units and measure words a number keeps ("2000余份", "15.6万元", "3个", "-2℃").
_UNITS = (
    "年月日号时点分秒岁元角万亿千百余多个人次户名项"
    "份件张本台辆座所家条天周期届批位倍层栋组队米吨斤亩度级"
)
_DIGIT_GROUP = r"[0-9]+(?:[.,:/][0-9]+)*"
# A number and whatever numbers it is joined to by a range or a phone dash
# ("8:00-17:30", "0595-2234567", "138 1234 5678"), with its sign and unit.
_NUMBER = (
    rf"(?:(?<![0-9A-Za-z])[-+－](?=[0-9]))?{_DIGIT_GROUP}"
    rf"(?:(?:[-–—~～－]|\s(?=[0-9]{{3,}}))[0-9][0-9.,:/]*(?<![.,:/]))*"
    r"(?:[%％‰℃]|°C|[A-Za-z]+)?"
)
_UNIT_WORDS = (
    "公里", "公斤", "千克", "千米", "厘米", "毫米",
    "平方米", "立方米", "小时", "分钟", "千瓦时", "周岁",
)  # fmt: skip
_UNIT = "|".join([*_UNIT_WORDS, f"[{_UNITS}]"])
# After these a following number continues the same date or time ("2023年4月9日", "18时30分").
_DATE_LINK = "[年月时点]"
_QUANTITY = rf"{_NUMBER}(?:(?:{_UNIT}){{1,3}}(?:(?<={_DATE_LINK}){_NUMBER}(?:{_UNIT}){{0,2}})*)?"
# A range of dates or amounts keeps its dash, which would read as a minus at a line start.
_AMOUNT = rf"(?:第)?{_QUANTITY}(?:[-–—~～－](?=[0-9]){_QUANTITY})?"
_TOKEN = re.compile(
    rf"{_AMOUNT}"
    r"|[A-Za-z][A-Za-z0-9]*(?:[.'’_@&+\-/][A-Za-z0-9]+)*"  # Latin words, addresses
    rf"|《[^《》\n]{{1,{TITLE_MAX_CHARS}}}》"
    rf"|（[^（）\n]{{1,{ASIDE_MAX_CHARS}}}）|\([^()\n]{{1,{ASIDE_MAX_CHARS}}}\)"  # （周五）, (社区)
    r"|……|——|\.{3,}|\s+|.",
    re.DOTALL,
)
# What counts as a character of text when looking for a widow, not a mark.
_WORD_CHAR = re.compile(r"\w")


@dataclass(frozen=True)
class Broken:
    """Lines set from a text, and whether every one of them fits the width."""

    lines: list[str]
    fits: bool


def tokens(paragraph: str) -> list[str]:
    """Cut a paragraph into pieces that are never split across lines."""
    return _TOKEN.findall(paragraph)


def segments(paragraph: str) -> list[str]:
    """Group tokens so that a line may break between any two: marks cling to their text."""
    groups: list[str] = []
    pending_open = ""
    for token in tokens(paragraph):
        if token[0] in NO_LINE_START and groups and not pending_open:
            # A closing mark stays with what it closes, even across a space ("五 ，").
            space = groups.pop() if groups[-1].isspace() and len(groups) > 1 else ""
            groups[-1] += space + token
        elif token[-1] in NO_LINE_END or (pending_open and token.isspace()):
            pending_open += token  # an opening mark waits for what it opens ("“ 五")
        elif token.isspace():
            groups.append(token)
        else:
            groups.append(pending_open + token)
            pending_open = ""
    if pending_open:
        groups.append(pending_open)
    return groups


def break_lines(text: str, measure: Measure, max_width: float) -> list[str]:
    """Break text into lines no wider than max_width, following Chinese line-breaking rules."""
    return break_with_fit(text, measure, max_width).lines


def break_with_fit(text: str, measure: Measure, max_width: float) -> Broken:
    """Break text into lines and tell whether every line fits max_width."""
    if max_width <= 0:
        raise SlideError(f"cannot set text in a line {max_width} pixels wide")
    lines: list[str] = []
    for paragraph in text.replace("\r\n", "\n").split("\n"):
        lines.extend(_break_paragraph(segments(paragraph), measure, max_width) or [""])
    return Broken(lines, all(measure(line) <= max_width for line in lines))


def truncate(lines: list[str], room: int, measure: Measure, max_width: float) -> list[str]:
    """Keep the first room lines that fit whole, the last one ending in "…" at a segment."""
    kept: list[str] = []
    for line in lines:
        if len(kept) == room or measure(line) > max_width:
            break
        kept.append(line)
    if len(kept) == len(lines):
        return kept
    if not kept:
        return ["…"]
    pieces = segments(kept[-1])
    while pieces and measure("".join(pieces).rstrip(_PAUSES) + "…") > max_width:
        pieces.pop()
    kept[-1] = "".join(pieces).rstrip(_PAUSES) + "…"
    return kept


def is_widow(line: str) -> bool:
    """Tell whether a line holds a single character of text, with or without its marks."""
    return len(_WORD_CHAR.findall(line)) == 1


def _break_paragraph(pieces: list[str], measure: Measure, max_width: float) -> list[str]:
    """Fill lines greedily with whole segments, then keep the last line from being a widow."""
    widths = {piece: measure(piece) for piece in set(pieces)}
    lines: list[list[str]] = []
    current: list[str] = []
    used = 0.0
    for piece in pieces:
        if not current and piece.isspace():
            continue  # no line starts with a space
        # A space at the end of a line is dropped, so only what follows it must fit.
        if current and not piece.isspace() and used + widths[piece] > max_width:
            lines.append(current)
            current, used = [], 0.0
        current.append(piece)
        used += widths[piece]
    if current:
        lines.append(current)
    lines = _measured(lines, measure, max_width)
    _avoid_widow(lines, measure, max_width)
    return ["".join(line).strip() for line in lines]


def _measured(lines: list[list[str]], measure: Measure, max_width: float) -> list[list[str]]:
    """Move segments down where a whole line measures wider than its parts (kerning)."""
    checked: list[list[str]] = []
    carry: list[str] = []
    for line in lines:
        line = [*carry, *line]
        carry = []
        while len(line) > 1 and measure("".join(line).strip()) > max_width:
            carry.insert(0, line.pop())
        checked.append(line)
    if carry:
        checked.extend(_measured([carry], measure, max_width))
    return checked


def _avoid_widow(lines: list[list[str]], measure: Measure, max_width: float) -> None:
    """Move a segment down from the line before a lone last character, where it fits."""
    if len(lines) < 2 or not is_widow("".join(lines[-1])):
        return
    before = list(lines[-2])
    while before and before[-1].isspace():
        before.pop()
    if len(before) < 2 or is_widow("".join(before[:-1])):
        return
    moved = [before[-1], *lines[-1]]
    if measure("".join(moved).strip()) <= max_width:
        lines[-2], lines[-1] = before[:-1], moved
