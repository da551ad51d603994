"""The one tally: an occurrence's parts combined into one outcome, and counts that add up."""

from __future__ import annotations

import pytest

from playlists.model import Outcome
from playlists.record.tally import Part, Tally, combined_outcome


@pytest.mark.parametrize(
    ("parts", "outcome", "reason"),
    [
        ([(1, "played", "")], Outcome.PLAYED, ""),
        ([(1, "missed", "停电")], Outcome.MISSED, "停电"),
        ([(1, "interrupted", "紧急广播"), (2, "played", "")], Outcome.PLAYED, ""),
        ([(2, "played", ""), (1, "interrupted", "紧急广播")], Outcome.PLAYED, ""),
        ([(1, "interrupted", "紧急广播"), (2, "playing", "")], Outcome.PLAYING, ""),
        (
            [(1, "interrupted", "紧急广播"), (2, "skipped", "静音时段")],
            Outcome.INTERRUPTED,
            "静音时段",
        ),
        ([(1, "interrupted", "紧急广播"), (2, "missed", "")], Outcome.INTERRUPTED, "紧急广播"),
        ([(1, "skipped", "占线"), (2, "failed", "声卡故障")], Outcome.FAILED, "声卡故障"),
        ([(3, "missed", ""), (1, "skipped", "占线")], Outcome.MISSED, "占线"),
    ],
    ids=[
        "one-part-played",
        "one-part-missed-keeps-reason",
        "resumed-and-played",
        "parts-in-any-order",
        "resumed-and-on-air",
        "interrupted-then-skipped-is-interrupted",
        "last-reason-given-wins",
        "last-part-decides-otherwise",
        "last-by-part-number-not-by-row-order",
    ],
)
def test_combined_outcome(parts: list[Part], outcome: Outcome, reason: str) -> None:
    assert combined_outcome(parts) == (outcome, reason)


def test_tallies_add_field_by_field() -> None:
    east = Tally(planned=3, due=2, played=1, missed=1, unlogged=0)
    west = Tally(planned=2, due=2, failed=1, unlogged=1, unreadable=1)
    assert east + west == Tally(
        planned=5, due=4, played=1, missed=1, failed=1, unlogged=1, unreadable=1
    )
    assert (east + west).not_played == 3
    assert east + Tally() == east
