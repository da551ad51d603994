"""The station checks' findings said in Chinese: every code, and no English left in them."""

from __future__ import annotations

import re

import pytest
from flask import Flask

from playlists.health import CheckCode, CheckResult
from web.check_words import WORDS, check_words

# Parameters as the checks fill them: paths, programs and devices stay as typed.
PARAMS = {
    "name": "东村",
    "timezone": "Asia/Shanghai",
    "path": "/var/lib/villagecast/villagecast.db",
    "error": "disk I/O error",
    "found": 7,
    "expected": 8,
    "version": 8,
    "free_mb": 150,
    "need_mb": 200,
    "seconds": 42,
    "effect": "fallback",
    "voice": "cn1",
    "engines": "gtts → mbrola → espeak-ng",
    "program": "aplay",
    "device": "default",
    "screens": "led-bar, tv",
    "font": "NotoSansCJK-Bold.ttc",
}
# What may stay Latin in a Chinese finding: the parameters above, and product names.
ALLOWED = re.compile(r"mbrola|espeak-ng|mpv|fonts-noto-cjk|fonts-wqy-zenhei|villagecast init|MB")


@pytest.mark.parametrize("code", list(CheckCode), ids=str)
def test_every_finding_is_said_in_chinese(app: Flask, code: CheckCode) -> None:
    assert code in WORDS
    with app.test_request_context(headers={"Accept-Language": "zh"}):
        words = check_words(CheckResult("x", "ok", code, PARAMS))
    rest = ALLOWED.sub("", words)
    for value in PARAMS.values():
        rest = rest.replace(str(value), "")
    if code is not CheckCode.SCREENS_OK:  # the screen list alone
        assert re.search(r"[\u4e00-\u9fff]", words), words
    assert not re.search(r"[A-Za-z]{2,}", rest), words


@pytest.mark.parametrize(
    ("effect", "says"),
    [
        pytest.param("fallback", "备用语音", id="fallback"),
        pytest.param("none", "断网时无法播报", id="none"),
    ],
)
def test_a_missing_offline_voice_says_what_follows(app: Flask, effect: str, says: str) -> None:
    result = CheckResult("speech", "warn", CheckCode.MBROLA_MISSING, {"effect": effect})
    with app.test_request_context(headers={"Accept-Language": "zh"}):
        assert says in check_words(result)
