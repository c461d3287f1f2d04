"""The first run's backfill of a brand's accounts (functions/ingest/engagement/readback.py
``backfill``) against moto: the listing's posts in the lake as "backfill" rows, the marker
that makes it once per account, what a refusal, the bound, the time left and a module
without ``recent`` do; and the columns every row of the ``engagement`` table holds.

The platforms are small stand-in modules here (the interface of functions/ingest/engagement:
``read``, ``followers`` and, for some, ``recent``); each platform's own ``recent`` is
tested against its peer in tests/integration/test_readback_<platform>.py."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from readback_peers import CURSORS, RECORDS, REGION, lake_rows, readback_run

from functions.common import readback
from functions.common.platform.errors import PlatformError
from functions.ingest.engagement import (
    BACKFILL,
    ENGAGEMENT_COLUMNS,
    READBACK,
    Posted,
    Reader,
    Reading,
    Recent,
)
from functions.ingest.engagement import readback as run_readback
from functions.ingest.sources import BadPage

FIRST_RUN = datetime(2027, 1, 14, 8, 0, tzinfo=UTC)
COLUMNS = [name for name, _ in ENGAGEMENT_COLUMNS]


@dataclass
class Plain:
    """A platform module without a listing (``read`` and ``followers`` only)."""

    follower_count: int | None = 1234

    def read(self, reader: Reader, posts: list[Posted]) -> list[Reading]:
        return [Reading(p.post_id, {"likes": 1}) for p in posts]

    def followers(self, reader: Reader) -> int | None:
        return self.follower_count


@dataclass
class Listing(Plain):
    """A platform module with ``recent``: ``posts``, newest first (all of them, whatever
    the limit, unless ``honour_limit``), or ``refuse``'s error."""

    posts: list[Recent] = field(default_factory=list)
    refuse: Exception | None = None
    honour_limit: bool = True
    asked: list[int] = field(default_factory=list)  # the limit of each call

    def recent(self, reader: Reader, limit: int) -> list[Recent]:
        self.asked.append(limit)
        if self.refuse is not None:
            raise self.refuse
        return self.posts[:limit] if self.honour_limit else list(self.posts)


def recent(n: int, *, hours_ago: float = 0.0, metrics: dict[str, int] | None = None,
           media: str | None = "none") -> Recent:  # fmt: skip
    """The account's post number ``n`` as a listing gives it, ``hours_ago`` before the
    first run."""
    ident = str(1000 + n)
    when = readback.stamp(FIRST_RUN - timedelta(hours=hours_ago))
    return Recent(Posted(ident, f"https://example.test/{ident}", when),
                  Reading(ident, dict(metrics if metrics is not None else {"likes": n})),
                  f"post {n}", media)  # fmt: skip


@dataclass
class World:
    platforms: dict[str, Any]
    clock: list[datetime]
    deps: run_readback.Deps
    left_s: list[float]

    def run_at(self, when: datetime) -> dict[str, Any]:
        self.clock[0] = when
        return run_readback.run(self.deps)

    def fresh(self) -> run_readback.Deps:
        """Another process's dependencies (a new Lambda container: no memo)."""
        d = self.deps
        return run_readback.Deps(d.dynamodb, d.s3, d.records_table, d.cursors_table, d.bucket,
                                 d.reader, module=d.module, now=d.now, remaining_s=d.remaining_s)  # fmt: skip

    def lake(self) -> list[dict[str, Any]]:
        return lake_rows()

    def marker(self, platform: str) -> dict[str, Any] | None:
        item = boto3.client("dynamodb", region_name=REGION).get_item(
            TableName=CURSORS, Key={"pk": {"S": "backfill#acme"}, "sk": {"S": platform}},
        ).get("Item")  # fmt: skip
        return {k: next(iter(v.values())) for k, v in item.items()} if item else None


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    # the compiled brand "acme" has accounts on x, bluesky, mastodon, instagram, facebook
    platforms: dict[str, Any] = {"x": Listing(), "mastodon": Listing(), "bluesky": Listing(),
                                 "instagram": Plain(), "facebook": Plain()}  # fmt: skip
    clock, left_s = [FIRST_RUN], [300.0]
    with readback_run(tmp_path, monkeypatch, platforms.__getitem__, lambda: clock[0],
                      remaining_s=lambda: left_s[0]) as deps:  # fmt: skip
        yield World(platforms, clock, deps, left_s)


def test_the_first_run_backfills_each_account_once_into_the_lake(world: World) -> None:
    # GIVEN X lists three posts (one with an image, one whose listing gives no shares),
    # Mastodon one, Bluesky none yet; X's account has 1234 followers
    world.platforms["x"].posts = [
        recent(3, hours_ago=2, metrics={"likes": 7, "shares": 2, "views": 300}, media="image"),
        recent(2, hours_ago=30, metrics={"likes": 4}),
        recent(1, hours_ago=24 * 20, metrics={}, media=None),
    ]  # fmt: skip
    world.platforms["mastodon"].posts = [recent(9, hours_ago=5)]
    # WHEN the read-back runs for the first time
    summary = world.run_at(FIRST_RUN)
    # THEN each account with a listing was asked once, for at most BACKFILL_MAX posts
    assert summary["backfill"] == {"acme/bluesky": 0, "acme/mastodon": 1, "acme/x": 3}
    assert [world.platforms[p].asked for p in ("x", "mastodon", "bluesky")] == [
        [run_readback.BACKFILL_MAX]] * 3  # fmt: skip
    # AND the lake holds their rows, "backfill", no checkpoint and none of our campaign's
    # names, each with exactly the engagement table's columns
    rows = {r["post_id"]: r for r in world.lake()}
    assert sorted(rows) == ["1001", "1002", "1003", "1009"]
    assert all(sorted(k for k in r if k != "_key") == sorted(COLUMNS) for r in rows.values())
    newest = rows["1003"]
    assert newest["_key"].startswith("engagement/brand=acme/platform=x/date=2027-01-14/")
    assert (newest["source"], newest["checkpoint"], newest["status"]) == (BACKFILL, None, "ok")
    assert (newest["campaign"], newest["post"], newest["locale"]) == (None, None, None)
    assert (newest["brand"], newest["platform"], newest["account"]) == ("acme", "x", "acme")
    assert (newest["text"], newest["media"], newest["url"]) == ("post 3", "image", "https://example.test/1003")  # fmt: skip
    assert (newest["likes"], newest["shares"], newest["views"]) == (7, 2, 300)
    assert newest["published_at"] == "2027-01-14T06:00:00Z" and newest["age_hours"] == 2.0
    assert newest["read_at"] == "2027-01-14T08:00:00Z"
    # the run's follower count is on the rows: engagement per follower for the models
    assert newest["followers"] == 1234 == summary["followers"]["acme/x"]
    # a metric the listing did not give is null, never 0; so is a media it did not say
    assert rows["1002"]["shares"] is None and rows["1002"]["likes"] == 4
    assert all(rows["1001"][m] is None for m in ("likes", "shares", "comments", "views"))
    assert rows["1001"]["media"] is None and rows["1002"]["media"] == "none"
    # AND each account has its marker: the day and how many posts it wrote
    assert world.marker("x") == {"pk": "backfill#acme", "sk": "x", "day": "2027-01-14", "count": "3"}  # fmt: skip
    assert world.marker("bluesky") is not None and world.marker("bluesky")["count"] == "0"  # type: ignore[index]
    # WHEN the read-back runs again, in this process and in a new one a day later
    world.platforms["bluesky"].posts = [recent(5)]
    again = world.run_at(FIRST_RUN + timedelta(minutes=15))
    world.deps = world.fresh()
    later = world.run_at(FIRST_RUN + timedelta(days=1))
    # THEN nothing is backfilled again: the markers say it is done
    assert again["backfill"] == {} and later["backfill"] == {}
    assert [len(world.platforms[p].asked) for p in ("x", "mastodon", "bluesky")] == [1, 1, 1]
    assert len(world.lake()) == 4


@pytest.mark.parametrize("refusal", [
    PlatformError("mastodon", 429, "429", "the platform's rate limit was reached",
                  retryable=True, retry_after_s=300),
    BadPage("mastodon: /api/v1/accounts/1/statuses answered a dict, not a list"),
])  # fmt: skip
def test_a_refused_backfill_leaves_no_marker_and_is_tried_on_the_next_run(
    world: World, refusal: Exception
) -> None:
    # GIVEN Mastodon refuses its listing, X lists a post
    world.platforms["mastodon"].refuse = refusal
    world.platforms["mastodon"].posts = [recent(1)]
    world.platforms["x"].posts = [recent(2)]
    # WHEN the first run backfills
    summary = world.run_at(FIRST_RUN)
    # THEN X is done; Mastodon's refusal is in the summary, with no rows and no marker
    assert summary["backfill"]["acme/x"] == 1 and world.marker("x") is not None
    assert summary["backfill"]["acme/mastodon"] == str(refusal)
    assert f"acme/mastodon: backfill: {refusal}" in summary["stopped"]
    assert world.marker("mastodon") is None
    assert [r["platform"] for r in world.lake()] == ["x"]
    # WHEN the platform answers again on the next run  THEN Mastodon is backfilled, and
    # only Mastodon
    world.platforms["mastodon"].refuse = None
    again = world.run_at(FIRST_RUN + timedelta(minutes=15))
    assert again["backfill"] == {"acme/mastodon": 1} and again["stopped"] == []
    assert world.marker("mastodon") is not None
    assert sorted(r["platform"] for r in world.lake()) == ["mastodon", "x"]


def test_the_backfill_is_bounded_whatever_a_module_answers(world: World) -> None:
    # GIVEN an X listing of 150 posts that ignores the limit it is given, and repeats one
    posts = [recent(n, hours_ago=n) for n in range(150)]
    world.platforms["x"].posts = [posts[0], *posts]
    world.platforms["x"].honour_limit = False
    # WHEN the first run backfills
    summary = world.run_at(FIRST_RUN)
    # THEN it was asked for BACKFILL_MAX, and wrote that many: the newest, each once
    assert world.platforms["x"].asked == [run_readback.BACKFILL_MAX] == [100]
    written = [r["post_id"] for r in world.lake() if r["platform"] == "x"]
    assert summary["backfill"]["acme/x"] == len(written) == 100
    assert sorted(written) == sorted(p.posted.post_id for p in posts[:100])
    assert world.marker("x")["count"] == "100"  # type: ignore[index]


def test_a_module_without_recent_is_skipped_without_a_marker(world: World) -> None:
    # GIVEN Instagram's and Facebook's modules have no ``recent`` yet
    summary = world.run_at(FIRST_RUN)
    assert not {"acme/instagram", "acme/facebook"} & set(summary["backfill"])
    assert world.marker("instagram") is None and world.marker("facebook") is None
    # WHEN Instagram's module gains one  THEN the next run backfills that account
    world.platforms["instagram"] = Listing(posts=[recent(7)])
    later = world.run_at(FIRST_RUN + timedelta(minutes=15))
    assert later["backfill"] == {"acme/instagram": 1}
    assert world.marker("instagram") is not None


def test_out_of_time_the_backfill_waits_for_the_next_run(world: World) -> None:
    # GIVEN a run with less time left than the safety margin
    world.platforms["x"].posts = [recent(1)]
    world.left_s[0] = run_readback.SAFETY_MARGIN_S - 1
    # WHEN it runs  THEN no listing is asked, no marker written, and the summary says so
    summary = world.run_at(FIRST_RUN)
    assert world.platforms["x"].asked == [] and world.marker("x") is None
    assert "backfill: out of time, 3 accounts left for the next run" in summary["stopped"]
    # WHEN the next run has time  THEN it backfills
    world.left_s[0] = 300.0
    assert world.run_at(FIRST_RUN + timedelta(minutes=15))["backfill"]["acme/x"] == 1


def test_a_post_time_that_is_not_a_time_is_a_refusal(world: World) -> None:
    # GIVEN a module that lists a post whose time is not one
    bad = Recent(Posted("1", "", "yesterday"), Reading("1", {}), "hello", "none")
    world.platforms["x"].posts = [bad]
    # WHEN the run backfills  THEN X is refused (no rows, no marker), the others go on
    summary = world.run_at(FIRST_RUN)
    assert "is not a time" in str(summary["backfill"]["acme/x"])
    assert world.marker("x") is None and world.marker("mastodon") is not None


def test_a_read_back_row_holds_every_column_and_its_records_text_and_media(world: World) -> None:
    # GIVEN two publish records, one with the text and media publish now records, one
    # from before it did
    published = FIRST_RUN - timedelta(hours=1)
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    for post, extra in (("new", {"text": {"S": "Hello #acme"}, "media": {"S": "video"}}),
                        ("old", {})):  # fmt: skip
        dynamodb.put_item(TableName=RECORDS, Item={
            "pk": {"S": f"launch#{post}"}, "sk": {"S": f"x#-#{readback.stamp(published)}"},
            "status": {"S": "published"}, "campaign": {"S": "launch"}, "post": {"S": post},
            "channel": {"S": "x"}, "locale": {"S": ""}, "brand": {"S": "acme"},
            "post_id": {"S": f"id-{post}"}, "url": {"S": f"https://example.test/{post}"},
            "published_at": {"S": readback.stamp(published)},
            readback.QUEUE_ATTRIBUTE: {"S": readback.QUEUE},
            readback.DUE_ATTRIBUTE: {"S": readback.stamp(readback.first_due(published))},
            **extra,
        })  # fmt: skip
    # WHEN the read-back reads them
    world.run_at(FIRST_RUN)
    rows = {r["post_id"]: r for r in world.lake() if r["source"] == READBACK}
    # THEN each row has exactly the table's columns; the text and media the record holds,
    # null where it holds none; the followers column is the backfill's, null here
    assert all(sorted(k for k in r if k != "_key") == sorted(COLUMNS) for r in rows.values())
    assert (rows["id-new"]["text"], rows["id-new"]["media"]) == ("Hello #acme", "video")
    assert (rows["id-old"]["text"], rows["id-old"]["media"]) == (None, None)
    assert rows["id-new"]["checkpoint"] == "1h" and rows["id-new"]["campaign"] == "launch"
    assert rows["id-new"]["followers"] is None and rows["id-new"]["likes"] == 1


def test_a_row_with_a_name_that_is_no_column_is_refused() -> None:
    with pytest.raises(ValueError, match="not columns"):
        run_readback.columns({"brand": "acme", "like": 3})
    assert list(run_readback.columns({"brand": "acme"})) == COLUMNS
