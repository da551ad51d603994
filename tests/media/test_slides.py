"""Slides: Chinese line breaking, text fitted to each screen, themes and PNG output."""

import hashlib
import io
import struct
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from media.errors import SlideError
from media.fonts import FontFace, find_cjk_font, find_dot_matrix_font, load_font
from media.slide_layout import default_min_glyph_px
from media.slides import (
    THEMES,
    RenderedSlide,
    describe,
    render_slide,
    scroll_path,
    slide_png,
    theme_for,
    write_slide,
)
from media.typeset import Typeface
from tests.notice_kit import NOTICE_LINES, SCREEN_SHAPES, SEED
from tests.paths import REPO

ARTIFACTS = REPO / "test-artifacts" / "slides"

# Written out here rather than imported, so the test holds the rules on its own.
CLOSING = set("，。、；：？！）》」』】…％”’,.;:?!)%℃")
OPENING = set("（《「『【“‘(")
SEPARATORS = set(":.-–—~～/")
UNIT_CHARS = set("年月日号时点分秒岁元万亿余份个人次户名项期周小毫℃%％")
PAUSES = set("，、；：,;:")

SCREENS = [
    pytest.param(352, 80, id="352x80"),
    pytest.param(960, 576, id="960x576"),
    pytest.param(1920, 1080, id="1920x1080"),
]
LED_RED = (255, 42, 0)
BLACK = (0, 0, 0)


@pytest.fixture(scope="module")
def face() -> FontFace:
    return find_cjk_font()


def splits_a_figure(before: str, after: str) -> bool:
    """Tell whether a break between two characters cuts a number, its unit or a word."""
    if before.isdigit():
        return after.isdigit() or after in UNIT_CHARS or after in SEPARATORS
    if before in SEPARATORS or before in "第+":
        return after.isdigit()
    return before.isascii() and before.isalnum() and after.isascii() and after.isalnum()


def assert_lines_follow_rules(lines: list[str], text: str) -> None:
    """Check every break of lines set from text (the last one maybe cut with "…")."""
    cut = bool(lines) and lines[-1].endswith("…") and not text.rstrip().endswith("…")
    visible = [*lines[:-1], lines[-1].removesuffix("…")] if cut else lines
    chars = [(index, char) for index, char in enumerate(text) if not char.isspace()]
    position = 0
    for number, line in enumerate(visible):
        assert line == line.strip(), f"line {number} keeps a space at a break: {line!r}"
        if number > 0 and line:
            (before_at, before), (after_at, after) = chars[position - 1], chars[position]
            assert after not in CLOSING, f"line {number} starts with a closer: {line!r}"
            assert before not in OPENING, f"line {number - 1} ends with an opener: {lines}"
            # Two figures a space apart ("2023-07-04 11:05") may go on two lines.
            spaced = after_at - before_at > 1
            assert spaced or not splits_a_figure(before, after), f"a figure is split: {lines}"
        for char in "".join(line.split()):
            assert chars[position][1] == char, f"line {number} is not the text: {lines}"
            position += 1
    if cut:
        # What the still leaves out starts at a break the rules allow.
        while position < len(chars) and chars[position][1] in PAUSES:
            position += 1
        shown = visible[-1]
        assert shown[-1:] not in OPENING, f"a cut line ends with an opener: {lines}"
        if shown and position < len(chars):
            assert not splits_a_figure(shown[-1], chars[position][1]), f"a figure is cut: {lines}"
    else:
        assert position == len(chars), f"text is missing: {lines}"


@pytest.fixture(scope="module")
def dot_face() -> Typeface:
    found = find_dot_matrix_font()
    assert found is not None, "install fonts-wqy-zenhei (scripts/setup does)"
    return Typeface(*found)


def render_on(
    title: str, body: str, shape: tuple[int, int], face: FontFace, dot_face: Typeface
) -> RenderedSlide:
    """Render as the player does: the screen's auto theme, dots on single-colour screens."""
    width, height = shape
    theme = theme_for(width, height)
    return render_slide(title, body, width, height, theme=theme, font=face, dot_font=dot_face)


def assert_slide_lines_fit(slide: RenderedSlide, face: FontFace, dot_face: Typeface) -> None:
    typeface = dot_face if slide.dot_matrix else Typeface(face)
    for number, line in enumerate(slide.lines):
        title = number < slide.title_line_count
        measure = typeface.measure(slide.title_size if title else slide.body_size)
        assert measure(line) <= slide.box[2], f"line {number} is clipped: {slide.lines}"


SHAPES = [pytest.param(shape, id=f"{shape[0]}x{shape[1]}") for shape in SCREEN_SHAPES]
NOTICES = [pytest.param(text, id=name) for name, text in NOTICE_LINES.items()]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("text", NOTICES)
def test_notice_lines_on_every_screen_follow_the_rules(
    face: FontFace, dot_face: Typeface, text: str, shape: tuple[int, int]
) -> None:
    slide = render_on("", text, shape, face, dot_face)

    assert slide.image.size == shape
    assert_slide_lines_fit(slide, face, dot_face)
    # No split token, no closer starting a line, no opener ending one, units kept,
    # and on a still that cannot show everything, no cut figure.
    assert_lines_follow_rules(slide.lines, text)
    if slide.scroll is None:
        assert not slide.lines[-1].endswith("…") or text.endswith("…")
    else:
        assert slide.scroll.height == shape[1]


@pytest.mark.parametrize(
    ("shape", "title_px_at_least"),
    [
        pytest.param((1920, 1080), 150, id="landscape-tv"),
        pytest.param((1080, 1920), 120, id="portrait-tv"),
        pytest.param((768, 768), 90, id="square"),
    ],
)
def test_big_screens_keep_several_characters_a_line(
    face: FontFace, dot_face: Typeface, shape: tuple[int, int], title_px_at_least: int
) -> None:
    slide = render_on("防诈骗", "不听、不信、不转账！", shape, face, dot_face)

    assert slide.lines == ["防诈骗", "不听、不信、", "不转账！"]
    assert slide.title_px >= title_px_at_least
    # A line holds at least seven characters' width: no stack of two-character lines.
    assert slide.font_px * 7 <= slide.box[2]


@pytest.mark.parametrize(
    ("title", "body", "shown_title"),
    [
        pytest.param(
            "村民朋友们，现在播报社会", "村民朋友们，现在播报社会工作知识。", [], id="first-words"
        ),
        pytest.param("紧急通知", "紧急通知", [], id="same-text"),
        pytest.param("停电通知", "周五8:00-17:30停电。", ["停电通知"], id="real-title"),
    ],
)
def test_a_title_that_repeats_the_body_is_not_shown(
    face: FontFace, title: str, body: str, shown_title: list[str]
) -> None:
    slide = render_slide(title, body, 1920, 1080, theme=THEMES["color"], font=face)

    assert slide.lines[: slide.title_line_count] == shown_title
    assert "".join(slide.lines[slide.title_line_count :]) == body


@pytest.mark.parametrize(
    ("shape", "lines"),
    [
        pytest.param((64, 32), ["困难群众", "找社工！"], id="64x32-two-lines-of-four"),
        pytest.param(
            (128, 32), ["困难群众请找社工", "服务热线12345"], id="128x32-two-lines-of-eight"
        ),
    ],
)
def test_small_bars_use_16_dot_characters(
    face: FontFace, dot_face: Typeface, shape: tuple[int, int], lines: list[str]
) -> None:
    slide = render_on("", "".join(lines), shape, face, dot_face)

    assert (slide.mode, slide.dot_matrix, slide.font_px) == ("still", True, 16)
    assert describe(slide)["dots"] == 16
    assert len(slide.lines) == 2 and "".join(slide.lines) == "".join(lines)
    assert describe(slide)["font"] == "WenQuanYi Zen Hei Sharp Regular"


def test_dot_matrix_glyphs_are_the_fonts_own_dots(face: FontFace, dot_face: Typeface) -> None:
    slide = render_on("", "困国困国困国", (64, 32), face, dot_face)
    assert slide.font_px == 16 and len(slide.lines) == 2
    # The same characters drawn straight from the 16-pixel bitmap strike, 16 rows apart.
    reference = Image.new("1", (64, 48), 0)
    draw = ImageDraw.Draw(reference)
    draw.fontmode = "1"
    for row, line in enumerate(slide.lines):
        draw.text((0, 16 * row), line, font=load_font(dot_face.face, 16), fill=1)

    lit = slide.image.convert("L").point(lambda level: 255 if level else 0).convert("1")
    assert lit.getbbox() is not None
    assert _ink_pattern(lit) == _ink_pattern(reference)
    assert {colour for _, colour in slide.image.getcolors() or []} == {BLACK, LED_RED}


def _ink_pattern(image: Image.Image) -> bytes:
    box = image.getbbox()
    assert box is not None
    return image.crop(box).tobytes()


def test_a_bigger_dot_size_enlarges_every_dot(face: FontFace, dot_face: Typeface) -> None:
    slide = render_on("", "困国", (352, 80), face, dot_face)

    assert slide.dot_matrix and slide.body_size.scale > 1
    lit = slide.image.convert("L").point(lambda level: 255 if level else 0)
    box = lit.getbbox()
    assert box is not None
    scale = slide.body_size.scale
    ink = lit.crop(box)
    small = ink.resize((ink.width // scale, ink.height // scale), Image.Resampling.NEAREST)
    assert small.resize(ink.size, Image.Resampling.NEAREST).tobytes() == ink.tobytes()


def test_without_a_dot_matrix_face_bars_use_the_outline_face_without_smoothing(
    face: FontFace,
) -> None:
    slide = render_slide("", "困难群众请找社工", 128, 32, theme=THEMES["led-red"], font=face)

    assert not slide.dot_matrix
    assert {colour for _, colour in slide.image.getcolors() or []} == {BLACK, LED_RED}


def test_a_token_too_wide_at_the_smallest_size_scrolls(face: FontFace, dot_face: Typeface) -> None:
    slide = render_on("", "请拨打0595-2234567", (64, 32), face, dot_face)

    assert slide.mode == "scroll"
    assert slide.lines == ["请拨打…"]


@pytest.mark.parametrize(("width", "height"), [(16, 8), (16, 16), (64, 16), (20, 200)])
def test_tiny_and_odd_screens_still_get_a_slide(
    face: FontFace, dot_face: Typeface, width: int, height: int
) -> None:
    slide = render_on("停电通知", NOTICE_LINES["outage"], (width, height), face, dot_face)

    assert slide.image.size == (width, height)
    assert slide.mode == "scroll"
    body = slide.lines[slide.title_line_count :]
    if body:
        assert_lines_follow_rules(body, NOTICE_LINES["outage"])
    else:
        assert_lines_follow_rules(slide.lines, "停电通知")


def test_describe_gives_the_layout_as_text(face: FontFace, dot_face: Typeface) -> None:
    slide = render_on("停电通知", "周五8:00-17:30停电。", (1920, 1080), face, dot_face)

    assert describe(slide) == {
        "mode": "still",
        "font": "Noto Sans CJK SC Bold",
        "dot_matrix": False,
        "px": slide.font_px,
        "dots": None,
        "title_px": slide.title_px,
        "title_lines": ["停电通知"],
        "lines": slide.lines[1:],
    }


@pytest.mark.parametrize(("width", "height"), SCREENS)
def test_png_has_the_screen_size(face: FontFace, width: int, height: int) -> None:
    slide = render_slide(
        "推进五社联动", SEED["villages"], width, height, theme=theme_for(width, height), font=face
    )

    with Image.open(io.BytesIO(slide_png(slide.image))) as png:
        assert (png.format, png.size, png.mode) == ("PNG", (width, height), "RGB")


@pytest.mark.parametrize(
    ("title", "body", "width", "height"),
    [
        pytest.param("推进五社联动", SEED["circular"], 960, 576, id="960x576"),
        pytest.param("宣传主题", SEED["theme"], 352, 80, id="352x80"),
        pytest.param("", SEED["ceremony"], 1920, 1080, id="1920x1080-body-only"),
    ],
)
def test_font_size_is_the_largest_that_fits(
    face: FontFace, title: str, body: str, width: int, height: int
) -> None:
    theme = theme_for(width, height)
    slide = render_slide(title, body, width, height, theme=theme, font=face)
    assert slide.scroll is None

    one_larger = render_slide(
        title, body, width, height, theme=theme, font=face, min_glyph_px=slide.font_px + 1
    )

    assert one_larger.scroll is not None


def test_text_too_long_for_a_bar_scrolls(face: FontFace) -> None:
    theme = theme_for(352, 80)
    minimum = default_min_glyph_px(80)

    slide = render_slide("活动安排", SEED["knowledge"], 352, 80, theme=theme, font=face)

    assert slide.scroll is not None
    assert slide.scroll.height == 80
    assert slide.scroll.width > 352
    assert slide.image.size == (352, 80)
    assert slide.font_px >= minimum
    assert slide.lines == ["活动安排"]
    ink = slide.image.getbbox()
    assert ink is not None and ink[3] - ink[1] >= minimum * 0.8
    # The strip's text fills the bar, well above the still's minimum.
    strip_ink = slide.scroll.getbbox()
    assert strip_ink is not None and strip_ink[3] - strip_ink[1] >= 60


def test_body_too_long_without_title_shows_its_start(face: FontFace) -> None:
    slide = render_slide("", SEED["knowledge"], 352, 80, theme=THEMES["led-red"], font=face)

    assert slide.scroll is not None
    assert slide.font_px == default_min_glyph_px(80)
    assert slide.lines[-1].endswith("…")
    assert SEED["knowledge"].startswith(slide.lines[0])


@pytest.mark.parametrize(("theme_name"), ["led-red", "led-amber"])
def test_led_themes_use_only_two_colours(face: FontFace, theme_name: str) -> None:
    theme = THEMES[theme_name]

    slide = render_slide("宣传主题", SEED["knowledge"], 352, 80, theme=theme, font=face)

    assert slide.scroll is not None
    for image in (slide.image, slide.scroll):
        colours = {colour for _, colour in image.getcolors() or []}
        assert colours == {theme.background, theme.body}


def test_led_red_is_red_on_black(face: FontFace) -> None:
    slide = render_slide(
        "推进五社联动", "关爱一小一老", 352, 80, theme=THEMES["led-red"], font=face
    )

    assert {colour for _, colour in slide.image.getcolors() or []} == {BLACK, LED_RED}


def test_color_theme_has_a_title_band_and_smooth_text(face: FontFace) -> None:
    theme = THEMES["color"]

    slide = render_slide("推进五社联动", SEED["villages"], 960, 576, theme=theme, font=face)

    assert slide.image.getpixel((2, 2)) == theme.band
    # Antialiased text has many shades between text and background.
    assert len(slide.image.getcolors(1 << 16) or []) > 50


@pytest.mark.parametrize(
    ("width", "height", "name", "expected"),
    [
        pytest.param(352, 80, "auto", "led-red", id="bar-auto"),
        pytest.param(352, 128, "auto", "led-red", id="tall-bar-auto"),
        pytest.param(960, 576, "auto", "color", id="960x576-auto"),
        pytest.param(1920, 1080, "auto", "color", id="tv-auto"),
        pytest.param(352, 80, "led-amber", "led-amber", id="named"),
        pytest.param(1920, 1080, "high-contrast", "high-contrast", id="named-tv"),
    ],
)
def test_theme_for(width: int, height: int, name: str, expected: str) -> None:
    assert theme_for(width, height, name) is THEMES[expected]


def test_unknown_theme_names_the_known_ones() -> None:
    with pytest.raises(SlideError, match="led-red"):
        theme_for(960, 576, "rainbow")


@pytest.mark.parametrize(
    ("title", "body"),
    [
        pytest.param("推进五社联动", "", id="title-only"),
        pytest.param("", SEED["theme"], id="body-only"),
    ],
)
@pytest.mark.parametrize(("width", "height"), SCREENS)
def test_title_or_body_alone(
    face: FontFace, title: str, body: str, width: int, height: int
) -> None:
    slide = render_slide(title, body, width, height, theme=theme_for(width, height), font=face)

    assert "".join(slide.lines) == title or body
    assert slide.scroll is None
    assert slide.image.getbbox() is not None


@pytest.mark.parametrize("theme_name", list(THEMES))
def test_empty_slide_is_plain_background(face: FontFace, theme_name: str) -> None:
    theme = THEMES[theme_name]

    slide = render_slide("  ", "\n", 960, 576, theme=theme, font=face)

    assert (slide.lines, slide.scroll) == ([], None)
    assert slide.image.getpixel((480, 2)) == theme.background
    if theme.background_bottom is None:
        assert slide.image.getcolors() == [(960 * 576, theme.background)]


def test_too_small_screen_is_refused(face: FontFace) -> None:
    with pytest.raises(SlideError, match="too small"):
        render_slide("标题", "", 0, 80, theme=THEMES["led-red"], font=face)


def png_chunk_types(data: bytes) -> list[bytes]:
    types, offset = [], 8
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        types.append(data[offset + 4 : offset + 8])
        offset += 12 + length
    return types


def test_png_bytes_are_deterministic(face: FontFace) -> None:
    def render() -> bytes:
        slide = render_slide(
            "推进五社联动", SEED["circular"], 960, 576, theme=THEMES["color"], font=face
        )
        return slide_png(slide.image)

    first, second = render(), render()

    assert hashlib.sha256(first).hexdigest() == hashlib.sha256(second).hexdigest()
    # Pixels only: no text, time or colour-profile chunks that could differ.
    assert set(png_chunk_types(first)) == {b"IHDR", b"IDAT", b"IEND"}


def test_write_slide_stores_still_and_strip(face: FontFace, tmp_path: Path) -> None:
    dst = tmp_path / "slide.png"
    long = render_slide("活动安排", SEED["knowledge"], 352, 80, theme=THEMES["led-red"], font=face)
    short = render_slide("活动安排", "关爱一小一老", 352, 80, theme=THEMES["led-red"], font=face)
    assert long.scroll is not None

    write_slide(long, dst)

    assert dst.read_bytes() == slide_png(long.image)
    assert scroll_path(dst).read_bytes() == slide_png(long.scroll)

    write_slide(short, dst)

    assert dst.read_bytes() == slide_png(short.image)
    assert not scroll_path(dst).exists()
    assert sorted(path.name for path in tmp_path.iterdir()) == ["slide.png"]


GALLERY = [
    ("notice", "关于印发宣传活动方案的通知", SEED["circular"], None),
    ("dates", "活动时间", "2023年3月28日至4月7日，每天7:30、12:00、18:30播放。", None),
    ("long", "活动安排", SEED["knowledge"], None),
    ("title-only", "推进五社联动 关爱一小一老", "", "high-contrast"),
]


@pytest.mark.parametrize(("width", "height"), SCREENS)
def test_gallery_for_people_to_look_at(face: FontFace, width: int, height: int) -> None:
    """Write example slides to test-artifacts/slides/ for a person to judge by eye."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for name, title, body, theme_name in GALLERY:
        theme = theme_for(width, height, theme_name or "auto")
        slide = render_slide(title, body, width, height, theme=theme, font=face)
        dst = ARTIFACTS / f"{width}x{height}-{theme.name}-{name}.png"
        write_slide(slide, dst)
        with Image.open(dst) as png:
            assert png.size == (width, height)
