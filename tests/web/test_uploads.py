"""Recordings uploaded on the announcements page: checked, stored or refused, never left behind."""

from __future__ import annotations

import dataclasses
import io
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from markupsafe import escape

from media.audio import probe
from media.errors import MediaError
from playlists.content import announcement_table, media_table
from playlists.settings import Settings
from playlists.store import Store
from tests.web_fixtures import (
    FAKE_SHA,
    add_fake_announcement,
    add_user,
    csrf_of,
    log_in,
    make_app,
)
from web import uploads


def pink_noise(path: Path, seconds: float, *options: str) -> bytes:
    """Quiet pink noise as a compressed file, as a phone might send a recording."""
    command = ["ffmpeg", "-nostdin", "-loglevel", "error", "-f", "lavfi"]
    subprocess.run(
        [*command, "-i", f"anoisesrc=d={seconds}:c=pink:a=0.3", *options, str(path)], check=True
    )
    return path.read_bytes()


def quiet_recording(folder: Path) -> bytes:
    return pink_noise(folder / "录音.mp3", 2)


def upload(
    client: FlaskClient, announcement_id: int, content: bytes, name: str = "录音.mp3"
) -> str:
    token = csrf_of(client.get("/announcements"))
    data = {"recording": (io.BytesIO(content), name), "csrf_token": token}
    response = client.post(
        f"/announcements/{announcement_id}/voice", data=data, follow_redirects=True
    )
    assert response.status_code == 200
    return response.get_data(as_text=True)


def leftovers(settings: Settings) -> list[Path]:
    folder = settings.data_dir / "tmp"
    return sorted(folder.iterdir()) if folder.exists() else []


def test_each_announcement_offers_a_recording_upload(client: FlaskClient, store: Store) -> None:
    announcement_id = add_fake_announcement(store)
    html = client.get("/announcements").get_data(as_text=True)
    assert f'action="/announcements/{announcement_id}/voice"' in html
    assert 'enctype="multipart/form-data"' in html
    assert 'type="file" accept="audio/*"' in html
    assert "用录音替换语音" in html


def test_uploaded_recording_replaces_the_voice(
    client: FlaskClient, store: Store, settings: Settings, tmp_path: Path
) -> None:
    announcement_id = add_fake_announcement(store)
    html = upload(client, announcement_id, quiet_recording(tmp_path))
    assert "“通知”已改用录音播出。" in html
    announcement = announcement_table.get_announcement(store, announcement_id)
    assert announcement.engine == "recording"
    assert announcement.media_sha256 != FAKE_SHA
    assert 1.5 < announcement.duration < 2.5
    assert "语音：自录语音" in html
    record = media_table.get_media(store, announcement.media_sha256)
    assert record is not None
    assert probe(settings.media_dir / record.path).duration == pytest.approx(2.0, abs=0.3)
    assert leftovers(settings) == []


def test_each_announcement_offers_the_microphone_through_the_same_form(
    client: FlaskClient, store: Store
) -> None:
    announcement_id = add_fake_announcement(store)
    html = client.get("/announcements").get_data(as_text=True)
    form = html[html.index(f'action="/announcements/{announcement_id}/voice"') :]
    form = form[: form.index("</form>")]
    assert '<div class="recorder" hidden' in form, "shown by record.js where it can record"
    assert "● 录音" in form and "停止录音" in form and "上传这段录音" in form
    assert 'data-recording="正在录音… {time}"' in form
    assert '<script src="/static/record.js"></script>' in html


@pytest.mark.parametrize(
    ("codec", "name"),
    [
        pytest.param(("-c:a", "libopus", "-f", "webm"), "microphone.webm", id="chromium-webm"),
        pytest.param(("-c:a", "libopus", "-f", "ogg"), "microphone.ogg", id="firefox-ogg"),
        pytest.param(("-c:a", "aac", "-f", "mp4"), "microphone.m4a", id="safari-mp4"),
    ],
)
def test_a_browser_recording_replaces_the_voice_like_any_upload(
    client: FlaskClient,
    store: Store,
    settings: Settings,
    tmp_path: Path,
    codec: tuple[str, ...],
    name: str,
) -> None:
    """What MediaRecorder sends (no duration in the header for WebM) is leveled into WAV."""
    announcement_id = add_fake_announcement(store)
    html = upload(client, announcement_id, pink_noise(tmp_path / name, 2, *codec), name)
    assert "“通知”已改用录音播出。" in html
    announcement = announcement_table.get_announcement(store, announcement_id)
    record = media_table.get_media(store, announcement.media_sha256)
    assert record is not None and (record.engine, record.voice) == ("recording", name)
    info = probe(settings.media_dir / record.path)
    assert (info.codec, info.sample_rate, info.channels) == ("pcm_s16le", 44100, 1)
    assert info.duration == pytest.approx(2.0, abs=0.3)
    assert leftovers(settings) == []


@pytest.mark.parametrize(
    ("content", "name", "reason"),
    [
        ("这不是录音。".encode(), "notice.mp3", None),
        (b"", "empty.m4a", "empty.m4a: the file is empty"),
    ],
    ids=["text-named-mp3", "empty"],
)
def test_bad_recording_is_refused_with_its_reason_and_changes_nothing(
    client: FlaskClient,
    store: Store,
    settings: Settings,
    tmp_path: Path,
    content: bytes,
    name: str,
    reason: str | None,
) -> None:
    announcement_id = add_fake_announcement(store)
    if reason is None:  # the very words the library gives for this file
        sample = tmp_path / name
        sample.write_bytes(content)
        with pytest.raises(MediaError) as expected:
            probe(sample)
        reason = str(expected.value).replace(str(sample), "")
    html = upload(client, announcement_id, content, name)
    assert "语音没有替换：" in html
    assert str(escape(reason)) in html
    assert announcement_table.get_announcement(store, announcement_id).media_sha256 == FAKE_SHA
    assert [row["sha256"] for row in store.query("SELECT sha256 FROM media")] == [FAKE_SHA]
    assert leftovers(settings) == []


def test_too_long_recording_is_refused(settings: Settings, store: Store, tmp_path: Path) -> None:
    audio = dataclasses.replace(settings.audio, max_recording_minutes=1)
    app = make_app(dataclasses.replace(settings, audio=audio), store)
    add_user(store, "op", "operator")
    client = app.test_client()
    log_in(client, "op")
    announcement_id = add_fake_announcement(store)
    long_one = pink_noise(tmp_path / "long.mp3", 65, "-b:a", "32k")
    html = upload(client, announcement_id, long_one, "long.mp3")
    assert "语音没有替换：long.mp3: too long (1 min); at most 1 min" in html
    assert announcement_table.get_announcement(store, announcement_id).media_sha256 == FAKE_SHA
    assert leftovers(settings) == []


def test_no_file_chosen(client: FlaskClient, store: Store) -> None:
    announcement_id = add_fake_announcement(store)
    token = csrf_of(client.get("/announcements"))
    response = client.post(
        f"/announcements/{announcement_id}/voice",
        data={"csrf_token": token},
        follow_redirects=True,
    )
    assert "请先选择录音文件。" in response.get_data(as_text=True)


def test_the_clients_file_name_is_never_a_path(
    client: FlaskClient, store: Store, settings: Settings, tmp_path: Path
) -> None:
    announcement_id = add_fake_announcement(store)
    html = upload(client, announcement_id, quiet_recording(tmp_path), "../../secret_key.mp3")
    assert "已改用录音播出" in html
    assert not (settings.data_dir.parent / "secret_key.mp3").exists()
    assert leftovers(settings) == []


def test_large_uploads_are_spooled_inside_the_data_folder(
    client: FlaskClient, store: Store, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    folders: list[Path] = []
    real = tempfile.TemporaryFile

    def spy(*args: Any, **kwargs: Any) -> Any:
        folders.append(Path(kwargs["dir"]))
        return real(*args, **kwargs)

    monkeypatch.setattr(uploads.tempfile, "TemporaryFile", spy)
    announcement_id = add_fake_announcement(store)
    upload(client, announcement_id, b"\0" * 600_000, "big.mp3")  # over werkzeug's 500 kB
    assert folders == [settings.data_dir / "tmp"]  # never /tmp, which may be memory on a Pi


def test_unknown_announcement_is_404(client: FlaskClient) -> None:
    token = csrf_of(client.get("/announcements"))
    data = {"recording": (io.BytesIO(b"x"), "a.mp3"), "csrf_token": token}
    assert client.post("/announcements/99/voice", data=data).status_code == 404


# -- size limits ---------------------------------------------------------------------


@pytest.fixture
def small_limit(settings: Settings, store: Store) -> FlaskClient:
    """An operator on a panel that takes recordings of at most 1 MB."""
    audio = dataclasses.replace(settings.audio, max_upload_mb=1)
    app = make_app(dataclasses.replace(settings, audio=audio), store)
    add_user(store, "op", "operator")
    client = app.test_client()
    log_in(client, "op")
    return client


def test_too_big_recording_gets_a_clear_413_on_the_page(
    small_limit: FlaskClient, store: Store, settings: Settings
) -> None:
    announcement_id = add_fake_announcement(store)
    token = csrf_of(small_limit.get("/announcements"))
    data = {"recording": (io.BytesIO(b"\0" * 3_000_000), "long.wav"), "csrf_token": token}
    response = small_limit.post(f"/announcements/{announcement_id}/voice", data=data)
    assert response.status_code == 413
    html = response.get_data(as_text=True)
    assert "录音文件太大：最多只能上传 1 MB" in html
    assert 'class="flash flash-error"' in html and "写新通知" in html  # the page, not a bare error
    assert announcement_table.get_announcement(store, announcement_id).media_sha256 == FAKE_SHA
    assert leftovers(settings) == []


def test_too_big_recording_answers_json_to_json_clients(
    small_limit: FlaskClient, store: Store
) -> None:
    announcement_id = add_fake_announcement(store)
    token = csrf_of(small_limit.get("/announcements"))
    data = {"recording": (io.BytesIO(b"\0" * 3_000_000), "long.wav"), "csrf_token": token}
    response = small_limit.post(
        f"/announcements/{announcement_id}/voice",
        data=data,
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 413
    assert response.json is not None
    assert set(response.json) == {"error"} and "最多只能上传 1 MB" in response.json["error"]


def test_a_recording_may_be_bigger_than_any_other_body(
    client: FlaskClient, store: Store, settings: Settings
) -> None:
    announcement_id = add_fake_announcement(store)
    # 3 MB is over the 2 MiB every other form gets, and under the recording limit:
    # it reaches the library, which finds it is not audio.
    html = upload(client, announcement_id, b"\0" * 3_000_000, "big.mp3")
    assert "语音没有替换：" in html
    assert "太大" not in html
    assert leftovers(settings) == []


@pytest.mark.parametrize(
    ("who", "method", "path", "expected"),
    [
        pytest.param(None, "POST", "/login", "small", id="log-in-form"),
        pytest.param(None, "POST", "/announcements/1/voice", "small", id="anonymous-recording"),
        pytest.param("rev", "POST", "/announcements/1/voice", "small", id="reviewer-recording"),
        pytest.param("op", "POST", "/announcements/1/voice", "recording", id="operator-recording"),
        pytest.param("op", "POST", "/playlists/1/image", "recording", id="operator-picture"),
        pytest.param("op", "POST", "/bundles/import", "bundle", id="operator-bundle"),
        pytest.param(None, "POST", "/bundles/import", "small", id="anonymous-bundle"),
        pytest.param("op", "POST", "/playlists/import", "small", id="operator-yaml-file"),
        pytest.param("op", "POST", "/api/v1/schedule", "small", id="operator-json"),
        pytest.param("op", "GET", "/announcements/1/voice", "small", id="wrong-method"),
        pytest.param(None, "POST", "/nowhere", "small", id="no-such-page"),
    ],
)
def test_the_server_s_body_limit_is_decided_from_the_head(
    app: Flask, store: Store, who: str | None, method: str, path: str, expected: str
) -> None:
    add_user(store, "op", "operator")
    add_user(store, "rev", "reviewer")
    headers = {}
    if who is not None:
        client = app.test_client()
        log_in(client, who)
        cookie = client.get_cookie("villagecast_session")
        assert cookie is not None
        headers["COOKIE"] = f"villagecast_session={cookie.value}"
    settings: Settings = app.extensions["villagecast"].settings
    limits = {
        "small": uploads.SMALL_BODY_BYTES,
        "recording": uploads.recording_limit(settings),
        "bundle": settings.bundles.max_bytes + uploads.FORM_OVERHEAD_BYTES,
    }
    assert uploads.head_body_limit(app, method, path, headers) == limits[expected]
