"""``schema/cron.py``: EventBridge Scheduler cron()/rate() expressions and friendly forms."""

from __future__ import annotations

import contextlib
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schema.cron import (
    CronSpec,
    RateSpec,
    ScheduleExpressionError,
    local_times,
    parse_every,
    rate_times,
)


def days(expression: str, first: date, last: date) -> list[date]:
    """The days in [first, last] on which ``expression`` fires."""
    spec = parse_every(expression)
    assert isinstance(spec, CronSpec)
    return sorted({moment.date() for moment in local_times(spec, first, last)})


def times(expression: str, day: date) -> list[str]:
    spec = parse_every(expression)
    assert isinstance(spec, CronSpec)
    return [f"{m:%H:%M}" for m in local_times(spec, day, day)]


# 2027: January 1st is a Friday; May 1st a Saturday; October 31st a Sunday.
JAN = (date(2027, 1, 1), date(2027, 1, 31))


class TestFields:
    def test_minutes_hours_and_steps(self) -> None:
        assert times("cron(0/15 9 * * ? *)", date(2027, 1, 4)) == [
            "09:00", "09:15", "09:30", "09:45",
        ]  # fmt: skip
        assert times("cron(30 8-10 * * ? *)", date(2027, 1, 4)) == ["08:30", "09:30", "10:30"]
        assert times("cron(5 */8 * * ? *)", date(2027, 1, 4)) == ["00:05", "08:05", "16:05"]
        assert times("cron(0,30 12 * * ? *)", date(2027, 1, 4)) == ["12:00", "12:30"]

    def test_day_of_month_list_range_and_step(self) -> None:
        assert [d.day for d in days("cron(0 9 1,15 * ? *)", *JAN)] == [1, 15]
        assert [d.day for d in days("cron(0 9 10-12 * ? *)", *JAN)] == [10, 11, 12]
        assert [d.day for d in days("cron(0 9 1/10 * ? *)", *JAN)] == [1, 11, 21, 31]

    def test_month_names_and_numbers(self) -> None:
        year = (date(2027, 1, 1), date(2027, 12, 31))
        assert [d.month for d in days("cron(0 9 1 JAN-MAR ? *)", *year)] == [1, 2, 3]
        assert [d.month for d in days("cron(0 9 1 jun,dec ? *)", *year)] == [6, 12]
        assert [d.month for d in days("cron(0 9 1 */4 ? *)", *year)] == [1, 5, 9]

    def test_day_of_week_names_numbers_and_ranges(self) -> None:
        week = (date(2027, 1, 4), date(2027, 1, 10))  # Monday to Sunday
        assert [d.isoweekday() for d in days("cron(0 9 ? * MON-FRI *)", *week)] == [1, 2, 3, 4, 5]
        assert [d.isoweekday() for d in days("cron(0 9 ? * 1 *)", *week)] == [7]  # 1 = Sunday
        assert [d.isoweekday() for d in days("cron(0 9 ? * 2-3,SAT *)", *week)] == [1, 2, 6]
        assert [d.isoweekday() for d in days("cron(0 9 ? * thu *)", *week)] == [4]

    def test_year_field(self) -> None:
        span = (date(2026, 12, 31), date(2028, 1, 1))
        assert [d.year for d in days("cron(0 9 1 1 ? 2027-2028)", *span)] == [2027, 2028]
        assert days("cron(0 9 1 1 ? 2030)", *span) == []


class TestWildcards:
    def test_l_is_the_last_day_of_the_month(self) -> None:
        feb = (date(2027, 2, 1), date(2028, 2, 29))
        last = days("cron(0 9 L * ? *)", *feb)
        assert last[0] == date(2027, 2, 28) and last[-1] == date(2028, 2, 29)  # leap year
        assert len(last) == 13

    def test_lw_is_the_last_weekday(self) -> None:
        # 2027-10-31 is a Sunday: the last weekday is Friday 29th
        assert days("cron(0 9 LW * ? *)", date(2027, 10, 1), date(2027, 10, 31)) == [
            date(2027, 10, 29)
        ]

    @pytest.mark.parametrize(
        ("field", "month", "expected"),
        [
            ("15W", (2027, 1), 15),  # Friday 15th: itself
            ("16W", (2027, 1), 15),  # Saturday 16th: the Friday before
            ("17W", (2027, 1), 18),  # Sunday 17th: the Monday after
            ("1W", (2027, 5), 3),  # Saturday 1st: Monday 3rd, not the month before
            ("31W", (2027, 10), 29),  # Sunday 31st: Friday 29th, not the month after
        ],
    )
    def test_w_is_the_nearest_weekday_in_the_month(
        self, field: str, month: tuple[int, int], expected: int
    ) -> None:
        first = date(*month, 1)
        last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        assert days(f"cron(0 9 {field} * ? *)", first, last) == [date(*month, expected)]

    def test_hash_is_the_nth_weekday(self) -> None:
        year = (date(2027, 1, 1), date(2027, 3, 31))
        assert days("cron(0 12 ? * 6#1 *)", *year) == [
            date(2027, 1, 1), date(2027, 2, 5), date(2027, 3, 5),
        ]  # first Fridays  # fmt: skip
        assert days("cron(0 12 ? * TUE#2 *)", *year)[0] == date(2027, 1, 12)
        assert days("cron(0 12 ? * MON#5 *)", *year) == [date(2027, 3, 29)]  # only March

    def test_nl_is_the_last_such_weekday(self) -> None:
        assert days("cron(0 9 ? * 6L *)", *JAN) == [date(2027, 1, 29)]  # last Friday
        assert days("cron(0 9 ? * FRIL *)", *JAN) == [date(2027, 1, 29)]

    def test_l_alone_in_day_of_week_is_saturday(self) -> None:
        assert [d.isoweekday() for d in days("cron(0 9 ? * L *)", *JAN)] == [6] * 5

    def test_question_mark_in_exactly_one_day_field(self) -> None:
        for bad in ("cron(0 9 * * * *)", "cron(0 9 ? * ? *)", "cron(0 9 1 * MON *)"):
            with pytest.raises(ScheduleExpressionError, match="exactly one of"):
                parse_every(bad)


class TestErrors:
    @pytest.mark.parametrize(
        ("expression", "message"),
        [
            ("cron(0 9 * * ?)", "six fields"),
            ("cron(0 9 * * ? * *)", "six fields"),
            ("cron()", "six fields"),
            ("cron(60 9 * * ? *)", "minutes: 60 is outside 0-59"),
            ("cron(0 24 * * ? *)", "hours: 24 is outside 0-23"),
            ("cron(0 9 32 * ? *)", "day-of-month"),
            ("cron(0 9 0 * ? *)", "day-of-month"),
            ("cron(0 9 1 13 ? *)", "month: 13 is outside 1-12"),
            ("cron(0 9 1 FOO ? *)", "month: 'FOO' is not a number or a name"),
            ("cron(0 9 ? * 8 *)", "day-of-week"),
            ("cron(0 9 ? * FUN *)", "day-of-week"),
            ("cron(0 9 ? * MON#6 *)", "day-of-week: 'MON#6' is not valid"),
            ("cron(0 9 1 * ? 2200)", "year: 2200 is outside 1970-2199"),
            ("cron(0 9 1 * ? 1969)", "year"),
            ("cron(0/0 9 * * ? *)", "step '0' must be a positive number"),
            ("cron(0 9 */0 * ? *)", "step '0' must be a positive number"),
            ("cron(0 17-9 * * ? *)", "hours: range '17-9' runs backwards"),
            ("cron(0 9 31-1 * ? *)", "day-of-month: range '31-1' runs backwards"),
            ("cron(0 9 ? * SAT-SUN *)", "day-of-week: range 'SAT-SUN' runs backwards"),
            ("cron(0 9 ? * FRI-MON *)", "runs backwards"),
            ("cron(0 9 1 DEC-JAN ? *)", "runs backwards"),
            ("cron(a 9 * * ? *)", "minutes: .a. is not a number"),
            ("cron(0 9 1,,2 * ? *)", "day-of-month"),
        ],
    )
    def test_refused_like_eventbridge(self, expression: str, message: str) -> None:
        with pytest.raises(ScheduleExpressionError, match=message.replace("*", r"\*")):
            parse_every(expression)

    @pytest.mark.parametrize(
        "expression",
        ["cron(0 9 ? * SAT-SUN *)", "cron(0 9 31-1 * ? *)", "cron(0 9 */0 * ? *)"],
    )
    def test_an_accepted_expression_never_fails_later(self, expression: str) -> None:
        # Every error is found by parse_every, never while expanding (which once crashed)
        try:
            spec = parse_every(expression)
        except ScheduleExpressionError:
            return
        assert isinstance(spec, CronSpec)
        list(local_times(spec, date(2027, 1, 1), date(2027, 12, 31)))


class TestRate:
    @pytest.mark.parametrize(
        ("expression", "seconds"),
        [
            ("rate(1 minute)", 60),
            ("rate(5 minutes)", 300),
            ("rate(1 hour)", 3600),
            ("rate(12 hours)", 43200),
            ("rate(1 day)", 86400),
            ("rate(7 days)", 604800),
            (" rate( 2 hours ) ", 7200),
        ],
    )
    def test_valid(self, expression: str, seconds: int) -> None:
        spec = parse_every(expression)
        assert isinstance(spec, RateSpec) and spec.seconds == seconds

    @pytest.mark.parametrize(
        ("expression", "message"),
        [
            ("rate(1 hours)", "singular for 1 and plural otherwise"),
            ("rate(2 hour)", "singular for 1 and plural otherwise"),
            ("rate(1 minutes)", r"rate\(1 minute\), rate\(2 minutes\)"),
            ("rate(0 minutes)", "positive"),
            ("rate(-1 days)", r"expected rate\(VALUE"),
            ("rate(1.5 hours)", r"expected rate\(VALUE"),
            ("rate(2 weeks)", r"expected rate\(VALUE"),
            ("rate(2hours)", r"expected rate\(VALUE"),
            ("rate(2 Hours)", r"expected rate\(VALUE"),
            ("rate(", r"expected rate\(VALUE"),
        ],
    )
    def test_refused(self, expression: str, message: str) -> None:
        with pytest.raises(ScheduleExpressionError, match=message):
            parse_every(expression)

    def test_times_from_start_until_end_excluded(self) -> None:
        spec = parse_every("rate(6 hours)")
        assert isinstance(spec, RateSpec)
        start = datetime(2027, 1, 1, tzinfo=UTC)
        got = list(rate_times(spec, start, start + timedelta(days=1)))
        assert [t.hour for t in got] == [0, 6, 12, 18]


class TestFriendly:
    @pytest.mark.parametrize(
        ("text", "cron"),
        [
            ("thu 09:00", "cron(0 9 ? * THU *)"),
            ("Thursday 9:00", "cron(0 9 ? * THU *)"),
            ("mon,wed,fri 12:30", "cron(30 12 ? * MON,WED,FRI *)"),
            ("mon, wed fri 12:30", "cron(30 12 ? * MON,WED,FRI *)"),
            ("daily 18:00", "cron(0 18 ? * * *)"),
            ("weekdays 08:00", "cron(0 8 ? * MON-FRI *)"),
            ("weekends 10:15", "cron(15 10 ? * SAT,SUN *)"),
            ("thu 09:00, 18:00", "cron(0 9,18 ? * THU *)"),
            ("tue,tue 07:00", "cron(0 7 ? * TUE *)"),
        ],
    )
    def test_same_as_cron(self, text: str, cron: str) -> None:
        assert parse_every(text) == parse_every(cron).__class__(
            **{**parse_every(cron).__dict__, "expression": cron}
        )

    def test_thursdays_only(self) -> None:
        assert {d.isoweekday() for d in days("thu 09:00", *JAN)} == {4}
        assert len(days("thu 09:00", *JAN)) == 4

    @pytest.mark.parametrize(
        ("text", "message"),
        [
            ("thu 24:00", "'24:00' is not a time of day"),
            ("thu 09:60", "'09:60' is not a time of day"),
            ("funday 09:00", "'funday' is not a day"),
            ("mon-fri 09:00", "'mon-fri' is not a day"),
            ("09:00", "expected 'DAYS HH:MM'"),
            ("thu", "expected 'DAYS HH:MM'"),
            ("thu 9", "expected 'DAYS HH:MM'"),
            ("every thursday at nine", "expected 'DAYS HH:MM'"),
            ("thu 09:00,18:30", "share their minutes"),
            ("", "expected 'DAYS HH:MM'"),
        ],
    )
    def test_refused(self, text: str, message: str) -> None:
        with pytest.raises(ScheduleExpressionError, match=message):
            parse_every(text)


def test_local_times_are_naive_wall_clock_times() -> None:
    # Expansion is in local wall-clock time: the zone is applied later (occurrences.py)
    spec = parse_every("daily 02:30")
    assert isinstance(spec, CronSpec)
    got = list(local_times(spec, date(2027, 3, 27), date(2027, 3, 29)))
    assert got == [datetime(2027, 3, d, 2, 30) for d in (27, 28, 29)]
    assert all(m.tzinfo is None for m in got)


FIELD = st.text(alphabet="0123456789*?/-,LW#MONTUEFRIJASDC", min_size=1, max_size=6)


@settings(max_examples=400, deadline=None)
@given(fields=st.lists(FIELD, min_size=6, max_size=6))
def test_any_cron_is_refused_cleanly_or_expands(fields: list[str]) -> None:
    # GIVEN any six fields WHEN parsed THEN either a ScheduleExpressionError, or a spec
    # that expands over a year without raising anything
    try:
        spec = parse_every(f"cron({' '.join(fields)})")
    except ScheduleExpressionError:
        return
    assert isinstance(spec, CronSpec)
    for _ in local_times(spec, date(2027, 1, 1), date(2027, 12, 31)):
        pass


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=30))
def test_any_text_is_refused_cleanly_or_parses(text: str) -> None:
    with contextlib.suppress(ScheduleExpressionError):
        parse_every(text)
