"""Line breaking: tokens that never split, kinsoku, widows and cut lines that keep figures whole."""

import unicodedata

import pytest

from media.errors import SlideError
from media.fonts import find_cjk_font, load_font
from media.linebreak import break_lines, break_with_fit, is_widow, segments, tokens, truncate
from tests.notice_kit import NOTICE_LINES

# Written out here rather than imported, so the test holds the rules on its own.
CLOSING = set("，。、；：？！）》」』】…％”’,.;:?!)%℃")
OPENING = set("（《「『【“‘(")


def cells(text: str) -> float:
    """Measure text in character cells: an ideograph is 1, a Latin letter or digit 0.5."""
    return sum(1.0 if unicodedata.east_asian_width(char) in "WFA" else 0.5 for char in text)


@pytest.mark.parametrize(
    ("text", "whole"),
    [
        pytest.param("拨打0595-2234567咨询", "0595-2234567", id="phone-with-area-code"),
        pytest.param("或拨打13812345678。", "13812345678", id="mobile"),
        pytest.param("手机138 1234 5678", "138 1234 5678", id="spaced-mobile"),
        pytest.param("请于2023年4月9日前上报", "2023年4月9日", id="date"),
        pytest.param("周五8:00-17:30停电", "8:00-17:30", id="time-range"),
        pytest.param("上午9:00—11:30接种", "9:00—11:30", id="time-range-em-dash"),
        pytest.param("3月28日-4月7日每天", "3月28日-4月7日", id="date-range"),
        pytest.param("降雨量50～80毫米", "50～80毫米", id="amount-range"),
        pytest.param("最低气温-2℃，", "-2℃", id="negative-temperature"),
        pytest.param("最高气温将达38℃以上", "38℃", id="temperature"),
        pytest.param("发放2000余份资料", "2000余份", id="approximate-count"),
        pytest.param("补贴15.6万元已到位", "15.6万元", id="decimal-with-magnitude"),
        pytest.param("今年是第7年", "第7年", id="ordinal"),
        pytest.param("第3期“乡村”", "第3期", id="ordinal-issue"),
        pytest.param("每亩105.5元", "105.5元", id="decimal-money"),
        pytest.param("覆盖率达到85%以上", "85%", id="percent"),
        pytest.param("上午8时30分在村小学", "8时30分", id="chinese-time"),
        pytest.param("65周岁以上", "65周岁", id="two-char-unit"),
        pytest.param("未来24小时降雨", "24小时", id="hours"),
        pytest.param("2023-07-04 11:05来源", "2023-07-04", id="iso-date"),
        pytest.param("登录www.njx.gov.cn查询", "www.njx.gov.cn", id="web-address"),
        pytest.param("城乡公交K3路", "K3", id="bus-line"),
        pytest.param("5G网络覆盖", "5G", id="number-and-letter"),
        pytest.param("宣传《森林防火条例》", "《森林防火条例》", id="short-book-title"),
        pytest.param("请稍候……好的", "……", id="ellipsis-pair"),
        pytest.param("4月9日（周五）停电", "（周五）", id="short-aside"),
        pytest.param("请各村(社区)结合实际", "(社区)", id="half-width-aside"),
    ],
)
def test_tokens_that_never_split(text: str, whole: str) -> None:
    assert whole in tokens(text)


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        pytest.param("不听、不信", ["不", "听、", "不", "信"], id="closer-clings-before"),
        pytest.param("第3期“五社”", ["第3期", "“五", "社”"], id="opener-clings-after"),
        pytest.param(
            "拨打0595-2234567，或", ["拨", "打", "0595-2234567，", "或"], id="closer-on-number"
        ),
        pytest.param("（一）社会", ["（一）", "社", "会"], id="bracketed-number"),
        pytest.param(
            "（不超过五个字）", ["（不", *"超过五个", "字）"], id="long-aside-breaks-inside"
        ),
        pytest.param("五 ，六", ["五 ，", "六"], id="space-before-comma"),
        pytest.param("五“ 六”", ["五", "“ 六”"], id="space-after-opener"),
        pytest.param(
            "宣传《南江县加强社会工作专业人才队伍建设实施办法》",
            ["宣", "传", "《南", *"江县加强社会工作专业人才队伍建设实施办", "法》"],
            id="long-book-title-breaks-inside",
        ),
    ],
)
def test_marks_cling_to_their_text(text: str, parts: list[str]) -> None:
    assert segments(text) == parts


@pytest.mark.parametrize(
    ("text", "width", "expected"),
    [
        pytest.param("一二三四五，六七", 5, ["一二三四", "五，六七"], id="comma-pulls-a-char-down"),
        pytest.param("一二三四五。”六七", 5, ["一二三四", "五。”六七"], id="closers-in-a-row"),
        pytest.param("一二三四《五》六", 5, ["一二三四", "《五》六"], id="opener-moves-down"),
        pytest.param("一二三“四五”六七", 4, ["一二三", "“四五”", "六七"], id="opening-quote"),
        pytest.param("一二三四五…六七", 5, ["一二三四", "五…六七"], id="ellipsis"),
        pytest.param("一二三四五％六七", 5, ["一二三四", "五％六七"], id="percent"),
        pytest.param("第一行\n第二行", 5, ["第一行", "第二行"], id="newline-kept"),
        pytest.param("第一段\n\n第二段", 5, ["第一段", "", "第二段"], id="empty-line-kept"),
        pytest.param("  开头有空格", 8, ["开头有空格"], id="leading-spaces-dropped"),
        pytest.param("一二三四五 六七", 5, ["一二三四五", "六七"], id="space-at-break-dropped"),
        pytest.param("一二三四五 ，六七", 5, ["一二三四", "五 ，六七"], id="space-before-comma"),
        pytest.param("", 5, [""], id="empty"),
        pytest.param(
            "不听、不信、不转账！", 5, ["不听、不", "信、不", "转账！"], id="widow-on-five"
        ),
        pytest.param(
            "不听、不信、不转账！", 6, ["不听、不信、", "不转账！"], id="widow-pulled-down"
        ),
        pytest.param("请拨打0595-2234567", 6, ["请拨打", "0595-2234567"], id="phone-moves-whole"),
        pytest.param("最低气温-2℃。", 5, ["最低气", "温-2℃。"], id="widow-gets-company"),
        pytest.param("一二三四五。", 5, ["一二三", "四五。"], id="no-lone-full-stop"),
        pytest.param(
            "话：0595-2234567，或拨打", 7, ["话：", "0595-2234567，", "或拨打"], id="one-token-line"
        ),
        pytest.param(
            "话：0595-2234567，", 4, ["话：", "0595-2234567，"], id="too-wide-stays-whole"
        ),
    ],
)
def test_break_rules(text: str, width: float, expected: list[str]) -> None:
    assert break_lines(text, cells, width) == expected


def test_a_token_wider_than_the_line_is_never_split() -> None:
    broken = break_with_fit("请拨打0595-2234567咨询", cells, 4)

    assert "0595-2234567" in broken.lines
    assert broken.fits is False


def test_text_that_fits_says_so() -> None:
    assert break_with_fit("请拨打0595-2234567咨询", cells, 7).fits is True


def test_zero_width_line_is_refused() -> None:
    with pytest.raises(SlideError):
        break_lines("中文", cells, 0)


@pytest.mark.parametrize(
    ("line", "widow"),
    [
        pytest.param("账！", True, id="char-and-mark"),
        pytest.param("账", True, id="one-char"),
        pytest.param("转账！", False, id="two-chars"),
        pytest.param("12345。", False, id="number"),
        pytest.param("。", False, id="mark-only"),
    ],
)
def test_is_widow(line: str, widow: bool) -> None:
    assert is_widow(line) is widow


@pytest.mark.parametrize(
    ("lines", "room", "width", "expected"),
    [
        pytest.param(["请拨打12345", "热线"], 1, 5.5, ["请拨打…"], id="number-dropped-whole"),
        pytest.param(["今晚18:30", "在村委"], 1, 4.5, ["今晚…"], id="time-dropped-whole"),
        pytest.param(["第3期“乡", "村振兴”"], 1, 4.5, ["第3期…"], id="no-opening-mark-before-cut"),
        pytest.param(["今年是《防火条例》", "实施"], 1, 9, ["今年是…"], id="no-book-title-opener"),
        pytest.param(["今晚停电，请", "准备"], 1, 6, ["今晚停电…"], id="pause-mark-dropped"),
        pytest.param(["一二三", "四五六", "七"], 2, 4, ["一二三", "四五六…"], id="room-for-two"),
        pytest.param(["一二", "三四"], 2, 4, ["一二", "三四"], id="all-fit"),
        pytest.param(["0595-2234567"], 1, 4, ["…"], id="nothing-whole-fits"),
        pytest.param(["请拨打", "0595-2234567"], 2, 4, ["请拨打…"], id="too-wide-line-not-shown"),
    ],
)
def test_truncate_keeps_figures_whole(
    lines: list[str], room: int, width: float, expected: list[str]
) -> None:
    assert truncate(lines, room, cells, width) == expected


@pytest.mark.parametrize("width", [3, 4, 5, 6, 7, 8, 10, 12, 16, 20])
@pytest.mark.parametrize("name", sorted(NOTICE_LINES))
def test_notice_lines_break_by_the_rules(name: str, width: int) -> None:
    text = NOTICE_LINES[name]

    broken = break_with_fit(text, cells, width)

    for number, line in enumerate(broken.lines):
        assert line == line.strip(), line
        assert line[-1:] not in OPENING, f"line {number} ends with an opener: {line!r}"
        if number > 0:
            assert line[:1] not in CLOSING, f"line {number} starts with a closer: {line!r}"
        if cells(line) > width:
            # Only a single token may overflow, and then the text is reported unfit.
            assert len(segments(line)) == 1 and not broken.fits, line
    assert "".join("".join(broken.lines).split()) == "".join(text.split())
    # Every token of the text sits whole on one line.
    for token in tokens(text):
        if len(token) > 1 and not token.isspace():
            assert any(token in line for line in broken.lines), token


def test_a_line_wider_than_its_parts_moves_a_segment_down() -> None:
    # As kerning can make a whole line wider than its segments measured apart.
    def kerned(text: str) -> float:
        return cells(text) + (1.0 if "三四" in text else 0.0)

    lines = break_lines("一二三四五六七八", kerned, 4)

    assert all(kerned(line) <= 4 for line in lines), lines
    assert "".join(lines) == "一二三四五六七八"
    assert lines[0] == "一二三"  # "一二三四" measures 5 whole


def test_real_font_widths_are_respected() -> None:
    font = load_font(find_cjk_font(), 20)
    text = NOTICE_LINES["outage-phone"]

    for width in range(160, 400, 17):
        broken = break_with_fit(text, font.getlength, width)
        assert broken.fits
        assert all(font.getlength(line) <= width for line in broken.lines), width
