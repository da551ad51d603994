"""The town's view of its villages' evidence: per village and topic, sent, late or missing.

An item counts as sent on the station day the town received it. A village × topic
cell is "sent" when its first item arrived by campaign.report_by, "late" when the
first arrived after it, and "missing" when none has.
"""

from __future__ import annotations

import dataclasses
from typing import Literal

from playlists.clock import station_date
from playlists.settings import Settings
from playlists.store import Store
from playlists.town import villages
from playlists.town.village_evidence import VillageItem, list_items

Mark = Literal["sent", "late", "missing"]


@dataclasses.dataclass(frozen=True)
class Cell:
    mark: Mark
    items: tuple[VillageItem, ...]


@dataclasses.dataclass(frozen=True)
class VillageRow:
    village: str
    cells: dict[str, Cell]  # by topic, in the campaign's order

    @property
    def complete(self) -> bool:
        return all(cell.mark != "missing" for cell in self.cells.values())


def evidence_table(store: Store, settings: Settings) -> list[VillageRow]:
    """Return one row per village (with or without evidence), one cell per topic."""
    topics = settings.campaign.topics
    kept = list_items(store)
    rows = []
    for village in villages.list_villages(store):
        mine = [item for item in kept if item.village_id == village.id]
        cells = {
            topic: _cell(tuple(i for i in mine if i.topic == topic), settings) for topic in topics
        }
        rows.append(VillageRow(village.name, cells))
    return rows


def _cell(found: tuple[VillageItem, ...], settings: Settings) -> Cell:
    if not found:
        return Cell("missing", found)
    first = station_date(min(item.received_at for item in found), settings.tz)
    return Cell("sent" if first <= settings.campaign.report_by else "late", found)
