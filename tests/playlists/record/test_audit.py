"""The audit log: rows only ever added, filtered and counted in SQL."""

from __future__ import annotations

import datetime as dt

import pytest

from playlists.record import audit
from playlists.store import Store

T0 = dt.datetime(2023, 3, 28, 0, 0, tzinfo=dt.UTC)


@pytest.fixture
def logged(store: Store) -> Store:
    for minute, (user, action) in enumerate(
        [("op", "create"), ("op", "submit"), ("rev", "approve"), ("op", "play"), ("op", "stop")]
    ):
        audit.record(
            store, user, action, T0 + dt.timedelta(minutes=minute), subject="x", subject_id=1
        )
    return store


@pytest.mark.parametrize(
    ("filters", "actions"),
    [
        pytest.param({}, ["stop", "play", "approve", "submit", "create"], id="all-newest-first"),
        pytest.param({"username": "rev"}, ["approve"], id="by-user"),
        pytest.param({"action": "play"}, ["play"], id="by-action"),
        pytest.param({"since": T0 + dt.timedelta(minutes=3)}, ["stop", "play"], id="since"),
        pytest.param({"until": T0 + dt.timedelta(minutes=1)}, ["create"], id="until"),
        pytest.param({"username": "nobody"}, [], id="no-match"),
    ],
)
def test_rows_filter_in_sql(logged: Store, filters: dict[str, object], actions: list[str]) -> None:
    assert [r.action for r in audit.rows(logged, **filters)] == actions  # type: ignore[arg-type]
    assert audit.count(logged, **filters) == len(actions)  # type: ignore[arg-type]


def test_paging_and_the_list_of_actions(logged: Store) -> None:
    assert [r.action for r in audit.rows(logged, limit=2, offset=1)] == ["play", "approve"]
    assert audit.actions(logged) == ["approve", "create", "play", "stop", "submit"]


def test_a_row_rolls_back_with_the_change_it_records(store: Store) -> None:
    with pytest.raises(RuntimeError), store.transaction():
        audit.record(store, "op", "create", T0, detail="x" * 2000)
        raise RuntimeError("the change failed")
    assert audit.rows(store) == []
    audit.record(store, "op", "create", T0, detail="x" * 2000)
    (row,) = audit.rows(store)
    assert len(row.detail) == audit.MAX_DETAIL and row.at == T0


# -- failed log-ins: counted, capped, kept for a while ---------------------------------

MINUTE = dt.timedelta(minutes=1)


def fail(store: Store, attempts: list[tuple[str, str]], at: dt.datetime = T0) -> None:
    for name, address in attempts:
        audit.record_failed_login(store, name, address, at, keep_days=90)


def failed_rows(store: Store) -> list[tuple[str, str, str]]:
    found = audit.rows(store, action=audit.FAILED_LOGIN, limit=10_000)
    return sorted((r.username, r.detail, r.subject) for r in found)


@pytest.mark.parametrize(
    ("attempts", "expected"),
    [
        pytest.param(
            [("boss", "10.0.0.9")], [("boss", "from 10.0.0.9", "user")], id="one-attempt-one-row"
        ),
        pytest.param(
            [("boss", "10.0.0.9")] * 300,
            [("boss", "from 10.0.0.9, 300 times", "user")],
            id="repeats-count-on-one-row",
        ),
        pytest.param(
            [("boss", "10.0.0.9"), ("boss", "10.0.0.7"), ("op", "10.0.0.9")],
            [
                ("boss", "from 10.0.0.7", "user"),
                ("boss", "from 10.0.0.9", "user"),
                ("op", "from 10.0.0.9", "user"),
            ],
            id="a-row-per-address-and-name",
        ),
    ],
)
def test_failed_log_ins_collapse(
    store: Store, attempts: list[tuple[str, str]], expected: list[tuple[str, str, str]]
) -> None:
    fail(store, attempts)
    assert failed_rows(store) == expected


def test_many_names_from_one_address_share_a_row_past_the_cap(store: Store) -> None:
    fail(store, [(f"name{n}", "10.0.0.9") for n in range(500)])
    rows = failed_rows(store)
    assert len(rows) == audit.MAX_NAMES_PER_ADDRESS + 1
    assert (audit.MANY, "from 10.0.0.9, 480 times", "user") in rows


def test_everyone_together_opens_a_bounded_number_of_rows(store: Store) -> None:
    fail(store, [("boss", f"10.0.{n // 250}.{n % 250}") for n in range(1000)])
    rows = failed_rows(store)
    assert len(rows) == audit.MAX_FAILED_ROWS + 1
    assert (audit.MANY, "from many addresses, 800 times", "user") in rows


def test_a_new_window_opens_a_new_row(store: Store) -> None:
    fail(store, [("boss", "10.0.0.9")] * 3)
    fail(store, [("boss", "10.0.0.9")] * 2, at=T0 + 16 * MINUTE)
    assert [r.detail for r in audit.rows(store)] == [
        "from 10.0.0.9, 2 times",
        "from 10.0.0.9, 3 times",
    ]


def test_failed_log_ins_older_than_the_setting_are_deleted(logged: Store) -> None:
    fail(logged, [("boss", "10.0.0.9")], at=T0 - dt.timedelta(days=91))
    fail(logged, [("boss", "10.0.0.8")], at=T0 - dt.timedelta(days=89))
    fail(logged, [("boss", "10.0.0.7")], at=T0)
    assert [r.detail for r in audit.rows(logged, action=audit.FAILED_LOGIN)] == [
        "from 10.0.0.7",
        "from 10.0.0.8",
    ]
    assert audit.count(logged) == 5 + 2  # every other row is kept
