"""What the ``alert`` tests share: the example campaigns compiled once, and a world in moto
(in-process) with the stack's tables, the alerts topic (read back from an SQS queue
subscribed with the e-mail filter of campaign brand-watch, and one with another
campaign's), the raw mentions bucket and a Slack webhook contract fake on loopback.

Each test module turns :func:`make_world` into its ``world`` fixture, so that pytest's
fixtures are not imported across modules.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from functions.alert import service
from functions.common import config, safe_url
from functions.common.config import CONFIG_DIR_ENV
from infra.cli import main
from infra.peers.slack import SlackFake

ROOT = Path(__file__).resolve().parents[2]
REGION = "us-east-1"
BUCKETS, INCIDENTS, PAUSES = "test-MentionBuckets", "test-AlertIncidents", "test-PauseFlags"
RAW = "test-rawmentions"
SLACK_SECRET = "socialops/aerolite/slack-crisis-webhook"
CAMPAIGN, BRAND = "brand-watch", "aerolite"


_compiled: list[Path] = []


def compile_configs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example campaigns compiled, once a session (each test copies the configs)."""
    if not _compiled:
        out = tmp_path_factory.mktemp("alert") / "build"
        assert main(["compile", str(ROOT / "campaigns"), "--out", str(out), "--no-cache",
                     "--now", "2026-12-01T00:00Z"]) == 0  # fmt: skip
        _compiled.append(out / "config")
    return _compiled[0]


@dataclass
class World:
    deps: service.Deps
    buckets: Any  # Table resource
    pauses: Any
    slack: SlackFake
    queue: str  # SQS queue subscribed to the alerts topic, filtered on campaign brand-watch
    other: str  # one subscribed with the filter of another campaign
    config_dir: Path

    def messages(self, queue: str | None = None) -> list[dict[str, Any]]:
        sqs = boto3.client("sqs", region_name=REGION)
        found = []
        while True:
            got = sqs.receive_message(QueueUrl=queue or self.queue, MaxNumberOfMessages=10)
            if not got.get("Messages"):
                return found
            for m in got["Messages"]:
                found.append(json.loads(m["Body"]))
                sqs.delete_message(QueueUrl=queue or self.queue, ReceiptHandle=m["ReceiptHandle"])


def _table(dynamodb: Any, name: str, keys: list[str]) -> Any:
    return dynamodb.create_table(
        TableName=name, BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": k, "KeyType": t} for k, t in zip(keys, ("HASH", "RANGE"), strict=False)],
        AttributeDefinitions=[{"AttributeName": k, "AttributeType": "S"} for k in keys],
    )  # fmt: skip


def make_world(factory: pytest.TempPathFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
               now: datetime) -> Iterator[World]:  # fmt: skip
    compiled = compile_configs(factory)
    for name, value in {"AWS_DEFAULT_REGION": REGION, "AWS_ACCESS_KEY_ID": "testing-not-a-key",
                        "AWS_SECRET_ACCESS_KEY": "testing-not-a-secret"}.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    folder = tmp_path / "config"
    folder.mkdir()
    for path in compiled.glob("*.json"):
        (folder / path.name).write_bytes(path.read_bytes())
    monkeypatch.setenv(CONFIG_DIR_ENV, str(folder))
    config.clear_cache()
    with mock_aws(), SlackFake() as slack:
        safe_url.allow_peer(slack.url)  # a local peer, as in simulate
        dynamodb = boto3.resource("dynamodb", region_name=REGION)
        buckets = _table(dynamodb, BUCKETS, ["pk", "sk"])
        _table(dynamodb, INCIDENTS, ["pk", "sk"])
        pauses = _table(dynamodb, PAUSES, ["brand"])
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=RAW)
        sns = boto3.client("sns", region_name=REGION)
        topic = sns.create_topic(Name="alerts")["TopicArn"]
        sqs = boto3.client("sqs", region_name=REGION)
        queues = []
        for name, campaign in (("mine", CAMPAIGN), ("other", "ridgeline-launch")):
            url = sqs.create_queue(QueueName=name)["QueueUrl"]
            arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
            sns.subscribe(TopicArn=topic, Protocol="sqs",
                          Endpoint=arn["Attributes"]["QueueArn"],
                          Attributes={"FilterPolicyScope": "MessageAttributes",
                                      "FilterPolicy": json.dumps({"campaign": [campaign]})})  # fmt: skip
            queues.append(url)
        secrets = boto3.client("secretsmanager", region_name=REGION)
        secrets.create_secret(Name=SLACK_SECRET,
                              SecretString=json.dumps({"url": slack.webhook_url}))  # fmt: skip
        deps = service.Deps(
            dynamodb=boto3.client("dynamodb", region_name=REGION), buckets_table=BUCKETS,
            incidents_table=INCIDENTS, pauses=pauses, s3=s3, raw_bucket=RAW, sns=sns,
            alerts_topic=topic, secrets=secrets, now=lambda: now,
        )  # fmt: skip
        yield World(deps, buckets, pauses, slack, queues[0], queues[1], folder)  # type: ignore[arg-type]
    config.clear_cache()


def put(world: World, start: datetime, mentions: int, polarity: float = 0.1,
        negatives: int | None = None, terms: dict[str, int] | None = None,
        brand: str = BRAND) -> None:  # fmt: skip
    item: dict[str, Any] = {
        "pk": f"bucket#{brand}", "sk": start.strftime("%Y-%m-%dT%H:%MZ"),
        "mentions": mentions, "polarity_sum": Decimal(str(round(polarity * mentions, 4))),
        "negatives": negatives if negatives is not None else 0,
        "positives": 0, "bots": 0,
        **{f"term:{t}": n for t, n in (terms or {}).items()},
    }  # fmt: skip
    world.buckets.put_item(Item=item)
    mark(world, brand, [item["sk"]])


def mark(world: World, brand: str, stamps: list[str]) -> None:
    """Mark the buckets late, as ``score`` marks a bucket it counts into late
    (functions/common/late_marks.py): a bucket written here is read again by a warm
    ``alert`` whenever it was written."""
    for i in range(0, len(stamps), 100):
        names = {f"#m{j}": f"late:{stamp}" for j, stamp in enumerate(stamps[i : i + 100])}
        world.buckets.update_item(Key={"pk": f"late#{brand}", "sk": "late"},
                                  UpdateExpression="ADD " + ", ".join(f"{n} :one" for n in names),
                                  ExpressionAttributeNames=names,
                                  ExpressionAttributeValues={":one": 1})  # fmt: skip


def fill(world: World, start: datetime, end: datetime, mentions: int, **kw: Any) -> None:
    with world.buckets.batch_writer() as batch:
        t = start
        while t < end:
            batch.put_item(Item={
                "pk": f"bucket#{BRAND}", "sk": t.strftime("%Y-%m-%dT%H:%MZ"),
                "mentions": mentions,
                "polarity_sum": Decimal(str(round(kw.get("polarity", 0.1) * mentions, 4))),
                "negatives": kw.get("negatives", 0), "positives": 0, "bots": 0,
                **{f"term:{k}": v for k, v in kw.get("terms", {}).items()},
            })  # fmt: skip
            t += timedelta(minutes=5)
    stamps, t = [], start
    while t < end:
        stamps.append(t.strftime("%Y-%m-%dT%H:%MZ"))
        t += timedelta(minutes=5)
    mark(world, BRAND, stamps)


def evaluate(world: World, at: datetime, **kw: Any) -> dict[str, Any]:
    summary = service.evaluate(at, world.deps, **kw)
    json.dumps(summary)  # JSON-able
    return summary


def rule_notices(messages: list[dict[str, Any]], rule: str) -> list[str]:
    return [m["MessageAttributes"]["state"]["Value"] for m in messages
            if m["MessageAttributes"]["rule"]["Value"] == rule]  # fmt: skip


def state_item(world: World, brand: str = BRAND) -> dict[str, Any] | None:
    """The brand's alert state item as DynamoDB holds it (low-level values)."""
    key = {"pk": {"S": f"state#{brand}"}, "sk": {"S": "brand"}}
    found: dict[str, Any] | None = world.deps.dynamodb.get_item(
        TableName=INCIDENTS, Key=key, ConsistentRead=True).get("Item")  # fmt: skip
    return found


def incident_items(world: World, rule: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = world.deps.dynamodb.query(
        TableName=INCIDENTS, KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": f"incident#{CAMPAIGN}/{rule}"}},
    )["Items"]  # fmt: skip
    return items


def week_series(end: datetime, burst_from: datetime | None = None,
                burst: float = 6.0) -> list[tuple[datetime, int]]:  # fmt: skip
    """Eight days of mention counts a bucket up to ``end``: a daily rhythm, quieter
    weekends, noise (seeded), and ``burst`` times the usual for an hour from ``burst_from``."""
    series = []
    rng = random.Random(7)
    t = end - timedelta(days=8)
    while t < end:
        hours = t.hour + t.minute / 60
        base = 20 + 14 * math.sin((hours - 9) / 24 * 2 * math.pi)
        base *= 0.7 if t.weekday() >= 5 else 1.0
        bursting = burst_from is not None and burst_from <= t < burst_from + timedelta(hours=1)
        mean = base * (burst if bursting else 1.0)
        series.append((t, max(0, int(rng.gauss(mean, 1.5 * math.sqrt(mean))))))
        t += timedelta(minutes=5)
    return series


def store(world: World, series: list[tuple[datetime, int]]) -> None:
    """The buckets of ``series`` as ``score`` writes them (mean polarity +0.1)."""
    with world.buckets.batch_writer() as batch:
        for t, n in series:
            batch.put_item(Item={"pk": f"bucket#{BRAND}", "sk": t.strftime("%Y-%m-%dT%H:%MZ"),
                                 "mentions": n, "polarity_sum": Decimal(str(n * 0.1)),
                                 "negatives": 0, "positives": 0, "bots": 0})  # fmt: skip
    mark(world, BRAND, [t.strftime("%Y-%m-%dT%H:%MZ") for t, _ in series])
