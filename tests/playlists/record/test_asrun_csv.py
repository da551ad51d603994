"""The as-run CSV of files and packages: Excel's layout, coded notes in words, no formulas."""

from __future__ import annotations

import csv
import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest

from playlists.model import AsRunRow, Outcome, Priority
from playlists.record import notes
from playlists.record.asrun_csv import BOM, COLUMNS, asrun_csv, asrun_values

SHANGHAI = ZoneInfo("Asia/Shanghai")
AT = dt.datetime(2023, 3, 28, 23, 30, tzinfo=dt.UTC)  # 07:30 the next day in Shanghai


def row(reason: str, name: str = "社会工作宣传", by: str | None = None) -> AsRunRow:
    skipped = Outcome.SKIPPED
    return AsRunRow(1, "k", 1, name, Priority.SCHEDULED, AT, None, None, skipped, reason, by)


def cells(document: str) -> list[list[str]]:
    assert document.startswith(BOM)
    return list(csv.reader(io.StringIO(document[len(BOM) :])))


@pytest.mark.parametrize(
    ("reason", "expected"),
    [
        (
            notes.encode((notes.note(notes.NoteCode.STOPPED_BY, who="xiaowang"),)),
            "stopped by xiaowang",
        ),
        (
            notes.encode((notes.note(notes.NoteCode.PLAYER_DOWN),)),
            notes.english(notes.encode((notes.note(notes.NoteCode.PLAYER_DOWN),))),
        ),
        ("an old row's own sentence", "an old row's own sentence"),
        ("", ""),
    ],
    ids=["coded-with-who", "coded-bare", "old-english-row", "no-reason"],
)
def test_a_coded_note_is_written_in_words_never_as_its_code(reason: str, expected: str) -> None:
    header, line = cells(asrun_csv([row(reason)], SHANGHAI))
    assert header == list(COLUMNS)
    assert line[COLUMNS.index("reason")] == expected
    assert "{" not in line[COLUMNS.index("reason")]


def test_times_are_the_stations_and_formulas_stay_text() -> None:
    values = asrun_values(row("", name="=HYPERLINK(1)", by="@me"), SHANGHAI)
    assert values[0] == "2023-03-29T07:30:00+08:00"
    assert values[COLUMNS.index("playlist")] == "'=HYPERLINK(1)"
    assert values[COLUMNS.index("requested_by")] == "'@me"


def test_the_panel_says_the_note_in_its_own_words() -> None:
    coded = notes.encode((notes.note(notes.NoteCode.STOPPED_BY, who="xiaowang"),))
    values = asrun_values(row(coded), SHANGHAI, {coded: "被 xiaowang 停止"}.__getitem__)
    assert values[COLUMNS.index("reason")] == "被 xiaowang 停止"
