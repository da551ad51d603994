"""Draw announcement slides at each screen's exact pixel size.

Text is set as large as the screen allows, shrinking before any number, date or
word would have to split (media.linebreak); what cannot fit even at the smallest
readable size goes onto a one-line strip the screen page scrolls, and the still
shows its start in whole tokens. Single-colour LED screens use a dot-matrix face.
"""

import io
import re
from dataclasses import dataclass, replace
from pathlib import Path

from PIL import Image, ImageDraw

from media.errors import SlideError
from media.files import atomic_output
from media.fonts import FontFace
from media.linebreak import Measure, break_lines, break_with_fit, truncate
from media.typeset import TextSize, Typeface

RGB = tuple[int, int, int]
Box = tuple[int, int, int, int]

BAR_MAX_HEIGHT = 128
TITLE_SCALE = 1.25
# Dot-matrix LED modules are built around 16×16 characters.
DOT_MIN_PX = 16
# A big screen's text is never so large that a line holds fewer characters than this.
MIN_CHARS_PER_LINE = 7


@dataclass(frozen=True)
class Theme:
    """Colours of a slide; single-colour LED screens need text without antialiasing."""

    name: str
    background: RGB
    title: RGB
    body: RGB
    antialias: bool
    band: RGB | None = None  # drawn behind the title when the slide also has a body
    background_bottom: RGB | None = None  # the lower end of a vertical gradient


THEMES: dict[str, Theme] = {
    theme.name: theme
    for theme in (
        Theme("led-red", (0, 0, 0), (255, 42, 0), (255, 42, 0), antialias=False),
        Theme("led-amber", (0, 0, 0), (255, 176, 0), (255, 176, 0), antialias=False),
        Theme(
            "color",
            (12, 34, 82),
            (255, 255, 255),
            (228, 235, 247),
            antialias=True,
            band=(190, 24, 30),
            background_bottom=(5, 15, 42),
        ),
        Theme("high-contrast", (0, 0, 0), (255, 255, 255), (255, 255, 255), antialias=True),
    )
}


@dataclass(frozen=True)
class RenderedSlide:
    """A slide drawn for one screen, with the scrolling strip for text that did not fit."""

    image: Image.Image
    scroll: Image.Image | None
    font_px: int  # the body's text size, or the title's on a slide without body
    lines: list[str]  # every line on the still image, title lines first
    title_px: int = 0
    title_line_count: int = 0
    box: Box = (0, 0, 0, 0)  # left, top, width, height of the area text may use
    font_name: str = ""
    dot_matrix: bool = False  # drawn in a bitmap face at a native size (or a whole multiple)
    title_size: TextSize = TextSize(0)
    body_size: TextSize = TextSize(0)

    @property
    def mode(self) -> str:
        """Return "scroll" when the screen scrolls the text, else "still"."""
        return "still" if self.scroll is None else "scroll"


@dataclass(frozen=True)
class _Layout:
    title_size: TextSize
    body_size: TextSize
    title_lines: list[str]
    body_lines: list[str]


@dataclass(frozen=True)
class _Page:
    """What a layout is set in and on: the typeface and the area text may use."""

    typeface: Typeface
    box: Box
    banded: bool


def theme_for(width: int, height: int, name: str = "auto") -> Theme:
    """Return the named theme, or for "auto" the one that suits the screen's shape."""
    if name == "auto":
        return THEMES["led-red" if height <= BAR_MAX_HEIGHT else "color"]
    if name not in THEMES:
        known = ", ".join(["auto", *THEMES])
        raise SlideError(f"unknown slide theme {name!r}; use one of: {known}")
    return THEMES[name]


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


def render_slide(
    title: str,
    body: str,
    width: int,
    height: int,
    *,
    theme: Theme,
    font: FontFace,
    min_glyph_px: int | None = None,
    dot_font: Typeface | None = None,
) -> RenderedSlide:
    """Render a slide at the screen's pixel size, with text as large as fits.

    A single-colour theme uses dot_font, a bitmap face, when one is given.
    """
    if width < 16 or height < 8:
        raise SlideError(f"a screen of {width}×{height} pixels is too small for a slide")
    title, body = _distinct_title(title, body)
    typeface = dot_font if dot_font is not None and not theme.antialias else Typeface(font)
    box = text_box(width, height, typeface.dot_matrix)
    sizes = _size_range(width, height, box, typeface, min_glyph_px)
    page = _Page(typeface, box, theme.band is not None and bool(title and body))
    layout = _largest_layout(title, body, page, sizes)
    scroll = None
    if layout is None:
        # The whole text goes onto the scrolling strip; the still shows where it starts.
        scroll = _scroll_strip(title, body, typeface, (width, height), theme, sizes[0])
        page = replace(page, banded=False)
        layout = _largest_layout(title, "", page, sizes) if title else None
        layout = layout or _truncated_layout(title or body, bool(title), page, sizes[0])
    image = _draw(layout, theme, page, (width, height))
    return RenderedSlide(
        image=image,
        scroll=scroll,
        font_px=(layout.body_size if layout.body_lines else layout.title_size).height,
        lines=[*layout.title_lines, *layout.body_lines],
        title_px=layout.title_size.height,
        title_line_count=len(layout.title_lines),
        box=box,
        font_name=typeface.name,
        dot_matrix=typeface.dot_matrix,
        title_size=layout.title_size,
        body_size=layout.body_size,
    )


def describe(rendered: RenderedSlide) -> dict[str, object]:
    """Return a slide's layout as plain data: mode, font, sizes and lines as text."""
    count = rendered.title_line_count
    return {
        "mode": rendered.mode,
        "font": rendered.font_name,
        "dot_matrix": rendered.dot_matrix,
        "px": rendered.font_px,
        "title_px": rendered.title_px if count else 0,
        "title_lines": rendered.lines[:count],
        "lines": rendered.lines[count:],
    }


def _distinct_title(title: str, body: str) -> tuple[str, str]:
    """Drop a title that only repeats the start of the body (a notice titled by its first words)."""
    title, body = title.strip(), body.strip()
    if title and body and _bare(body).startswith(_bare(title).rstrip("…")):
        return "", body
    return title, body


def _bare(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _size_range(
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


def _block_height(lines: list[str], size: TextSize, typeface: Typeface) -> int:
    if not lines:
        return 0
    above, below = typeface.ink(size)
    return (len(lines) - 1) * typeface.pitch(size) + above + below


def _gap(layout: _Layout, page: _Page) -> int:
    """Return the space between title and body: the band's padding, or part of a line."""
    if not (layout.title_lines and layout.body_lines):
        return 0
    if page.typeface.dot_matrix:
        return 0
    return 2 * page.box[1] if page.banded else round(layout.body_size.px * 0.6)


def _stack_height(layout: _Layout, page: _Page) -> int:
    title_h = _block_height(layout.title_lines, layout.title_size, page.typeface)
    body_h = _block_height(layout.body_lines, layout.body_size, page.typeface)
    return title_h + _gap(layout, page) + body_h


def _try_layout(title: str, body: str, page: _Page, size: TextSize) -> _Layout | None:
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
    layout = _Layout(title_size, body_size, title_lines, body_lines)
    return layout if _stack_height(layout, page) <= page.box[3] else None


def _largest_layout(title: str, body: str, page: _Page, sizes: list[TextSize]) -> _Layout | None:
    """Binary-search the largest size that fits; None if even the smallest does not."""
    if not (title or body):
        return _Layout(TextSize(0), TextSize(0), [], [])
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


def _balance(layout: _Layout, title: str, body: str, page: _Page) -> _Layout:
    """Even out the lines of title and body, so neither ends in a stray word or two."""
    typeface = page.typeface
    if len(layout.title_lines) > 1:
        measure = typeface.measure(layout.title_size)
        layout = replace(layout, title_lines=_even_lines(title, layout.title_lines, measure, page))
    if len(layout.body_lines) > 1:
        measure = typeface.measure(layout.body_size)
        layout = replace(layout, body_lines=_even_lines(body, layout.body_lines, measure, page))
    return layout


def _even_lines(text: str, lines: list[str], measure: Measure, page: _Page) -> list[str]:
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


def _truncated_layout(text: str, is_title: bool, page: _Page, size: TextSize) -> _Layout:
    """Set the start of text at the smallest size: whole lines that fit, the last ending in "…"."""
    measure = page.typeface.measure(size)
    lines = break_lines(text, measure, page.box[2])
    above, below = page.typeface.ink(size)
    room = max(1, 1 + (page.box[3] - above - below) // page.typeface.pitch(size))
    lines = truncate(lines, room, measure, page.box[2])
    if is_title:
        return _Layout(size, TextSize(0), lines, [])
    return _Layout(TextSize(0), size, [], lines)


def _scroll_strip(
    title: str,
    body: str,
    typeface: Typeface,
    screen: tuple[int, int],
    theme: Theme,
    min_size: TextSize,
) -> Image.Image:
    """Draw the whole text on one line as tall as the screen allows, for the page to scroll."""
    width, height = screen
    text = f"{title}：{body}" if title and body else title or body
    # Line breaks become wide spaces: the strip has one line.
    text = re.sub(r"\s*\n\s*", "\u3000", text)
    margin = text_box(width, height, typeface.dot_matrix)[1]
    size = _fill_size(typeface, height - 2 * margin)
    if height > BAR_MAX_HEIGHT:
        # On a big screen a strip filling the height would be absurd; a large
        # crawl is still read from far away.
        size = typeface.size_at_most(max(min_size.height, height // 6))
    above, below = typeface.ink(size)
    # Half the height of blank at each end keeps repeats apart when the page loops.
    pad = height // 2
    length = round(typeface.measure(size)(text))
    strip = Image.new("RGB", (length + 2 * pad, height), theme.background)
    baseline = (height - above - below) // 2 + above
    typeface.draw(strip, (pad, baseline), text, size, theme.body, theme.antialias)
    return strip


def _fill_size(typeface: Typeface, room: int) -> TextSize:
    """Return the largest size whose line of Chinese fits room pixels of height."""
    sizes = typeface.sizes(1, max(1, room))
    while len(sizes) > 1 and sum(typeface.ink(sizes[-1])) > room:
        sizes.pop()
    return sizes[-1] if sizes else typeface.size_at_most(room)


def _background(theme: Theme, size: tuple[int, int]) -> Image.Image:
    """Fill the screen with the theme's colour or vertical gradient."""
    if theme.background_bottom is None:
        return Image.new("RGB", size, theme.background)
    # One column is blended and then widened: far cheaper than blending every pixel.
    column = (1, size[1])
    top = Image.new("RGB", column, theme.background)
    bottom = Image.new("RGB", column, theme.background_bottom)
    mask = Image.linear_gradient("L").resize(column, Image.Resampling.BILINEAR)
    return Image.composite(bottom, top, mask).resize(size, Image.Resampling.NEAREST)


def _draw(layout: _Layout, theme: Theme, page: _Page, size: tuple[int, int]) -> Image.Image:
    """Draw the laid-out text: centred title lines, a left-aligned body block centred."""
    image = _background(theme, size)
    left, top, box_w, box_h = page.box
    typeface = page.typeface
    title_h = _block_height(layout.title_lines, layout.title_size, typeface)
    body_h = _block_height(layout.body_lines, layout.body_size, typeface)
    if page.banded and theme.band is not None:
        band_bottom = 2 * top + title_h
        ImageDraw.Draw(image).rectangle((0, 0, size[0] - 1, band_bottom - 1), fill=theme.band)
        title_top = top
        body_top = band_bottom + top + (size[1] - 2 * top - band_bottom - body_h) // 2
    else:
        title_top = top + (box_h - _stack_height(layout, page)) // 2
        body_top = title_top + title_h + _gap(layout, page)
    if layout.title_lines:
        measure = typeface.measure(layout.title_size)
        lefts = [left + (box_w - round(measure(line))) // 2 for line in layout.title_lines]
        _draw_lines(
            image,
            layout.title_lines,
            typeface,
            layout.title_size,
            lefts,
            title_top,
            theme.title,
            theme.antialias,
        )
    if layout.body_lines:
        measure = typeface.measure(layout.body_size)
        widths = [round(measure(line)) for line in layout.body_lines]
        block_left = left + (box_w - max(widths)) // 2
        lefts = [block_left] * len(widths)
        _draw_lines(
            image,
            layout.body_lines,
            typeface,
            layout.body_size,
            lefts,
            body_top,
            theme.body,
            theme.antialias,
        )
    return image


def _draw_lines(
    image: Image.Image,
    lines: list[str],
    typeface: Typeface,
    size: TextSize,
    lefts: list[int],
    top: int,
    fill: RGB,
    antialias: bool,
) -> None:
    above = typeface.ink(size)[0]
    pitch = typeface.pitch(size)
    for number, (line, x) in enumerate(zip(lines, lefts, strict=True)):
        typeface.draw(image, (x, top + above + number * pitch), line, size, fill, antialias)


def slide_png(image: Image.Image) -> bytes:
    """Encode an image as a compact PNG without metadata, so equal images give equal bytes."""
    buffer = io.BytesIO()
    # No icc_profile, text chunks or timestamps: only pixels decide the bytes. Level 6
    # instead of optimize: files 2-4 % larger, written 3-5 times faster on the Pi.
    image.save(buffer, format="PNG", compress_level=6, icc_profile=None)
    return buffer.getvalue()


def scroll_path(dst: Path) -> Path:
    """Return where the scrolling strip of the slide stored at dst lives."""
    return dst.with_name(f"{dst.stem}.scroll.png")


def write_slide(rendered: RenderedSlide, dst: Path) -> None:
    """Store a slide as PNG at dst and its scrolling strip beside it, each atomically."""
    strip = scroll_path(dst)
    # The strip goes first, so a screen that sees the new still finds its strip;
    # a strip left from an earlier version of the slide is removed.
    if rendered.scroll is None:
        strip.unlink(missing_ok=True)
    else:
        _write_png(rendered.scroll, strip)
    _write_png(rendered.image, dst)


def _write_png(image: Image.Image, dst: Path) -> None:
    data = slide_png(image)
    with atomic_output(dst, ".png") as tmp:
        tmp.write_bytes(data)
