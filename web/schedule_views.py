"""The broadcast schedule: the campaign calendar, and adding, changing, removing entries."""

from __future__ import annotations

import datetime as dt
import hashlib
import sqlite3
from typing import Any

from babel.dates import format_skeleton
from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import format_date, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from playlists.access import emergency_right
from playlists.clock import station_today
from playlists.content import playlist_table
from playlists.errors import ContentError, NotFoundError, ScheduleLimitError
from playlists.model import Priority, ScheduleEntry
from playlists.record import asrun
from playlists.schedule import calendar, entry_table, scheduling
from playlists.schedule.scheduling import ScheduleRequest
from web.auth import OPERATOR, login_required, role_required
from web.formatting import translated
from web.plan_cache import shown_plan
from web.schedule_calendar import page_calendar, started_before
from web.schedule_form import (
    POLICY_LABELS,
    PRIORITY_CHOICES,
    FormErrors,
    ScheduleForm,
    parse,
)
from web.schedule_marks import Labels, conflict_rows
from web.schedule_messages import schedule_limit_message
from web.schedule_month import build_month
from web.state import now, settings, store

bp = Blueprint("schedule", __name__, url_prefix="/schedule")

MAX_LISTED = 60  # conflicts listed under the calendar; the calendar marks every one
VIEW_LABELS = {
    calendar.View.DAY: _l("By day"),
    calendar.View.WEEK: _l("By week"),
    calendar.View.MONTH: _l("By month"),
}


@bp.route("")
@login_required
def index() -> str:
    tz, campaign, instant = settings().tz, settings().campaign, now()
    shown = _asked_window(station_today(instant, tz))
    plan = shown_plan(shown.first, shown.last)
    context = _page_context()
    day_label = context["day_label"]
    broadcasts = plan.between(shown.first, shown.last)
    # Only what is due by now can have a row in the log (one playing starts at `now`).
    begun = started_before(instant + dt.timedelta(microseconds=1), tz)
    outcomes = asrun.statuses(store(), [b.key for b in broadcasts if begun(b.start)])
    window_days = (campaign.start, campaign.end)
    if shown.view is calendar.View.MONTH:
        month = build_month(
            shown.first, shown.last, broadcasts, plan.conflicts_of, outcomes, instant, tz,
            Labels.current(), window_days,
        )  # fmt: skip
        days = None
    else:
        days = page_calendar(
            plan, shown.first, shown.last, outcomes, instant, day_label, window_days
        )
        month = None
    conflicts = [c for c in plan.conflicts if shown.first <= c.day <= shown.last]
    return render_template(
        "schedule.html",
        shown=shown,
        heading=_window_heading(shown),
        calendar=days,
        month=month,
        views=translated(VIEW_LABELS),
        conflicts=conflict_rows(conflicts[:MAX_LISTED], tz, Labels.current(), day_label),
        more_conflicts=max(0, len(conflicts) - MAX_LISTED),
        entries=entry_table.schedule_entries(store()),
        **context,
    )


def _asked_window(today: dt.date) -> calendar.Window:
    """Return the window the address asks for: a view (week unless said) of a date (today)."""
    try:
        view = calendar.View(request.args.get("view") or calendar.View.WEEK)
    except ValueError:
        abort(400, _("Show the calendar by day, week or month."))
    asked = request.args.get("date") or today.isoformat()
    try:
        return calendar.window(view, dt.date.fromisoformat(asked))
    except ValueError:
        abort(
            400,
            _(
                "“%(date)s” is not a date the calendar shows: write it as 2024-03-28, "
                "between %(first)s and %(last)s.",
                date=asked,
                first=calendar.FIRST_DAY,
                last=calendar.LAST_DAY,
            ),
        )


def _window_heading(shown: calendar.Window) -> str:
    """Name the shown days in the page language: a day, a week's first and last, a month."""
    locale = get_locale()
    if shown.view is calendar.View.DAY:
        weekday = format_date(shown.day, "EEE")
        return f"{format_skeleton('yMMMd', shown.day, locale=locale)} {weekday}"
    if shown.view is calendar.View.MONTH:
        return format_skeleton("yMMMM", shown.day, locale=locale)
    first = format_skeleton("yMMMd", shown.first, locale=locale)
    return f"{first} – {format_skeleton('MMMd', shown.last, locale=locale)}"


def _page_context() -> dict[str, Any]:
    """Return what every schedule page shows: the campaign, today, and how to label things.

    Labels are translated once per page: a full campaign has hundreds of cells.
    """
    day_labels: dict[dt.date, tuple[str, str]] = {}

    def day_label(day: dt.date) -> tuple[str, str]:
        if day not in day_labels:
            day_labels[day] = _day_label(day)
        return day_labels[day]

    return {
        "campaign": settings().campaign,
        "quiet": settings().player.quiet,
        "now": now(),
        "today": station_today(now(), settings().tz),
        "day_label": day_label,
        "weekday_names": _weekday_names(),
        "policy_labels": translated(POLICY_LABELS),
    }


def _day_label(day: dt.date) -> tuple[str, str]:
    """Return a day's date and weekday in the page language, e.g. ("3月28日", "周二")."""
    return format_skeleton("MMMd", day, locale=get_locale()), format_date(day, "EEE")


def _weekday_names() -> list[str]:
    monday = dt.date(2023, 3, 27)  # any Monday: the names come from the page language
    return [format_date(monday + dt.timedelta(days=n), "EEE") for n in range(7)]


# -- adding and changing -------------------------------------------------------------


@bp.route("/new", methods=("GET", "POST"))
@role_required(OPERATOR)
def new() -> Response | str:
    if request.method == "GET":
        today = station_today(now(), settings().tz)
        form = ScheduleForm.blank(settings().campaign, today)
        form.playlist_id = request.args.get("playlist_id", "")  # "Schedule it" on a notice
        return _render_form(form, None)
    return _save(ScheduleForm.of_request(request.form), None)


@bp.route("/<int:schedule_id>/edit", methods=("GET", "POST"))
@role_required(OPERATOR)
def edit(schedule_id: int) -> Response | str:
    entry = _entry_or_404(schedule_id)
    if request.method == "GET":
        return _render_form(ScheduleForm.of_entry(entry), entry)
    return _save(ScheduleForm.of_request(request.form), entry)


def _entry_or_404(schedule_id: int) -> ScheduleEntry:
    try:
        return entry_table.get_schedule(store(), schedule_id)
    except NotFoundError:
        abort(404, _("There is no such schedule entry; it may have been removed."))


def _may_emergency() -> bool:
    return emergency_right.holds(g.user)


def _render_form(
    form: ScheduleForm,
    entry: ScheduleEntry | None,
    warnings: list[str] | None = None,
    conflicts: list[calendar.Conflict] | None = None,
) -> str:
    # Every playlist is listed: those awaiting review marked so, drafts greyed out with
    # what to do (an entry's own playlist stays choosable, so the form shows what is stored).
    choices = playlist_table.list_playlists(store())
    priorities = [p for p in PRIORITY_CHOICES if p is not Priority.EMERGENCY or _may_emergency()]
    context = _page_context()
    return render_template(
        "schedule_entry.html",
        form=form,
        entry=entry,
        playlists=choices,
        priorities=priorities,
        warnings=warnings or [],
        conflicts=conflict_rows(
            conflicts or [], settings().tz, Labels.current(), context["day_label"]
        ),
        **context,
    )


def _save(form: ScheduleForm, entry: ScheduleEntry | None) -> Response | str:
    playlists = playlist_table.list_playlists(store())
    try:
        parsed = parse(form, playlists, may_emergency=_may_emergency())
    except FormErrors as exc:
        for message in exc.messages:
            flash(message, "error")
        return _render_form(form, entry)
    playlist = next(p for p in playlists if p["id"] == parsed.playlist_id)
    candidate = _candidate(parsed, playlist, entry)
    conflicts = calendar.preview_conflicts(
        candidate, entry_table.schedule_entries(store()), settings().tz, settings().player.quiet
    )
    warnings = _warnings(parsed, conflicts)
    fingerprint = _fingerprint(parsed, conflicts) if warnings else ""
    if warnings and form.seen != fingerprint:
        # Nothing is stored: the operator sees what the entry would do and decides.
        form.seen = fingerprint
        return _render_form(form, entry, warnings, conflicts)
    try:
        schedule_id = _store_entry(parsed, entry)
    except NotFoundError:
        abort(404, _("There is no such schedule entry; it may have been removed."))
    except ScheduleLimitError as exc:
        flash(schedule_limit_message(exc), "error")
        return _render_form(form, entry)
    except ContentError as exc:  # the playlist went back to review since the form was read
        flash(_("The schedule entry was not saved: %(reason)s", reason=str(exc)), "error")
        return _render_form(form, entry)
    flash(_("The schedule entry for “%(name)s” is saved.", name=playlist["name"]), "info")
    if not playlist["playable"]:
        flash(
            _(
                "“%(name)s” awaits review: it plays only once a reviewer approves it.",
                name=playlist["name"],
            ),
            "info",
        )
    today = station_today(now(), settings().tz)
    # The calendar opens where the entry plays: this week, or the week it starts.
    shown = today if parsed.start <= today <= parsed.end else parsed.start
    return redirect(
        url_for("schedule.index", date=shown.isoformat(), _anchor=f"entry-{schedule_id}")
    )


def _candidate(
    parsed: ScheduleRequest, playlist: sqlite3.Row, entry: ScheduleEntry | None
) -> ScheduleEntry:
    """Return the entry as it would be stored (id 0 while it is new)."""
    return ScheduleEntry(
        id=entry.id if entry else 0,
        playlist_id=parsed.playlist_id,
        playlist_name=playlist["name"],
        start=parsed.start,
        end=parsed.end,
        times=parsed.times,
        weekdays=parsed.weekdays,
        priority=parsed.priority,
        duration=float(playlist["duration"]),
        on_interrupt=parsed.on_interrupt,
        wait_seconds=parsed.wait_seconds,
    )


def _outside_in_the_past(parsed: ScheduleRequest, today: dt.date) -> bool:
    """Tell whether days the entry has outside the campaign are already past.

    Days to come outside the campaign are the operator's plan, not a slip: no warning.
    """
    campaign = settings().campaign
    before = parsed.start < campaign.start and parsed.start < today
    first_after = max(parsed.start, campaign.end + dt.timedelta(days=1))
    after = parsed.end > campaign.end and first_after < today
    return before or after


def _warnings(parsed: ScheduleRequest, conflicts: list[calendar.Conflict]) -> list[str]:
    campaign = settings().campaign
    warnings = []
    if _outside_in_the_past(parsed, station_today(now(), settings().tz)):
        warnings.append(
            _(
                "The days %(start)s – %(end)s reach outside the campaign (%(first)s – %(last)s).",
                start=parsed.start,
                end=parsed.end,
                first=campaign.start,
                last=campaign.end,
            )
        )
    if conflicts:
        warnings.append(
            _("This entry would overlap other broadcasts %(n)d times.", n=len(conflicts))
        )
    return warnings


def _fingerprint(parsed: ScheduleRequest, conflicts: list[calendar.Conflict]) -> str:
    """Identify what the operator was warned about, so a changed form warns again."""
    parts = [repr(parsed)] + [f"{c.affected.key}>{c.by.key}:{c.effect}" for c in conflicts]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def _store_entry(request: ScheduleRequest, entry: ScheduleEntry | None) -> int:
    """Add or change the entry (the core checks, writes and audits it)."""
    user, may_emergency = g.user.username, _may_emergency()
    if entry is None:
        return scheduling.add(store(), request, user, now(), may_emergency=may_emergency).id
    return scheduling.change(
        store(), entry.id, request, user, now(), may_emergency=may_emergency
    ).id


# -- removing ------------------------------------------------------------------------


@bp.route("/<int:schedule_id>/remove", methods=("GET", "POST"))
@role_required(OPERATOR)
def remove(schedule_id: int) -> Response | str:
    entry = _entry_or_404(schedule_id)
    if request.method == "POST":
        if request.form.get("confirm") != "yes":
            flash(_("Tick the box to confirm that the entry should be removed."), "error")
        else:
            try:
                scheduling.delete(store(), schedule_id, g.user.username, now())
            except NotFoundError:
                abort(404, _("There is no such schedule entry; it may have been removed."))
            flash(
                _("The schedule entry for “%(name)s” is removed.", name=entry.playlist_name), "info"
            )
            return redirect(url_for("schedule.index"))
    return render_template("schedule_remove.html", entry=entry, **_page_context())
