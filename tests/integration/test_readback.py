"""ingest's engagement read-back run (functions/ingest/engagement/readback.py) against moto:
which posts are due, the data lake's rows, the latest reading on the record, the
checkpoints, and what a platform's refusal or a deleted post does.

The platform is a small stand-in module here (``Platform``: ``read`` and ``followers``,
the interface of functions/ingest/engagement); each platform's own module is tested
against its peer in tests/integration/test_readback_<platform>.py."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from readback_peers import BUCKET, CURSORS, RECORDS, REGION, lake_rows, readback_run

from functions.common import readback
from functions.common.platform.errors import PlatformError
from functions.ingest.engagement import DELETED, Posted, Reader, Reading
from functions.ingest.engagement import readback as run_readback

PUBLISHED = datetime(2027, 1, 14, 8, 0, tzinfo=UTC)


@dataclass
class Platform:
    """A platform module's interface, answering from ``counts`` (by post id)."""

    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    deleted: set[str] = field(default_factory=set)
    refuse: PlatformError | None = None
    refuse_post: dict[str, PlatformError] = field(default_factory=dict)  # refused when asked
    follower_count: int | None = 1234
    calls: list[list[str]] = field(default_factory=list)

    def read(self, reader: Reader, posts: list[Posted]) -> list[Reading]:
        self.calls.append([p.post_id for p in posts])
        if self.refuse is not None:
            raise self.refuse
        for post in posts:  # a platform that refuses a whole request for one of its posts
            if post.post_id in self.refuse_post:
                raise self.refuse_post[post.post_id]
        return [Reading(p.post_id, {}, DELETED, "gone") if p.post_id in self.deleted
                else Reading(p.post_id, dict(self.counts.get(p.post_id, {})))
                for p in posts]  # fmt: skip

    def followers(self, reader: Reader) -> int | None:
        return self.follower_count


@dataclass
class World:
    platforms: dict[str, Platform]
    clock: list[datetime]
    deps: run_readback.Deps

    def publish(self, channel: str, post_id: str, at: datetime = PUBLISHED, post: str = "hello") -> None:  # fmt: skip
        """A publish record as publish writes it (functions/publish/outcome.py)."""
        boto3.client("dynamodb", region_name=REGION).put_item(TableName=RECORDS, Item={
            "pk": {"S": f"launch#{post}"}, "sk": {"S": f"{channel}#-#{readback.stamp(at)}"},
            "status": {"S": "published"}, "campaign": {"S": "launch"}, "post": {"S": post},
            "channel": {"S": channel}, "locale": {"S": ""}, "brand": {"S": "acme"},
            "post_id": {"S": post_id}, "url": {"S": f"https://example.test/{post_id}"},
            "published_at": {"S": readback.stamp(at)},
            readback.QUEUE_ATTRIBUTE: {"S": readback.QUEUE},
            readback.DUE_ATTRIBUTE: {"S": readback.stamp(readback.first_due(at))},
        })  # fmt: skip

    def record(self, channel: str, post: str = "hello", at: datetime = PUBLISHED) -> dict[str, Any]:  # fmt: skip
        item = boto3.resource("dynamodb", region_name=REGION).Table(RECORDS).get_item(
            Key={"pk": f"launch#{post}", "sk": f"{channel}#-#{readback.stamp(at)}"})["Item"]  # fmt: skip
        return dict(item)

    def lake(self, kind: str = "engagement") -> list[dict[str, Any]]:
        return lake_rows(kind)

    def run_at(self, when: datetime) -> dict[str, Any]:
        self.clock[0] = when
        return run_readback.run(self.deps)


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    platforms = {name: Platform() for name in ("x", "mastodon", "bluesky", "instagram", "facebook")}  # fmt: skip
    clock = [PUBLISHED]
    with readback_run(tmp_path, monkeypatch, platforms.__getitem__, lambda: clock[0]) as deps:
        yield World(platforms, clock, deps)


def test_a_post_is_read_at_each_checkpoint_then_leaves_the_index(world: World) -> None:
    # GIVEN a post published at 08:00 with some counts on X
    world.publish("x", "111")
    world.platforms["x"].counts["111"] = {"likes": 5, "shares": 1, "comments": 2, "views": 90}
    # WHEN the read-back runs before its first checkpoint  THEN nothing is due
    assert world.run_at(PUBLISHED + timedelta(minutes=59))["due"] == 0
    # WHEN it runs at +1h  THEN the post is read, its row is in the lake, its record holds
    # the reading and is due again at +6h
    summary = world.run_at(PUBLISHED + timedelta(hours=1, minutes=5))
    assert summary["due"] == 1 and summary["read"] == 1
    [row] = world.lake()
    assert row["_key"].startswith("engagement/brand=acme/platform=x/date=2027-01-14/")
    assert (row["checkpoint"], row["likes"], row["views"], row["age_hours"]) == ("1h", 5, 90, 1.083)
    # a metric the platform did not give is null in the lake, never 0
    assert row["saves"] is None and row["reach"] is None and row["clicks"] is None
    record = world.record("x")
    assert record["engagement"] == {"likes": 5, "shares": 1, "comments": 2, "views": 90}
    assert record["engagement_checkpoint"] == "1h"
    assert record[readback.DUE_ATTRIBUTE] == readback.stamp(PUBLISHED + timedelta(hours=6))
    # WHEN runs come late (+30h)  THEN the reading is labelled by the checkpoint reached
    # (24h) and the next is 72h
    world.platforms["x"].counts["111"]["likes"] = 40
    world.run_at(PUBLISHED + timedelta(hours=30))
    assert world.record("x")["engagement_checkpoint"] == "24h"
    assert world.record("x")[readback.DUE_ATTRIBUTE] == readback.stamp(PUBLISHED + timedelta(hours=72))  # fmt: skip
    # WHEN the last checkpoint (+7d) is read  THEN the post leaves the index for good
    world.run_at(PUBLISHED + timedelta(hours=72))
    world.run_at(PUBLISHED + timedelta(days=7, minutes=1))
    record = world.record("x")
    assert record["engagement_checkpoint"] == "7d" and readback.DUE_ATTRIBUTE not in record
    assert readback.QUEUE_ATTRIBUTE not in record
    assert world.run_at(PUBLISHED + timedelta(days=30))["due"] == 0
    assert [r["checkpoint"] for r in world.lake()] == ["1h", "24h", "72h", "7d"]


def test_posts_of_one_platform_are_read_together_and_a_deleted_one_leaves(world: World) -> None:
    # GIVEN three posts on Mastodon, one of which was deleted on the platform
    for i, post in enumerate(("a", "b", "c")):
        world.publish("mastodon", f"9{i}", post=post)
    world.platforms["mastodon"].deleted.add("91")
    # WHEN the read-back runs  THEN one call reads the three; the deleted one leaves the
    # index with its status, the others stay due
    summary = world.run_at(PUBLISHED + timedelta(hours=2))
    assert world.platforms["mastodon"].calls == [["90", "91", "92"]]
    assert (summary["read"], summary["deleted"]) == (2, 1)
    gone = world.record("mastodon", post="b")
    assert gone["engagement_status"] == "deleted" and readback.DUE_ATTRIBUTE not in gone
    assert readback.DUE_ATTRIBUTE in world.record("mastodon", post="a")
    assert {r["post_id"]: r["status"] for r in world.lake()} == {"90": "ok", "91": "deleted", "92": "ok"}  # fmt: skip


def test_a_platform_that_refuses_keeps_its_posts_due_and_the_others_are_read(world: World) -> None:
    # GIVEN posts on X and on Bluesky, and X at its rate limit
    world.publish("x", "111")
    world.publish("bluesky", "at://did:plc:acme/app.bsky.feed.post/1")
    world.platforms["x"].refuse = PlatformError("x", 429, "88", "the platform's rate limit was reached",
                                                retryable=True, retry_after_s=900)  # fmt: skip
    # WHEN the read-back runs  THEN Bluesky's post is read, X's stays due as it was, and
    # the summary says why
    summary = world.run_at(PUBLISHED + timedelta(hours=1))
    assert summary["read"] == 1 and any("rate limit" in s for s in summary["stopped"])
    assert world.record("x")[readback.DUE_ATTRIBUTE] == readback.stamp(PUBLISHED + timedelta(hours=1))  # fmt: skip
    assert "engagement" not in world.record("x")
    # WHEN the limit has passed  THEN the next run reads it
    world.platforms["x"].refuse = None
    assert world.run_at(PUBLISHED + timedelta(hours=1, minutes=15))["read"] == 1
    assert "engagement" in world.record("x")


def test_a_post_the_platform_refuses_alone_never_holds_the_others(world: World) -> None:
    # GIVEN three posts on X, one of which X refuses (as TikTok refuses an unknown
    # publish_id: the whole request fails, every run)
    for n in ("1", "2", "3"):
        world.publish("x", n, post=f"p{n}")
    world.platforms["x"].counts = {"1": {"likes": 5}, "3": {"likes": 7}}
    world.platforms["x"].refuse_post["2"] = PlatformError("x", 400, "invalid_request",
                                                          "the post id is not valid")  # fmt: skip
    # WHEN the read-back runs  THEN the posts are read one by one after the refusal: the
    # other two are read, the refused one is "refused", due again at its next checkpoint
    summary = world.run_at(PUBLISHED + timedelta(hours=1))
    assert (summary["read"], summary["refused"], summary["stopped"]) == (2, 1, [])
    assert world.platforms["x"].calls[0] == ["1", "2", "3"] and ["2"] in world.platforms["x"].calls  # fmt: skip
    refused = world.record("x", post="p2")
    assert refused["engagement_status"] == "refused" and "not valid" in refused["engagement_detail"]  # fmt: skip
    assert refused[readback.DUE_ATTRIBUTE] == readback.stamp(PUBLISHED + timedelta(hours=6))
    assert world.record("x", post="p1")["engagement"] == {"likes": 5}
    assert {r["post_id"]: r["status"] for r in world.lake()} == {"1": "ok", "2": "refused", "3": "ok"}  # fmt: skip


@pytest.mark.parametrize(
    "error",
    [PlatformError("x", 401, "89", "the token expired", auth=True),
     PlatformError("x", 503, "503", "over capacity", retryable=True)],
)  # fmt: skip
def test_a_token_or_server_refusal_is_not_read_post_by_post(world: World, error: PlatformError) -> None:  # fmt: skip
    # GIVEN a refusal that concerns the account or the platform, not a post
    for n in ("1", "2"):
        world.publish("x", n, post=f"p{n}")
    world.platforms["x"].refuse = error
    # WHEN the read-back runs  THEN one request, the group stops, both posts stay due
    summary = world.run_at(PUBLISHED + timedelta(hours=1))
    assert len(world.platforms["x"].calls) == 1 and summary["refused"] == 0
    assert len(summary["stopped"]) == 1 and "engagement_status" not in world.record("x", post="p1")  # fmt: skip


def test_a_post_of_an_account_no_longer_compiled_is_set_aside_with_the_reason(world: World) -> None:
    # GIVEN a record on a channel the brand has no account for any more
    world.publish("tiktok", "v1")
    # WHEN the read-back runs  THEN it leaves the index, saying why, and nothing is lost
    summary = world.run_at(PUBLISHED + timedelta(hours=1))
    record = world.record("tiktok")
    assert record["engagement_status"] == "unreadable" and readback.DUE_ATTRIBUTE not in record
    assert "no tiktok account" in record["engagement_detail"]
    assert any("no tiktok account" in s for s in summary["stopped"])


def test_followers_are_read_once_a_day_per_account(world: World) -> None:
    # GIVEN the compiled brand's five accounts, one of whose platforms gives no count
    world.platforms["facebook"].follower_count = None
    # WHEN the read-back runs twice on a day and once the next day
    first = world.run_at(PUBLISHED)
    again = world.run_at(PUBLISHED + timedelta(hours=3))
    world.platforms["x"].follower_count = 1300
    world.run_at(PUBLISHED + timedelta(days=1))
    # THEN each account was asked once a day, the counts are in the lake by day
    assert first["followers"]["acme/x"] == 1234 and again["followers"] == {}
    assert first["followers"]["acme/facebook"] == "not given by the platform"
    rows = world.lake("followers")
    assert sorted((r["platform"], r["date"], r["followers"]) for r in rows if r["platform"] == "x") == [
        ("x", "2027-01-14", 1234), ("x", "2027-01-15", 1300)]  # fmt: skip
    assert not [r for r in rows if r["platform"] == "facebook"]


def test_the_ingest_handler_runs_the_read_back_on_its_schedules_event(world: World) -> None:
    # GIVEN ingest's dependencies (no token store: X cannot be asked) and a due post
    from lambdas import Context

    from functions.ingest import handler
    from functions.ingest.service import Deps

    world.publish("x", "111")
    world.clock[0] = PUBLISHED + timedelta(hours=1)
    deps = Deps(s3=world.deps.s3, sqs=None, dynamodb=world.deps.dynamodb, secrets=None,
                cursors_table=CURSORS, queue_url="", bucket=BUCKET, records_table=RECORDS,
                endpoint=lambda platform, brand: "http://127.0.0.1:9", now=lambda: world.clock[0])  # fmt: skip
    handler.use(deps)
    try:
        # WHEN the read-back schedule's event arrives (twice)
        summary = handler.handler({"action": "readback"}, Context())
        kept = handler._readback
        handler.handler({"action": "readback"}, Context())
        reused = handler._readback
    finally:
        handler.use(None)
    # THEN the read-back ran: the post was due, X said why it could not be read, and the
    # post stays due for a later run
    assert summary["due"] == 1 and summary["read"] == 0
    assert any(s.startswith("acme/x: ") and "token" in s for s in summary["stopped"])
    assert readback.DUE_ATTRIBUTE in world.record("x")
    # the read-back's dependencies are kept between invocations (with their memo of the
    # days whose followers are read), and rebuilt only when new ones are given
    assert kept is not None and reused is kept and handler._readback is None
