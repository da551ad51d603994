"""The evidence package: photos, videos, as-run CSV, summary CSV with a BOM, and a real PDF."""

from __future__ import annotations

import csv
import datetime as dt
import io
import unicodedata
import zipfile
from pathlib import Path

import pytest
from pypdf import PdfReader

from playlists.errors import EvidenceError
from playlists.evidence.export import export_package
from playlists.evidence.model import EvidenceFields
from playlists.evidence.writer import add_evidence
from playlists.model import Outcome, Priority
from playlists.record import asrun
from playlists.settings import Settings
from playlists.store import Store
from tests.evidence_kit import HOSTILE_TEXT, has_gps, phone_photo, short_video

NOW = dt.datetime(2023, 4, 8, 2, 0, tzinfo=dt.UTC)
PLAYED_AT = dt.datetime(2023, 3, 30, 0, 0, tzinfo=dt.UTC)


def pdf_text(data: bytes) -> str:
    """Return a PDF's text; NFKC turns the Kangxi radicals some glyphs map to into 示, 广, 无."""
    pages = PdfReader(io.BytesIO(data)).pages
    return unicodedata.normalize("NFKC", "".join(page.extract_text() for page in pages))


def read_csv(package: zipfile.ZipFile, name: str) -> list[list[str]]:
    data = package.read(name)
    assert data.startswith("\ufeff".encode()), f"{name} has no BOM: Excel would read GBK"
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


@pytest.fixture
def filled(sample_store: Store, sample_settings: Settings, tmp_path: Path) -> Store:
    """The sample campaign with one played broadcast, a photo and a video."""
    playlist = sample_store.query_one("SELECT id, name FROM playlists LIMIT 1")
    assert playlist is not None
    row = asrun.open_manual(
        sample_store, playlist["name"], playlist["id"], Priority.MANUAL, "cun", PLAYED_AT
    )
    asrun.close(sample_store, row, Outcome.PLAYED, PLAYED_AT + dt.timedelta(minutes=2))
    photo = phone_photo(tmp_path / "p.jpg")
    add_evidence(
        sample_store, sample_settings, photo, EvidenceFields(HOSTILE_TEXT, "五社联动", None),
        "cun", NOW,
    )  # fmt: skip
    video = short_video(tmp_path / "v.mp4")
    fields = EvidenceFields("社工站宣传视频", "社会工作服务", None)
    add_evidence(sample_store, sample_settings, video, fields, "cun", NOW)
    return sample_store


def test_the_package_holds_everything_the_town_asks_for(
    filled: Store, sample_settings: Settings, tmp_path: Path
) -> None:
    out = tmp_path / "evidence.zip"
    package = export_package(filled, sample_settings, out, NOW)
    assert (package.photos, package.videos) == (1, 1)
    with zipfile.ZipFile(out) as opened:
        assert opened.testzip() is None
        names = sorted(opened.namelist())
        assert names == [
            "asrun.csv",
            "items.csv",
            "photos/2023-03-30_五社联动_1.jpg",
            "report.pdf",
            "summary.csv",
            "videos/2023-03-31_社会工作服务_2.mp4",
        ]
        opened.extract("photos/2023-03-30_五社联动_1.jpg", tmp_path)
        summary = read_csv(opened, "summary.csv")
        asrun_rows = read_csv(opened, "asrun.csv")
        listing = read_csv(opened, "items.csv")
        pdf = opened.read("report.pdf")
    assert not has_gps(tmp_path / "photos/2023-03-30_五社联动_1.jpg")
    assert summary[0] == ["topic", "photos", "videos", "broadcasts", "shown", "report_by"]
    assert ["五社联动", "1", "0", "1", "1", "2023-04-09"] in summary
    assert ["社会工作服务", "0", "1", "1", "1", "2023-04-09"] in summary
    assert [r[5] for r in asrun_rows[1:]] == ["played"]
    assert HOSTILE_TEXT in [row[3] for row in listing]  # text in a cell, never a formula
    text = pdf_text(pdf)
    assert PdfReader(io.BytesIO(pdf)).pages[0].mediabox.width == pytest.approx(595, abs=2)  # A4
    assert "示范村广播站" in text and "活动影像资料" in text and "2023-04-09" in text
    assert "社工站宣传视频" in text
    assert HOSTILE_TEXT in text  # shown as the words it is, not run as markup


@pytest.mark.parametrize(
    ("name", "message"),
    [
        pytest.param("no-such-folder/evidence.zip", "no such folder", id="missing-folder"),
        pytest.param("evidence.pdf", "zip file", id="not-a-zip"),
    ],
)
def test_a_bad_target_writes_nothing(
    sample_store: Store, sample_settings: Settings, tmp_path: Path, name: str, message: str
) -> None:
    with pytest.raises(EvidenceError, match=message):
        export_package(sample_store, sample_settings, tmp_path / name, NOW)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]


def test_an_empty_village_still_reports_its_broadcasts(
    sample_store: Store, sample_settings: Settings, tmp_path: Path
) -> None:
    out = tmp_path / "evidence.zip"
    export_package(sample_store, sample_settings, out, NOW)
    with zipfile.ZipFile(out) as opened:
        assert sorted(opened.namelist()) == ["asrun.csv", "items.csv", "report.pdf", "summary.csv"]
        text = pdf_text(opened.read("report.pdf"))
    assert "暂无" in text and "计划 33 次,已播出 0 次" in text  # NFKC: ，becomes ,
