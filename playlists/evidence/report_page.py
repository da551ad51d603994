"""The A4 evidence report as one HTML page, printed to PDF for the town (media/pdf.py).

Every text from the store (captions, names, topics) is escaped here: the page is
built in Python without a template engine, so nothing enters it unescaped. The
report is a document for the town's civil-affairs office, so its words are Chinese.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
from collections.abc import Sequence
from html import escape
from pathlib import Path

from playlists.evidence.model import EvidenceItem
from playlists.evidence.system import TopicRecord
from playlists.record.tally import Tally
from playlists.settings import Settings

STYLE = """
@page { size: A4; margin: 15mm 14mm; }
body { font-family: "Noto Sans CJK SC", sans-serif; font-size: 10.5pt; color: #111; }
h1 { font-size: 17pt; margin: 0 0 4mm; } h2 { font-size: 13pt; margin: 6mm 0 2mm; }
table { width: 100%; border-collapse: collapse; margin: 0 0 3mm; }
th, td { border: 1px solid #777; padding: 1.2mm 2mm; text-align: left; vertical-align: top; }
td.n { text-align: right; }
.items { display: flex; flex-wrap: wrap; gap: 3mm; }
figure { width: 55mm; margin: 0; break-inside: avoid; }
figure img { width: 55mm; height: 40mm; object-fit: cover; border: 1px solid #999; }
figcaption { font-size: 9pt; overflow-wrap: anywhere; }
.late { color: #a00; font-weight: bold; }
"""


@dataclasses.dataclass(frozen=True)
class TopicSummary:
    topic: str
    photos: int
    videos: int
    record: TopicRecord


def topic_summaries(
    items: Sequence[EvidenceItem], records: Sequence[TopicRecord]
) -> list[TopicSummary]:
    """Count each topic's photos and videos beside the system's own record of it."""
    return [
        TopicSummary(
            r.topic,
            sum(1 for i in items if i.topic == r.topic and i.kind == "photo"),
            sum(1 for i in items if i.topic == r.topic and i.kind == "video"),
            r,
        )
        for r in records
    ]


def report_page(
    settings: Settings,
    items: Sequence[EvidenceItem],
    summaries: Sequence[TopicSummary],
    totals: Tally,
    thumbnails: dict[int, Path],
    now: dt.datetime,
) -> str:
    """Return the report's HTML: heading, per-topic table, broadcasts, and every item."""
    campaign = settings.campaign
    made = now.astimezone(settings.tz)
    late = made.date() > campaign.report_by
    parts = [
        "<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'>",
        f"<title>{escape(settings.station.name)} 活动影像资料</title>",
        f"<style>{STYLE}</style></head><body>",
        f"<h1>{escape(settings.station.name)} · {escape(campaign.name)} 活动影像资料</h1>",
        f"<p>宣传时间：{campaign.start.isoformat()} 至 {campaign.end.isoformat()}；"
        f"上报期限：{campaign.report_by.isoformat()}；"
        f"生成时间：{made.strftime('%Y-%m-%d %H:%M')}"
        + ("<span class='late'>（已过上报期限）</span>" if late else "")
        + "</p>",
        _topic_table(summaries),
        "<h2>定时广播</h2>",
        f"<p>计划 {totals.planned} 次，已播出 {totals.played} 次，"
        f"未播出 {totals.not_played} 次。</p>",
        _item_sections(items, thumbnails),
        "</body></html>",
    ]
    return "\n".join(parts)


def _topic_table(summaries: Sequence[TopicSummary]) -> str:
    rows = "".join(
        f"<tr><td>{escape(s.topic)}</td><td class='n'>{s.photos}</td><td class='n'>{s.videos}</td>"
        f"<td class='n'>{s.record.broadcasts}</td><td class='n'>{s.record.shown}</td></tr>"
        for s in summaries
    )
    return (
        "<h2>各主题汇总</h2><table><thead><tr><th>主题</th><th>照片</th><th>视频</th>"
        f"<th>广播次数</th><th>屏幕展示次数</th></tr></thead><tbody>{rows}</tbody></table>"
    )


def _item_sections(items: Sequence[EvidenceItem], thumbnails: dict[int, Path]) -> str:
    if not items:
        return "<h2>照片和视频</h2><p>暂无。</p>"
    figures = []
    for item in items:
        kind = "视频" if item.kind == "video" else "照片"
        picture = _data_uri(thumbnails[item.id]) if item.id in thumbnails else ""
        figures.append(
            f"<figure><img src='{picture}' alt=''><figcaption>{kind} · {escape(item.topic)}<br>"
            f"{escape(item.caption)}<br>{item.taken_on.isoformat()} · {escape(item.added_by)}"
            "</figcaption></figure>"
        )
    return f"<h2>照片和视频（{len(items)} 项）</h2><div class='items'>{''.join(figures)}</div>"


def _data_uri(path: Path) -> str:
    return "data:image/jpeg;base64," + base64.b64encode(path.read_bytes()).decode("ascii")
