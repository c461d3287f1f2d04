"""The publish function's test world, shared by the publish tests: the example project
(a brand with all seven accounts, a campaign), moto in-process with the stack's resources,
the platforms as contract fakes on loopback, and one clock for the function and the
platforms (``World.clock``)."""

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
from projects import AUDIENCE, acme_brand, generated_file, write_project

from functions.common import config
from functions.common.config import CONFIG_DIR_ENV
from functions.common.platform.tokens import Tokens
from functions.generate import handler as generate_handler
from functions.generate import runtime
from functions.publish import handler as publish_handler
from functions.publish.adapters import adapter_for
from functions.publish.records import Records
from functions.publish.service import Deps
from infra.cli import main
from infra.peers import Fake, bluesky, linkedin, mastodon, meta, tiktok, x
from infra.simulate.accounts import posts_on
from infra.simulate.iam import Checker, enforced
from infra.simulate.provision import provision

NOW = "2026-12-01T00:00Z"
REGION = "us-east-1"
FUTURE = (datetime.now(UTC) + timedelta(days=365)).strftime("%Y-%m-%dT%H:%M:%SZ")

BRAND = acme_brand(
    "x",
    "mastodon",
    "bluesky",
    "linkedin",
    "facebook",
    "instagram",
    "tiktok",
    bluesky={"handle": bluesky.HANDLE},
    linkedin={"id": f'"{linkedin.ORG}"'},
    facebook={"id": f'"{meta.PAGE}"'},
    instagram={"id": f'"{meta.IG_USER}"'},
)

CAMPAIGN = """\
version: 1
kind: campaign
name: launch
brand: acme
window:
  start: 2027-01-01
  end: 2027-12-31
timezone: Europe/Paris
channels:
  - x
  - mastodon
  - bluesky
  - linkedin
  - facebook
  - instagram
  - tiktok
audiences:
  - paris
generation:
  copy:
    review: required
  live:
    review: none
posts:
  - id: hello
    text: "Hello from acme, see https://acme.example #acme"
    at: 2027-01-14 09:00
    channels:
      - x
      - mastodon
      - bluesky
      - linkedin
      - facebook
    locales:
      fr-FR:
        text: "Bonjour de la part d'acme #acme"
    overrides:
      linkedin:
        text: "Hello, professional network. #acme"
  - id: picture
    text: "A picture of our day #acme"
    at: 2027-01-15 10:00
    channels:
      - instagram
    media:
      - url: https://cdn.acme.example/day.jpg
        alt: Our day
  - id: clip
    text: "A short clip #acme"
    at: 2027-01-15 11:00
    channels:
      - tiktok
    media:
      - url: https://cdn.acme.example/clip.mp4
        type: video
  - id: weekly
    text: "This week at acme, in plain numbers #acme"
    every: mon 10:00
    overrides:
      instagram:
        media:
          - url: https://cdn.acme.example/week.jpg
            alt: Our week
      tiktok:
        media:
          - url: https://cdn.acme.example/week.mp4
            type: video
  - id: flash
    text: "Flash sale, today only #acme"
    at: 2027-01-14 12:00
    late_by: 30m
    channels:
      - linkedin
      - mastodon
  - id: summer
    text: "Summer is here #acme"
    at: 2027-07-01 09:00
    channels:
      - x
  - id: written
    generate:
      rule: copy
      brief: Say hello.
    at: 2027-01-20 09:00
    channels:
      - x
  - id: live
    generate:
      rule: live
      brief: Wish the team a good Friday. Thank everyone for the work of the week. Keep it short.
    every: fri 09:00
    channels:
      - x
      - mastodon
  - id: drafted
    generate:
      rule: copy
      brief: Say goodbye.
    at: 2027-01-21 09:00
    channels:
      - x
      - mastodon
"""
# What `socialops generate` wrote for "drafted" and a reviewer merged: x's text approved
# (publishes), none for mastodon (every variant refused: held)
GENERATED = generated_file(
    "drafted",
    "copy",
    "Say goodbye.",
    """\
      - at: 2027-01-21 09:00
        timezone: Europe/Paris
        channel: x
        chosen: "Goodbye from acme, reviewed and merged #acme"
      - at: 2027-01-21 09:00
        timezone: Europe/Paris
        channel: mastodon
        why: no variant passed
""",
)

SECRETS = {
    "x": {"access_token": x.TOKEN, "refresh_token": x.REFRESH, "client_id": "test-client"},
    "mastodon": {"access_token": mastodon.TOKEN},
    "bluesky": {"access_token": bluesky.PASSWORD},
    "linkedin": {"access_token": linkedin.TOKEN, "expires_at": FUTURE},
    "facebook": {"access_token": meta.TOKEN},
    "instagram": {"access_token": meta.TOKEN},
    "tiktok": {"access_token": tiktok.TOKEN},
}
FAKES = {
    "x": x.XFake, "mastodon": mastodon.MastodonFake, "bluesky": bluesky.BlueskyFake,
    "linkedin": linkedin.LinkedInFake, "facebook": meta.GraphFake, "instagram": meta.GraphFake,
    "tiktok": tiktok.TikTokFake,
}  # fmt: skip


def event(post: str = "hello", channel: str = "x", at: str = "2027-01-14T08:00:00Z",
          locale: str = "fr-FR") -> dict[str, str]:  # fmt: skip
    return {"campaign": "launch", "post": post, "channel": channel, "locale": locale,
            "scheduled_for": at}  # fmt: skip


def no_sleep(seconds: float) -> None:
    pass


@dataclass
class World:
    """The moto account, the fakes, the clock and what the function did."""

    env: dict[str, str]
    fakes: dict[str, Fake]
    clock: list[datetime]
    slept: list[float] = field(default_factory=list)
    metrics: list[tuple[str, str]] = field(default_factory=list)
    deps: Deps | None = None
    iam: Checker | None = None  # every call a function makes, checked against its role

    def invoke(self, payload: Any) -> dict[str, Any]:
        result: dict[str, Any] = publish_handler.handler(
            payload, Context(remaining_ms=300_000)
        )  # publish's timeout
        return result

    def table(self, name: str) -> Any:
        return boto3.resource("dynamodb", region_name=REGION).Table(self.env[name])

    def record(self, payload: dict[str, str]) -> dict[str, Any]:
        from functions.publish.service import key_of

        item = Records(self.table("PUBLISH_RECORDS_TABLE")).get(key_of(payload))
        assert item is not None
        return item

    def dead_letters(self) -> list[dict[str, Any]]:
        sqs = boto3.client("sqs", region_name=REGION)
        got = sqs.receive_message(QueueUrl=self.env["PUBLISH_DLQ_URL"], MaxNumberOfMessages=10)
        return [json.loads(m["Body"]) for m in got.get("Messages", [])]

    def notifications(self) -> list[dict[str, Any]]:
        sqs = boto3.client("sqs", region_name=REGION)
        url = sqs.get_queue_url(QueueName="failures-inbox")["QueueUrl"]
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
        return [json.loads(m["Body"]) for m in got.get("Messages", [])]

    def posts(self, channel: str) -> int:
        """Posts the fake of ``channel`` holds (what really went out)."""
        return posts_on(self.fakes[channel])


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = write_project(tmp_path_factory.mktemp("project"), {
        "brand.yml": BRAND, "audience.yml": AUDIENCE, "campaign.yml": CAMPAIGN,
        "campaign.generated.yml": GENERATED})  # fmt: skip
    out = tmp_path_factory.mktemp("build")
    assert main(["compile", str(root), "--out", str(out), "--no-cache", "--now", NOW]) == 0
    return out


@pytest.fixture
def world(build: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    for name, value in {"AWS_DEFAULT_REGION": REGION, "AWS_ACCESS_KEY_ID": "testing-not-a-key",
                        "AWS_SECRET_ACCESS_KEY": "testing-not-a-secret"}.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    folder = tmp_path / "config"
    folder.mkdir()
    for path in (build / "config").glob("*.json"):
        (folder / path.name).write_bytes(path.read_bytes())
    monkeypatch.setenv(CONFIG_DIR_ENV, str(folder))
    config.clear_cache()
    fakes: dict[str, Fake] = {}
    for channel, make in FAKES.items():
        fakes[channel] = make()
        fakes[channel].start()
    with mock_aws():
        clients = {s: boto3.client(s, region_name=REGION) for s in ("dynamodb", "sqs", "sns", "s3")}
        made = provision(build / "serverless" / "resources.json", "test", clients)
        env = made.environment()
        # as in `socialops simulate`: AWS refuses what a function's role does not grant
        checker = Checker.of_build(build, made)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        inbox = clients["sqs"].create_queue(QueueName="failures-inbox")["QueueUrl"]
        inbox_arn = clients["sqs"].get_queue_attributes(
            QueueUrl=inbox, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]  # fmt: skip
        clients["sns"].subscribe(TopicArn=env["PUBLISH_FAILURES_TOPIC_ARN"], Protocol="sqs",
                                 Endpoint=inbox_arn, Attributes={"RawMessageDelivery": "false"})  # fmt: skip
        secrets = boto3.client("secretsmanager", region_name=REGION)
        for channel, value in SECRETS.items():
            secrets.create_secret(Name=f"socialops/acme/{channel}", SecretString=json.dumps(value))
        clock = [datetime(2027, 1, 14, 8, 0, tzinfo=UTC)]
        for fake in fakes.values():  # the platforms stamp posts on the same clock
            fake.now = lambda: clock[0]
        world = World(env, fakes, clock, iam=checker)
        deps = publish_handler.deps_from_env()
        deps.now = lambda: clock[0]
        deps.sleep = world.slept.append
        deps.metric = lambda name, platform: world.metrics.append((name, platform))
        urls = {channel: fake.url for channel, fake in fakes.items()}
        deps.adapter = lambda platform, brand: adapter_for(platform, urls[platform], **(
            {"sleep": no_sleep} if platform != "bluesky" else {}))  # every other one polls  # fmt: skip
        deps.tokens = Tokens(secrets, now=lambda: clock[0], endpoints=urls)
        # review: none: generate's real handler, as publish's synchronous invocation runs it
        runtime.use(runtime.Deps(clients["dynamodb"], env["PUBLISH_RECORDS_TABLE"],
                                 now=lambda: clock[0]))  # fmt: skip
        deps.write_text = lambda key: generate_handler.handler(
            {"campaign": key.campaign, "post": key.post, "channel": key.channel,
             "locale": key.locale, "scheduled_for": key.scheduled_for}, Context())  # fmt: skip
        world.deps = deps
        publish_handler.use(deps)
        try:
            with enforced(checker):
                yield world
        finally:
            publish_handler.use(None)
            runtime.use(None)
            for fake in fakes.values():
                fake.stop()
    config.clear_cache()
    assert checker.denied == [], "a function called what its role does not grant"
