"""The Chinese catalog: every panel string translated, placeholders kept, .mo up to date."""

from __future__ import annotations

import io
import re

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

from tests.paths import REPO

WEB = REPO / "web"
CATALOG_DIR = WEB / "translations" / "zh" / "LC_MESSAGES"
KEYWORDS = {"_": None, "gettext": None, "_l": None, "lazy_gettext": None, "ngettext": (1, 2)}
METHODS = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\w+\}")


def load_po() -> Catalog:
    with open(CATALOG_DIR / "messages.po", "rb") as handle:
        return read_po(handle)


def extracted() -> dict[str, str]:
    """Return every translatable string in web/ with the file that uses it."""
    found: dict[str, str] = {}
    for filename, _line, message, _comments, _context in extract_from_dir(
        WEB, METHODS, keywords=KEYWORDS, comment_tags=()
    ):
        msgid = message[0] if isinstance(message, tuple) else message
        found.setdefault(msgid, filename)
    return found


def test_strings_are_found_in_code_and_templates() -> None:
    files = set(extracted().values())
    assert any(name.endswith(".py") for name in files)
    assert any(name.endswith(".html") for name in files)


def test_every_panel_string_has_a_chinese_translation() -> None:
    catalog = load_po()
    missing = [
        f"{msgid!r} ({where})"
        for msgid, where in sorted(extracted().items())
        if catalog.get(msgid) is None or not catalog.get(msgid).string
    ]
    assert not missing, "translate in messages.po: " + "; ".join(missing)


def test_translations_keep_every_placeholder() -> None:
    for message in load_po():
        if message.id and message.string:
            ours = sorted(PLACEHOLDER.findall(str(message.string)))
            assert ours == sorted(PLACEHOLDER.findall(str(message.id))), message.id


def test_catalog_has_no_fuzzy_entries() -> None:
    fuzzy = [m.id for m in load_po() if m.id and m.fuzzy]
    assert not fuzzy, f"fuzzy entries are not compiled: {fuzzy}"


def test_catalog_holds_no_unused_strings() -> None:
    used = extracted()
    unused = [m.id for m in load_po() if m.id and m.id not in used]
    assert not unused, f"remove from messages.po (no longer in web/): {unused}"


def test_committed_mo_is_the_compiled_po() -> None:
    fresh = io.BytesIO()
    write_mo(fresh, load_po())
    fresh.seek(0)
    with open(CATALOG_DIR / "messages.mo", "rb") as handle:
        committed = read_mo(handle)
    expected = {m.id: m.string for m in read_mo(fresh) if m.id}
    actual = {m.id: m.string for m in committed if m.id}
    assert actual == expected, "run: .venv/bin/pybabel compile -d web/translations"


@pytest.mark.parametrize(
    "name", ["played", "interrupted", "skipped", "missed", "failed", "playing"]
)
def test_outcomes_read_as_the_town_expects(name: str) -> None:
    wanted = {
        "played": "已播出",
        "interrupted": "被中断",
        "skipped": "已跳过",
        "missed": "错过",
        "failed": "失败",
        "playing": "正在播出",
    }
    assert load_po().get(name).string == wanted[name]
