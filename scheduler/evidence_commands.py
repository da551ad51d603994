"""`villagecast evidence export --out FILE.zip`: the evidence package for the deadline.

On a village: its own photos, videos and records. On a town, with --village NAME or
--villages: what that village (or every village) sent.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from playlists.clock import utc_now
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
    town = export.add_mutually_exclusive_group()
    town.add_argument("--village", metavar="NAME", help="on a town: what this village sent")
    town.add_argument("--villages", action="store_true", help="on a town: every village")


def run(settings: Settings, args: argparse.Namespace) -> int:
    # Imported here: the packages draw pictures (Pillow), which `--help` does not need.
    from playlists.evidence.export import export_package
    from playlists.town.evidence_export import export_town_package

    store = Store.open(settings.db_path)
    now = utc_now()
    if args.village or args.villages:
        sent = export_town_package(store, settings, args.out, now, args.village)
        print(
            f"wrote {sent.path}: {sent.items} items of {sent.villages} villages, as-run, "
            f"summary and item CSV, report.pdf ({sent.bytes / 1e6:.1f} MB)"
        )
        return 0
    package = export_package(store, settings, args.out, now)
    print(
        f"wrote {package.path}: {package.photos} photos, {package.videos} videos, "
        f"as-run and summary CSV, report.pdf ({package.bytes / 1e6:.1f} MB)"
    )
    print(f"send it to the town by {settings.campaign.report_by.isoformat()}")
    return 0
