"""Printing an HTML page to PDF with headless Chromium."""

from pathlib import Path

import pytest
from pypdf import PdfReader

from media.errors import PdfError
from media.pdf import print_pdf


def test_an_a4_page_is_printed(tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    page.write_text(
        "<!doctype html><meta charset=utf-8><style>@page{size:A4}</style><h1>Evidence 2023</h1>",
        encoding="utf-8",
    )
    target = tmp_path / "report.pdf"
    print_pdf(page, target)
    pdf = PdfReader(target)
    assert "Evidence 2023" in pdf.pages[0].extract_text()
    assert float(pdf.pages[0].mediabox.height) == pytest.approx(842, abs=2)  # A4: 297 mm


def test_without_chromium_the_error_names_the_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no browser anywhere on it
    page = tmp_path / "report.html"
    page.write_text("<p>x</p>", encoding="utf-8")
    with pytest.raises(PdfError, match="install the chromium package"):
        print_pdf(page, tmp_path / "report.pdf")
    assert not (tmp_path / "report.pdf").exists()
