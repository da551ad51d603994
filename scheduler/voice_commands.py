"""`villagecast revoice`: speak saved announcements again with a better engine.

Each changed announcement goes back to draft for review, audited as ``revoice`` by
``cli:<login name>``; operators' own recordings are never touched.
"""

from __future__ import annotations

import argparse
import dataclasses
import getpass
from typing import TYPE_CHECKING

from playlists.settings import TTS_ENGINES, Settings
from playlists.store import Store

if TYPE_CHECKING:  # speech engines: imported when the command runs, not for `--help`
    from playlists.content.revoice import Revoiced, RevoiceReport


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `revoice` to the `villagecast` parser."""
    cmd = sub.add_parser(
        "revoice",
        help="speak announcements made by a worse engine again; changed ones go back to review",
    )
    cmd.add_argument(
        "--engine",
        choices=TTS_ENGINES,
        help="speak with this engine only (default: the first of tts.engines that answers)",
    )
    cmd.add_argument(
        "--all",
        dest="everything",
        action="store_true",
        help="speak every announcement again, not only those from a worse engine",
    )
    cmd.add_argument("--dry-run", action="store_true", help="only list what would be re-voiced")


def run(settings: Settings, args: argparse.Namespace) -> int:
    """Re-voice the library and print each change and the counts."""
    from playlists.content.ingest import Ingest, chain_from_settings
    from playlists.content.revoice import revoice

    if args.engine:
        tts = dataclasses.replace(settings.tts, engines=(args.engine,))
        settings = dataclasses.replace(settings, tts=tts)
    ingest = Ingest(Store.open(settings.db_path), settings, chain_from_settings(settings))
    report = revoice(
        ingest, f"cli:{getpass.getuser()}", everything=args.everything, dry_run=args.dry_run
    )
    for found in report.changed:
        print(_line(found, args.dry_run))
    for found in report.kept:
        print(f"#{found.announcement_id} {found.title}: kept ({found.old_engine}, no better clip)")
    print(_summary(report, args.dry_run))
    return 0


def _line(found: Revoiced, dry_run: bool) -> str:
    after = "would be spoken again" if dry_run else found.new_engine
    return f"#{found.announcement_id} {found.title}: {found.old_engine} → {after}"


def _summary(report: RevoiceReport, dry_run: bool) -> str:
    recordings = f"{report.recordings} recording(s) left alone"
    if dry_run:
        return f"would re-voice {len(report.changed)} announcement(s); {recordings}"
    return (
        f"re-voiced {len(report.changed)} announcement(s), each back to draft for review; "
        f"{len(report.kept)} kept; {recordings}"
    )
