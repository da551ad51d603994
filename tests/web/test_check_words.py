"""The station checks in the reader's language: every code health.py finds has its words."""

from __future__ import annotations

import re

import pytest
from flask import Flask

from playlists.health import CheckResult
from tests.paths import REPO
from web.check_words import WORDS, check_words

CODES = sorted(
    set(re.findall(r'_found\(\s*\w+,\s*"([a-z-]+)"', (REPO / "playlists/health.py").read_text()))
)


def test_every_code_health_finds_has_words() -> None:
    assert len(CODES) >= 20
    assert set(CODES) == set(WORDS)


@pytest.mark.parametrize(
    ("code", "params", "zh", "en"),
    [
        ("player-never", {}, "播放器从未运行：请启动它（villagecast player）。",
         "The player has never run: start it (villagecast player)."),
        ("disk-low", {"free": "120", "need": "200", "folder": "/data"},
         "剩余 120 MB，不足 200 MB：不能再上传文件或生成语音。",
         "120 MB free, below 200 MB: uploads and new speech are refused."),
        ("no-slide", {"names": "村口条屏、广场大屏"},
         "村口条屏、广场大屏 还没有显示画面：播放器在运行吗？",
         "No picture shown yet on 村口条屏、广场大屏: is the player running?"),
        ("clock-unknown", {}, "不清楚时钟是否已同步。",
         "Whether the clock is synchronized is not known."),
    ],
    ids=["player-never", "disk-low", "no-slide", "clock-unknown"],
)  # fmt: skip
def test_a_finding_in_chinese_and_english(
    app: Flask, code: str, params: dict[str, str], zh: str, en: str
) -> None:
    result = CheckResult("x", "warn", "english detail", code, params)
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        assert check_words(result) == zh
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert check_words(result) == en


def test_a_result_without_a_code_shows_its_detail(app: Flask) -> None:
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        assert check_words(CheckResult("x", "ok", "as it was")) == "as it was"
