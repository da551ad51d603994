"""Draw announcement slides at each screen's exact pixel size.

Text is set as large as the screen allows; what cannot fit even at the
smallest readable size also goes onto a one-line strip the screen page scrolls.
"""

import io
import re
from dataclasses import dataclass, replace
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from media.errors import SlideError
from media.files import atomic_output
from media.fonts import FontFace, load_font
from media.linebreak import break_lines, break_with_fit

RGB = tuple[int, int, int]
Box = tuple[int, int, int, int]

BAR_MAX_HEIGHT = 128
TITLE_SCALE = 1.25
# The ideograph whose ink marks the top and bottom of a line of Chinese text.
_INK_PROBE = "国"


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


@dataclass(frozen=True)
class _Layout:
    title_px: int
    body_px: int
    title_lines: list[str]
    body_lines: list[str]


def theme_for(width: int, height: int, name: str = "auto") -> Theme:
    """Return the named theme, or for "auto" the one that suits the screen's shape."""
    if name == "auto":
        return THEMES["led-red" if height <= BAR_MAX_HEIGHT else "color"]
    if name not in THEMES:
        known = ", ".join(["auto", *THEMES])
        raise SlideError(f"unknown slide theme {name!r}; use one of: {known}")
    return THEMES[name]


def default_min_glyph_px(height: int) -> int:
    """Return the smallest text size still readable from across a village square."""
    if height <= BAR_MAX_HEIGHT:
        return max(12, height // 5)
    return max(16, height // 18)


def text_box(width: int, height: int) -> Box:
    """Return the area inside the margins, which grow with the screen."""
    margin_x = max(2, round(width * 0.035))
    margin_y = max(2, round(height * 0.05))
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
) -> RenderedSlide:
    """Render a slide at the screen's pixel size, with text as large as fits."""
    if width < 16 or height < 8:
        raise SlideError(f"a screen of {width}×{height} pixels is too small for a slide")
    title, body = title.strip(), body.strip()
    min_px = min_glyph_px or default_min_glyph_px(height)
    box = text_box(width, height)
    # A bar shows its text as tall as it can; on a big screen, text above a quarter
    # of its height would break a short title into a stack of huge fragments.
    max_px = max(min_px, box[3] if height <= BAR_MAX_HEIGHT else height // 4)
    banded = theme.band is not None and bool(title and body)
    layout = _largest_layout(title, body, font, box, (min_px, max_px), banded)
    scroll = None
    if layout is None:
        # The whole text goes onto the scrolling strip; the still shows where it starts.
        scroll = _scroll_strip(title, body, font, width, height, theme, min_px)
        layout = _largest_layout(title, "", font, box, (min_px, max_px), False) if title else None
        layout = layout or _truncated_layout(title or body, bool(title), font, box, min_px)
        banded = False
    image = _draw(layout, theme, font, (width, height), box, banded)
    return RenderedSlide(
        image=image,
        scroll=scroll,
        font_px=layout.body_px if layout.body_lines else layout.title_px,
        lines=[*layout.title_lines, *layout.body_lines],
        title_px=layout.title_px,
        title_line_count=len(layout.title_lines),
        box=box,
    )


def _sizes(title: str, body: str, size: int) -> tuple[int, int]:
    """Return (title px, body px) for a search size, which is the smaller text's size."""
    if title and body:
        return round(size * TITLE_SCALE), size
    return (size, 0) if title else (0, size)


def _pitch(px: int) -> int:
    """Return the distance between baselines of consecutive lines."""
    return round(px * 1.3)


def _ink(font: ImageFont.FreeTypeFont) -> tuple[int, int]:
    """Return how far Chinese text reaches above and below the baseline."""
    _, top, _, bottom = font.getbbox(_INK_PROBE, anchor="ls")
    return -int(top), int(bottom)


def _block_height(lines: list[str], px: int, face: FontFace) -> int:
    if not lines:
        return 0
    above, below = _ink(load_font(face, px))
    return (len(lines) - 1) * _pitch(px) + above + below


def _gap(layout: _Layout, box: Box, banded: bool) -> int:
    """Return the space between title and body: the band's padding, or part of a line."""
    if not (layout.title_lines and layout.body_lines):
        return 0
    return 2 * box[1] if banded else round(layout.body_px * 0.6)


def _stack_height(layout: _Layout, face: FontFace, box: Box, banded: bool) -> int:
    title_h = _block_height(layout.title_lines, layout.title_px, face)
    body_h = _block_height(layout.body_lines, layout.body_px, face)
    return title_h + _gap(layout, box, banded) + body_h


def _try_layout(
    title: str, body: str, face: FontFace, box: Box, size: int, banded: bool
) -> _Layout | None:
    """Set the text at one size; None if it does not fit the box."""
    title_px, body_px = _sizes(title, body, size)
    title_lines: list[str] = []
    body_lines: list[str] = []
    if title:
        title_lines, title_fits = break_with_fit(title, load_font(face, title_px), box[2])
        if not title_fits:
            return None
    if body:
        body_lines, body_fits = break_with_fit(body, load_font(face, body_px), box[2])
        if not body_fits:
            return None
    layout = _Layout(title_px, body_px, title_lines, body_lines)
    return layout if _stack_height(layout, face, box, banded) <= box[3] else None


def _largest_layout(
    title: str, body: str, face: FontFace, box: Box, px_range: tuple[int, int], banded: bool
) -> _Layout | None:
    """Binary-search the largest text size in px_range that fits; None if the smallest does not."""
    if not (title or body):
        return _Layout(0, 0, [], [])
    low, high = px_range
    best = _try_layout(title, body, face, box, low, banded)
    if best is None:
        return None
    while low < high:
        mid = (low + high + 1) // 2
        layout = _try_layout(title, body, face, box, mid, banded)
        if layout is None:
            high = mid - 1
        else:
            low, best = mid, layout
    return _balance_title(best, title, face, box[2])


def _balance_title(layout: _Layout, title: str, face: FontFace, max_width: int) -> _Layout:
    """Even out the title's lines, so a heading never ends in a stray word or two."""
    count = len(layout.title_lines)
    if count < 2:
        return layout
    font = load_font(face, layout.title_px)
    # The narrowest width that still needs no more lines spreads the text evenly.
    low, high = 1, max_width
    while low < high:
        mid = (low + high) // 2
        lines, fits = break_with_fit(title, font, mid)
        if fits and len(lines) <= count:
            high = mid
        else:
            low = mid + 1
    return replace(layout, title_lines=break_lines(title, font, high))


def _truncated_layout(text: str, is_title: bool, face: FontFace, box: Box, min_px: int) -> _Layout:
    """Set the start of text at min_px: the lines that fit, the last one ending in "…"."""
    font = load_font(face, min_px)
    lines = break_lines(text, font, box[2])
    above, below = _ink(font)
    room = max(1, 1 + (box[3] - above - below) // _pitch(min_px))
    if len(lines) > room:
        lines = lines[:room]
        last = lines[-1]
        while last and font.getlength(last + "…") > box[2]:
            last = last[:-1]
        lines[-1] = last.rstrip() + "…"
    if is_title:
        return _Layout(min_px, 0, lines, [])
    return _Layout(0, min_px, [], lines)


def _scroll_strip(
    title: str, body: str, face: FontFace, width: int, height: int, theme: Theme, min_px: int
) -> Image.Image:
    """Draw the whole text on one line as tall as the screen allows, for the page to scroll."""
    text = f"{title}：{body}" if title and body else title or body
    # Line breaks become wide spaces: the strip has one line.
    text = re.sub(r"\s*\n\s*", "\u3000", text)
    margin = text_box(width, height)[1]
    px = _fill_px(face, height - 2 * margin)
    if height > BAR_MAX_HEIGHT:
        # On a big screen a strip filling the height would be absurd; a large
        # crawl is still read from far away.
        px = min(px, max(min_px, height // 6))
    font = load_font(face, px)
    above, below = _ink(font)
    # Half the height of blank at each end keeps repeats apart when the page loops.
    pad = height // 2
    strip = Image.new("RGB", (round(font.getlength(text)) + 2 * pad, height), theme.background)
    draw = ImageDraw.Draw(strip)
    draw.fontmode = "L" if theme.antialias else "1"
    baseline = (height - above - below) // 2 + above
    draw.text((pad, baseline), text, font=font, fill=theme.body, anchor="ls")
    return strip


def _fill_px(face: FontFace, room: int) -> int:
    """Return the largest text size whose line of Chinese fits room pixels of height."""
    px = max(1, room)
    while px > 1 and sum(_ink(load_font(face, px))) > room:
        px -= 1
    return px


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


def _draw(
    layout: _Layout,
    theme: Theme,
    face: FontFace,
    size: tuple[int, int],
    box: Box,
    banded: bool,
) -> Image.Image:
    """Draw the laid-out text: centred title lines, a left-aligned body block centred."""
    image = _background(theme, size)
    draw = ImageDraw.Draw(image)
    draw.fontmode = "L" if theme.antialias else "1"
    left, top, box_w, box_h = box
    title_h = _block_height(layout.title_lines, layout.title_px, face)
    body_h = _block_height(layout.body_lines, layout.body_px, face)
    if banded and theme.band is not None:
        band_bottom = 2 * top + title_h
        draw.rectangle((0, 0, size[0] - 1, band_bottom - 1), fill=theme.band)
        title_top = top
        body_top = band_bottom + top + (size[1] - 2 * top - band_bottom - body_h) // 2
    else:
        title_top = top + (box_h - _stack_height(layout, face, box, banded)) // 2
        body_top = title_top + title_h + _gap(layout, box, banded)
    if layout.title_lines:
        font = load_font(face, layout.title_px)
        lefts = [left + (box_w - round(font.getlength(line))) // 2 for line in layout.title_lines]
        _draw_lines(draw, layout.title_lines, font, lefts, title_top, theme.title)
    if layout.body_lines:
        font = load_font(face, layout.body_px)
        widths = [round(font.getlength(line)) for line in layout.body_lines]
        block_left = left + (box_w - max(widths)) // 2
        _draw_lines(draw, layout.body_lines, font, [block_left] * len(widths), body_top, theme.body)
    return image


def _draw_lines(
    draw: ImageDraw.ImageDraw,
    lines: list[str],
    font: ImageFont.FreeTypeFont,
    lefts: list[int],
    top: int,
    fill: RGB,
) -> None:
    above = _ink(font)[0]
    pitch = _pitch(round(font.size))
    for number, (line, x) in enumerate(zip(lines, lefts, strict=True)):
        draw.text((x, top + above + number * pitch), line, font=font, fill=fill, anchor="ls")


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
