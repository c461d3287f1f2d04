"""Faults the simulation injects into ``publish``, drawn from ``--seed``: a duplicate
delivery (Scheduler delivers at least once), a 429 or a 500 from the platform, a lost
answer (the platform posted, its answer never came), and a crash between posting and
recording or between posting and owning the post; and the dependencies of the publish
handler that die where a crash was armed."""

from __future__ import annotations

import heapq
import random
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from infra.simulate.clock import PUBLISH_ARN, ROLE_ARN, STAGE, Firing

if TYPE_CHECKING:
    from infra.simulate.run import Simulation

FAULTS = ("duplicate", "rate_limit", "server_error", "lost_answer", "crash", "crash_unowned")
POSTING = {"x": "/2/tweets", "mastodon": "/statuses", "bluesky": "putRecord",
           "linkedin": "/rest/posts", "facebook": "/", "instagram": "media_publish",
           "tiktok": "video/init"}  # fmt: skip


def publish_deps(sim: Simulation, env: dict[str, str]) -> Any:
    """The publish handler's dependencies on the simulation's clock, peers and moto, with
    records that die once where a fault was armed."""
    import boto3

    from functions.common.platform.tokens import Tokens
    from functions.publish.adapters import adapter_for
    from functions.publish.later import Retries
    from functions.publish.records import Records
    from functions.publish.service import Deps

    dynamodb = boto3.resource("dynamodb")
    urls = {account.secret: account.fake.url for account in sim.accounts.values()}
    by_brand = {key: account.fake.url for key, account in sim.accounts.items()}
    simulation = sim

    class CrashingRecords(Records):
        """Dies once, when armed, between publishing and recording."""

        def finish(self, key: Any, status: str, now: datetime, **fields: str) -> None:
            if simulation.crash_armed == "finish" and status == "published":
                simulation.crash_armed = ""
                raise ConnectionError("simulated crash between publishing and recording")
            super().finish(key, status, now, **fields)

        def own(self, key: Any, post_id: str, account: str) -> str:
            if simulation.crash_armed == "own":
                simulation.crash_armed = ""
                raise ConnectionError("simulated crash between publishing and owning")
            return super().own(key, post_id, account)

    media = media_loader(sim, env)

    def adapter(platform: str, brand: str = "") -> Any:
        options: dict[str, Any] = {"media": media}
        if platform != "bluesky":  # every other adapter polls an upload or a container
            options["sleep"] = sim.clock.sleep
        return adapter_for(platform, by_brand.get((brand, platform)), **options)

    return Deps(
        records=CrashingRecords(dynamodb.Table(env["PUBLISH_RECORDS_TABLE"])),
        pauses=dynamodb.Table(env["PAUSE_FLAGS_TABLE"]),
        tokens=Tokens(boto3.client("secretsmanager"), now=sim.clock.now, endpoints=urls),
        adapter=adapter,
        sqs=boto3.client("sqs"),
        dead_letter_url=env["PUBLISH_DLQ_URL"],
        sns=boto3.client("sns"),
        failures_topic=env["PUBLISH_FAILURES_TOPIC_ARN"],
        now=sim.clock.now,
        sleep=sim.clock.sleep,
        jitter=random.Random(sim.seed),
        retries=Retries(
            boto3.client("scheduler"), STAGE, ROLE_ARN, sim.dead_letter_arn, PUBLISH_ARN
        ),
        write_text=text_writer(sim, env),
    )


def media_loader(sim: Simulation, env: dict[str, str]) -> Any:
    """publish's media store in the moto bucket, its https fetches served by the local web
    peer (``sim.web``: the examples' media URLs, infra/peers/web.py)."""
    import boto3

    from functions.common.media import MediaStore, fetch_https

    web = sim.web

    def fetch(url: str, most: int) -> bytes:
        return fetch_https(web.peer_url(url), most)

    return MediaStore(boto3.client("s3"), env["RAW_MENTIONS_BUCKET"], fetch).load


def text_writer(sim: Simulation, env: dict[str, str]) -> Any:
    """``review: none``: publish's synchronous invocation of ``generate`` for an
    occurrence's text, the real handler on the simulation's clock and moto."""
    import boto3

    from functions.generate import handler, runtime
    from infra.simulate.clock import Context

    runtime.use(runtime.Deps(boto3.client("dynamodb"), env["PUBLISH_RECORDS_TABLE"],
                             now=sim.clock.now))  # fmt: skip

    def write(key: Any) -> dict[str, Any]:
        event = {"campaign": key.campaign, "post": key.post, "channel": key.channel,
                 "locale": key.locale, "scheduled_for": key.scheduled_for}  # fmt: skip
        context: Any = Context(sim.clock, sim.clock.now())  # Lambda's, on the virtual clock
        answer: dict[str, Any] = handler.handler(event, context)
        return answer

    return write


def inject(sim: Simulation, firing: Firing, queue: list[Firing]) -> None:
    """Maybe a fault for this firing, drawn from the seed."""
    if firing.retry or firing.duplicate or sim.random.random() >= sim.fault_rate:
        return
    kind = sim.random.choice(FAULTS)
    channel = firing.payload.get("channel", "")
    brand = sim._brand(firing.payload)
    account = sim.accounts.get((brand, channel))
    if kind == "duplicate":
        later = firing.when + timedelta(seconds=sim.random.randint(1, 90))
        heapq.heappush(queue, Firing(later, firing.order, firing.name, firing.payload,
                                     duplicate=True))  # fmt: skip
    elif kind == "crash":
        sim.crash_armed = "finish"
    elif kind == "crash_unowned":
        sim.crash_armed = "own"
    elif kind == "lost_answer" and account is not None:
        account.fake.lose_answer_next(on=POSTING[channel])
    elif account is not None and kind in account.fake.errors:
        account.fake.fail_next(kind)
    else:
        return
    sim.result.faults[kind] += 1
