"""The ``ingest`` function against moto (in-process) and the platforms' contract fakes on
loopback: pulls land in S3 and SQS in the format ``score`` reads, cursors neither lose nor
repeat a mention across runs, crashes and pages; bad platform input is counted, never a
traceback; signed webhooks are checked and queued."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from lambdas import Context
from moto import mock_aws

from functions.common import config
from functions.common.config import CONFIG_DIR_ENV
from functions.common.platform.tokens import Tokens
from functions.ingest import handler as ingest
from functions.ingest.service import Deps
from functions.ingest.sources import BadPage
from functions.score import service as score
from infra.cli import main
from infra.peers import Fake, Reply, bluesky, linkedin, mastodon, meta, webhooks, x

ROOT = Path(__file__).resolve().parents[2]
REGION = "us-east-1"
TABLE, QUEUE, BUCKET = "socialops-test-IngestCursors", "socialops-test-mentions", "raw-mentions"
BRAND = "aerolite"
PAGE = "100000000000003"  # aerolite's Facebook page (campaigns/aerolite/brand.yml)
IG_USER = "17841400000000077"
ORG = "urn:li:organization:7777777"
NOW = datetime(2027, 1, 14, 9, 0, tzinfo=UTC)
WEBHOOK_SECRET = "fake-" + "webhook-" + "secret"  # obvious fakes, built at run time
VERIFY = "fake-" + "verify-token"
KEYS = {"id", "brand", "platform", "text", "created_at", "url", "lang", "author", "kind",
        "source"}  # fmt: skip


def _add_accounts(folder: Path) -> None:
    """aerolite also listens on Instagram and LinkedIn (and TikTok pushes) in these tests."""
    for path in folder.glob("*.json"):
        data = json.loads(path.read_text())
        brand = data["brand"]
        if brand["name"] != BRAND:
            continue
        brand["accounts"].update(
            instagram={"handle": "aerolite", "id": IG_USER, "secret": "socialops/aerolite/ig"},
            linkedin={"handle": "aerolite", "id": ORG, "secret": "socialops/aerolite/li"},
            tiktok={"handle": "aerolite", "secret": "socialops/aerolite/tiktok"},
        )
        brand["listening"]["platforms"] = sorted(brand["accounts"])
        path.write_text(json.dumps(data))


@dataclass
class World:
    deps: Deps
    fakes: dict[str, Fake]
    clock: list[datetime] = field(default_factory=lambda: [NOW])
    logs: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)

    @property
    def graph(self) -> meta.GraphFake:
        fake = self.fakes["instagram"]
        assert isinstance(fake, meta.GraphFake)
        return fake

    @property
    def x(self) -> x.XFake:
        fake = self.fakes["x"]
        assert isinstance(fake, x.XFake)
        return fake

    def run(self, platform: str) -> dict[str, Any]:
        result: dict[str, Any] = ingest.handler({"brand": BRAND, "platform": platform}, Context())
        return result

    def queued(self) -> list[dict[str, Any]]:
        """Every message on the queue (taken off it)."""
        sqs = boto3.client("sqs", region_name=REGION)
        out = []
        while True:
            got = sqs.receive_message(QueueUrl=self.deps.queue_url, MaxNumberOfMessages=10)
            messages = got.get("Messages", [])
            if not messages:
                return out
            for message in messages:
                out.append(json.loads(message["Body"]))
                sqs.delete_message(QueueUrl=self.deps.queue_url,
                                   ReceiptHandle=message["ReceiptHandle"])  # fmt: skip

    def raw_keys(self) -> list[str]:
        s3 = boto3.client("s3", region_name=REGION)
        return [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])]

    def cursor(self, platform: str, feed: str) -> dict[str, str] | None:
        item = (
            boto3.client("dynamodb", region_name=REGION)
            .get_item(TableName=TABLE, Key={"pk": {"S": f"{BRAND}#{platform}"}, "sk": {"S": feed}})
            .get("Item")
        )
        return json.loads(item["cursor"]["S"]) if item else None


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    for name, value in {"AWS_DEFAULT_REGION": REGION, "AWS_ACCESS_KEY_ID": "testing-not-a-key",
                        "AWS_SECRET_ACCESS_KEY": "testing-not-a-secret"}.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    out = tmp_path / "build"
    assert main(["compile", str(ROOT / "campaigns"), "--out", str(out), "--no-cache",
                 "--now", "2026-12-01T00:00Z"]) == 0  # fmt: skip
    _add_accounts(out / "config")
    monkeypatch.setenv(CONFIG_DIR_ENV, str(out / "config"))
    config.clear_cache()
    fakes: dict[str, Fake] = {
        "x": x.XFake(token="fake-x-token"),
        "bluesky": bluesky.BlueskyFake(),
        "mastodon": mastodon.MastodonFake(token="fake-masto-token", handle="aerolite"),
        "facebook": meta.GraphFake(
            token="fake-meta-token", page=PAGE, ig_user=IG_USER, ig_handle="aerolite"
        ),
        "linkedin": linkedin.LinkedInFake(token="fake-li-token", org=ORG),
    }
    fakes["instagram"] = fakes["facebook"]
    for fake in {id(f): f for f in fakes.values()}.values():
        fake.start()
    tokens = {"x": "fake-x-token", "bluesky": "unused", "mastodon": "fake-masto-token",
              "facebook": "fake-meta-token", "ig": "fake-meta-token", "li": "fake-li-token",
              "tiktok": "fake-tiktok-token"}  # fmt: skip
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        dynamodb.create_table(
            TableName=TABLE, BillingMode="PAY_PER_REQUEST",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                       {"AttributeName": "sk", "KeyType": "RANGE"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                  {"AttributeName": "sk", "AttributeType": "S"}],
        )  # fmt: skip
        sqs = boto3.client("sqs", region_name=REGION)
        queue = sqs.create_queue(QueueName=QUEUE)["QueueUrl"]
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=BUCKET)
        secrets = boto3.client("secretsmanager", region_name=REGION)
        for name, token in tokens.items():
            secrets.create_secret(Name=f"socialops/{BRAND}/{name}", SecretString=json.dumps(
                {"access_token": token, "webhook_secret": WEBHOOK_SECRET,
                 "verify_token": VERIFY}))  # fmt: skip
        clock = [NOW]
        deps = Deps(
            s3=s3, sqs=sqs, dynamodb=dynamodb, secrets=secrets, cursors_table=TABLE,
            queue_url=queue, bucket=BUCKET, tokens=Tokens(secrets, now=lambda: clock[0]),
            endpoint=lambda platform, brand: fakes[platform].url if platform in fakes else None,
            now=lambda: clock[0], page_size=10,
        )  # fmt: skip
        world = World(deps, fakes, clock)
        deps.log = lambda level, message, extra: world.logs.append((level, message, dict(extra)))
        ingest.use(deps)
        try:
            yield world
        finally:
            ingest.use(None)
            for fake in {id(f): f for f in fakes.values()}.values():
                fake.stop()
    config.clear_cache()


def add(world: World, platform: str, text: str, minutes: int = 0, **extra: Any) -> str:
    """A mention on ``platform``'s fake, ``minutes`` after 08:00 on the test day."""
    when = NOW - timedelta(hours=1) + timedelta(minutes=minutes)
    fake: Any = world.fakes[platform]
    if platform in ("facebook", "instagram"):
        extra["platform"] = platform
    ident: str = fake.add_mention(text, when, **extra)
    return ident


PULLED = ["x", "bluesky", "mastodon", "facebook", "instagram", "linkedin"]


@pytest.mark.parametrize("platform", PULLED)
def test_a_pull_lands_in_s3_and_sqs_in_the_score_format(world: World, platform: str) -> None:
    first = add(world, platform, "Flew #aerolite to Lyon, lovely crew @aerolite", 1)
    second = add(world, platform, "aerolite lost my bag again #aerolite @aerolite", 2)
    if platform in ("x", "bluesky", "mastodon"):  # searches; the others tag or comment
        add(world, platform, "nothing to do with us", 3)
    result = world.run(platform)
    assert result["queued"] == 2 and result["skipped"] == {}
    messages = world.queued()
    assert sorted(m["id"] for m in messages) == sorted([first, second])
    for m in messages:
        assert set(m) == KEYS
        assert (m["brand"], m["platform"]) == (BRAND, platform)
        assert m["created_at"].endswith("Z") and m["created_at"].startswith("2027-01-14T08:0")
        assert set(m["author"]) == {"handle", "followers", "created_at"}
        assert m["kind"] in ("mention", "comment", "reply", "tag") and m["source"]
        assert m["text"] and m["url"].startswith("https://")
        parsed = score.parse(json.dumps(m))  # what score reads, as it reads it
        assert parsed.id == m["id"] and parsed.created_at.tzinfo is not None
    keys = world.raw_keys()
    assert keys and all(k.startswith(f"raw/brand={BRAND}/date=2027-01-14/{platform}-")
                        and k.endswith(".jsonl") for k in keys)  # fmt: skip
    again = world.run(platform)  # nothing new: nothing fetched, nothing queued
    assert (again["fetched"], again["queued"]) == (0, 0)
    assert world.queued() == []
    assert all(line["before"] == line["after"] for line in again["feeds"].values())


def test_x_mention_fields(world: World) -> None:
    born = datetime(2026, 12, 30, tzinfo=UTC)
    ident = add(world, "x", "Bonjour aerolite", author_handle="marie", lang="fr",
                followers=42, author_created_at=born)  # fmt: skip
    world.run("x")
    [m] = world.queued()
    assert m == {"id": ident, "brand": BRAND, "platform": "x", "text": "Bonjour aerolite",
                 "created_at": "2027-01-14T08:00:00Z",
                 "url": f"https://x.com/marie/status/{ident}", "lang": "fr",
                 "author": {"handle": "marie", "followers": 42,
                            "created_at": "2026-12-30T00:00:00Z"},
                 "kind": "mention", "source": "search"}  # fmt: skip
    request = world.x.requests[-1]
    assert request.query["expansions"] == "author_id"
    assert "lang" in request.query["tweet.fields"]


@pytest.mark.parametrize("platform", ["x", "mastodon", "bluesky", "facebook", "instagram"])
def test_pages_across_runs_lose_and_repeat_nothing(world: World, platform: str) -> None:
    world.deps.max_pages = 1  # one page a run: the cursor keeps where it stopped
    made = [add(world, platform, f"aerolite #aerolite @aerolite number {i}", i)
            for i in range(12)]  # fmt: skip
    got: list[str] = []
    for _ in range(6):
        world.run(platform)
        got += [m["id"] for m in world.queued()]
        if platform == "x":
            late = add(world, "x", "aerolite late one", 30 + len(got))
            made.append(late)
    world.run(platform)
    got += [m["id"] for m in world.queued()]
    assert world.run(platform)["queued"] == 0
    assert sorted(set(got)) == sorted(made)
    assert len(got) == len(made)  # nothing twice


def test_linkedin_reads_every_page_of_a_busy_post_and_stops_at_the_cursor(world: World) -> None:
    fake: Any = world.fakes["linkedin"]
    fake.page_size = 3  # the platform answers fewer than asked: paging.total says how many
    made = [add(world, "linkedin", f"aerolite comment {i}", i) for i in range(8)]
    assert world.run("linkedin")["queued"] == 8
    assert sorted(m["id"] for m in world.queued()) == sorted(made)
    asked = len(fake.requests)
    newer = [add(world, "linkedin", f"aerolite later {i}", 20 + i) for i in range(4)]
    assert world.run("linkedin")["queued"] == 4
    assert sorted(m["id"] for m in world.queued()) == sorted(newer)
    pages = [r for r in fake.requests[asked:] if "/comments" in r.path]
    assert [r.query["start"] for r in pages] == ["0", "3"]  # stops at the cursor
    assert world.run("linkedin")["queued"] == 0


def test_bluesky_a_post_indexed_later_in_the_same_second_is_not_lost(world: World) -> None:
    """searchPosts' ``since`` is inclusive and the cursor keeps seconds: the posts of the
    last second already taken are skipped, one indexed later in that second is taken."""
    second = datetime(2027, 1, 14, 8, 0, 7, tzinfo=UTC)
    fake = world.fakes["bluesky"]
    assert isinstance(fake, bluesky.BlueskyFake)
    first = fake.add_mention("aerolite one", second, indexed_at=second)
    world.run("bluesky")
    assert [m["id"] for m in world.queued()] == [first]
    later = fake.add_mention("aerolite two", second,
                             indexed_at=second + timedelta(milliseconds=600))  # fmt: skip
    world.run("bluesky")
    assert [m["id"] for m in world.queued()] == [later]
    world.run("bluesky")
    assert world.queued() == []


def test_a_crash_before_the_cursor_moves_resends_and_score_counts_once(world: World) -> None:
    made = [add(world, "x", f"aerolite delay {i}", i) for i in range(3)]
    real = world.deps.dynamodb

    class Crashing:
        """The cursor write dies once: after the page went to SQS."""

        def __init__(self) -> None:
            self.exceptions, self.crashed = real.exceptions, False

        def get_item(self, **kw: Any) -> Any:
            return real.get_item(**kw)

        def batch_get_item(self, **kw: Any) -> Any:
            return real.batch_get_item(**kw)

        def put_item(self, **kw: Any) -> Any:
            if not self.crashed:
                self.crashed = True
                raise ConnectionError("crash between queueing and moving the cursor")
            return real.put_item(**kw)

    world.deps.dynamodb = Crashing()
    with pytest.raises(ConnectionError):
        world.run("x")
    assert world.cursor("x", "search") is None
    first = world.queued()
    assert sorted(m["id"] for m in first) == sorted(made)
    world.run("x")  # the retry
    second = world.queued()
    assert sorted(m["id"] for m in second) == sorted(made)  # re-sent, not lost
    assert world.cursor("x", "search") == {"since": max(made, key=lambda i: (len(i), i))}
    assert len(world.raw_keys()) == 1  # the retry overwrote the same raw page

    # the pipeline: score counts each mention once however often it was queued
    buckets = score_counts(first + second)
    assert sum(buckets.values()) == len(made) == buckets["2027-01-14T08:00Z"]


class Counted:
    """The DynamoDB client, its cursor reads counted."""

    def __init__(self, real: Any) -> None:
        self.real, self.exceptions, self.reads = real, real.exceptions, 0

    def batch_get_item(self, **kw: Any) -> Any:
        self.reads += 1
        return self.real.batch_get_item(**kw)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


def move_by_hand(world: World, platform: str, feed: str, cursor: dict[str, str]) -> None:
    """Another run (another container, a person) moves the cursor in the table."""
    boto3.client("dynamodb", region_name=REGION).put_item(TableName=TABLE, Item={
        "pk": {"S": f"{BRAND}#{platform}"}, "sk": {"S": feed},
        "cursor": {"S": json.dumps(cursor, sort_keys=True)}})  # fmt: skip


def test_a_warm_container_keeps_its_cursors_and_reads_them_hourly(world: World) -> None:
    counted = Counted(world.deps.dynamodb)
    world.deps.dynamodb = counted
    made = [add(world, "x", f"aerolite delay {i}", i) for i in range(2)]
    world.run("x")
    assert counted.reads == 1  # cold: read from the table
    made.append(add(world, "x", "aerolite delay 2", 2))
    for minutes in (5, 10, 55):  # warm: the cursor it wrote, no read
        world.clock[0] = NOW + timedelta(minutes=minutes)
        world.run("x")
    assert counted.reads == 1
    world.clock[0] = NOW + timedelta(hours=1)  # read again hourly
    world.run("x")
    assert counted.reads == 2
    assert sorted(m["id"] for m in world.queued()) == sorted(made)  # each once


def test_a_cursor_moved_elsewhere_stops_the_warm_run_and_loses_nothing(world: World) -> None:
    """The kept cursor is behind the table's: the run re-sends what the other run sent,
    its write fails on the condition, it stops; the next run reads the table and goes on
    from the other run's cursor. Every mention reaches score, counted once."""
    counted = Counted(world.deps.dynamodb)
    world.deps.dynamodb = counted
    first = add(world, "x", "aerolite one", 1)
    world.run("x")
    sent = world.queued()
    second = add(world, "x", "aerolite two", 2)
    move_by_hand(world, "x", "search", {"since": second})  # another container took it
    sent += [{"id": second, "brand": BRAND, "platform": "x", "text": "aerolite two",
              "created_at": "2027-01-14T08:02:00Z"}]  # what that run queued  # fmt: skip
    third = add(world, "x", "aerolite three", 3)
    stopped = world.run("x")
    assert stopped["feeds"]["search"]["stopped"] == "another run moved the cursor"
    assert any(m == "the cursor moved under this run; it stops here" for _, m, _ in world.logs)
    assert world.cursor("x", "search") == {"since": second}  # its write did not land
    sent += world.queued()
    world.run("x")  # reads the table: from the other run's cursor
    assert counted.reads == 2
    sent += world.queued()
    assert world.cursor("x", "search") == {"since": third}
    assert {m["id"] for m in sent} == {first, second, third}
    assert sum(score_counts(sent).values()) == 3


def test_a_cursor_edited_by_hand_is_read_within_the_hour(world: World) -> None:
    """An idle feed never writes: the hourly read is what finds a person's edit."""
    add(world, "x", "aerolite one", 1)
    world.run("x")
    world.queued()
    move_by_hand(world, "x", "search", {})  # a person resets the feed: read it all again
    world.clock[0] = NOW + timedelta(minutes=30)
    assert world.run("x")["queued"] == 0  # warm: its own cursor
    world.clock[0] = NOW + timedelta(minutes=61)
    assert world.run("x")["queued"] == 1  # read again: from the person's cursor


def test_a_failed_cursor_write_is_read_again(world: World) -> None:
    """A write that raised may have landed: the container keeps no cursor for it."""
    counted = Counted(world.deps.dynamodb)
    world.deps.dynamodb = counted
    add(world, "x", "aerolite one", 1)
    world.run("x")
    add(world, "x", "aerolite two", 2)
    real_put = counted.real.put_item

    def failing(**kw: Any) -> Any:
        real_put(**kw)  # landed, but the answer was lost
        raise ConnectionError("the answer was lost")

    counted.put_item = failing  # type: ignore[attr-defined]
    with pytest.raises(ConnectionError):
        world.run("x")
    del counted.put_item
    assert world.run("x")["queued"] == 0  # read the table: the page was taken
    assert counted.reads == 2


def score_counts(messages: list[dict[str, Any]]) -> dict[str, int]:
    """What ``score`` counts of these queued messages (in order, redeliveries included):
    the brand's mentions per 5-minute bucket."""
    buckets = boto3.resource("dynamodb", region_name=REGION).create_table(
        TableName="buckets", BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                   {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                              {"AttributeName": "sk", "AttributeType": "S"}],
    )  # fmt: skip
    client = boto3.client("dynamodb", region_name=REGION)
    for m in messages:
        score.count(client, "buckets", score.Scored(score.parse(json.dumps(m)), 0.0, "neutral",
                                                    {}, "en", 0.0))  # fmt: skip
    items = buckets.scan()["Items"]
    return {str(i["sk"]): int(i["mentions"]) for i in items if i["pk"] == f"bucket#{BRAND}"}


def test_exclude_and_language_filters(world: World) -> None:
    add(world, "x", "aerolite mining shares are up", 1)
    add(world, "x", "AEROLITE  Mining news", 2)
    add(world, "x", "aerolite ist toll", 3, lang="de")
    kept = [add(world, "x", "aerolite fine", 4, lang="en"),
            add(world, "x", "aerolite très bien", 5, lang="fr"),
            add(world, "x", "aerolite ???", 6, lang=None)]  # fmt: skip
    result = world.run("x")
    assert result["excluded"] == 2 and result["skipped"] == {"language": 1}
    assert sorted(m["id"] for m in world.queued()) == sorted(kept)
    assert result["fetched"] == 6


def test_the_same_post_in_two_feeds_is_queued_once(world: World) -> None:
    ident = add(world, "mastodon", "hello @aerolite #aerolite", 1)
    result = world.run("mastodon")
    assert result["duplicates"] == 1 and result["queued"] == 1
    assert [m["id"] for m in world.queued()] == [ident]
    assert set(result["feeds"]) == {"mentions", "tag:aerolite"}


def _x_page(*items: dict[str, Any]) -> dict[str, Any]:
    return {"data": list(items), "meta": {"result_count": len(items)},
            "includes": {"users": [{"id": "9", "username": "fan", "created_at":
                                    "2020-01-01T00:00:00.000Z",
                                    "public_metrics": {"followers_count": 3}}]}}  # fmt: skip


def test_malformed_items_empty_and_enormous_texts(world: World) -> None:
    when = "2027-01-14T08:00:00.000Z"
    huge = "aerolite " + "x" * 100_000
    page = _x_page(
        {"id": "101", "created_at": when, "author_id": "9"},  # no text
        {"id": "102", "text": "aerolite", "created_at": "yesterday", "author_id": "9"},
        {"text": "aerolite no id", "created_at": when},
        {"id": "104", "text": "   ", "created_at": when, "author_id": "9"},
        {"id": "105", "text": huge, "created_at": when, "author_id": "9"},
        {"id": "106", "text": "aerolite good", "created_at": when, "author_id": "9"},
        "not an object",
    )
    world.x.answer_next(Reply(body=page), on="/search/")
    result = world.run("x")
    assert result["skipped"] == {"malformed": 4, "empty_text": 1}
    messages = {m["id"]: m for m in world.queued()}
    assert sorted(messages) == ["105", "106"]
    assert messages["105"]["text"] == huge  # passed on whole: score truncates
    assert messages["106"]["author"] == {"handle": "fan", "followers": 3,
                                         "created_at": "2020-01-01T00:00:00Z"}  # fmt: skip
    assert world.cursor("x", "search") == {"since": "106"}


def test_a_page_that_is_not_json_fails_the_run_and_keeps_the_cursor(world: World) -> None:
    add(world, "x", "aerolite one", 1)
    world.run("x")
    world.queued()
    before = world.cursor("x", "search")
    add(world, "x", "aerolite two", 2)
    world.x.answer_next(Reply(body=None, raw=b"<html>502 Bad Gateway</html>"), on="/search/")
    with pytest.raises(BadPage, match="not JSON"):
        world.run("x")
    assert world.cursor("x", "search") == before
    assert world.queued() == []
    result = world.run("x")  # the next run gets it
    assert result["queued"] == 1 and [m["text"] for m in world.queued()] == ["aerolite two"]


def test_bytes_that_are_not_utf8_are_replaced_and_counted(world: World) -> None:
    body = json.dumps(_x_page({"id": "201", "text": "aerolite caf@", "author_id": "9",
                               "created_at": "2027-01-14T08:00:00.000Z"})).encode()  # fmt: skip
    world.x.answer_next(Reply(raw=body.replace(b"caf@", b"caf\xe9")), on="/search/")
    result = world.run("x")
    assert result["skipped"] == {"non_utf8_bytes_replaced": 1}
    [m] = world.queued()
    assert m["text"] == "aerolite caf\ufffd"


def test_a_platform_error_stops_the_feed_and_keeps_the_cursor(world: World) -> None:
    add(world, "x", "aerolite one", 1)
    world.x.fail_next("rate_limit", on="/search/")
    result = world.run("x")
    assert "rate limit" in result["errors"][0] and result["queued"] == 0
    assert world.cursor("x", "search") is None
    assert world.run("x")["queued"] == 1


def test_a_run_stops_in_time_and_keeps_its_place(world: World) -> None:
    for i in range(12):
        add(world, "x", f"aerolite {i}", i)
    left = iter([300.0, 300.0, 5.0])
    world.deps.remaining_s = lambda: next(left, 5.0)
    world.deps.page_size = 10
    world.x.page_size = 5
    ctx = Context(remaining_ms=5_000)  # the handler reads the Lambda's remaining time
    result = ingest.handler({"brand": BRAND, "platform": "x"}, ctx)
    assert result["feeds"]["search"]["stopped"] == "time"
    assert result["queued"] == 0


def test_tiktok_is_push_only_and_an_event_without_platform_pulls_all(world: World) -> None:
    result = world.run("tiktok")
    assert "webhook only" in result["note"] and result["queued"] == 0
    add(world, "x", "aerolite everywhere", 1)
    every: dict[str, Any] = ingest.handler({"brand": BRAND}, Context())
    assert {r["platform"] for r in every["runs"]} == {*PULLED, "tiktok"}
    assert sum(r["queued"] for r in every["runs"]) == 1


# ---- webhooks -----------------------------------------------------------------------------


def post(platform: str, payload: Any, *, brand: str = BRAND, secret: str = WEBHOOK_SECRET,
         at: datetime = NOW, base64_body: bool = False, raw: bytes | None = None) -> Any:  # fmt: skip
    body = raw if raw is not None else json.dumps(payload).encode()
    headers = webhooks.sign(platform, secret, body, at) if platform != "bluesky" else {}
    event = webhooks.http_event("POST", platform, brand, body=body, headers=headers,
                                base64_body=base64_body)  # fmt: skip
    return ingest.handler(event, Context())


def test_meta_handshake(world: World) -> None:
    query = {"hub.mode": "subscribe", "hub.verify_token": VERIFY, "hub.challenge": "1158201444"}
    answer = ingest.handler(webhooks.http_event("GET", "facebook", BRAND, query=query), Context())
    assert answer["statusCode"] == 200 and answer["body"] == "1158201444"
    assert answer["headers"]["Content-Type"] == "text/plain"
    wrong = {**query, "hub.verify_token": "fake-wrong"}
    answer = ingest.handler(webhooks.http_event("GET", "instagram", BRAND, query=wrong), Context())
    assert answer["statusCode"] == 403


def test_x_crc(world: World) -> None:
    event = webhooks.http_event("GET", "x", BRAND, query={"crc_token": "fake-crc"})
    answer = ingest.handler(event, Context())
    assert answer["statusCode"] == 200
    expected = webhooks.x_crc_response(WEBHOOK_SECRET, "fake-crc")
    assert json.loads(answer["body"]) == {"response_token": expected}


@pytest.mark.parametrize(
    ("platform", "payload", "ident", "kind"),
    [
        ("facebook", webhooks.facebook_comment(PAGE, "1_2", "aerolite was late", NOW), "1_2",
         "comment"),
        ("instagram", webhooks.instagram_comment(IG_USER, "17900", "love aerolite", NOW),
         "17900", "comment"),
        ("x", webhooks.x_mention("2244994945", "1860000000000000999", "@aerolite help", NOW),
         "1860000000000000999", "mention"),
        ("tiktok", webhooks.tiktok_comment("fake-key", "7500", "aerolite video!", NOW), "7500",
         "comment"),
    ],
)  # fmt: skip
def test_a_signed_push_is_queued(
    world: World, platform: str, payload: Any, ident: str, kind: str
) -> None:
    answer = post(platform, payload, base64_body=platform == "instagram")
    assert answer["statusCode"] == 200, answer
    assert json.loads(answer["body"])["queued"] == 1
    [m] = world.queued()
    assert set(m) == KEYS and m["id"] == ident and m["kind"] == kind and m["source"] == "webhook"
    assert m["created_at"] == "2027-01-14T09:00:00Z"
    assert [k.split("/")[-1].split("-")[0] for k in world.raw_keys()] == [platform]
    again = post(platform, payload)  # a redelivery (or a replay): acknowledged, dropped
    assert again["statusCode"] == 200 and json.loads(again["body"])["duplicate"]
    assert world.queued() == [] and len(world.raw_keys()) == 1


@pytest.mark.parametrize("platform", ["facebook", "x", "tiktok"])
def test_a_bad_signature_is_refused_and_nothing_is_queued(world: World, platform: str) -> None:
    payload = {"entry": []} if platform == "facebook" else {"event": "x"}
    assert post(platform, payload, secret="fake-other")["statusCode"] == 401
    unsigned = webhooks.http_event("POST", platform, BRAND, body=b"{}")
    assert ingest.handler(unsigned, Context())["statusCode"] == 401
    assert world.queued() == [] and world.raw_keys() == []


def test_a_stale_tiktok_timestamp_is_refused(world: World) -> None:
    payload = webhooks.tiktok_comment("fake-key", "7501", "aerolite", NOW)
    assert post("tiktok", payload, at=NOW - timedelta(minutes=6))["statusCode"] == 401
    assert post("tiktok", payload, at=NOW - timedelta(minutes=4))["statusCode"] == 200


def test_malformed_pushes_and_unknown_targets(world: World) -> None:
    assert post("facebook", None, raw=b"{not json")["statusCode"] == 400
    assert post("facebook", {"object": "page"})["statusCode"] == 400  # no entry list
    assert post("x", {"nope": 1}, brand="nobody")["statusCode"] == 404
    assert post("bluesky", {})["statusCode"] == 404  # Bluesky does not push
    event = webhooks.http_event("POST", "myspace", BRAND, body=b"{}")
    assert ingest.handler(event, Context())["statusCode"] == 404
    # a comment without its text: skipped and counted, the rest of the push goes through
    payload = webhooks.facebook_comment(PAGE, "1_3", "aerolite ok", NOW)
    broken = json.loads(json.dumps(payload["entry"][0]["changes"][0]))
    del broken["value"]["message"]
    payload["entry"][0]["changes"].append(broken)
    answer = json.loads(post("facebook", payload)["body"])
    assert answer["queued"] == 1 and answer["skipped"] == {"malformed": 1}


# ---- Instagram mentions: ids pushed, text read through the Graph API ----------------------


def ig_mention(world: World, text: str, mentioned_in: str, handle: str = "fan") -> str:
    when = NOW - timedelta(minutes=5)
    ident: str = world.graph.add_mention(text, when, platform="instagram", author_handle=handle,
                                         mentioned_in=mentioned_in)  # fmt: skip
    return ident


def ig_push(world: World, *idents: str) -> dict[str, Any]:
    """A ``mentions`` notification naming these mentions (one change each)."""
    payload = webhooks.instagram_mention(IG_USER, world.graph.mention_ids(idents[0]), NOW)
    changes = payload["entry"][0]["changes"]
    changes += [{"field": "mentions", "value": world.graph.mention_ids(i)} for i in idents[1:]]
    return payload


def test_instagram_caption_and_comment_mentions_are_read_by_id_and_queued(world: World) -> None:
    caption = ig_mention(world, "Flying with @aerolite today, lovely crew", "caption", "marie")
    comment = ig_mention(world, "@aerolite lost my bag again", "comment", "paul")
    tag = ig_mention(world, "tagged, not mentioned", "tag")
    answer = post("instagram", ig_push(world, caption, comment))
    assert answer["statusCode"] == 200, answer
    body = json.loads(answer["body"])
    assert (body["received"], body["queued"], body["skipped"]) == (2, 2, {})
    messages = {m["id"]: m for m in world.queued()}
    assert set(messages) == {caption, comment}
    media = world.graph.mention_ids(comment)["media_id"]
    assert messages[caption] == {
        "id": caption, "brand": BRAND, "platform": "instagram",
        "text": "Flying with aerolite today, lovely crew",  # Graph drops the account's @
        "created_at": "2027-01-14T08:55:00Z", "url": f"https://www.instagram.com/p/{caption}/",
        "lang": None, "author": {"handle": "marie", "followers": None, "created_at": None},
        "kind": "mention", "source": "webhook"}  # fmt: skip
    assert messages[comment]["text"] == "@aerolite lost my bag again"
    assert messages[comment]["author"]["handle"] == "paul"
    assert messages[comment]["url"] == f"https://www.instagram.com/p/{media}/"
    assert all(score.parse(json.dumps(m)).id == i for i, m in messages.items())
    reads = [r for r in world.graph.requests if r.path == f"/v21.0/{IG_USER}"]
    assert [r.query["fields"] for r in reads] == [
        f"mentioned_media.media_id({caption}){{id,caption,timestamp,username,permalink}}",
        f"mentioned_comment.comment_id({comment}){{id,text,timestamp,username,"
        "media{id,permalink}}",
    ]
    assert all(r.query["access_token"] == "fake-meta-token" for r in reads)
    [key] = world.raw_keys()  # the changes as pushed, and the answers read
    lines = [json.loads(line) for line in boto3.client("s3", region_name=REGION).get_object(
        Bucket=BUCKET, Key=key)["Body"].read().decode().splitlines()]  # fmt: skip
    assert [line.get("field") for line in lines[:2]] == ["mentions", "mentions"]
    assert lines[2]["mentioned_media"]["id"] == caption and lines[2]["id"] == IG_USER
    assert lines[3]["mentioned_comment"]["id"] == comment
    assert tag not in messages  # a photo tag is /tags' (the pull), never read by id


def test_a_deleted_instagram_mention_is_skipped_and_logged(world: World) -> None:
    deleted = ig_mention(world, "@aerolite worst flight ever", "comment")
    kept = ig_mention(world, "thanks @aerolite", "caption")
    payload = ig_push(world, deleted, kept)
    world.graph.remove_mention(deleted)
    answer = post("instagram", payload)
    assert answer["statusCode"] == 200, answer
    body = json.loads(answer["body"])
    assert (body["queued"], body["skipped"]) == (1, {"gone": 1}) and "failed" not in body
    assert [m["id"] for m in world.queued()] == [kept]
    [(level, _, extra)] = [log for log in world.logs if "gone" in log[1]]
    assert level == "info" and extra["comment_id"] == deleted and "100/33" in extra["why"]
    assert not [log for log in world.logs if log[0] == "error"]


@pytest.mark.parametrize("failure", ["server_error", "too_many", "rate_limit", "not_json"])
def test_a_transient_failure_answers_503_and_the_redelivery_queues_once(
    world: World, failure: str
) -> None:
    first = ig_mention(world, "@aerolite delayed again", "comment")
    second = ig_mention(world, "aerolite @aerolite on time!", "caption")
    payload = ig_push(world, first, second)
    payload["entry"][0]["changes"].insert(0, webhooks.instagram_comment(
        IG_USER, "17900", "love aerolite", NOW)["entry"][0]["changes"][0])  # fmt: skip
    on = f"/v21.0/{IG_USER}"
    if failure == "not_json":
        world.graph.answer_next(Reply(raw=b"<html>502 Bad Gateway</html>"), on=on)
    else:
        world.graph.fail_next(failure, on=on)
    answer = post("instagram", payload)
    assert answer["statusCode"] == 503, answer
    body = json.loads(answer["body"])
    assert body["failed"] == 2 and body["queued"] == 1  # the comment, which has its text
    assert body["errors"][0].startswith(first) and "earlier failure" in body["errors"][1]
    delivered = world.queued()
    assert [m["id"] for m in delivered] == ["17900"]
    assert [log[0] for log in world.logs if "mention could not be read" in log[1]] == ["warning"]

    again = post("instagram", payload)  # Meta redelivers the notification
    assert again["statusCode"] == 200, again
    assert json.loads(again["body"])["queued"] == 3
    delivered += world.queued()
    ids = [m["id"] for m in delivered]
    assert ids.count(first) == ids.count(second) == 1 and ids.count("17900") == 2
    assert len(world.raw_keys()) == 1  # the same notification: the same raw object
    # the comment queued by both deliveries is counted once
    assert score_counts(delivered) == {"2027-01-14T08:55Z": 2, "2027-01-14T09:00Z": 1}


@pytest.mark.parametrize("problem", ["no access_token", "revoked"])
def test_an_account_without_a_usable_token_answers_503_and_says_what_to_fix(
    world: World, problem: str
) -> None:
    ident = ig_mention(world, "@aerolite hello", "caption")
    if problem == "revoked":
        world.graph.fail_next("revoked", on=f"/v21.0/{IG_USER}")
    else:
        world.deps.secrets.put_secret_value(SecretId="socialops/aerolite/ig", SecretString=json.dumps(
            {"webhook_secret": WEBHOOK_SECRET, "verify_token": VERIFY}))  # fmt: skip
    answer = post("instagram", ig_push(world, ident))
    assert answer["statusCode"] == 503, answer
    body = json.loads(answer["body"])
    assert (body["failed"], body["queued"]) == (1, 0) and body["errors"][0].startswith(ident)
    assert world.queued() == []
    [(level, message, extra)] = [log for log in world.logs if "mention could not be read" in log[1]]
    assert level == "error" and "token" in message
    assert extra["secret"] == "socialops/aerolite/ig" and extra["media_id"] == ident


# ---- one bad mention fails alone (issue 10, item 4) --------------------------------------

T0 = "2027-01-14T08:00:00.000Z"


def _tweet(ident: str, text: str) -> dict[str, Any]:
    return {"id": ident, "text": text, "created_at": T0, "author_id": "9"}


def test_code_points_sqs_or_utf8_refuse_are_replaced_in_any_field_and_the_page_goes_on(
    world: World,
) -> None:
    """The page's JSON escapes decode to lone surrogates (text, author) and to controls
    SQS refuses: boto3 could not encode the send, the run failed and the cursor never moved
    past the page. Each bad code point becomes U+FFFD, an escaped surrogate pair stays its
    character, the rest of the text is kept, and the raw page keeps what was sent."""
    page = _x_page(_tweet("301", "aerolite \ud800lost my bag\x00 again \ud83d\ude00"),
                   _tweet("302", "aerolite\x01 gate\x0b change\uffff"),
                   _tweet("303", "aerolite on time"))  # fmt: skip
    page["includes"]["users"][0]["username"] = "fan\udfff"  # in the handle and the URL
    world.x.answer_next(Reply(body=page), on="/search/")  # JSON: escapes, ASCII bytes
    result = world.run("x")
    assert result["queued"] == 3 and result["skipped"] == {"characters_replaced": 11}
    messages = {m["id"]: m for m in world.queued()}
    assert messages["301"]["text"] == "aerolite \ufffdlost my bag\ufffd again 😀"
    assert messages["302"]["text"] == "aerolite\ufffd gate\ufffd change\ufffd"
    assert messages["303"]["author"]["handle"] == "fan\ufffd"
    assert messages["303"]["url"] == "https://x.com/fan\ufffd/status/303"
    assert all(score.parse(json.dumps(m)).text == m["text"] for m in messages.values())
    assert world.cursor("x", "search") == {"since": "303"}
    warned = [e for level, msg, e in world.logs if "were replaced by U+FFFD" in msg]
    assert sorted((e["id"], e["characters"]) for e in warned) == [("301", 4), ("302", 5),
                                                                  ("303", 2)]  # fmt: skip
    [key] = world.raw_keys()
    raw = boto3.client("s3", region_name=REGION).get_object(Bucket=BUCKET, Key=key)["Body"]
    assert "\\ud800lost" in raw.read().decode()  # as the platform sent it


def _small_queue(world: World) -> None:
    """The queue takes messages of 1,024 bytes at most (its MaximumMessageSize)."""
    world.deps.sqs.set_queue_attributes(QueueUrl=world.deps.queue_url,
                                        Attributes={"MaximumMessageSize": "1024"})  # fmt: skip


def test_a_batch_sqs_refuses_whole_for_one_entry_is_sent_one_by_one(world: World) -> None:
    """moto (as SQS does for some faults) refuses a batch whole when one entry is too long
    for the queue: the run failed every time and the cursor stayed. The entries are sent
    one by one: the others are queued, that one is left out, counted and logged (error,
    with its id), and the cursor moves on."""
    _small_queue(world)
    page = _x_page(_tweet("401", "aerolite one"), _tweet("402", "aerolite " + "x" * 1500),
                   _tweet("403", "aerolite three"))  # fmt: skip
    world.x.answer_next(Reply(body=page), on="/search/")
    result = world.run("x")
    assert (result["queued"], result["skipped"]) == (2, {"refused_by_queue": 1})
    assert sorted(m["id"] for m in world.queued()) == ["401", "403"]
    [(level, _, extra)] = [log for log in world.logs if "SQS refused" in log[1]]
    assert level == "error" and extra["id"] == "402" and "1024" in extra["why"]
    assert world.cursor("x", "search") == {"since": "403"}
    assert world.run("x")["queued"] == 0  # not fetched again


class RealSQS:
    """moto's SQS with what SQS checks entry by entry and moto does not: a body's
    characters (only #x9, #xA, #xD, #x20-#xD7FF, #xE000-#xFFFD, #x10000-#x10FFFF) and its
    size against the queue's MaximumMessageSize, each entry refused in ``Failed`` with
    ``SenderFault``; and one failure that is not the sender's (``InternalError``)."""

    def __init__(self, real: Any) -> None:
        self.real, self.exceptions, self.hiccup = real, real.exceptions, True

    @staticmethod
    def allowed(c: str) -> bool:
        return c in "\t\n\r" or " " <= c <= "\ud7ff" or "\ue000" <= c <= "\ufffd" or c > "\uffff"

    def refusal(self, body: str, limit: int) -> tuple[bool, str] | None:
        if not all(self.allowed(c) for c in body):
            return True, "InvalidMessageContents"
        if len(body.encode()) > limit:
            return True, "InvalidParameterValue"
        if self.hiccup:
            self.hiccup = False
            return False, "InternalError"
        return None

    def send_message_batch(self, QueueUrl: str, Entries: list[dict[str, Any]]) -> Any:
        limit = int(self.real.get_queue_attributes(QueueUrl=QueueUrl, AttributeNames=[
            "MaximumMessageSize"])["Attributes"]["MaximumMessageSize"])  # fmt: skip
        failed, good = [], []
        for entry in Entries:
            why = self.refusal(entry["MessageBody"], limit)
            if why is None:
                good.append(entry)
            else:
                failed.append({"Id": entry["Id"], "SenderFault": why[0], "Code": why[1],
                               "Message": f"refused: {why[1]}"})  # fmt: skip
        answer = self.real.send_message_batch(QueueUrl=QueueUrl, Entries=good) if good else {}
        return {"Successful": answer.get("Successful", []), "Failed": failed}


def test_entries_sqs_fails_are_retried_or_left_out_alone_never_the_page(world: World) -> None:
    """Entry by entry, as SQS answers: a NUL in a text (refused, it blocked the page after
    three tries) is replaced before sending; an entry too long for the queue is refused
    for good (the sender's fault): left out alone, counted and logged; a failure that is
    not the sender's fault is sent again. The page is queued and the cursor moves."""
    _small_queue(world)
    world.deps.sqs = RealSQS(world.deps.sqs)
    page = _x_page(_tweet("501", "aerolite\x00 late"), _tweet("502", "aerolite " + "x" * 1500),
                   _tweet("503", "aerolite fine"))  # fmt: skip
    world.x.answer_next(Reply(body=page), on="/search/")
    result = world.run("x")
    assert result["queued"] == 2
    assert result["skipped"] == {"characters_replaced": 1, "refused_by_queue": 1}
    messages = {m["id"]: m for m in world.queued()}
    assert sorted(messages) == ["501", "503"] and messages["501"]["text"] == "aerolite\ufffd late"
    assert [e["id"] for _, msg, e in world.logs if "SQS refused" in msg] == ["502"]
    assert [e["failed"] for _, msg, e in world.logs if "sending them again" in msg] == [
        ["InternalError: refused: InternalError"]]  # fmt: skip
    assert world.cursor("x", "search") == {"since": "503"}


def test_a_pushed_mention_with_bad_code_points_is_cleaned_and_queued(world: World) -> None:
    """A signed push whose JSON escapes decode to a lone surrogate and a NUL (text and
    author) made the send raise: the webhook answered 500 and Meta redelivered it, and the
    other mentions of the notification with it, forever. It is queued, cleaned."""
    payload = webhooks.facebook_comment(PAGE, "1_7", "aerolite \ud800late\x00", NOW,
                                        author="Zo\udfffe")  # fmt: skip
    answer = post("facebook", payload)
    assert answer["statusCode"] == 200, answer
    assert json.loads(answer["body"])["skipped"] == {"characters_replaced": 3}
    [m] = world.queued()
    assert (m["text"], m["author"]["handle"]) == ("aerolite \ufffdlate\ufffd", "Zo\ufffde")


def test_a_lone_surrogate_in_the_event_body_is_replaced_not_a_failed_request(
    world: World,
) -> None:
    """The HTTP API event may carry the body as text holding a lone surrogate (bytes a
    lenient decoder read as UTF-16 halves): encoding it back raised, every delivery. Its
    bytes are checked against the signature and replaced as bytes that are not UTF-8."""
    body = json.dumps(webhooks.x_mention("2244994945", "1860000000000000777", "@aerolite hi X",
                                         NOW)).replace(" hi X", " hi \ud800")  # fmt: skip
    data = body.encode("utf-8", "surrogatepass")  # what the platform signed
    event = webhooks.http_event("POST", "x", BRAND, body=b"{}",
                                headers=webhooks.sign("x", WEBHOOK_SECRET, data, NOW))  # fmt: skip
    event["body"] = body
    answer = ingest.handler(event, Context())
    assert answer["statusCode"] == 200, answer
    assert json.loads(answer["body"])["skipped"] == {"non_utf8_bytes_replaced": 3}
    [m] = world.queued()
    assert m["text"] == "@aerolite hi \ufffd\ufffd\ufffd"


def test_a_text_too_long_for_one_sqs_message_is_shortened_not_refused(world: World) -> None:
    """A text over the queue's limit (moto's and today's SQS: 1 MiB) failed the send of its
    page on every run. It is shortened to fit 256 KiB (the limit of queues made before
    2025; score reads its first 5,000 characters), counted, and kept whole in the raw page;
    big messages go in batches that fit too."""
    page = _x_page(_tweet("601", "aerolite " + "x" * 1_100_000),
                   *[_tweet(f"60{i}", "aerolite " + "é" * 100_000) for i in range(2, 6)])  # fmt: skip
    world.x.answer_next(Reply(body=page), on="/search/")
    result = world.run("x")
    assert (result["queued"], result["skipped"]) == (5, {"text_shortened": 1})
    messages = {m["id"]: m for m in world.queued()}
    size = len(json.dumps(messages["601"], ensure_ascii=False, sort_keys=True).encode())
    assert 256 * 1024 - 8 <= size <= 256 * 1024
    assert messages["601"]["text"].startswith("aerolite xxx")
    assert all(len(messages[f"60{i}"]["text"]) == 100_009 for i in range(2, 6))  # whole
    assert world.cursor("x", "search") == {"since": "605"}
