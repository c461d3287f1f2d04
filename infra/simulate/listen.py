"""The listening part of ``socialops simulate``: mentions in, alerts out, on the same clock.

For every brand that listens (and has an account peer on a platform it pulls from), a
mention stream (``mentions.py``: the day's rhythm, moods, languages, spam, and a crisis)
appears on the brand's local platform peers as its posts' times come. On every tick of
the virtual clock the deployed schedule runs, with the real handlers in-process against
moto:

1. ``ingest`` for each (brand, platform), as its 5-minute rule would: it reads from its
   cursors, writes the raw pages to S3 and queues the mentions;
2. ``score`` on the queue, as the SQS event source mapping would: batches of up to 100
   received messages; the ones it reports as failed stay in the queue;
3. ``alert`` at the tick's time, as its 5-minute rule would: Slack goes to a local Slack
   peer, SNS and the pause flags to moto. An incident it opens is handed to the real
   ``generate`` handler (what Lambda's asynchronous invocation would run: here at once,
   in-process, with the offline drafter), which writes the draft onto the incident; the
   next tick's ``alert`` sends it as the incident's ``draft`` notice (the result's
   ``drafts``: what was drafted, and whether it was sent).

Ticks are every 5 minutes (the deployed rate) from an hour before the crisis until four
hours after it has faded (so that the incidents resolve at the time they would: a rule
must be clear for its window, up to 2 hours, after its window has left the crisis), and
every 6 hours elsewhere: the cursors and the alert's catch-up make a coarser tick lossless
(it only delays what an alert would have seen), and it keeps a fortnight to a few minutes
of wall time. Once every incident has resolved and every draft has gone out, the rest of
the fine tail is left out too (``settled_ticks``). The result says when each alert fired and resolved, relative to
the crisis, and accounts for every mention: generated = put on a peer = queued by ingest
(minus those it excluded) = counted in the buckets.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from infra.simulate import iam
from infra.simulate.listened import Alerted, ListenResult
from infra.simulate.mentions import Crisis, Spoken, stream

TICK = timedelta(minutes=5)  # the ingest and alert rules' rate (infra/stack.py)
COARSE_TICK = timedelta(hours=6)
FINE_BEFORE = timedelta(hours=1)
FINE_AFTER = timedelta(hours=4)
MENTIONS_PER_HOUR = 20.0  # a brand's usual mean
REPLAY_BEFORE = timedelta(days=2)
REPLAY_AFTER = timedelta(days=1)
REPLAY_WITHOUT_CRISIS = timedelta(days=2)
SCORE_BATCH = 100  # infra/stack.py SCORE_BATCH
VISIBILITY_S = 600  # a record in an invocation is invisible to the others this long
PEER_PAGE = 100
OFFLINE = "socialops simulate drafts offline: no model is called"


def pulled(config: Any) -> tuple[str, ...]:
    """The platforms the replay pulls a listening brand's mentions from: those it listens
    on (all its accounts by default) that have an account and can be pulled."""
    from schema.platforms import PLATFORMS

    listening = config.brand.listening
    if listening is None:
        return ()
    return tuple(p for p in (listening.platforms or sorted(config.brand.accounts))
                 if p in config.brand.accounts and "pull" in PLATFORMS[p].listening)  # fmt: skip


def tick_times(start: datetime, end: datetime, crisis: Crisis | None) -> list[datetime]:
    """Every 5 minutes (the deployed rate) from an hour before the crisis to four hours
    after its end; every 6 hours elsewhere. All on 5-minute marks."""
    fine = (
        (crisis.start - FINE_BEFORE, crisis.start + timedelta(hours=crisis.hours) + FINE_AFTER)
        if crisis
        else None
    )
    times, at = [], start + TICK
    while at < end:
        times.append(at)
        coarse = fine is None or at + COARSE_TICK <= fine[0] or at >= fine[1]
        at += COARSE_TICK if coarse else TICK
    return [*times, end]  # the last tick takes in what came since the one before


@contextmanager
def slack_peer(secrets: Any, names: list[str]) -> Iterator[Any]:
    """A local Slack webhook; each Slack secret the campaigns name holds its URL."""
    from functions.common.safe_url import allow_peer
    from infra.peers.slack import SlackFake

    fake = SlackFake()
    fake.start()
    allow_peer(fake.webhook_url)  # a configured local peer (functions/common/safe_url.py)
    try:
        for name in names:
            secrets.create_secret(Name=name, SecretString=json.dumps({"url": fake.webhook_url}))
        yield fake
    finally:
        fake.stop()


class Listening:
    """Drives ingest, score and alert for the simulation (``run.Simulation`` owns it)."""

    def __init__(self, simulation: Any, crisis_at: datetime | None, seed: int) -> None:
        self.sim = simulation
        self.seed = seed
        self.crisis_at = crisis_at
        self.result = ListenResult()
        self.sources: list[tuple[str, str]] = []
        self.pending: list[tuple[Spoken, str]] = []  # (mention, brand), in time order
        self.next = 0
        self.slack: Any = None
        self.context: Any = None  # the tick's Lambda context (generate runs in alert's tick)
        self.last_tick: datetime | None = None  # the last tick that ran

    # -- set up --------------------------------------------------------------------

    def plan(self, configs: list[Any]) -> None:
        """The sources to poll and the mention stream of each listening brand."""
        from functions.alert.service import active

        brands: dict[str, Any] = {}
        for config in configs:
            if config.brand.listening is not None:
                brands.setdefault(config.brand.name, config)
        alerting = {c.brand.name for c in configs if c.campaign.alerts}
        streams: list[tuple[Spoken, str]] = []
        for index, (name, config) in enumerate(sorted(brands.items())):
            listening = config.brand.listening
            platforms = tuple(p for p in pulled(config) if (name, p) in self.sim.accounts)
            if not platforms:
                continue
            self.result.brands.append(name)
            self.sources += [(name, p) for p in platforms]
            crisis = None
            if self.crisis_at is not None and name in alerting and not self.result.crisis_brand:
                crisis = Crisis(self.crisis_at)
                self.result.crisis, self.result.crisis_brand = crisis, name
                self.result.replay_start = self.span()[0]
                for c in configs:
                    if c.brand.name == name and c.campaign.alerts and active(c, crisis.start):
                        for a in c.campaign.alerts:
                            self.result.rules.append(f"{c.campaign.name}/{a.name}")
                            if a.type == "volume_anomaly":
                                self.result.volume_rules.append(self.result.rules[-1])
            display = config.brand.display_name or name.capitalize()
            terms = listening.terms
            handle = next((t[1:] for t in terms if t.startswith("@")), "")
            tag = next((t[1:] for t in terms if t.startswith("#")), "")
            begin, end = self.span()
            spoken = stream(display, begin, end, per_hour=MENTIONS_PER_HOUR,
                            tz=config.campaign.timezone, crisis=crisis, seed=self.seed + index,
                            platforms=platforms, handle=handle, tag=tag)  # fmt: skip
            streams += [(s, name) for s in spoken]
        streams.sort(key=lambda pair: pair[0].created_at)
        self.pending = streams
        self.result.generated = len(streams)
        self.result.in_crisis = sum(1 for s, _ in streams if s.in_crisis)

    def span(self) -> tuple[datetime, datetime]:
        """The replayed span: from 2 days before the crisis (the detector's warm-up and
        a day of the brand's rhythm) to a day after it, within the simulation; the
        first 2 days without a crisis. Replaying a fortnight of mentions through moto
        would take many minutes for nothing more to see."""
        start, end = self.sim.start, self.sim.end
        if self.crisis_at is None:
            return start, min(end, start + REPLAY_WITHOUT_CRISIS)
        return max(start, self.crisis_at - REPLAY_BEFORE), min(end, self.crisis_at + REPLAY_AFTER)

    def ticks(self) -> list[datetime]:
        if not self.sources:
            return []
        begin, end = self.span()
        return tick_times(begin, end, self.result.crisis)

    def start(self, env: dict[str, str], secrets: Any, slack_names: list[str],
              topics: list[str]) -> None:  # fmt: skip
        """Handlers pointed at the peers and the clock; a local Slack webhook; the SNS
        topics the campaigns notify (the team's own topics, outside the stack) made in
        their regions of moto."""
        import boto3

        from functions.alert import handler as alert_handler
        from functions.alert.service import Deps as AlertDeps
        from functions.common.platform.tokens import Tokens
        from functions.generate import drafting
        from functions.generate.offline import OfflineProvider
        from functions.ingest import handler as ingest_handler
        from functions.ingest.service import Deps as IngestDeps
        from functions.score import handler as score_handler
        from functions.score.handler import Deps as ScoreDeps

        for account in self.sim.accounts.values():
            account.fake.page_size = PEER_PAGE
        for arn in topics:
            _, _, _, region, _, name = arn.split(":", 5)
            boto3.client("sns", region_name=region).create_topic(Name=name)
        self.slack_context = slack_peer(secrets, slack_names)
        self.slack = self.slack_context.__enter__()
        clock = self.sim.clock
        urls = {a.secret: a.fake.url for a in self.sim.accounts.values()}
        by_brand = {key: a.fake.url for key, a in self.sim.accounts.items()}
        ingest_handler.use(IngestDeps(
            s3=boto3.client("s3"), sqs=boto3.client("sqs"), dynamodb=boto3.client("dynamodb"),
            secrets=secrets, cursors_table=env["INGEST_CURSORS_TABLE"],
            records_table=env["PUBLISH_RECORDS_TABLE"],
            queue_url=env["MENTIONS_QUEUE_URL"], bucket=env["RAW_MENTIONS_BUCKET"],
            tokens=Tokens(secrets, now=clock.now, endpoints=urls),
            endpoint=lambda platform, brand: by_brand.get((brand, platform)), now=clock.now,
            page_size=PEER_PAGE,
        ))  # fmt: skip
        alert_handler.use(AlertDeps(
            dynamodb=boto3.client("dynamodb"), buckets_table=env["MENTION_BUCKETS_TABLE"],
            incidents_table=env["ALERT_INCIDENTS_TABLE"],
            pauses=boto3.resource("dynamodb").Table(env["PAUSE_FLAGS_TABLE"]),
            s3=boto3.client("s3"), raw_bucket=env["RAW_MENTIONS_BUCKET"],
            sns=boto3.client("sns"), alerts_topic=env["ALERTS_TOPIC_ARN"], secrets=secrets,
            sns_in=lambda region: boto3.client("sns", region_name=region),
            now=clock.now, ask_draft=self._draft,
        ))  # fmt: skip
        drafting.use(drafting.Deps(
            dynamodb=boto3.client("dynamodb"), incidents_table=env["ALERT_INCIDENTS_TABLE"],
            s3=boto3.client("s3"), raw_bucket=env["RAW_MENTIONS_BUCKET"], now=clock.now,
            provider=lambda _: (OfflineProvider(), OFFLINE),
        ))  # fmt: skip
        score_handler.use(ScoreDeps(boto3.client("dynamodb"), boto3.client("s3"),
                                    env["MENTION_BUCKETS_TABLE"], env["RAW_MENTIONS_BUCKET"],
                                    now=clock.now))  # fmt: skip
        self.sqs = boto3.client("sqs")
        self.source = EventSource(env["MENTIONS_QUEUE_URL"])
        checker = iam.ACTIVE.get()
        if checker is not None:  # the mapping polls with score's role
            checker.mapping("score", self.source.arn)
        self.env = env

    def stop(self) -> None:
        from functions.alert import handler as alert_handler
        from functions.generate import drafting
        from functions.ingest import handler as ingest_handler
        from functions.score import handler as score_handler

        ingest_handler.use(None)
        alert_handler.use(None)
        score_handler.use(None)
        drafting.use(None)
        if self.slack is not None:
            self.result.slack_messages = len(self.slack.messages)
            self.slack_context.__exit__(None, None, None)
            self.slack = None

    # -- a tick --------------------------------------------------------------------

    def tick(self, at: datetime, context: Any) -> None:
        if self._settled(at):
            self.result.settled_ticks += 1
            return
        self.last_tick = at
        self.context = context
        self._appear(at)
        self._ingest(context)
        self._score(context)
        self._alert(at, context)

    def _settled(self, at: datetime) -> bool:
        """Whether ``at`` is a fine tick no longer needed: after the crisis, with every
        incident resolved and every draft sent, the rest of the tail runs at the coarse
        rate, as the replay does away from the crisis (the cursors and the alert's
        catch-up make that lossless; it can only delay a later alert). The last tick
        always runs."""
        crisis = self.result.crisis
        if crisis is None or self.last_tick is None or at >= self.span()[1]:
            return False
        if at < crisis.start + timedelta(hours=crisis.hours) or at - self.last_tick >= COARSE_TICK:
            return False
        open_incidents: Counter[tuple[str, str]] = Counter()
        for alert in self.result.alerts:
            open_incidents[(alert.brand, alert.rule)] += 1 if alert.state == "fired" else -1
        if any(n > 0 for n in open_incidents.values()):
            return False
        return all(draft["sent"] is not None for draft in self.result.drafts)

    def _appear(self, at: datetime) -> None:
        """Mentions whose time has come are now on their platform."""
        while self.next < len(self.pending) and self.pending[self.next][0].created_at <= at:
            spoken, brand = self.pending[self.next]
            fake = self.sim.accounts[(brand, spoken.platform)].fake
            self._platform(spoken.platform)["generated"] += 1
            extra = {"platform": spoken.platform} if spoken.platform in ("facebook",
                                                                         "instagram") else {}  # fmt: skip
            fake.add_mention(spoken.text, spoken.created_at, author_handle=spoken.handle,
                             lang=spoken.lang, followers=spoken.followers,
                             author_created_at=spoken.account_created, **extra)  # fmt: skip
            self.next += 1

    def _platform(self, platform: str) -> Counter[str]:
        return self.result.per_platform.setdefault(platform, Counter())

    def _ingest(self, context: Any) -> None:
        from functions.ingest import handler

        for brand, platform in self.sources:
            self.result.ingest_runs += 1
            try:
                report = handler.handler({"brand": brand, "platform": platform}, context.again())
            except Exception as error:  # Lambda would retry; the cursor did not move
                self.result.problems.append(f"ingest {brand}/{platform}: {error}")
                continue
            self.result.queued += int(report.get("queued", 0))
            self._platform(platform)["queued"] += int(report.get("queued", 0))
            self.result.excluded += int(report.get("excluded", 0))
            for reason, count in (report.get("skipped") or {}).items():
                self.result.skipped[reason] += int(count)
            for problem in report.get("errors", []):
                self.result.problems.append(f"ingest {brand}/{platform}: {problem}")

    def _score(self, context: Any) -> None:
        """Drain the mentions queue as the event source mapping would, in batches."""
        from functions.score import handler

        held: set[str] = set()  # failed in this tick: invisible until later, as in SQS
        drained = False  # a receive found the queue empty: nothing more comes this tick
        while not drained:
            records: list[dict[str, Any]] = []
            while len(records) < SCORE_BATCH:
                got = [r for r in self.source.receive(SCORE_BATCH - len(records))
                       if r["messageId"] not in held]  # fmt: skip
                if not got:
                    drained = True
                    break
                records += got
            if not records:
                return
            answer = handler.handler({"Records": records}, context.again())
            failed = {f["itemIdentifier"] for f in answer.get("batchItemFailures", [])}
            held |= failed
            self.result.score_failures += len(failed)
            done = [r for r in records if r["messageId"] not in failed]
            self.result.scored += len(done)
            self.source.delete([r["receiptHandle"] for r in done])

    def _alert(self, at: datetime, context: Any) -> None:
        from functions.alert import handler
        from infra.simulate.run import Line

        self.result.alert_runs += 1
        summary = handler.handler({"time": at.strftime("%Y-%m-%dT%H:%M:%SZ")}, context)
        for kind in ("fired", "resolved"):
            for item in summary.get(kind, []):
                rule = f"{item.get('campaign')}/{item.get('rule')}"
                brand = str(item.get("brand", ""))
                detail = str(item.get("measured", ""))
                if item.get("action"):
                    detail += f"; {item['action']}"
                if item.get("suppressed"):
                    detail += f"; not sent ({item['suppressed']})"
                self.result.alerts.append(Alerted(at, brand, rule, kind, detail))
                self.sim.result.lines.append(Line(at, "", "alert", f"{brand}: {rule}", kind,
                                                  detail))  # fmt: skip
        for failure in summary.get("failed", []):
            what = failure.get("error", failure) if isinstance(failure, dict) else failure
            self.result.problems.append(f"alert at {at:%Y-%m-%d %H:%MZ}: {what}")
        sent = {n["notice"].removesuffix("#draft") for n in summary.get("notices", [])
                if n.get("ok") and n["notice"].endswith("#draft")}  # fmt: skip
        for draft in self.result.drafts:
            if draft["incident"] in sent and draft["sent"] is None:
                draft["sent"] = at.strftime("%Y-%m-%dT%H:%MZ")

    def _draft(self, event: dict[str, Any]) -> None:
        """``alert``'s hand-off: the real ``generate`` handler on the event, as Lambda's
        asynchronous invocation would run it (here at once, in the alert's tick)."""
        from functions.generate import handler
        from infra.simulate.run import Line

        answer = handler.handler(event, self.context.again())
        if answer.get("draft") != "written":
            return
        summary = answer.get("summary") or {}
        when = self.sim.clock.now()
        rule = str(event["incident"]["rule"])
        self.result.drafts.append({
            "incident": answer["incident"], "brand": answer["brand"], "rule": rule,
            "drafted": when.strftime("%Y-%m-%dT%H:%MZ"), "by": answer["by"],
            "mentions": summary.get("mentions", 0), "top_terms": summary.get("top_terms", []),
            "statement": answer.get("statement", ""), "sent": None,
        })  # fmt: skip
        terms = ", ".join(summary.get("top_terms", [])[:3])
        self.sim.result.lines.append(Line(
            when, "", "generate", f"{answer['brand']}: {rule}", "drafted",
            f"holding statement ({answer['by']}, not published); {summary.get('mentions', 0)} "
            f"mentions read, top terms: {terms or 'none'}"))  # fmt: skip

    # -- accounting ----------------------------------------------------------------

    def account(self) -> None:
        """Every generated mention reached a peer, was queued (or excluded with a reason),
        and was counted once in its brand's buckets."""
        import boto3

        table = boto3.resource("dynamodb").Table(self.env["MENTION_BUCKETS_TABLE"])
        counted = 0
        for brand in self.result.brands:
            query: dict[str, Any] = {"KeyConditionExpression": "pk = :pk",
                                     "ExpressionAttributeValues": {":pk": f"bucket#{brand}"}}  # fmt: skip
            while True:
                page = table.query(**query)
                counted += sum(int(item.get("mentions", 0)) for item in page["Items"])
                if "LastEvaluatedKey" not in page:
                    break
                query["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        self.result.counted = counted
        attributes = self.sqs.get_queue_attributes(
            QueueUrl=self.env["MENTIONS_QUEUE_URL"],
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        self.result.left_in_queue = sum(int(v) for v in attributes.values())
        pauses = boto3.resource("dynamodb").Table(self.env["PAUSE_FLAGS_TABLE"])
        for brand in self.result.brands:
            item = pauses.get_item(Key={"brand": brand}).get("Item")
            if item:
                self.result.paused[brand] = str(item.get("since", ""))
        r = self.result
        skipped = sum(r.skipped.values())
        if self.next != r.generated:
            r.lost.append(f"{r.generated - self.next} mentions never reached a peer")
        if r.queued + r.excluded + skipped < r.generated:
            r.lost.append(f"{r.generated - r.queued - r.excluded - skipped} mentions on the "
                          "peers were never ingested")  # fmt: skip
        if counted != r.queued - r.score_failures:
            r.lost.append(f"{r.queued} mentions queued but {counted} counted")


class EventSource:
    """The mentions queue's event source mapping: AWS's poller, not socialops code. It
    receives and deletes in moto's SQS backend directly (the calls moto's API answers with:
    the same visibility, receive counts and deletions), not through a request and a
    response per 10 messages: the demo fortnight made some 700 such calls for the poller
    alone. Messages reach ``score`` as the mapping hands them: up to ``SCORE_BATCH``
    records an invocation, in the Lambda event's shape."""

    def __init__(self, url: str) -> None:
        from moto.sqs.models import sqs_backends

        host, account, self.queue = url.split("://", 1)[-1].split("/")[:3]
        # sqs.<region>.amazonaws.com, or the legacy <region>.queue.amazonaws.com
        labels = host.split(".")
        self.region = labels[1] if labels[0] == "sqs" else labels[0]
        self.backend = sqs_backends[account][self.region]
        self.arn = f"arn:aws:sqs:{self.region}:{account}:{self.queue}"

    def receive(self, count: int) -> list[dict[str, Any]]:
        got = self.backend.receive_message(self.queue, count=count, wait_seconds_timeout=0,
                                           visibility_timeout=VISIBILITY_S)  # fmt: skip
        return [self._record(m) for m in got]

    def delete(self, receipts: list[str]) -> None:
        for receipt in receipts:
            self.backend.delete_message(self.queue, receipt)

    def _record(self, message: Any) -> dict[str, Any]:
        return {"messageId": message.id, "receiptHandle": message.receipt_handle,
                "body": message.body, "attributes": {}, "messageAttributes": {},
                "md5OfBody": message.body_md5, "eventSource": "aws:sqs",
                "awsRegion": self.region, "eventSourceARN": self.arn}  # fmt: skip


def default_crisis(start: datetime, days: int) -> datetime:
    """Half-way through the simulation, at 17:00 UTC (early evening in Europe)."""
    return (start + timedelta(days=days // 2)).replace(hour=17, minute=0, tzinfo=UTC)
