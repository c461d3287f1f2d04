"""Scalar types of the campaign language.

Every type here accepts the plain strings strictyaml produces and raises a
``PydanticCustomError`` whose type starts with ``so_`` so that the validator can
turn it into a stable error code (see ``infra/diagnostics.py``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, time
from functools import lru_cache
from typing import Annotated, Any, Literal, get_args
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, BeforeValidator, StringConstraints, WithJsonSchema
from pydantic_core import PydanticCustomError

from schema.cron import parse_every
from schema.text import ShortText, Term, Text, one_line
from schema.zones import zone_hint, zones

Platform = Literal["instagram", "facebook", "x", "linkedin", "tiktok", "bluesky", "mastodon"]
PLATFORM_NAMES: tuple[str, ...] = get_args(Platform)

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = get_args(Weekday)
__all__ = ["ShortText", "Term", "Text"]  # defined in schema.text, imported from here

NAME_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$"
Name = Annotated[
    str,
    StringConstraints(pattern=NAME_PATTERN),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": NAME_PATTERN,
            "description": "lower-case letters, digits and dashes, at most 32 characters",
        }
    ),
]

SECRET_PATTERN = r"^[A-Za-z0-9/_+=.@-]{1,512}$"
SecretName = Annotated[
    str,
    StringConstraints(pattern=SECRET_PATTERN),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": SECRET_PATTERN,
            "description": "name of the AWS Secrets Manager secret that holds the credential",
        }
    ),
]

Locale = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z]{2,3}(-[A-Z]{2})?$"),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^[a-z]{2,3}(-[A-Z]{2})?$",
            "description": "a locale: a language code, and a region after a dash, e.g. fr, en-US",
        }
    ),
]
Language = Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}$")]


@lru_cache(maxsize=4096)
def zone(name: str) -> ZoneInfo:
    """The ZoneInfo of an IANA name already checked by :data:`TimeZone`."""
    return ZoneInfo(name)


def _check_zone(value: str) -> str:
    # Only known names: ZoneInfo() itself would also read paths, odd files and
    # machine-specific links, and fails with OSError on very long names.
    if value not in zones():
        hint = zone_hint(value) if len(value) <= MAX_PARSED else ""
        raise PydanticCustomError(
            "so_timezone",
            "{hint}expected an IANA time zone such as Europe/Paris or America/New_York, "
            "found {found}",
            {"hint": hint, "found": shown(value)},
        )
    return value


TimeZone = Annotated[
    str,
    AfterValidator(_check_zone),
    WithJsonSchema(
        {
            "type": "string",
            "description": "an IANA time zone: a place such as Europe/Paris or "
            "America/New_York, or UTC (not an abbreviation such as EST)",
            "examples": ["UTC"],
        }
    ),
]

_DURATION = re.compile(r"^\s*(\d{1,9})\s*(m|mins?|minutes?|h|hrs?|hours?|d|days?)\s*$")
_UNIT_SECONDS = {"m": 60, "h": 3600, "d": 86400}
MAX_PARSED = 64  # the longest text a scalar's regular expression is given (see shown())


def shown(text: str) -> str:
    """``text`` quoted for a message, cut to 60 characters."""
    return repr(text if len(text) <= 60 else text[:57] + "...")


def duration_seconds(text: str) -> int:
    """Seconds in a duration such as ``30m``, ``2h`` or ``1d``."""
    match = _DURATION.match(text) if len(text) <= MAX_PARSED else None
    if match is None:
        raise ValueError(text[:MAX_PARSED])
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2)[0]]


def _words(seconds: int) -> str:
    return f"{seconds // 86400}d" if seconds % 86400 == 0 else f"{seconds // 3600}h"


def _duration_check(most_s: int, why: str) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        text = str(value)
        try:
            seconds = duration_seconds(text)
        except ValueError:
            seconds = 0
        if seconds <= 0:
            raise PydanticCustomError(
                "so_duration",
                "expected a duration such as 30m, 2h or 1d, found {found}",
                {"found": shown(text)},
            )
        if seconds > most_s:
            raise PydanticCustomError(
                "so_duration",
                "expected a duration of at most {most} ({why}), found {found}",
                {"most": _words(most_s), "why": why, "found": shown(text.strip())},
            )
        return text.strip()

    return check


def _duration_schema(most_s: int, why: str) -> WithJsonSchema:
    return WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^\d+\s*(m|h|d)",
            "maxLength": MAX_PARSED,
            "description": "a duration: minutes, hours or days, such as 30m, 2h or 1d; "
            f"at most {_words(most_s)}: {why}",
            "examples": ["2h"],
        }
    )


DAY_S = 86400
MAX_WINDOW_S = 7 * DAY_S
_WINDOW_WHY = "the alert run reads a week of mention buckets at most (its detector's warm-up)"
MAX_COOLDOWN_S = 30 * DAY_S
_COOLDOWN_WHY = "a month; a longer quiet time would hide a new incident for good"
MAX_LATE_S = 14 * DAY_S
_LATE_WHY = "a failed firing waits 14 days at most in the publish dead-letter queue"
AlertWindow = Annotated[
    str,
    BeforeValidator(_duration_check(MAX_WINDOW_S, _WINDOW_WHY)),
    _duration_schema(MAX_WINDOW_S, _WINDOW_WHY),
]
Cooldown = Annotated[
    str,
    BeforeValidator(_duration_check(MAX_COOLDOWN_S, _COOLDOWN_WHY)),
    _duration_schema(MAX_COOLDOWN_S, _COOLDOWN_WHY),
]
LateBy = Annotated[
    str,
    BeforeValidator(_duration_check(MAX_LATE_S, _LATE_WHY)),
    _duration_schema(MAX_LATE_S, _LATE_WHY),
]

_LOCAL_DT = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:[ T](\d{1,2}):(\d{2}))?$")
_DT_MESSAGE = "expected a local date and time such as 2026-12-03 09:00, found {found}"
YEARS = (1970, 2199)  # the years EventBridge Scheduler accepts; far dates overflow in UTC


def _in_years(moment: datetime, found: str) -> datetime:
    if not YEARS[0] <= moment.year <= YEARS[1]:
        raise PydanticCustomError(
            "so_datetime",
            "expected a year from {first} to {last}, found {found}",
            {"first": YEARS[0], "last": YEARS[1], "found": repr(found)},
        )
    return moment


def parse_local(value: Any, *, end_of_day: bool = False) -> datetime:
    """A naive local datetime from ``YYYY-MM-DD[ HH:MM]`` (no offset: the zone is separate)."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            raise PydanticCustomError(
                "so_datetime", _DT_MESSAGE, {"found": repr(value.isoformat())}
            )
        return _in_years(value, value.isoformat())
    if isinstance(value, date):
        value = value.isoformat()
    text = str(value).strip()
    if len(text) > MAX_PARSED:
        raise PydanticCustomError("so_datetime", _DT_MESSAGE, {"found": shown(text)})
    if re.match(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:00$", text):
        text = text[:-3]
    match = _LOCAL_DT.match(text)
    if match is None:
        raise PydanticCustomError("so_datetime", _DT_MESSAGE, {"found": repr(text)})
    try:
        day = date.fromisoformat(match.group(1))
        clock = time(int(match.group(2)), int(match.group(3))) if match.group(2) else time(0, 0)
    except ValueError as exc:
        raise PydanticCustomError("so_datetime", _DT_MESSAGE, {"found": repr(text)}) from exc
    moment = datetime.combine(day, clock)
    if end_of_day and match.group(2) is None:
        moment = datetime.combine(day, time(23, 59))
    return _in_years(moment, text)


LocalDateTime = Annotated[
    datetime,
    BeforeValidator(parse_local),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^\d{4}-\d{2}-\d{2}([ T]\d{1,2}:\d{2})?$",
            "description": "local date and time, YYYY-MM-DD HH:MM, in the relevant time zone",
        }
    ),
]
EndDateTime = Annotated[
    datetime,
    BeforeValidator(lambda v: parse_local(v, end_of_day=True)),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^\d{4}-\d{2}-\d{2}([ T]\d{1,2}:\d{2})?$",
            "description": "local date (the whole day) or date and time, YYYY-MM-DD HH:MM",
        }
    ),
]


def _check_at(value: Any) -> Any:
    if isinstance(value, str) and value.strip() == "auto":
        return "auto"
    try:
        return parse_local(value)
    except PydanticCustomError as exc:
        if exc.message_template != _DT_MESSAGE:
            raise
        hint = "did you mean 'auto'? " if str(value).strip().casefold() == "auto" else ""
        raise PydanticCustomError(
            "so_datetime",
            "{hint}expected 'auto' or a local date and time such as 2026-12-03 09:00, "
            "found {found}",
            {"hint": hint, "found": repr(str(value))},
        ) from exc


At = Annotated[
    datetime | Literal["auto"],
    BeforeValidator(_check_at),
    WithJsonSchema(
        {
            "anyOf": [
                {"const": "auto"},
                {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}[ T]\d{1,2}:\d{2}$"},
            ],
            "description": "a local date and time YYYY-MM-DD HH:MM, or 'auto': a time in the "
            "audience's active hours within 'between'",
        }
    ),
]


def _checker(parse: Callable[[str], object], kind: str, message: str) -> Callable[[Any], str]:
    """A validator that accepts text ``parse`` accepts; ``message`` may use {reason} and
    {found}."""

    def check(value: Any) -> str:
        text = str(value).strip()
        try:
            parse(text)
        except ValueError as exc:
            raise PydanticCustomError(
                kind, message, {"reason": str(exc), "found": shown(text)}
            ) from exc
        return text

    return check


_check_every = _checker(parse_every, "so_schedule", "{reason}, found {found}")


Every = Annotated[
    str,
    BeforeValidator(_check_every),
    WithJsonSchema(
        {
            "type": "string",
            "description": "recurrence: 'thu 09:00', 'mon,wed,fri 12:30', 'daily 18:00', "
            "an EventBridge cron(...) or rate(...) expression",
            "examples": ["thu 09:00", "cron(0 9 ? * THU *)", "rate(12 hours)"],
        }
    ),
]

_HOURS = re.compile(r"^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$")


def hour_range_minutes(text: str) -> tuple[int, int]:
    """Minutes since midnight of the start and end of ``HH:MM-HH:MM``."""
    match = _HOURS.match(text.strip()) if len(text) <= MAX_PARSED else None
    if match is None:
        raise ValueError(text)
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if h1 > 23 or m1 > 59 or m2 > 59 or end > 24 * 60 or end <= start:
        raise ValueError(text)
    return start, end


_check_hours = _checker(
    hour_range_minutes,
    "so_value",
    "expected a range of local hours such as 07:30-09:00 (start before end), found {found}",
)


HourRange = Annotated[
    str,
    BeforeValidator(_check_hours),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^\d{1,2}:\d{2}-\d{1,2}:\d{2}$",
            "description": "local hours HH:MM-HH:MM, start before end, e.g. 07:30-09:00",
        }
    ),
]

Hashtag = Annotated[
    str,
    StringConstraints(pattern=r"^#[^\s#]{1,100}$"),
    AfterValidator(one_line),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^#[^\s#]+$",
            "description": "a hashtag: # and a word without spaces",
            "examples": ["#ad"],
        }
    ),
]


Domain = Annotated[
    str,
    StringConstraints(
        max_length=253, pattern=r"^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$"
    ),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$",
            "description": "a web domain, lower case, without scheme or path",
            "examples": ["aerolite.example"],
        }
    ),
]
