"""Measure and draw lines of text in a typeface: outline at any size, dot-matrix at native ones.

A dot-matrix face (a bitmap CJK font such as WenQuanYi Zen Hei Sharp's 12–16 px
strikes) is only ever drawn at a native size, one pixel per dot, and enlarged by
whole factors (each dot a 2×2 or 3×3 block), so its glyphs stay the crisp
patterns LED modules are built for. An outline face is drawn at any size.
"""

from dataclasses import dataclass
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

from media.fonts import FontFace, load_font
from media.linebreak import Measure

RGB = tuple[int, int, int]

# The ideograph whose ink marks the top and bottom of a line of Chinese text.
_INK_PROBE = "国"
# A dot-matrix line is a row of cells as tall as the size: these fill the cell.
_CELL_PROBE = "国困通知，（《"
LINE_PITCH = 1.3
MAX_DOT_SCALE = 8
# Widths remembered: a few screens' size searches, each a few thousand segments and lines.
_MEASURES_KEPT = 64
_WIDTHS_KEPT = 4096


@dataclass(frozen=True, order=True)
class TextSize:
    """A size to draw at: the font's pixel size, each pixel drawn as scale×scale."""

    px: int
    scale: int = 1

    @property
    def height(self) -> int:
        """Return the size on the screen, in pixels."""
        return self.px * self.scale


@dataclass(frozen=True)
class Typeface:
    """A face and, for a dot-matrix face, the sizes whose glyphs are native bitmaps."""

    face: FontFace
    native_sizes: tuple[int, ...] = ()

    @property
    def dot_matrix(self) -> bool:
        """Tell whether the face is drawn only at its native sizes."""
        return bool(self.native_sizes)

    @property
    def name(self) -> str:
        """Return the face's family and style, as "Noto Sans CJK SC Bold"."""
        family, style = load_font(self.face, 16).getname()
        return f"{family} {style}".strip()

    def sizes(self, low: int, high: int) -> list[TextSize]:
        """List the sizes from low to high pixels tall, smallest first."""
        if not self.dot_matrix:
            return [TextSize(px) for px in range(low, high + 1)]
        # Every native size as it is; enlarged, only the largest, whose glyphs have
        # the most detail (a 13-dot face blown up six times reads as blocks).
        largest = max(self.native_sizes)
        natives = [TextSize(px) for px in self.native_sizes]
        enlarged = [TextSize(largest, scale) for scale in range(2, MAX_DOT_SCALE + 1)]
        by_height = {
            size.height: size for size in [*natives, *enlarged] if low <= size.height <= high
        }
        return [by_height[height] for height in sorted(by_height)]

    def size_at_most(self, height: int) -> TextSize:
        """Return the largest size no taller than height (the smallest one if none is)."""
        fitting = self.sizes(1, height)
        if fitting:
            return fitting[-1]
        return TextSize(min(self.native_sizes)) if self.dot_matrix else TextSize(max(1, height))

    def font(self, size: TextSize) -> ImageFont.FreeTypeFont:
        return load_font(self.face, size.px)

    def measure(self, size: TextSize) -> Measure:
        """Return a function giving a text's width in screen pixels at size."""
        return _measure(self.face, size)

    def ink(self, size: TextSize) -> tuple[int, int]:
        """Return how far a line of Chinese reaches above and below its baseline."""
        probe = _CELL_PROBE if self.dot_matrix else _INK_PROBE
        _, top, _, bottom = self.font(size).getbbox(probe, anchor="ls")
        return -int(top) * size.scale, int(bottom) * size.scale

    def pitch(self, size: TextSize) -> int:
        """Return the distance between baselines: cell to cell for dots, spaced for outlines."""
        if self.dot_matrix:
            return size.height
        return round(size.px * LINE_PITCH)

    def draw(
        self,
        image: Image.Image,
        xy: tuple[int, int],
        text: str,
        size: TextSize,
        fill: RGB,
        antialias: bool,
    ) -> None:
        """Draw text with its left end at xy[0] and its baseline at xy[1]."""
        font = self.font(size)
        if size.scale == 1:
            draw = ImageDraw.Draw(image)
            draw.fontmode = "L" if antialias and not self.dot_matrix else "1"
            draw.text(xy, text, font=font, fill=fill, anchor="ls")
            return
        # Drawn at the native size, then every dot widened to a scale×scale block.
        left, top, right, bottom = (int(edge) for edge in font.getbbox(text, anchor="ls"))
        mask = Image.new("1", (max(1, right - left), max(1, bottom - top)), 0)
        small = ImageDraw.Draw(mask)
        small.fontmode = "1"
        small.text((-left, -top), text, font=font, fill=1, anchor="ls")
        big = mask.resize(
            (mask.width * size.scale, mask.height * size.scale), Image.Resampling.NEAREST
        )
        corner = (xy[0] + left * size.scale, xy[1] + top * size.scale)
        image.paste(Image.new(image.mode, big.size, fill), corner, big)


@lru_cache(maxsize=_MEASURES_KEPT)
def _measure(face: FontFace, size: TextSize) -> Measure:
    """Return a width function for one face and size that remembers what it measured."""
    font = load_font(face, size.px)

    # The size search and the evening of lines measure the same segments many times.
    @lru_cache(maxsize=_WIDTHS_KEPT)
    def measure(text: str) -> float:
        return font.getlength(text) * size.scale

    return measure
