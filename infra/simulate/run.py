"""The simulation: AWS in moto (in-process), a virtual clock, the real handlers.

1. compile the campaigns into a temporary ``build/`` (as of the simulated start);
2. start moto in-process (``aws.local_aws``: why not a server is said there) and
   provision the stack's durable resources into it;
3. start a local peer per brand account and store its token in Secrets Manager;
4. reconcile the schedules into moto's EventBridge Scheduler with the deploy code;
5. read the schedules back from Scheduler and fire them on a virtual clock (moto stores
   schedules but never fires them), with the stack's rate rules for ``publish`` (token
   refresh); each firing invokes the ``publish`` handler in-process with real boto3
   clients. Faults are injected from ``--seed``: duplicate deliveries (Scheduler delivers
   at least once), 429s and 500s from the platforms, and a crash between publishing and
   recording. A failed invocation is retried as Lambda retries asynchronous ones (after
   one, then two minutes) and then sent to the dead-letter queue (the function's
   on-failure destination);
6. account for every firing from the publish records table and the peers: each must be
   published once, or skipped or dead-lettered with its reason; nothing posted twice.
"""

from __future__ import annotations

import heapq
import json
import os
import random
import re
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from infra.simulate.accounts import Account, posts_on, start_accounts, store_secrets
from infra.simulate.aws import ENVIRONMENT as AWS_ENVIRONMENT
from infra.simulate.aws import local_aws
from infra.simulate.listen import ListenResult

STAGE = "local"
REGION = "us-east-1"
ACCOUNT_ID = "123456789012"
PUBLISH_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:socialops-{STAGE}-publish"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT_ID}:role/socialops-{STAGE}-scheduler-publish"
LAMBDA_RETRY_DELAYS = (timedelta(minutes=1), timedelta(minutes=2))
TIMEOUT_S = 300.0  # the publish function's timeout (infra/stack.py)
# duplicate delivery, 429, 500, a lost answer (the platform posted, its answer never came),
# a crash between posting and recording, and one between posting and owning the post
FAULTS = ("duplicate", "rate_limit", "server_error", "lost_answer", "crash", "crash_unowned")
POSTING = {"x": "/2/tweets", "mastodon": "/statuses", "bluesky": "putRecord",
           "linkedin": "/rest/posts", "facebook": "/", "instagram": "media_publish",
           "tiktok": "video/init"}  # fmt: skip
STAMP = re.compile(r"\d{8}T\d{4}Z")


class SimulationError(RuntimeError):
    """The simulation could not run (no campaigns, invalid files): one line for the user."""


# ---- the virtual clock ----------------------------------------------------------------


class Clock:
    def __init__(self, start: datetime) -> None:
        self.current = start

    def now(self) -> datetime:
        return self.current

    def sleep(self, seconds: float) -> None:
        self.current += timedelta(seconds=seconds)


@dataclass
class Context:
    """The Lambda context, with the time left measured on the virtual clock."""

    clock: Clock
    started: datetime
    function_name: str = f"socialops-{STAGE}-publish"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = PUBLISH_ARN
    aws_request_id: str = "simulated"

    def get_remaining_time_in_millis(self) -> int:
        used = (self.clock.now() - self.started).total_seconds()
        return int(max(0.0, TIMEOUT_S - used) * 1000)


@dataclass(order=True)
class Firing:
    when: datetime
    order: int
    name: str = field(compare=False)
    payload: dict[str, Any] = field(compare=False)
    retry: int = field(default=0, compare=False)
    duplicate: bool = field(default=False, compare=False)
    late: bool = field(default=False, compare=False)  # publish's own retry schedule


# ---- the environment ----------------------------------------------------------------


@contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


# ---- results --------------------------------------------------------------------------


@dataclass
class Line:
    when: datetime
    local: str
    channel: str
    what: str
    status: str
    detail: str


@dataclass
class Result:
    start: datetime
    end: datetime
    seed: int
    lines: list[Line] = field(default_factory=list)
    outcomes: Counter[str] = field(default_factory=Counter)
    per_channel: dict[str, Counter[str]] = field(default_factory=dict)
    faults: Counter[str] = field(default_factory=Counter)
    fired: int = 0
    deliveries: int = 0
    duplicates: int = 0  # deliveries of an event already delivered (Scheduler: at least once)
    lambda_retries: int = 0
    late_retries: int = 0  # publish's own retry schedules fired (a platform asked to wait)
    dead_lettered: int = 0
    posts_on_platforms: int = 0
    tokens_refreshed: int = 0
    unaccounted: list[str] = field(default_factory=list)
    records: Counter[str] = field(default_factory=Counter)
    listening: ListenResult | None = None

    @property
    def published(self) -> int:
        return self.records["published"]

    @property
    def double_posts(self) -> int:
        return self.posts_on_platforms - self.published

    @property
    def ok(self) -> bool:
        """Nothing lost or posted twice, and no listening run or notice failed (the
        replay injects no faults: a failure there is a defect)."""
        lost = self.listening.lost + self.listening.problems if self.listening else []
        return not self.unaccounted and self.double_posts == 0 and not lost

    def summary(self) -> dict[str, Any]:
        return {
            "start": self.start.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "end": self.end.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "seed": self.seed,
            "schedules_fired": self.fired,
            "deliveries": self.deliveries,
            "published": self.published,
            "duplicates": self.duplicates,
            "recovered": self.outcomes["recovered"],
            "failed": self.records["failed"] + self.records["unknown"],
            "held": self.records["held"],
            "skipped": self.records["skipped"],
            "dead_lettered": self.dead_lettered,
            "lambda_retries": self.lambda_retries,
            "late_retries": self.late_retries,
            "waiting": self.records["waiting"],
            "tokens_refreshed": self.tokens_refreshed,
            "faults_injected": dict(sorted(self.faults.items())),
            "posts_on_platforms": self.posts_on_platforms,
            "double_posts": self.double_posts,
            "unaccounted": self.unaccounted,
            "channels": {
                channel: dict(sorted(counts.items()))
                for channel, counts in sorted(self.per_channel.items())
            },
            "listening": self.listening.summary() if self.listening else None,
        }


# ---- the run ------------------------------------------------------------------------


def _payload_key(payload: dict[str, Any]) -> str:
    return json.dumps(payload, sort_keys=True)


def _local_times(build: Path) -> dict[str, str]:
    """Payload -> "2027-01-14 09:00 Europe/Paris", from the compiled schedules."""
    found: dict[str, str] = {}
    for path in sorted((build / "schedules").glob("*.json")):
        for entry in json.loads(path.read_text()).get("schedules", []):
            local = entry["local_time"].replace("T", " ")[:16]
            found[_payload_key(entry["payload"])] = f"{local} {entry['local_timezone']}"
    return found


def _first_fire(build: Path, now: datetime) -> datetime | None:
    from infra.deploy.desired import fires_at

    times = []
    for path in (build / "schedules").glob("*.json"):
        for entry in json.loads(path.read_text()).get("schedules", []):
            when = fires_at(entry["expression"])
            if when is not None and when >= now:
                times.append(when)
    return min(times) if times else None


def read_schedules(scheduler: Any, start: datetime, end: datetime) -> list[Firing]:
    """The one-time schedules in Scheduler that fire in [start, end), read back from it."""
    from infra.deploy.desired import fires_at

    firings: list[Firing] = []
    groups = scheduler.list_schedule_groups(NamePrefix=f"socialops-{STAGE}-")["ScheduleGroups"]
    for group in sorted(g["Name"] for g in groups):
        names: list[str] = []
        token: dict[str, str] = {}
        while True:
            page = scheduler.list_schedules(GroupName=group, **token)
            names += [s["Name"] for s in page["Schedules"]]
            if not page.get("NextToken"):
                break
            token = {"NextToken": page["NextToken"]}
        for name in sorted(names):
            stamp = STAMP.search(name)  # names carry their UTC time: read only the window's
            if stamp and not start <= datetime.strptime(stamp.group(), "%Y%m%dT%H%MZ").replace(
                tzinfo=UTC) < end:  # fmt: skip
                continue
            found = scheduler.get_schedule(GroupName=group, Name=name)
            when = fires_at(found["ScheduleExpression"])
            if when is not None and start <= when < end:
                payload = json.loads(found["Target"]["Input"])
                firings.append(Firing(when, len(firings), f"{group}/{name}", payload))
    return firings


def _rate_firings(build: Path, start: datetime, end: datetime, first: int) -> list[Firing]:
    """The stack's rate rules for ``publish`` (token refresh) on the virtual clock."""
    functions = json.loads((build / "serverless" / "functions.json").read_text())
    firings: list[Firing] = []
    for event in functions["publish"]["events"]:
        rule = event.get("schedule", {})
        for rate in rule.get("rate", []):
            match = re.fullmatch(r"rate\((\d+) (minute|hour|day)s?\)", rate)
            if not match:
                continue
            step = timedelta(**{f"{match.group(2)}s": int(match.group(1))})
            when = start
            while when < end:
                firings.append(Firing(when, first + len(firings), "rule/" + rate,
                                      dict(rule.get("input", {}))))  # fmt: skip
                when += step
    return firings


class Simulation:
    def __init__(self, build: Path, start: datetime, days: int, seed: int, fault_rate: float,
                 crisis: datetime | None = None):  # fmt: skip
        from infra.simulate.listen import Listening

        self.build, self.start, self.seed = build, start, seed
        self.end = start + timedelta(days=days)
        self.listening = Listening(self, crisis, seed)
        self.random = random.Random(seed)
        self.fault_rate = fault_rate
        self.clock = Clock(start)
        self.result = Result(start, self.end, seed)
        self.local = _local_times(build)
        self.accounts: dict[tuple[str, str], Account] = {}
        self.crash_armed = ""  # where the next invocation dies: "finish", "own" or nowhere
        self.queued: set[str] = set()  # publish's retry schedules already queued
        self.dead_letter_arn = ""
        self.progress: Callable[[datetime], None] | None = None  # the virtual clock's time

    # -- set up --------------------------------------------------------------------

    def run(self) -> Result:
        from functions.common import config

        with local_aws(), environment({
            **AWS_ENVIRONMENT, "AWS_ACCESS_KEY_ID": "simulated-not-a-key",
            "AWS_SECRET_ACCESS_KEY": "simulated-not-a-secret", "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION, "SOCIALOPS_CONFIG_DIR": str(self.build / "config"),
            "POWERTOOLS_METRICS_NAMESPACE": "socialops", "POWERTOOLS_LOG_LEVEL": "ERROR",
        }):  # fmt: skip
            config.clear_cache()
            try:
                self._run()
            finally:
                for account in self.accounts.values():
                    account.fake.stop()
                config.clear_cache()
        return self.result

    def _run(self) -> None:
        import boto3

        from functions.common import config
        from infra.simulate.provision import provision

        clients = {s: boto3.client(s) for s in ("dynamodb", "sqs", "sns", "s3")}
        made = provision(self.build / "serverless" / "resources.json", STAGE, clients)
        env = made.environment()
        configs = list(config.load_all().values())
        self.accounts = start_accounts(configs, self.start)
        for account in self.accounts.values():  # the platforms stamp posts on our clock
            account.fake.now = self.clock.now
        secrets = boto3.client("secretsmanager")
        store_secrets(secrets, self.accounts.values())
        self.dead_letter_arn = made.arns["PublishDeadLetterQueue"]
        self._deploy(self.dead_letter_arn)
        scheduler = boto3.client("scheduler")
        firings = read_schedules(scheduler, self.start, self.end)
        firings += _rate_firings(self.build, self.start, self.end, len(firings))
        self.listening.plan(configs)
        firings += [Firing(at, len(firings) + i, "listen/tick", {})
                    for i, at in enumerate(self.listening.ticks())]  # fmt: skip
        alerts = [a for c in configs for a in c.campaign.alerts]
        slack = sorted({name for a in alerts for name in a.notify.slack})
        topics = sorted({arn for a in alerts for arn in a.notify.sns})
        with environment(env):
            self.listening.start(env, secrets, slack, topics)
            try:
                self._fire(firings, env)
            finally:
                self.listening.stop()
            self.listening.account()
            self.result.listening = self.listening.result
            posts = [f for f in firings if not f.name.startswith(("rule/", "listen/"))]
            self._account(env, len(posts))

    def _deploy(self, dlq_arn: str) -> None:
        import boto3

        from infra.deploy.apply import apply
        from infra.deploy.desired import Targets, load
        from infra.deploy.plan import make_plan

        scheduler = boto3.client("scheduler")
        desired = load(self.build, STAGE, Targets(PUBLISH_ARN, ROLE_ARN, dlq_arn), self.start)
        apply(scheduler, make_plan(scheduler, STAGE, desired, self.start))

    def _deps(self, env: dict[str, str]) -> Any:
        import boto3

        from functions.publish.adapters import adapter_for
        from functions.publish.later import Retries
        from functions.publish.records import Records
        from functions.publish.service import Deps
        from functions.publish.tokens import Tokens

        dynamodb = boto3.resource("dynamodb")
        urls = {account.secret: account.fake.url for account in self.accounts.values()}
        by_brand = {key: account.fake.url for key, account in self.accounts.items()}
        simulation = self

        class CrashingRecords(Records):
            """Dies once, when armed, between publishing and recording."""

            def finish(self, key: Any, status: str, now: datetime, **fields: str) -> None:
                if simulation.crash_armed == "finish" and status == "published":
                    simulation.crash_armed = ""
                    raise ConnectionError("simulated crash between publishing and recording")
                super().finish(key, status, now, **fields)

            def own(self, key: Any, post_id: str) -> str:
                if simulation.crash_armed == "own":
                    simulation.crash_armed = ""
                    raise ConnectionError("simulated crash between publishing and owning")
                return super().own(key, post_id)

        def adapter(platform: str, brand: str = "") -> Any:
            options = {"sleep": self.clock.sleep} if platform in ("instagram", "tiktok") else {}
            return adapter_for(platform, by_brand.get((brand, platform)), **options)

        return Deps(
            records=CrashingRecords(dynamodb.Table(env["PUBLISH_RECORDS_TABLE"])),
            pauses=dynamodb.Table(env["PAUSE_FLAGS_TABLE"]),
            tokens=Tokens(boto3.client("secretsmanager"), now=self.clock.now, endpoints=urls),
            adapter=adapter,
            sqs=boto3.client("sqs"),
            dead_letter_url=env["PUBLISH_DLQ_URL"],
            sns=boto3.client("sns"),
            failures_topic=env["PUBLISH_FAILURES_TOPIC_ARN"],
            now=self.clock.now,
            sleep=self.clock.sleep,
            jitter=random.Random(self.seed),
            retries=Retries(
                boto3.client("scheduler"), STAGE, ROLE_ARN, self.dead_letter_arn, PUBLISH_ARN
            ),
        )

    # -- firing --------------------------------------------------------------------

    def _inject(self, firing: Firing, queue: list[Firing]) -> None:
        """Maybe a fault for this firing, drawn from the seed."""
        if firing.retry or firing.duplicate or self.random.random() >= self.fault_rate:
            return
        kind = self.random.choice(FAULTS)
        channel = firing.payload.get("channel", "")
        brand = self._brand(firing.payload)
        account = self.accounts.get((brand, channel))
        if kind == "duplicate":
            later = firing.when + timedelta(seconds=self.random.randint(1, 90))
            heapq.heappush(queue, Firing(later, firing.order, firing.name, firing.payload,
                                         duplicate=True))  # fmt: skip
        elif kind == "crash":
            self.crash_armed = "finish"
        elif kind == "crash_unowned":
            self.crash_armed = "own"
        elif kind == "lost_answer" and account is not None:
            account.fake.lose_answer_next(on=POSTING[channel])
        elif account is not None and kind in account.fake.errors:
            account.fake.fail_next(kind)
        else:
            return
        self.result.faults[kind] += 1

    def _brand(self, payload: dict[str, Any]) -> str:
        from functions.common import config

        try:
            return config.load(str(payload.get("campaign", ""))).brand.name
        except config.ConfigError:
            return ""

    def _fire(self, firings: list[Firing], env: dict[str, str]) -> None:
        import boto3

        from functions.publish import handler

        deps = self._deps(env)
        handler.use(deps)
        sqs = boto3.client("sqs")
        queue = list(firings)
        heapq.heapify(queue)
        try:
            while queue:
                firing = heapq.heappop(queue)
                self.clock.current = max(self.clock.current, firing.when)
                if self.progress is not None:
                    self.progress(self.clock.current)
                if firing.name.startswith("rule/"):
                    self._refresh(handler, firing)
                    continue
                if firing.name.startswith("listen/"):
                    self.listening.tick(firing.when, Context(self.clock, self.clock.now()))
                    continue
                if firing.late:  # Scheduler deletes a fired one-time retry (DELETE)
                    self.result.late_retries += 1
                    group, name = firing.name.split("/", 1)
                    deps.retries.scheduler.delete_schedule(GroupName=group, Name=name)
                elif not firing.retry and not firing.duplicate:
                    self.result.fired += 1
                self._inject(firing, queue)
                self._deliver(handler, firing, queue, sqs, env)
        finally:
            handler.use(None)

    def _refresh(self, handler: Any, firing: Firing) -> None:
        context = Context(self.clock, self.clock.now())
        report = handler.handler(firing.payload, context)
        self.result.tokens_refreshed += len(report.get("refreshed", []))
        for problem in report.get("errors", []) + report.get("warnings", []):
            self.result.lines.append(Line(self.clock.now(), "", "tokens", "refresh", "warning",
                                          problem))  # fmt: skip

    def _deliver(
        self, handler: Any, firing: Firing, queue: list[Firing], sqs: Any, env: dict[str, str]
    ) -> None:
        self.result.deliveries += 1
        if firing.duplicate:
            self.result.duplicates += 1
        if firing.retry:
            self.result.lambda_retries += 1
        context = Context(self.clock, self.clock.now())
        payload = firing.payload
        channel = str(payload.get("channel", "?"))
        try:
            outcome = handler.handler(payload, context)
        except Exception as error:  # the invocation failed: Lambda retries it, then DLQ
            self._line(firing, "error", f"{type(error).__name__}: {error}")
            if firing.retry < len(LAMBDA_RETRY_DELAYS):
                later = firing.when + LAMBDA_RETRY_DELAYS[firing.retry]
                heapq.heappush(queue, Firing(later, firing.order, firing.name, payload,
                                             retry=firing.retry + 1))  # fmt: skip
            else:
                body = {"requestPayload": payload, "responseContext": {
                    "functionError": "Unhandled"}, "error": str(error)}  # fmt: skip
                sqs.send_message(QueueUrl=env["PUBLISH_DLQ_URL"], MessageBody=json.dumps(body))
            return
        status = "duplicate" if outcome.get("replayed") else outcome["status"]
        if status == "rescheduled":
            self._pick_up_retries(str(payload.get("campaign")), queue)
        self.result.outcomes[status] += 1
        self.result.per_channel.setdefault(channel, Counter())[status] += 1
        detail = outcome.get("url") or outcome.get("reason", "")
        self._line(firing, status, detail)

    def _pick_up_retries(self, campaign: str, queue: list[Firing]) -> None:
        """Queue the one-time retries publish created in the campaign's functions' group
        (moto stores schedules but never fires them)."""
        import boto3

        from functions.common.schedules import functions_group
        from infra.deploy.desired import fires_at

        scheduler, group = boto3.client("scheduler"), functions_group(STAGE, campaign)
        for entry in scheduler.list_schedules(GroupName=group)["Schedules"]:
            name = f"{group}/{entry['Name']}"
            if name in self.queued:
                continue
            self.queued.add(name)
            found = scheduler.get_schedule(GroupName=group, Name=entry["Name"])
            when = fires_at(found["ScheduleExpression"])
            if when is not None:
                payload = json.loads(found["Target"]["Input"])
                heapq.heappush(queue, Firing(when, len(self.queued), name, payload, late=True))

    def _line(self, firing: Firing, status: str, detail: str) -> None:
        payload = firing.payload
        locale = f" [{payload['locale']}]" if payload.get("locale") else ""
        tags = " (duplicate delivery)" if firing.duplicate else ""
        tags += f" (Lambda retry {firing.retry})" if firing.retry else ""
        tags += " (late retry)" if firing.late else ""
        self.result.lines.append(Line(
            self.clock.now(), self.local.get(_payload_key(payload), ""),
            str(payload.get("channel", "")),
            f"{payload.get('campaign')}/{payload.get('post')}{locale}{tags}", status, detail,
        ))  # fmt: skip

    # -- accounting ----------------------------------------------------------------

    def _account(self, env: dict[str, str], fired: int) -> None:
        """Every firing ends in a final record; the peers hold exactly the published."""
        import boto3

        table = boto3.resource("dynamodb").Table(env["PUBLISH_RECORDS_TABLE"])
        items: list[dict[str, Any]] = []
        scan: dict[str, Any] = {}
        while True:
            page = table.scan(**scan)
            items += page["Items"]
            if "LastEvaluatedKey" not in page:
                break
            scan = {"ExclusiveStartKey": page["LastEvaluatedKey"]}
        items = [i for i in items if "status" in i]  # not the post-ownership items
        for item in items:
            self.result.records[str(item["status"])] += 1
            if item["status"] == "publishing":
                self.result.unaccounted.append(f"{item['pk']} {item['sk']}: never finished")
        if len(items) < fired:
            self.result.unaccounted.append(f"{fired - len(items)} firings left no record")
        sqs = boto3.client("sqs")
        attributes = sqs.get_queue_attributes(
            QueueUrl=env["PUBLISH_DLQ_URL"], AttributeNames=["ApproximateNumberOfMessages"]
        )["Attributes"]
        self.result.dead_lettered = int(attributes["ApproximateNumberOfMessages"])
        self.result.posts_on_platforms = sum(posts_on(a.fake) for a in self.accounts.values())


def compile_for(paths: list[str], now: datetime, out: Path) -> Any:
    """Validate and compile ``paths`` into ``out`` as of ``now``: the project, or
    SimulationError if invalid."""
    from infra.cache import Cache
    from infra.compiler import compile_project
    from infra.diagnostics import has_errors, render
    from infra.project import load_project

    project = load_project(paths, now, Cache(None))
    if has_errors(project.diagnostics):
        raise SimulationError(
            "the campaigns do not validate; run `socialops validate`:\n"
            + render([d for d in project.diagnostics if d.severity == "error"], "text")
        )
    compile_project(project, out)
    return project


def simulate(
    paths: list[str],
    days: int,
    seed: int,
    start: datetime | None,
    fault_rate: float,
    crisis: datetime | str | None = "default",
    progress: Any = None,
) -> Result:
    """Run the campaigns on the virtual clock. ``crisis``: when the listening replay's
    crisis starts (``"default"``: half-way, at 17:00 UTC; None: no crisis); ``progress``:
    a ``progress.Progress`` to show the simulated day on."""
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    with tempfile.TemporaryDirectory(prefix="socialops-simulate-") as folder:
        build = Path(folder) / "build"
        project = compile_for(paths, start or now, build)
        if start is None:
            first = _first_fire(build, now)
            start = (first or now).replace(hour=0, minute=0)
        if crisis == "default":
            from infra.simulate.listen import default_crisis

            crisis = default_crisis(start, days)
        assert not isinstance(crisis, str)
        if crisis is not None and not start <= crisis < start + timedelta(days=days):
            from infra.project import UsageError

            raise UsageError(
                f"--crisis {crisis:%Y-%m-%dT%H:%MZ} is outside the simulated days "
                f"({start:%Y-%m-%d} + {days} days)"
            )
        from infra.simulate.scope import check

        check(project, build, start, start + timedelta(days=days))  # or NothingToSimulate
        if progress is not None:
            progress.begin(start, days)
        simulation = Simulation(build, start, days, seed, fault_rate, crisis)
        simulation.progress = progress
        return simulation.run()
