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
from functions.ingest import handler as ingest
from functions.ingest.service import Deps
from functions.ingest.sources import BadPage
from functions.publish.tokens import Tokens
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
        "facebook": meta.GraphFake(token="fake-meta-token", page=PAGE, ig_user=IG_USER),
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
        ingest.use(deps)
        try:
            yield World(deps, fakes, clock)
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
    buckets = boto3.resource("dynamodb", region_name=REGION).create_table(
        TableName="buckets", BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                   {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                              {"AttributeName": "sk", "AttributeType": "S"}],
    )  # fmt: skip
    client = boto3.client("dynamodb", region_name=REGION)
    counted = [
        score.count(client, "buckets", score.Scored(score.parse(json.dumps(m)), 0.0, "neutral",
                                                    {}, "en", 0.0))
        for m in first + second
    ]  # fmt: skip
    assert sum(counted) == len(made)
    item = buckets.get_item(Key={"pk": f"bucket#{BRAND}", "sk": "2027-01-14T08:00Z"})["Item"]
    assert item["mentions"] == len(made)


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
    again = post(platform, payload)  # Meta and X redeliver: same raw object, score dedups
    assert again["statusCode"] == 200 and len(world.raw_keys()) == 1


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
