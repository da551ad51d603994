"""The villagecast/playlist@1 format: valid documents parse, bad ones name item and field."""

from __future__ import annotations

import datetime as dt

import pytest

from playlists.content.playlist_format import parse_playlist
from playlists.errors import PlaylistFormatError
from playlists.model import ItemKind, Priority
from tests.paths import REPO

SAMPLE = REPO / "playlists" / "samples" / "social-work-2023.yaml"

DESIGN_EXAMPLE = """
format: villagecast/playlist@1
name: 社会工作知识宣传
description: 2023年社会工作主题宣传活动
items:
  - announcement: "社会工作是以利他主义为指导……"
    slide: {title: 推进五社联动, body: 关爱一小一老}
    repeat: 2
  - audio: media/jingle.mp3
  - image: media/poster.png
    duration: 10
  - pause: 3
schedule:
  - start: 2023-03-28
    end: 2023-04-07
    times: ["07:30", "12:00", "18:30"]
    weekdays: [mon, tue, wed, thu, fri, sat, sun]
    priority: scheduled
"""


def test_design_example_parses() -> None:
    spec = parse_playlist(DESIGN_EXAMPLE)
    assert [item.kind for item in spec.items] == [
        ItemKind.ANNOUNCEMENT,
        ItemKind.AUDIO,
        ItemKind.IMAGE,
        ItemKind.PAUSE,
    ]
    assert spec.items[0].repeat == 2
    assert spec.items[0].slide is not None and spec.items[0].slide.title == "推进五社联动"
    assert spec.items[1].file == "media/jingle.mp3"
    assert spec.items[2].duration == 10.0
    assert spec.schedule[0].times == (dt.time(7, 30), dt.time(12), dt.time(18, 30))
    assert spec.schedule[0].priority is Priority.SCHEDULED


def test_sample_campaign_has_five_topics() -> None:
    spec = parse_playlist(SAMPLE.read_bytes())
    titles = [i.slide.title for i in spec.items if i.kind is ItemKind.ANNOUNCEMENT and i.slide]
    assert titles == [
        "社会工作知识",
        "社会工作体系",
        "社会工作人才政策",
        "社会工作服务",
        "五社联动",
    ]
    assert spec.schedule[0].start == dt.date(2023, 3, 28)
    assert spec.schedule[0].end == dt.date(2023, 4, 7)


def test_unquoted_times_are_read_as_clock_times() -> None:
    # YAML 1.1 reads 12:00 unquoted as the number 720.
    spec = parse_playlist(DESIGN_EXAMPLE.replace('["07:30", "12:00", "18:30"]', "[12:00, 18:30]"))
    assert spec.schedule[0].times == (dt.time(12), dt.time(18, 30))


def doc(items: str = '  - announcement: "你好"\n', extra: str = "") -> str:
    return f"format: villagecast/playlist@1\nname: 测试\nitems:\n{items}{extra}"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param(
            "format: villagecast/playlist@2\nname: x\nitems: [{pause: 1}]",
            "'format' must be 'villagecast/playlist@1'",
            id="future-version",
        ),
        pytest.param("name: x\nitems: [{pause: 1}]", "'format' must be", id="no-format"),
        pytest.param(doc().replace("name: 测试\n", ""), "'name' must not be empty", id="no-name"),
        pytest.param(doc(items=""), "'items' must be a non-empty list", id="no-items"),
        pytest.param(
            doc(items='  - announcement: ""\n'),
            "item 1 (announcement): 'announcement' must not be empty",
            id="empty-text",
        ),
        pytest.param(
            doc(items='  - pause: 1\n  - announcement: "a"\n    repeat: x\n'),
            "item 2 (announcement): 'repeat' must be a whole number from 1 to 20",
            id="bad-repeat",
        ),
        pytest.param(
            doc(items="  - video: a.mp4\n"), "item 1: must have exactly one of", id="unknown-kind"
        ),
        pytest.param(
            doc(items="  - pause: 1\n    audio: a.mp3\n"),
            "item 1: must have exactly one of",
            id="two-kinds",
        ),
        pytest.param(
            doc(items='  - announcement: "a"\n    colour: red\n'),
            "item 1 (announcement): unknown field 'colour'",
            id="unknown-field",
        ),
        pytest.param(
            doc(items="  - pause: -3\n"),
            "item 1 (pause): 'pause' must be more than 0",
            id="negative-pause",
        ),
        pytest.param(
            doc(items="  - audio: ../../etc/passwd\n"),
            "item 1 (audio): 'audio' '../../etc/passwd' must stay inside the bundle",
            id="path-escape",
        ),
        pytest.param(
            doc(items="  - image: /etc/x.png\n"), "must stay inside the bundle", id="absolute-path"
        ),
        pytest.param(
            doc(items="  - image: C:/x.png\n"), "must stay inside the bundle", id="drive-letter"
        ),
        pytest.param(
            doc(items=f'  - announcement: "{"字" * 2001}"\n'),
            "has 2001 characters; at most 2000",
            id="text-too-long",
        ),
        pytest.param(
            doc(extra="schedule:\n  - {start: 2023-04-07, end: 2023-03-28, times: ['07:30']}\n"),
            "schedule 1: 'end' 2023-03-28 is before 'start' 2023-04-07",
            id="end-before-start",
        ),
        pytest.param(
            doc(extra="schedule:\n  - {start: 2023-03-28, end: 2023-04-07, times: ['7h30']}\n"),
            "schedule 1: 'times' has '7h30'",
            id="bad-time",
        ),
        pytest.param(
            doc(
                extra="schedule:\n  - {start: 2023-03-28, end: 2023-04-07, times: "
                "['07:30'], weekdays: [monday]}\n"
            ),
            "schedule 1: 'weekdays' must be a list of",
            id="bad-weekday",
        ),
        pytest.param(
            doc(
                extra="schedule:\n  - {start: 2023-03-28, end: 2023-04-07, times: "
                "['07:30'], priority: urgent}\n"
            ),
            "schedule 1: 'priority' must be one of",
            id="bad-priority",
        ),
        pytest.param(
            doc(
                extra="schedule:\n  - {start: 2023-03-28, end: 2023-04-07, times: "
                "['07:30'], priority: [emergency]}\n"
            ),
            "schedule 1: 'priority' must be one of",
            id="priority-a-list",  # unhashable: a TypeError (a 500) before
        ),
        pytest.param("items: [", "is not valid YAML", id="bad-yaml"),
        pytest.param("- a", "must be a mapping", id="not-a-mapping"),
        pytest.param(
            "a: &x [1, 1]\nb: &y [*x, *x]\nc: [*y, *y]\n",
            "line 2: YAML aliases (*x) are not allowed",
            id="alias-bomb",
        ),
    ],
)
def test_bad_playlist_names_item_and_field(text: str, message: str) -> None:
    with pytest.raises(PlaylistFormatError) as raised:
        parse_playlist(text, "bad.yaml")
    assert message in str(raised.value)
    assert str(raised.value).startswith("bad.yaml")


def test_non_utf8_is_refused() -> None:
    with pytest.raises(PlaylistFormatError, match="not UTF-8"):
        parse_playlist(doc().encode("gbk"))
