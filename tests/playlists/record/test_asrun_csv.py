"""The as-run CSV of evidence packages: a BOM for Excel, station times, no formulas."""

import csv
import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest

from playlists.model import AsRunRow, Outcome, Priority
from playlists.record.asrun_csv import BOM, asrun_csv, excel_text

TZ = ZoneInfo("Asia/Shanghai")


def row(name: str) -> AsRunRow:
    at = dt.datetime(2023, 3, 30, 0, 0, tzinfo=dt.UTC)
    return AsRunRow(1, "1@x", 1, name, Priority.SCHEDULED, at, at, at, Outcome.PLAYED, "", None)


def test_rows_read_back_in_station_time() -> None:
    text = asrun_csv([row("社会工作主题宣传")], TZ)
    assert text.startswith(BOM) and "\r\n" in text
    rows = list(csv.reader(io.StringIO(text.removeprefix(BOM))))
    assert rows[1][:4] == [
        "2023-03-30T08:00:00+08:00",
        "2023-03-30T08:00:00+08:00",
        "2023-03-30T08:00:00+08:00",
        "社会工作主题宣传",
    ]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param('=HYPERLINK("x")', '\'=HYPERLINK("x")', id="formula"),
        pytest.param("+1", "'+1", id="plus"),
        pytest.param("-1", "'-1", id="minus"),
        pytest.param("@SUM", "'@SUM", id="at"),
        pytest.param("广场横幅", "广场横幅", id="plain"),
        pytest.param(None, "", id="none"),
    ],
)
def test_cells_that_excel_would_run_stay_text(value: str | None, expected: str) -> None:
    assert excel_text(value) == expected
