"""``at: auto`` placed at run time (functions/optimize/placement.py) and fired exactly once
(functions/common/placement.py, publish's claim): the publish test world (moto in-process,
the platforms' contract fakes) with a campaign that has an auto post."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from projects import AUDIENCE, write_project
from publish_world import BRAND, CAMPAIGN, GENERATED, REGION, World

from functions.common import config
from functions.common.placement import record_key
from functions.optimize import placement, training
from functions.optimize.forecast import Post, fit
from functions.publish.records import Key, Records, Superseded
from infra.cli import main

NOW = "2026-12-01T00:00Z"
AUTO = """\
  - id: picked
    text: "Placed where the slot model says #acme"
    at: auto
    between:
      start: 2027-01-16
      end: 2027-01-17
    channels:
      - x
      - mastodon
  - id: later
    text: "The next auto post on x #acme"
    at: auto
    between:
      start: 2027-01-18
      end: 2027-01-19
    channels:
      - x
"""
ACTIVE = AUDIENCE + "active:\n  hours:\n    - 08:00-12:00\n    - 18:00-21:00\n"
STAGE = "test"
PUBLISH_ARN = "arn:aws:lambda:us-east-1:123456789012:function:socialops-test-publish"
ROLE_ARN = "arn:aws:iam::123456789012:role/socialops-test-scheduler-publish"


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = write_project(tmp_path_factory.mktemp("project"), {
        "brand.yml": BRAND, "audience.yml": ACTIVE, "campaign.yml": CAMPAIGN + AUTO,
        "campaign.generated.yml": GENERATED})  # fmt: skip
    out = tmp_path_factory.mktemp("build")
    assert main(["compile", str(root), "--out", str(out), "--no-cache", "--now", NOW]) == 0
    return out


def _deps(world: World) -> tuple[placement.Deps, training.Deps]:
    scheduler = boto3.client("scheduler", region_name=REGION)
    scheduler.create_schedule_group(Name=f"socialops-{STAGE}-launch.fn")
    records = world.table("PUBLISH_RECORDS_TABLE")
    s3 = boto3.client("s3", region_name=REGION)
    train = training.Deps(s3, world.env["RAW_MENTIONS_BUCKET"], now=lambda: world.clock[0])
    return placement.Deps(records, scheduler, STAGE, ROLE_ARN, PUBLISH_ARN), train


def _placed(world: World) -> dict[tuple[str, str], dict[str, Any]]:
    scheduler = boto3.client("scheduler", region_name=REGION)
    group = f"socialops-{STAGE}-launch.fn"
    found = {}
    for entry in scheduler.list_schedules(GroupName=group)["Schedules"]:
        payload = json.loads(scheduler.get_schedule(GroupName=group, Name=entry["Name"])["Target"]["Input"])  # fmt: skip
        found[(payload["post"], payload["channel"])] = payload
    return found


def _auto(post: str, channel: str) -> Any:
    return next(a for a in config.load("launch").auto if (a.post, a.channel) == (post, channel))


def test_compile_lists_the_auto_occurrences_and_the_taken_times(world: World) -> None:
    loaded = config.load("launch")
    picked = {a.channel: a for a in loaded.auto if a.post == "picked"}
    assert sorted(picked) == ["mastodon", "x"]
    x = picked["x"]
    # between 2027-01-16 .. 2027-01-17 (the whole day) in Paris, in UTC
    assert (x.earliest, x.latest) == ("2027-01-15T23:00:00Z", "2027-01-17T22:59:00Z")
    assert x.timezone == "Europe/Paris" and x.audiences == ["paris"]
    # the fallback: the middle of the audience's first active window on its first day
    assert x.scheduled_for == "2027-01-16T09:00:00Z"
    assert "2027-01-14T08:00:00Z" in loaded.occupied["x"]  # hello, fixed
    assert all(a.post in ("picked", "later") for a in loaded.auto)


def test_optimize_places_each_occurrence_once_in_its_bounds(world: World) -> None:
    deps, train = _deps(world)
    world.clock[0] = datetime(2027, 1, 14, 0, 0, tzinfo=UTC)
    summary = placement.run(deps, train, config.load_all())
    placed = {(p["post"], p["channel"]): p for p in summary["placed"]}
    assert sorted(placed) == [("later", "x"), ("picked", "mastodon"), ("picked", "x")]
    assert summary["exploration_share"] == summary["explored"] / 3
    for (post, channel), row in placed.items():
        auto = _auto(post, channel)
        at = datetime.strptime(row["at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        local = at.astimezone(placement.ZoneInfo("Europe/Paris"))
        assert auto.earliest <= row["at"] <= auto.latest and local.minute == 0
        assert 8 <= local.hour < 12 or 18 <= local.hour < 21  # the audience's active hours
        record = world.table("PUBLISH_RECORDS_TABLE").get_item(Key=record_key(
            "launch", post, channel, "", auto.scheduled_for))["Item"]  # fmt: skip
        assert record["placed_at"] == row["at"] and "status" not in record
        assert _placed(world)[(post, channel)]["placed_at"] == row["at"]
    # two posts of the brand on one channel stay apart
    x_times = sorted(placed[(p, "x")]["at"] for p in ("picked", "later"))
    assert x_times[0] != x_times[1]
    # the next day's run keeps them where they are: placements never churn
    world.clock[0] += timedelta(days=1)
    again = placement.run(deps, train, config.load_all())
    assert again["placed"] == [] and again["moved"] == [] and again["kept"] == 3
    assert len(_placed(world)) == 3


def test_the_fallback_steps_aside_and_the_placed_firing_posts_once(world: World) -> None:
    deps, train = _deps(world)
    world.clock[0] = datetime(2027, 1, 14, 0, 0, tzinfo=UTC)
    placement.run(deps, train, config.load_all())
    placed = _placed(world)[("picked", "x")]
    fallback = {k: v for k, v in placed.items() if k != "placed_at"}
    world.clock[0] = datetime(2027, 1, 16, 9, 0, tzinfo=UTC)
    outcome = world.invoke(fallback)
    assert outcome["status"] == "moved" and placed["placed_at"] in outcome["reason"]
    assert world.posts("x") == 0 and world.dead_letters() == []
    world.clock[0] = datetime.strptime(placed["placed_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)  # fmt: skip
    assert world.invoke(placed)["status"] == "published"
    assert world.invoke(fallback)["status"] == "moved"  # a late fallback: still not twice
    assert world.invoke(placed).get("replayed")  # a duplicate delivery of the placed one
    assert world.posts("x") == 1
    # a firing of a placement that is no longer the record's steps aside too
    stale = {**placed, "placed_at": "2027-01-17T18:00:00Z"}
    assert world.invoke(stale)["status"] == "moved" and world.posts("x") == 1


def test_a_move_between_the_check_and_the_claim_is_never_posted(world: World) -> None:
    records = Records(world.table("PUBLISH_RECORDS_TABLE"))
    auto = _auto("picked", "mastodon")
    key = Key("launch", "picked", "mastodon", "", auto.scheduled_for)
    world.table("PUBLISH_RECORDS_TABLE").update_item(
        Key=key.item_key, UpdateExpression="SET placed_at = :at",
        ExpressionAttributeValues={":at": "2027-01-17T19:00:00Z"})  # fmt: skip
    now = datetime(2027, 1, 16, 9, 0, tzinfo=UTC)
    with pytest.raises(Superseded, match="2027-01-17T19:00:00Z"):
        records.claim(key, now, now + timedelta(minutes=5), "")  # the fallback's claim
    with pytest.raises(Superseded):
        records.claim(key, now, now + timedelta(minutes=5), "2027-01-16T19:00:00Z")
    assert "status" not in records.get(key)  # type: ignore[operator]
    assert records.claim(key, now, now + timedelta(minutes=5), "2027-01-17T19:00:00Z") is None
    # claimed: optimize can no longer move it
    deps, train = _deps(world)
    world.clock[0] = datetime(2027, 1, 15, 0, 0, tzinfo=UTC)
    summary = placement.run(deps, train, config.load_all())
    assert ("picked", "mastodon") not in {(p["post"], p["channel"]) for p in summary["placed"]}
    assert summary["done"] == 1


def _history(now: datetime) -> training.History:
    """Forty settled x posts of acme with their early readings (likes + comments at 6 h
    half their final engagement), and one recent post far below that."""
    history = training.History()
    for i in range(40):
        published = now - timedelta(days=41 - i, hours=i % 7)
        final = 40 + (i * 7) % 23
        row = {"platform": "x", "account": "acme", "post_id": f"p{i}",
               "published_at": published.strftime("%Y-%m-%dT%H:%M:%SZ"), "text": f"post {i} #acme",
               "media": "none", "followers": 5000, "status": "ok"}  # fmt: skip
        history.add_reading({**row, "read_at": (published + timedelta(hours=30)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                             "likes": final - 10, "shares": 5, "comments": 5}, now)  # fmt: skip
        history.add_reading({**row, "campaign": "launch", "post": "old", "checkpoint": "6h",
                             "read_at": (published + timedelta(hours=6)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                             "likes": final // 2 - 2, "comments": 2}, now)  # fmt: skip
    published = now - timedelta(hours=20)
    history.add_reading({"platform": "x", "account": "acme", "post_id": "slow",
                         "campaign": "launch", "post": "hello", "checkpoint": "6h",
                         "published_at": published.strftime("%Y-%m-%dT%H:%M:%SZ"),
                         "read_at": (published + timedelta(hours=6)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                         "text": "post slow #acme", "media": "none", "followers": 5000,
                         "status": "ok", "likes": 1, "comments": 0}, now)  # fmt: skip
    return history


def test_a_lagging_post_moves_the_next_auto_post_on_its_channel(world: World) -> None:
    deps, train = _deps(world)
    world.clock[0] = datetime(2027, 1, 14, 0, 0, tzinfo=UTC)
    first = placement.run(deps, train, config.load_all())
    before = {(p["post"], p["channel"]): p["at"] for p in first["placed"]}
    now = datetime(2027, 1, 15, 0, 0, tzinfo=UTC)
    history = _history(now)
    s3, bucket = train.s3, train.bucket
    s3.put_object(Bucket=bucket, Key=training.history_key("acme"), Body=json.dumps(history.as_dict()))  # fmt: skip
    posts = history.posts(placement.ZoneInfo("Europe/Paris"))["engagement"]
    assert len(posts) == 40 and all(isinstance(p, Post) for p in posts)
    model = fit(posts, seed=0)
    s3.put_object(Bucket=bucket, Key=training.model_key("acme"), Body=json.dumps({
        "format": training.FORMAT, "version": training.VERSION, "zone": "Europe/Paris",
        "models": {"engagement": model.to_dict()}}))  # fmt: skip
    world.clock[0] = now
    summary = placement.run(deps, train, config.load_all())
    assert [lag["post_id"] for lag in summary["lagging"]] == ["slow"]
    (moved,) = summary["moved"]  # the campaign's next auto post on x, once
    assert (moved["post"], moved["channel"]) == ("picked", "x")
    assert moved["from"] == before[("picked", "x")] and moved["at"] != moved["from"]
    assert "lags: 1 likes and comments at 6h" in moved["reason"]
    assert _placed(world)[("picked", "x")]["placed_at"] == moved["at"]
    assert len(_placed(world)) == 3  # the old placement's schedule is gone
    world.clock[0] += timedelta(hours=1)
    assert placement.run(deps, train, config.load_all())["moved"] == []  # answered once


def test_plan_shows_each_auto_post_with_its_bounds_and_its_current_time(
    world: World, build: Path
) -> None:
    from infra.deploy import auto

    deps, train = _deps(world)
    before = auto.auto_posts(deps.scheduler, STAGE, build)
    assert [r["placement"] for r in before] == ["fallback"] * 3
    assert all(r["at"] == r["fallback"] for r in before)
    world.clock[0] = datetime(2027, 1, 14, 0, 0, tzinfo=UTC)
    summary = placement.run(deps, train, config.load_all())
    rows = auto.auto_posts(deps.scheduler, STAGE, build)
    placed = {(p["post"], p["channel"]): p for p in summary["placed"]}
    for row in rows:
        made = placed[(row["post"], row["channel"])]
        assert row["at"] == made["at"]
        assert row["placement"] == ("explored" if made["explored"] else "best")
        assert row["fallback"] == made["fallback"] and row["timezone"] == "Europe/Paris"
    share = auto.exploration(rows)
    assert share == {"placed": 3, "explored": summary["explored"],
                     "share": round(summary["explored"] / 3, 3)}  # fmt: skip
    shown = "\n".join(auto.text(rows))
    assert "at: auto posts (3 of 3 placed by optimize" in shown
    assert "launch/picked on x: between 2027-01-15T23:00:00Z and 2027-01-17T22:59:00Z" in shown


def test_the_report_says_where_each_auto_post_goes_and_why(world: World) -> None:
    from infra.report.data import read_placements
    from infra.report.document import Context, placement_part

    deps, train = _deps(world)
    world.clock[0] = datetime(2027, 1, 14, 0, 0, tzinfo=UTC)
    loaded = config.load("launch")
    unread = placement_part(Context(None, world.clock[0], None, None), loaded)
    assert "were not read" in unread
    before = placement_part(Context(None, world.clock[0], None, None, [], []), loaded)
    assert "0 occurrences placed of 3" in before and before.count("not placed (fallback)") == 3
    summary = placement.run(deps, train, config.load_all())
    found = read_placements(world.table("PUBLISH_RECORDS_TABLE"))
    assert sorted((p.post, p.channel, p.placed_at) for p in found) == sorted(
        (p["post"], p["channel"], p["at"]) for p in summary["placed"])  # fmt: skip
    shown = placement_part(Context(None, world.clock[0], None, None, [], found), loaded)
    assert "3 occurrences placed of 3" in shown and "to come" in shown
    assert f"{summary['explored']} explored, 0 moved" in shown
