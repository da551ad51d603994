"""`villagecast evidence export --out FILE.zip`: the village's evidence package for the town."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from playlists.evidence.export import export_package
from playlists.settings import Settings
from playlists.store import Store

COMMAND = "evidence"


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `evidence export` to the `villagecast` parser."""
    evidence = sub.add_parser(COMMAND, help="the campaign's photos and videos (活动影像)")
    actions = evidence.add_subparsers(dest="evidence_command", required=True, metavar="ACTION")
    export = actions.add_parser(
        "export",
        help="write photos, videos, as-run CSV, summary CSV and the A4 PDF report into a zip",
    )
    export.add_argument("--out", type=Path, required=True, help="the zip file to write")


def run(settings: Settings, args: argparse.Namespace) -> int:
    store = Store.open(settings.db_path)
    package = export_package(store, settings, args.out, dt.datetime.now(dt.UTC))
    print(
        f"wrote {package.path}: {package.photos} photos, {package.videos} videos, "
        f"as-run and summary CSV, report.pdf ({package.bytes / 1e6:.1f} MB)"
    )
    print(f"send it to the town by {settings.campaign.report_by.isoformat()}")
    return 0
