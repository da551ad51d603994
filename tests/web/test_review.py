"""Review in the panel: drafts on the announcements page, the queue, approve and send back."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from markupsafe import escape

from playlists.content import announcement_table, playlist_table, review
from playlists.content.playlist_table import NewItem
from playlists.model import ItemKind, Review
from playlists.record import audit
from playlists.settings import ReviewSettings, Settings
from playlists.store import Store
from tests.web_fixtures import (
    FAKE_SHA,
    NOW,
    add_fake_announcement,
    client_for,
    commands_in,
    csrf_of,
    make_app,
)

HOSTILE = "<script>alert('x')</script>\"引号\""


@pytest.fixture
def operator(app: Flask, store: Store) -> FlaskClient:
    return client_for(app, store, "op", "operator")


@pytest.fixture
def reviewer(app: Flask, store: Store) -> FlaskClient:
    return client_for(app, store, "rev", "reviewer")


def content_audit(store: Store) -> list[audit.AuditRow]:
    """The audit rows about content, without the log-ins of the test's users."""
    return [row for row in audit.rows(store) if row.action not in ("login", "logout")]


def post(client: FlaskClient, path: str, **form: str) -> str:
    data = {**form, "csrf_token": csrf_of(client.get("/announcements"))}
    response = client.post(path, data=data, follow_redirects=True)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


def test_written_announcements_wait_for_review_before_they_can_air(
    operator: FlaskClient, reviewer: FlaskClient, store: Store
) -> None:
    html = post(operator, "/announcements", title="停水", text="明天上午停水。")
    assert "请先试听，然后提交审核" in html
    (notice,) = announcement_table.list_announcements(store)
    assert notice.review is Review.DRAFT
    assert 'action="/commands/play"' not in html  # no "play now" for a draft
    data = {"announcement_id": str(notice.id), "csrf_token": csrf_of(html)}
    assert operator.post("/commands/play", data=data).status_code == 409
    assert commands_in(store) == []

    html = post(operator, f"/announcements/{notice.id}/submit")
    assert "已提交审核" in html and "等待审核" in html
    queue = reviewer.get("/review").get_data(as_text=True)
    assert "明天上午停水。" in queue and f'src="/media/{notice.media_sha256}.wav"' in queue
    html = post(reviewer, f"/review/announcement/{notice.id}/approve")
    assert "已审核通过" in html and "没有待审核的内容" in html
    page = operator.get("/announcements").get_data(as_text=True)
    assert 'action="/commands/play"' in page and "rev 审核通过" in page


def test_sent_back_content_shows_the_comment_to_its_author(
    operator: FlaskClient, reviewer: FlaskClient, store: Store
) -> None:
    notice = add_fake_announcement(store, "停水", review=Review.PENDING)
    html = post(reviewer, f"/review/announcement/{notice}/reject", comment="时间写错了")
    assert "已连同您的意见退回给作者" in html
    page = operator.get("/announcements").get_data(as_text=True)
    assert "rev 退回意见：" in page and "时间写错了" in page and "提交审核" in page
    assert [(r.username, r.action) for r in content_audit(store)] == [("rev", "reject")]


@pytest.mark.parametrize(
    ("start", "path", "form", "message"),
    [
        pytest.param(
            Review.PENDING, "reject", {"comment": " "}, "退回必须填写意见", id="no-comment"
        ),
        pytest.param(Review.PENDING, "reject", {"comment": "长" * 501}, "最多 500", id="long"),
        pytest.param(Review.DRAFT, "approve", {}, "不在待审状态", id="not-submitted"),
        pytest.param(Review.APPROVED, "reject", {"comment": "x"}, "不在待审状态", id="approved"),
        pytest.param(Review.PENDING, "approve", {}, "须由另一位审核员", id="own-change"),
    ],
)
def test_review_steps_that_do_not_apply_change_nothing(
    reviewer: FlaskClient,
    store: Store,
    start: Review,
    path: str,
    form: dict[str, str],
    message: str,
) -> None:
    notice = add_fake_announcement(store, "停水", review=start, by="rev")
    html = post(reviewer, f"/review/announcement/{notice}/{path}", **form)
    assert message in html
    assert announcement_table.get_announcement(store, notice).review is start
    assert content_audit(store) == []


def test_a_one_person_village_may_approve_its_own_content(settings: Settings, store: Store) -> None:
    import dataclasses

    own = dataclasses.replace(settings, review=ReviewSettings(self_approval=True))
    chief = client_for(make_app(own, store), store, "chief", "admin")
    notice = add_fake_announcement(store, "停水", review=Review.PENDING, by="chief")
    assert "本站允许审核员审核自己修改的内容" in chief.get("/review").get_data(as_text=True)
    post(chief, f"/review/announcement/{notice}/approve")
    assert announcement_table.get_announcement(store, notice).review is Review.APPROVED


def test_editing_approved_text_takes_it_off_air_until_approved_again(
    operator: FlaskClient, store: Store
) -> None:
    post(operator, "/announcements", title="停水", text="明天上午停水。")
    (notice,) = announcement_table.list_announcements(store)
    review.submit(store, review.ANNOUNCEMENT, notice.id, "op", notice.created_at)
    review.approve(store, review.ANNOUNCEMENT, notice.id, "rev", notice.created_at)
    html = post(operator, f"/announcements/{notice.id}/edit", title="停水", text="后天上午停水。")
    assert "已修改。请重新提交审核" in html
    changed = announcement_table.get_announcement(store, notice.id)
    assert (changed.text, changed.review) == ("后天上午停水。", Review.DRAFT)
    assert changed.media_sha256 != notice.media_sha256  # new speech for the new words
    assert [r.action for r in content_audit(store)][:1] == ["edit"]


@pytest.mark.parametrize(
    ("form", "message"),
    [
        pytest.param({"title": "x", "text": " "}, "请先填写要广播的内容", id="empty"),
        pytest.param({"title": "x", "text": "字" * 2001}, "最多", id="too-long"),
    ],
)
def test_bad_edits_change_nothing(
    operator: FlaskClient, store: Store, form: dict[str, str], message: str
) -> None:
    notice = add_fake_announcement(store, "停水")
    html = post(operator, f"/announcements/{notice}/edit", **form)
    assert message in html
    assert announcement_table.get_announcement(store, notice).review is Review.APPROVED


def test_notice_text_is_escaped_in_the_queue_and_on_the_announcements_page(
    operator: FlaskClient, reviewer: FlaskClient, store: Store
) -> None:
    add_fake_announcement(store, HOSTILE, text=HOSTILE, review=Review.PENDING)
    sent_back = add_fake_announcement(store, "退回", review=Review.PENDING)
    review.reject(store, review.ANNOUNCEMENT, sent_back, "rev", HOSTILE, NOW)
    for client, path in ((reviewer, "/review"), (operator, "/announcements")):
        html = client.get(path).get_data(as_text=True)
        assert "<script>alert" not in html, path
        assert str(escape(HOSTILE)) in html, path


def test_unknown_subjects_and_ids_are_not_found(reviewer: FlaskClient) -> None:
    token = csrf_of(reviewer.get("/review"))
    for path in ("/review/user/1/approve", "/review/announcement/99/approve"):
        assert reviewer.post(path, data={"csrf_token": token}).status_code == 404


# -- one decision for a playlist and its notices --------------------------------------


def pending_playlist(store: Store, name: str, *notices: int) -> int:
    items = [
        NewItem(ItemKind.ANNOUNCEMENT, 3.0, announcement_id=n, media_sha256=FAKE_SHA)
        for n in notices
    ]
    return playlist_table.add_playlist(
        store, name, "", items, NOW, review=Review.PENDING, created_by="op"
    )


def test_one_approval_takes_a_playlist_with_its_notices(
    reviewer: FlaskClient, store: Store
) -> None:
    water = add_fake_announcement(store, "停水", "明天上午停水。", review=Review.PENDING)
    fire = add_fake_announcement(store, "防火", "山上禁止用火。", review=Review.PENDING)
    campaign = pending_playlist(store, "宣传", water, fire)

    queue = reviewer.get("/review").get_data(as_text=True)
    # Each notice is still listed, to hear and read, and says the playlist takes it along.
    for notice in (water, fire):
        assert f'id="review-announcement-{notice}"' in queue
    assert "明天上午停水。" in queue and "山上禁止用火。" in queue
    assert f'src="/media/{FAKE_SHA}.wav"' in queue
    assert "它在待审核的节目单“宣传”中：通过该节目单，也会一并通过这条通知。" in queue
    assert "通过这个节目单，也会一并通过其中待审核的通知：“停水”、“防火”。" in queue

    html = post(reviewer, f"/review/playlist/{campaign}/approve")

    assert "已通过“宣传”及其中的通知：“停水”、“防火”。现在可以安排播出了。" in html
    assert "没有待审核的内容" in html
    assert review.playlist_unplayable(store, campaign) is None
    assert [(r.action, r.subject, r.detail) for r in reversed(content_audit(store))] == [
        ("approve", "announcement", "停水"),
        ("approve", "announcement", "防火"),
        ("approve", "playlist", "宣传"),
    ]


def test_approving_a_notice_of_a_pending_playlist_says_what_still_waits(
    reviewer: FlaskClient, store: Store
) -> None:
    notice = add_fake_announcement(store, "停水", review=Review.PENDING)
    pending_playlist(store, "宣传", notice)
    html = post(reviewer, f"/review/announcement/{notice}/approve")
    assert "现在可以安排播出" not in html
    assert "已通过，现在可以单独播放。它所在的节目单“宣传”尚未审核通过" in html


def test_a_notice_the_reviewer_wrote_stops_the_playlists_approval(
    reviewer: FlaskClient, store: Store
) -> None:
    own = add_fake_announcement(store, "停水", review=Review.PENDING, by="rev")
    campaign = pending_playlist(store, "宣传", own)
    html = post(reviewer, f"/review/playlist/{campaign}/approve")
    assert "“停水”" in html and "须由另一位审核员" in html
    assert review.state(store, review.PLAYLIST, campaign).review is Review.PENDING
    assert review.state(store, review.ANNOUNCEMENT, own).review is Review.PENDING
    assert content_audit(store) == []
