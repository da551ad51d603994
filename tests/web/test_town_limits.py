"""Each village's rates at the town: requests a minute, as-run rows an hour."""

from __future__ import annotations

import pytest

from playlists.settings import TownSettings
from web.town_limits import VillageLimits

TOWN = TownSettings(village_requests_per_minute=60, village_asrun_rows_per_hour=1000)


class FakeMonotonic:
    def __init__(self) -> None:
        self.value = 1000.0

    def __call__(self) -> float:
        return self.value


@pytest.mark.parametrize(
    ("batches", "seconds_later", "next_batch", "wait"),
    [
        pytest.param([], 0, 500, 0, id="first-batch"),
        pytest.param([500, 500], 0, 500, 1800, id="an-hours-worth-then-wait"),
        pytest.param([500, 500], 1800, 500, 0, id="half-an-hour-refills-500"),
        pytest.param([500, 500], 900, 500, 900, id="a-quarter-hour-refills-250"),
        pytest.param([500, 400], 0, 100, 0, id="exactly-full"),
        pytest.param([500, 500], 36000, 500, 0, id="never-above-capacity"),
    ],
)
def test_asrun_rows_an_hour(
    batches: list[int], seconds_later: float, next_batch: int, wait: int
) -> None:
    clock = FakeMonotonic()
    limits = VillageLimits(TOWN, clock)
    for count in batches:
        assert limits.asrun_rows(1, count) == 0
    clock.value += seconds_later
    assert limits.asrun_rows(1, next_batch) == wait


def test_a_full_bucket_holds_no_more_than_its_capacity() -> None:
    clock = FakeMonotonic()
    limits = VillageLimits(TOWN, clock)
    clock.value += 36000
    assert [limits.asrun_rows(1, 500) for _ in range(3)] == [0, 0, 1800]


def test_requests_a_minute_per_village() -> None:
    clock = FakeMonotonic()
    limits = VillageLimits(TOWN, clock)
    assert all(limits.request(1) == 0 for _ in range(60))
    assert limits.request(1) == 1  # one more in a second
    assert limits.request(2) == 0  # another village has its own
    clock.value += 1
    assert limits.request(1) == 0
