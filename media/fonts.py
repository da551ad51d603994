"""Find the CJK fonts slides are drawn with, and load them at any pixel size.

Everything here works offline: the fonts come from the system, found through
fontconfig or, without it, at known paths. The outline face is from the Debian
package ``fonts-noto-cjk``; the dot-matrix face for single-colour LED screens is
WenQuanYi Zen Hei Sharp (``fonts-wqy-zenhei``), whose 12–16 px bitmap strikes
FreeType draws one pixel per dot, or else GNU Unifont (``fonts-unifont``, 16 px).
"""

import shutil
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from media.errors import FontError

DEFAULT_PATTERN = "Noto Sans CJK SC:style=Bold"
INSTALL_HINT = "install the Debian package fonts-noto-cjk (sudo apt install fonts-noto-cjk)"

# Searched in order when fontconfig is missing or finds no Chinese font. The
# Noto collections hold Japanese, Korean and Chinese faces; the Simplified
# Chinese one is picked by name, since its index differs between releases.
KNOWN_FONT_FILES = (
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Black.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Medium.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/truetype/noto/NotoSansCJK-Bold.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc"),
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
)
# Bitmap CJK faces, best first: Zen Hei Sharp's strikes set Chinese punctuation in
# the corner of its cell; Unifont centres it, the Japanese way.
DOT_MATRIX_FACES = (
    (Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"), "WenQuanYi Zen Hei Sharp"),
    (Path("/usr/share/fonts/opentype/unifont/unifont.otf"), "Unifont"),
)
# Bitmap strikes of CJK fonts lie in this range; sizes outside it are never native.
_STRIKE_RANGE = range(9, 33)
_STRIKE_PROBE = "国困通知"
_FC_TIMEOUT = 10.0
# A .ttc rarely holds more than a dozen faces; the bound stops a broken file
# from keeping the scan busy.
_MAX_FACES = 32
# Enough for a binary search over sizes on each of a few screens.
_FONT_CACHE_SIZE = 128


@dataclass(frozen=True)
class FontFace:
    """One face of a font file: the file and the face's index inside a collection."""

    path: Path
    index: int = 0


def find_cjk_font(preferred: str | None = None) -> FontFace:
    """Find a bold Simplified Chinese face; preferred is a font file or a fontconfig pattern."""
    if preferred and _looks_like_path(preferred):
        return _face_in_file(Path(preferred))
    face = _fc_match(preferred or DEFAULT_PATTERN)
    if face is not None:
        return face
    for path in KNOWN_FONT_FILES:
        if path.is_file():
            return _face_in_file(path)
    raise FontError(f"no Chinese font found; {INSTALL_HINT}")


@lru_cache(maxsize=_FONT_CACHE_SIZE)
def load_font(face: FontFace, size: int) -> ImageFont.FreeTypeFont:
    """Load a face at a pixel size, reusing fonts already loaded."""
    try:
        # Chinese needs no complex shaping; the basic layout measures single
        # characters several times faster than libraqm and draws the same on
        # machines with or without libraqm.
        return ImageFont.truetype(
            str(face.path), size, index=face.index, layout_engine=ImageFont.Layout.BASIC
        )
    except OSError as exc:
        raise FontError(f"cannot load font {face.path} ({exc}); {INSTALL_HINT}") from None


def find_dot_matrix_font() -> tuple[FontFace, tuple[int, ...]] | None:
    """Find an installed bitmap CJK face and its native pixel sizes; None if there is none."""
    for path, family in DOT_MATRIX_FACES:
        if not path.is_file():
            continue
        for index, (name, _) in enumerate(_face_names(path)):
            if name == family:
                face = FontFace(path, index)
                sizes = native_sizes(face)
                if sizes:
                    return face, sizes
    return None


@lru_cache(maxsize=8)
def native_sizes(face: FontFace) -> tuple[int, ...]:
    """Return the pixel sizes at which the face draws Chinese as bitmaps, one pixel per dot."""
    sizes = []
    for px in _STRIKE_RANGE:
        # Only a bitmap (or a pixel-grid outline at its design size) draws with
        # nothing but fully lit and fully dark pixels when antialiasing is on.
        # Probed without load_font's cache: it would keep two dozen sizes of the face,
        # ~3 MB each, in a process that only wanted to know which face it is.
        font = load_font.__wrapped__(face, px)
        mask = Image.new("L", (px * len(_STRIKE_PROBE) + 4, 2 * px), 0)
        draw = ImageDraw.Draw(mask)
        draw.fontmode = "L"
        draw.text((2, px // 2), _STRIKE_PROBE, font=font, fill=255)
        levels = {level for level, count in enumerate(mask.histogram()) if count}
        if levels == {0, 255}:
            sizes.append(px)
    # A grid outline such as Unifont is also sharp at 2, 3… times its design size;
    # those are drawn by enlarging the design size instead.
    return tuple(px for px in sizes if not any(px % low == 0 and px > low for low in sizes))


def _looks_like_path(preferred: str) -> bool:
    return "/" in preferred or preferred.lower().endswith((".ttc", ".ttf", ".otf"))


def _fc_match(pattern: str) -> FontFace | None:
    """Ask fontconfig for the best face for pattern; None unless it covers Chinese."""
    fc_match = shutil.which("fc-match")
    if fc_match is None:
        return None
    # fc-match always answers with something, even a Latin-only font, so the
    # answer counts only if fontconfig says the face covers Simplified Chinese.
    command = [fc_match, "-f", "%{file}\t%{index}\t%{lang}", pattern]
    try:
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=_FC_TIMEOUT, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    parts = result.stdout.split("\t")
    if result.returncode != 0 or len(parts) != 3 or "zh-cn" not in parts[2].split("|"):
        return None
    path = Path(parts[0])
    if not path.is_file() or not parts[1].isdigit():
        return None
    return FontFace(path, int(parts[1]))


def _face_in_file(path: Path) -> FontFace:
    """Pick the Simplified Chinese face of a font file, preferring a bold one."""
    if not path.is_file():
        raise FontError(f"font file {path} not found; {INSTALL_HINT}")
    names = _face_names(path)
    if not names:
        raise FontError(f"{path} is not a font file Pillow can read; {INSTALL_HINT}")
    for wanted in (("SC", "Bold"), ("SC", None), (None, "Bold")):
        for index, (family, style) in enumerate(names):
            if _matches(family, style, *wanted):
                return FontFace(path, index)
    return FontFace(path, 0)


def _face_names(path: Path) -> list[tuple[str, str]]:
    """List (family, style) of every face in a font file, in index order."""
    names: list[tuple[str, str]] = []
    for index in range(_MAX_FACES):
        try:
            family, style = ImageFont.truetype(str(path), 12, index=index).getname()
        except OSError:
            break
        names.append((family or "", style or ""))
    return names


def _matches(family: str, style: str, script: str | None, weight: str | None) -> bool:
    # "Noto Sans Mono CJK SC" is also Simplified Chinese, but its Latin letters
    # are monospaced and look odd on a slide, so it loses to the proportional face.
    if "Mono" in family:
        return False
    if script is not None and not family.endswith(f" {script}"):
        return False
    return weight is None or style == weight
