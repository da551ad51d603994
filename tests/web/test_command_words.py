"""Every answer of the player in the operator's language, Chinese and English, from its code."""

from __future__ import annotations

import pytest
from flask import Flask

from playlists.commands import CommandOutcome, CommandResult, ReasonCode, answer
from web.command_words import (
    CATEGORIES,
    WORDS,
    no_answer_words,
    result_words,
    unreadable_words,
)

TABLE = [
    pytest.param(
        answer(ReasonCode.STARTED),
        "info",
        "播放器已开始播出。",
        "The player started the broadcast.",
        id="started",
    ),
    pytest.param(
        answer(ReasonCode.WAITING, on_air="早间新闻"),
        "info",
        "已排队：正在播出的“早间新闻”结束后开始播出。",
        "The broadcast is queued: it starts when “早间新闻”, on air now, ends.",
        id="waiting",
    ),
    pytest.param(
        answer(ReasonCode.SLOT_BUSY, on_air="早间新闻"),
        "warning",
        "没有播出：当时正在播出“早间新闻”，这条广播设置为不等待。",
        "Not played: “早间新闻” was on air and this broadcast does not wait.",
        id="slot-busy",
    ),
    pytest.param(
        answer(ReasonCode.NOT_PLAYED),
        "warning",
        "播放器没有播出，原因见今日播出记录。",
        "The player did not play it; today's broadcast log says why.",
        id="not-played",
    ),
    pytest.param(
        answer(ReasonCode.STOPPED),
        "info",
        "已停止播出。",
        "The broadcast was stopped.",
        id="stopped",
    ),
    pytest.param(
        answer(ReasonCode.ITEM_SKIPPED, item=3),
        "info",
        "已跳过正在播出的这一条，接着播下一条。",
        "The item on air was skipped; the next one follows.",
        id="item-skipped",
    ),
    pytest.param(
        answer(ReasonCode.NOTHING_PLAYING),
        "info",
        "当前没有正在播出的内容，无需操作。",
        "Nothing was playing, so there was nothing to do.",
        id="nothing-playing",
    ),
    pytest.param(
        answer(ReasonCode.QUIET_HOURS, start="22:00", end="06:30"),
        "warning",
        "没有播出：现在是静音时段（22:00–06:30），只有紧急广播可以播出。",
        "Not played: these are quiet hours (22:00–06:30); only emergency broadcasts play now.",
        id="quiet-hours",
    ),
    pytest.param(
        answer(ReasonCode.NOT_APPROVED, subject="playlist", name="社会工作宣传"),
        "warning",
        "没有播出：节目单“社会工作宣传”还没有审核通过。",
        "Not played: the playlist “社会工作宣传” is not approved for broadcast.",
        id="not-approved-playlist",
    ),
    pytest.param(
        answer(ReasonCode.NOT_APPROVED, subject="announcement", name="停水通知"),
        "warning",
        "没有播出：通知“停水通知”还没有审核通过。",
        "Not played: the announcement “停水通知” is not approved for broadcast.",
        id="not-approved-announcement",
    ),
    pytest.param(
        answer(ReasonCode.NOT_FOUND, subject="playlist", id=9),
        "error",
        "没有播出：第 9 号节目单已不存在。",
        "Not played: playlist 9 no longer exists.",
        id="not-found-playlist",
    ),
    pytest.param(
        answer(ReasonCode.NOT_FOUND, subject="announcement", id=4),
        "error",
        "没有播出：第 4 号通知已不存在。",
        "Not played: announcement 4 no longer exists.",
        id="not-found-announcement",
    ),
    pytest.param(
        answer(ReasonCode.AUDIO_MISSING, sha256="ab12"),
        "error",
        "没有播出：广播站上找不到这段录音，请重新生成语音。",
        "Not played: the recording is missing from the station; make the speech again.",
        id="audio-missing",
    ),
    pytest.param(
        answer(ReasonCode.PLAYER_NOT_RUNNING, seconds=75),
        "warning",
        "没有执行：发出命令时播放器没有运行。",
        "Not carried out: the player was not running when the command was given.",
        id="player-not-running",
    ),
    pytest.param(
        answer(ReasonCode.BAD_COMMAND, detail="unknown command kind 'dance'"),
        "error",
        "播放器无法读取这条命令（控制面板和播放器的版本是否一致？）：unknown command kind 'dance'",
        "The player could not read the command (are panel and player the same version?): "
        "unknown command kind 'dance'",
        id="bad-command",
    ),
    pytest.param(
        answer(ReasonCode.PLAYER_ERROR, detail="disk full"),
        "error",
        "播放器执行出错：disk full",
        "The player could not do it: disk full",
        id="player-error",
    ),
]


def test_every_code_and_outcome_has_words() -> None:
    assert set(WORDS) == set(ReasonCode)
    assert set(CATEGORIES) == set(CommandOutcome)
    covered = {param.values[0].reason.code for param in TABLE}  # type: ignore[union-attr]
    assert covered == set(ReasonCode)


@pytest.mark.parametrize(("result", "category", "zh", "en"), TABLE)
def test_each_answer_in_chinese_and_english(
    app: Flask, result: CommandResult, category: str, zh: str, en: str
) -> None:
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        assert result_words(result) == (category, zh)
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert result_words(result) == (category, en)


@pytest.mark.parametrize(
    ("language", "running", "words"),
    [
        ("zh-CN", True, "播放器正在运行，但没有及时回应"),
        ("zh-CN", False, "播放器没有运行，命令尚未执行"),
        ("en", True, "The player is running but did not answer in time."),
        ("en", False, "The player is not running, so the command has not been carried out."),
    ],
    ids=["zh-running", "zh-stopped", "en-running", "en-stopped"],
)
def test_no_answer_in_both_languages(app: Flask, language: str, running: bool, words: str) -> None:
    with app.test_request_context(headers={"Accept-Language": language}):
        assert no_answer_words(running).startswith(words)


def test_an_unreadable_answer_in_both_languages(app: Flask) -> None:
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        assert unreadable_words("bad") == "无法读取播放器的回复：bad"
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert unreadable_words("bad") == "The player's answer could not be read: bad"
