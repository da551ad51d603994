"""The system's own evidence: per topic, broadcasts and showings counted from the as-run log."""

import datetime as dt

from playlists.evidence.system import TopicRecord, topic_records
from playlists.model import Outcome, Priority
from playlists.record import asrun
from playlists.settings import Settings
from playlists.store import Store

IN_CAMPAIGN = dt.datetime(2023, 3, 30, 0, 0, tzinfo=dt.UTC)


def log(store: Store, status: Outcome, when: dt.datetime = IN_CAMPAIGN) -> None:
    playlist = store.query_one("SELECT id, name FROM playlists ORDER BY id LIMIT 1")
    assert playlist is not None
    row = asrun.open_manual(store, playlist["name"], playlist["id"], Priority.MANUAL, "cun", when)
    asrun.close(store, row, status, when + dt.timedelta(minutes=3))


def test_played_broadcasts_count_per_topic(sample_store: Store, sample_settings: Settings) -> None:
    for status in (Outcome.PLAYED, Outcome.PLAYED, Outcome.FAILED):
        log(sample_store, status)
    log(sample_store, Outcome.PLAYED, IN_CAMPAIGN - dt.timedelta(days=30))  # before the window
    records = {r.topic: r for r in topic_records(sample_store, sample_settings)}
    assert list(records) == list(sample_settings.campaign.topics)
    # The sample playlist holds one announcement with a slide per topic, said once.
    assert records["五社联动"] == TopicRecord("五社联动", 2, 2, (("五社联动", 2),))
    assert records["人才政策"].slides == (("社会工作人才政策", 2),)


def test_nothing_played_is_zero_everywhere(sample_store: Store, sample_settings: Settings) -> None:
    log(sample_store, Outcome.MISSED)
    assert all(
        (r.broadcasts, r.shown) == (0, 0) for r in topic_records(sample_store, sample_settings)
    )
