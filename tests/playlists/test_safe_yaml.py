"""Hostile YAML is refused cheaply, before it is built, at the one door every playlist uses."""

from __future__ import annotations

import time

import pytest
import yaml

from playlists import safe_yaml
from playlists.content.playlist_format import parse_playlist
from playlists.errors import PlaylistFormatError


def nested_flow(depth: int) -> str:
    return "items: " + "[" * depth + "]" * depth + "\n"


def nested_block(depth: int) -> str:
    return "".join(f"{'  ' * level}k{level}:\n" for level in range(depth)) + "  " * depth + "x\n"


# libyaml stops at 1,000 levels itself ("maximum nesting depth"); the walk at 12.
NESTED = "nest(ed|ing)"

HOSTILE = [
    pytest.param(nested_flow(10_000), NESTED, id="20-KB-nested-10000-deep"),
    pytest.param(nested_flow(950_000), NESTED, id="1.9-MB-nested"),
    pytest.param(nested_flow(1_000_001), "at most 2,000,000", id="2-MB-nested-over-the-size"),
    pytest.param(nested_block(500), NESTED, id="block-mappings-500-deep"),
    pytest.param(
        "format: villagecast/playlist@1\nname: n\nitems:\n" + "- pause: 1\n" * 100_000,
        "more than 20,000 values",
        id="100000-items",
    ),
    pytest.param("[" + "1," * 30_000 + "1]", "more than 20,000 values", id="flat-flow-list"),
    pytest.param(
        "a: &a [x, x]\nb: &b [*a, *a]\nc: [*b, *b]\n",
        r"aliases \(\*a\) are not allowed",
        id="alias",
    ),
    pytest.param("x" * 2_000_001, "at most 2,000,000", id="one-long-scalar"),
]


@pytest.mark.parametrize(("text", "message"), HOSTILE)
def test_hostile_yaml_is_refused_at_once(text: str, message: str) -> None:
    started = time.process_time()
    with pytest.raises(PlaylistFormatError, match=message):
        parse_playlist(text, "evil.yaml")
    # CPU seconds, not wall time: minutes before the bounds, a small fraction of one now.
    assert time.process_time() - started < 5


@pytest.mark.parametrize("as_bytes", [False, True], ids=["text", "bytes"])
def test_the_size_is_checked_before_the_text_is_decoded(as_bytes: bool) -> None:
    data = "广" * 700_000  # 2.1 MB in UTF-8, 700,000 characters
    with pytest.raises(PlaylistFormatError, match="is 2,100,000 bytes"):
        parse_playlist(data.encode() if as_bytes else data, "big.yaml")


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("a: [b, {c: d}]\n", id="nested"),
        pytest.param(nested_flow(safe_yaml.MAX_DEPTH - 1), id="just-under-the-depth"),
        pytest.param("t: [07:30, 7:30, 2023-03-28, yes, '1', 1.5]\n", id="times-dates-yaml-1.1"),
    ],
)
def test_ordinary_yaml_loads_as_the_safe_loader_does(text: str) -> None:
    assert safe_yaml.load_bounded(text, "ok.yaml") == yaml.safe_load(text)


def test_the_largest_playlist_fits_the_bounds() -> None:
    item = "- announcement: " + "通" * 2000 + "\n  slide: {title: 标题, body: 内容}\n  repeat: 2\n"
    times = "[" + ", ".join(f'"{h:02d}:00"' for h in range(24)) + "]"
    entry = f"- {{start: 2023-03-28, end: 2023-04-07, times: {times}}}\n"
    text = (
        "format: villagecast/playlist@1\nname: 最大\nitems:\n"
        + item * 200
        + "schedule:\n"
        + entry * 5
    )
    spec = parse_playlist(text, "largest.yaml")
    assert len(spec.items) == 200 and len(spec.schedule) == 5


def test_uses_the_c_loader_where_pyyaml_has_it() -> None:
    if yaml.__with_libyaml__:
        assert safe_yaml._LOADER is yaml.CSafeLoader
