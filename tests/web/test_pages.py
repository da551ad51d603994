"""The panel's pages: language, content, escaping, commands and uploads."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import time
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from markupsafe import escape

from playlists.commands import PlayAnnouncement, PlayPlaylist, Stop, decode_request
from playlists.content import announcement_table, media_table, playlist_table
from playlists.content.media_table import MediaRecord
from playlists.content.playlist_format import parse_playlist
from playlists.errors import PlaylistFormatError
from playlists.model import Outcome, Priority, Review
from playlists.plan import plan
from playlists.record import asrun
from playlists.schedule import entry_table
from playlists.settings import Settings
from playlists.store import Store
from tests.web_fixtures import (
    NOW,
    add_fake_announcement,
    add_pause_playlist,
    add_user,
    commands_in,
    csrf_of,
    log_in,
    make_app,
)
from web import dashboard_views


def text_of(client: FlaskClient, path: str, **kwargs: object) -> str:
    response = client.get(path, **kwargs)  # type: ignore[arg-type]
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


def test_create_app_keeps_settings_out_of_flask_config(app: Flask, settings: Settings) -> None:
    assert app.extensions["villagecast"].settings is settings
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    # Room for the largest recording (config.yaml's audio.max_upload_mb) and its form.
    assert app.config["MAX_CONTENT_LENGTH"] == 200 * 1_000_000 + 1024 * 1024


# -- language ----------------------------------------------------------------------

PAGES = [
    pytest.param("/", "正在播出", "On air now", id="dashboard"),
    pytest.param("/announcements", "写新通知", "Write a new announcement", id="announcements"),
    pytest.param("/playlists", "导入节目单", "Import a playlist", id="playlists"),
    pytest.param("/plan", "计划播出", "Planned broadcasts", id="plan"),
    pytest.param("/system", "系统检查", "Station checks", id="system"),
]


@pytest.mark.parametrize(("path", "chinese", "english"), PAGES)
def test_pages_are_chinese_by_default(
    client: FlaskClient, path: str, chinese: str, english: str
) -> None:
    html = text_of(client, path)
    assert chinese in html
    assert english not in html
    assert '<html lang="zh-CN">' in html


@pytest.mark.parametrize(("path", "chinese", "english"), PAGES)
def test_pages_are_english_when_the_browser_prefers_it(
    client: FlaskClient, path: str, chinese: str, english: str
) -> None:
    html = text_of(client, path, headers={"Accept-Language": "en-US,en;q=0.9,zh-CN;q=0.5"})
    assert english in html
    assert chinese not in html
    assert '<html lang="en">' in html


@pytest.mark.parametrize(
    ("header", "heading"),
    [
        ("zh-CN,zh;q=0.9,en;q=0.8", "计划播出"),
        ("zh-TW,zh;q=0.9", "计划播出"),
        ("en-GB,en;q=0.9", "Planned broadcasts"),
        ("fr-FR,fr;q=0.9", "计划播出"),
        ("fr-FR,en;q=0.5,zh;q=0.4", "Planned broadcasts"),
    ],
    ids=["chinese", "traditional", "english", "french-only", "english-over-chinese"],
)
def test_browser_language_preference(client: FlaskClient, header: str, heading: str) -> None:
    assert heading in text_of(client, "/plan", headers={"Accept-Language": header})


def test_language_link_stores_the_choice(client: FlaskClient) -> None:
    response = client.get("/language/en?next=/plan")
    assert response.headers["Location"] == "/plan"
    assert "Planned broadcasts" in text_of(client, "/plan")
    client.get("/language/zh_CN")
    assert "计划播出" in text_of(client, "/plan", headers={"Accept-Language": "en"})


# -- announcements and media -----------------------------------------------------


def test_new_announcement_is_stored_and_its_audio_is_served(
    client: FlaskClient, store: Store
) -> None:
    page = client.get("/announcements")
    form = {"title": "防火通知", "text": "村民朋友们，请注意防火。", "csrf_token": csrf_of(page)}
    response = client.post("/announcements", data=form, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "通知已保存，语音已生成" in html
    [announcement] = announcement_table.list_announcements(store)
    assert announcement.title == "防火通知"
    assert announcement.engine == "espeak-ng"
    assert announcement.duration > 0
    assert "离线语音（备用）" in html

    url = f"/media/{announcement.media_sha256}.wav"
    assert f'<audio controls preload="metadata" src="{url}">' in html
    audio = client.get(url)
    assert audio.status_code == 200
    assert audio.mimetype.startswith("audio/")
    assert audio.data[:4] == b"RIFF"
    partial = client.get(url, headers={"Range": "bytes=0-99"})  # <audio> seeks with ranges
    assert partial.status_code == 206
    assert len(partial.data) == 100


@pytest.mark.parametrize(
    ("engine", "label"),
    [
        pytest.param("edge-tts", "在线语音（微软）", id="microsoft"),
        pytest.param("gtts", "在线语音（谷歌）", id="google"),
        pytest.param("fastspeech2", "清晰离线语音", id="clear-offline"),
        pytest.param("kokoro", "离线神经网络语音（Kokoro）", id="neural"),
        pytest.param("mbrola", "离线语音", id="offline"),
        pytest.param("espeak-ng", "离线语音（备用）", id="backup"),
        pytest.param("recording", "自录语音", id="own-recording"),
        pytest.param("", "–", id="unknown"),
    ],
)
def test_each_clip_says_in_plain_chinese_which_voice_made_it(
    client: FlaskClient, store: Store, engine: str, label: str
) -> None:
    sha = hashlib.sha256(engine.encode()).hexdigest()
    record = MediaRecord(sha, "audio", f"{sha[:2]}/{sha}.wav", 3.0, 100, engine or None)
    media_table.add_media(store, record, NOW)
    announcement_table.add_announcement(
        store, "通知", "村民朋友们", sha, "op", NOW, review=Review.PENDING
    )
    for page in ("/announcements", "/review"):
        assert f"语音：{label} ·" in text_of(client, page), page


def test_a_kokoro_clip_names_the_neural_voice_in_english(client: FlaskClient, store: Store) -> None:
    sha = hashlib.sha256(b"kokoro").hexdigest()
    record = MediaRecord(sha, "audio", f"{sha[:2]}/{sha}.wav", 3.0, 100, "kokoro")
    media_table.add_media(store, record, NOW)
    announcement_table.add_announcement(
        store, "通知", "村民朋友们", sha, "op", NOW, review=Review.PENDING
    )
    client.get("/language/en")
    assert "Voice: offline neural voice (Kokoro) ·" in text_of(client, "/announcements")


def test_schedule_it_opens_the_form_on_the_notice_s_own_playlist(
    client: FlaskClient, store: Store
) -> None:
    """安排播出: the playlist is made once (and sent for review), then the form opens on it."""
    notice = add_fake_announcement(store, "停水通知", review=Review.PENDING)
    html = client.get("/announcements").get_data(as_text=True)
    assert f'action="/announcements/{notice}/schedule"' in html
    form = {"csrf_token": csrf_of(html)}
    first = client.post(f"/announcements/{notice}/schedule", data=form)
    [playlist] = store.query("SELECT id, name, review FROM playlists")
    assert first.headers["Location"] == f"/schedule/new?playlist_id={playlist['id']}"
    assert (playlist["name"], playlist["review"]) == ("停水通知", "pending")
    again = client.post(f"/announcements/{notice}/schedule", data=form, follow_redirects=True)
    assert len(store.query("SELECT id FROM playlists")) == 1
    # The first answer's flash shows on the form the second one opens; no second playlist.
    assert "已用这条通知建立节目单“停水通知”" in again.get_data(as_text=True)


@pytest.mark.parametrize(
    ("role", "csrf", "status"),
    [
        pytest.param("reviewer", True, 403, id="reviewer"),
        pytest.param("operator", False, 400, id="no-csrf"),
    ],
)
def test_schedule_it_is_an_operator_s_form_post(
    app: Flask, store: Store, role: str, csrf: bool, status: int
) -> None:
    notice = add_fake_announcement(store, review=Review.PENDING)
    add_user(store, "someone", role)
    client = app.test_client()
    log_in(client, "someone")
    form = {"csrf_token": csrf_of(client.get("/"))} if csrf else {}
    assert client.post(f"/announcements/{notice}/schedule", data=form).status_code == status
    assert store.query("SELECT id FROM playlists") == []


def test_the_schedule_form_opens_on_the_playlist_asked_for(
    client: FlaskClient, store: Store
) -> None:
    playlist_id = add_pause_playlist(store, "午间广播")
    html = text_of(client, f"/schedule/new?playlist_id={playlist_id}")
    assert f'<option value="{playlist_id}" selected>' in html


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"title": "空", "text": "   "}, "请先填写要广播的内容"),
        ({"title": "长", "text": "字" * 2001}, "内容有 2001 字，最多允许 2000 字"),
    ],
    ids=["empty", "too-long"],
)
def test_bad_announcement_flashes_and_keeps_the_text(
    client: FlaskClient, store: Store, form: dict[str, str], message: str
) -> None:
    form = {**form, "csrf_token": csrf_of(client.get("/announcements"))}
    html = client.post("/announcements", data=form).get_data(as_text=True)
    assert message in html
    assert f'value="{form["title"]}"' in html
    assert announcement_table.list_announcements(store) == []


def test_media_is_served_only_for_known_hashes(
    app: Flask, client: FlaskClient, store: Store
) -> None:
    add_fake_announcement(store)  # a media row whose file is absent
    assert client.get("/media/not-a-hash.wav").status_code == 404
    assert client.get("/media/../../secret_key.wav").status_code == 404
    assert client.get(f"/media/{'0' * 64}.wav").status_code == 404
    assert client.get(f"/media/{'ab' * 32}.mp3").status_code == 404
    assert client.get(f"/media/{'ab' * 32}.wav").status_code == 404
    anonymous = app.test_client().get(f"/media/{'ab' * 32}.wav")
    assert anonymous.headers["Location"].startswith("/login")


# -- escaping ----------------------------------------------------------------------

NASTY = "<script>alert(1)</script> \"双引号\" 'single' & 村民"


def test_user_content_is_escaped_on_every_page(client: FlaskClient, store: Store) -> None:
    form = {"title": NASTY, "text": NASTY, "csrf_token": csrf_of(client.get("/announcements"))}
    assert client.post("/announcements", data=form).status_code == 302
    add_pause_playlist(store, NASTY)
    asrun.open_manual(store, NASTY, None, Priority.MANUAL, NASTY, NOW)
    store.set_status({"heartbeat": NOW.isoformat(), "now_playing": {"playlist_name": NASTY}}, NOW)
    for path in ["/", "/announcements", "/playlists", "/plan"]:
        html = text_of(client, path)
        assert "<script>alert(1)</script>" not in html, path
        assert str(escape("<script>alert(1)</script>")) in html, path
        assert '"双引号"' not in html, path

    # The text kept in a re-rendered form is escaped too (title and textarea).
    too_long = {"title": NASTY, "text": NASTY * 60, "csrf_token": csrf_of(client.get("/"))}
    html = client.post("/announcements", data=too_long).get_data(as_text=True)
    assert "<script>" not in html.split("<main")[1].split("<script src=")[0]
    assert f'value="{escape(NASTY)}"' in html


# -- commands ----------------------------------------------------------------------


def test_play_now_writes_a_manual_play_command(client: FlaskClient, store: Store) -> None:
    playlist_id = add_pause_playlist(store, "定时节目")
    announcement_id = add_fake_announcement(store)
    token = csrf_of(client.get("/playlists"))
    response = client.post("/commands/play", data={"playlist_id": playlist_id, "csrf_token": token})
    assert response.headers["Location"] == "/"
    assert "播放器没有运行，命令尚未执行" in text_of(client, "/")  # no player in this test
    client.post("/commands/play", data={"announcement_id": announcement_id, "csrf_token": token})
    rows = commands_in(store)
    assert [(r["kind"], r["created_by"]) for r in rows] == [("play", "op"), ("play", "op")]
    requests = [decode_request(str(r["kind"]), str(r["payload"])) for r in rows]
    assert requests == [PlayPlaylist(playlist_id), PlayAnnouncement(announcement_id)]
    assert rows[0]["created_at"] == "2023-03-28T03:00:00.000+00:00"


def test_stop_writes_a_stop_command(client: FlaskClient, store: Store) -> None:
    token = csrf_of(client.get("/"))
    response = client.post("/commands/stop", data={"csrf_token": token}, follow_redirects=True)
    assert "播放器没有运行，命令尚未执行" in response.get_data(as_text=True)
    [row] = commands_in(store)
    assert (row["kind"], row["created_by"]) == ("stop", "op")
    assert decode_request("stop", str(row["payload"])) == Stop()


@pytest.mark.parametrize(
    ("form", "status"),
    [({"playlist_id": "99"}, 404), ({"playlist_id": "x"}, 400), ({}, 400)],
    ids=["unknown", "not-a-number", "nothing"],
)
def test_bad_play_requests_write_nothing(
    client: FlaskClient, store: Store, form: dict[str, str], status: int
) -> None:
    response = client.post("/commands/play", data={**form, "csrf_token": csrf_of(client.get("/"))})
    assert response.status_code == status
    assert commands_in(store) == []


# -- playlists ---------------------------------------------------------------------

GOOD_YAML = """\
format: villagecast/playlist@1
name: 午间节目
items:
  - pause: 5
  - pause: 10
    # a comment
schedule:
  - start: 2023-03-28
    end: 2023-04-07
    times: ["12:00"]
"""


def upload(client: FlaskClient, content: bytes, name: str = "p.yaml") -> str:
    token = csrf_of(client.get("/playlists"))
    data = {"playlist": (io.BytesIO(content), name), "csrf_token": token}
    response = client.post("/playlists/import", data=data, follow_redirects=True)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_playlist_import_lists_it_with_count_and_length(client: FlaskClient) -> None:
    html = upload(client, GOOD_YAML.encode())
    assert "已导入节目单：午间节目" in html
    assert "共 2 条" in html
    assert "时长：0:15" in html
    assert "午间节目" in text_of(client, "/")  # scheduled at 12:00, an hour from now


@pytest.mark.parametrize(
    "content",
    [
        b"format: villagecast/playlist@1\nname: [unclosed\n",
        b"format: villagecast/playlist@2\nname: X\nitems:\n  - pause: 1\n",
        b"format: villagecast/playlist@1\nname: X\nitems:\n  - pause: -1\n",
        b"\xff\xfe not utf-8",
    ],
    ids=["not-yaml", "wrong-version", "bad-item", "not-utf8"],
)
def test_bad_playlist_flashes_the_exact_error_and_stores_nothing(
    client: FlaskClient, store: Store, content: bytes
) -> None:
    with pytest.raises(PlaylistFormatError) as expected:
        parse_playlist(content, source="bad.yaml")
    html = upload(client, content, "bad.yaml")
    assert str(escape(str(expected.value))) in html
    assert "节目单未导入" in html
    assert playlist_table.list_playlists(store) == []


def test_playlist_with_media_files_needs_a_bundle(client: FlaskClient, store: Store) -> None:
    content = b"format: villagecast/playlist@1\nname: X\nitems:\n  - audio: media/a.mp3\n"
    html = upload(client, content)
    assert "import it as a bundle" in html
    assert playlist_table.list_playlists(store) == []


def test_too_big_upload_is_refused(client: FlaskClient) -> None:
    token = csrf_of(client.get("/playlists"))
    data = {"playlist": (io.BytesIO(b"#" * (3 * 1024 * 1024)), "big.yaml"), "csrf_token": token}
    response = client.post("/playlists/import", data=data)
    assert response.status_code == 413
    assert "上传的文件太大" in response.get_data(as_text=True)


# -- dashboard and plan ------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "shown", "hidden_state"),
    [
        ({"heartbeat": "2023-03-28T02:59:58+00:00", "clock": {"synchronized": True}}, "up", "yes"),
        (
            {"heartbeat": "2023-03-28T02:59:00+00:00", "clock": {"synchronized": False}},
            "down",
            "no",
        ),
        ({"clock": None}, "down", "unknown"),
    ],
    ids=["running-synced", "stale-unsynced", "never-started"],
)
def test_dashboard_shows_player_and_clock_state(
    client: FlaskClient, store: Store, status: dict[str, object], shown: str, hidden_state: str
) -> None:
    store.set_status(status, NOW)
    html = text_of(client, "/")
    assert f'data-player="{shown}"' in html
    assert f'data-clock="{hidden_state}"' in html


def test_dashboard_shows_now_playing_next_and_todays_log(client: FlaskClient, store: Store) -> None:
    add_pause_playlist(store, "社会工作宣传")
    store.set_status(  # the shape scheduler/player.py writes
        {
            "heartbeat": "2023-03-28T02:59:59.500+00:00",
            "now_playing": {"name": "应急通知", "priority": "emergency", "item": 2, "items": 5},
        },
        NOW,
    )
    row = asrun.open_manual(store, "早间广播", None, Priority.MANUAL, "op", NOW)
    asrun.close(store, row, Outcome.PLAYED, NOW)
    html = text_of(client, "/")
    assert 'data-playing="yes"' in html
    assert "应急通知" in html and "第 2 条，共 5 条" in html
    assert "03-28 12:00" in html and "03-28 18:30" in html and "03-29 07:30" in html
    assert "早间广播" in html and "已播出" in html
    assert "2023-03-28 10:59:59" in html  # heartbeat in station time


def test_times_are_station_time_whatever_the_machine_zone(
    client: FlaskClient, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        add_pause_playlist(store, "社会工作宣传")
        html = text_of(client, "/plan?day=2023-03-28")
    finally:
        monkeypatch.undo()
        time.tzset()
    assert "2023年3月28日星期二" in html
    for clock in ("07:30", "12:00", "18:30"):
        assert f">{clock}<" in html


def test_plan_shows_planned_broadcasts_with_their_outcome(
    client: FlaskClient, store: Store
) -> None:
    add_pause_playlist(store, "社会工作宣传")
    entries = entry_table.schedule_entries(store)
    first = plan(entries, NOW - dt.timedelta(hours=4), NOW, Settings().tz)[0]
    asrun.claim(store, first, Outcome.MISSED, NOW, reason="player was off")
    html = text_of(client, "/plan?day=2023-03-28")
    assert html.count("社会工作宣传") >= 4  # three planned, one logged
    assert "错过" in html and "player was off" in html
    assert "尚未播出" in html
    assert "社会工作宣传" not in text_of(client, "/plan?day=2023-04-08")


def test_plan_marks_broadcasts_in_quiet_hours(client: FlaskClient, store: Store) -> None:
    add_pause_playlist(store, "夜间节目", times=(dt.time(23, 0),))  # quiet from 22:00
    html = text_of(client, "/plan?day=2023-03-28")
    assert "静音时段，将跳过" in html
    assert "静音时段，将跳过" in text_of(client, "/")


@pytest.mark.parametrize("day", ["28-03-2023", "2023-02-30", "yesterday"])
def test_plan_refuses_a_bad_day(client: FlaskClient, day: str) -> None:
    response = client.get(f"/plan?day={day}")
    assert response.status_code == 400
    assert "日期格式应为 2023-03-28" in response.get_data(as_text=True)


def test_every_response_carries_security_headers(client: FlaskClient) -> None:
    for path in ["/", "/login", "/static/style.css", "/nowhere"]:
        headers = client.get(path).headers
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "SAMEORIGIN"
        assert headers["Content-Security-Policy"].startswith("default-src 'self'")


def test_pages_have_no_inline_script_or_style(client: FlaskClient, store: Store) -> None:
    add_fake_announcement(store)
    for path in ["/", "/announcements", "/playlists", "/plan", "/password"]:
        html = text_of(client, path)
        assert "<script>" not in html, path
        assert " style=" not in html and "<style" not in html, path
        assert " on" + "click=" not in html, path


def test_dashboard_shows_the_campaign_so_far(settings: Settings, store: Store) -> None:
    """At 20:00 on the second day, six broadcasts were due: four played, one missed."""
    add_pause_playlist(store, "宣传")
    late = dt.datetime(2023, 3, 29, 12, 0, tzinfo=dt.UTC)  # 20:00 in the station
    due = plan(entry_table.schedule_entries(store), NOW - dt.timedelta(days=1), late, settings.tz)
    assert len(due) == 6
    for broadcast, status in zip(due, [Outcome.PLAYED] * 4 + [Outcome.MISSED], strict=False):
        asrun.claim(store, broadcast, status, broadcast.start, "the player was not running")
    add_user(store, "op", "operator")
    client = make_app(settings, store, now=late).test_client()
    log_in(client, "op")
    html = text_of(client, "/")
    assert "截至目前应播：6 次" in html
    assert "已播出：4 次 (67%)" in html
    assert "错过 1" in html and "未播出（无记录） 1" in html
    # A played broadcast later on changes the figures at once, not in five minutes.
    asrun.claim(store, due[5], Outcome.PLAYED, due[5].start)
    assert "已播出：5 次 (83%)" in text_of(client, "/")


def _plans_nothing_new(store: Store) -> None:
    # What an edit of an announcement's text does to the plan: its revision moves.
    with store.transaction() as conn:
        conn.execute("UPDATE meta SET value = value + 1 WHERE key = 'plan_revision'")


def _moves_the_evening_time(store: Store) -> None:
    entry = entry_table.schedule_entries(store)[0]
    entry_table.update_schedule(
        store, entry.id, entry.playlist_id, entry.start, entry.end,
        (dt.time(7, 30), dt.time(12, 0), dt.time(20, 30)), entry.weekdays, entry.priority,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("change", "due", "counted"),
    [
        pytest.param(_plans_nothing_new, 6, 1, id="plan-revision-only"),
        pytest.param(_moves_the_evening_time, 5, 2, id="schedule-entry-moved"),
    ],
)
def test_the_campaign_so_far_is_counted_again_only_when_its_plan_changed(
    settings: Settings,
    store: Store,
    monkeypatch: pytest.MonkeyPatch,
    change: Callable[[Store], None],
    due: int,
    counted: int,
) -> None:
    add_pause_playlist(store, "宣传")
    late = dt.datetime(2023, 3, 29, 12, 0, tzinfo=dt.UTC)  # 20:00 in the station
    reports: list[object] = []
    real = dashboard_views.campaign_report

    def counting(*args: Any) -> Any:
        reports.append(args)
        return real(*args)

    monkeypatch.setattr(dashboard_views, "campaign_report", counting)
    add_user(store, "op", "operator")
    client = make_app(settings, store, now=late).test_client()
    log_in(client, "op")
    assert "截至目前应播：6 次" in text_of(client, "/")
    change(store)
    assert f"截至目前应播：{due} 次" in text_of(client, "/")  # 20:30 is not due yet at 20:00
    assert len(reports) == counted
