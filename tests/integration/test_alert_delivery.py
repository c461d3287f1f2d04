"""Alert notices and the pause across crashes, and mentions that are counted late.

A crash is the Lambda runtime ending the invocation (a timeout, out of memory): here a
``BaseException`` raised by a wrapper of the AWS clients and of the Slack POST at a
chosen call, which nothing in the function catches. The function itself runs unchanged,
against moto and the Slack contract fake.
"""

from __future__ import annotations

import contextlib
import json
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from alert_world import (
    BRAND,
    CAMPAIGN,
    INCIDENTS,
    PAUSES,
    World,
    evaluate,
    fill,
    incident_items,
    make_world,
    state_item,
    store,
    week_series,
)

from functions.alert import service
from functions.alert.detector import VOLUME, Detector
from functions.common.pause import pause, paused, resume

T0 = datetime(2027, 1, 14, 12, 0, tzinfo=UTC)  # within brand-watch's window
CRISIS_TOPIC = "arn:aws:sns:eu-west-1:123456789012:aerolite-crisis"  # negative-spike's own


@pytest.fixture
def world(tmp_path_factory: Any, tmp_path: Path, monkeypatch: Any) -> Iterator[World]:
    yield from make_world(tmp_path_factory, tmp_path, monkeypatch, T0)


class Crash(BaseException):
    """The invocation ends here, as when Lambda stops it: nothing in the function catches it."""


class Tripwire:
    """Crashes a run at one outside call, counted from its commit (the DynamoDB transaction
    that records the incidents): ``at=0`` crashes instead of the commit, ``at=k`` instead
    of the k-th call after it (a send, a secret read, a DynamoDB write)."""

    def __init__(self, at: int) -> None:
        self.at = at
        self.committed = False
        self.calls: list[str] = []
        self.tripped = ""

    def wrap(self, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            if name == "transact_write_items" and not self.committed:
                self._count(name, 0)
                result = fn(*args, **kwargs)
                self.committed = True
                return result
            if self.committed:
                self.calls.append(name)
                self._count(name, len(self.calls))
            return fn(*args, **kwargs)

        return call

    def _count(self, name: str, n: int) -> None:
        if n == self.at:
            self.tripped = name
            raise Crash(f"crash at call {n} after the commit ({name})")


class Watched:
    """A boto3 client whose calls go through a tripwire; anything else is the client's."""

    def __init__(self, client: Any, tripwire: Tripwire) -> None:
        self._client, self._tripwire = client, tripwire

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._client, name)
        if name in ("meta", "exceptions") or name.startswith(("get_paginator", "can_")):
            return value
        return self._tripwire.wrap(name, value) if callable(value) else value


def crashing(world: World, tripwire: Tripwire) -> service.Deps:
    deps = world.deps
    sns_in = deps.sns_in
    return replace(
        deps, dynamodb=Watched(deps.dynamodb, tripwire), sns=Watched(deps.sns, tripwire),
        secrets=Watched(deps.secrets, tripwire), post=tripwire.wrap("slack", deps.post),
        sns_in=(lambda region: Watched(sns_in(region), tripwire)) if sns_in else None,
    )  # fmt: skip


def crisis_desk(world: World) -> str:
    """negative-spike's own topic (eu-west-1), read back from a queue subscribed to it."""
    eu_sns = boto3.client("sns", region_name="eu-west-1")
    topic = eu_sns.create_topic(Name="aerolite-crisis")["TopicArn"]
    assert topic == CRISIS_TOPIC
    eu_sqs = boto3.client("sqs", region_name="eu-west-1")
    url: str = eu_sqs.create_queue(QueueName="crisis-desk")["QueueUrl"]
    arn = eu_sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    eu_sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn["Attributes"]["QueueArn"])
    world.deps.sns_in = lambda region: boto3.client("sns", region_name=region)
    return url


def both_rules_fire(world: World) -> None:
    """sentiment-crash (alerts topic, Slack) and negative-spike (alerts topic, the crisis
    desk's topic) fire at T0 + 5 min; both pause publishing."""
    fill(world, T0 - timedelta(hours=2), T0 + timedelta(hours=2), 30, polarity=-0.8,
         negatives=20)  # fmt: skip


def notice_id(rule: str) -> str:
    return f"{CAMPAIGN}/{rule}@2027-01-14T12:00Z#firing"


def received(world: World, desk: str) -> list[tuple[str, str, str, str]]:
    """Every notice the receivers got: (target, rule, the text they read, the notice id
    in the SNS message attributes, "" for Slack)."""
    got = []
    eu_sqs = boto3.client("sqs", region_name="eu-west-1")
    crisis = []
    while answer := eu_sqs.receive_message(QueueUrl=desk, MaxNumberOfMessages=10).get("Messages"):
        for m in answer:
            crisis.append(json.loads(m["Body"]))
            eu_sqs.delete_message(QueueUrl=desk, ReceiptHandle=m["ReceiptHandle"])
    for target, messages in (("alerts", world.messages()), ("crisis-desk", crisis)):
        for m in messages:
            attrs = {k: v["Value"] for k, v in m["MessageAttributes"].items()}
            got.append((target, attrs["rule"], m["Message"], attrs.get("notice", "")))
    for body in world.slack.messages:
        got.append(("slack", body["text"].split()[1], body["text"], ""))
    world.slack.messages.clear()
    return got


def test_every_target_reads_the_notice_id(world: World) -> None:
    """SNS carries it as a message attribute and in the message (what e-mail shows); Slack
    in the text: a receiver can tell a repeat from a new notice."""
    desk = crisis_desk(world)
    both_rules_fire(world)
    summary = evaluate(world, T0 + timedelta(minutes=5))
    assert {n["notice"] for n in summary["notices"]} == {
        notice_id("sentiment-crash"), notice_id("negative-spike")}  # fmt: skip
    got = received(world, desk)
    assert sorted((target, rule) for target, rule, _, _ in got) == [
        ("alerts", "negative-spike"), ("alerts", "sentiment-crash"),
        ("crisis-desk", "negative-spike"), ("slack", "sentiment-crash")]  # fmt: skip
    told_apart(got)


def told_apart(got: list[tuple[str, str, str, str]]) -> None:
    """Each notice carries its id: in the text (what e-mail and Slack show) and, on SNS,
    as the ``notice`` message attribute."""
    for target, rule, text, attribute in got:
        assert f"Notice {notice_id(rule)}" in text, (target, rule)
        assert attribute == (notice_id(rule) if target != "slack" else ""), (target, rule)


def reset(world: World, desk: str) -> None:
    """No incident, no state, no pause and nothing received: a fresh start on the same data."""
    dynamodb = world.deps.dynamodb
    for table, keys in ((INCIDENTS, ("pk", "sk")), (PAUSES, ("brand",))):
        for item in dynamodb.scan(TableName=table)["Items"]:
            dynamodb.delete_item(TableName=table, Key={k: item[k] for k in keys})
    received(world, desk)


def test_a_crash_anywhere_in_delivery_repeats_at_most_the_target_it_hit(world: World) -> None:
    """For every outside call after the commit, a run that crashes there; the next runs
    (the lease has lapsed) deliver the rest. Each target gets each notice once, except that
    a crash between a send and its record repeats that one send (with the same id)."""
    desk = crisis_desk(world)
    both_rules_fire(world)
    at = 0
    while True:
        at += 1
        reset(world, desk)
        tripwire = Tripwire(at)
        with contextlib.suppress(Crash):
            service.evaluate(T0 + timedelta(minutes=5), crashing(world, tripwire))
        for minutes in (10, 15, 20):
            later = evaluate(world, T0 + timedelta(minutes=minutes))
            assert later["failed"] == [] and later["fired"] == []
        got = received(world, desk)
        counts = Counter((target, rule) for target, rule, _, _ in got)
        where = f"crash at call {at} after the commit ({tripwire.tripped or 'none'})"
        assert set(counts) == {("alerts", "negative-spike"), ("alerts", "sentiment-crash"),
                               ("crisis-desk", "negative-spike"),
                               ("slack", "sentiment-crash")}, where  # fmt: skip
        assert sum(counts.values()) - len(counts) <= 1, (where, counts)
        told_apart(got)
        assert state_item(world)["outbox"]["S"] == "[]", where  # type: ignore[index]
        flag = paused(world.pauses, BRAND)
        assert flag is not None and flag.since == "2027-01-14T12:05:00Z", where
        if not tripwire.tripped:  # past the last call: every crash point was tried
            break
    assert at > 4


def test_a_crash_before_the_commit_leaves_no_pause(world: World) -> None:
    """The pause is written with the incident, in one transaction: a run that dies before
    it commits has paused nothing, and the run that fires tells that it paused."""
    both_rules_fire(world)
    with pytest.raises(Crash):
        service.evaluate(T0 + timedelta(minutes=5), crashing(world, Tripwire(0)))
    assert paused(world.pauses, BRAND) is None
    assert incident_items(world, "sentiment-crash") == [] and world.slack.messages == []
    summary = evaluate(world, T0 + timedelta(minutes=10))
    assert sorted(f["rule"] for f in summary["fired"]) == ["negative-spike", "sentiment-crash"]
    flag = paused(world.pauses, BRAND)
    assert flag is not None and flag.since == "2027-01-14T12:10:00Z"
    actions = {f["rule"]: f["action"] for f in summary["fired"]}
    assert "is now PAUSED" in actions[flag.by.removeprefix(f"alert:{CAMPAIGN}/")]
    assert "is now PAUSED" in world.slack.messages[0]["text"]


def test_a_crash_after_the_commit_tells_the_pause_and_never_pauses_again(world: World) -> None:
    """Committed, paused, then the run dies before any notice: a person resumes; the next
    run delivers the notices (which say that it paused) and leaves the brand resumed."""
    crisis_desk(world)
    both_rules_fire(world)
    with pytest.raises(Crash):
        service.evaluate(T0 + timedelta(minutes=5), crashing(world, Tripwire(1)))
    flag = paused(world.pauses, BRAND)
    assert flag is not None and flag.since == "2027-01-14T12:05:00Z"
    assert world.slack.messages == [] and world.messages() == []
    resume(world.pauses, BRAND)
    summary = evaluate(world, T0 + timedelta(minutes=10))
    assert summary["fired"] == [] and summary["failed"] == []
    assert len(world.slack.messages) == 1 and "is now PAUSED" in world.slack.messages[0]["text"]
    for minutes in (15, 20):
        evaluate(world, T0 + timedelta(minutes=minutes))
    assert paused(world.pauses, BRAND) is None


class PausedMeanwhile:
    """A DynamoDB client with which a person pauses the brand by hand just before the
    run's first commit (after the run read the pause)."""

    def __init__(self, client: Any, world: World) -> None:
        self.client, self.world, self.done = client, world, False

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)

    def transact_write_items(self, **kwargs: Any) -> Any:
        if not self.done:
            self.done = True
            pause(self.world.pauses, BRAND, "press enquiry", "person:dana",
                  T0 + timedelta(minutes=5, seconds=1))  # fmt: skip
        return self.client.transact_write_items(**kwargs)


def test_a_person_pausing_during_the_evaluation_keeps_their_pause(world: World) -> None:
    both_rules_fire(world)
    deps = replace(world.deps, dynamodb=PausedMeanwhile(world.deps.dynamodb, world))
    summary = service.evaluate(T0 + timedelta(minutes=5), deps)
    assert summary["fired"] == [] and world.slack.messages == []
    [skipped] = summary["skipped"]
    assert skipped["brand"] == BRAND and "pause" in skipped["reason"]
    summary = evaluate(world, T0 + timedelta(minutes=10))
    assert sorted(f["rule"] for f in summary["fired"]) == ["negative-spike", "sentiment-crash"]
    flag = paused(world.pauses, BRAND)
    assert flag is not None and flag.by == "person:dana"
    assert "already paused since 2027-01-14T12:05:01Z by person:dana" in (
        world.slack.messages[0]["text"])  # fmt: skip


# ---- late mentions -------------------------------------------------------------------


def test_mentions_counted_late_still_reach_the_volume_detector(world: World) -> None:
    """A burst whose mentions are counted 30 minutes late fires mention-burst; mentions
    counted up to 6 h after their bucket was first evaluated end up in the persisted
    detector as if they had been there all along."""
    end = T0 + timedelta(hours=3)
    burst_from = end - timedelta(hours=2)
    final = dict(week_series(end, burst_from=burst_from))
    calm = dict(week_series(end))
    store(world, [(t, calm[t] if burst_from <= t < end - timedelta(hours=1) else n)
                  for t, n in final.items()])  # fmt: skip
    backfill = [t for t in final if burst_from - timedelta(minutes=30) <= t < burst_from]

    def arrive(at: datetime, late: timedelta, buckets: list[datetime]) -> None:
        arrived = [(t, final[t]) for t in buckets if t + timedelta(minutes=5) + late <= at]
        store(world, arrived)

    fired = []
    at = burst_from - timedelta(hours=1)
    runs = [at + timedelta(minutes=5 * k) for k in range(37)]
    runs += [end + timedelta(hours=h) for h in range(1, 8)]
    for at in runs:
        arrive(at, timedelta(minutes=30), [t for t in final if t >= burst_from])
        if at == end + timedelta(hours=3):  # 4 h 50 to 5 h 20 after their first evaluation
            final.update({t: final[t] * 2 for t in backfill})
            store(world, [(t, final[t]) for t in backfill])
        summary = evaluate(world, at)
        assert summary["failed"] == []
        fired += [f["rule"] for f in summary["fired"]]
    assert fired == ["mention-burst"]
    item = state_item(world)
    assert item is not None
    persisted = json.loads(item["detector"]["S"])
    last = datetime.fromtimestamp(persisted["last"], UTC)
    assert last > end  # the burst and the backfill are settled
    one_pass = Detector(VOLUME)  # the alert function's settings
    t = runs[0] - timedelta(minutes=5) - timedelta(days=7)  # the first run's warm-up start
    while t <= last:
        one_pass.update(t, final.get(t, 0))
        t += timedelta(minutes=5)
    assert one_pass.to_state() == persisted
