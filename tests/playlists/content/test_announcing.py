"""Writing announcements: the words checked in the core, each change stored and audited at once."""

from __future__ import annotations

import pytest

from playlists.content import announcement_table, announcing, review
from playlists.content.ingest import Ingest
from playlists.content.limits import MAX_ANNOUNCEMENT_TEXT, MAX_TITLE
from playlists.errors import EditError
from playlists.model import Review
from playlists.record import audit
from playlists.store import Store

NOTICE = "村民朋友们请注意明天上午八点到下午五点停水"


@pytest.mark.parametrize(
    ("title", "text", "expected"),
    [
        pytest.param(" 停水 ", " 今天停水。 ", ("停水", "今天停水。"), id="stripped"),
        pytest.param("", NOTICE, (NOTICE[:20], NOTICE), id="untitled-takes-the-first-words"),
        pytest.param("题" * MAX_TITLE, "字" * MAX_ANNOUNCEMENT_TEXT,
                     ("题" * MAX_TITLE, "字" * MAX_ANNOUNCEMENT_TEXT), id="at-both-limits"),
    ],
)  # fmt: skip
def test_words_the_core_accepts(title: str, text: str, expected: tuple[str, str]) -> None:
    assert announcing.check_words(title, text) == expected


@pytest.mark.parametrize(
    ("title", "text", "rule", "message"),
    [
        pytest.param("空", "   ", announcing.TEXT_EMPTY, "is empty", id="empty"),
        pytest.param("长", "字" * (MAX_ANNOUNCEMENT_TEXT + 1), announcing.TEXT_LENGTH,
                     "at most 2000", id="text-too-long"),
        pytest.param("题" * (MAX_TITLE + 1), "今天停水。", announcing.TITLE_LENGTH, "at most 100",
                     id="title-too-long"),
    ],
)  # fmt: skip
def test_bad_announcements_are_refused_before_any_speech(
    ingest: Ingest, store: Store, title: str, text: str, rule: str, message: str
) -> None:
    with pytest.raises(EditError, match=message) as refused:
        announcing.create(ingest, title, text, "王五")
    assert refused.value.rule == rule
    assert announcement_table.list_announcements(store) == []
    assert store.query("SELECT * FROM media") == []  # nothing was spoken
    assert audit.rows(store) == []


def test_create_and_edit_are_audited_and_an_edit_goes_back_to_draft(
    ingest: Ingest, store: Store
) -> None:
    notice = announcing.create(ingest, "停水", "今天停水。", "王五", review=Review.APPROVED)
    announcing.edit(ingest, notice, "停水", "明天停水。", "李四")
    changed = announcement_table.get_announcement(store, notice)
    assert (changed.text, changed.review, changed.changed_by) == (
        "明天停水。",
        Review.DRAFT,
        "李四",
    )
    rows = sorted(audit.rows(store), key=lambda row: row.id)
    assert [(r.username, r.action, r.subject, r.subject_id, r.detail) for r in rows] == [
        ("王五", announcing.CREATE, review.ANNOUNCEMENT, notice, "停水"),
        ("李四", announcing.EDIT, review.ANNOUNCEMENT, notice, "停水"),
    ]


def test_an_edit_refused_changes_nothing(ingest: Ingest, store: Store) -> None:
    notice = announcing.create(ingest, "停水", "今天停水。", "王五")
    with pytest.raises(EditError):
        announcing.edit(ingest, notice, "题" * (MAX_TITLE + 1), "明天停水。", "李四")
    assert announcement_table.get_announcement(store, notice).text == "今天停水。"
    assert [row.action for row in audit.rows(store)] == [announcing.CREATE]
