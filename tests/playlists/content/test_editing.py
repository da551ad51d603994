"""Building playlists by hand: the rules each change keeps, all or nothing, and audited."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from playlists.content import announcement_table, editing, media_table, playlist_table, review
from playlists.content.playlist_contents import items_of
from playlists.errors import EditError, NotFoundError, ReviewError
from playlists.model import ItemKind, Priority, Review, Slide
from playlists.record import audit
from playlists.schedule import entry_table
from playlists.store import Store

NOW = dt.datetime(2023, 3, 27, 9, 0, tzinfo=dt.UTC)
LATER = NOW + dt.timedelta(hours=1)
AUDIO_SHA = "a" * 64
IMAGE_SHA = "b" * 64
VOICE_SHA = "c" * 64


def add_media(store: Store) -> None:
    for record in (
        media_table.MediaRecord(AUDIO_SHA, "audio", "aa/a.wav", 12.5, 10, "recording", "锣鼓.mp3"),
        media_table.MediaRecord(IMAGE_SHA, "image", "bb/b.png", None, 10),
        media_table.MediaRecord(VOICE_SHA, "audio", "cc/c.wav", 4.0, 10, "espeak-ng"),
    ):
        media_table.add_media(store, record, NOW)


def add_announcement(store: Store, state: Review = Review.APPROVED, title: str = "停水") -> int:
    add_media(store)
    return announcement_table.add_announcement(
        store, title, "今天下午停水。", VOICE_SHA, "op", NOW, review=state
    )


def new_playlist(store: Store, pauses: int = 0, name: str = "午间节目") -> int:
    playlist_id = editing.create_playlist(store, name, "说明", "op", NOW)
    for number in range(1, pauses + 1):
        editing.add_item(store, playlist_id, ItemKind.PAUSE, "op", NOW, seconds=float(number))
    return playlist_id


def order(store: Store, playlist_id: int) -> list[tuple[int, float]]:
    """Return (position, seconds) of every item; the pauses' lengths tell them apart."""
    return [(item.position, item.duration) for item in items_of(store, playlist_id)]


def snapshot(store: Store) -> tuple[object, ...]:
    """Everything a refused change must leave as it was."""
    return (
        [tuple(r) for r in store.query("SELECT * FROM playlists ORDER BY id")],
        [tuple(r) for r in store.query("SELECT * FROM playlist_items ORDER BY id")],
        audit.count(store),
    )


def approve(store: Store, playlist_id: int) -> None:
    review.submit(store, review.PLAYLIST, playlist_id, "op", NOW)
    review.approve(store, review.PLAYLIST, playlist_id, "rev", NOW)


# -- creating and describing -----------------------------------------------------------


def test_new_playlist_is_an_empty_draft_and_audited(store: Store) -> None:
    playlist_id = editing.create_playlist(store, "  午间节目 ", " 说明 ", "op", NOW)
    [row] = playlist_table.list_playlists(store)
    assert (row["id"], row["name"], row["description"]) == (playlist_id, "午间节目", "说明")
    assert (row["review"], row["items"], row["playable"]) == ("draft", 0, 0)
    [entry] = audit.rows(store)
    assert (entry.username, entry.action, entry.subject_id, entry.detail) == (
        "op",
        "create",
        playlist_id,
        "午间节目",
    )


@pytest.mark.parametrize(
    ("name", "description", "rule"),
    [
        pytest.param("", "", "name-empty", id="no-name"),
        pytest.param("   ", "", "name-empty", id="blank-name"),
        pytest.param("名" * 101, "", "name-length", id="name-101"),
        pytest.param("新节目", "字" * 501, "description-length", id="description-501"),
        pytest.param("午间节目", "", "name-taken", id="name-taken"),
        pytest.param(" 午间节目 ", "", "name-taken", id="name-taken-with-spaces"),
    ],
)
def test_bad_details_are_refused_and_change_nothing(
    store: Store, name: str, description: str, rule: str
) -> None:
    new_playlist(store)
    before = snapshot(store)
    with pytest.raises(EditError) as refused:
        editing.create_playlist(store, name, description, "op", NOW)
    assert refused.value.rule == rule
    assert snapshot(store) == before


@pytest.mark.parametrize(
    ("name", "description"),
    [
        pytest.param("名" * 100, "", id="name-100"),
        pytest.param("短", "字" * 500, id="description-500"),
    ],
)
def test_details_at_their_limits_are_accepted(store: Store, name: str, description: str) -> None:
    playlist_id = editing.create_playlist(store, name, description, "op", NOW)
    assert review.state(store, review.PLAYLIST, playlist_id).label == name


def test_renaming_to_another_playlists_name_is_refused(store: Store) -> None:
    new_playlist(store, name="早间")
    evening = new_playlist(store, name="晚间")
    before = snapshot(store)
    with pytest.raises(EditError, match="already exists"):
        editing.update_playlist(store, evening, "早间", "", "op", LATER)
    assert snapshot(store) == before
    assert editing.update_playlist(store, evening, "晚间节目", "新说明", "op", LATER)
    assert audit.rows(store)[0].detail == "晚间 → 晚间节目"


# -- adding items ---------------------------------------------------------------------


def test_each_kind_of_item_is_appended_with_its_length(store: Store) -> None:
    notice = add_announcement(store)
    playlist_id = new_playlist(store)
    editing.add_item(
        store, playlist_id, ItemKind.ANNOUNCEMENT, "op", NOW, announcement_id=notice, repeat=2
    )
    editing.add_item(
        store, playlist_id, ItemKind.AUDIO, "op", NOW, media_sha256=AUDIO_SHA,
        slide=Slide(" 锣鼓 ", ""),
    )  # fmt: skip
    editing.add_item(
        store, playlist_id, ItemKind.IMAGE, "op", NOW, media_sha256=IMAGE_SHA, seconds=10
    )
    editing.add_item(store, playlist_id, ItemKind.PAUSE, "op", NOW, seconds=0.5)
    items = items_of(store, playlist_id)
    assert [(i.position, i.kind, i.duration, i.repeat) for i in items] == [
        (1, ItemKind.ANNOUNCEMENT, 4.0, 2),
        (2, ItemKind.AUDIO, 12.5, 1),
        (3, ItemKind.IMAGE, 10.0, 1),
        (4, ItemKind.PAUSE, 0.5, 1),
    ]
    # An announcement without its own slide shows its title and text, as on "play now".
    assert items[0].slide == Slide("停水", "今天下午停水。") and items[0].own_slide
    assert items[1].slide == Slide("锣鼓", "") and items[1].file_name == "锣鼓.mp3"
    [summary] = playlist_table.list_playlists(store)
    assert summary["duration"] == pytest.approx(4.0 * 2 + 12.5 + 10 + 0.5)
    assert [r.action for r in audit.rows(store)] == ["add"] * 4 + ["create"]
    playlist = playlist_table.get_playlist(store, playlist_id, store.path.parent)
    assert [item.position for item in playlist.items] == [1, 2, 3, 4]


BAD_ITEMS: list[object] = [
    pytest.param(ItemKind.PAUSE, {"seconds": 1, "repeat": 0}, "repeat", id="repeat-0"),
    pytest.param(ItemKind.PAUSE, {"seconds": 1, "repeat": 21}, "repeat", id="repeat-21"),
    pytest.param(ItemKind.PAUSE, {"seconds": 0.4}, "pause-seconds", id="pause-0.4"),
    pytest.param(ItemKind.PAUSE, {"seconds": 600.5}, "pause-seconds", id="pause-600.5"),
    pytest.param(ItemKind.PAUSE, {"seconds": float("nan")}, "pause-seconds", id="pause-nan"),
    pytest.param(ItemKind.PAUSE, {"seconds": float("inf")}, "pause-seconds", id="pause-inf"),
    pytest.param(ItemKind.PAUSE, {}, "pause-seconds", id="pause-no-seconds"),
    pytest.param(
        ItemKind.IMAGE, {"seconds": 0.9, "media_sha256": IMAGE_SHA}, "image-seconds", id="image-0.9"
    ),
    pytest.param(
        ItemKind.IMAGE, {"seconds": 601, "media_sha256": IMAGE_SHA}, "image-seconds", id="image-601"
    ),
    pytest.param(
        ItemKind.PAUSE,
        {"seconds": 1, "slide": Slide("题" * 101, "")},
        "slide-title-length",
        id="title-101",
    ),
    pytest.param(
        ItemKind.PAUSE,
        {"seconds": 1, "slide": Slide("", "字" * 501)},
        "slide-body-length",
        id="body-501",
    ),
    pytest.param(ItemKind.ANNOUNCEMENT, {"announcement_id": 99}, None, id="no-such-announcement"),
    pytest.param(ItemKind.AUDIO, {"media_sha256": IMAGE_SHA}, None, id="picture-as-audio"),
    pytest.param(
        ItemKind.IMAGE, {"media_sha256": AUDIO_SHA, "seconds": 5}, None, id="audio-as-picture"
    ),
    pytest.param(ItemKind.AUDIO, {"media_sha256": "d" * 64}, None, id="unknown-file"),
]


@pytest.mark.parametrize(("kind", "values", "rule"), BAD_ITEMS)
def test_bad_item_values_change_nothing(
    store: Store, kind: ItemKind, values: dict[str, object], rule: str | None
) -> None:
    add_media(store)
    playlist_id = new_playlist(store, pauses=2)
    approve(store, playlist_id)
    before = snapshot(store)
    with pytest.raises(EditError if rule else NotFoundError) as refused:
        editing.add_item(store, playlist_id, kind, "op", LATER, **values)  # type: ignore[arg-type]
    if rule:
        assert isinstance(refused.value, EditError) and refused.value.rule == rule
    assert snapshot(store) == before  # still approved, no audit row


@pytest.mark.parametrize(
    ("kind", "seconds"),
    [
        (ItemKind.PAUSE, 0.5),
        (ItemKind.PAUSE, 600),
        (ItemKind.IMAGE, 1),
        (ItemKind.IMAGE, 600),
    ],
    ids=["pause-0.5", "pause-600", "image-1", "image-600"],
)
def test_lengths_at_their_limits_are_accepted(store: Store, kind: ItemKind, seconds: float) -> None:
    add_media(store)
    playlist_id = new_playlist(store)
    sha = IMAGE_SHA if kind is ItemKind.IMAGE else None
    editing.add_item(store, playlist_id, kind, "op", NOW, seconds=seconds, media_sha256=sha)
    assert order(store, playlist_id) == [(1, seconds)]


# -- changing, reordering and removing items --------------------------------------------


@pytest.mark.parametrize(
    ("index", "step", "expected"),
    [
        pytest.param(0, 1, [2, 1, 3], id="first-down"),
        pytest.param(1, -1, [2, 1, 3], id="middle-up"),
        pytest.param(1, 1, [1, 3, 2], id="middle-down"),
        pytest.param(2, -1, [1, 3, 2], id="last-up"),
    ],
)
def test_move_swaps_with_the_neighbour(
    store: Store, index: int, step: int, expected: list[int]
) -> None:
    playlist_id = new_playlist(store, pauses=3)
    item = items_of(store, playlist_id)[index]
    new_position = editing.move_item(store, playlist_id, item.id, step, "op", LATER)
    assert new_position == index + 1 + step
    assert order(store, playlist_id) == [(p, float(s)) for p, s in enumerate(expected, 1)]
    assert audit.rows(store)[0].action == "reorder"


@pytest.mark.parametrize(
    ("index", "step", "rule"),
    [
        pytest.param(0, -1, "first", id="first-up"),
        pytest.param(2, 1, "last", id="last-down"),
    ],
)
def test_moving_past_the_ends_changes_nothing(
    store: Store, index: int, step: int, rule: str
) -> None:
    playlist_id = new_playlist(store, pauses=3)
    approve(store, playlist_id)
    before = snapshot(store)
    item = items_of(store, playlist_id)[index]
    with pytest.raises(EditError) as refused:
        editing.move_item(store, playlist_id, item.id, step, "op", LATER)
    assert refused.value.rule == rule
    assert snapshot(store) == before


def test_a_single_item_moves_nowhere(store: Store) -> None:
    playlist_id = new_playlist(store, pauses=1)
    [item] = items_of(store, playlist_id)
    for step in (-1, 1):
        with pytest.raises(EditError):
            editing.move_item(store, playlist_id, item.id, step, "op", LATER)
    assert order(store, playlist_id) == [(1, 1.0)]


@pytest.mark.parametrize(
    ("index", "left"),
    [
        pytest.param(0, [2, 3, 4], id="first"),
        pytest.param(1, [1, 3, 4], id="second"),
        pytest.param(3, [1, 2, 3], id="last"),
    ],
)
def test_remove_renumbers_the_rest(store: Store, index: int, left: list[int]) -> None:
    playlist_id = new_playlist(store, pauses=4)
    item = items_of(store, playlist_id)[index]
    editing.remove_item(store, playlist_id, item.id, "op", LATER)
    assert order(store, playlist_id) == [(p, float(s)) for p, s in enumerate(left, 1)]
    assert audit.rows(store)[0].action == "remove"
    # The freed last position takes a new item.
    editing.add_item(store, playlist_id, ItemKind.PAUSE, "op", LATER, seconds=9)
    assert [p for p, _ in order(store, playlist_id)] == [1, 2, 3, 4]


def test_removing_every_item_leaves_an_empty_draft(store: Store) -> None:
    playlist_id = new_playlist(store, pauses=2)
    approve(store, playlist_id)
    for item in items_of(store, playlist_id):
        editing.remove_item(store, playlist_id, item.id, "op", LATER)
    [row] = playlist_table.list_playlists(store)
    assert (row["items"], row["review"], row["playable"]) == (0, "draft", 0)


def test_item_of_another_playlist_is_not_found(store: Store) -> None:
    first = new_playlist(store, pauses=1, name="一")
    second = new_playlist(store, pauses=1, name="二")
    [other] = items_of(store, second)
    before = snapshot(store)
    for change in (
        lambda: editing.move_item(store, first, other.id, 1, "op", LATER),
        lambda: editing.remove_item(store, first, other.id, "op", LATER),
        lambda: editing.update_item(store, first, other.id, "op", LATER, repeat=2, slide=Slide()),
    ):
        with pytest.raises(NotFoundError):
            change()
    assert snapshot(store) == before


def test_update_item_sets_repeat_slide_and_length(store: Store) -> None:
    notice = add_announcement(store)
    playlist_id = new_playlist(store, pauses=1)
    editing.add_item(store, playlist_id, ItemKind.ANNOUNCEMENT, "op", NOW, announcement_id=notice)
    pause, spoken = items_of(store, playlist_id)
    editing.update_item(
        store, playlist_id, pause.id, "op", LATER, repeat=3, slide=Slide("安静", ""), seconds=2
    )
    editing.update_item(store, playlist_id, spoken.id, "op", LATER, repeat=2, slide=Slide("", "新"))
    pause, spoken = items_of(store, playlist_id)
    assert (pause.repeat, pause.slide, pause.duration) == (3, Slide("安静", ""), 2.0)
    assert (spoken.slide, spoken.own_slide, spoken.duration) == (Slide("", "新"), False, 4.0)
    # Emptied again, the announcement shows its own title and text once more.
    editing.update_item(store, playlist_id, spoken.id, "op", LATER, repeat=2, slide=Slide())
    assert items_of(store, playlist_id)[1].own_slide


def test_update_item_refuses_bad_values(store: Store) -> None:
    playlist_id = new_playlist(store, pauses=1)
    [pause] = items_of(store, playlist_id)
    before = snapshot(store)
    for values in ({"repeat": 21, "slide": Slide()}, {"repeat": 1, "slide": Slide(), "seconds": 0}):
        with pytest.raises(EditError):
            editing.update_item(store, playlist_id, pause.id, "op", LATER, **values)  # type: ignore[arg-type]
    assert snapshot(store) == before


# -- approved content goes back to draft -------------------------------------------------

CHANGES: list[object] = [
    pytest.param(
        lambda s, p, i: editing.update_playlist(s, p, "新名字", "说明", "op", LATER),
        "edit",
        id="rename",
    ),
    pytest.param(
        lambda s, p, i: editing.add_item(s, p, ItemKind.PAUSE, "op", LATER, seconds=5),
        "add",
        id="add",
    ),
    pytest.param(
        lambda s, p, i: editing.update_item(s, p, i[0], "op", LATER, repeat=2, slide=Slide()),
        "edit",
        id="update-item",
    ),
    pytest.param(
        lambda s, p, i: editing.move_item(s, p, i[0], 1, "op", LATER), "reorder", id="move"
    ),
    pytest.param(
        lambda s, p, i: editing.remove_item(s, p, i[1], "op", LATER), "remove", id="remove"
    ),
]


@pytest.mark.parametrize("start", [Review.APPROVED, Review.PENDING, Review.REJECTED])
@pytest.mark.parametrize(("change", "action"), CHANGES)
def test_any_change_sends_the_playlist_back_to_draft(
    store: Store,
    start: Review,
    change: Callable[[Store, int, list[int]], object],
    action: str,
) -> None:
    playlist_id = new_playlist(store, pauses=2)
    review.submit(store, review.PLAYLIST, playlist_id, "op", NOW)
    if start is Review.APPROVED:
        review.approve(store, review.PLAYLIST, playlist_id, "rev", NOW)
    elif start is Review.REJECTED:
        review.reject(store, review.PLAYLIST, playlist_id, "rev", "太长了", NOW)
    ids = [item.id for item in items_of(store, playlist_id)]
    change(store, playlist_id, ids)
    after = review.state(store, review.PLAYLIST, playlist_id)
    # A comment from sending it back stays, with its writer, until the next submit.
    kept = ("rev", "太长了") if start is Review.REJECTED else (None, "")
    assert (after.review, after.changed_by) == (Review.DRAFT, "op")
    assert (after.reviewed_by, after.comment) == kept
    assert after.updated_at == LATER
    [summary] = playlist_table.list_playlists(store)
    assert not summary["playable"]
    latest = audit.rows(store)[0]
    assert (latest.username, latest.action, latest.subject, latest.subject_id) == (
        "op",
        action,
        "playlist",
        playlist_id,
    )


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda s, p, i: editing.update_playlist(s, p, "午间节目", "说明", "op", LATER),
                     id="same-details"),
        pytest.param(lambda s, p, i: editing.update_item(s, p, i[0], "op", LATER, repeat=1,
                                                         slide=Slide(), seconds=1), id="same-item"),
    ],
)  # fmt: skip
def test_saving_without_a_difference_keeps_the_approval(
    store: Store, change: Callable[[Store, int, list[int]], bool]
) -> None:
    playlist_id = new_playlist(store, pauses=1)
    approve(store, playlist_id)
    before = snapshot(store)
    assert change(store, playlist_id, [item.id for item in items_of(store, playlist_id)]) is False
    assert snapshot(store) == before


# -- review and deletion -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("setup", "error", "code"),
    [
        pytest.param("empty", EditError, "empty", id="empty"),
        pytest.param(
            "draft-announcement", ReviewError, review.SUBMIT_ITEMS_FIRST, id="draft-notice"
        ),
        pytest.param("pending", ReviewError, review.NOT_DRAFT, id="already-pending"),
        pytest.param("approved", ReviewError, review.NOT_DRAFT, id="already-approved"),
    ],
)
def test_submit_refuses_what_may_not_be_reviewed(
    store: Store, setup: str, error: type[Exception], code: str
) -> None:
    playlist_id = new_playlist(store, pauses=0 if setup == "empty" else 1)
    if setup == "draft-announcement":
        notice = add_announcement(store, Review.DRAFT)
        editing.add_item(
            store, playlist_id, ItemKind.ANNOUNCEMENT, "op", NOW, announcement_id=notice
        )
    elif setup == "pending":
        review.submit(store, review.PLAYLIST, playlist_id, "op", NOW)
    elif setup == "approved":
        approve(store, playlist_id)
    before = snapshot(store)
    with pytest.raises(error) as refused:
        editing.submit_for_review(store, playlist_id, "op", LATER)
    assert (getattr(refused.value, "rule", None) or getattr(refused.value, "code", None)) == code
    assert snapshot(store) == before


def test_submit_puts_it_in_the_queue(store: Store) -> None:
    playlist_id = new_playlist(store, pauses=1)
    editing.submit_for_review(store, playlist_id, "op", LATER)
    assert review.state(store, review.PLAYLIST, playlist_id).review is Review.PENDING
    assert [s.label for s in review.queue(store)] == ["午间节目"]
    assert audit.rows(store)[0].action == "submit"


def test_delete_is_refused_while_scheduled_and_names_the_entries(store: Store) -> None:
    playlist_id = new_playlist(store, pauses=1)
    approve(store, playlist_id)
    times = (dt.time(7, 30), dt.time(18, 30))
    entry = entry_table.add_schedule(
        store, playlist_id, dt.date(2023, 3, 28), dt.date(2023, 4, 7), times,
        frozenset(range(7)), Priority.SCHEDULED, NOW,
    )  # fmt: skip
    before = snapshot(store)
    with pytest.raises(EditError) as refused:
        editing.delete_playlist(store, playlist_id, "op", LATER)
    assert refused.value.rule == "in-use"
    [use] = refused.value.values["uses"]  # type: ignore[misc]
    assert (use.id, use.start, use.end, use.times) == (
        entry,
        dt.date(2023, 3, 28),
        dt.date(2023, 4, 7),
        times,
    )
    assert snapshot(store) == before
    entry_table.delete_schedule(store, entry)
    assert editing.delete_playlist(store, playlist_id, "op", LATER) == "午间节目"
    assert playlist_table.list_playlists(store) == []
    assert store.query("SELECT * FROM playlist_items") == []
    assert (audit.rows(store)[0].action, audit.rows(store)[0].detail) == ("delete", "午间节目")


def test_unknown_playlist_is_not_found(store: Store) -> None:
    for change in (
        lambda: editing.update_playlist(store, 9, "x", "", "op", NOW),
        lambda: editing.add_item(store, 9, ItemKind.PAUSE, "op", NOW, seconds=1),
        lambda: editing.delete_playlist(store, 9, "op", NOW),
        lambda: editing.submit_for_review(store, 9, "op", NOW),
    ):
        with pytest.raises(NotFoundError):
            change()
    assert audit.count(store) == 0


# -- the playlist of one announcement (安排播出 on a notice) ------------------------------


@pytest.mark.parametrize(
    ("state", "after"),
    [
        pytest.param(Review.PENDING, Review.PENDING, id="pending-goes-for-review-with-it"),
        pytest.param(Review.APPROVED, Review.PENDING, id="approved-still-reviewed-as-a-playlist"),
        pytest.param(Review.DRAFT, Review.DRAFT, id="draft-stays-a-draft"),
    ],
)
def test_a_notice_gets_a_playlist_of_its_own(store: Store, state: Review, after: Review) -> None:
    notice = add_announcement(store, state)
    playlist_id, made = editing.playlist_of_announcement(store, notice, "op", LATER)
    assert made
    current = review.state(store, review.PLAYLIST, playlist_id)
    assert (current.label, current.review) == ("停水", after)
    [item] = items_of(store, playlist_id)
    assert (item.kind, item.announcement_id, item.slide) == (
        ItemKind.ANNOUNCEMENT,
        notice,
        Slide("停水", "今天下午停水。"),
    )


def test_the_notice_s_playlist_is_reused_not_made_twice(store: Store) -> None:
    notice = add_announcement(store, Review.PENDING)
    first, _ = editing.playlist_of_announcement(store, notice, "op", NOW)
    again, made = editing.playlist_of_announcement(store, notice, "op", LATER)
    assert (again, made) == (first, False)
    assert len(store.query("SELECT id FROM playlists")) == 1


def test_a_taken_name_gets_a_number_and_an_untitled_notice_its_first_words(store: Store) -> None:
    new_playlist(store, pauses=1, name="停水")
    notice = add_announcement(store, Review.PENDING)
    untitled = announcement_table.add_announcement(
        store, "", "今天下午停水。", VOICE_SHA, "op", NOW, review=Review.PENDING
    )
    named = [
        review.state(
            store, review.PLAYLIST, editing.playlist_of_announcement(store, n, "op", NOW)[0]
        ).label
        for n in (notice, untitled)
    ]
    assert named == ["停水 2", "今天下午停水。"]


def test_a_missing_notice_makes_nothing(store: Store) -> None:
    before = snapshot(store)
    with pytest.raises(NotFoundError):
        editing.playlist_of_announcement(store, 404, "op", NOW)
    assert snapshot(store) == before
