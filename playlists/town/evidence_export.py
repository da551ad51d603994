"""The town's evidence package: one village's or every village's evidence in one zip.

Per village a folder of photos and videos; for all of them the as-run rows the
villages sent (asrun.csv), the village × topic marks (summary.csv), every item
(items.csv), all with a BOM for Excel, and the A4 report (report.pdf) with the
table against the deadline and each village's thumbnails.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import zipfile
from html import escape
from pathlib import Path

from media.pdf import print_pdf
from playlists.clock import station_iso
from playlists.errors import NotFoundError
from playlists.evidence.package import check_target, name_part, writing_package
from playlists.evidence.report_page import STYLE
from playlists.record import notes
from playlists.record.asrun_csv import excel_csv, excel_text
from playlists.settings import Settings
from playlists.store import Store, from_db_time
from playlists.town.evidence_status import VillageRow, evidence_table
from playlists.town.village_evidence import VillageItem, item_path

MARKS = {"sent": "已报", "late": "逾期", "missing": "未报"}
ASRUN_COLUMNS = (
    "village", "scheduled", "started", "ended", "playlist", "priority", "status", "reason",
    "requested_by",
)  # fmt: skip
SUMMARY_COLUMNS = ("village", "topic", "mark", "photos", "videos", "report_by")
ITEM_COLUMNS = (
    "village", "file", "kind", "topic", "caption", "taken_on", "added_by", "received_at",
    "review", "comment", "sha256", "bytes",
)  # fmt: skip


@dataclasses.dataclass(frozen=True)
class TownPackage:
    path: Path
    villages: int
    items: int
    bytes: int


def export_town_package(
    store: Store, settings: Settings, out: Path, now: dt.datetime, village: str | None = None
) -> TownPackage:
    """Write one village's (or every village's) evidence package to out, whole or not at all."""
    check_target(out)
    rows = [row for row in evidence_table(store, settings) if village in (None, row.village)]
    if village is not None and not rows:
        raise NotFoundError(f"no village named {village!r}")
    everything = [item for row in rows for cell in row.cells.values() for item in cell.items]
    with writing_package(out) as (folder, package):
        page = folder / "report.html"
        page.write_text(town_report_page(settings, rows, now), encoding="utf-8")
        print_pdf(page, folder / "report.pdf")
        names = _add_media(package, settings, everything)
        _add_tables(package, store, settings, rows, everything, names)
        package.write(folder / "report.pdf", "report.pdf", zipfile.ZIP_DEFLATED)
    return TownPackage(out, len(rows), len(everything), out.stat().st_size)


def town_report_page(settings: Settings, rows: list[VillageRow], now: dt.datetime) -> str:
    """Return the town's A4 report: the village × topic table, then each village's items."""
    campaign = settings.campaign
    topics = campaign.topics
    head = "".join(f"<th>{escape(t)}</th>" for t in topics)
    body = "".join(
        f"<tr><td>{escape(row.village)}</td>"
        + "".join(
            f"<td>{MARKS[row.cells[t].mark]} {len(row.cells[t].items) or ''}</td>" for t in topics
        )
        + "</tr>"
        for row in rows
    )
    made = now.astimezone(settings.tz).strftime("%Y-%m-%d %H:%M")
    parts = [
        "<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'>",
        f"<title>{escape(campaign.name)} 各村活动影像资料</title>",
        f"<style>{STYLE}</style></head><body>",
        f"<h1>{escape(settings.station.name)} · {escape(campaign.name)} 各村活动影像资料</h1>",
        f"<p>上报期限：{campaign.report_by.isoformat()}；生成时间：{made}</p>",
        f"<table><thead><tr><th>村</th>{head}</tr></thead><tbody>{body}</tbody></table>",
    ]
    for row in rows:
        items = [item for cell in row.cells.values() for item in cell.items]
        if items:
            parts.append(f"<h2>{escape(row.village)}（{len(items)} 项）</h2><div class='items'>")
            parts += [_figure(settings, item) for item in items]
            parts.append("</div>")
    parts.append("</body></html>")
    return "\n".join(parts)


def _figure(settings: Settings, item: VillageItem) -> str:
    kind = "视频" if item.kind == "video" else "照片"
    src = item_path(settings, item, item.thumbnail).absolute().as_uri()
    return (
        f"<figure><img src='{escape(src)}' alt=''><figcaption>{kind} · {escape(item.topic)}<br>"
        f"{escape(item.caption)}<br>{item.taken_on.isoformat()}</figcaption></figure>"
    )


def _add_media(
    package: zipfile.ZipFile, settings: Settings, everything: list[VillageItem]
) -> dict[int, str]:
    names = {}
    for item in everything:
        suffix = item.file.rsplit(".", 1)[-1]
        folder = "videos" if item.kind == "video" else "photos"
        village, topic = name_part(item.village), name_part(item.topic)
        name = f"{village}/{folder}/{item.taken_on.isoformat()}_{topic}_{item.id}.{suffix}"
        package.write(item_path(settings, item, item.file), name, zipfile.ZIP_STORED)
        names[item.id] = name
    return names


def _add_tables(
    package: zipfile.ZipFile,
    store: Store,
    settings: Settings,
    rows: list[VillageRow],
    everything: list[VillageItem],
    names: dict[int, str],
) -> None:
    report_by = settings.campaign.report_by.isoformat()
    summary = [
        [excel_text(row.village), excel_text(topic), cell.mark,
         sum(1 for i in cell.items if i.kind == "photo"),
         sum(1 for i in cell.items if i.kind == "video"), report_by]
        for row in rows for topic, cell in row.cells.items()
    ]  # fmt: skip
    listing = [
        [excel_text(i.village), names[i.id], i.kind, excel_text(i.topic), excel_text(i.caption),
         i.taken_on.isoformat(), excel_text(i.added_by), _local(i.received_at, settings),
         i.review, excel_text(i.review_comment), i.sha256, i.bytes]
        for i in everything
    ]  # fmt: skip
    for name, text in (
        ("asrun.csv", excel_csv(ASRUN_COLUMNS, _asrun_rows(store, settings, rows))),
        ("summary.csv", excel_csv(SUMMARY_COLUMNS, summary)),
        ("items.csv", excel_csv(ITEM_COLUMNS, listing)),
    ):
        package.writestr(name, text.encode("utf-8"), zipfile.ZIP_DEFLATED)


def _asrun_rows(store: Store, settings: Settings, rows: list[VillageRow]) -> list[list[str]]:
    chosen = {row.village for row in rows}
    found = store.query(
        "SELECT v.name AS village, a.* FROM village_asrun a JOIN villages v "
        "ON v.id = a.village_id ORDER BY v.name, a.scheduled_at, a.remote_id"
    )
    return [
        [excel_text(r["village"]), _local(from_db_time(r["scheduled_at"]), settings),
         _local(from_db_time(r["started_at"]), settings),
         _local(from_db_time(r["ended_at"]), settings), excel_text(r["playlist_name"]),
         r["priority"], r["status"], excel_text(notes.english(r["reason"] or "")),
         excel_text(r["requested_by"])]
        for r in found if r["village"] in chosen
    ]  # fmt: skip


def _local(value: dt.datetime | None, settings: Settings) -> str:
    return station_iso(value, settings.tz) or ""
