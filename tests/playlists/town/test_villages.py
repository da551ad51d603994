"""Villages on the town: device tokens, heartbeats, and as-run rows received (upserted once)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from playlists.errors import AsRunBatchError, ContentError, HeartbeatError, NotFoundError
from playlists.record import audit
from playlists.store import Store
from playlists.sync.wire import MAX_ASRUN_ROWS, canonical_row, row_digest
from playlists.town import village_asrun, villages
from tests.web_fixtures import NOW

HEARTBEAT = {
    "now": "2023-03-28T11:00:05+08:00",
    "clock_synchronized": True,
    "now_playing": "早间广播",
    "free_mb": 1234.5,
    "version": "0.9",
    "player_running": True,
}


def asrun_row(row_id: int = 1, **changes: object) -> dict[str, object]:
    row: dict[str, object] = {
        "id": row_id,
        "occurrence": "3@2023-03-28T00:00:00Z",
        "playlist": "社会工作宣传",
        "priority": "scheduled",
        "scheduled": "2023-03-28T08:00:00+08:00",
        "started": "2023-03-28T08:00:01+08:00",
        "ended": None,
        "status": "playing",
        "reason": "",
        "requested_by": None,
    }
    row.update(changes)
    return row


def stored_rows(store: Store) -> list[dict[str, Any]]:
    return [dict(r) for r in store.query("SELECT * FROM village_asrun ORDER BY id")]


# -- device tokens -------------------------------------------------------------------


def test_a_village_gets_a_token_once_and_only_its_hash_is_kept(store: Store) -> None:
    token = villages.add_village(store, "东村", "cli:town", NOW)
    assert token.startswith("vcd_") and len(token) == 4 + 43
    assert villages.verify(store, token) == villages.Device(1, "东村")
    kept = store.query_one("SELECT token_hash FROM villages")
    assert kept is not None and token not in kept["token_hash"]
    created = [r for r in audit.rows(store) if r.subject == "village"]
    assert [(r.action, r.username, r.detail) for r in created] == [("create", "cli:town", "东村")]


@pytest.mark.parametrize(
    "secret",
    [
        pytest.param("", id="empty"),
        pytest.param("vcd_wrong", id="unknown"),
        pytest.param("vc_abc", id="api-token-prefix"),
    ],
)
def test_wrong_tokens_are_refused(store: Store, secret: str) -> None:
    villages.add_village(store, "东村", "cli:town", NOW)
    assert villages.verify(store, secret) is None


@pytest.mark.parametrize(
    ("name", "message"),
    [
        pytest.param("  ", "give the village a name", id="blank"),
        pytest.param("村" * 101, "at most 100", id="long"),
        pytest.param("东村", "already exists", id="duplicate"),
    ],
)
def test_bad_village_names_are_refused(store: Store, name: str, message: str) -> None:
    villages.add_village(store, "东村", "cli:town", NOW)
    with pytest.raises(ContentError, match=message):
        villages.add_village(store, name, "cli:town", NOW)
    assert len(villages.list_villages(store)) == 1


def test_removing_a_village_ends_its_token_and_its_rows(store: Store) -> None:
    token = villages.add_village(store, "东村", "cli:town", NOW)
    device = villages.verify(store, token)
    assert device is not None
    village_asrun.store_batch(store, device.id, [asrun_row()], NOW)
    villages.remove_village(store, "东村", "cli:town", NOW)
    assert villages.verify(store, token) is None
    assert stored_rows(store) == []
    with pytest.raises(NotFoundError):
        villages.remove_village(store, "东村", "cli:town", NOW)


# -- heartbeats ----------------------------------------------------------------------


def test_a_heartbeat_is_kept_with_the_towns_time(store: Store) -> None:
    villages.add_village(store, "东村", "cli:town", NOW)
    villages.record_heartbeat(store, 1, HEARTBEAT, NOW)
    [village] = villages.list_villages(store)
    assert village.heartbeat == HEARTBEAT
    assert village.last_seen_at == NOW


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        pytest.param({"now": "2023-03-28T11:00:05"}, "'now'", id="now-without-offset"),
        pytest.param({"now": 5}, "'now'", id="now-not-text"),
        pytest.param({"clock_synchronized": "yes"}, "clock_synchronized", id="clock-text"),
        pytest.param({"player_running": None}, "player_running", id="player-null"),
        pytest.param({"free_mb": "lots"}, "free_mb", id="free-text"),
        pytest.param({"free_mb": True}, "free_mb", id="free-bool"),
        pytest.param({"version": None}, "'version'", id="version-null"),
        pytest.param({"now_playing": "x" * 201}, "now_playing", id="now-playing-long"),
        pytest.param({"extra": 1}, "unknown field 'extra'", id="unknown-field"),
    ],
)
def test_bad_heartbeats_are_refused_and_change_nothing(
    store: Store, changes: dict[str, object], message: str
) -> None:
    villages.add_village(store, "东村", "cli:town", NOW)
    with pytest.raises(HeartbeatError, match=message):
        villages.record_heartbeat(store, 1, {**HEARTBEAT, **changes}, NOW)
    [village] = villages.list_villages(store)
    assert (village.heartbeat, village.last_seen_at) == ({}, None)


def test_a_heartbeat_without_a_field_is_refused() -> None:
    partial = {k: v for k, v in HEARTBEAT.items() if k != "free_mb"}
    with pytest.raises(HeartbeatError, match="lacks the field 'free_mb'"):
        villages.check_heartbeat(partial)
    with pytest.raises(HeartbeatError, match="JSON object"):
        villages.check_heartbeat([HEARTBEAT])


# -- the digest ----------------------------------------------------------------------


def test_the_digest_is_sha256_of_sorted_compact_utf8_json() -> None:
    row = asrun_row()
    assert canonical_row(row) == (
        '{"ended":null,"id":1,"occurrence":"3@2023-03-28T00:00:00Z","playlist":"社会工作宣传",'
        '"priority":"scheduled","reason":"","requested_by":null,'
        '"scheduled":"2023-03-28T08:00:00+08:00","started":"2023-03-28T08:00:01+08:00",'
        '"status":"playing"}'
    )
    # Pinned: a village and a town of different versions must agree on this value.
    assert row_digest(row) == "fdfa31f459a2e438a211576ad2b9b0412395e07828115d3536c83286d9511f41"


def test_the_digest_ignores_key_order_and_survives_a_json_round_trip() -> None:
    row = asrun_row()
    shuffled = dict(reversed(list(row.items())))
    assert row_digest(shuffled) == row_digest(row)
    assert row_digest(json.loads(json.dumps(row))) == row_digest(row)
    assert row_digest(asrun_row(status="played")) != row_digest(row)


# -- as-run rows ---------------------------------------------------------------------


def test_the_same_row_twice_is_stored_once(store: Store) -> None:
    villages.add_village(store, "东村", "cli:town", NOW)
    first = village_asrun.store_batch(store, 1, [asrun_row()], NOW)
    again = village_asrun.store_batch(store, 1, [asrun_row()], NOW + dt.timedelta(minutes=5))
    assert first == again == [{"id": 1, "digest": row_digest(asrun_row())}]
    assert len(stored_rows(store)) == 1


def test_a_changed_row_replaces_its_earlier_copy(store: Store) -> None:
    villages.add_village(store, "东村", "cli:town", NOW)
    village_asrun.store_batch(store, 1, [asrun_row()], NOW)
    played = asrun_row(status="played", ended="2023-03-28T08:03:00+08:00")
    [ack] = village_asrun.store_batch(store, 1, [played], NOW)
    assert ack["digest"] == row_digest(played)
    [row] = stored_rows(store)
    assert (row["remote_id"], row["status"], row["ended_at"]) == (
        1,
        "played",
        "2023-03-28T00:03:00.000+00:00",
    )
    assert row["scheduled_at"] == "2023-03-28T00:00:00.000+00:00"  # kept in UTC


def test_two_villages_may_send_the_same_row_id(store: Store) -> None:
    villages.add_village(store, "东村", "cli:town", NOW)
    villages.add_village(store, "西村", "cli:town", NOW)
    village_asrun.store_batch(store, 1, [asrun_row()], NOW)
    village_asrun.store_batch(store, 2, [asrun_row()], NOW)
    assert [r["village_id"] for r in stored_rows(store)] == [1, 2]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        pytest.param([], "JSON object", id="not-an-object"),
        pytest.param({"rows": {}}, "JSON object", id="rows-not-a-list"),
        pytest.param({"rows": [], "more": 1}, "JSON object", id="extra-top-key"),
        pytest.param({"rows": [asrun_row()] * (MAX_ASRUN_ROWS + 1)}, "at most 500", id="too-many"),
        pytest.param({"rows": [asrun_row(), "x"]}, "row 1: must be a JSON object", id="row-text"),
        pytest.param({"rows": [asrun_row(id=0)]}, "'id'", id="id-zero"),
        pytest.param({"rows": [asrun_row(id="7")]}, "'id'", id="id-text"),
        pytest.param({"rows": [asrun_row(id=True)]}, "'id'", id="id-bool"),
        pytest.param({"rows": [asrun_row(status="aired")]}, "'status'", id="status"),
        pytest.param({"rows": [asrun_row(priority="top")]}, "'priority'", id="priority"),
        pytest.param(
            {"rows": [asrun_row(scheduled="2023-03-28 08:00")]}, "'scheduled'", id="naive"
        ),
        pytest.param({"rows": [asrun_row(started="soon")]}, "'started'", id="started"),
        pytest.param({"rows": [asrun_row(playlist=" ")]}, "'playlist'", id="playlist-blank"),
        pytest.param({"rows": [asrun_row(reason=None)]}, "'reason'", id="reason-null"),
        pytest.param({"rows": [asrun_row(reason="x" * 2001)]}, "'reason'", id="reason-long"),
        pytest.param({"rows": [asrun_row(extra=1)]}, "unknown field 'extra'", id="unknown"),
        pytest.param(
            {"rows": [{k: v for k, v in asrun_row().items() if k != "status"}]},
            "lacks the field 'status'",
            id="missing",
        ),
    ],
)
def test_bad_batches_are_refused_whole(body: object, message: str) -> None:
    with pytest.raises(AsRunBatchError, match=message):
        village_asrun.check_batch(body)


def test_a_full_batch_of_good_rows_passes() -> None:
    rows = [asrun_row(n) for n in range(1, MAX_ASRUN_ROWS + 1)]
    assert village_asrun.check_batch({"rows": rows}) == rows
