"""The evidence package for the town's deadline: one zip a clerk opens on any computer.

It holds the photos and videos (photos/, videos/), the as-run log (asrun.csv), a
summary per topic (summary.csv) and per item (items.csv), both with a BOM so Excel
reads the Chinese, and the A4 report as a PDF (report.pdf). The zip is written
under a temporary name beside the target and renamed when whole.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import zipfile
from pathlib import Path

from media.pdf import print_pdf
from playlists.evidence import items as stored
from playlists.evidence.model import EvidenceItem
from playlists.evidence.package import check_target, name_part, writing_package
from playlists.evidence.report_page import TopicSummary, report_page, topic_summaries
from playlists.evidence.system import campaign_days, topic_records
from playlists.plan import day_range
from playlists.record import asrun
from playlists.record.asrun_csv import asrun_csv, excel_csv, excel_text
from playlists.record.report import campaign_report
from playlists.settings import Settings
from playlists.store import Store

SUMMARY_COLUMNS = ("topic", "photos", "videos", "broadcasts", "shown", "report_by")
ITEM_COLUMNS = (
    "file", "kind", "topic", "caption", "taken_on", "added_by", "sha256", "bytes",
    "width", "height", "seconds",
)  # fmt: skip


@dataclasses.dataclass(frozen=True)
class Package:
    path: Path
    photos: int
    videos: int
    bytes: int


def export_package(store: Store, settings: Settings, out: Path, now: dt.datetime) -> Package:
    """Write the village's evidence package to out; nothing is left at out on failure."""
    check_target(out)
    everything = stored.list_items(store)
    summaries = topic_summaries(everything, topic_records(store, settings))
    with writing_package(out) as (folder, package):
        pdf = _report_pdf(store, settings, everything, summaries, folder, now)
        names = _add_media(package, settings, everything)
        _add_tables(package, store, settings, everything, summaries, names)
        package.write(pdf, "report.pdf", zipfile.ZIP_DEFLATED)
    photos = sum(1 for item in everything if item.kind == "photo")
    return Package(out, photos, len(everything) - photos, out.stat().st_size)


def _report_pdf(
    store: Store,
    settings: Settings,
    everything: list[EvidenceItem],
    summaries: list[TopicSummary],
    folder: Path,
    now: dt.datetime,
) -> Path:
    campaign = settings.campaign
    broadcasts = campaign_report(store, settings, campaign.start, campaign.end, now)
    thumbnails = {item.id: stored.thumbnail_path(settings, item) for item in everything}
    page = folder / "report.html"
    html = report_page(settings, everything, summaries, broadcasts.totals, thumbnails, now)
    page.write_text(html, encoding="utf-8")
    pdf = folder / "report.pdf"
    print_pdf(page, pdf)
    return pdf


def _add_media(
    package: zipfile.ZipFile, settings: Settings, everything: list[EvidenceItem]
) -> dict[int, str]:
    """Store each file (already compressed media) under a name that says day, topic and id."""
    names = {}
    for item in everything:
        suffix = item.file.rsplit(".", 1)[-1]
        folder = "videos" if item.kind == "video" else "photos"
        topic = name_part(item.topic)
        names[item.id] = f"{folder}/{item.taken_on.isoformat()}_{topic}_{item.id}.{suffix}"
        package.write(stored.file_path(settings, item), names[item.id], zipfile.ZIP_STORED)
    return names


def _add_tables(
    package: zipfile.ZipFile,
    store: Store,
    settings: Settings,
    everything: list[EvidenceItem],
    summaries: list[TopicSummary],
    names: dict[int, str],
) -> None:
    first, last = campaign_days(settings)
    rows = asrun.rows_between(store, *day_range(first, last, settings.tz))
    report_by = settings.campaign.report_by.isoformat()
    summary = excel_csv(
        SUMMARY_COLUMNS,
        (
            (
                excel_text(s.topic),
                s.photos,
                s.videos,
                s.record.broadcasts,
                s.record.shown,
                report_by,
            )
            for s in summaries
        ),
    )
    listing = excel_csv(ITEM_COLUMNS, (_item_row(item, names[item.id]) for item in everything))
    for name, text in (
        ("asrun.csv", asrun_csv(rows, settings.tz)),
        ("summary.csv", summary),
        ("items.csv", listing),
    ):
        package.writestr(name, text.encode("utf-8"), zipfile.ZIP_DEFLATED)


def _item_row(item: EvidenceItem, name: str) -> list[object]:
    seconds = f"{item.duration:.1f}" if item.duration is not None else ""
    day = item.taken_on.isoformat()
    return [
        name, item.kind, excel_text(item.topic), excel_text(item.caption), day,
        excel_text(item.added_by), item.sha256, item.bytes, item.width, item.height, seconds,
    ]  # fmt: skip
