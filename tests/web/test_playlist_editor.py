"""The playlist editor in the panel: build, reorder, review and delete playlists over HTTP."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import re
import subprocess
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from markupsafe import escape
from PIL import Image

from playlists.content import editing, playlist_table, review
from playlists.content.playlist_contents import items_of
from playlists.model import ItemKind, Priority
from playlists.record import audit
from playlists.schedule import entry_table
from playlists.settings import Settings
from playlists.store import Store
from tests.web_fixtures import NOW, add_fake_announcement, add_user, csrf_of, log_in, make_app

NASTY = "<script>alert(1)</script> \"双引号\" 'single' & 村民"


def page(client: FlaskClient, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


def post(client: FlaskClient, path: str, **data: object) -> str:
    """Send a form as the page would (with its CSRF token) and return the page shown after."""
    form = {"csrf_token": csrf_of(client.get("/playlists")), **data}
    response = client.post(path, data=form, follow_redirects=True)
    assert response.status_code == 200, (path, response.status_code)
    return response.get_data(as_text=True)


def new_playlist(client: FlaskClient, name: str = "午间节目") -> int:
    form = {"csrf_token": csrf_of(client.get("/playlists")), "name": name, "description": "说明"}
    response = client.post("/playlists", data=form)
    assert response.status_code == 302
    found = re.fullmatch(r"/playlists/(\d+)", response.headers["Location"])
    assert found, response.headers["Location"]
    return int(found[1])


def add_pauses(client: FlaskClient, playlist_id: int, *seconds: float) -> None:
    for value in seconds:
        post(client, f"/playlists/{playlist_id}/pause", seconds=str(value))


def flashes(html: str) -> list[str]:
    return re.findall(r'<p class="flash flash-\w+" role="\w+">([^<]*)</p>', html)


def item_names(html: str) -> list[str]:
    """The editor's items in order, as "position:length"."""
    blocks = re.findall(
        r'<span class="item-number">(\d+)</span>.*?<p class="meta muted">\s*([^<]*?)\s*</p>',
        html,
        re.S,
    )
    return [f"{number}:{meta}" for number, meta in blocks]


def wav(folder: Path, seconds: float = 1.5) -> bytes:
    """A quiet tone as a phone might record it (silence is refused as a broken microphone)."""
    path = folder / "鼓声.wav"
    tone = f"sine=frequency=440:duration={seconds}"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i", tone, "-af",
         "volume=0.2", "-ac", "1", "-ar", "22050", str(path)],
        check=True,
    )  # fmt: skip
    return path.read_bytes()


def png(width: int = 64, height: int = 32) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(buffer, "PNG")
    return buffer.getvalue()


def leftovers(settings: Settings) -> list[Path]:
    folder = settings.data_dir / "tmp"
    return sorted(folder.iterdir()) if folder.exists() else []


def media_rows(store: Store) -> list[str]:
    return [row["sha256"] for row in store.query("SELECT sha256 FROM media ORDER BY 1")]


def approve(store: Store, playlist_id: int) -> None:
    review.submit(store, review.PLAYLIST, playlist_id, "op", NOW)
    review.approve(store, review.PLAYLIST, playlist_id, "rev", NOW)


# -- creating -------------------------------------------------------------------------


def test_new_playlist_opens_the_empty_editor(client: FlaskClient, store: Store) -> None:
    playlist_id = new_playlist(client)
    html = page(client, f"/playlists/{playlist_id}")
    assert "已创建节目单“午间节目”。现在请添加内容。" in flashes(html)
    assert '<span class="badge review-draft">草稿</span>' in html
    assert "还没有内容。请在下方添加第一条。" in html
    assert "总时长：0:00" in html
    # Nothing to review yet: no button, a hint instead.
    assert f'action="/playlists/{playlist_id}/submit"' not in html
    assert "请至少添加一条内容，再提交审核。" in html
    [entry] = audit.rows(store, action="create")
    assert (entry.username, entry.action, entry.detail) == ("op", "create", "午间节目")


@pytest.mark.parametrize(
    ("name", "description", "message"),
    [
        pytest.param("  ", "", "请填写节目单名称。", id="no-name"),
        pytest.param("名" * 101, "", "名称有 101 字，最多允许 100 字。", id="name-101"),
        pytest.param("新", "字" * 501, "说明有 501 字，最多允许 500 字。", id="description-501"),
        pytest.param("午间节目", "", "已有名为“午间节目”的节目单，请换一个名称。", id="taken"),
    ],
)
def test_bad_new_playlist_keeps_what_was_typed(
    client: FlaskClient, store: Store, name: str, description: str, message: str
) -> None:
    new_playlist(client)
    form = {"csrf_token": csrf_of(client.get("/playlists")), "name": name}
    form["description"] = description
    html = client.post("/playlists", data=form).get_data(as_text=True)
    assert message in flashes(html)
    assert f'value="{name}"' in html
    assert len(playlist_table.list_playlists(store)) == 1


# -- adding items ---------------------------------------------------------------------


def test_each_kind_of_item_is_added_and_the_total_shown(
    client: FlaskClient, store: Store, settings: Settings, tmp_path: Path
) -> None:
    notice = add_fake_announcement(store)  # 3 s
    playlist_id = new_playlist(client)
    base = f"/playlists/{playlist_id}"
    html = post(client, f"{base}/announcement", announcement_id=str(notice), repeat="2")
    assert "已添加通知。" in flashes(html)
    html = post(
        client,
        f"{base}/recording",
        recording=(io.BytesIO(wav(tmp_path)), "鼓声.wav"),
        slide_title="锣鼓",
    )
    assert "已添加录音“鼓声.wav”。" in flashes(html)
    html = post(client, f"{base}/image", image=(io.BytesIO(png()), "海报.png"), seconds="10")
    assert "已添加图片“海报.png”。" in flashes(html)
    html = post(client, f"{base}/pause", seconds="3.5", slide_title="请稍候")
    assert "已添加停顿。" in flashes(html)

    assert item_names(html) == ["1:0:03 × 2 = 0:06", "2:时长：0:01", "3:时长：0:10", "4:时长：0:03"]
    assert "总时长：0:21" in html  # 3 × 2 + 1.5 + 10 + 3.5 = 21; each cut down to whole seconds
    assert "鼓声.wav" in html and "屏幕显示： <strong>锣鼓</strong>" in html
    items = items_of(store, playlist_id)
    image_url = f"/media/{items[2].media_sha256}.png"
    assert f'<img class="thumb" src="{image_url}"' in html
    assert client.get(image_url).data == png()
    assert items[1].duration == pytest.approx(1.5, abs=0.1)
    assert leftovers(settings) == []
    [summary] = playlist_table.list_playlists(store)
    assert (summary["items"], summary["review"]) == (4, "draft")
    assert "共 4 条" in page(client, "/playlists") and "时长：0:21" in page(client, "/playlists")


@pytest.mark.parametrize(
    ("path", "form", "message"),
    [
        pytest.param(
            "pause", {"seconds": "0.4"}, "停顿时长须在 0.5 到 600 秒之间。", id="pause-0.4"
        ),
        pytest.param(
            "pause", {"seconds": "601"}, "停顿时长须在 0.5 到 600 秒之间。", id="pause-601"
        ),
        pytest.param(
            "pause", {"seconds": "三"}, "停顿时长须在 0.5 到 600 秒之间。", id="pause-words"
        ),
        pytest.param(
            "pause",
            {"seconds": "3", "repeat": "0"},
            "连播次数须为 1 到 20 之间的整数。",
            id="repeat-0",
        ),
        pytest.param(
            "pause",
            {"seconds": "3", "repeat": "21"},
            "连播次数须为 1 到 20 之间的整数。",
            id="repeat-21",
        ),
        pytest.param(
            "pause",
            {"seconds": "3", "repeat": "1.5"},
            "连播次数须为 1 到 20 之间的整数。",
            id="repeat-1.5",
        ),
        pytest.param(
            "pause",
            {"seconds": "3", "slide_title": "题" * 101},
            "屏幕标题有 101 字，最多允许 100 字。",
            id="title-101",
        ),
        pytest.param(
            "pause",
            {"seconds": "3", "slide_body": "字" * 501},
            "屏幕文字有 501 字，最多允许 500 字。",
            id="body-501",
        ),
        pytest.param("announcement", {}, "请先选择一条通知。", id="no-announcement"),
        pytest.param(
            "announcement",
            {"announcement_id": "99"},
            "节目单里已没有这一项。下面是节目单现在的内容。",
            id="unknown-announcement",
        ),
        pytest.param("image", {"seconds": "5"}, "请先选择图片。", id="no-picture"),
        pytest.param("recording", {}, "请先选择录音文件。", id="no-recording"),
    ],
)
def test_bad_item_values_are_refused_and_change_nothing(
    client: FlaskClient, store: Store, path: str, form: dict[str, str], message: str
) -> None:
    playlist_id = new_playlist(client)
    before = audit.count(store)
    html = post(client, f"/playlists/{playlist_id}/{path}", **form)
    assert message in flashes(html)
    assert items_of(store, playlist_id) == []
    assert audit.count(store) == before


def test_picture_with_too_many_seconds_is_refused_before_it_is_stored(
    client: FlaskClient, store: Store
) -> None:
    playlist_id = new_playlist(client)
    html = post(
        client, f"/playlists/{playlist_id}/image", image=(io.BytesIO(png()), "p.png"), seconds="601"
    )
    assert "图片显示时长须在 1 到 600 秒之间。" in flashes(html)
    assert media_rows(store) == []


NOT_AUDIO = "“notes.txt”不是 MP3、WAV、M4A 或 OGG 文件。"


@pytest.mark.parametrize(
    ("path", "field", "content", "name", "message"),
    [
        pytest.param("recording", "recording", "不是录音".encode(), "假.mp3", "录音未添加：",
                     id="text-as-mp3"),
        pytest.param("recording", "recording", b"", "空.wav", "空.wav: the file is empty",
                     id="empty"),
        pytest.param("recording", "recording", b"RIFF", "notes.txt", NOT_AUDIO, id="wrong-kind"),
        pytest.param("image", "image", b"not a picture", "海报.png",
                     "图片未添加：海报.png: not an image", id="text-as-png"),
        pytest.param("image", "image", png()[:60], "半张.png", "图片未添加：半张.png:",
                     id="truncated"),
    ],
)  # fmt: skip
def test_bad_upload_leaves_nothing_stored(
    client: FlaskClient,
    store: Store,
    settings: Settings,
    path: str,
    field: str,
    content: bytes,
    name: str,
    message: str,
) -> None:
    playlist_id = new_playlist(client)
    html = post(
        client,
        f"/playlists/{playlist_id}/{path}",
        seconds="5",
        **{field: (io.BytesIO(content), name)},
    )
    assert any(message in shown for shown in flashes(html)), flashes(html)
    assert items_of(store, playlist_id) == []
    assert media_rows(store) == []
    assert leftovers(settings) == []
    media = settings.media_dir
    assert not media.exists() or not any(p.is_file() for p in media.rglob("*"))


def test_picture_larger_than_a_form_but_within_the_picture_limit_is_taken(
    client: FlaskClient, store: Store
) -> None:
    noise = Image.effect_noise((1100, 1100), 120).convert("RGB")
    buffer = io.BytesIO()
    noise.save(buffer, "PNG")
    assert 2.2e6 < len(buffer.getvalue()) < 20e6  # over the 2 MB every other form may send
    playlist_id = new_playlist(client)
    html = post(
        client,
        f"/playlists/{playlist_id}/image",
        image=(io.BytesIO(buffer.getvalue()), "大海报.png"),
        seconds="8",
    )
    assert "已添加图片“大海报.png”。" in flashes(html)


def test_too_big_recording_is_answered_on_the_editor(settings: Settings, store: Store) -> None:
    small = dataclasses.replace(
        settings, audio=dataclasses.replace(settings.audio, max_upload_mb=1)
    )
    app = make_app(small, store)
    add_user(store, "op", "operator")
    client = app.test_client()
    log_in(client, "op")
    playlist_id = new_playlist(client)
    form = {
        "csrf_token": csrf_of(client.get("/playlists")),
        "recording": (io.BytesIO(b"\0" * 2_500_000), "长录音.wav"),
    }
    response = client.post(f"/playlists/{playlist_id}/recording", data=form)
    assert response.status_code == 413
    assert "录音文件太大：最多只能上传 1 MB。" in response.get_data(as_text=True)
    assert items_of(store, playlist_id) == []


# -- reordering, changing and removing -------------------------------------------------


IN_ORDER = ["1:时长：0:01", "2:时长：0:02", "3:时长：0:03"]


@pytest.mark.parametrize(
    ("index", "direction", "expected", "message"),
    [
        pytest.param(0, "down", ["1:时长：0:02", "2:时长：0:01", "3:时长：0:03"], "已移到第 2 条。",
                     id="first-down"),
        pytest.param(2, "up", ["1:时长：0:01", "2:时长：0:03", "3:时长：0:02"], "已移到第 2 条。",
                     id="last-up"),
        pytest.param(0, "up", IN_ORDER, "这已经是第一条。", id="first-up"),
        pytest.param(2, "down", IN_ORDER, "这已经是最后一条。", id="last-down"),
    ],
)  # fmt: skip
def test_items_move_with_buttons(
    client: FlaskClient,
    store: Store,
    index: int,
    direction: str,
    expected: list[str],
    message: str,
) -> None:
    playlist_id = new_playlist(client)
    add_pauses(client, playlist_id, 1, 2, 3)
    item = items_of(store, playlist_id)[index]
    html = post(client, f"/playlists/{playlist_id}/items/{item.id}/move", direction=direction)
    assert message in flashes(html)
    assert item_names(html) == expected


def test_the_ends_offer_no_move_past_them(client: FlaskClient, store: Store) -> None:
    playlist_id = new_playlist(client)
    add_pauses(client, playlist_id, 1, 2)
    html = page(client, f"/playlists/{playlist_id}")
    assert html.count('value="up" class="button" disabled') == 1
    assert html.count('value="down" class="button" disabled') == 1
    first = items_of(store, playlist_id)[0]
    up_first = re.search(
        rf'items/{first.id}/move".*?value="up" class="button"( disabled)?', html, re.S
    )
    assert up_first and up_first[1]


def test_bad_direction_is_refused(client: FlaskClient, store: Store) -> None:
    playlist_id = new_playlist(client)
    add_pauses(client, playlist_id, 1)
    [item] = items_of(store, playlist_id)
    token = csrf_of(client.get("/playlists"))
    response = client.post(
        f"/playlists/{playlist_id}/items/{item.id}/move",
        data={"csrf_token": token, "direction": "x"},
    )
    assert response.status_code == 400


def test_remove_renumbers_and_the_total_follows(client: FlaskClient, store: Store) -> None:
    playlist_id = new_playlist(client)
    add_pauses(client, playlist_id, 1, 2, 3)
    middle = items_of(store, playlist_id)[1]
    html = post(client, f"/playlists/{playlist_id}/items/{middle.id}/remove")
    assert "已删除这一条。" in flashes(html)
    assert item_names(html) == ["1:时长：0:01", "2:时长：0:03"]
    assert "总时长：0:04" in html
    html = post(client, f"/playlists/{playlist_id}/items/{middle.id}/remove")  # twice, stale page
    assert "节目单里已没有这一项。下面是节目单现在的内容。" in flashes(html)


def test_item_repeat_slide_and_seconds_change(client: FlaskClient, store: Store) -> None:
    playlist_id = new_playlist(client)
    add_pauses(client, playlist_id, 2)
    [item] = items_of(store, playlist_id)
    path = f"/playlists/{playlist_id}/items/{item.id}"
    html = post(client, path, repeat="3", seconds="5", slide_title="安静", slide_body="请听下一条")
    assert "这一条已保存。" in flashes(html)
    assert item_names(html) == ["1:0:05 × 3 = 0:15"]
    assert "总时长：0:15" in html
    assert "屏幕显示： <strong>安静</strong> 请听下一条" in html
    html = post(client, path, repeat="3", seconds="5", slide_title="安静", slide_body="请听下一条")
    assert "没有任何改动。" in flashes(html)
    html = post(client, path, repeat="30", seconds="5")
    assert "连播次数须为 1 到 20 之间的整数。" in flashes(html)
    assert items_of(store, playlist_id)[0].repeat == 3


def test_rename_refuses_a_taken_name_and_keeps_the_typing(
    client: FlaskClient, store: Store
) -> None:
    new_playlist(client, "早间")
    playlist_id = new_playlist(client, "晚间")
    form = {"csrf_token": csrf_of(client.get("/playlists")), "name": "早间", "description": "新"}
    html = client.post(f"/playlists/{playlist_id}", data=form).get_data(as_text=True)
    assert "已有名为“早间”的节目单，请换一个名称。" in flashes(html)
    assert '<details class="edit-details" open>' in html and 'value="早间"' in html
    html = post(client, f"/playlists/{playlist_id}", name="晚间新闻", description="新")
    assert "名称和说明已保存。" in flashes(html)
    assert "<h1>晚间新闻 " in html


# -- review ----------------------------------------------------------------------------


def test_empty_playlist_cannot_be_sent_for_review(client: FlaskClient, store: Store) -> None:
    playlist_id = new_playlist(client)
    html = post(client, f"/playlists/{playlist_id}/submit")
    assert "请先至少添加一条内容：空节目单不能提交审核，也不能播出。" in flashes(html)
    assert review.state(store, review.PLAYLIST, playlist_id).review == "draft"


def test_submit_sends_it_to_the_review_queue(client: FlaskClient, store: Store) -> None:
    playlist_id = new_playlist(client)
    add_pauses(client, playlist_id, 2)
    html = post(client, f"/playlists/{playlist_id}/submit")
    assert "已提交审核。审核通过后才会播出。" in flashes(html)
    assert '<span class="badge review-pending">待审核</span>' in html
    assert f'action="/playlists/{playlist_id}/submit"' not in html
    assert "本节目单正在等待审核。修改后它将退出审核队列，改完请重新提交。" in html
    assert [state.label for state in review.queue(store)] == ["午间节目"]
    html = post(client, f"/playlists/{playlist_id}/submit")  # a second tap, from a stale page
    assert "“午间节目” 已经提交审核。" in flashes(html)


def test_draft_announcement_is_named_when_submitting(client: FlaskClient, store: Store) -> None:
    notice = add_fake_announcement(store, "停水")
    store.conn.execute("UPDATE announcements SET review = 'draft' WHERE id = ?", (notice,))
    playlist_id = new_playlist(client)
    post(client, f"/playlists/{playlist_id}/announcement", announcement_id=str(notice))
    html = post(client, f"/playlists/{playlist_id}/submit")
    assert any("“停水”" in shown for shown in flashes(html)), flashes(html)
    assert '<span class="badge review-draft">草稿</span>' in html  # beside the item too


def test_rejected_comment_is_shown_to_the_operator(client: FlaskClient, store: Store) -> None:
    playlist_id = new_playlist(client)
    add_pauses(client, playlist_id, 2)
    review.submit(store, review.PLAYLIST, playlist_id, "op", NOW)
    review.reject(store, review.PLAYLIST, playlist_id, "rev", "第二条太长，请删掉。", NOW)
    listing = page(client, "/playlists")
    assert '<span class="badge review-rejected">已退回</span>' in listing
    assert re.search(r'class="review-comment".*rev 退回意见：.*第二条太长，请删掉。', listing, re.S)
    editor = page(client, f"/playlists/{playlist_id}")
    box = re.search(
        r'<section class="review-comment sent-back" role="alert">(.*?)</section>', editor, re.S
    )
    assert box and "rev 退回意见：" in box[1]
    assert '<p class="comment-text">第二条太长，请删掉。</p>' in box[1]
    assert f'action="/playlists/{playlist_id}/submit"' in editor  # reworked, it goes again


def test_approved_playlist_warns_plays_and_goes_back_to_draft_when_changed(
    client: FlaskClient, store: Store
) -> None:
    playlist_id = new_playlist(client)
    add_pauses(client, playlist_id, 2)
    approve(store, playlist_id)
    html = page(client, f"/playlists/{playlist_id}")
    warning = "修改已通过的节目单后，它将停播，直到重新审核通过。"
    assert warning in html
    assert f'name="playlist_id" value="{playlist_id}"' in html  # "play now"
    assert f'name="playlist_id" value="{playlist_id}"' in page(client, "/playlists")

    html = post(client, f"/playlists/{playlist_id}/pause", seconds="1")
    assert flashes(html)[-2:] == ["已添加停顿。", "已修改。请重新提交审核：审核通过前不会播出。"]
    assert warning not in html
    assert f'name="playlist_id" value="{playlist_id}"' not in html
    assert f'name="playlist_id" value="{playlist_id}"' not in page(client, "/playlists")
    assert review.state(store, review.PLAYLIST, playlist_id).review == "draft"
    assert [row.action for row in audit.rows(store, action="add")] == ["add", "add"]


def test_play_now_only_for_playable_playlists(client: FlaskClient, store: Store) -> None:
    draft = new_playlist(client, "草稿节目")
    add_pauses(client, draft, 1)
    pending = new_playlist(client, "待审节目")
    add_pauses(client, pending, 1)
    review.submit(store, review.PLAYLIST, pending, "op", NOW)
    approved = new_playlist(client, "已通过节目")
    add_pauses(client, approved, 1)
    approve(store, approved)
    listing = page(client, "/playlists")
    shown = re.findall(r'name="playlist_id" value="(\d+)"', listing)
    assert shown == [str(approved)]


# -- deleting --------------------------------------------------------------------------


def test_delete_is_refused_while_scheduled_then_done(client: FlaskClient, store: Store) -> None:
    playlist_id = new_playlist(client)
    add_pauses(client, playlist_id, 2)
    approve(store, playlist_id)
    times = (dt.time(7, 30), dt.time(18, 30))
    entry = entry_table.add_schedule(
        store, playlist_id, dt.date(2023, 3, 28), dt.date(2023, 4, 7), times,
        frozenset(range(7)), Priority.SCHEDULED, NOW,
    )  # fmt: skip
    editor = page(client, f"/playlists/{playlist_id}")
    assert "<li>2023-03-28 至 2023-04-07 的 07:30, 18:30</li>" in editor
    assert f'action="/playlists/{playlist_id}/delete"' not in editor

    html = post(client, f"/playlists/{playlist_id}/delete", confirm="yes")
    assert (
        "“午间节目”仍在播出日程中：2023-03-28 至 2023-04-07 的 07:30, 18:30。"
        "请先删除这些播出安排，再删除节目单。"
    ) in flashes(html)
    entry_table.delete_schedule(store, entry)
    html = post(client, f"/playlists/{playlist_id}/delete")
    assert "请勾选确认框，确认要删除这个节目单。" in flashes(html)
    assert playlist_table.list_playlists(store)
    html = post(client, f"/playlists/{playlist_id}/delete", confirm="yes")
    assert "已删除节目单“午间节目”。" in flashes(html)
    assert "<h1>节目单</h1>" in html
    assert playlist_table.list_playlists(store) == []
    assert client.get(f"/playlists/{playlist_id}").status_code == 404


# -- who may do what -------------------------------------------------------------------

CHANGES = [
    ("POST", "/playlists", {"name": "新"}),
    ("POST", "/playlists/1", {"name": "新"}),
    ("POST", "/playlists/1/announcement", {"announcement_id": "1"}),
    ("POST", "/playlists/1/recording", {}),
    ("POST", "/playlists/1/image", {"seconds": "5"}),
    ("POST", "/playlists/1/pause", {"seconds": "5"}),
    ("POST", "/playlists/1/items/1", {"repeat": "2"}),
    ("POST", "/playlists/1/items/1/move", {"direction": "down"}),
    ("POST", "/playlists/1/items/1/remove", {}),
    ("POST", "/playlists/1/submit", {}),
    ("POST", "/playlists/1/delete", {"confirm": "yes"}),
]
CHANGE_IDS = [path.removeprefix("/playlists").strip("/") or "create" for _, path, _ in CHANGES]


@pytest.fixture
def one_playlist(store: Store) -> None:
    add_fake_announcement(store)
    assert editing.create_playlist(store, "午间节目", "", "op", NOW) == 1
    for seconds in (1.0, 2.0):
        editing.add_item(store, 1, ItemKind.PAUSE, "op", NOW, seconds=seconds)


@pytest.mark.parametrize(("method", "path", "form"), CHANGES, ids=CHANGE_IDS)
def test_reviewer_may_look_but_not_change(
    app: Flask, store: Store, one_playlist: None, method: str, path: str, form: dict[str, str]
) -> None:
    add_user(store, "rev", "reviewer")
    reviewer = app.test_client()
    log_in(reviewer, "rev")
    editor = page(reviewer, "/playlists/1")
    assert "上移" not in editor and "添加内容" not in editor and "删除这个节目单" not in editor
    assert "查看内容" in page(reviewer, "/playlists")
    before = (audit.count(store), [tuple(r) for r in store.query("SELECT * FROM playlist_items")])
    token = csrf_of(reviewer.get("/playlists"))
    response = reviewer.open(path, method=method, data={**form, "csrf_token": token})
    assert response.status_code == 403
    assert (
        audit.count(store),
        [tuple(r) for r in store.query("SELECT * FROM playlist_items")],
    ) == before


@pytest.mark.parametrize(("method", "path", "form"), CHANGES, ids=CHANGE_IDS)
def test_missing_csrf_token_is_refused(
    client: FlaskClient, store: Store, one_playlist: None, method: str, path: str,
    form: dict[str, str],
) -> None:  # fmt: skip
    before = (audit.count(store), [tuple(r) for r in store.query("SELECT * FROM playlist_items")])
    response = client.open(path, method=method, data=form)
    assert response.status_code == 400
    assert "表单已过期或来自其他网站。" in response.get_data(as_text=True)
    assert (
        audit.count(store),
        [tuple(r) for r in store.query("SELECT * FROM playlist_items")],
    ) == before


@pytest.mark.parametrize("path", ["/playlists", "/playlists/1"])
def test_anonymous_visitor_is_sent_to_log_in(app: Flask, path: str) -> None:
    response = app.test_client().get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_unknown_playlist_is_not_found(client: FlaskClient) -> None:
    assert client.get("/playlists/99").status_code == 404
    token = csrf_of(client.get("/playlists"))
    response = client.post("/playlists/99/pause", data={"csrf_token": token, "seconds": "3"})
    assert response.status_code == 404
    assert "该节目单不存在（可能已被删除）。" in response.get_data(as_text=True)


# -- escaping and the page itself ------------------------------------------------------


def test_names_and_slide_text_are_escaped(client: FlaskClient, store: Store) -> None:
    notice = add_fake_announcement(store, NASTY, NASTY)
    playlist_id = new_playlist(client, NASTY)
    post(client, f"/playlists/{playlist_id}/pause", seconds="2", slide_title=NASTY[:90],
         slide_body=NASTY)  # fmt: skip
    post(client, f"/playlists/{playlist_id}/announcement", announcement_id=str(notice))
    review.submit(store, review.PLAYLIST, playlist_id, "op", NOW)
    review.reject(store, review.PLAYLIST, playlist_id, "rev", NASTY, NOW)
    for path in ["/playlists", f"/playlists/{playlist_id}"]:
        html = page(client, path)
        assert "<script>alert(1)</script>" not in html, path
        assert str(escape("<script>alert(1)</script>")) in html, path
        assert '"双引号"' not in html, path
    # A refused form shows the typed name again, escaped inside the value attribute.
    form = {"csrf_token": csrf_of(client.get("/playlists")), "name": NASTY}
    html = client.post("/playlists", data=form).get_data(as_text=True)
    assert f'value="{escape(NASTY)}"' in html


def test_editor_has_no_inline_script_or_style(client: FlaskClient, store: Store) -> None:
    playlist_id = new_playlist(client)
    add_pauses(client, playlist_id, 1, 2)
    for path in ["/playlists", f"/playlists/{playlist_id}"]:
        html = page(client, path)
        assert "<script>" not in html, path
        assert " style=" not in html and "<style" not in html, path
        assert " on" + "click=" not in html, path


def test_editor_speaks_english_too(client: FlaskClient) -> None:
    playlist_id = new_playlist(client)
    page(client, f"/playlists/{playlist_id}")  # shows the flash about creating it, in Chinese
    english = {"Accept-Language": "en"}
    html = client.get(f"/playlists/{playlist_id}", headers=english).get_data(as_text=True)
    assert "Total length: 0:00" in html and "Add an item" in html
    assert "添加内容" not in html
