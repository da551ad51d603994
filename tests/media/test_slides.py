"""Slides: Chinese line breaking, text fitted to each screen, themes and PNG output."""

import hashlib
import io
import re
import struct
from pathlib import Path

import pytest
from PIL import Image, ImageFont

from media.errors import SlideError
from media.fonts import FontFace, find_cjk_font, load_font
from media.linebreak import break_lines
from media.slides import (
    THEMES,
    RenderedSlide,
    default_min_glyph_px,
    render_slide,
    scroll_path,
    slide_png,
    text_box,
    theme_for,
    write_slide,
)
from tests.paths import REPO

ARTIFACTS = REPO / "test-artifacts" / "slides"

# Written out here rather than imported, so the test holds the rules on its own.
CLOSING = set("，。、；：？！）》」』】…％”’,.;:?!)%")
OPENING = set("（《「『【“‘(")

# Sentences copied from the seed notice (seed/000_764db24b36885519.txt), with its
# half-width commas and brackets, no-break spaces and broken quotation marks.
SEED = {
    "dated-line": "2023-07-04 11:05\u2003来源: 镇本级",
    "circular": (
        "现将《赤溪镇2023年社会工作主题宣传活动方案》印发你们,请按照要求,结合实际,认真组织实施。"
    ),
    "theme": "推进五社联动关爱一小一老",
    "signature-date": "2023年3月27日",
    "villages": "请各村(社区)结合实际,因地制宜重点宣传下列内容。",
    "knowledge": (
        "(一)社会工作知识宣传。通过公示栏粘贴、广场拉标语横幅、电子宣传屏投屏、"
        "广播等形式向群众宣传普及社会工作基本知识、服务宗旨、政策法规、标准规范等,"
        "让社会各界了解社工、关注社工、走近社工。"
    ),
    "book-titles": (
        "积极宣传《四川省社工人才培养工作方案》和"
        "《南江县加强社会工作专业人才队伍建设实施办法(试行)》,"
        "积极动员社会工作从业人员、村社区两委成员等参加全国社会工作者职业水平考试。"
    ),
    "quotes": (
        "公示社工服务范围、服务内容、服务清单、服务流程、优秀案例、"
        "服务人员和联系方式等突出社工服务的亲民化”“社会化”“专业化”\xa0特色,"
        "让社工服务是优质服务的认识深入人心。"
    ),
    "five-links": (
        "(五)“五社联动”助理基层治理宣传。\xa0宣传社区、社会组织、社会工作者、"
        "社区志愿者、社会慈善资源五社联动的意义,宣传社工在协助社区开展服务、"
        "培育社区社会组织、发展社区志愿者队伍、链接社会慈善资源中的作用;"
    ),
    "ceremony": "高度重视,精心组织。\xa0今年全国社会工作主题宣传活动启动仪式将在我省举办。",
    "safety": (
        "要严格贯彻落实中央八项规定精神等要求,坚持节俭高效原则,"
        "提前做好风险预估和风险防控,选择安全、合理的方式进行活动宣传。"
    ),
    "report": "各村(社区)要于49日前将本辖区开展宣传活动影像资料上报镇民政办。",
}
SENTENCES = [pytest.param(text, id=name) for name, text in SEED.items()]
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


def assert_well_broken(
    lines: list[str], text: str, font: ImageFont.FreeTypeFont, width: int
) -> None:
    """Check the line-breaking rules on lines set from text at one font size."""
    for number, line in enumerate(lines):
        assert font.getlength(line) <= width, f"line {number} is too wide: {line!r}"
        assert line == line.strip(), f"line {number} keeps a space at a break: {line!r}"
        assert not line or line[-1] not in OPENING, f"line {number} ends with an opener: {line!r}"
        if number > 0:
            assert line[:1] not in CLOSING, f"line {number} starts with a closer: {line!r}"
    # The lines are the text itself: nothing added, nothing lost but spaces at breaks.
    spaced = r"\s*" + r"\s*".join(map(re.escape, "".join(lines))) + r"\s*"
    assert re.fullmatch(spaced, text), lines


def assert_lines_fit(slide: RenderedSlide, face: FontFace) -> None:
    title_font = load_font(face, slide.title_px) if slide.title_line_count else None
    body_font = load_font(face, slide.font_px)
    for number, line in enumerate(slide.lines):
        font = title_font if number < slide.title_line_count and title_font else body_font
        assert font.getlength(line) <= slide.box[2], line


@pytest.mark.parametrize(("width", "height"), SCREENS)
@pytest.mark.parametrize("text", SENTENCES)
def test_seed_sentences_break_by_the_rules(
    face: FontFace, text: str, width: int, height: int
) -> None:
    box_width = text_box(width, height)[2]
    font = load_font(face, default_min_glyph_px(height))

    assert_well_broken(break_lines(text, font, box_width), text, font, box_width)

    slide = render_slide("", text, width, height, theme=theme_for(width, height), font=face)

    assert slide.image.size == (width, height)
    assert_lines_fit(slide, face)
    if slide.scroll is None:
        assert_well_broken(slide.lines, text, load_font(face, slide.font_px), box_width)
    else:
        # The still shows how the text starts; the strip carries all of it.
        assert slide.lines[0] and text.startswith(slide.lines[0].rstrip("…"))


@pytest.mark.parametrize(
    ("text", "chars_per_line", "expected"),
    [
        pytest.param("一二三四五，六七", 5, ["一二三四", "五，六七"], id="comma-pulls-a-char-down"),
        pytest.param("一二三四五。”六七", 5, ["一二三四", "五。”六七"], id="closers-in-a-row"),
        pytest.param("一二三四《五》六", 5, ["一二三四", "《五》六"], id="opener-moves-down"),
        pytest.param("一二三“四五”六", 4, ["一二三", "“四五”", "六"], id="opening-quote"),
        pytest.param("一二三四五…六", 5, ["一二三四", "五…六"], id="ellipsis"),
        pytest.param("一二三四五％", 5, ["一二三四", "五％"], id="percent"),
        pytest.param("第一行\n第二行", 5, ["第一行", "第二行"], id="newline-kept"),
        pytest.param("第一段\n\n第二段", 5, ["第一段", "", "第二段"], id="empty-line-kept"),
        pytest.param("  开头有空格", 8, ["开头有空格"], id="leading-spaces-dropped"),
        pytest.param("一二三四五 六七", 5, ["一二三四五", "六七"], id="space-at-break-dropped"),
        pytest.param("一二三四五 ，六", 5, ["一二三四", "五 ，六"], id="space-before-comma"),
        pytest.param("", 5, [""], id="empty"),
    ],
)
def test_break_rules(face: FontFace, text: str, chars_per_line: int, expected: list[str]) -> None:
    font = load_font(face, 20)
    width = round(font.getlength("中") * chars_per_line)

    assert break_lines(text, font, width) == expected


@pytest.mark.parametrize(
    ("text", "words"),
    [
        pytest.param("活动时间为2023年3月28日至4月7日", ["2023年3月28日", "4月7日"], id="dates"),
        pytest.param("每天18:30准时播放宣传内容", ["18:30"], id="time"),
        pytest.param(SEED["dated-line"], ["2023-07-04", "11:05"], id="seed-dated-line"),
        pytest.param("请检查广播主机CPU温度是否正常", ["CPU"], id="latin-word"),
        pytest.param(SEED["signature-date"], ["2023年3月27日"], id="seed-date"),
    ],
)
def test_words_and_numbers_stay_whole(face: FontFace, text: str, words: list[str]) -> None:
    font = load_font(face, 20)
    longest = max(font.getlength(word) for word in words)

    for width in range(int(longest) + 1, int(font.getlength(text)) + 40, 3):
        lines = break_lines(text, font, width)
        for word in words:
            assert any(word in line for line in lines), (width, lines)


def test_word_wider_than_the_line_is_split(face: FontFace) -> None:
    font = load_font(face, 20)
    word = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

    lines = break_lines(word, font, 100)

    assert len(lines) > 1
    assert "".join(lines) == word
    assert all(font.getlength(line) <= 100 for line in lines)


def test_zero_width_line_is_refused(face: FontFace) -> None:
    with pytest.raises(SlideError):
        break_lines("中文", load_font(face, 20), 0)


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


@pytest.mark.parametrize(
    ("height", "minimum"),
    [
        pytest.param(80, 16, id="bar-80"),
        pytest.param(32, 12, id="bar-32"),
        pytest.param(128, 25, id="bar-128"),
        pytest.param(576, 32, id="960x576"),
        pytest.param(1080, 60, id="1920x1080"),
        pytest.param(200, 16, id="small-screen"),
    ],
)
def test_minimum_glyph_size(height: int, minimum: int) -> None:
    assert default_min_glyph_px(height) == minimum


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
