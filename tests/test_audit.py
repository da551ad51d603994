"""The audit log: rows only ever added, filtered and counted in SQL."""

from __future__ import annotations

import datetime as dt

import pytest

from playlists import audit
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
