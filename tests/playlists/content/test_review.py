"""Review before broadcast: drafts, the queue, approval, rejection, and what may air."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest

from playlists.content import announcement_table, media_table, playlist_table, review
from playlists.content.review import ANNOUNCEMENT, PLAYLIST
from playlists.errors import ContentError, ReviewError
from playlists.model import ItemKind, Priority, Review, Slide
from playlists.plan import day_range, station_plan
from playlists.record import audit
from playlists.schedule import entry_table
from playlists.settings import Settings
from playlists.store import Store

NOW = dt.datetime(2023, 3, 27, 9, 0, tzinfo=dt.UTC)
SHA = "0" * 64
DAY = dt.date(2023, 3, 28)


def announcement(store: Store, title: str, state: Review = Review.DRAFT, by: str = "op") -> int:
    media_table.add_media(store, media_table.MediaRecord(SHA, "audio", "x.wav", 3.0, 10), NOW)
    return announcement_table.add_announcement(
        store, title, "今天停水。", SHA, by, NOW, review=state
    )


def playlist(
    store: Store, name: str, announcement_id: int | None, state: Review = Review.DRAFT
) -> int:
    item = (
        playlist_table.NewItem(
            ItemKind.ANNOUNCEMENT, 3.0, announcement_id=announcement_id, media_sha256=SHA
        )
        if announcement_id is not None
        else playlist_table.NewItem(ItemKind.PAUSE, 3.0)
    )
    return playlist_table.add_playlist(store, name, "", [item], NOW, review=state, created_by="op")


def states(store: Store) -> list[tuple[str, str, str]]:
    rows = store.query(
        "SELECT 'announcement' AS s, title AS label, review FROM announcements UNION ALL "
        "SELECT 'playlist', name, review FROM playlists ORDER BY 1, 2"
    )
    return [(r["s"], r["label"], r["review"]) for r in rows]


def test_draft_is_submitted_approved_and_audited(store: Store) -> None:
    notice = announcement(store, "停水")
    review.submit(store, ANNOUNCEMENT, notice, "op", NOW)
    assert [s.label for s in review.queue(store)] == ["停水"]
    review.approve(store, ANNOUNCEMENT, notice, "rev", NOW)
    approved = review.state(store, ANNOUNCEMENT, notice)
    assert approved.review is Review.APPROVED and approved.reviewed_by == "rev"
    assert review.queue(store) == []
    assert [(r.username, r.action, r.detail) for r in reversed(audit.rows(store))] == [
        ("op", "submit", "停水"),
        ("rev", "approve", "停水"),
    ]


def test_rejection_carries_the_comment_back_to_the_author(store: Store) -> None:
    notice = announcement(store, "停水")
    review.submit(store, ANNOUNCEMENT, notice, "op", NOW)
    review.reject(store, ANNOUNCEMENT, notice, "rev", "  时间写错了，应为下午三点。 ", NOW)
    rejected = announcement_table.get_announcement(store, notice)
    assert rejected.review is Review.REJECTED
    assert rejected.review_comment == "时间写错了，应为下午三点。"
    review.submit(store, ANNOUNCEMENT, notice, "op", NOW)  # reworked and sent again
    assert review.state(store, ANNOUNCEMENT, notice).comment == ""


@pytest.mark.parametrize(
    ("start", "step", "message"),
    [
        pytest.param(Review.DRAFT, "approve", "not waiting for review", id="approve-draft"),
        pytest.param(Review.APPROVED, "approve", "not waiting for review", id="approve-twice"),
        pytest.param(Review.REJECTED, "reject", "not waiting for review", id="reject-rejected"),
        pytest.param(Review.PENDING, "submit", "not a draft", id="submit-twice"),
        pytest.param(Review.APPROVED, "submit", "not a draft", id="submit-approved"),
        pytest.param(
            Review.PENDING, "reject-empty", "needs a comment", id="reject-without-comment"
        ),
        pytest.param(Review.PENDING, "reject-long", "at most 500", id="reject-long-comment"),
        pytest.param(Review.PENDING, "self-approve", "another reviewer", id="self-approval-off"),
    ],
)
def test_steps_that_do_not_apply_are_refused_and_change_nothing(
    store: Store, start: Review, step: str, message: str
) -> None:
    notice = announcement(store, "停水", start)
    before = states(store)
    with pytest.raises(ReviewError, match=message):
        if step == "approve":
            review.approve(store, ANNOUNCEMENT, notice, "rev", NOW)
        elif step == "submit":
            review.submit(store, ANNOUNCEMENT, notice, "op", NOW)
        elif step == "reject":
            review.reject(store, ANNOUNCEMENT, notice, "rev", "不行", NOW)
        elif step == "reject-empty":
            review.reject(store, ANNOUNCEMENT, notice, "rev", "  ", NOW)
        elif step == "reject-long":
            review.reject(store, ANNOUNCEMENT, notice, "rev", "长" * 501, NOW)
        else:
            review.approve(store, ANNOUNCEMENT, notice, "op", NOW)
    assert states(store) == before
    assert audit.rows(store) == []


def test_self_approval_is_a_switch_for_one_person_villages(store: Store) -> None:
    notice = announcement(store, "停水", Review.PENDING, by="chief")
    review.approve(store, ANNOUNCEMENT, notice, "chief", NOW, self_approval=True)
    assert review.state(store, ANNOUNCEMENT, notice).review is Review.APPROVED


def test_a_playlist_is_reviewed_after_its_announcements(store: Store) -> None:
    notice = announcement(store, "停水")
    campaign = playlist(store, "宣传", notice)
    with pytest.raises(ReviewError, match="send its announcements for review first: “停水”"):
        review.submit(store, PLAYLIST, campaign, "op", NOW)
    review.submit(store, ANNOUNCEMENT, notice, "op", NOW)
    review.submit(store, PLAYLIST, campaign, "op", NOW)
    review.approve(store, ANNOUNCEMENT, notice, "rev", NOW)  # one at a time still works
    assert review.approve(store, PLAYLIST, campaign, "rev", NOW) == []  # nothing came along
    assert review.playlist_unplayable(store, campaign) is None


def playlist_of(store: Store, name: str, *notices: int) -> int:
    items = [
        playlist_table.NewItem(ItemKind.ANNOUNCEMENT, 3.0, announcement_id=n, media_sha256=SHA)
        for n in notices
    ]
    return playlist_table.add_playlist(
        store, name, "", items, NOW, review=Review.PENDING, created_by="op"
    )


def test_approving_a_playlist_approves_its_pending_announcements_in_one_step(
    store: Store,
) -> None:
    water = announcement(store, "停水", Review.PENDING)
    fire = announcement(store, "防火", Review.PENDING)
    done = announcement(store, "通知", Review.APPROVED)
    campaign = playlist_of(store, "宣传", water, fire, done, water)

    along = review.approve(store, PLAYLIST, campaign, "rev", NOW)

    assert [a.label for a in along] == ["停水", "防火"]  # each once, the approved one not again
    assert review.playlist_unplayable(store, campaign) is None
    assert review.queue(store) == []
    for notice in (water, fire):
        approved = review.state(store, ANNOUNCEMENT, notice)
        assert (approved.review, approved.reviewed_by) == (Review.APPROVED, "rev")
    assert [(r.action, r.subject, r.detail) for r in reversed(audit.rows(store))] == [
        ("approve", "announcement", "停水"),
        ("approve", "announcement", "防火"),
        ("approve", "playlist", "宣传"),
    ]


REFUSED_TOGETHER = [
    pytest.param("rev", Review.PENDING, "another reviewer", "own-change", id="own-notice"),
    pytest.param("op", Review.REJECTED, "send its announcements", "submit-items-first",
                 id="rejected-notice"),
    pytest.param("op", Review.DRAFT, "send its announcements", "submit-items-first",
                 id="notice-back-to-draft"),
]  # fmt: skip


@pytest.mark.parametrize(("author", "second_state", "message", "code"), REFUSED_TOGETHER)
def test_one_notice_that_may_not_be_approved_stops_the_whole_decision(
    store: Store, author: str, second_state: Review, message: str, code: str
) -> None:
    first = announcement(store, "停水", Review.PENDING)
    second = announcement(store, "防火", second_state, by=author)
    campaign = playlist_of(store, "宣传", first, second)
    before = states(store)
    with pytest.raises(ReviewError, match=message) as refused:
        review.approve(store, PLAYLIST, campaign, "rev", NOW)
    assert (refused.value.code, refused.value.names) == (code, ("防火",))
    assert states(store) == before  # not even the first notice
    assert audit.rows(store) == []


def test_a_notice_knows_the_playlists_still_waiting_for_it(store: Store) -> None:
    notice = announcement(store, "停水", Review.PENDING)
    playlist_of(store, "宣传", notice)
    other = announcement(store, "防火", Review.APPROVED)
    playlist(store, "已通过", other, Review.APPROVED)
    playlist(store, "草稿", notice, Review.DRAFT)
    assert [p.label for p in review.unapproved_playlists(store, notice)] == ["宣传", "草稿"]
    assert review.unapproved_playlists(store, other) == []


@pytest.mark.parametrize(
    ("playlist_state", "announcement_state", "reason", "schedulable"),
    [
        pytest.param(Review.APPROVED, Review.APPROVED, None, True, id="both-approved"),
        pytest.param(
            Review.DRAFT, Review.APPROVED, "is not approved (draft)", False, id="playlist-draft"
        ),
        pytest.param(
            Review.PENDING, Review.APPROVED, "is not approved (pending)", True,
            id="playlist-pending",
        ),
        pytest.param(
            Review.PENDING, Review.PENDING, "is not approved (pending)", True,
            id="both-pending",
        ),
        pytest.param(
            Review.APPROVED, Review.PENDING, "not approved: “停水”", True, id="notice-pending"
        ),
        pytest.param(
            Review.APPROVED, Review.DRAFT, "not approved: “停水”", False, id="edited-notice"
        ),
        pytest.param(
            Review.APPROVED, Review.REJECTED, "not approved: “停水”", False, id="rejected-notice"
        ),
    ],
)  # fmt: skip
def test_content_awaiting_review_is_scheduled_but_held_until_approved(
    store: Store,
    settings: Settings,
    playlist_state: Review,
    announcement_state: Review,
    reason: str | None,
    schedulable: bool,
) -> None:
    notice = announcement(store, "停水", announcement_state)
    campaign = playlist(store, "宣传", notice, playlist_state)
    unplayable = review.playlist_unplayable(store, campaign)
    assert (unplayable is None) is (reason is None)
    assert reason is None or (unplayable is not None and reason in unplayable)
    times = (dt.time(8, 0),)
    if schedulable:
        entry_table.add_schedule(
            store, campaign, DAY, DAY, times, frozenset(range(7)), Priority.SCHEDULED, NOW
        )
    else:
        with pytest.raises(ContentError, match="approved or awaiting review can be scheduled"):
            entry_table.add_schedule(
                store, campaign, DAY, DAY, times, frozenset(range(7)), Priority.SCHEDULED, NOW
            )
        assert entry_table.schedule_entries(store) == []
        # What an import brings is reviewed with it: held in the plan until approved.
        entry_table.add_schedule(
            store, campaign, DAY, DAY, times, frozenset(range(7)), Priority.SCHEDULED, NOW,
            with_content=True,
        )  # fmt: skip
    (planned,) = station_plan(store, settings, *day_range(DAY, DAY, settings.tz))
    assert planned.unapproved is (reason is not None)
    assert planned.held is (reason is not None)
    listed = {
        row["name"]: (bool(row["playable"]), bool(row["schedulable"]))
        for row in playlist_table.list_playlists(store)
    }
    assert listed == {"宣传": (reason is None, schedulable)}


def test_changing_approved_content_sends_it_back_to_draft(store: Store) -> None:
    notice = announcement(store, "停水", Review.APPROVED)
    review.mark_changed(store, ANNOUNCEMENT, notice, "op2", NOW)
    changed = announcement_table.get_announcement(store, notice)
    assert (changed.review, changed.reviewed_by, changed.changed_by) == (Review.DRAFT, None, "op2")


def test_the_comment_stays_while_the_author_works_on_it(store: Store) -> None:
    notice = announcement(store, "停水", Review.PENDING)
    review.reject(store, ANNOUNCEMENT, notice, "rev", "时间写错了", NOW)
    review.mark_changed(store, ANNOUNCEMENT, notice, "op", NOW)  # a first fix
    changed = review.state(store, ANNOUNCEMENT, notice)
    assert (changed.review, changed.comment, changed.reviewed_by) == (
        Review.DRAFT,
        "时间写错了",
        "rev",
    )
    review.submit(store, ANNOUNCEMENT, notice, "op", NOW)
    assert review.state(store, ANNOUNCEMENT, notice).comment == ""


def test_an_empty_playlist_is_never_submitted_nor_played(store: Store) -> None:
    campaign = playlist(store, "宣传", None, Review.APPROVED)
    store.query("DELETE FROM playlist_items")
    store.conn.commit()
    assert review.playlist_unplayable(store, campaign) == "playlist “宣传” has no items"
    assert [bool(row["playable"]) for row in playlist_table.list_playlists(store)] == [False]
    review.mark_changed(store, PLAYLIST, campaign, "op", NOW)
    with pytest.raises(ReviewError, match="has no items yet") as refused:
        review.submit(store, PLAYLIST, campaign, "op", NOW)
    assert refused.value.code == review.EMPTY


def test_screens_show_an_edited_announcements_new_words(store: Store) -> None:
    notice = announcement(store, "停水", Review.APPROVED)
    own = playlist_table.NewItem(
        ItemKind.ANNOUNCEMENT, 3.0, slide=Slide("停水", "今天停水。"),
        announcement_id=notice, media_sha256=SHA,
    )  # fmt: skip
    custom = dataclasses.replace(own, slide=Slide("通知", "请留意"))
    campaign = playlist_table.add_playlist(
        store, "宣传", "", [own, custom], NOW, review=Review.APPROVED, created_by="op"
    )
    announcement_table.update_announcement(store, notice, "停水", "明天停水。", SHA, "op", NOW)
    slides = [item.slide for item in playlist_table.get_playlist(store, campaign, Path("m")).items]
    assert slides == [Slide("停水", "明天停水。"), Slide("通知", "请留意")]


def test_unknown_content_is_not_found(store: Store) -> None:
    from playlists.errors import NotFoundError

    with pytest.raises(NotFoundError):
        review.submit(store, PLAYLIST, 99, "op", NOW)
    with pytest.raises(ValueError, match="no review"):
        review.state(store, "user", 1)
