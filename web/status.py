"""Read what the player reports and what is due next, for the dashboard and the API."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

from playlists.clock import station_iso
from playlists.model import PlannedBroadcast
from playlists.plan import station_plan
from playlists.settings import Settings
from playlists.store import Store

HEARTBEAT_MAX_AGE = 10.0  # seconds; the player beats about once a second


@dataclasses.dataclass(frozen=True)
class NowPlaying:
    name: str
    priority: str | None = None
    started_at: dt.datetime | None = None
    item: int | None = None  # which item of the playlist is on air, counting from 1
    items: int | None = None


@dataclasses.dataclass(frozen=True)
class PlayerStatus:
    running: bool
    heartbeat: dt.datetime | None
    clock_synchronized: bool | None
    now_playing: NowPlaying | None

    @property
    def clock_state(self) -> str:
        """Return "yes", "no" or "unknown", for page styling."""
        if self.clock_synchronized is None:
            return "unknown"
        return "yes" if self.clock_synchronized else "no"


def parse_instant(value: object) -> dt.datetime | None:
    """Parse an ISO timestamp written by the player; naive ones are UTC."""
    if not isinstance(value, str):
        return None
    try:
        instant = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return instant if instant.tzinfo else instant.replace(tzinfo=dt.UTC)


def _now_playing(value: object) -> NowPlaying | None:
    # The player owns this value's shape; accept a name or a mapping naming the broadcast.
    if isinstance(value, str) and value:
        return NowPlaying(value)
    if not isinstance(value, dict):
        return None
    name = value.get("name") or value.get("playlist_name") or value.get("title") or ""
    priority = value.get("priority")
    return NowPlaying(
        name=str(name),
        priority=str(priority) if priority else None,
        started_at=parse_instant(value.get("started_at")),
        item=_count(value.get("item")),
        items=_count(value.get("items")),
    )


def _count(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def player_status(raw: Mapping[str, object], now: dt.datetime) -> PlayerStatus:
    """Summarize the player's status values as seen at ``now``."""
    heartbeat = parse_instant(raw.get("heartbeat"))
    # A heartbeat far in the future (clock stepped back) is no proof of life either.
    running = heartbeat is not None and abs((now - heartbeat).total_seconds()) <= HEARTBEAT_MAX_AGE
    clock = raw.get("clock")
    synchronized = clock.get("synchronized") if isinstance(clock, dict) else None
    return PlayerStatus(
        running=running,
        heartbeat=heartbeat,
        clock_synchronized=synchronized if isinstance(synchronized, bool) else None,
        # A stopped player plays nothing, whatever it last wrote.
        now_playing=_now_playing(raw.get("now_playing")) if running else None,
    )


def upcoming(
    store: Store, settings: Settings, now: dt.datetime, hours: float = 24, limit: int = 10
) -> list[PlannedBroadcast]:
    """Return the broadcasts planned in the next hours, quiet-hour ones included and marked."""
    return station_plan(store, settings, now, now + dt.timedelta(hours=hours))[:limit]


def broadcast_json(broadcast: PlannedBroadcast, tz: ZoneInfo) -> dict[str, Any]:
    return {
        "start": station_iso(broadcast.start, tz),
        "end": station_iso(broadcast.end, tz),
        "playlist": broadcast.playlist_name,
        "playlist_id": broadcast.playlist_id,
        "priority": broadcast.priority.value,
        "quiet": broadcast.quiet,  # inside quiet hours: the player will skip it
        "approved": not broadcast.unapproved,  # else awaiting review: skipped too
    }


def status_json(
    status: PlayerStatus, next_up: list[PlannedBroadcast], tz: ZoneInfo, now: dt.datetime
) -> dict[str, Any]:
    """Shape the status for the JSON API, times in the station's zone."""
    playing = status.now_playing

    def iso(value: dt.datetime | None) -> str | None:
        return station_iso(value, tz)

    return {
        "now": iso(now),
        "player": {"running": status.running, "heartbeat": iso(status.heartbeat)},
        "clock": {"synchronized": status.clock_synchronized},
        "now_playing": None
        if playing is None
        else {
            "name": playing.name,
            "priority": playing.priority,
            "started_at": iso(playing.started_at),
            "item": playing.item,
            "items": playing.items,
        },
        "next": [broadcast_json(b, tz) for b in next_up],
    }
