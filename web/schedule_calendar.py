"""The schedule page's calendar as plain data: every cell's broadcasts and marks, once.

A busy campaign puts well over a thousand broadcasts on the page. Their labels are
translated once per page and their marks worked out here, so the template only
loops over strings (Jinja still escapes each one) and renders each cell once; the
rendered calendar is kept while nothing it shows changes.
"""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
import threading
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import NamedTuple
from zoneinfo import ZoneInfo

from flask import render_template
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup

from playlists.calendar import Cell, Conflict, Effect, Grid, build_grid
from playlists.model import InterruptPolicy, Outcome, PlannedBroadcast, Priority, QuietHours
from web.formatting import OUTCOME_LABELS, PRIORITY_LABELS, duration, translated
from web.plan_cache import Plan
from web.schedule_form import POLICY_LABELS

FOLD_OVER = 3  # a cell with more broadcasts shows its counts, and lists them on a tap

Badge = tuple[str, str]  # CSS class, text
DayLabel = Callable[[dt.date], tuple[str, str]]  # a day's date and weekday, as shown
# Marks a folded cell counts, in this order; outcomes follow.
_COUNT_ORDER = {"mark-conflict": 0, "mark-review": 1, "mark-quiet": 2}


@dataclasses.dataclass(frozen=True)
class Labels:
    """What the calendar says, in the page's language: translated once per page."""

    priorities: Mapping[Priority, str]
    outcomes: Mapping[Outcome, str]
    policies: Mapping[InterruptPolicy, str]
    no_record: str
    quiet: str  # a broadcast's mark, and the short form a folded cell counts
    quiet_short: str
    unapproved: str
    unapproved_short: str
    conflict_short: str
    waits: str  # templates for a conflict's mark, with %(name)s (and %(wait)s, %(policy)s)
    skipped: str
    cut: str
    overlaps: str
    broadcasts: str  # "Broadcasts: %(n)d"

    @classmethod
    def current(cls) -> Labels:
        """Return the labels in this request's language."""
        return cls(
            priorities=translated(PRIORITY_LABELS),
            outcomes=translated(OUTCOME_LABELS),
            policies=translated(POLICY_LABELS),
            no_record=_("no record"),
            quiet=_("quiet hours: will be skipped"),
            quiet_short=_("quiet hours"),
            unapproved=_("awaiting review: will be skipped"),
            unapproved_short=_("awaiting review"),
            conflict_short=_("conflict"),
            # No variables given: gettext returns the template, filled in per conflict.
            waits=_("conflict: waits %(wait)s for %(name)s"),
            skipped=_("conflict: skipped, %(name)s is on air"),
            cut=_("conflict: cut by %(name)s, then: %(policy)s"),
            overlaps=_("conflict: overlaps %(name)s"),
            broadcasts=_("Broadcasts: %(n)d"),
        )

    def conflict(self, conflict: Conflict, key: str) -> str:
        """Say what a conflict does to the broadcast with this occurrence key."""
        if conflict.affected.key != key:
            return self.overlaps % {"name": conflict.affected.playlist_name}
        name = conflict.by.playlist_name
        if conflict.effect is Effect.WAITS:
            return self.waits % {"wait": duration(conflict.wait), "name": name}
        if conflict.effect is Effect.SKIPPED:
            return self.skipped % {"name": name}
        policy = self.policies[conflict.affected.on_interrupt]
        return self.cut % {"name": name, "policy": policy}


class Line(NamedTuple):  # a tuple: the template unpacks it instead of looking names up
    """One broadcast in a cell: when, what, and every mark it has."""

    css: str
    time: str
    name: str
    meta: str  # priority and length
    badges: tuple[Badge, ...]


@dataclasses.dataclass(frozen=True, slots=True, eq=False)  # eq=False: a cell keys by identity
class CellView:
    """One hour of one day, as the table and the day card show it."""

    css: str
    quiet: bool
    lines: tuple[Line, ...]
    summary: str  # "Broadcasts: 14" when folded, else ""
    counts: tuple[Badge, ...]  # each mark with how many of its broadcasts have it

    @property
    def folded(self) -> bool:
        return bool(self.summary)


@dataclasses.dataclass(frozen=True, slots=True)
class DayView:
    """One campaign day: its heading, and the hours that have something due (a day card)."""

    day: dt.date
    date: str
    weekday: str
    css: str  # "past", "today" or ""
    today: bool
    count: int  # broadcasts due that day
    slots: tuple[tuple[str, CellView], ...]  # (hour, cell)


@dataclasses.dataclass(frozen=True, slots=True)
class CalendarView:
    days: tuple[DayView, ...]
    rows: tuple[tuple[str, tuple[CellView, ...]], ...]  # (hour, one cell a day)


@dataclasses.dataclass(frozen=True, slots=True)
class ConflictRow:
    """One conflict in the list under the calendar, or before saving an entry."""

    day: str
    time: str
    name: str
    priority: str
    text: str


class _Marker:
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
        self.metas: dict[tuple[Priority, float], str] = {}

    def line(self, b: PlannedBroadcast) -> tuple[Line, list[Badge]]:
        """Return a broadcast's line, and the short form of each mark for a cell's counts."""
        labels, key = self.labels, b.key
        status = self.outcomes.get(key)
        marks: list[Badge] = []
        # Once the log has its row, that is what happened; the marks say what will.
        if status is not None:
            marks.append((f"outcome-{status.value}", labels.outcomes[status]))
        elif b.start < self.now:
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

    def cell(self, cell: Cell, day_css: str) -> CellView:
        lines, counts = [], Counter[Badge]()
        for b in cell.broadcasts:
            line, marks = self.line(b)
            lines.append(line)
            counts.update(marks)
        folded = len(lines) > FOLD_OVER
        return CellView(
            css=f"{day_css} quiet" if cell.quiet else day_css,
            quiet=cell.quiet,
            lines=tuple(lines),
            summary=self.labels.broadcasts % {"n": len(lines)} if folded else "",
            counts=_counted(counts) if folded else (),
        )


def _counted(counts: Counter[Badge]) -> tuple[Badge, ...]:
    ordered = sorted(counts.items(), key=lambda item: _COUNT_ORDER.get(item[0][0], 3))
    return tuple((css, f"{text} {n}") for (css, text), n in ordered)


def build_calendar(
    grid: Grid,
    conflicts_of: Mapping[str, Sequence[Conflict]],
    outcomes: Mapping[str, Outcome],
    now: dt.datetime,
    tz: ZoneInfo,
    labels: Labels,
    day_label: DayLabel,
) -> CalendarView:
    """Return the calendar of a grid (conflicts indexed by occurrence key): rows and day cards."""
    today = now.astimezone(tz).date()
    day_css = ["past" if d < today else "today" if d == today else "" for d in grid.days]
    marker = _Marker(conflicts_of, outcomes, now, tz, labels)
    hours = [f"{hour:%H:%M}" for hour in grid.hours]
    rows = tuple(
        (hour, tuple(marker.cell(cell, css) for cell, css in zip(row, day_css, strict=True)))
        for hour, row in zip(hours, grid.rows, strict=True)
    )
    days = []
    for index, day in enumerate(grid.days):
        slots = tuple((hour, cells[index]) for hour, cells in rows if cells[index].lines)
        date, weekday = day_label(day)
        count = sum(len(cell.lines) for _, cell in slots)
        days.append(DayView(day, date, weekday, day_css[index], day == today, count, slots))
    return CalendarView(days=tuple(days), rows=rows)


KEPT = 2  # rendered calendars kept: one a page language, as a rule
_rendered: dict[tuple[object, ...], Markup] = {}
_lock = threading.Lock()


def render_calendar(
    plan: Plan,
    outcomes: Mapping[str, Outcome],
    now: dt.datetime,
    first: dt.date,
    last: dt.date,
    quiet: QuietHours | None,
    day_label: DayLabel,
) -> Markup:
    """Render the calendar of days first..last, or return it as rendered before.

    A kept calendar is never stale: its key holds all it shows. That is the plan (a
    new one for every change to what plays), what the log says of each broadcast,
    which of them are due (the plan is in time order, so their number tells), the
    day, and the page language.
    """
    due = bisect.bisect_left(plan.planned, now, key=lambda b: b.start)
    logged = tuple(outcomes.get(b.key) for b in plan.planned)
    today = now.astimezone(plan.tz).date()
    key = (plan, first, last, quiet, logged, due, today, str(get_locale()))
    with _lock:
        found = _rendered.get(key)
    if found is None:
        grid = build_grid(plan.planned, first, last, plan.tz, quiet)
        view = build_calendar(
            grid, plan.conflicts_of, outcomes, now, plan.tz, Labels.current(), day_label
        )
        found = Markup(render_template("_schedule_calendar.html", calendar=view))
        with _lock:
            _rendered[key] = found
            while len(_rendered) > KEPT:
                del _rendered[next(iter(_rendered))]  # the oldest
    return found


def conflict_rows(
    conflicts: Sequence[Conflict], tz: ZoneInfo, labels: Labels, day_label: DayLabel
) -> list[ConflictRow]:
    """Return a list of conflicts as each affected broadcast sees it."""
    rows = []
    for c in conflicts:
        date, weekday = day_label(c.day)
        rows.append(
            ConflictRow(
                day=f"{date} {weekday}",
                time=f"{c.affected.start.astimezone(tz):%H:%M}",
                name=c.affected.playlist_name,
                priority=labels.priorities[c.affected.priority],
                text=labels.conflict(c, c.affected.key),
            )
        )
    return rows
