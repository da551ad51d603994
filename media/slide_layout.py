"""Set a slide's title and body in a box: the largest size at which every token fits.

The size search steps through the sizes a typeface offers on the screen (any pixel
size for an outline face, native sizes and their whole multiples for a dot-matrix
one), breaks the text at each (media.linebreak) and keeps the largest at which no
token overflows a line and the block fits the box; then it evens out the lines.
"""

from dataclasses import dataclass, replace

from media.linebreak import Measure, break_lines, break_with_fit, truncate
from media.typeset import TextSize, Typeface

Box = tuple[int, int, int, int]

BAR_MAX_HEIGHT = 128
TITLE_SCALE = 1.25
# Dot-matrix LED modules are built around 16×16 characters.
DOT_MIN_PX = 16
# A big screen's text is never so large that a line holds fewer characters than this.
MIN_CHARS_PER_LINE = 7


@dataclass(frozen=True)
class Layout:
    """A title and a body set at their sizes and broken into lines."""

    title_size: TextSize
    body_size: TextSize
    title_lines: list[str]
    body_lines: list[str]


@dataclass(frozen=True)
class Page:
    """What a layout is set in and on: the typeface and the area text may use."""

    typeface: Typeface
    box: Box
    banded: bool


def default_min_glyph_px(height: int, width: int | None = None) -> int:
    """Return the smallest text size still readable from across a village square."""
    if height <= BAR_MAX_HEIGHT:
        return max(12, height // 5)
    # A portrait screen is read at the distance its width allows.
    return max(16, min(height, width or height) // 18)


def text_box(width: int, height: int, dot_matrix: bool = False) -> Box:
    """Return the area inside the margins, which grow with the screen."""
    if dot_matrix:
        # LED modules have no bezel to keep clear: a 32-row module holds two 16-dot lines.
        margin_x, margin_y = max(0, width // 64 - 1), max(0, height // 32 - 1)
    else:
        margin_x, margin_y = max(2, round(width * 0.035)), max(2, round(height * 0.05))
    return margin_x, margin_y, width - 2 * margin_x, height - 2 * margin_y


def size_range(
    width: int, height: int, box: Box, typeface: Typeface, min_glyph_px: int | None
) -> list[TextSize]:
    """List the sizes text may take on this screen, smallest (the legible minimum) first."""
    min_px = min_glyph_px or default_min_glyph_px(height, width)
    if typeface.dot_matrix and not min_glyph_px:
        # 16 dots is the LED-module standard; 12 only where 16 cannot fit.
        min_px = max(min_px, min(DOT_MIN_PX, box[3]))
    # A bar shows its text as tall as it can; on a big screen, text above a quarter
    # of its height would break a short title into a stack of huge fragments, and
    # a portrait screen's lines must still hold a few words.
    big_screen_px = min(height // 4, box[2] // MIN_CHARS_PER_LINE)
    max_px = box[3] if height <= BAR_MAX_HEIGHT else big_screen_px
    sizes = typeface.sizes(min_px, max(min_px, max_px))
    return sizes or [typeface.size_at_most(max(min_px, max_px))]


def _title_size(
    title: str, body: str, size: TextSize, typeface: Typeface
) -> tuple[TextSize, TextSize]:
    """Return (title, body) sizes for a search size, which is the smaller text's size."""
    if not (title and body):
        return (size, TextSize(0)) if title else (TextSize(0), size)
    if typeface.dot_matrix:
        return size, size  # a bar has no room for two sizes of dots
    return TextSize(round(size.px * TITLE_SCALE)), size


def block_height(lines: list[str], size: TextSize, typeface: Typeface) -> int:
    if not lines:
        return 0
    above, below = typeface.ink(size)
    return (len(lines) - 1) * typeface.pitch(size) + above + below


def gap(layout: Layout, page: Page) -> int:
    """Return the space between title and body: the band's padding, or part of a line."""
    if not (layout.title_lines and layout.body_lines):
        return 0
    if page.typeface.dot_matrix:
        return 0
    return 2 * page.box[1] if page.banded else round(layout.body_size.px * 0.6)


def stack_height(layout: Layout, page: Page) -> int:
    title_h = block_height(layout.title_lines, layout.title_size, page.typeface)
    body_h = block_height(layout.body_lines, layout.body_size, page.typeface)
    return title_h + gap(layout, page) + body_h


def _try_layout(title: str, body: str, page: Page, size: TextSize) -> Layout | None:
    """Set the text at one size; None if a token or the block does not fit the box."""
    title_size, body_size = _title_size(title, body, size, page.typeface)
    title_lines: list[str] = []
    body_lines: list[str] = []
    if title:
        broken = break_with_fit(title, page.typeface.measure(title_size), page.box[2])
        if not broken.fits:
            return None
        title_lines = broken.lines
    if body:
        broken = break_with_fit(body, page.typeface.measure(body_size), page.box[2])
        if not broken.fits:
            return None
        body_lines = broken.lines
    layout = Layout(title_size, body_size, title_lines, body_lines)
    return layout if stack_height(layout, page) <= page.box[3] else None


def largest_layout(title: str, body: str, page: Page, sizes: list[TextSize]) -> Layout | None:
    """Binary-search the largest size that fits; None if even the smallest does not."""
    if not (title or body):
        return Layout(TextSize(0), TextSize(0), [], [])
    best = _try_layout(title, body, page, sizes[0])
    if best is None:
        return None
    low, high = 0, len(sizes) - 1
    while low < high:
        mid = (low + high + 1) // 2
        layout = _try_layout(title, body, page, sizes[mid])
        if layout is None:
            high = mid - 1
        else:
            low, best = mid, layout
    return _balance(best, title, body, page)


def _balance(layout: Layout, title: str, body: str, page: Page) -> Layout:
    """Even out the lines of title and body, so neither ends in a stray word or two."""
    typeface = page.typeface
    if len(layout.title_lines) > 1:
        measure = typeface.measure(layout.title_size)
        layout = replace(layout, title_lines=_even_lines(title, layout.title_lines, measure, page))
    if len(layout.body_lines) > 1:
        measure = typeface.measure(layout.body_size)
        layout = replace(layout, body_lines=_even_lines(body, layout.body_lines, measure, page))
    return layout


def _even_lines(text: str, lines: list[str], measure: Measure, page: Page) -> list[str]:
    """Break text again at the narrowest width that needs no more lines than it has."""
    count = len(lines)
    low, high = 1, page.box[2]
    while low < high:
        mid = (low + high) // 2
        broken = break_with_fit(text, measure, mid)
        if broken.fits and len(broken.lines) <= count:
            high = mid
        else:
            low = mid + 1
    return break_lines(text, measure, high)


def truncated_layout(text: str, is_title: bool, page: Page, size: TextSize) -> Layout:
    """Set the start of text at the smallest size: whole lines that fit, the last ending in "…"."""
    measure = page.typeface.measure(size)
    lines = break_lines(text, measure, page.box[2])
    above, below = page.typeface.ink(size)
    room = max(1, 1 + (page.box[3] - above - below) // page.typeface.pitch(size))
    lines = truncate(lines, room, measure, page.box[2])
    if is_title:
        return Layout(size, TextSize(0), lines, [])
    return Layout(TextSize(0), size, [], lines)
