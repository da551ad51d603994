"""宣传照片和视频 on the panel: chunked uploads by operators, the grid per topic, roles, CSRF."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from playlists.evidence import items
from playlists.settings import Settings
from playlists.store import Store
from tests.evidence_kit import HOSTILE_TEXT, has_gps, phone_photo, short_video
from tests.web_fixtures import client_for, fresh_token, make_app

NOW = dt.datetime(2023, 4, 2, 4, 0, tzinfo=dt.UTC)
CHUNK = 1024 * 1024


@pytest.fixture
def app(settings: Settings, store: Store) -> Flask:
    return make_app(settings, store, now=NOW)


@pytest.fixture
def operator(app: Flask, store: Store) -> FlaskClient:
    return client_for(app, store, "cun", "operator")


def headers(client: FlaskClient) -> dict[str, str]:
    return {"X-CSRF-Token": fresh_token(client), "Accept": "application/json"}


def upload(client: FlaskClient, data: bytes, chunk: int = CHUNK) -> str:
    """Send a file in pieces as the page's script does; return the upload's id."""
    sent = headers(client)
    started = client.post("/evidence/uploads", json={"size": len(data)}, headers=sent)
    assert started.status_code == 201, started.get_json()
    upload_id = started.get_json()["id"]
    for offset in range(0, len(data), chunk):
        answer = client.put(
            f"/evidence/uploads/{upload_id}?offset={offset}",
            data=data[offset : offset + chunk],
            headers=sent,
        )
        assert answer.status_code == 200, answer.get_json()
    return str(upload_id)


def save(client: FlaskClient, upload_id: str, caption: str, taken_on: str = "") -> dict:
    answer = client.post(
        "/evidence",
        data={
            "upload_id": upload_id,
            "caption": caption,
            "topic": "五社联动",
            "taken_on": taken_on,
        },
        headers=headers(client),
    )
    return {"status": answer.status_code, **answer.get_json()}


def test_a_photo_goes_up_in_pieces_and_shows_under_its_topic(
    operator: FlaskClient, store: Store, settings: Settings, tmp_path: Path
) -> None:
    # Large enough for several pieces: noise does not compress.
    photo = phone_photo(tmp_path / "p.jpg", size=(2000, 1500))
    data = photo.read_bytes()
    upload_id = upload(operator, data, chunk=200_000)
    probed = operator.post(f"/evidence/uploads/{upload_id}/probe", headers=headers(operator))
    assert probed.get_json() == {"kind": "photo", "taken_on": "2023-03-30"}
    saved = save(operator, upload_id, "广场横幅")
    assert saved["status"] == 201
    (item,) = items.list_items(store)
    assert not has_gps(items.file_path(settings, item))
    page = operator.get(saved["url"]).get_data(as_text=True)
    assert "已保存：广场横幅" in page
    assert f'id="item-{item.id}"' in page and f"/evidence/{item.id}/thumbnail" in page
    thumb = operator.get(f"/evidence/{item.id}/thumbnail")
    assert thumb.mimetype == "image/jpeg"
    assert "private" in thumb.headers["Cache-Control"]  # behind a log-in: no shared caches
    assert not list(settings.data_dir.glob("evidence/incoming/*.part"))


def test_an_interrupted_upload_resumes(operator: FlaskClient, tmp_path: Path) -> None:
    data = short_video(tmp_path / "v.mp4").read_bytes()
    sent = headers(operator)
    upload_id = operator.post(
        "/evidence/uploads", json={"size": len(data)}, headers=sent
    ).get_json()["id"]
    operator.put(f"/evidence/uploads/{upload_id}?offset=0", data=data[:10_000], headers=sent)
    # The phone lost the network; the page asks how far it got and sends the rest.
    state = operator.get(f"/evidence/uploads/{upload_id}").get_json()
    assert state["received"] == 10_000
    repeated = operator.put(f"/evidence/uploads/{upload_id}?offset=0", data=data, headers=sent)
    assert repeated.status_code == 409
    rest = operator.put(
        f"/evidence/uploads/{upload_id}?offset=10000", data=data[10_000:], headers=sent
    )
    assert rest.get_json()["received"] == len(data)
    assert save(operator, upload_id, "宣传视频")["status"] == 201


def test_hostile_metadata_never_reaches_the_page_unescaped(
    operator: FlaskClient, tmp_path: Path
) -> None:
    photo = phone_photo(tmp_path / "p.jpg", description=HOSTILE_TEXT)
    assert save(operator, upload(operator, photo.read_bytes()), HOSTILE_TEXT)["status"] == 201
    video = short_video(tmp_path / "v.mp4", title=HOSTILE_TEXT)
    assert save(operator, upload(operator, video.read_bytes()), "视频")["status"] == 201
    page = operator.get("/evidence").get_data(as_text=True)
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&#39;exif&#39;)&lt;/script&gt;" in page


def test_a_refused_file_is_deleted_with_its_reason(
    operator: FlaskClient, settings: Settings, tmp_path: Path
) -> None:
    upload_id = upload(operator, b"MZ\x90\x00 not a photo, not a video")
    probed = operator.post(f"/evidence/uploads/{upload_id}/probe", headers=headers(operator))
    error = probed.get_json()["error"]
    assert probed.status_code == 400 and error.startswith("文件: not a whole video")
    assert not list(settings.data_dir.glob("evidence/incoming/*"))
    assert operator.get(f"/evidence/uploads/{upload_id}").status_code == 404


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        pytest.param({"caption": ""}, "caption", id="no-caption"),
        pytest.param({"topic": "别的主题"}, "topics", id="unknown-topic"),
        pytest.param({"taken_on": "30/03/2023"}, "2023-03-30", id="bad-day"),
        pytest.param({"taken_on": "2023-04-03"}, "to today", id="future-day"),
    ],
)
def test_bad_fields_keep_the_upload_for_another_try(
    operator: FlaskClient, store: Store, tmp_path: Path, fields: dict[str, str], message: str
) -> None:
    upload_id = upload(operator, phone_photo(tmp_path / "p.jpg").read_bytes())
    form = {"upload_id": upload_id, "caption": "横幅", "topic": "五社联动", "taken_on": ""}
    answer = operator.post("/evidence", data={**form, **fields}, headers=headers(operator))
    assert answer.status_code == 400 and message in answer.get_json()["error"]
    assert items.list_items(store) == []
    assert operator.post("/evidence", data=form, headers=headers(operator)).status_code == 201


def test_without_csrf_nothing_starts(operator: FlaskClient) -> None:
    answer = operator.post("/evidence/uploads", json={"size": 10})
    assert answer.status_code == 400


@pytest.mark.parametrize("role", ["reviewer", "admin"])
def test_roles_that_view_and_who_uploads(app: Flask, store: Store, role: str) -> None:
    viewer = client_for(app, store, role, role)
    page = viewer.get("/evidence")
    assert page.status_code == 200 and "宣传照片和视频" in page.get_data(as_text=True)
    started = viewer.post("/evidence/uploads", json={"size": 10}, headers=headers(viewer))
    assert started.status_code == (201 if role == "admin" else 403)


def test_someone_elses_upload_is_not_found(app: Flask, store: Store, operator: FlaskClient) -> None:
    upload_id = upload(operator, b"0123456789")
    other = client_for(app, store, "other", "operator")
    assert other.get(f"/evidence/uploads/{upload_id}").status_code == 404
    answer = other.put(
        f"/evidence/uploads/{upload_id}?offset=10", data=b"x", headers=headers(other)
    )
    assert answer.status_code == 404


def test_anonymous_visitors_log_in_first(app: Flask) -> None:
    assert app.test_client().get("/evidence").status_code == 302


def test_the_page_shows_the_deadline_and_the_system_evidence(operator: FlaskClient) -> None:
    page = operator.get("/evidence").get_data(as_text=True)
    assert "2023-04-09 前上报镇民政办" in page and "还剩 7 天" in page
    assert re.search(r'accept="image/\*,video/\*" capture', page)
    for topic in ("社会工作知识", "社会工作体系", "人才政策", "社会工作服务", "五社联动"):
        assert f"<td>{topic}</td><td>0</td><td>0</td>" in page


def test_the_towns_word_is_shown_escaped(
    operator: FlaskClient, store: Store, tmp_path: Path
) -> None:
    upload_id = upload(operator, phone_photo(tmp_path / "p.jpg").read_bytes())
    item_id = save(operator, upload_id, "横幅")["id"]
    store.query(
        "UPDATE evidence SET town_review = 'more', town_comment = ? WHERE id = ?",
        ("<i>请补拍</i>", item_id),
    )
    page = operator.get("/evidence").get_data(as_text=True)
    assert "镇里要求补充" in page and "&lt;i&gt;请补拍&lt;/i&gt;" in page


def test_the_village_downloads_its_package(
    operator: FlaskClient, settings: Settings, tmp_path: Path
) -> None:
    save(operator, upload(operator, phone_photo(tmp_path / "p.jpg").read_bytes()), "横幅")
    answer = operator.get("/evidence/export.zip")
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store"
    assert answer.headers["Content-Disposition"].endswith("evidence-2023-04-02.zip")
    with zipfile.ZipFile(io.BytesIO(answer.get_data())) as package:
        assert "photos/2023-03-30_五社联动_1.jpg" in package.namelist()
        assert package.read("report.pdf").startswith(b"%PDF-")
    assert not list((settings.data_dir / "tmp").glob("evidence-*"))


def test_without_chromium_the_download_says_what_to_install(
    operator: FlaskClient, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    answer = operator.get("/evidence/export.zip", headers={"Accept": "application/json"})
    assert answer.status_code == 503 and "chromium" in answer.get_json()["error"]
    assert not list((settings.data_dir / "tmp").glob("evidence-*"))
