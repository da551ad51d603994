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
from media.slide_layout import (
    BAR_MAX_HEIGHT,
    Box,
    Layout,
    Page,
    block_height,
    gap,
    largest_layout,
    size_range,
    stack_height,
    text_box,
    truncated_layout,
)
from media.typeset import TextSize, Typeface

RGB = tuple[int, int, int]


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


def theme_for(width: int, height: int, name: str = "auto") -> Theme:
    """Return the named theme, or for "auto" the one that suits the screen's shape."""
    if name == "auto":
        return THEMES["led-red" if height <= BAR_MAX_HEIGHT else "color"]
    if name not in THEMES:
        known = ", ".join(["auto", *THEMES])
        raise SlideError(f"unknown slide theme {name!r}; use one of: {known}")
    return THEMES[name]


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
    sizes = size_range(width, height, box, typeface, min_glyph_px)
    page = Page(typeface, box, theme.band is not None and bool(title and body))
    layout = largest_layout(title, body, page, sizes)
    scroll = None
    if layout is None:
        # The whole text goes onto the scrolling strip; the still shows where it starts.
        scroll = _scroll_strip(title, body, typeface, (width, height), theme, sizes[0])
        page = replace(page, banded=False)
        layout = largest_layout(title, "", page, sizes) if title else None
        layout = layout or truncated_layout(title or body, bool(title), page, sizes[0])
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
    # The size font_px tells: the body's, or the title's on a slide showing no body.
    size = rendered.body_size if count < len(rendered.lines) else rendered.title_size
    return {
        "mode": rendered.mode,
        "font": rendered.font_name,
        "dot_matrix": rendered.dot_matrix,
        "px": rendered.font_px,
        # A dot-matrix face's native size; each of its dots is drawn px ÷ dots pixels square.
        "dots": size.px if rendered.dot_matrix else None,
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


def _draw(layout: Layout, theme: Theme, page: Page, size: tuple[int, int]) -> Image.Image:
    """Draw the laid-out text: centred title lines, a left-aligned body block centred."""
    image = _background(theme, size)
    left, top, box_w, box_h = page.box
    typeface = page.typeface
    title_h = block_height(layout.title_lines, layout.title_size, typeface)
    body_h = block_height(layout.body_lines, layout.body_size, typeface)
    if page.banded and theme.band is not None:
        band_bottom = 2 * top + title_h
        ImageDraw.Draw(image).rectangle((0, 0, size[0] - 1, band_bottom - 1), fill=theme.band)
        title_top = top
        body_top = band_bottom + top + (size[1] - 2 * top - band_bottom - body_h) // 2
    else:
        title_top = top + (box_h - stack_height(layout, page)) // 2
        body_top = title_top + title_h + gap(layout, page)
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
