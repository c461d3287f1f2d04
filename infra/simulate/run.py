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

import gc
import heapq
import json
import random
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from infra.simulate.accounts import Account, posts_on, start_accounts, store_secrets
from infra.simulate.aws import ENVIRONMENT as AWS_ENVIRONMENT
from infra.simulate.aws import local_aws
from infra.simulate.clock import (
    PUBLISH_ARN,
    REGION,
    ROLE_ARN,
    STAGE,
    Clock,
    Context,
    Firing,
    environment,
)
from infra.simulate.faults import inject, publish_deps
from infra.simulate.firings import (
    first_fire,
    local_times,
    payload_key,
    rate_firings,
    read_schedules,
)
from infra.simulate.results import Line, Result

__all__ = ["Line", "Result", "Simulation", "SimulationError", "simulate"]

LAMBDA_RETRY_DELAYS = (timedelta(minutes=1), timedelta(minutes=2))
GC_THRESHOLDS = (50_000, 20, 20)  # the cycle collector's while simulating


class SimulationError(RuntimeError):
    """The simulation could not run (no campaigns, invalid files): one line for the user."""


# ---- the run ------------------------------------------------------------------------


class Simulation:
    def __init__(self, build: Path, start: datetime, days: int, seed: int, fault_rate: float,
                 crisis: datetime | None = None, shape: str = "one_peak"):  # fmt: skip
        from infra.simulate.listen import Listening

        self.build, self.start, self.seed = build, start, seed
        self.end = start + timedelta(days=days)
        self.listening = Listening(self, crisis, seed)
        self.random = random.Random(seed)
        self.fault_rate = fault_rate
        self.clock = Clock(start)
        self.result = Result(start, self.end, seed)
        self.local = local_times(build)
        self.accounts: dict[tuple[str, str], Account] = {}
        self.crash_armed = ""  # where the next invocation dies: "finish", "own" or nowhere
        self.queued: set[str] = set()  # publish's retry schedules already queued
        self.dead_letter_arn = ""
        self.progress: Callable[[datetime], None] | None = None  # the virtual clock's time
        self.shape = shape  # the simulated audience's shape (infra/simulate/audience.py)
        self.readback: Any = None  # infra.simulate.engagement.Readback, once started
        self.report: str | None = None  # where the run's HTML report goes (None: none)
        self.web: Any = None  # infra.peers.web.WebFake: the media URLs' web, while running

    # -- set up --------------------------------------------------------------------

    def run(self) -> Result:
        from functions.common import config

        with local_aws(), environment({
            **AWS_ENVIRONMENT, "AWS_ACCESS_KEY_ID": "simulated-not-a-key",
            "AWS_SECRET_ACCESS_KEY": "simulated-not-a-secret", "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION, "SOCIALOPS_CONFIG_DIR": str(self.build / "config"),
            "POWERTOOLS_METRICS_NAMESPACE": "socialops", "POWERTOOLS_LOG_LEVEL": "ERROR",
            # the user's profile (which may not exist here) is not the simulation's account
            "AWS_PROFILE": None, "AWS_DEFAULT_PROFILE": None,
        }):  # fmt: skip
            config.clear_cache()
            from functions.common.safe_url import allow_peer
            from infra.peers.web import WebFake

            self.web = WebFake().start()  # the web of the examples' media URLs
            allow_peer(self.web.url)
            try:
                self._run()
            finally:
                for account in self.accounts.values():
                    account.fake.stop()
                self.web.stop()
                config.clear_cache()
        return self.result

    def _run(self) -> None:
        import boto3

        from functions.common import config
        from infra.simulate.iam import Checker, enforced
        from infra.simulate.provision import provision

        clients = {s: boto3.client(s) for s in ("dynamodb", "sqs", "sns", "s3")}
        made = provision(self.build / "serverless" / "resources.json", STAGE, clients)
        env = made.environment()
        checker = Checker.of_build(self.build, made)
        configs = list(config.load_all().values())
        self.accounts = start_accounts(configs, self.start)
        for account in self.accounts.values():  # the platforms stamp posts on our clock
            account.fake.now = self.clock.now
        from infra.simulate import engagement

        zone = engagement.plug(self.accounts.values(), configs, self.shape, self.seed,
                               self.start, self.clock.now)  # fmt: skip
        self.result.engagement = engagement.EngagementResult(self.shape, zone)
        secrets = boto3.client("secretsmanager")
        store_secrets(secrets, self.accounts.values())
        self.dead_letter_arn = made.arns["PublishDeadLetterQueue"]
        self._deploy(self.dead_letter_arn, env["RAW_MENTIONS_BUCKET"])
        scheduler = boto3.client("scheduler")
        firings = read_schedules(scheduler, self.start, self.end)
        firings += rate_firings(self.build, self.start, self.end, len(firings))
        self.listening.plan(configs)
        firings += [Firing(at, len(firings) + i, "listen/tick", {})
                    for i, at in enumerate(self.listening.ticks())]  # fmt: skip
        if self.accounts:  # ingest's {"action": "readback"} schedule, every 15 minutes
            firings += [Firing(at, len(firings) + i, "readback/tick", {"action": "readback"})
                        for i, at in enumerate(engagement.ticks(self.start, self.end))]  # fmt: skip
            # optimize's daily schedule: it trains the forecasts on what was read back
            firings += [Firing(at, len(firings) + i, "readback/train", {})
                        for i, at in enumerate(engagement.ticks(self.start, self.end, engagement.OPTIMIZE_EVERY))]  # fmt: skip
        alerts = [a for c in configs for a in c.campaign.alerts]
        slack = sorted({name for a in alerts for name in a.notify.slack})
        topics = sorted({arn for a in alerts for arn in a.notify.sns})
        with environment(env), enforced(checker):
            self.listening.start(env, secrets, slack, topics)
            self.readback = engagement.Readback(self, env, secrets, self.result.engagement)
            gc.freeze()  # the set-up's heap (moto, botocore's models): not walked again
            try:
                self._fire(firings, env)
            finally:
                gc.unfreeze()
                self.listening.stop()
            self.listening.account()
            self.result.listening = self.listening.result
            self.readback.account(configs)
            posts = [f for f in firings if not f.name.startswith(("rule/", "listen/", "readback/"))]
            # an auto post's fallback that stepped aside leaves no record; its placed
            # firing, when it fires within the simulated days, does
            placed = self.result.placed_fired
            self._account(env, len(posts) - self.result.stepped_aside + placed)
        self.result.iam = {"checked": checker.checked, "refused": checker.refusals,
                           "denied": checker.denied}  # fmt: skip

    def _deploy(self, dlq_arn: str, bucket: str) -> None:
        import boto3

        from infra.deploy.apply import apply
        from infra.deploy.desired import Targets, load
        from infra.deploy.media import upload
        from infra.deploy.plan import make_plan

        upload(boto3.client("s3"), bucket, self.build)  # the generated images, first
        scheduler = boto3.client("scheduler")
        desired = load(self.build, STAGE, Targets(PUBLISH_ARN, ROLE_ARN, dlq_arn), self.start)
        apply(scheduler, make_plan(scheduler, STAGE, desired, self.start))

    # -- firing --------------------------------------------------------------------

    def _brand(self, payload: dict[str, Any]) -> str:
        from functions.common import config

        try:
            return config.load(str(payload.get("campaign", ""))).brand.name
        except config.ConfigError:
            return ""

    def _fire(self, firings: list[Firing], env: dict[str, str]) -> None:
        import boto3

        from functions.publish import handler

        deps = publish_deps(self, env)
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
                if firing.name == "readback/train":
                    self.readback.train(Context(self.clock, self.clock.now()))
                    self._pick_up_placed(queue)
                    continue
                if firing.name.startswith("readback/"):
                    self.readback.tick()
                    continue
                if firing.placed and not self._still_placed(firing):
                    continue  # optimize moved it: the schedule is gone, it never fires
                if firing.late or firing.placed:  # Scheduler deletes a fired one-time one
                    self.result.late_retries += firing.late
                    self.result.placed_fired += firing.placed
                    group, name = firing.name.split("/", 1)
                    deps.retries.scheduler.delete_schedule(GroupName=group, Name=name)
                elif not firing.retry and not firing.duplicate:
                    self.result.fired += 1
                armed = self._armed(firing)
                inject(self, firing, queue)
                try:
                    self._deliver(handler, firing, queue, sqs, env)
                finally:
                    self._take_back(armed)
        finally:
            handler.use(None)
            from functions.generate import runtime

            runtime.use(None)  # publish_deps gave generate the simulation's moto and clock

    def _armed(self, firing: Firing) -> tuple[Any, int, int] | None:
        """The firing's platform fake and how many faults it holds before one is armed."""
        account = self.accounts.get((self._brand(firing.payload), str(firing.payload.get("channel", ""))))  # fmt: skip
        if account is None:
            return None
        with account.fake.lock:
            return account.fake, len(account.fake.failures), len(account.fake.lost)

    def _take_back(self, armed: tuple[Any, int, int] | None) -> None:
        """A fault armed for a delivery that never reached the platform (held, skipped, an
        auto post's fallback stepping aside) is taken back: left armed, the next request of
        the account (a read-back, another post) would meet it instead."""
        self.crash_armed = ""
        if armed is None:
            return
        fake, failures, lost = armed
        with fake.lock:
            del fake.failures[failures:]
            del fake.lost[lost:]

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
        if status == "moved" and not firing.duplicate and not firing.retry:
            self.result.stepped_aside += 1  # its occurrence is another firing's
        if status == "rescheduled":
            self._pick_up(str(payload.get("campaign")), queue)
        self.result.outcomes[status] += 1
        self.result.per_channel.setdefault(channel, Counter())[status] += 1
        detail = outcome.get("url") or outcome.get("reason", "")
        self._line(firing, status, detail)

    def _pick_up(self, campaign: str, queue: list[Firing]) -> None:
        """Queue the one-time schedules the functions created in the campaign's functions'
        group (moto stores schedules but never fires them): publish's late retries, and
        optimize's placements of auto posts that fire within the simulated days."""
        import boto3

        from functions.common.schedules import functions_group
        from infra.deploy.desired import fires_at

        scheduler, group = boto3.client("scheduler"), functions_group(STAGE, campaign)
        for entry in scheduler.list_schedules(GroupName=group)["Schedules"]:
            name = f"{group}/{entry['Name']}"
            if name in self.queued:
                continue
            self.queued.add(name)
            placed = entry["Name"].startswith("place-")
            found = scheduler.get_schedule(GroupName=group, Name=entry["Name"])
            when = fires_at(found["ScheduleExpression"])
            if when is not None and (not placed or when < self.end):
                payload = json.loads(found["Target"]["Input"])
                heapq.heappush(queue, Firing(when, len(self.queued), name, payload,
                                             late=not placed, placed=placed))  # fmt: skip

    def _pick_up_placed(self, queue: list[Firing]) -> None:
        """Queue the placements optimize made, in the groups of campaigns with auto posts."""
        from functions.common import config

        for campaign, found in sorted(config.load_all().items()):
            if found.auto:
                self._pick_up(campaign, queue)

    def _still_placed(self, firing: Firing) -> bool:
        import boto3

        scheduler = boto3.client("scheduler")
        group, name = firing.name.split("/", 1)
        try:
            scheduler.get_schedule(GroupName=group, Name=name)
        except scheduler.exceptions.ResourceNotFoundException:
            return False
        return True

    def _line(self, firing: Firing, status: str, detail: str) -> None:
        payload = firing.payload
        locale = f" [{payload['locale']}]" if payload.get("locale") else ""
        tags = " (duplicate delivery)" if firing.duplicate else ""
        tags += f" (Lambda retry {firing.retry})" if firing.retry else ""
        tags += " (late retry)" if firing.late else ""
        tags += " (placed by optimize)" if firing.placed else ""
        self.result.lines.append(Line(
            self.clock.now(), self.local.get(payload_key(payload), ""),
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
            if item["status"] == "published" and item.get("media", "none") != "none":
                kinds = self.result.media_posted.setdefault(str(item.get("channel", "")), Counter())
                kinds[str(item["media"])] += 1
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


@contextmanager
def fewer_collections() -> Iterator[None]:
    """The cycle collector's young passes every 50,000 allocations within, not every 700:
    the replay allocates in bursts (the dicts of each AWS call, on both sides). With the
    set-up's heap frozen while the clock runs (``Simulation._run``), the collector took
    1.0 s of a fortnight here, against 2.2 s to 2.5 s."""
    thresholds = gc.get_threshold()
    gc.set_threshold(*GC_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)


def simulate(
    paths: list[str],
    days: int,
    seed: int,
    start: datetime | None,
    fault_rate: float,
    crisis: datetime | str | None = "default",
    progress: Any = None,
    shape: str = "one_peak",
    report: str | None = None,
) -> Result:
    """Run the campaigns on the virtual clock. ``crisis``: when the listening replay's
    crisis starts (``"default"``: half-way, at 17:00 UTC; None: no crisis); ``progress``:
    a ``progress.Progress`` to show the simulated day on; ``report``: where the HTML report
    of the run goes (None: none)."""
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    with fewer_collections(), tempfile.TemporaryDirectory(prefix="socialops-simulate-") as folder:
        build = Path(folder) / "build"
        project = compile_for(paths, start or now, build)
        if start is None:
            first = first_fire(build, now)
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
        if report is not None:  # its plots' workers import matplotlib on another CPU now
            from infra.report import painting

            painting.warm()
        simulation = Simulation(build, start, days, seed, fault_rate, crisis, shape)
        simulation.progress = progress
        simulation.report = report
        return simulation.run()
