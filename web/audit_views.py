"""The audit log (操作记录): who changed, approved, played or stopped what, and when.

Admins read it filtered by user, action and station day, a page of rows at a time
(filtered and paged in SQL: the log grows all campaign), and download it as CSV.
Log-ins, log-outs and failed log-ins are recorded here too (`record_session`).
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
from collections.abc import Iterator, Mapping
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, abort, flash, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from playlists.access import users
from playlists.clock import station_iso
from playlists.plan import day_range
from playlists.record import audit
from playlists.record.asrun_csv import BOM, excel_text
from playlists.store import Store
from web.api_fields import day_of
from web.auth import ADMIN, role_required
from web.paging import page_of
from web.state import now, settings, store

bp = Blueprint("audit", __name__)

PAGE_SIZE = 100
CSV_CHUNK = 1000
MAX_TRIED_NAME = 64  # a failed log-in may send anything as the name; keep the row short
COLUMNS = ("time", "user", "action", "subject", "subject_id", "detail")

# Known actions in the user's language; an action added later shows as its verb.
ACTION_LABELS = {
    "create": _l("created"),
    "edit": _l("changed"),
    "delete": _l("deleted"),
    "import": _l("imported"),
    "voice": _l("voice replaced"),
    "revoice": _l("spoken again with a better voice"),
    "schedule": _l("added to the schedule"),
    "unschedule": _l("removed from the schedule"),
    "reorder": _l("reordered"),
    "add": _l("item added"),
    "remove": _l("item removed"),
    "archive": _l("archived"),
    "restore": _l("restored from the archive"),
    "share": _l("shared"),
    "unshare": _l("sharing stopped"),
    "revoke": _l("revoked"),
    "sync": _l("received from the town"),
    "submit": _l("sent for review"),
    "approve": _l("approved"),
    "reject": _l("sent back"),
    "play": _l("played now"),
    "stop": _l("stopped"),
    "skip": _l("skipped"),
    "disable": _l("disabled"),
    "enable": _l("enabled"),
    "reset": _l("password reset"),
    "login": _l("logged in"),
    "logout": _l("logged out"),
    "login_failed": _l("log-in failed"),
}
SUBJECT_LABELS = {
    "announcement": _l("announcement"),
    "playlist": _l("playlist"),
    "schedule": _l("schedule entry"),
    "command": _l("command to the player"),
    "user": _l("user"),
    "token": _l("API token"),
}


@bp.app_template_filter("audit_action_label")
def action_label(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))


@bp.app_template_filter("audit_subject_label")
def subject_label(subject: str) -> str:
    return str(SUBJECT_LABELS.get(subject, subject))


def record_session(action: str, username: str, user_id: int | None = None) -> None:
    """Record a log-in, log-out or failed log-in with the address it came from."""
    if action == audit.FAILED_LOGIN:
        address = request.remote_addr or "unknown address"
        days = settings().panel.failed_login_days
        audit.record_failed_login(store(), username[:MAX_TRIED_NAME], address, now(), days)
        return
    audit.record(
        store(),
        username[:MAX_TRIED_NAME],
        action,
        now(),
        subject="user",
        subject_id=user_id,
        detail=f"from {request.remote_addr or 'unknown address'}",
    )


@dataclasses.dataclass(frozen=True)
class AuditFilter:
    username: str = ""
    action: str = ""
    day: dt.date | None = None  # a station day, or None for every day

    def query(self) -> dict[str, str]:
        """Return the filter as query parameters, for links that keep it."""
        values = {"user": self.username, "action": self.action}
        if self.day is not None:
            values["day"] = self.day.isoformat()
        return {key: value for key, value in values.items() if value}

    def sql(self, tz: ZoneInfo) -> dict[str, Any]:
        """Return the keyword arguments of audit.rows and audit.count."""
        since, until = day_range(self.day, self.day, tz) if self.day else (None, None)
        return {
            "username": self.username or None,
            "action": self.action or None,
            "since": since,
            "until": until,
        }


def read_filter(args: Mapping[str, str]) -> tuple[AuditFilter, str | None]:
    """Read the filter from query parameters; a bad day is dropped and named in the error."""
    username = (args.get("user") or "").strip()
    action = (args.get("action") or "").strip()
    text = (args.get("day") or "").strip()
    if not text:
        return AuditFilter(username, action), None
    try:
        return AuditFilter(username, action, day_of(text)), None
    except ValueError:
        return AuditFilter(username, action), _("Write the day as a date like 2023-03-28.")


@bp.route("/audit")
@role_required(ADMIN)
def index() -> str:
    chosen, error = read_filter(request.args)
    if error:
        flash(error, "error")
    where = chosen.sql(settings().tz)
    total = audit.count(store(), **where)
    page, pages = page_of(request.args.get("page"), total, PAGE_SIZE)
    rows = audit.rows(store(), **where, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    known_actions = audit.actions(store())
    return render_template(
        "audit.html",
        chosen=chosen,
        query=chosen.query(),
        rows=rows,
        total=total,
        page=page,
        pages=pages,
        actions=sorted(set(known_actions) | {chosen.action} - {""}),
        usernames=[user.username for user in users.list_users(store())],
    )


def _cell(value: str) -> str:
    return excel_text(value)


def csv_lines(source: Store, where: dict[str, Any], tz: ZoneInfo) -> Iterator[str]:
    """Yield the filtered log as CSV, newest first, reading it from SQL a chunk at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")  # Excel's line ends
    writer.writerow(COLUMNS)
    yield BOM + buffer.getvalue()
    below: int | None = None  # rows are only added, so ids below the last one seen are stable
    offset = 0
    while chunk := audit.rows(source, **where, limit=CSV_CHUNK, offset=offset):
        offset += len(chunk)
        buffer.seek(0)
        buffer.truncate()
        for row in chunk:
            if below is not None and row.id >= below:
                continue  # a row added meanwhile pushed this one into the next chunk
            below = row.id
            at = station_iso(row.at, tz)
            subject_id = "" if row.subject_id is None else str(row.subject_id)
            texts = (row.username, row.action, row.subject)
            writer.writerow([at, *map(_cell, texts), subject_id, _cell(row.detail)])
        yield buffer.getvalue()


@bp.route("/audit.csv")
@role_required(ADMIN)
def export_csv() -> Response:
    chosen, error = read_filter(request.args)
    if error:
        abort(400, error)
    name = f"audit-{chosen.day.isoformat()}.csv" if chosen.day else "audit.csv"
    return Response(
        csv_lines(store(), chosen.sql(settings().tz), settings().tz),
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename={name}"},
    )
