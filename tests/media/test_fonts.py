"""Finding the system's Chinese font and loading it, without the network."""

from pathlib import Path

import pytest

from media import fonts
from media.errors import FontError, MediaError
from media.fonts import FontFace, find_cjk_font, find_dot_matrix_font, load_font, native_sizes


def test_default_font_is_bold_simplified_chinese() -> None:
    face = find_cjk_font()

    family, style = load_font(face, 40).getname()

    assert (family, style) == ("Noto Sans CJK SC", "Bold")


def test_font_draws_chinese() -> None:
    left, top, right, bottom = load_font(find_cjk_font(), 40).getbbox("中文")

    assert right - left > 60
    assert bottom - top > 30


def test_collection_file_gives_its_simplified_chinese_face() -> None:
    face = find_cjk_font()

    chosen = find_cjk_font(str(face.path))

    assert load_font(chosen, 20).getname() == ("Noto Sans CJK SC", "Bold")


def test_scan_of_known_files_works_without_fontconfig(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # An empty PATH: as on a machine without fontconfig's tools.
    monkeypatch.setenv("PATH", str(tmp_path))

    face = find_cjk_font()

    assert load_font(face, 20).getname()[0] == "Noto Sans CJK SC"


def test_loaded_fonts_are_reused() -> None:
    face = find_cjk_font()

    assert load_font(face, 33) is load_font(face, 33)
    assert load_font(face, 33) is not load_font(face, 34)


@pytest.mark.parametrize(
    "preferred",
    [
        pytest.param("/nonexistent/NotoSansCJK-Bold.ttc", id="missing-file"),
        pytest.param("NotoSansCJK-Bold.ttc", id="missing-relative-file"),
    ],
)
def test_missing_font_file_names_the_debian_package(preferred: str) -> None:
    with pytest.raises(FontError, match="fonts-noto-cjk") as caught:
        find_cjk_font(preferred)

    assert isinstance(caught.value, MediaError)


def test_no_chinese_font_anywhere_names_the_debian_package(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(fonts, "KNOWN_FONT_FILES", (tmp_path / "absent.ttc",))

    with pytest.raises(FontError, match="fonts-noto-cjk"):
        find_cjk_font()


def test_file_that_is_not_a_font_is_refused(tmp_path: Path) -> None:
    fake = tmp_path / "fake.ttf"
    fake.write_text("not a font")

    with pytest.raises(FontError, match="fonts-noto-cjk"):
        find_cjk_font(str(fake))


def test_unloadable_face_is_a_font_error(tmp_path: Path) -> None:
    with pytest.raises(FontError, match="fonts-noto-cjk"):
        load_font(FontFace(tmp_path / "gone.ttc", 0), 20)


def test_dot_matrix_face_is_zen_hei_sharp_with_its_bitmap_strikes() -> None:
    found = find_dot_matrix_font()

    assert found is not None, "install fonts-wqy-zenhei (scripts/setup does)"
    face, sizes = found
    assert load_font(face, 16).getname() == ("WenQuanYi Zen Hei Sharp", "Regular")
    assert sizes == (12, 13, 14, 15, 16)


def test_finding_the_dot_matrix_face_keeps_none_of_the_sizes_it_probed() -> None:
    native_sizes.cache_clear()
    load_font.cache_clear()

    found = find_dot_matrix_font()

    assert found is not None, "install fonts-wqy-zenhei (scripts/setup does)"
    assert load_font.cache_info().currsize == 0


def test_unifont_is_the_dot_matrix_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    unifont = [entry for entry in fonts.DOT_MATRIX_FACES if entry[1] == "Unifont"]
    monkeypatch.setattr(fonts, "DOT_MATRIX_FACES", tuple(unifont))

    found = find_dot_matrix_font()

    assert found is not None, "install fonts-unifont (scripts/setup does)"
    face, sizes = found
    assert load_font(face, 16).getname()[0] == "Unifont"
    # Also sharp at 32, 48…, which are drawn by enlarging 16.
    assert sizes == (16,)


def test_no_dot_matrix_face_installed(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(fonts, "DOT_MATRIX_FACES", ((tmp_path / "absent.ttc", "Absent"),))

    assert find_dot_matrix_font() is None


def test_an_outline_face_has_no_native_sizes() -> None:
    assert native_sizes(find_cjk_font()) == ()
