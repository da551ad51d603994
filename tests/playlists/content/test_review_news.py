"""Review news: the decisions on what a user sent for review, from the audit log."""

from __future__ import annotations

import datetime as dt

import pytest

from playlists.content import review
from playlists.content.review import ANNOUNCEMENT, PLAYLIST
from playlists.content.review_news import NEWS_DAYS, ReviewNews, review_news
from playlists.model import Review
from playlists.store import Store
from tests.playlists.content.test_review import announcement, playlist

NOW = dt.datetime(2023, 3, 27, 9, 0, tzinfo=dt.UTC)
LATER = NOW + dt.timedelta(hours=2)


def sent_in(store: Store, title: str = "停水", by: str = "op") -> int:
    notice = announcement(store, title, Review.DRAFT, by=by)
    review.submit(store, ANNOUNCEMENT, notice, by, NOW)
    return notice


def test_the_author_hears_of_an_approval_and_of_a_rejection_with_its_note(store: Store) -> None:
    approved = sent_in(store, "停水")
    sent_back = sent_in(store, "防火: 注意")  # a colon in the title: the note is still found
    review.approve(store, ANNOUNCEMENT, approved, "rev", NOW + dt.timedelta(minutes=5))
    rejected_at = NOW + dt.timedelta(minutes=9)
    review.reject(store, ANNOUNCEMENT, sent_back, "rev", "时间写错了", rejected_at)
    assert review_news(store, "op", LATER) == [
        ReviewNews(rejected_at, ANNOUNCEMENT, sent_back, "防火: 注意", False,
                   "rev", "时间写错了"),
        ReviewNews(NOW + dt.timedelta(minutes=5), ANNOUNCEMENT, approved, "停水", True, "rev", ""),
    ]  # fmt: skip


def test_a_playlist_approved_with_its_notices_is_news_for_each(store: Store) -> None:
    notice = sent_in(store)
    campaign = playlist(store, "宣传", notice, Review.DRAFT)
    review.submit(store, PLAYLIST, campaign, "op", NOW)
    review.approve(store, PLAYLIST, campaign, "rev", NOW)
    news = review_news(store, "op", LATER)
    assert [(n.subject, n.label, n.approved) for n in news] == [
        (PLAYLIST, "宣传", True),
        (ANNOUNCEMENT, "停水", True),
    ]


@pytest.mark.parametrize(
    ("reader", "decided_by", "now", "told"),
    [
        pytest.param("op", "rev", LATER, True, id="the-author"),
        pytest.param("op2", "rev", LATER, False, id="someone-else"),
        pytest.param("rev", "rev", LATER, False, id="the-reviewer"),
        pytest.param("op", "op", LATER, False, id="own-decision-self-approval"),
        pytest.param("op", "rev", NOW + dt.timedelta(days=NEWS_DAYS, minutes=1), False,
                     id="after-the-news-days"),
        pytest.param("op", "rev", NOW + dt.timedelta(days=NEWS_DAYS), True,
                     id="on-the-last-moment"),
    ],
)  # fmt: skip
def test_only_the_author_is_told_and_only_for_a_few_days(
    store: Store, reader: str, decided_by: str, now: dt.datetime, told: bool
) -> None:
    notice = sent_in(store)
    review.approve(store, ANNOUNCEMENT, notice, decided_by, NOW, self_approval=True)
    assert bool(review_news(store, reader, now)) is told


def test_the_last_submission_names_the_author(store: Store) -> None:
    notice = sent_in(store, by="op")
    review.reject(store, ANNOUNCEMENT, notice, "rev", "再改改", NOW)
    review.mark_changed(store, ANNOUNCEMENT, notice, "op2", NOW)
    review.submit(store, ANNOUNCEMENT, notice, "op2", NOW)  # op2 took it over
    review.approve(store, ANNOUNCEMENT, notice, "rev", LATER)
    assert [n.approved for n in review_news(store, "op", LATER)] == [False]
    assert [n.approved for n in review_news(store, "op2", LATER)] == [True]


def test_nothing_sent_in_is_no_news(store: Store) -> None:
    announcement(store, "停水", Review.APPROVED)
    assert review_news(store, "op", LATER) == []
