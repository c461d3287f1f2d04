"""What the engagement read-back tests share: for each platform's
(tests/integration/test_readback_<platform>.py) a contract fake served as a local peer, a
post as its publish record gives it to the read-back, a fake's counts and clock set, and
what a listing (``recent``) must match; for the read-back run's own
(tests/integration/test_readback.py, test_backfill.py) the compiled brand and moto's
tables and lake it runs on."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import boto3
import pytest
from moto import mock_aws
from projects import AUDIENCE, BRAND, CAMPAIGN, NOW, write_project

from functions.common import config, safe_url
from functions.common.platform.errors import PlatformError
from functions.ingest.engagement import Posted, Reader, Reading, Recent
from functions.ingest.engagement import readback as run_readback
from functions.publish.adapters.base import Published
from infra.cli import main
from infra.peers import Fake
from infra.resources import tables

F = TypeVar("F", bound=Fake)

Counts = Callable[[str, datetime, str], dict[str, int]]


@contextmanager
def serving(fake: F) -> Iterator[F]:
    """``fake`` started and allowed as a local peer (as ingest's configured endpoints are),
    stopped after the ``with``."""
    with fake:
        safe_url.allow_peer(fake.url)
        yield fake


def posted(done: Published) -> Posted:
    """The post as its publish record has it: the platform's time, else the time publish's
    own clock gave it (now, here)."""
    return Posted(done.post_id, done.url, (done.published_at or datetime.now(UTC)).isoformat())


def counted(table: dict[str, dict[str, int]]) -> Counts:
    """An ``engagement`` hook answering ``table`` by post id (nobody reacted to the rest)."""

    def engagement(post_id: str, when: datetime, text: str) -> dict[str, int]:
        return table.get(post_id, {})

    return engagement


def set_counts(fake: Fake, by_post: dict[str, dict[str, int]]) -> None:
    """The fake counts ``by_post`` for those posts, nothing for the others."""
    fake.engagement = counted(by_post)


def refusal(fake: Fake, kind: str, on: str, call: Callable[[], object]) -> PlatformError:
    """The error ``call`` raises when the fake answers the next request whose path holds
    ``on`` with its ``kind`` of failure (``Fake.fail_next``)."""
    fake.fail_next(kind, on=on)
    with pytest.raises(PlatformError) as caught:
        call()
    return caught.value


def by_id(readings: list[Reading]) -> dict[str, Reading]:
    return {r.post_id: r for r in readings}


def hour(fake: Fake, start: datetime, n: int) -> str:
    """Set the fake's clock to ``n`` hours after ``start`` (what it stamps the next post
    with); that time as ``recent`` gives it."""
    when = start + timedelta(hours=n)
    fake.now = lambda: when
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def assert_listed_newest_first(recent: list[Recent], posts: Sequence[Posted], times: list[str],
                               texts: list[str]) -> None:  # fmt: skip
    """``recent`` is ``posts`` newest first (published oldest first at ``times``, with
    ``texts``), each as publish recorded it: its id and URL, at the platform's time."""
    assert [r.posted.post_id for r in recent] == [p.post_id for p in reversed(posts)]
    assert [r.posted.url for r in recent] == [p.url for p in reversed(posts)]
    assert [r.posted.published_at for r in recent] == times[::-1]
    assert [r.text for r in recent] == texts[::-1]


def assert_newest_within_limits(fake: Fake, recent: Callable[[int], list[Recent]],
                                 posts: Sequence[Posted]) -> None:  # fmt: skip
    """``recent(limit)`` of at most three, then at most six, gives the newest three, then
    the newest six of ``posts`` (published oldest first), newest first; of none, nothing,
    and asks the fake nothing."""
    three = recent(3)
    six = recent(6)
    assert [r.posted.post_id for r in three] == [p.post_id for p in posts[::-1][:3]]
    assert [r.posted.post_id for r in six] == [p.post_id for p in posts[::-1][:6]]
    before = len(fake.requests)
    assert recent(0) == [] and len(fake.requests) == before


def assert_read_alike(recent: list[Recent], readings: list[Reading]) -> None:
    """The counts a listing gives are what ``read`` makes of the same posts."""
    assert {r.posted.post_id: r.reading for r in recent} == by_id(readings)


# ---- the read-back run against moto ----------------------------------------------------

REGION = "us-east-1"
RECORDS, CURSORS, BUCKET = "records", "cursors", "lake"


def fake_reader(platform: str, brand: str, account: Any) -> Reader:
    """A reader for the stand-in platform modules: no peer behind it, a fake token."""
    return Reader(platform, brand, account, "http://127.0.0.1:9", lambda: "fake-token")


@contextmanager
def readback_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, module: Callable[[str], Any],
                 now: Callable[[], datetime], **deps: Any) -> Iterator[run_readback.Deps]:  # fmt: skip
    """The read-back run's dependencies on moto: the compiled brand "acme" (accounts on x,
    bluesky, mastodon, instagram, facebook) as the configuration, AWS's test credentials,
    the publish records' (RECORDS) and ingest cursors' (CURSORS) tables as the stack
    declares them and the lake's bucket (BUCKET); the platforms are ``module``'s, read with
    ``fake_reader``, at ``now``; ``deps`` the other ``Deps`` fields (``remaining_s``)."""
    root = write_project(tmp_path / "p", {"brand.yml": BRAND, "audience.yml": AUDIENCE, "campaign.yml": CAMPAIGN})  # fmt: skip
    assert main(["compile", str(root), "--out", str(tmp_path / "build"), "--no-cache", "--now", NOW]) == 0  # fmt: skip
    monkeypatch.setenv(config.CONFIG_DIR_ENV, str(tmp_path / "build" / "config"))
    for name, value in {"AWS_DEFAULT_REGION": REGION, "AWS_ACCESS_KEY_ID": "testing-not-a-key",
                        "AWS_SECRET_ACCESS_KEY": "testing-not-a-secret"}.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    config.clear_cache()
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        for name, logical in ((RECORDS, "PublishRecordsTable"), (CURSORS, "IngestCursorsTable")):
            props = tables()[logical]["Properties"]
            dynamodb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                                  AttributeDefinitions=props["AttributeDefinitions"],
                                  KeySchema=props["KeySchema"],
                                  **({"GlobalSecondaryIndexes": props["GlobalSecondaryIndexes"]}
                                     if "GlobalSecondaryIndexes" in props else {}))  # fmt: skip
        boto3.client("s3", region_name=REGION).create_bucket(Bucket=BUCKET)
        yield run_readback.Deps(dynamodb, boto3.client("s3", region_name=REGION), RECORDS,
                                CURSORS, BUCKET, fake_reader, module=module, now=now, **deps)  # fmt: skip
    config.clear_cache()


def lake_rows(kind: str = "engagement") -> list[dict[str, Any]]:
    """The rows of the lake's ``kind`` table, each with the ``_key`` of its object."""
    s3 = boto3.client("s3", region_name=REGION)
    rows: list[dict[str, Any]] = []
    for item in s3.list_objects_v2(Bucket=BUCKET, Prefix=f"{kind}/").get("Contents", []):
        body = s3.get_object(Bucket=BUCKET, Key=item["Key"])["Body"].read().decode()
        rows += [{**json.loads(line), "_key": item["Key"]} for line in body.splitlines()]
    return rows
