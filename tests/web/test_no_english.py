"""No English sentence on a Chinese panel, its CSV or its printed report after a full day.

The day (28 March 2023, station time; the panel's clock is set to noon of that day, the
machine's clock and zone play no part) is played by the real player on a virtual clock:
a broadcast skipped in quiet hours, one whose loudspeaker fails, an emergency cutting
into the morning news, an item skipped and a broadcast stopped by an operator; one
more, due while the player was down, is logged missed through the record API as the
player's catch-up does. Then every page of the panel an admin can open (every GET
route that answers HTML, ids filled in with the day's content), the CSV export and the
printed town report are read in Chinese.

What counts as an English sentence (`english_sentences`): the text a person reads (an
HTML page's text and the attributes people read or the scripts show: title, alt,
aria-label, placeholder, value, data-*; not <script> or <style>) is cut at every
non-ASCII character, so Chinese text separates what is left. Within each ASCII piece,
a run of two or more words of letters (2+ letters each, joined by spaces) is a
sentence, unless it is an allowed token: a name a person or the station chose (user,
screen, file names), a unit, a format or a program's name (MB, CSV, JSON, HH:MM, zip,
espeak-ng), a command to type (villagecast village add), or the loudspeaker's own error
output, quoted verbatim after the Chinese words that say what failed. A single
English word (a code such as "led-bar" or "aplay") is not a sentence.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import re
from collections.abc import Callable, Iterator
from html.parser import HTMLParser

import pytest
from flask import Flask
from flask.testing import FlaskClient

from playlists.commands import PlayPlaylist, Request, Skip, Stop, encode_request
from playlists.content import editing, review
from playlists.model import ItemKind, Outcome, Priority, Review
from playlists.plan import station_plan
from playlists.record import asrun
from playlists.record.notes import NoteCode, encode, note
from playlists.settings import Settings
from playlists.store import Store
from scheduler.simulate import Simulation
from tests.web_fixtures import (
    NOW,
    add_fake_announcement,
    add_pause_playlist,
    add_user,
    log_in,
    make_app,
)

DAY = dt.date(2023, 3, 28)
TZ_HOURS = 8  # Asia/Shanghai, the settings' station zone
RECORD = "?from=2023-03-28&to=2023-03-28"
DEVICE_ERROR = "audio open error: Device or resource busy"  # what ALSA says, quoted

# Tokens that may stand in a Chinese text in ASCII, each for the reason in the docstring.
ALLOWED = (
    DEVICE_ERROR,  # the loudspeaker's own words, after "音频输出 recording 出错："
    "Content-Type: application/json",  # the header a script sends (API help)
    "JSON API",
    "OpenAPI",
    "Noto Sans CJK SC",
)
COMMAND = re.compile(r"villagecast(?: [a-z]+)+")  # a command to type, e.g. villagecast init
WORD_RUN = re.compile(r"[A-Za-z]{2,}(?:[ ]+[A-Za-z]{2,})+")
NOT_ASCII = re.compile(r"[^\x00-\x7f]+")
READ_ATTRIBUTES = {"title", "alt", "aria-label", "placeholder", "value", "content"}


def at(hour: int, minute: int = 0, second: int = 0) -> dt.datetime:
    local = dt.datetime.combine(DAY, dt.time(hour, minute, second))
    return (local - dt.timedelta(hours=TZ_HOURS)).replace(tzinfo=dt.UTC)


def english_sentences(text: str) -> list[str]:
    """Return the runs of English words in text that no allowed token explains."""
    for token in ALLOWED:
        text = text.replace(token, " ")
    text = COMMAND.sub(" ", text)
    return [run for piece in NOT_ASCII.split(text) for run in WORD_RUN.findall(piece)]


class ReadText(HTMLParser):
    """Collect what a person reads on a page: its text and the attributes shown."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skipping += 1
        for name, value in attrs:
            shown = name in READ_ATTRIBUTES or (name.startswith("data-") and name != "data-size")
            if value and shown and not (tag == "meta" and name == "content"):
                self.parts.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skipping:
            self._skipping -= 1

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def read_text(html: str) -> str:
    parser = ReadText()
    parser.feed(html)
    return "\n".join(parser.parts)


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("被紧急广播“紧急通知”打断，之后接着播", []),
        ("interrupted by the emergency broadcast", ["interrupted by the emergency broadcast"]),
        ("被 xiaowang 停止", []),  # a name between Chinese words
        ("led-bar · 352×80 · MB · CSV", []),  # codes and units
        ("播放器：player was down", ["player was down"]),
        ("音频输出 recording 出错：" + DEVICE_ERROR, []),
        ("请运行：villagecast village add 村名", []),
        ("请启动它（villagecast player）", []),
        ("第 1 条，共 5 条 · 0:09", []),
    ],
    ids=[
        "chinese",
        "english",
        "name",
        "codes",
        "mixed",
        "device-error",
        "command",
        "command-in-brackets",
        "numbers",
    ],
)
def test_the_detector(text: str, found: list[str]) -> None:
    assert english_sentences(text) == found


# -- the day -------------------------------------------------------------------------


def play_the_day(settings: Settings, store: Store) -> Settings:
    """Play 28 March through the real player; log one broadcast missed while it was down."""
    settings = dataclasses.replace(
        settings, player=dataclasses.replace(settings.player, quiet_hours=("22:00", "06:30"))
    )
    add_pause_playlist(store, "早间新闻", 60.0, (dt.time(6, 0), dt.time(8, 0), dt.time(9, 0)))
    alarm = add_pause_playlist(store, "紧急通知", 10.0, (dt.time(23, 0),))  # after the day
    voiced = add_pause_playlist(store, "广播体操", 5.0, (dt.time(7, 0),))
    notice = add_fake_announcement(store, "停水通知", "今天下午停水。")
    editing.add_item(store, voiced, ItemKind.ANNOUNCEMENT, "op", NOW, announcement_id=notice)
    review.set_reviewer(store, voiced, "rev")  # approved again after the edit
    store.conn.execute("UPDATE playlists SET review = ? WHERE id = ?", (Review.APPROVED, voiced))
    late = add_pause_playlist(store, "午间新闻", 30.0, (dt.time(11, 0),))
    simulation = Simulation.build(settings, store, at(5))

    def give(request: Request) -> Callable[[], None]:
        def action() -> None:
            when = simulation.timeline.now()
            store.add_command(request.kind.value, encode_request(request), "王五", when)
            simulation.player.run_commands()

        return action

    def device(error: str | None) -> Callable[[], None]:
        def action() -> None:
            simulation.sink.fail_with = error

        return action

    simulation.run(
        at(10),
        at={
            at(6, 59): device(DEVICE_ERROR),
            at(7, 1): device(None),
            at(8, 0, 20): give(PlayPlaylist(alarm, Priority.EMERGENCY)),
            at(8, 0, 50): give(Skip()),
            at(9, 0, 10): give(Stop()),
        },
    )
    (eleven,) = [b for b in station_plan(store, settings, at(10), at(12)) if b.playlist_id == late]
    down = encode((note(NoteCode.PLAYER_DOWN),))
    asrun.claim(store, eleven, Outcome.MISSED, at(11, 5), down)
    return settings


@pytest.fixture
def admin(settings: Settings, store: Store) -> Iterator[tuple[Flask, FlaskClient]]:
    """An admin at noon after that day, reading the panel in Chinese."""
    app = make_app(play_the_day(settings, store), store, now=at(12))
    add_user(store, "zhang", "admin")
    client = app.test_client()
    log_in(client, "zhang")
    yield app, client


def test_the_day_has_every_outcome(admin: tuple[Flask, FlaskClient], store: Store) -> None:
    outcomes = {row.status for row in asrun.all_rows(store)}
    assert {Outcome.PLAYED, Outcome.INTERRUPTED, Outcome.SKIPPED, Outcome.MISSED,
            Outcome.FAILED} <= outcomes  # fmt: skip
    notes = " ".join(row.reason for row in asrun.all_rows(store))
    for code in ("interrupted", "stopped-by", "item-skipped", "player-down", "audio-failed"):
        assert code in notes, code


def panel_pages(app: Flask, store: Store) -> list[str]:
    """Every GET address of the panel that shows a page, ids filled in with the day's."""
    ids = {
        "playlist_id": store.query("SELECT MIN(id) AS i FROM playlists")[0]["i"],
        "announcement_id": store.query("SELECT MIN(id) AS i FROM announcements")[0]["i"],
        "schedule_id": store.query("SELECT MIN(id) AS i FROM schedules")[0]["i"],
        "entry_id": store.query("SELECT MIN(id) AS i FROM schedules")[0]["i"],
    }
    pages = []
    for rule in app.url_map.iter_rules():
        path = str(rule.rule)
        if "GET" not in (rule.methods or ()) or path.startswith(("/api/", "/static", "/town/")):
            continue
        if not set(rule.arguments) <= set(ids):
            continue
        pages.append(rule.build({name: ids[name] for name in rule.arguments})[1])
    # Pages behind a query the routes do not show: the day's record and the archived lists.
    pages += [f"/asrun{RECORD}", "/announcements?archived=1", "/playlists?archived=1"]
    return sorted(set(pages))


def test_no_english_sentence_on_any_chinese_page(
    admin: tuple[Flask, FlaskClient], store: Store
) -> None:
    app, client = admin
    found: dict[str, list[str]] = {}
    read = 0
    for path in panel_pages(app, store):
        response = client.get(path, headers={"Accept-Language": "zh-CN"})
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        read += 1
        sentences = english_sentences(read_text(response.get_data(as_text=True)))
        if sentences:
            found[path] = sentences
    assert read >= 25, "the walk reached the panel's pages"
    assert found == {}, "\n".join(f"{p}: {s}" for p, s in found.items())


def test_no_english_sentence_in_the_csv(admin: tuple[Flask, FlaskClient]) -> None:
    _, client = admin
    body = client.get(f"/asrun.csv{RECORD}").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert len(rows) >= 8, "a header and the day's broadcasts"
    cells = [cell for row in rows for cell in row]
    assert [c for c in cells if english_sentences(c)] == []
    assert {"错过", "失败", "被中断", "已跳过"} <= set(cells)  # the day's outcomes, in Chinese


def test_no_english_sentence_in_the_printed_report(admin: tuple[Flask, FlaskClient]) -> None:
    _, client = admin
    html = client.get(f"/asrun/report{RECORD}").get_data(as_text=True)
    text = read_text(html)
    assert "紧急通知" in text and "失败" in text
    assert english_sentences(text) == []
