"""Reading API requests strictly: a JSON object with known fields of the right types.

Anything else is a 400 whose message names the field, before anything is changed,
so a script learns exactly what to fix.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import Callable, Collection, Mapping
from enum import StrEnum
from typing import Any, TypeVar

from flask import abort, request
from flask.json.provider import DefaultJSONProvider
from flask_babel import gettext as _
from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter

from playlists.errors import ScheduleLimitError
from playlists.model import DEFAULT_WAIT, InterruptPolicy, Priority
from playlists.schedule import limits
from playlists.schedule.limits import MAX_TIMES, MAX_WAIT
from playlists.schedule.scheduling import ScheduleRequest
from web.schedule_messages import schedule_limit_message

E = TypeVar("E", bound=StrEnum)

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_ID = re.compile(r"[0-9]{1,19}")
# Days a request may name: a station's campaigns fall well inside, and a day after
# the last still has a next day (9999-12-31 has none, 0001-01-01 no UTC instant).
FIRST_DAY = dt.date(2000, 1, 1)
LAST_DAY = dt.date(2099, 12, 31)
MAX_ID = 2**63 - 1  # SQLite's largest integer: a bigger one is no row's id
_CLOCK = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")


def day_of(text: str | None) -> dt.date:
    """Read a day written YYYY-MM-DD from 2000 to 2099; ValueError for anything else."""
    if text is None or not _DATE.fullmatch(text):
        raise ValueError(text)
    day = dt.date.fromisoformat(text)
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValueError(text)
    return day


def id_of(text: str) -> int:
    """Read an id written in ASCII digits that a row could have; ValueError otherwise."""
    if not _ID.fullmatch(text) or not 0 < int(text) <= MAX_ID:
        raise ValueError(text)
    return int(text)


class IdConverter(IntegerConverter):
    """The ``<int:...>`` of every route: an id past SQLite's integers is a 400, not a 500."""

    def to_python(self, value: str) -> int:
        number = super().to_python(value)
        if not isinstance(number, int) or number > MAX_ID:
            raise BadRequest(_("That number is too large to name anything."))
        return number


class BoundedJSONProvider(DefaultJSONProvider):
    """Parse JSON bodies so that nesting too deep is bad JSON (a 400), not a crash."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("JSON nested too deep") from None


def json_object(allowed: Collection[str], required: Collection[str] = ()) -> dict[str, Any]:
    """Return the request's JSON object; refuse other bodies, unknown and missing fields."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        abort(400, _("Send a JSON object with the header Content-Type: application/json."))
    for key in body:
        if key not in allowed:
            abort(
                400,
                _(
                    "Unknown field %(field)s; allowed: %(allowed)s.",
                    field=key,
                    allowed=", ".join(sorted(allowed)),
                ),
            )
    for key in sorted(required):
        if key not in body:
            abort(400, _("The field %(field)s is missing.", field=key))
    return body


def optional_object(allowed: Collection[str] = ()) -> dict[str, Any]:
    """Return the request's JSON object, or {} when the request has no body at all."""
    if not request.get_data(cache=True):
        return {}
    return json_object(allowed)


def text(
    body: Mapping[str, object], key: str, limit: int | None = None, *, required: bool = False
) -> str:
    """Return a text field, stripped; empty when it is optional and absent."""
    value = body.get(key, "")
    if not isinstance(value, str):
        abort(400, _("%(field)s must be text.", field=key))
    value = value.strip()
    if required and not value:
        abort(400, _("%(field)s must not be empty.", field=key))
    if limit is not None and len(value) > limit:
        abort(400, _("%(field)s may have at most %(max)d characters.", field=key, max=limit))
    return value


def positive_id(body: Mapping[str, object], key: str) -> int | None:
    """Return an id field, None when absent."""
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_ID:
        abort(400, _("%(field)s must be a positive whole number.", field=key))
    return value


def query_int(key: str, default: int, low: int, high: int) -> int:
    """Return a whole number from the query string, within [low, high]."""
    raw = request.args.get(key)
    if raw is None or raw == "":
        return default
    if not re.fullmatch(r"\d{1,9}", raw) or not low <= int(raw) <= high:
        abort(
            400,
            _(
                "%(field)s must be a whole number from %(min)d to %(max)d.",
                field=key,
                min=low,
                max=high,
            ),
        )
    return int(raw)


SCHEDULE_FIELDS = {
    "playlist_id",
    "start",
    "end",
    "times",
    "weekdays",
    "priority",
    "on_interrupt",
    "wait_seconds",
}


def schedule_request() -> ScheduleRequest:
    """Read a new schedule entry from the request body."""
    body = json_object(SCHEDULE_FIELDS, {"playlist_id", "start", "end", "times"})
    playlist_id = positive_id(body, "playlist_id")
    assert playlist_id is not None  # required above
    start, end = _date(body, "start"), _date(body, "end")
    if end < start:
        abort(400, _("'end' must not be before 'start'."))
    _within(limits.check_days, start, end)
    return ScheduleRequest(
        playlist_id=playlist_id,
        start=start,
        end=end,
        times=_times(body.get("times")),
        weekdays=_weekdays(body.get("weekdays", list(range(7)))),
        priority=_choice(body, "priority", Priority, Priority.SCHEDULED),
        on_interrupt=_choice(body, "on_interrupt", InterruptPolicy, InterruptPolicy.RESUME),
        wait_seconds=_wait(body.get("wait_seconds", DEFAULT_WAIT)),
    )


def _date(body: Mapping[str, object], key: str) -> dt.date:
    value = body.get(key)
    if isinstance(value, str):
        with contextlib.suppress(ValueError):  # 2023-02-30 and the like fall through to 400
            return day_of(value)
    abort(400, _("%(field)s must be a date written YYYY-MM-DD, like 2023-03-28.", field=key))


def _times(value: object) -> tuple[dt.time, ...]:
    if (
        not isinstance(value, list)
        or not 0 < len(value) <= MAX_TIMES
        or not all(isinstance(t, str) and _CLOCK.fullmatch(t) for t in value)
    ):
        abort(
            400,
            _(
                'times must be a list of 1 to %(max)d times written HH:MM, like ["07:30"].',
                max=MAX_TIMES,
            ),
        )
    return tuple(sorted({dt.time.fromisoformat(t) for t in value}))


def _weekdays(value: object) -> frozenset[int]:
    if (
        not isinstance(value, list)
        or not value
        or not all(isinstance(d, int) and not isinstance(d, bool) and 0 <= d <= 6 for d in value)
    ):
        abort(400, _("weekdays must be a list of day numbers from 0 (Monday) to 6 (Sunday)."))
    return frozenset(value)


def _choice(body: Mapping[str, object], key: str, kind: type[E], default: E) -> E:
    value = body.get(key, default.value)
    if not isinstance(value, str) or value not in {member.value for member in kind}:
        allowed = ", ".join(member.value for member in kind)
        abort(400, _("%(field)s must be one of: %(allowed)s.", field=key, allowed=allowed))
    return kind(value)


def _wait(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        abort(
            400,
            _("wait_seconds must be a number of seconds from 0 to %(max)d.", max=MAX_WAIT),
        )
    _within(limits.check_wait, float(value))
    return float(value)


def _within(check: Callable[..., None], *values: Any) -> None:
    """Ask the core's rule (schedule/limits.py); answer 400 with what it refuses."""
    try:
        check(*values)
    except ScheduleLimitError as exc:
        abort(400, schedule_limit_message(exc))
