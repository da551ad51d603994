"""Reading ?page= against a row count."""

from __future__ import annotations

import pytest

from web.paging import page_of


@pytest.mark.parametrize(
    ("value", "total", "expected"),
    [
        pytest.param(None, 0, (1, 1), id="empty-list-has-one-page"),
        pytest.param("2", 250, (2, 3), id="a-middle-page"),
        pytest.param("9", 250, (3, 3), id="past-the-end-is-the-last"),
        pytest.param("0", 250, (1, 3), id="zero-is-the-first"),
        pytest.param("-4", 250, (1, 3), id="negative-is-the-first"),
        pytest.param("x", 250, (1, 3), id="not-a-number-is-the-first"),
        pytest.param("", 100, (1, 1), id="exactly-one-page"),
        pytest.param("9" * 4000, 250, (1, 3), id="4000-digits-is-the-first"),
        pytest.param("²", 250, (1, 3), id="non-ascii-digit-is-the-first"),
    ],
)
def test_page_of(value: str | None, total: int, expected: tuple[int, int]) -> None:
    assert page_of(value, total, 100) == expected
