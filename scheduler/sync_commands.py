"""`villagecast sync`: sync this village with its town once, now, and say what happened.

The running player syncs on its own every `sync.poll_seconds`; this is for the
installer checking the token and the address, or for taking a new playlist at once.
Both may run together: a version already taken is not taken twice.
"""

from __future__ import annotations

from playlists.clock import utc_now
from playlists.content.ingest import Ingest
from playlists.errors import ConfigError
from playlists.settings import Settings
from playlists.store import Store
from playlists.sync.client import run_cycle
from playlists.sync.transport import UrllibClient


def sync_now(settings: Settings) -> int:
    """Run one sync cycle; exit 1 when a shared playlist was not taken."""
    if not settings.sync.town_url:
        raise ConfigError(
            "key 'sync.town_url' is empty: this station has no town to sync with "
            "(set sync.town_url and sync.device_token in config.yaml)"
        )
    store = Store.open(settings.db_path)
    ingest = Ingest(store, settings)
    client = UrllibClient(settings.sync.timeout_seconds)
    report = run_cycle(store, settings, ingest, client, utc_now())
    print(f"synced with the town {settings.sync.town_url}")
    for line in report.lines():
        print(f"  {line}")
    return 1 if report.refused else 0
