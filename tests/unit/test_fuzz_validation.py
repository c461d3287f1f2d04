"""Random and adversarial values fed to validation, each within a time budget.

A pathology guard, not a benchmark: every scalar type of the language and every whole
document must answer any value in well under a second (``every: "mon" + 40,000 spaces +
"1"`` once took 13 s: a regular expression quadratic on whitespace), and answer it with a
validation error or a value, never another exception.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from itertools import islice
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from projects import BASE, Result, edit
from pydantic import TypeAdapter, ValidationError

from schema.alerts import Notify
from schema.brand import Account, Brand, Listening
from schema.campaign import Campaign, Goal, Post
from schema.cron import RateSpec, parse_every, rate_times
from schema.types import (
    AlertWindow,
    At,
    Cooldown,
    Every,
    HourRange,
    LateBy,
    LocalDateTime,
    ShortText,
    Term,
    Text,
    TimeZone,
)

BUDGET_S = 1.0  # per input; a linear check of 100,000 characters takes milliseconds

SCALARS: dict[str, TypeAdapter[Any]] = {
    name: TypeAdapter(tp)
    for name, tp in {
        "every": Every, "within": AlertWindow, "cooldown": Cooldown, "late_by": LateBy,
        "at": At, "local": LocalDateTime, "hours": HourRange, "timezone": TimeZone,
        "text": Text, "short": ShortText, "term": Term,
    }.items()
}  # fmt: skip

# Pieces the parsers look for, repeated: what makes a backtracking expression slow.
PIECES = [" ", "\t", "\n", "\u3000", "\u200b", "\ufe0f", "mon", ",", "-", ":", "09:00",
          "cron(", "rate(", ")", "1", "9", "d", "h", "?", "*", "/", "#", "L", "W", "@",
          ".", "${", "Europe/", "a", "é", "\x00", "\x1b"]  # fmt: skip
PREFIXES = ["", "mon", "mon,wed", "daily", "cron(0 9 ? * ", "rate(", "2027-01-14 ",
            "09:00-", "1", "Europe/Paris", "oncall@", "urn:li:organization:", "did:plc:"]  # fmt: skip


@st.composite
def adversarial(draw: st.DrawFn) -> str:
    """A known prefix, one piece repeated up to 40,000 times, and a tail."""
    prefix = draw(st.sampled_from(PREFIXES))
    piece = draw(st.sampled_from(PIECES))
    times = draw(st.sampled_from([1, 10, 1_000, 40_000]))
    tail = draw(st.sampled_from(["", "1", "09:00", ")", "d", "x", " 1", "@a.example"]))
    return prefix + piece * times + tail


VALUES = st.one_of(st.text(max_size=300), adversarial())


def _timed(adapter: TypeAdapter[Any], value: Any) -> float:
    started = time.perf_counter()
    with contextlib.suppress(ValidationError):
        adapter.validate_python(value)
    return time.perf_counter() - started


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(name=st.sampled_from(sorted(SCALARS)), value=VALUES)
def test_every_scalar_answers_any_text_in_time(name: str, value: str) -> None:
    took = _timed(SCALARS[name], value)
    assert took < BUDGET_S, f"{name}: {took:.2f} s for {value[:40]!r}... ({len(value)} chars)"


DOCUMENTS: dict[str, tuple[TypeAdapter[Any], dict[str, Any], str]] = {
    "post.every": (TypeAdapter(Post), {"id": "p", "text": "Hi"}, "every"),
    "post.at": (TypeAdapter(Post), {"id": "p", "text": "Hi"}, "at"),
    "post.late_by": (TypeAdapter(Post), {"id": "p", "text": "Hi", "at": "2027-01-14 09:00"},
                     "late_by"),
    "post.text": (TypeAdapter(Post), {"id": "p", "at": "2027-01-14 09:00"}, "text"),
    "account.id": (TypeAdapter(dict[str, Account]), {}, "id"),
    "listening.terms": (TypeAdapter(Listening), {}, "terms"),
    "notify.email": (TypeAdapter(Notify), {}, "email"),
    "goal.target": (TypeAdapter(Goal), {"kpi": "ctr"}, "target"),
}  # fmt: skip


def _document(name: str, value: Any) -> Any:
    _, base, key = DOCUMENTS[name]
    if name == "account.id":
        return {p: {"handle": "a", "secret": f"socialops/a/{p}", "id": value}
                for p in ("instagram", "linkedin", "bluesky", "x")}  # fmt: skip
    if key in ("terms", "email"):
        return {**base, key: [value]}
    return {**base, key: value}


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(name=st.sampled_from(sorted(DOCUMENTS)),
       value=st.one_of(VALUES, st.floats(), st.integers(), st.none()))  # fmt: skip
def test_every_field_answers_any_value_in_time(name: str, value: Any) -> None:
    took = _timed(DOCUMENTS[name][0], _document(name, value))
    assert took < BUDGET_S, f"{name}: {took:.2f} s for {str(value)[:40]!r}..."


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(value=VALUES)
def test_whole_documents_answer_in_time(value: str) -> None:
    brand = {"version": 1, "kind": "brand", "name": "a", "voice": {"description": value,
             "tone": [value]}, "listening": {"terms": [value], "exclude": [value]}}  # fmt: skip
    campaign = {"version": 1, "kind": "campaign", "name": "a", "brand": "a",
                "window": {"start": value, "end": value}, "timezone": value,
                "channels": ["x"], "late_by": value,
                "posts": [{"id": "p", "text": value, "every": value, "late_by": value}]}  # fmt: skip
    for model, data in ((Brand, brand), (Campaign, campaign)):
        took = _timed(TypeAdapter(model), data)
        assert took < BUDGET_S, f"{model.__name__}: {took:.2f} s for {value[:40]!r}..."


def test_the_quadratic_recurrence_of_the_issue_is_answered_in_time() -> None:
    # GIVEN the input of issue 11 (13 s before lengths were bounded) THEN well under 1 s
    took = _timed(SCALARS["every"], "mon" + " " * 40_000 + "1")
    assert took < BUDGET_S, f"{took:.2f} s"


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(value=st.integers(min_value=0, max_value=10**30),
       unit=st.sampled_from(["minute", "minutes", "hour", "hours", "day", "days"]))  # fmt: skip
def test_a_rate_that_validates_expands(value: int, unit: str) -> None:
    # GIVEN any rate(N unit) WHEN it validates THEN its firings over a campaign year expand
    # (rate(10^20 days) validated, then overflowed timedelta: an internal error)
    try:
        spec = parse_every(f"rate({value} {unit})")
    except ValueError:
        return
    assert isinstance(spec, RateSpec)
    start = datetime(2027, 1, 1, tzinfo=UTC)
    fired = list(islice(rate_times(spec, start, start + timedelta(days=366)), 2))
    assert fired[0] == start


FIELDS = {  # where a value goes in the small valid project: (file, old, new with {v})
    "text": ("campaign.yml", 'text: "Hello"', "text: {v}"),
    "every": ("campaign.yml", "at: 2027-01-14 09:00", "every: {v}"),
    "at": ("campaign.yml", "at: 2027-01-14 09:00", "at: {v}"),
    "late_by": ("campaign.yml", "timezone: Europe/Paris", "late_by: {v}\ntimezone: Europe/Paris"),
    "timezone": ("campaign.yml", "timezone: Europe/Paris", "timezone: {v}"),
    "handle": ("brand.yml", "handle: acme\n    secret: socialops/acme/x",
               "handle: {v}\n    secret: socialops/acme/x"),
    "id": ("brand.yml", '"17841400000000009"', "{v}"),
    "term": ("brand.yml", "accounts:", "listening:\n  terms:\n    - {v}\naccounts:"),
}  # fmt: skip


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(field=st.sampled_from(sorted(FIELDS)),
       value=st.one_of(VALUES, st.builds(str, st.integers(-(10**30), 10**30))))  # fmt: skip
def test_the_command_answers_any_value_in_time(
    validate: Callable[..., Result], field: str, value: str
) -> None:
    # GIVEN the small valid project with one value replaced (a JSON string is a YAML
    # double-quoted scalar) WHEN validate runs THEN it answers in time, without a traceback:
    # occurrences, content checks and references included (rate(10^20 days) once crashed)
    file, old, new = FIELDS[field]
    files = {**BASE, file: edit(str(BASE[file]), old, new.format(v=json.dumps(value)))}
    started = time.perf_counter()
    code, _out, err = validate(files)
    took = time.perf_counter() - started
    assert "Traceback" not in err and "internal error" not in err, err
    assert code in (0, 1), err
    assert took < 2 * BUDGET_S, f"{field}: {took:.2f} s for {value[:40]!r}..."
