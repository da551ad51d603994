"""As-run notes: codes with parameters in the reason column; old English rows still read."""

from __future__ import annotations

import json

import pytest

from playlists.record.notes import (
    ENGLISH,
    PARAMS,
    Note,
    NoteCode,
    emergency,
    encode,
    english,
    note,
    read,
    with_skip,
)
from playlists.town.village_asrun import MAX_ASRUN_FIELD

# Each code, and the English it reads as: the sentence the player wrote before codes.
TABLE = [
    (note(NoteCode.PLAYER_STOPPED), "player stopped"),
    (note(NoteCode.PLAYER_CUT), "player stopped during the broadcast"),
    (
        note(NoteCode.CONTINUED_AFTER_RESTART, policy="resume"),
        "resumed after the player stopped",
    ),
    (note(NoteCode.PLAYER_DOWN), "the player was not running"),
    (note(NoteCode.QUIET_HOURS, start="22:00", end="06:30"), "quiet hours 22:00–06:30"),
    (
        note(NoteCode.AWAITING_REVIEW, name="宣传"),
        "awaiting review: playlist “宣传” is not approved",
    ),
    (note(NoteCode.LOAD_FAILED, detail="playlist 3 does not exist"), "playlist 3 does not exist"),
    (note(NoteCode.CLOCK_JUMPED, seconds=600), "the clock jumped forward 600 s past it"),
    (note(NoteCode.LATE, seconds=45), "45 s late: the player was busy or stopped"),
    (note(NoteCode.SLOT_BUSY, on_air="long"), "slot busy: long was on air"),
    (
        note(NoteCode.INTERRUPTED, priority="emergency", name="alarm", then="resume"),
        "interrupted by emergency: alarm; will resume",
    ),
    (
        note(NoteCode.INTERRUPTED, priority="manual", name="manual", then=""),
        "interrupted by manual: manual",
    ),
    (
        note(NoteCode.CONTINUED_AFTER, policy="restart", priority="emergency", name="alarm"),
        "restarted after emergency: alarm",
    ),
    (note(NoteCode.STOPPED_BY, who="王五"), "stopped by 王五"),
    (note(NoteCode.ITEM_SKIPPED, items="1", who="王五"), "item 1 skipped by 王五"),
    (note(NoteCode.ITEM_SKIPPED, items="1, 3", who="王五"), "items 1, 3 skipped by 王五"),
    (
        note(NoteCode.WAITED_TOO_LONG, waited=240, wait=120),
        "the lane was busy for 240 s, longer than its wait of 120 s",
    ),
    (
        note(NoteCode.AUDIO_FAILED, sink="alsa", detail="audio open error"),
        "audio output alsa: audio open error",
    ),
    (
        note(NoteCode.EMERGENCY, text="河水上涨", repeat=2, gap=3),
        "emergency said 2 times, 3 s apart: 河水上涨",
    ),
]
IDS = [f"{n.code.value}-{i}" for i, (n, _) in enumerate(TABLE)]


def test_every_code_is_in_the_tables() -> None:
    assert {n.code for n, _ in TABLE} == set(NoteCode) == set(PARAMS) == set(ENGLISH)


@pytest.mark.parametrize(("one", "words"), TABLE, ids=IDS)
def test_each_note_round_trips_and_reads_as_the_old_sentence(one: Note, words: str) -> None:
    text = encode((one,))
    assert json.loads(text)["v"] == 1
    assert read(text) == (one,)
    assert english(text) == words


def test_several_notes_are_joined_as_before() -> None:
    text = encode(
        (
            note(NoteCode.CONTINUED_AFTER, policy="resume", priority="emergency", name="alarm"),
            note(NoteCode.ITEM_SKIPPED, items="2", who="王五"),
        )
    )
    assert english(text) == "resumed after emergency: alarm; item 2 skipped by 王五"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("", (), id="nothing-to-say"),
        pytest.param("stopped by xiaowang", "stopped by xiaowang", id="old-english-row"),
        pytest.param('{"v":2,"notes":[]}', '{"v":2,"notes":[]}', id="newer-format"),
        pytest.param('{"v":1,"notes":[{"code":"x"}]}', '{"v":1,"notes":[{"code":"x"}]}', id="bad"),
        pytest.param(
            '{"v":1,"notes":[{"code":"danced","params":{}}]}',
            '{"v":1,"notes":[{"code":"danced","params":{}}]}',
            id="unknown-code",
        ),
        pytest.param('{"v":1,"notes":', '{"v":1,"notes":', id="cut-short"),
    ],
)
def test_rows_that_hold_no_notes_of_this_format_read_as_their_text(
    text: str, expected: object
) -> None:
    assert read(text) == expected
    assert english(text) == ("" if expected == () else text)


@pytest.mark.parametrize(
    ("code", "params", "message"),
    [
        pytest.param(NoteCode.STOPPED_BY, {}, "takes", id="missing"),
        pytest.param(NoteCode.STOPPED_BY, {"who": "x", "why": "y"}, "takes", id="extra"),
        pytest.param(NoteCode.STOPPED_BY, {"who": ["x"]}, "parameter who", id="not-scalar"),
        pytest.param(
            NoteCode.CONTINUED_AFTER,
            {"policy": "skip", "priority": "manual", "name": "x"},
            "parameter policy",
            id="unknown-policy",
        ),
        pytest.param(
            NoteCode.INTERRUPTED,
            {"priority": "loud", "name": "x", "then": ""},
            "parameter priority",
            id="unknown-priority",
        ),
    ],
)
def test_a_note_with_wrong_params_is_refused(
    code: NoteCode, params: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        Note(code, params)  # type: ignore[arg-type]


def test_a_run_of_skips_by_one_user_is_one_short_note() -> None:
    notes: tuple[Note, ...] = ()
    for item, who in ((2, "王五"), (3, "王五"), (5, "王五"), (6, "李四")):
        notes = with_skip(notes, item, who)
    assert english(encode(notes)) == "items 2, 3, 5 skipped by 王五; item 6 skipped by 李四"


def test_a_long_broadcast_skipped_through_still_fits_the_towns_column() -> None:
    notes = (
        note(NoteCode.CONTINUED_AFTER, policy="resume", priority="emergency", name="紧" * 100),
    )
    for item in range(1, 61):
        notes = with_skip(notes, item, "xiaowang")
    assert len(encode(notes)) <= 500  # playlists/town/village_asrun.py MAX_TEXT["reason"]


def test_an_errors_long_words_are_cut() -> None:
    failed = note(NoteCode.AUDIO_FAILED, sink="alsa", detail="x" * 5000)
    assert failed.params["detail"] == "x" * 200
    assert len(encode((failed,))) <= 500


def test_an_emergencys_longest_text_with_a_stop_fits_the_towns_column() -> None:
    said = emergency("紧" * 600, 3, 30)
    assert said.params == {"text": "紧" * 500, "repeat": 3, "gap": 30}
    text = encode((said, note(NoteCode.STOPPED_BY, who="x" * 100)))
    assert len(text) <= MAX_ASRUN_FIELD["reason"]
