"""Writing a post's variants (functions/generate/variants.py): what passes is kept, what
does not is asked for again within a bound and then dropped with its reasons; a provider's
failures are retried only where another call may pass."""

from __future__ import annotations

from dataclasses import dataclass, field

from functions.generate.guardrails import Grounds
from functions.generate.providers import Answer, ProviderError, Request
from functions.generate.variants import write
from schema.brand import Brand

BRAND = Brand.model_validate({
    "version": 1, "kind": "brand", "name": "brewlab",
    "voice": {"description": "Curious.", "tone": ["curious"]},
    "style": {"banned_terms": ["world's best"]},
})  # fmt: skip
BRIEF = "A tip about the bloom: 30 seconds."
GROUNDS = Grounds.of(BRIEF, BRAND)
REQUEST = Request(BRAND, BRIEF, "x", "en", 3)


@dataclass
class Scripted:
    """A provider answering from a script: a list of texts, or a ProviderError."""

    script: list[list[str] | ProviderError]
    name: str = "scripted"
    asked: list[int] = field(default_factory=list)

    def write(self, request: Request) -> Answer:
        self.asked.append(request.n)
        step = self.script.pop(0)
        if isinstance(step, ProviderError):
            raise step
        return Answer(step, self.name, "scripted-1")


GOOD = ["Bloom for 30 seconds.", "The bloom: 30 seconds of patience.", "A 30 second bloom helps."]


def test_passing_variants_are_kept_and_refused_ones_asked_for_again() -> None:
    provider = Scripted([["Bloom for 30 seconds.", "The world's best bloom", "Only $5 today"],
                         ["The bloom: 30 seconds of patience.", "A 30 second bloom helps."]])  # fmt: skip
    written = write(REQUEST, provider, GROUNDS)
    assert provider.asked == [3, 2]  # only the missing two asked for again
    assert [v.text for v in written.kept] == GOOD
    assert written.attempts == ["ok: 3 texts", "ok: 2 texts"] and written.dropped == []


def test_what_still_fails_on_the_last_attempt_is_dropped_with_its_reasons() -> None:
    provider = Scripted([["Bloom for 30 seconds.", "Only $5", "Only $6"],
                         ["Only $7", "Bloom for 30 seconds."],
                         ["Call 555 0100 123"]])  # fmt: skip
    written = write(REQUEST, provider, GROUNDS)
    assert provider.asked == [3, 2, 2]
    assert [v.text for v in written.kept] == ["Bloom for 30 seconds."]
    [dropped] = written.dropped
    assert dropped.text == "Call 555 0100 123" and dropped.attempt == 3
    assert {r.code for r in dropped.refusals} == {"G602"}
    # the repeated text of attempt 2 was refused as a duplicate, not kept twice
    assert [r.code for v in written.variants if v.attempt == 2 for r in v.refusals] == [
        "G603",
        "G605",
    ]


def test_failures_that_may_pass_are_retried_and_a_refusal_is_not() -> None:
    slept: list[float] = []
    provider = Scripted([ProviderError("rate_limited", "HTTP 429", 2.5),
                         ProviderError("malformed", "not JSON"), GOOD])  # fmt: skip
    written = write(REQUEST, provider, GROUNDS, sleep=slept.append)
    assert slept == [2.5] and len(written.kept) == 3 and written.model == "scripted-1"
    assert written.attempts == ["rate_limited: HTTP 429", "malformed: not JSON", "ok: 3 texts"]
    declined = Scripted([ProviderError("refused", "the model declined: no")])
    refused = write(REQUEST, declined, GROUNDS)
    assert refused.kept == [] and refused.attempts == ["refused: the model declined: no"]
    assert declined.asked == [3]


def test_a_rate_limit_resetting_too_late_and_the_attempt_bound_end_the_writing() -> None:
    slept: list[float] = []
    late = Scripted([ProviderError("rate_limited", "HTTP 429", 3600.0)])
    assert write(REQUEST, late, GROUNDS, sleep=slept.append).kept == [] and slept == []
    down = Scripted([ProviderError("server_error", "HTTP 500")] * 3)
    written = write(REQUEST, down, GROUNDS)
    assert written.attempts == ["server_error: HTTP 500"] * 3 and written.kept == []


def test_a_reset_is_read_as_servers_write_it() -> None:
    from functions.generate.providers import seconds

    assert [seconds(v) for v in ("7", "2.5", "6m0s", "20ms", "1h2m", "1m30.5s")] == [
        7.0, 2.5, 360.0, 0.02, 3720.0, 90.5]  # fmt: skip
    assert [seconds(v) for v in ("-3", "nan", "inf", "", "soon", "Wed, 21 Oct 2026")] == [None] * 6


def test_a_wait_that_is_not_a_number_of_seconds_ends_the_writing() -> None:
    slept: list[float] = []
    odd = Scripted([ProviderError("rate_limited", "HTTP 429", float("nan"))])
    assert write(REQUEST, odd, GROUNDS, sleep=slept.append).kept == [] and slept == []


def test_no_call_starts_and_no_reset_is_waited_for_past_the_deadline() -> None:
    now = [0.0]

    def clock() -> float:
        return now[0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    class Slow(Scripted):
        def write(self, request: Request) -> Answer:
            now[0] += 30.0  # a call that took its whole timeout
            return super().write(request)

    slow = Slow([ProviderError("timeout", "no answer in time"), GOOD])
    written = write(REQUEST, slow, GROUNDS, sleep=sleep, deadline_s=20.0, clock=clock)
    assert written.attempts == ["timeout: no answer in time", "out of time: not asked again"]
    now[0] = 0.0
    waiting = Scripted([ProviderError("rate_limited", "HTTP 429", 30.0), GOOD])
    late = write(REQUEST, waiting, GROUNDS, sleep=sleep, deadline_s=20.0, clock=clock)
    assert late.kept == [] and now[0] == 0.0 and late.attempts[-1].startswith("out of time")
