"""The schedule entry form: what the operator typed, and its strict reading."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import sqlite3
from collections.abc import Callable, Sequence
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict

from playlists.access import emergency_right
from playlists.errors import EmergencyRightError, ScheduleLimitError
from playlists.model import DEFAULT_WAIT, InterruptPolicy, Priority, ScheduleEntry
from playlists.schedule import limits
from playlists.schedule.limits import MAX_WAIT
from playlists.schedule.scheduling import ScheduleRequest
from playlists.settings import CampaignSettings
from web.api_fields import day_of
from web.schedule_messages import schedule_limit_message

_TIME = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")
# Commas and spaces, also as a Chinese keyboard types them.
_SEPARATORS = re.compile(r"[\s,，、;；]+")

POLICY_LABELS = {
    InterruptPolicy.RESUME: _l("resume where it stopped"),
    InterruptPolicy.RESTART: _l("play again from the start"),
    InterruptPolicy.SKIP: _l("give up (skip it)"),
}
# A new entry outside the campaign (or after it) runs a week from today by default.
DEFAULT_DAYS = dt.timedelta(days=6)
# Offered in this order; emergency only to users who may send emergencies.
PRIORITY_CHOICES = (Priority.SCHEDULED, Priority.IDLE, Priority.MANUAL, Priority.EMERGENCY)


class FormErrors(Exception):
    """The form cannot be saved; each message says what to fix."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__("; ".join(messages))
        self.messages = messages


@dataclasses.dataclass
class ScheduleForm:
    """The fields as text, so a rejected form shows again exactly as typed."""

    playlist_id: str = ""
    start: str = ""
    end: str = ""
    times: str = ""
    weekdays: frozenset[str] = frozenset(str(day) for day in range(7))
    priority: str = Priority.SCHEDULED.value
    on_interrupt: str = InterruptPolicy.RESUME.value
    wait: str = str(int(DEFAULT_WAIT))
    seen: str = ""  # fingerprint of the warnings the operator was shown

    @classmethod
    def blank(cls, campaign: CampaignSettings, today: dt.date) -> ScheduleForm:
        """Return a new entry's form: every day from today to the campaign's end (or a week)."""
        last = campaign.end if campaign.end > today else today + DEFAULT_DAYS
        return cls(start=today.isoformat(), end=last.isoformat())

    @classmethod
    def of_entry(cls, entry: ScheduleEntry) -> ScheduleForm:
        return cls(
            playlist_id=str(entry.playlist_id),
            start=entry.start.isoformat(),
            end=entry.end.isoformat(),
            times=", ".join(f"{time:%H:%M}" for time in entry.times),
            weekdays=frozenset(str(day) for day in entry.weekdays),
            priority=entry.priority.value,
            on_interrupt=entry.on_interrupt.value,
            wait=f"{entry.wait_seconds:g}",
        )

    @classmethod
    def of_request(cls, form: MultiDict[str, str]) -> ScheduleForm:
        """Read a posted form (a werkzeug MultiDict)."""
        return cls(
            playlist_id=form.get("playlist_id", "").strip(),
            start=form.get("start", "").strip(),
            end=form.get("end", "").strip(),
            times=form.get("times", "").strip()[:500],
            weekdays=frozenset(form.getlist("weekdays")),
            priority=form.get("priority", "").strip(),
            on_interrupt=form.get("on_interrupt", "").strip(),
            wait=form.get("wait", "").strip(),
            seen=form.get("seen", "").strip(),
        )


def parse_times(text: str) -> tuple[dt.time, ...]:
    """Read times of day written HH:MM, separated by commas or spaces; name a bad one."""
    tokens = [token for token in _SEPARATORS.split(text.replace("：", ":")) if token]
    if not tokens:
        raise FormErrors([_("Write at least one time of day, like 07:30.")])
    times = set()
    for token in tokens:
        match = _TIME.fullmatch(token)
        if match is None:
            message = _(
                "“%(value)s” is not a time of day: write times as HH:MM, like 07:30, 12:00, 18:30.",
                value=token,
            )
            raise FormErrors([message])
        times.add(dt.time(int(match[1]), int(match[2])))
    _within(limits.check_times, len(times))
    return tuple(sorted(times))


def parse(
    form: ScheduleForm, playlists: Sequence[sqlite3.Row], *, may_emergency: bool
) -> ScheduleRequest:
    """Check every field; raise FormErrors naming each problem, so nothing half-saves."""
    errors: list[str] = []

    def attempt(read: Any, *args: Any) -> Any:
        try:
            return read(*args)
        except FormErrors as exc:
            errors.extend(exc.messages)
            return None

    playlist_id = attempt(_playlist, form.playlist_id, playlists)
    start = attempt(_date, form.start, _("Write the first day as a date like 2023-03-28."))
    end = attempt(_date, form.end, _("Write the last day as a date like 2023-04-07."))
    if start and end:
        attempt(_date_range, start, end)
    times = attempt(parse_times, form.times)
    weekdays = attempt(_weekdays, form.weekdays)
    priority = attempt(_priority, form.priority, may_emergency)
    on_interrupt = attempt(_policy, form.on_interrupt)
    wait = attempt(_wait, form.wait)
    if errors:
        raise FormErrors(errors)
    return ScheduleRequest(playlist_id, start, end, times, weekdays, priority, on_interrupt, wait)


def _playlist(value: str, playlists: Sequence[sqlite3.Row]) -> int:
    if not value:
        raise FormErrors([_("Choose a playlist.")])
    found = next((p for p in playlists if str(p["id"]) == value), None)
    if found is None:
        raise FormErrors([_("That playlist does not exist (any more).")])
    if not found["schedulable"]:
        message = _(
            "Playlist “%(name)s” is a draft: send it for review first, then schedule it.",
            name=found["name"],
        )
        raise FormErrors([message])
    return int(found["id"])


def _date(value: str, message: str) -> dt.date:
    try:
        return day_of(value)
    except ValueError:
        raise FormErrors([message]) from None


def _date_range(start: dt.date, end: dt.date) -> None:
    if end < start:
        raise FormErrors(
            [_("The last day (%(end)s) is before the first day (%(start)s).", end=end, start=start)]
        )
    _within(limits.check_days, start, end)


def _weekdays(values: frozenset[str]) -> frozenset[int]:
    if not values:
        raise FormErrors([_("Tick at least one day of the week.")])
    if not values <= {str(day) for day in range(7)}:
        raise FormErrors([_("Choose days of the week from the list.")])
    return frozenset(int(value) for value in values)


def _priority(value: str, may_emergency: bool) -> Priority:
    try:
        priority = Priority(value)
    except ValueError:
        raise FormErrors([_("Choose a priority from the list.")]) from None
    try:
        emergency_right.check((priority,), may_emergency)
    except EmergencyRightError:
        raise FormErrors([_("Your account may not schedule emergency broadcasts.")]) from None
    return priority


def _policy(value: str) -> InterruptPolicy:
    try:
        return InterruptPolicy(value)
    except ValueError:
        raise FormErrors([_("Choose what happens after an interruption from the list.")]) from None


def _wait(value: str) -> float:
    if not re.fullmatch(r"\d{1,4}", value):
        raise FormErrors(
            [_("The wait must be a whole number of seconds from 0 to %(max)d.", max=MAX_WAIT)]
        )
    _within(limits.check_wait, float(value))
    return float(value)


def _within(check: Callable[..., None], *values: Any) -> None:
    """Ask the core's rule (schedule/limits.py); say what it refuses in the user's language."""
    try:
        check(*values)
    except ScheduleLimitError as exc:
        raise FormErrors([schedule_limit_message(exc)]) from None
