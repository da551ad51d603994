"""Setting a slide's text: the legible minimum, margins and the sizes a typeface offers."""

import pytest

from media.fonts import find_cjk_font, find_dot_matrix_font
from media.slide_layout import default_min_glyph_px, size_range, text_box
from media.typeset import TextSize, Typeface


@pytest.fixture(scope="module")
def dot_face() -> Typeface:
    found = find_dot_matrix_font()
    assert found is not None, "install fonts-wqy-zenhei (scripts/setup does)"
    return Typeface(*found)


@pytest.mark.parametrize(
    ("width", "height", "minimum"),
    [
        pytest.param(352, 80, 16, id="bar-80"),
        pytest.param(128, 32, 12, id="bar-32"),
        pytest.param(352, 128, 25, id="bar-128"),
        pytest.param(960, 576, 32, id="960x576"),
        pytest.param(1920, 1080, 60, id="1920x1080"),
        pytest.param(1080, 1920, 60, id="portrait-reads-by-its-width"),
        pytest.param(768, 768, 42, id="square"),
        pytest.param(300, 200, 16, id="small-screen"),
    ],
)
def test_minimum_glyph_size(width: int, height: int, minimum: int) -> None:
    assert default_min_glyph_px(height, width) == minimum


@pytest.mark.parametrize(
    ("width", "height", "dot_matrix", "box"),
    [
        pytest.param(64, 32, True, (0, 0, 64, 32), id="module-edge-to-edge"),
        pytest.param(352, 80, True, (4, 1, 344, 78), id="bar-thin-margins"),
        pytest.param(352, 80, False, (12, 4, 328, 72), id="bar-outline"),
        pytest.param(1920, 1080, False, (67, 54, 1786, 972), id="tv"),
    ],
)
def test_text_box(width: int, height: int, dot_matrix: bool, box: tuple[int, ...]) -> None:
    assert text_box(width, height, dot_matrix) == box


def test_dot_matrix_sizes_are_native_or_whole_multiples_of_16(dot_face: Typeface) -> None:
    sizes = size_range(352, 80, text_box(352, 80, True), dot_face, None)

    assert sizes == [TextSize(16), TextSize(16, 2), TextSize(16, 3), TextSize(16, 4)]


def test_a_32_row_module_uses_16_dots_not_12(dot_face: Typeface) -> None:
    sizes = size_range(64, 32, text_box(64, 32, True), dot_face, None)

    assert sizes[0] == TextSize(16)


def test_a_16_row_module_still_gets_its_16_dots(dot_face: Typeface) -> None:
    assert size_range(64, 16, text_box(64, 16, True), dot_face, None) == [TextSize(16)]


@pytest.mark.parametrize(
    ("width", "height", "largest"),
    [
        pytest.param(1920, 1080, 255, id="landscape-by-width"),
        pytest.param(1080, 1920, 143, id="portrait-by-width"),
        pytest.param(960, 576, 127, id="wall"),
    ],
)
def test_big_screens_cap_text_by_height_and_width(width: int, height: int, largest: int) -> None:
    face = Typeface(find_cjk_font())

    sizes = size_range(width, height, text_box(width, height), face, None)

    assert sizes[-1] == TextSize(largest)
    assert sizes[0] == TextSize(default_min_glyph_px(height, width))
