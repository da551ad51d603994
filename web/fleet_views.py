"""Town staff's view of the villages (/fleet), their broadcast report, and sharing playlists.

Admins and reviewers (the town's staff) see every village: when it was last in
touch, what it plays, its clock, and its campaign so far; the report per village,
day and playlist, on screen and as CSV; and which approved playlists are shared.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterable, Iterator

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response as BaseResponse

from playlists.content import playlist_table
from playlists.errors import ShareError, VillagecastError
from playlists.plan import day_range
from playlists.record.asrun_csv import BOM, excel_text
from playlists.record.tally import ReportLine
from playlists.settings import Settings
from playlists.store import Store
from playlists.town import emergency_log, emergency_send, fleet, sharing, villages
from web.asrun_filter import AsRunFilter, read_filter
from web.asrun_words import note_words
from web.auth import REVIEWER, role_required
from web.state import current_user, now, settings, store

bp = Blueprint("fleet", __name__, url_prefix="/fleet")

EMERGENCIES_SHOWN = 5  # the latest town emergencies, with how the villages answered

CSV_COLUMNS = (
    "village",
    "day",
    "playlist",
    "planned",
    "played",
    "missed",
    "skipped",
    "failed",
    "interrupted",
    "playing",
    "why_not",
)


@bp.app_template_global()
def unreadable_label(count: int) -> str:
    """Mark stored as-run rows the report could not read; the town's log names each."""
    return _("%(n)d unreadable records (see the log)", n=count)


@bp.app_template_global()
def is_town_panel() -> bool:
    """Say whether this panel serves villages: it has some, or signs what it shares.

    A village's own panel (one that takes playlists from a town) never is.
    """
    if settings().sync.town_url:
        return False
    return bool(settings().town.signing_key) or villages.has_villages(store())


def _campaign_window() -> tuple[AsRunFilter, list[str]]:
    campaign = settings().campaign
    return read_filter(request.args, (campaign.start, campaign.end))


@bp.get("")
@role_required(REVIEWER)
def index() -> str:
    campaign = settings().campaign
    start, end = day_range(campaign.start, campaign.end, settings().tz)
    statuses = fleet.village_statuses(store(), now(), start, end)
    return render_template(
        "fleet.html",
        statuses=statuses,
        stale_after=int(fleet.STALE_AFTER.total_seconds() // 60),
        campaign=campaign,
        shared=len(sharing.current_feed(store(), settings()).entries),
        emergencies=emergency_log.recent(store(), EMERGENCIES_SHOWN),
    )


def _report() -> tuple[AsRunFilter, list[ReportLine]]:
    chosen, errors = _campaign_window()
    for error in errors:
        flash(error, "error")
    start, end = day_range(chosen.first, chosen.last, settings().tz)
    return chosen, fleet.fleet_report(store(), settings().tz, start, end)


@bp.get("/report")
@role_required(REVIEWER)
def report() -> str:
    chosen, lines = _report()
    return render_template(
        "fleet_report.html",
        chosen=chosen,
        lines=lines,
        totals=fleet.totals(lines),
        generated_at=now(),
    )


@bp.get("/report.csv")
@role_required(REVIEWER)
def report_csv() -> Response:
    chosen, lines = _report()
    filename = f"villages-{chosen.first.isoformat()}-{chosen.last.isoformat()}.csv"
    return Response(
        csv_lines(lines),
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename={filename}"},
    )


def _cell(value: object) -> str:
    return excel_text(str(value))


def csv_lines(lines: Iterable[ReportLine]) -> Iterator[str]:
    """Yield the report as CSV with a byte-order mark, so Excel on Chinese Windows reads it."""
    # Rows are made now, in the request: the streamed body is written after it ends, when
    # the user's language is no longer known.
    rows = [_csv_row(line) for line in lines]
    return _csv_text(rows)


def _csv_text(rows: list[list[object]]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")  # Excel's line ends
    yield BOM
    header: list[object] = [*CSV_COLUMNS]
    for values in (header, *rows):
        writer.writerow(values)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


def _csv_row(line: ReportLine) -> list[object]:
    t = line.tally
    why = "; ".join(f"{note_words(r.reason)} × {r.count}" for r in line.reasons)
    if t.unreadable:
        why = "; ".join(filter(None, (why, unreadable_label(t.unreadable))))
    return [
        _cell(line.village),
        line.day.isoformat(),
        _cell(line.playlist_name),
        *(t.planned, t.played, t.missed, t.skipped, t.failed, t.interrupted, t.playing),
        _cell(why),
    ]


@bp.get("/playlists")
@role_required(REVIEWER)
def playlists() -> str:
    feed = sharing.current_feed(store(), settings())
    return render_template(
        "fleet_playlists.html",
        playlists=playlist_table.list_playlists(store()),
        shared=sharing.shared_ids(store()),
        versions={entry.id: entry.version for entry in feed.entries},
        problems=feed.problems,
    )


@bp.post("/playlists/<int:playlist_id>/share")
@role_required(REVIEWER)
def share(playlist_id: int) -> BaseResponse:
    return _change(playlist_id, _share_and_ask_to_poll, _shared)


def _share_and_ask_to_poll(
    db: Store, config: Settings, playlist_id: int, by: str, when: dt.datetime
) -> None:
    """Share, then ask the villages on the broker to sync soon (nothing if it is down)."""
    sharing.share(db, config, playlist_id, by, when)
    emergency_send.ask_villages_to_poll(config)


@bp.post("/playlists/<int:playlist_id>/unshare")
@role_required(REVIEWER)
def unshare(playlist_id: int) -> BaseResponse:
    return _change(playlist_id, sharing.unshare, _unshared)


def _shared(name: str) -> str:
    return _("“%(name)s” is now shared with the villages.", name=name)


def _unshared(name: str) -> str:
    return _("“%(name)s” is no longer shared; villages keep the copy they have.", name=name)


def _change(
    playlist_id: int, action: Callable[..., None], done: Callable[[str], str]
) -> BaseResponse:
    names = {row["id"]: row["name"] for row in playlist_table.list_playlists(store())}
    if playlist_id not in names:
        abort(404, _("That playlist does not exist (any more)."))
    try:
        action(store(), settings(), playlist_id, current_user().username, now())
    except ShareError as exc:
        flash(_share_error(exc), "error")
    except VillagecastError as exc:  # a bundle that cannot be made: the export says why
        flash(_("The playlist was not shared: %(reason)s", reason=str(exc)), "error")
    else:
        flash(done(names[playlist_id]), "info")
    return redirect(url_for("fleet.playlists"))


def _share_error(exc: ShareError) -> str:
    if exc.code == "NOT_PLAYABLE":
        return _("Only approved playlists are shared with villages.")
    if exc.code == "ALREADY_SHARED":
        return _("This playlist is already shared.")
    if exc.code == "NOT_SHARED":
        return _("This playlist is not shared.")
    return _("The playlist was not shared: %(reason)s", reason=str(exc))
