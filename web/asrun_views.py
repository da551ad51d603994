"""The broadcast record: the as-run log filtered and paged, its CSV export and the town's report."""

from __future__ import annotations

import dataclasses
import datetime as dt

from flask import Blueprint, Response, abort, flash, render_template, request
from flask_babel import gettext as _

from playlists.clock import station_today
from playlists.content import playlist_table
from playlists.model import AsRunRow, Outcome
from playlists.plan import day_range
from playlists.record import asrun
from playlists.record.report import campaign_report
from web.asrun_export import csv_lines
from web.asrun_filter import AsRunFilter, quick_ranges, read_filter
from web.asrun_words import note_words
from web.auth import login_required
from web.formatting import OUTCOME_LABELS, PRIORITY_LABELS, translated
from web.paging import page_of
from web.plan_cache import plan_of
from web.state import now, settings, store

bp = Blueprint("asrun", __name__)

PAGE_SIZE = 100


def today() -> dt.date:
    return station_today(now(), settings().tz)


def filtered_rows(chosen: AsRunFilter, limit: int | None = None, offset: int = 0) -> list[AsRunRow]:
    start, end = day_range(chosen.first, chosen.last, settings().tz)
    return asrun.find(
        store(),
        start,
        end,
        playlist=chosen.playlist,
        status=chosen.status,
        limit=limit,
        offset=offset,
    )


def count_rows(chosen: AsRunFilter) -> int:
    start, end = day_range(chosen.first, chosen.last, settings().tz)
    return asrun.count(store(), start, end, playlist=chosen.playlist, status=chosen.status)


def playlist_names(chosen: AsRunFilter) -> list[str]:
    """Name the playlists to filter by: the stored ones, not every title in the log."""
    names = {row["name"] for row in playlist_table.list_playlists(store())}
    return sorted(names | {chosen.playlist} - {""})


def filter_from_request(flash_errors: bool) -> AsRunFilter:
    """Read the filter, today by default; a page flashes what was wrong, a download is refused."""
    chosen, errors = read_filter(request.args, (today(), today()))
    for error in errors:
        if not flash_errors:
            abort(400, error)
        flash(error, "error")
    return chosen


@bp.route("/asrun")
@login_required
def index() -> str:
    chosen = filter_from_request(flash_errors=True)
    total = count_rows(chosen)
    page, pages = page_of(request.args.get("page"), total, PAGE_SIZE)
    return render_template(
        "asrun.html",
        chosen=chosen,
        query=chosen.query(),
        rows=filtered_rows(chosen, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE),
        total=total,
        page=page,
        pages=pages,
        playlist_names=playlist_names(chosen),
        outcomes=list(Outcome),
        quick=quick_ranges(today(), settings().campaign),
        keep=chosen.kept(),
    )


def csv_header() -> list[str]:
    """Name the CSV's columns (playlists.record.asrun_csv.COLUMNS) in the reader's language."""
    return [
        _("Due"), _("Started"), _("Ended"), _("Playlist"), _("Priority"), _("Status"),
        _("Note"), _("Requested by"),
    ]  # fmt: skip


def csv_labels() -> dict[str, str]:
    """Say each priority and outcome as the panel does."""
    priorities = {p.value: label for p, label in translated(PRIORITY_LABELS).items()}
    outcomes = {o.value: label for o, label in translated(OUTCOME_LABELS).items()}
    return priorities | outcomes


@bp.route("/asrun.csv")
@login_required
def export_csv() -> Response:
    chosen = filter_from_request(flash_errors=False)
    rows = filtered_rows(chosen)
    filename = f"asrun-{chosen.first.isoformat()}-{chosen.last.isoformat()}.csv"
    words = {r.reason: note_words(r.reason) for r in rows}
    return Response(
        csv_lines(rows, settings().tz, words, csv_header(), csv_labels()),
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename={filename}"},
    )


@bp.route("/asrun/report")
@login_required
def report() -> str:
    chosen = filter_from_request(flash_errors=True)
    # The report covers every playlist and outcome: the town wants the whole picture.
    whole = dataclasses.replace(chosen, playlist="", status=None)
    return render_template(
        "asrun_report.html",
        report=campaign_report(
            store(),
            settings(),
            whole.first,
            whole.last,
            now(),
            plan_of(whole.first, whole.last).planned,
        ),
        query=whole.query(),
        chosen=whole,
        campaign=settings().campaign,
        quick=quick_ranges(today(), settings().campaign),
    )
