"""/fleet/evidence: the town's village × topic table against the deadline, with thumbnails."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
import zipfile
from pathlib import Path

import pytest
from flask import Flask
from pypdf import PdfReader

from playlists.evidence.writer import file_sha256
from playlists.settings import Settings
from playlists.store import Store
from playlists.town import village_evidence, villages
from tests.evidence_kit import HOSTILE_TEXT, phone_photo
from tests.web_fixtures import client_for, fresh_token, make_app

ON_TIME = dt.datetime(2023, 4, 9, 15, 0, tzinfo=dt.UTC)  # 23:00 on 9 April in the station
LATE = dt.datetime(2023, 4, 9, 16, 30, tzinfo=dt.UTC)  # 00:30 on 10 April


def receive(
    store: Store, settings: Settings, village: str, photo: Path, topic: str, caption: str,
    when: dt.datetime,
) -> None:  # fmt: skip
    """Take a photo from a village as the sync does: offer, one piece, finish."""
    village_id = villages.get_village(store, village).id
    data, sha = photo.read_bytes(), file_sha256(photo)
    village_evidence.offer(store, settings, village_id, sha, len(data))
    village_evidence.append(settings, village_id, sha, 0, data)
    fields = {
        "kind": "photo", "caption": caption, "topic": topic,
        "taken_on": "2023-03-30", "added_by": "cun",
    }  # fmt: skip
    village_evidence.finish(store, settings, village_id, sha, fields, when)


@pytest.fixture
def app(settings: Settings, store: Store, tmp_path: Path) -> Flask:
    for name in ("东村", "西村", "南村"):
        villages.add_village(store, name, "cli:town", ON_TIME)
    receive(store, settings, "东村", phone_photo(tmp_path / "1.jpg"), "五社联动", "横幅", ON_TIME)
    photo = phone_photo(tmp_path / "2.jpg", size=(500, 300))
    receive(store, settings, "东村", photo, "人才政策", HOSTILE_TEXT, LATE)
    receive(store, settings, "西村", phone_photo(tmp_path / "3.jpg", size=(300, 500)), "五社联动",
            "海报", LATE)  # fmt: skip
    return make_app(settings, store, now=LATE)


def marks(html: str, village: str) -> list[str]:
    row = re.search(rf"<strong>{village}</strong>.*?</td>(.*?)</tr>", html, re.S)
    assert row, village
    return re.findall(r'class="mark-(\w+)"', row[1])


def test_the_table_marks_sent_late_and_missing(app: Flask, store: Store) -> None:
    page = client_for(app, store, "zhen", "reviewer").get("/fleet/evidence")
    html = page.get_data(as_text=True)
    # Topics in the campaign's order: 社会工作知识, 社会工作体系, 人才政策, 社会工作服务, 五社联动.
    assert marks(html, "东村") == ["missing", "missing", "late", "missing", "sent"]
    assert marks(html, "西村") == ["missing", "missing", "missing", "missing", "late"]
    assert marks(html, "南村") == ["missing"] * 5
    assert "已过截止日期" in html and "逾期" in html and "已报" in html
    assert "<script>alert" not in html and "&lt;script&gt;" in html
    ids = re.findall(r"/fleet/evidence/(\d+)/thumbnail", html)
    assert len(ids) == 3
    client = client_for(app, store, "zhen2", "admin")
    assert client.get(f"/fleet/evidence/{ids[0]}/thumbnail").mimetype == "image/jpeg"
    assert client.get(f"/fleet/evidence/{ids[0]}/file").mimetype == "image/jpeg"
    assert client.get("/fleet/evidence/999/file").status_code == 404


def test_operators_do_not_see_the_town_table(app: Flask, store: Store) -> None:
    client = client_for(app, store, "cun", "operator")
    assert client.get("/fleet/evidence").status_code == 403
    assert client.get("/fleet/evidence/1/file").status_code == 403


@pytest.mark.parametrize(
    ("decision", "comment", "flashed", "stored"),
    [
        pytest.param("accepted", "", "东村 下次同步后可以看到", ("accepted", ""), id="accept"),
        pytest.param(
            "more", "请补拍<b>公示栏</b>", "下次同步后", ("more", "请补拍<b>公示栏</b>"), id="more"
        ),
        pytest.param("more", " ", "say what more", ("new", ""), id="more-without-comment"),
        pytest.param("delete", "", "choose accept", ("new", ""), id="unknown-decision"),
    ],
)
def test_the_town_accepts_or_asks_for_more(
    app: Flask, store: Store, decision: str, comment: str, flashed: str, stored: tuple[str, str]
) -> None:
    client = client_for(app, store, "zhen", "reviewer")
    item = village_evidence.list_items(store)[0]
    answer = client.post(
        f"/fleet/evidence/{item.id}/review",
        data={"decision": decision, "comment": comment, "csrf_token": fresh_token(client)},
        follow_redirects=True,
    )
    html = answer.get_data(as_text=True)
    assert flashed in html
    assert "<b>公示栏</b>" not in html
    after = village_evidence.get_item(store, item.id)
    assert (after.review, after.review_comment) == stored
    audited = store.query("SELECT action FROM audit WHERE subject = 'village_evidence'")
    assert len(audited) == (0 if stored[0] == "new" else 1)


@pytest.mark.parametrize(
    ("query", "folders"),
    [
        pytest.param("", {"东村", "西村"}, id="every-village"),
        pytest.param("?village=西村", {"西村"}, id="one-village"),
    ],
)
def test_the_town_downloads_a_package(
    app: Flask, store: Store, settings: Settings, query: str, folders: set[str]
) -> None:
    client = client_for(app, store, "zhen", "reviewer")
    answer = client.get(f"/fleet/evidence/export.zip{query}")
    assert answer.status_code == 200 and answer.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(answer.get_data())) as package:
        names = package.namelist()
        summary = package.read("summary.csv")
        pdf = PdfReader(io.BytesIO(package.read("report.pdf")))
    assert {name.split("/")[0] for name in names if "/" in name} == folders
    assert summary.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(summary.decode("utf-8-sig"))))
    assert ["西村", "五社联动", "late", "1", "0", "2023-04-09"] in rows
    text = unicodedata.normalize("NFKC", "".join(p.extract_text() for p in pdf.pages))
    assert "各村活动影像资料" in text and "逾期" in text
    assert not list((settings.data_dir / "tmp").glob("evidence-*"))


def test_an_unknown_village_has_no_package(app: Flask, store: Store) -> None:
    client = client_for(app, store, "zhen", "reviewer")
    assert client.get("/fleet/evidence/export.zip?village=北村").status_code == 404
