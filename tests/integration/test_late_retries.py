"""Late retries instead of failures: a platform that asks to wait longer than the
invocation has left gets a one-time retry schedule at its reset time, in the campaign's
functions' group, with the firing's identity; a post that would go out more than its
``late_by`` after its time is failed with the reason instead of sent late."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from publish_world import REGION, World, event

from functions.publish.later import Retries
from functions.publish.records import Records

ROLE = "arn:aws:iam::123456789012:role/socialops-test-scheduler-publish"
PUBLISH = "arn:aws:lambda:us-east-1:123456789012:function:socialops-test"  # the context's
GROUP = "socialops-test-launch.fn"
WEEKLY_AT = datetime(2027, 1, 4, 9, tzinfo=UTC)


@pytest.fixture
def scheduler(world: World) -> Any:
    """Scheduler (moto) with the campaign's functions' group, as deploy leaves it."""
    client = boto3.client("scheduler", region_name=REGION)
    client.create_schedule_group(Name=GROUP)
    assert world.deps is not None
    world.deps.retries = Retries(client, "test", ROLE, "arn:aws:sqs:us-east-1:1:dlq", PUBLISH)
    return client


def weekly(channel: str) -> dict[str, str]:
    return event("weekly", channel, WEEKLY_AT.strftime("%Y-%m-%dT%H:%M:%SZ"), "")


def retries(client: Any) -> list[dict[str, Any]]:
    names = [s["Name"] for s in client.list_schedules(GroupName=GROUP)["Schedules"]]
    return [client.get_schedule(GroupName=GROUP, Name=n) for n in names]


# the platforms' 429s whose reset is past the invocation's 300 s: Bluesky (ratelimit-reset
# +300 s), LinkedIn (Retry-After 3600), Mastodon (X-RateLimit-Reset +5 min), Facebook (its
# usage header's estimated_time_to_regain_access, 5 min)
LONG_WAITS = {"bluesky": "putRecord", "linkedin": "/rest/posts", "mastodon": "/statuses",
              "facebook": "/feed"}  # fmt: skip


@pytest.mark.parametrize("channel", sorted(LONG_WAITS))
def test_a_429_past_the_invocation_is_retried_at_its_reset_and_posts_once(
    world: World, scheduler: Any, channel: str
) -> None:
    world.clock[0] = WEEKLY_AT
    world.fakes[channel].fail_next("rate_limit", on=LONG_WAITS[channel])
    # WHEN the platform asks to wait longer than the invocation can
    outcome = world.invoke(weekly(channel))
    # THEN nothing failed: a one-time retry is scheduled at the reset, in the functions' group
    assert outcome["status"] == "rescheduled" and "retried then" in outcome["reason"]
    assert world.posts(channel) == 0 and world.dead_letters() == []
    [retry] = retries(scheduler)
    fires = datetime.fromisoformat(retry["ScheduleExpression"][3:-1]).replace(tzinfo=UTC)
    assert WEEKLY_AT < fires <= WEEKLY_AT + timedelta(hours=1, minutes=2)
    assert retry["ActionAfterCompletion"] == "DELETE" and retry["Target"]["Arn"] == PUBLISH
    payload = json.loads(retry["Target"]["Input"])
    assert {k: v for k, v in payload.items() if k != "retry"} == {**weekly(channel)}
    record = world.record(weekly(channel))
    assert record["status"] == "waiting" and record["retry_at"] == f"{fires:%Y-%m-%dT%H:%M:%SZ}"
    # AND a late duplicate of the original delivery does not jump the queue
    again = world.invoke(weekly(channel))
    assert again["status"] == "rescheduled" and again["replayed"] and world.posts(channel) == 0
    # WHEN the retry fires  THEN it posts, once, as the same firing
    world.clock[0] = fires
    assert world.invoke(payload)["status"] == "published" and world.posts(channel) == 1
    assert world.invoke(payload)["post_id"] == world.record(weekly(channel))["post_id"]
    assert world.posts(channel) == 1


def test_a_retry_is_one_schedule_however_often_it_is_asked_for(
    world: World, scheduler: Any
) -> None:
    # GIVEN a delivery rescheduled, and its duplicate delivery rescheduled again (a claim
    # left by a dead invocation lets it through)
    world.clock[0] = WEEKLY_AT
    world.fakes["linkedin"].fail_next("rate_limit", on="/rest/posts", times=2)
    assert world.invoke(weekly("linkedin"))["status"] == "rescheduled"
    assert world.invoke({**weekly("linkedin"), "redrive": "2027-01-04T09:00:10Z"})[
        "status"] == "rescheduled"  # fmt: skip
    # THEN Scheduler holds one retry, not two
    assert len(retries(scheduler)) == 1


def test_a_wait_past_late_by_fails_with_the_reason_and_schedules_nothing(
    world: World, scheduler: Any
) -> None:
    # GIVEN a post that may go out at most 30 minutes late, and LinkedIn asking for an hour
    flash = event("flash", "linkedin", "2027-01-14T11:00:00Z", "")
    world.clock[0] = datetime(2027, 1, 14, 11, tzinfo=UTC)
    world.fakes["linkedin"].fail_next("rate_limit", on="/rest/posts")
    outcome = world.invoke(flash)
    # THEN it is failed with the reason, not sent late, and a person is told
    assert outcome["status"] == "failed" and "late_by of 30m" in outcome["reason"]
    assert "not sent late" in outcome["reason"] and retries(scheduler) == []
    assert world.dead_letters()[0]["outcome"]["status"] == "failed"


@pytest.mark.parametrize(("late", "status"), [(timedelta(hours=5), "published"),
                                              (timedelta(hours=7), "failed")])  # fmt: skip
def test_a_delivery_later_than_late_by_is_failed_not_sent(
    world: World, late: timedelta, status: str
) -> None:
    # GIVEN a weekly post (late_by: the campaign's 6 h) delivered late (a redrive, a backlog)
    world.clock[0] = WEEKLY_AT + late
    outcome = world.invoke(weekly("mastodon"))
    # THEN within late_by it posts; past it, it fails with the reason and posts nothing
    assert outcome["status"] == status
    assert world.posts("mastodon") == (1 if status == "published" else 0)
    if status == "failed":
        assert "7.0 h after its time" in outcome["reason"] and "late_by of 6h" in outcome["reason"]


def test_a_late_redrive_still_recovers_what_went_out(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a post that went out but whose invocation died before recording it
    world.clock[0] = WEEKLY_AT
    real = Records.finish

    def dies_once(self: Records, *args: Any, **kwargs: Any) -> None:
        monkeypatch.setattr(Records, "finish", real)
        raise ConnectionError("died before recording")

    monkeypatch.setattr(Records, "finish", dies_once)
    with pytest.raises(ConnectionError):
        world.invoke(weekly("facebook"))
    # WHEN a person redrives it a day later (past late_by)
    world.clock[0] = WEEKLY_AT + timedelta(days=1)
    outcome = world.invoke({**weekly("facebook"), "redrive": "2027-01-05T09:00:00Z"})
    # THEN what went out is recorded as published: late_by stops sending, not recovering
    assert outcome["status"] == "recovered" and world.posts("facebook") == 1
