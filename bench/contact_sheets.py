"""Draw contact sheets: a dozen real notices as slides on every screen shape, for people to look at.

Run: .venv/bin/python bench/contact_sheets.py [--out DIR]

One PNG per screen shape (64×32 and 128×32 modules, 192×64 and 352×80 bars, a
960×576 wall, 1920×1080 and portrait 1080×1920 TVs, a 768×768 square) in DIR
(default test-artifacts/contact-sheets): each notice's still as the player renders
it (the auto theme, the dot-matrix face on single-colour screens), small screens
enlarged with every pixel a square so the dots show, big ones reduced, and under
a still that scrolls the first part of its strip. A caption names the notice, the
mode, the font size and the face. The figures are printed on the last lines:
per shape, how many notices are stills and how many scroll, the text sizes, and
the median render time.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from media.fonts import find_cjk_font, find_dot_matrix_font, load_font  # noqa: E402
from media.slides import RenderedSlide, render_slide, theme_for  # noqa: E402
from media.typeset import Typeface  # noqa: E402
from tests.notice_kit import NOTICE_LINES, SCREEN_SHAPES  # noqa: E402

NOTICES = (
    ("停电通知", "outage"),
    ("停电通知", "outage-phone"),
    ("", "hotline"),
    ("寒潮预警", "frost"),
    ("", "leaflets"),
    ("文明家庭", "seventh-year"),
    ("森林防火", "fire-law"),
    ("防诈骗", "fraud"),
    ("停水通知", "water"),
    ("", "vaccine"),
    ("宣传主题", "theme"),
    ("", "knowledge"),
)
CELL_WIDTH = 480
COLUMNS = 3
CAPTION_PX = 16
GAP = 12
SHEET_BACKGROUND = (60, 60, 60)


def zoom_for(width: int) -> float:
    """Return how much a screen is enlarged (whole factors for small ones) on the sheet."""
    if width <= CELL_WIDTH // 2:
        return float(CELL_WIDTH // width)
    return min(1.0, CELL_WIDTH / width)


def shown(image: Image.Image, zoom: float) -> Image.Image:
    size = (round(image.width * zoom), round(image.height * zoom))
    if zoom >= 1:
        return image.resize(size, Image.Resampling.NEAREST)  # every dot a square
    return image.resize(size, Image.Resampling.LANCZOS)


def cell(name: str, slide: RenderedSlide, zoom: float) -> Image.Image:
    """Draw one notice: caption, still and, when it scrolls, the strip's start."""
    still = shown(slide.image, zoom)
    parts = [still]
    if slide.scroll is not None:
        # The strip's first screenful after its blank lead, at the still's scale.
        lead, strip = slide.image.height // 2, slide.scroll
        parts.append(shown(strip.crop((lead, 0, lead + slide.image.width, strip.height)), zoom))
    caption = f"{name}: {slide.mode}, {slide.font_px}px, {slide.font_name}"
    height = CAPTION_PX + 6 + sum(part.height + 4 for part in parts)
    canvas = Image.new("RGB", (max(part.width for part in parts), height), SHEET_BACKGROUND)
    draw = ImageDraw.Draw(canvas)
    draw.text(
        (0, 0), caption, font=load_font(find_cjk_font(), CAPTION_PX - 2), fill=(230, 230, 230)
    )
    top = CAPTION_PX + 6
    for part in parts:
        canvas.paste(part, (0, top))
        top += part.height + 4
    return canvas


def sheet(cells: list[Image.Image]) -> Image.Image:
    """Lay cells out in rows of COLUMNS."""
    width = max(cell.width for cell in cells)
    rows = [cells[index : index + COLUMNS] for index in range(0, len(cells), COLUMNS)]
    heights = [max(cell.height for cell in row) for row in rows]
    canvas = Image.new(
        "RGB",
        (COLUMNS * (width + GAP) + GAP, sum(heights) + GAP * (len(rows) + 1)),
        SHEET_BACKGROUND,
    )
    top = GAP
    for row, height in zip(rows, heights, strict=True):
        for column, image in enumerate(row):
            canvas.paste(image, (GAP + column * (width + GAP), top))
        top += height + GAP
    return canvas


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "test-artifacts" / "contact-sheets")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    face = find_cjk_font()
    found = find_dot_matrix_font()
    dot_font = Typeface(*found) if found else None
    figures = []
    for width, height in SCREEN_SHAPES:
        theme = theme_for(width, height)
        cells, times, modes, sizes = [], [], [], []
        for title, key in NOTICES:
            started = time.perf_counter()
            slide = render_slide(
                title, NOTICE_LINES[key], width, height, theme=theme, font=face, dot_font=dot_font
            )
            times.append(time.perf_counter() - started)
            modes.append(slide.mode)
            sizes.append(slide.font_px)
            cells.append(cell(key, slide, zoom_for(width)))
        path = args.out / f"{width}x{height}.png"
        sheet(cells).save(path)
        figures.append(
            f"{width}x{height}: {modes.count('still')} stills, {modes.count('scroll')} scroll, "
            f"text {min(sizes)}-{max(sizes)} px, median render "
            f"{statistics.median(times) * 1000:.0f} ms -> {path}"
        )
    print("\n".join(figures))


if __name__ == "__main__":
    main()
