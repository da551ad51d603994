"""Rewrite announcement text the way a broadcaster reads it, before synthesis.

Dates, times, amounts, percentages and temperatures are read by wetext, the
pynini-free runtime of WeTextProcessing's Chinese grammars, which ships its
transducers in the wheel and is loaded on first use (about 0.4 s and 40 MB).
Small steps around it add what it lacks: phone numbers read digit by digit with
幺, in groups with a pause between (mobile 3-4-4, the area code apart),
temperatures below zero read 零下, a few symbols it misreads, and punctuation
turned into marks that every engine pauses on. The slide keeps the original
text; only speech goes through here.

Speech clips are cached by the text they speak, so callers add
``NORMALIZER_VERSION`` to the cache key: a better normalizer changes what is said.
"""

import logging
import re
import threading
import unicodedata
from collections.abc import Callable
from importlib import metadata

logger = logging.getLogger(__name__)

# Raise when a rule below changes what is spoken.
_RULES_VERSION = "vc4"

Normalize = Callable[[str], str]

_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# Marks both engines pause on, weakest first. The ASCII ones are turned into
# these: espeak-ng pauses on "," only before a space, which Chinese never has.
_PAUSES = "、，：；。！？"
_NUMERALS = "零〇一二三四五六七八九十"
_DIGIT_NAMES = str.maketrans("0123456789", "零幺二三四五六七八九")

# Look-alikes of the symbols wetext's grammars know: the Unicode minus sign,
# fullwidth percent and tilde, the ratio sign used as a colon in 18∶30.
_SYMBOL_LOOKALIKES = str.maketrans(
    {"−": "-", "﹣": "-", "－": "-", "∶": ":", "％": "%", "﹪": "%", "～": "~", "〜": "~"}
)
# Units squeezed into one character, which would be dropped as pictographs.
_UNIT_SIGNS = str.maketrans(
    {
        "㎡": "平方米",
        "㎥": "立方米",
        "㎞": "公里",
        "㎏": "千克",
        "㎎": "毫克",
        "㎝": "厘米",
        "㎜": "毫米",
    }
)
_LINE_BULLET = re.compile(r"^ *(?:[-*+>] +|[•·◦‣⁃※] *)", re.MULTILINE)

_LANDLINE = re.compile(
    r"(?<![\d.])[(（]?(0\d{2,3})(?:\s*[)）]\s*|\s*[-—–]\s*|\s+)(\d{7,8})(?![\d.])"
)
_SERVICE_400 = re.compile(r"(?<![\d.])([48]00)[-\s]?(\d{3})[-\s]?(\d{4})(?![\d.])")
_MOBILE = re.compile(r"(?<![\d.])(?:\+86[-\s]*)?1[3-9]\d[-\s]?\d{4}[-\s]?\d{4}(?![\d.])")
_AFTER_PHONE_WORD = re.compile(
    r"(电话|热线|手机|号码|拨打|致电|专线|联系方式)([：:\s]*)(\d{3,12})(?![\d.%次个人元年月日号天])"
)
_BEFORE_HOTLINE = re.compile(r"(?<![\d.])(\d{3,12})(?=热线|专线)")

_RANGE_DASH = re.compile(
    r"(?<=[\d年月日号时点分秒%℃元])(?:\s*[—–~]\s*|\s+-\s+)(?=\d)|(?<=%)-(?=\d)"
)
# A temperature, or a range of them with the unit at least at its end: -3~5℃.
_DEGREES = r"(-?)\s*(\d+(?:\.\d+)?)\s*(?:℃|°C)"
_TEMPERATURE_RANGE = re.compile(
    r"(?<![\d.])(-?)\s*(\d+(?:\.\d+)?)\s*(?:℃|°C)?\s*(?:~|至|到|—|–|-)\s*" + _DEGREES
)
_TEMPERATURE = re.compile(r"(?<![\d.])" + _DEGREES)
# wetext says 两摄氏度 for 2℃, as it says 两个; a temperature is read 二摄氏度.
# The second day of a month (4月2日 → 四月两日 from wetext), not 十二日 or 二十二日.
_TWO_DAY = re.compile(r"(?<=月)两日")
_TWO_DEGREES = re.compile(r"(?<![零一二两三四五六七八九十百千万点])两(?=摄氏度)")
_HOUR_ZERO = re.compile(r"(?<![\d:])0:(?=[0-5]\d(?!\d))")
_LATIN_HYPHEN = re.compile(r"(?<=[A-Za-z])-(?=\d)")
_DOCUMENT_YEAR = re.compile(r"[〔［\[]((?:19|20)\d\d)[〕］\]]")

_SENTENCE_END = re.compile(r"([。！？；!?;\n]+)")
_ENUMERATOR = re.compile(
    rf"(^|[{_PAUSES}\n])\s*(?:[(（]([{_NUMERALS}]+)[)）]|([{_NUMERALS}]+)\.(?![{_NUMERALS}]))"
)
_REWRITES = (
    (re.compile(r"\.{3,}|。{3,}|[…⋯]+"), "，"),  # ellipsis
    (re.compile(r"[—―─]+|-{2,}"), "，"),  # dashes left over once ranges are read
    (re.compile(r"”\s*“"), "、"),  # “亲民化”“社会化”: quoted items in a row
    (re.compile(r"[【〖]"), ""),
    (re.compile(r"[】〗]"), "，"),  # a 【heading】 ends with a pause
    (re.compile(r"[“”\"「」『』‘’《》〈〉()（）\[\]［］〔〕{}]"), ""),
    (re.compile(rf"(?<=[{_HAN}])\s*/\s*(?=[{_HAN}])"), "、"),
    (re.compile(rf"(?<=[{_HAN}])\s*&\s*(?=[{_HAN}])"), "和"),
    # espeak-ng reads these aloud in English ("tilde", "hash", "asterisk").
    (re.compile(r"[~#*|•·◦‣⁃※_^`]"), ""),
)
_ASCII_PAUSE = re.compile(rf"(?<=[{_HAN}])\s*([,;:!?.])|([,;:!?])\s*(?=[{_HAN}])")
_ASCII_TO_FULLWIDTH = {",": "，", ";": "；", ":": "：", "!": "！", "?": "？", ".": "。"}
# Chinese puts no spaces between words: a space between two characters is a
# deliberate break, as in "2023-07-04 11:05 来源".
_SPACE_BETWEEN_HAN = re.compile(rf"(?<=[{_HAN}])\s+(?=[{_HAN}])")
_SPACE_BESIDE_HAN = re.compile(rf"\s+(?=[{_HAN}{_PAUSES}])|(?<=[{_HAN}{_PAUSES}])\s+")
_PAUSE_RUN = re.compile(rf"[{_PAUSES}]{{2,}}")


def _normalizer_version() -> str:
    """Name the normalizer and rules that speech_text applies."""
    try:
        return f"wetext-{metadata.version('wetext')}+{_RULES_VERSION}"
    except metadata.PackageNotFoundError:
        return f"none+{_RULES_VERSION}"


NORMALIZER_VERSION: str = _normalizer_version()


class LazyNormalizer:
    """A text normalizer loaded on first use and shared by every thread."""

    def __init__(self, load: Callable[[], Normalize]) -> None:
        self._load = load
        self._lock = threading.Lock()
        self._normalize: Normalize | None = None
        self._failed = False

    def __call__(self, text: str) -> str:
        """Return text normalized, or unchanged when the normalizer cannot be loaded."""
        # One lock for loading and running: the grammars must load once, and
        # kaldifst does not promise that its transducers may be shared by threads.
        with self._lock:
            if self._normalize is None and not self._failed:
                try:
                    self._normalize = self._load()
                # A missing or broken install (ImportError, OSError, a kaldifst
                # RuntimeError) must cost number reading, never the broadcast.
                except Exception as exc:
                    self._failed = True
                    logger.warning("text normalizer unavailable, numbers read as written: %s", exc)
            if self._normalize is None:
                return text
            return self._normalize(text)


def _load_wetext() -> Normalize:
    """Load wetext's Chinese text-normalization grammars."""
    from wetext import Normalizer  # type: ignore[import-untyped]

    # "auto" would pick the English grammars for text without Han characters.
    normalizer = Normalizer(lang="zh", operator="tn")

    def normalize(text: str) -> str:
        return str(normalizer.normalize(text))

    return normalize


_wetext = LazyNormalizer(_load_wetext)


def speech_text(text: str) -> str:
    """Return text rewritten the way a broadcaster reads it aloud."""
    try:
        return _spoken(text, _wetext)
    # This runs before every synthesis: a bug in a rule must never silence a broadcast.
    except Exception:
        logger.warning("text normalization failed; speaking the text as written", exc_info=True)
        return text


def _spoken(text: str, normalize: Normalize) -> str:
    """Apply every step of speech_text with the given number normalizer."""
    text = _clean_characters(text)
    text = _read_phone_numbers(text)
    text = _prepare_for_normalizer(text)
    text = _read_numbers(text, normalize)
    text = _fix_ordinals(text)
    text = _TWO_DEGREES.sub("二", text)
    return _punctuation_to_pauses(text)


def _clean_characters(text: str) -> str:
    """Drop what cannot be spoken and make every space and line break plain."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").translate(_SYMBOL_LOOKALIKES)
    text = text.translate(_UNIT_SIGNS)
    kept: list[str] = []
    for char in text:
        category = unicodedata.category(char)
        if char == "\n":
            kept.append(char)
        elif category == "Zs" or char == "\t":
            kept.append(" ")
        elif category in ("Zl", "Zp"):
            kept.append("\n")
        elif category[0] == "C" or _is_pictograph(char, category):
            continue
        else:
            kept.append(char)
    return _LINE_BULLET.sub("", "".join(kept))


def _is_pictograph(char: str, category: str) -> bool:
    """Tell whether char is an emoji, arrow, dingbat or their modifier."""
    code = ord(char)
    if 0xFE00 <= code <= 0xFE0F or code == 0x20E3 or 0xE0100 <= code <= 0xE01EF:
        return True  # variation selectors and the keycap that dress up emoji
    if 0x2190 <= code <= 0x21FF:
        return True  # arrows
    # Below U+2190 sit symbols that are read (℃, °); from U+FF00 the fullwidth
    # forms of ASCII ones. Mathematical signs (≥, ±) are left to the engines.
    return category in ("So", "Sk") and (0x2190 <= code < 0xFF00 or code >= 0x10000)


def _read_phone_numbers(text: str) -> str:
    """Spell out phone numbers digit by digit with 幺 for 1, in groups with a pause between."""
    text = _LANDLINE.sub(lambda m: _grouped(m.group(1), *_local_groups(m.group(2))), text)
    text = _SERVICE_400.sub(lambda m: _grouped(*m.groups()), text)
    text = _MOBILE.sub(lambda m: _mobile(m.group(0)), text)
    text = _AFTER_PHONE_WORD.sub(lambda m: m.group(1) + m.group(2) + _digits(m.group(3)), text)
    return _BEFORE_HOTLINE.sub(lambda m: _digits(m.group(1)), text)


def _mobile(number: str) -> str:
    """Read a mobile number in the groups listeners write it down in: 3-4-4."""
    digits = re.sub(r"\D", "", number.removeprefix("+86"))
    return _grouped(digits[:3], digits[3:7], digits[7:])


def _local_groups(number: str) -> tuple[str, str]:
    """Split a landline's local number as it is said: 3-4 for seven digits, 4-4 for eight."""
    return number[:-4], number[-4:]


def _grouped(*groups: str) -> str:
    """Read groups of digits one by one, with a pause between groups."""
    return "，".join(_digits(group) for group in groups)


def _digits(number: str) -> str:
    """Return the digits of number as spoken one by one."""
    return re.sub(r"\D", "", number).translate(_DIGIT_NAMES)


def _prepare_for_normalizer(text: str) -> str:
    """Rewrite forms wetext misreads into forms it reads right."""
    text = _read_temperatures(text)
    text = _RANGE_DASH.sub("~", text)  # 8:00—12:00 is a range, read with 到
    text = _HOUR_ZERO.sub("00:", text)  # 0:30 would be read as the ratio 零比三十
    text = _LATIN_HYPHEN.sub(" ", text)  # COVID-19 would be read as COVID负十九
    return _DOCUMENT_YEAR.sub(r"\1年", text)  # 〔2023〕 is a year, not 两千零二十三


def _read_temperatures(text: str) -> str:
    """Say 零下 for a temperature below zero, and give both ends of a range their unit."""

    def degrees(sign: str, number: str) -> str:
        return f"{'零下' if sign else ''}{number}℃"

    text = _TEMPERATURE_RANGE.sub(
        lambda m: f"{degrees(m.group(1), m.group(2))}到{degrees(m.group(3), m.group(4))}", text
    )
    return _TEMPERATURE.sub(lambda m: degrees(m.group(1), m.group(2)), text)


def _read_numbers(text: str, normalize: Normalize) -> str:
    """Read numbers in words, one sentence at a time, keeping any sentence it fails on."""
    parts = _SENTENCE_END.split(text)
    # Sentences at even indexes, the marks that end them at odd ones; wetext
    # strips its input, so the marks and line breaks stay out of its reach.
    for index in range(0, len(parts), 2):
        sentence = parts[index]
        if not re.search(r"\d", sentence):
            continue
        try:
            parts[index] = normalize(sentence)
        # The normalizer is third-party code on arbitrary text: whatever it
        # raises, the sentence is still spoken, as written.
        except Exception as exc:
            logger.warning("text normalizer failed on %r, read as written: %s", sentence, exc)
    return "".join(parts)


def _fix_ordinals(text: str) -> str:
    """Say 第二 and 二日, never 第两 or 两日: wetext reads 第2名 and 4月2日 as counts."""
    return _TWO_DAY.sub("二日", text.replace("第两", "第二"))


def _punctuation_to_pauses(text: str) -> str:
    """Turn marks, brackets and line breaks into pauses both engines make."""
    text = _ENUMERATOR.sub(lambda m: f"{m.group(1)}{m.group(2) or m.group(3)}、", text)
    for pattern, replacement in _REWRITES:
        text = pattern.sub(replacement, text)
    text = _ASCII_PAUSE.sub(lambda m: _ASCII_TO_FULLWIDTH[m.group(1) or m.group(2)], text)
    text = _join_lines(text)
    text = _SPACE_BETWEEN_HAN.sub("，", text)
    text = _SPACE_BESIDE_HAN.sub("", text)
    text = re.sub(r"\s{2,}", " ", text)
    text = _PAUSE_RUN.sub(lambda m: max(m.group(0), key=_PAUSES.index), text)
    text = text.lstrip(_PAUSES + " ")
    if text.endswith(("、", "，", "：", "；")):
        text = text[:-1] + "。"  # a falling close, not a voice left hanging
    return text


def _join_lines(text: str) -> str:
    """Join lines into one text, with a full stop where a line ends without a pause."""
    lines = [line.strip() for line in text.split("\n")]
    spoken: list[str] = []
    for line in filter(None, lines):
        if spoken and spoken[-1][-1] not in _PAUSES:
            spoken.append("。")
        spoken.append(line)
    return "".join(spoken)
