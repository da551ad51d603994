"""Break Chinese text into lines the way a typesetter would (禁则).

Lines break between characters, never inside a number, a date, a time or a Latin
word; closing punctuation never starts a line and an opening bracket never ends one.
"""

import re
from collections.abc import Callable

from PIL import ImageFont

from media.errors import SlideError

# Chinese typesetting rules (禁则): these never start a line ...
NO_LINE_START = frozenset("，。、；：？！）》」』】〕〗〉］｝…‥％‰·～”’,.;:?!)]}%")
# ... and these never end one.
NO_LINE_END = frozenset("（《「『【〔〖〈［｛“‘([{")
# A number keeps its unit ("2023年", "30分"), and after these a following number
# continues the same date or time ("2023年3月28日", "18时30分").
_UNITS = frozenset("年月日号时点分秒岁元万亿个人次户名项")
_DATE_LINKS = frozenset("年月时点")
_DIGITS = frozenset("0123456789")
# Latin words and numbers, with the punctuation that may sit inside them.
_ATOM = re.compile(r"[0-9A-Za-z]+(?:[.:,/'’_@&+\-][0-9A-Za-z]+)*[%％]?|.", re.DOTALL)


def break_lines(text: str, font: ImageFont.FreeTypeFont, max_width: int) -> list[str]:
    """Break text into lines no wider than max_width, following Chinese line-breaking rules."""
    return break_with_fit(text, font, max_width)[0]


def break_with_fit(
    text: str, font: ImageFont.FreeTypeFont, max_width: int
) -> tuple[list[str], bool]:
    """Break text into lines and tell whether every line fits max_width."""
    if max_width <= 0:
        raise SlideError(f"cannot set text in a line {max_width} pixels wide")
    widths: dict[str, float] = {}

    def width(atom: str) -> float:
        if atom not in widths:
            widths[atom] = font.getlength(atom)
        return widths[atom]

    lines: list[str] = []
    fits = True
    for paragraph in text.replace("\r\n", "\n").split("\n"):
        atoms: list[str] = []
        for atom in _atoms(paragraph):
            # A word wider than the whole line is the one case where it is split.
            atoms.extend(list(atom) if len(atom) > 1 and width(atom) > max_width else [atom])
        fits = fits and all(width(atom) <= max_width for atom in atoms)
        lines.extend(_break_paragraph(atoms, width, font, max_width) or [""])
    return lines, fits


def _atoms(paragraph: str) -> list[str]:
    """Split a paragraph into unbreakable pieces: characters, words, numbers with units."""
    atoms: list[str] = []
    for atom in _ATOM.findall(paragraph):
        prev = atoms[-1] if atoms else ""
        number_unit = prev[-1:] in _DIGITS and atom in _UNITS
        date_part = prev[-1:] in _DATE_LINKS and prev[-2:-1] in _DIGITS and atom[0] in _DIGITS
        if number_unit or date_part:
            atoms[-1] += atom
        else:
            atoms.append(atom)
    return atoms


def _break_paragraph(
    atoms: list[str],
    width: Callable[[str], float],
    font: ImageFont.FreeTypeFont,
    max_width: int,
) -> list[str]:
    """Fill lines greedily, then move each break back until the rules allow it."""
    lines: list[str] = []
    start = 0
    while start < len(atoms):
        if atoms[start].isspace():
            start += 1
            continue
        end, used = start + 1, width(atoms[start])
        while end < len(atoms) and used + width(atoms[end]) <= max_width:
            used += width(atoms[end])
            end += 1
        end = _settle(atoms, font, max_width, start, end)
        lines.append("".join(atoms[start:end]).rstrip())
        start = end
    return lines


def _settle(
    atoms: list[str], font: ImageFont.FreeTypeFont, max_width: int, start: int, end: int
) -> int:
    """Return where the line from start really ends: measured to fit, at an allowed break."""
    # Kerning can make a line wider than the sum of its pieces; the measurement decides.
    while end - start > 1 and font.getlength("".join(atoms[start:end]).rstrip()) > max_width:
        end -= 1
    if end == len(atoms):
        return end
    # Pulling characters down to the next line keeps a closing mark off its start
    # and an opening bracket off this line's end; a line made only of such marks
    # keeps the greedy break, since there is no better one.
    allowed = end
    while allowed - start > 1 and not _can_break(atoms, allowed):
        allowed -= 1
    return allowed if _can_break(atoms, allowed) else end


def _can_break(atoms: list[str], end: int) -> bool:
    """Tell whether a line may end before atoms[end]; spaces at the break do not count."""
    before = next((atom for atom in reversed(atoms[:end]) if not atom.isspace()), " ")
    after = next((atom for atom in atoms[end:] if not atom.isspace()), " ")
    return after[0] not in NO_LINE_START and before[-1] not in NO_LINE_END
