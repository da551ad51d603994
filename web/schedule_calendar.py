"""The schedule page's calendar as plain data: every cell's broadcasts and marks, once.

A busy campaign puts well over a thousand broadcasts on the page. Their labels are
translated once per page (web/schedule_marks.py) and their marks worked out here,
so the cell template only loops over strings (Jinja still escapes each one), and
each cell is rendered once; a plan's cells are kept, and rendered again only when
what they show changes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import threading
import weakref
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import NamedTuple
from zoneinfo import ZoneInfo

from flask import current_app, url_for
from flask_babel import get_locale
from jinja2 import Template
from markupsafe import Markup

from playlists.clock import station_today
from playlists.model import Outcome, PlannedBroadcast, Priority
from playlists.schedule.calendar import Cell, Conflict, Grid
from web.formatting import duration
from web.plan_cache import Plan
from web.schedule_marks import DayLabel, Labels

FOLD_OVER = 3  # a cell with more broadcasts shows its counts, and lists them on a tap

Badge = tuple[str, str]  # CSS class, text
# Marks a folded cell counts, in this order; outcomes follow.
_COUNT_ORDER = {"mark-conflict": 0, "mark-review": 1, "mark-quiet": 2}


class Line(NamedTuple):  # a tuple: the template unpacks it instead of looking names up
    """One broadcast in a cell: when, what, and every mark it has."""

    css: str
    time: str
    name: str
    meta: str  # priority and length
    badges: tuple[Badge, ...]


@dataclasses.dataclass(frozen=True, slots=True)
class CellView:
    """One hour of one day's broadcasts, as the cell's body shows them."""

    lines: tuple[Line, ...]
    summary: str  # "Broadcasts: 14" when folded, else ""
    counts: tuple[Badge, ...]  # each mark with how many of its broadcasts have it
    day: str = ""  # a folded cell not listed here: the day (ISO) whose page lists it

    @property
    def folded(self) -> bool:
        return bool(self.summary)


@dataclasses.dataclass(frozen=True, slots=True)
class Slot:
    """One hour of one day on the page: its look, and its broadcasts rendered once."""

    css: str  # "past", "today" or "", and " quiet"
    quiet: bool  # the whole hour is in the quiet hours
    count: int  # broadcasts due in it
    body: Markup  # the rendered CellView; empty when nothing is due


@dataclasses.dataclass(frozen=True, slots=True)
class DayView:
    """One campaign day: its heading, and the hours that have something due (a day card)."""

    day: dt.date
    date: str
    weekday: str
    css: str  # "past", "today" or "", and " campaign"
    today: bool
    campaign: bool  # inside the configured campaign window (marked, not a limit)
    count: int  # broadcasts due that day
    slots: tuple[tuple[str, Slot], ...]  # (hour, the same slot as in the table)


@dataclasses.dataclass(frozen=True, slots=True)
class CalendarView:
    days: tuple[DayView, ...]
    rows: tuple[tuple[str, tuple[Slot, ...]], ...]  # (hour, one slot a day)


def started_before(now: dt.datetime, tz: ZoneInfo) -> Callable[[dt.datetime], bool]:
    """Return a test of whether an instant of the station's plan lies before `now`.

    The plan's instants are in the station's zone: against `now` in the same zone they
    compare by their fields, 20 times faster than across zones (which asks the zone
    for both offsets), and a month holds 15,000 of them. Only while `now` is a wall time
    the clock shows twice (the hour DST repeats) do fields mislead: then compare exactly.
    """
    local = now.astimezone(tz)
    if local.replace(fold=1 - local.fold).utcoffset() != local.utcoffset():
        return lambda instant: instant < now
    return lambda instant: instant < local


class Marker:
    """Work out each broadcast's line and each cell's view for one page."""

    def __init__(
        self,
        conflicts_of: Mapping[str, Sequence[Conflict]],
        outcomes: Mapping[str, Outcome],
        now: dt.datetime,
        tz: ZoneInfo,
        labels: Labels,
    ) -> None:
        self.conflicts_of = conflicts_of
        self.outcomes = outcomes
        self.now, self.tz, self.labels = now, tz, labels
        self.over = started_before(now, tz)
        self.metas: dict[tuple[Priority, float], str] = {}

    def counts(self, broadcasts: Iterable[PlannedBroadcast]) -> tuple[Badge, ...]:
        """Return each mark among the broadcasts with how many have it.

        A mark is the short form of what `line` marks a broadcast with; a month page
        counts them for 15,000 broadcasts, so they are counted here without lines.
        """
        labels, outcomes, conflicts_of, over = (
            self.labels, self.outcomes, self.conflicts_of, self.over
        )  # fmt: skip
        missed = ("outcome-missed", labels.no_record)
        quiet = ("mark-quiet", labels.quiet_short)
        review = ("mark-review", labels.unapproved_short)
        conflict = ("mark-conflict", labels.conflict_short)
        counts = Counter[Badge]()
        for b in broadcasts:  # each broadcast's marks in the order `line` gives them
            key = b.key
            status = outcomes.get(key)
            if status is not None:
                counts[f"outcome-{status.value}", labels.outcomes[status]] += 1
            else:
                if over(b.start):
                    counts[missed] += 1
                if b.quiet:
                    counts[quiet] += 1
                if b.unapproved:
                    counts[review] += 1
            if key in conflicts_of:
                counts[conflict] += 1
        return counted(counts)

    def line(self, b: PlannedBroadcast) -> tuple[Line, list[Badge]]:
        """Return a broadcast's line, and the short form of each mark for a cell's counts."""
        labels, key = self.labels, b.key
        status = self.outcomes.get(key)
        marks: list[Badge] = []
        # Once the log has its row, that is what happened; the marks say what will.
        if status is not None:
            marks.append((f"outcome-{status.value}", labels.outcomes[status]))
        elif self.over(b.start):
            marks.append(("outcome-missed", labels.no_record))
        badges = list(marks)
        if status is None and b.quiet:
            badges.append(("mark-quiet", labels.quiet))
            marks.append(("mark-quiet", labels.quiet_short))
        if status is None and b.unapproved:
            badges.append(("mark-review", labels.unapproved))
            marks.append(("mark-review", labels.unapproved_short))
        clashes = self.conflicts_of.get(key, ())
        if clashes:
            badges.extend(("mark-conflict", labels.conflict(c, key)) for c in clashes)
            marks.append(("mark-conflict", labels.conflict_short))
        local = b.start.astimezone(self.tz)
        css = "bc" + (" held" if b.held else "") + (" clash" if clashes else "")
        time = f"{local.hour:02d}:{local.minute:02d}"
        return Line(css, time, b.playlist_name, self.meta(b), tuple(badges)), marks

    def meta(self, b: PlannedBroadcast) -> str:
        seconds = (b.end - b.start).total_seconds()
        found = self.metas.get((b.priority, seconds))
        if found is None:
            found = f"{self.labels.priorities[b.priority]} · {duration(seconds)}"
            self.metas[b.priority, seconds] = found
        return found

    def cell(self, cell: Cell, listed: bool = True) -> CellView:
        """Return a cell's view; a crowded one lists its lines only when `listed`."""
        folded = len(cell.broadcasts) > FOLD_OVER
        summary = self.labels.broadcasts % {"n": len(cell.broadcasts)} if folded else ""
        if folded and not listed:  # its counts, and a link to the day that lists them
            return CellView((), summary, self.counts(cell.broadcasts), cell.day.isoformat())
        lines, counts = [], Counter[Badge]()
        for b in cell.broadcasts:
            line, marks = self.line(b)
            lines.append(line)
            counts.update(marks)
        return CellView(tuple(lines), summary, counted(counts) if folded else ())


def counted(counts: Counter[Badge]) -> tuple[Badge, ...]:
    ordered = sorted(counts.items(), key=lambda item: _COUNT_ORDER.get(item[0][0], 3))
    return tuple((css, f"{text} {n}") for (css, text), n in ordered)


RenderCell = Callable[[CellView], Markup]
CellKey = tuple[object, ...]


def day_css(day: dt.date, today: dt.date, campaign: tuple[dt.date, dt.date] | None) -> str:
    """Return a day's look: over, today or to come, and whether the campaign holds it."""
    css = "past" if day < today else "today" if day == today else ""
    if campaign is not None and campaign[0] <= day <= campaign[1]:
        css = f"{css} campaign".strip()
    return css


def build_calendar(
    grid: Grid,
    conflicts_of: Mapping[str, Sequence[Conflict]],
    outcomes: Mapping[str, Outcome],
    now: dt.datetime,
    tz: ZoneInfo,
    labels: Labels,
    day_label: DayLabel,
    render: RenderCell,
    kept: dict[CellKey, Markup] | None = None,
    campaign: tuple[dt.date, dt.date] | None = None,
    listed: bool = True,
) -> CalendarView:
    """Return the calendar of a grid: rows of slots and day cards, each cell rendered once.

    `kept` holds cells rendered before, by what they show besides the plan and the
    language: the day's look and each broadcast's logged outcome and due state. Such a
    cell is not worked out again; `kept` is left holding this calendar's cells.
    `campaign` (first and last day) marks the campaign's days. Unless `listed`, a
    crowded cell shows its counts and links to its day instead of listing its lines.
    """
    today = station_today(now, tz)
    looks = [day_css(d, today, campaign) for d in grid.days]
    marker = Marker(conflicts_of, outcomes, now, tz, labels)
    known = kept if kept is not None else {}
    used: dict[CellKey, Markup] = {}

    def slot(cell: Cell, css: str) -> Slot:
        css = f"{css} quiet" if cell.quiet else css
        body = Markup()
        if cell.broadcasts:
            key = (
                cell.day,
                cell.hour,
                css,
                *((outcomes.get(b.key), marker.over(b.start)) for b in cell.broadcasts),
            )
            found = used.get(key, known.get(key))
            body = used[key] = render(marker.cell(cell, listed)) if found is None else found
        return Slot(css, cell.quiet, len(cell.broadcasts), body)

    hours = [f"{hour:%H:%M}" for hour in grid.hours]
    rows = tuple(
        (hour, tuple(slot(cell, css) for cell, css in zip(row, looks, strict=True)))
        for hour, row in zip(hours, grid.rows, strict=True)
    )
    days = []
    for index, day in enumerate(grid.days):
        slots = tuple((hour, cells[index]) for hour, cells in rows if cells[index].count)
        date, weekday = day_label(day)
        count = sum(slot.count for _, slot in slots)
        in_campaign = "campaign" in looks[index]
        days.append(
            DayView(day, date, weekday, looks[index], day == today, in_campaign, count, slots)
        )
    if kept is not None:
        kept.clear()
        kept.update(used)
    return CalendarView(days=tuple(days), rows=rows)


# Cells rendered for a plan, by page language; they go with the plan once it is replaced.
_kept: weakref.WeakKeyDictionary[Plan, dict[str, dict[CellKey, Markup]]] = (
    weakref.WeakKeyDictionary()
)
_lock = threading.Lock()


def page_calendar(
    plan: Plan,
    first: dt.date,
    last: dt.date,
    outcomes: Mapping[str, Outcome],
    now: dt.datetime,
    day_label: DayLabel,
    campaign: tuple[dt.date, dt.date],
) -> CalendarView:
    """Return the calendar of days first..last of a plan, rendering only the cells that changed.

    A busy station's log changes a cell or two at a time: the cells kept from the
    last view of the same plan (a new plan for every change to what plays) in the same
    language are reused while their own broadcasts' outcomes and due states hold.
    """
    with _lock:
        kept = _kept.setdefault(plan, {}).setdefault(f"{get_locale()} {first} {last}", {})
    template = current_app.jinja_env.get_template("_schedule_cell.html")
    return build_calendar(
        plan.grid_of(first, last),
        plan.conflicts_of,
        outcomes,
        now,
        plan.tz,
        Labels.current(),
        day_label,
        functools.partial(_render_cell, template, url_for("schedule.index", view="day")),
        kept,
        campaign,
        listed=first == last,  # a day lists every broadcast; a week folds crowded hours
    )


def _render_cell(template: Template, day_page: str, view: CellView) -> Markup:
    """Render a cell; `day_page` is the address of a day's page, but for its date."""
    return Markup(template.render(cell=view, day_page=day_page))  # autoescaped: a .html template
