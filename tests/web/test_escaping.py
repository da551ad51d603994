"""Notice text with markup and quotes is shown escaped on every page of the panel.

Hostile text is put everywhere an operator or the player can write it (announcement,
playlist, item slide, schedule, review comment, as-run reason, audit detail); then
every page an admin can open without a form is read: none may carry the raw markup.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from flask import Flask

from playlists.content import editing, playlist_table, review
from playlists.model import ItemKind, Outcome, Priority, Review, Slide
from playlists.plan import day_range, station_plan
from playlists.record import asrun, audit
from playlists.schedule import entry_table
from playlists.settings import Settings
from playlists.store import Store
from tests.web_fixtures import NOW, add_fake_announcement, add_user, log_in, make_app

HOSTILE = "<script>alert('x')</script>\"引号\"&<img src=x onerror=alert(1)>"
RAW = ("<script>alert", "<img src=x")
READING = {"GET"}
# Not pages: files, JSON and the screen's state poll (tested in test_web_screens.py).
SKIPPED = re.compile(r"^/(static|media|slides|api|screen/.*/state)|\.(csv|css|png)$")


@pytest.fixture
def app(settings: Settings, store: Store) -> Flask:
    add_fake_announcement(store, HOSTILE, text=HOSTILE, review=Review.PENDING)
    rejected = add_fake_announcement(store, "退回", review=Review.PENDING)
    review.reject(store, review.ANNOUNCEMENT, rejected, "rev", HOSTILE, NOW)
    item = playlist_table.NewItem(ItemKind.PAUSE, 5.0, slide=Slide(HOSTILE, HOSTILE))
    playlist = playlist_table.add_playlist(
        store, HOSTILE, HOSTILE, [item], NOW, review=Review.APPROVED, created_by="op"
    )
    day = dt.date(2023, 3, 28)
    entry_table.add_schedule(
        store, playlist, day, day, (dt.time(8, 0),), frozenset(range(7)),
        Priority.SCHEDULED, NOW,
    )  # fmt: skip
    today = NOW.astimezone(settings.tz).date()
    for planned in station_plan(store, settings, *day_range(today, today, settings.tz)):
        asrun.claim(store, planned, Outcome.FAILED, NOW, HOSTILE)
    audit.record(store, "op", "edit", NOW, subject="playlist", subject_id=playlist, detail=HOSTILE)
    editing.add_item(store, playlist, ItemKind.PAUSE, "op", NOW, seconds=2)  # a draft again
    return make_app(settings, store)


def pages(app: Flask) -> list[str]:
    found = set()
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or set()):
            continue
        url = re.sub(r"<int:[^>]+>", "1", rule.rule)
        url = re.sub(r"<(?:string:)?name>", "led-bar", url)
        if "<" in url or SKIPPED.search(url):
            continue
        found.add(url)
    return sorted(found)


def test_every_page_shows_hostile_text_escaped(app: Flask, store: Store) -> None:
    add_user(store, "chief", "admin")
    client = app.test_client()
    log_in(client, "chief")
    read = []
    shown = []
    for url in pages(app):
        response = client.get(url)
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        html = response.get_data(as_text=True)
        for raw in RAW:
            assert raw not in html, f"{url} shows {raw!r} unescaped"
        read.append(url)
        if "&lt;script&gt;alert(" in html:
            shown.append(url)
    # The pages that show the hostile text were among those read.
    for url in ("/", "/announcements", "/playlists", "/playlists/1", "/review", "/schedule",
                "/asrun", "/asrun/report", "/plan", "/audit"):  # fmt: skip
        assert url in read, url
        assert url in shown, f"{url} does not show the hostile text at all"  # it is tested
