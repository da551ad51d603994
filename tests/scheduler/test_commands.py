"""Command helpers: output streamed item by item reads as the whole list would."""

from __future__ import annotations

import json

import pytest

from scheduler.commands import print_json_array

CASES = [
    pytest.param([], id="empty"),
    pytest.param([{"playlist": "节目", "quiet": False}], id="one-chinese"),
    pytest.param([{"reason": "line\nbreak", "ended": None}, {"nested": {"a": [1, 2]}}], id="two"),
    pytest.param([{"n": 1, "x": 0.5, "ok": True, 'q"': "\\"}, {}], id="scalars-and-empty"),
    pytest.param([{1: "int key"}], id="int-key"),
]


@pytest.mark.parametrize("items", CASES)
def test_streamed_json_array_is_byte_identical_to_the_whole_list(
    items: list[object], capsys: pytest.CaptureFixture[str]
) -> None:
    print_json_array(iter(items))
    assert capsys.readouterr().out == json.dumps(items, ensure_ascii=False, indent=2) + "\n"
