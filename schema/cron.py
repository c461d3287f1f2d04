"""Recurrences: EventBridge ``cron()``/``rate()`` expressions and a friendly weekly form.

``parse_every`` checks an expression the way EventBridge Scheduler does and returns a
spec; ``local_times`` expands a cron spec into local wall-clock times day by day, and
``rate_times`` expands a rate in absolute time.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from schema.names import nearest


class ScheduleExpressionError(ValueError):
    """An expression EventBridge Scheduler would refuse."""


_MONTHS = {m.upper(): i for i, m in enumerate(calendar.month_abbr) if m}
_DAYS = {"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}
_FRIENDLY_DAYS = {
    "mon": "MON", "monday": "MON", "tue": "TUE", "tuesday": "TUE", "wed": "WED",
    "wednesday": "WED", "thu": "THU", "thursday": "THU", "fri": "FRI", "friday": "FRI",
    "sat": "SAT", "saturday": "SAT", "sun": "SUN", "sunday": "SUN",
    "daily": "*", "day": "*", "weekdays": "MON-FRI", "weekends": "SAT,SUN",
}  # fmt: skip


@dataclass(frozen=True)
class CronSpec:
    minutes: frozenset[int]
    hours: frozenset[int]
    months: frozenset[int]
    years: frozenset[int]
    dom: str  # raw day-of-month field ('?' when day-of-week is used)
    dow: str  # raw day-of-week field ('?' when day-of-month is used)
    expression: str

    def matches_day(self, day: date) -> bool:
        if day.month not in self.months or day.year not in self.years:
            return False
        if self.dom != "?":
            return _dom_matches(self.dom, day)
        return _dow_matches(self.dow, day)


@dataclass(frozen=True)
class RateSpec:
    seconds: int
    expression: str


Spec = CronSpec | RateSpec


def _hint(word: str, names: list[str]) -> str:
    close = nearest(word, names)
    return f"; did you mean {close!r}?" if close else ""


def _number(token: str, low: int, high: int, names: dict[str, int] | None, field: str) -> int:
    upper = token.upper()
    if names and upper in names:
        return names[upper]
    if not upper.isdigit():
        hint = _hint(upper, list(names)) if names and upper.isalpha() else ""
        raise ScheduleExpressionError(f"{field}: {token!r} is not a number or a name{hint}")
    value = int(upper)
    if not low <= value <= high:
        raise ScheduleExpressionError(f"{field}: {value} is outside {low}-{high}")
    return value


def _set(field_text: str, low: int, high: int, field: str, names: dict[str, int] | None = None):
    values: set[int] = set()
    for part in field_text.split(","):
        step = 1
        if "/" in part:
            part, step_text = part.split("/", 1)
            if not step_text.isdigit() or int(step_text) == 0:
                raise ScheduleExpressionError(
                    f"{field}: step {step_text!r} must be a positive number"
                )
            step = int(step_text)
        if part == "*":
            first, last = low, high
        elif "-" in part:
            a, b = part.split("-", 1)
            first, last = _number(a, low, high, names, field), _number(b, low, high, names, field)
        else:
            first = _number(part, low, high, names, field)
            last = high if step > 1 else first
        if last < first:
            raise ScheduleExpressionError(
                f"{field}: range {part!r} runs backwards (write the lower value first, or list "
                "the values with commas)"
            )
        values.update(range(first, last + 1, step))
    return frozenset(values)


_DOM_TOKEN = re.compile(r"^(?:\*|L|LW|\d{1,2}W|\d{1,2}(?:-\d{1,2})?(?:/\d+)?|\*/\d+)$")
_DOW_TOKEN = re.compile(
    r"^(?:\*|L|[1-7A-Z]{1,3}L|[1-7A-Z]{1,3}#[1-5]|[1-7A-Z]{1,3}(?:-[1-7A-Z]{1,3})?)$"
)


def _check_dom(field_text: str) -> None:
    for part in field_text.upper().split(","):
        if not _DOM_TOKEN.match(part):
            raise ScheduleExpressionError(f"day-of-month: {part!r} is not valid")
        digits = re.findall(r"\d+", part.split("/")[0])
        if any(not 1 <= int(d) <= 31 for d in digits):
            raise ScheduleExpressionError(f"day-of-month: {part!r} is outside 1-31")
        if part != "L" and not part.endswith("W"):
            _set(part, 1, 31, "day-of-month")  # ranges and steps, checked as matching uses them


def _check_dow(field_text: str) -> None:
    for part in field_text.upper().split(","):
        if not _DOW_TOKEN.match(part):
            hint = _hint(part, list(_DAYS)) if part.isalpha() else ""
            raise ScheduleExpressionError(f"day-of-week: {part!r} is not valid{hint}")
        if part == "L":
            continue
        if "#" in part or part.endswith("L"):
            _number(part.split("#")[0].removesuffix("L"), 1, 7, _DAYS, "day-of-week")
        else:
            _set(part, 1, 7, "day-of-week", _DAYS)  # ranges, checked as matching uses them


def _weekday_number(day: date) -> int:
    return (day.weekday() + 1) % 7 + 1  # Monday -> 2 ... Sunday -> 1


def _dom_matches(field_text: str, day: date) -> bool:
    last = calendar.monthrange(day.year, day.month)[1]
    for part in field_text.upper().split(","):
        if part == "L" and day.day == last:
            return True
        if part.endswith("W"):
            target = last if part == "LW" else min(int(part[:-1]), last)
            if day.day == _nearest_weekday(day.replace(day=target)).day:
                return True
        elif part != "L" and day.day in _set(part, 1, 31, "day-of-month"):
            return True
    return False


def _nearest_weekday(day: date) -> date:
    if day.weekday() == 5:  # Saturday: Friday, or Monday when Friday is in another month
        return day - timedelta(days=1) if day.day > 1 else day + timedelta(days=2)
    if day.weekday() == 6:
        nxt = day + timedelta(days=1)
        return nxt if nxt.month == day.month else day - timedelta(days=2)
    return day


def _dow_matches(field_text: str, day: date) -> bool:
    number = _weekday_number(day)
    last = calendar.monthrange(day.year, day.month)[1]
    for part in field_text.upper().split(","):
        if part == "L":
            if number == 7:
                return True
        elif part.endswith("L"):
            if number == _number(part[:-1], 1, 7, _DAYS, "day-of-week") and day.day + 7 > last:
                return True
        elif "#" in part:
            wanted, nth = part.split("#")
            if number == _number(wanted, 1, 7, _DAYS, "day-of-week") and (
                day.day - 1
            ) // 7 + 1 == int(nth):
                return True
        elif number in _set(part, 1, 7, "day-of-week", _DAYS):
            return True
    return False


def parse_cron(expression: str) -> CronSpec:
    inner = expression.strip()[5:-1].strip()
    fields = inner.split()
    if len(fields) != 6:
        raise ScheduleExpressionError(
            "cron() takes six fields: minutes hours day-of-month month day-of-week year"
        )
    minute, hour, dom, month, dow, year = fields
    if (dom == "?") == (dow == "?"):
        raise ScheduleExpressionError(
            "cron(): exactly one of day-of-month and day-of-week must be '?'"
        )
    if dom != "?":
        _check_dom(dom)
    if dow != "?":
        _check_dow(dow)
    return CronSpec(
        minutes=_set(minute, 0, 59, "minutes"),
        hours=_set(hour, 0, 23, "hours"),
        months=_set(month, 1, 12, "month", _MONTHS),
        years=_set(year, 1970, 2199, "year"),
        dom=dom,
        dow=dow,
        expression=expression.strip(),
    )


MAX_RATE_S = 365 * 86400  # and Python's timedelta overflows on rate(10^20 days)
_RATE = re.compile(r"^rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)$")


def parse_rate(expression: str) -> RateSpec:
    match = _RATE.match(expression.strip())
    if match is None:
        raise ScheduleExpressionError(
            "expected rate(VALUE minutes|hours|days), e.g. rate(12 hours)"
        )
    value, unit = int(match.group(1)), match.group(2)
    if value == 0:
        raise ScheduleExpressionError("rate(): the value must be a positive number")
    if (value == 1) != (not unit.endswith("s")):
        raise ScheduleExpressionError(
            f"rate(): the unit is singular for 1 and plural otherwise "
            f"(rate(1 {unit.rstrip('s')}), rate(2 {unit.rstrip('s')}s))"
        )
    seconds = value * {"m": 60, "h": 3600, "d": 86400}[unit[0]]
    if seconds > MAX_RATE_S:
        raise ScheduleExpressionError(
            "rate(): expected at most a year between firings (rate(365 days)): a post "
            "that waits longer fires once, which 'at' says plainly"
        )
    return RateSpec(seconds=seconds, expression=expression.strip())


_FRIENDLY = re.compile(r"^([a-z,\- ]+?)\s+((?:\d{1,2}:\d{2})(?:\s*,\s*\d{1,2}:\d{2})*)$")


def parse_friendly(text: str) -> CronSpec:
    match = _FRIENDLY.match(text.strip().lower())
    if match is None:
        raise ScheduleExpressionError(
            "expected 'DAYS HH:MM' (e.g. 'thu 09:00', 'mon,wed,fri 12:30', 'daily 18:00'), "
            "or a cron(...) or rate(...) expression"
        )
    days = []
    for word in re.split(r"[,\s]+", match.group(1).strip()):
        if word not in _FRIENDLY_DAYS:
            hint = _hint(word, list(_FRIENDLY_DAYS))
            raise ScheduleExpressionError(
                f"{word!r} is not a day (mon..sun, daily, weekdays, weekends){hint}"
            )
        days.append(_FRIENDLY_DAYS[word])
    by_time: dict[int, set[int]] = {}
    for clock in match.group(2).split(","):
        h, m = (int(x) for x in clock.strip().split(":"))
        if h > 23 or m > 59:
            raise ScheduleExpressionError(f"{clock.strip()!r} is not a time of day")
        by_time.setdefault(m, set()).add(h)
    if len(by_time) > 1:
        raise ScheduleExpressionError("all times of one recurrence must share their minutes")
    ((minute, hours),) = by_time.items()
    dow = "*" if "*" in days else ",".join(dict.fromkeys(days))
    hours_text = ",".join(str(h) for h in sorted(hours))
    return parse_cron(f"cron({minute} {hours_text} ? * {dow} *)")


MAX_EXPRESSION = 256  # EventBridge Scheduler's limit on a schedule expression


def parse_every(text: str) -> Spec:
    """Checked for length before any regular expression reads it."""
    if len(text) > MAX_EXPRESSION:
        raise ScheduleExpressionError(
            f"expected at most {MAX_EXPRESSION} characters (EventBridge's limit on a schedule "
            f"expression), found {len(text)}"
        )
    stripped = text.strip()
    if stripped.startswith("cron(") and stripped.endswith(")"):
        return parse_cron(stripped)
    if stripped.startswith("rate("):
        return parse_rate(stripped)
    return parse_friendly(stripped)


def local_times(spec: CronSpec, first: date, last: date) -> Iterator[datetime]:
    """Naive local times the cron spec names between two dates, both included."""
    clock = [time(h, m) for h in sorted(spec.hours) for m in sorted(spec.minutes)]
    day = first
    while day <= last:
        if spec.matches_day(day):
            for moment in clock:
                yield datetime.combine(day, moment)
        day += timedelta(days=1)


def rate_times(spec: RateSpec, start: datetime, end: datetime) -> Iterator[datetime]:
    """Absolute times from ``start`` (the schedule's StartDate) until ``end`` excluded."""
    step = timedelta(seconds=spec.seconds)
    moment = start
    while moment < end:
        yield moment
        moment += step
