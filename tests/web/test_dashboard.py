"""The dashboard tells an author what reviewers decided on what they sent for review."""

from __future__ import annotations

import datetime as dt

from flask.testing import FlaskClient

from playlists.content import review
from playlists.content.review import ANNOUNCEMENT
from playlists.model import Review
from playlists.settings import Settings
from playlists.store import Store
from tests.web_fixtures import NOW, add_fake_announcement, client_for, make_app

NASTY = '<script>alert(1)</script> & "改"'


def dashboard(client: FlaskClient) -> str:
    response = client.get("/")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_author_sees_each_decision_with_the_reviewers_note(
    settings: Settings, store: Store
) -> None:
    approved = add_fake_announcement(store, "停水通知", review=Review.DRAFT, by="op")
    sent_back = add_fake_announcement(store, "防火通知", review=Review.DRAFT, by="op")
    for notice in (approved, sent_back):
        review.submit(store, ANNOUNCEMENT, notice, "op", NOW - dt.timedelta(hours=2))
    review.approve(store, ANNOUNCEMENT, approved, "rev", NOW - dt.timedelta(hours=1))
    review.reject(store, ANNOUNCEMENT, sent_back, "rev", NASTY, NOW - dt.timedelta(minutes=30))
    app = make_app(settings, store)
    html = dashboard(client_for(app, store, "op", "operator"))
    news = html.split('id="review-news"')[1].split("</section>")[0]
    assert "审核结果" in news
    assert "审核通过：通知“停水通知”。" in news and "退回修改：通知“防火通知”。" in news
    assert news.index("防火通知") < news.index("停水通知")  # newest first
    assert "审核人：rev，03-28 10:30" in news  # station time
    assert "审核意见：&lt;script&gt;alert(1)&lt;/script&gt; &amp; &#34;改&#34;" in news
    assert f'href="/announcements#announcement-{sent_back}"' in news
    assert "在这里显示 3 天" in news


def test_others_and_later_days_see_no_review_news(settings: Settings, store: Store) -> None:
    notice = add_fake_announcement(store, "停水通知", review=Review.DRAFT, by="op")
    review.submit(store, ANNOUNCEMENT, notice, "op", NOW - dt.timedelta(hours=2))
    review.approve(store, ANNOUNCEMENT, notice, "rev", NOW - dt.timedelta(hours=1))
    assert 'id="review-news"' not in dashboard(
        client_for(make_app(settings, store), store, "rev", "reviewer")
    )
    later = make_app(settings, store, now=NOW + dt.timedelta(days=4))
    assert 'id="review-news"' not in dashboard(client_for(later, store, "op", "operator"))
