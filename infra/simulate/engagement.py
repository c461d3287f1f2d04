"""The simulation's engagement read-back: every peer counts likes, shares, views... from
the documented audience model (infra/simulate/audience.py), and ingest's read-back run
(functions/ingest/engagement/readback.py) fires every 15 minutes on the virtual clock, as
its schedule does in AWS, writing to the moto lake; a run that would find nothing to do is
counted and left out (``Readback._idle``).

The audience model is the truth the later models are measured against: nothing that
learns reads it; they see only what the read-back brought into the lake.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from functions.ingest.engagement import METRICS
from infra.simulate import audience

READBACK_FAULTS = ("rate_limit", "expired")  # what a platform may answer a read-back run
READBACK_EVERY = timedelta(minutes=15)  # the read-back schedule (infra/stack.py READBACK_RATE)
OPTIMIZE_EVERY = timedelta(days=1)  # optimize's schedule (infra/stack.py OPTIMIZE_RATE)
START_FOLLOWERS = 5_000  # each simulated account's followers on the first day
DEFAULT_ZONE = audience.BRAND_ZONE


@dataclass
class EngagementResult:
    shape: str
    zone: str
    runs: int = 0
    idle_runs: int = 0  # runs with nothing due, left out (Readback._idle)
    readings: int = 0
    posts_read: int = 0
    backfilled: int = 0  # the accounts' earlier posts, read on each brand's first run
    stopped: list[str] = field(default_factory=list)
    per_platform: dict[str, Counter[str]] = field(default_factory=dict)  # latest totals
    followers: dict[str, int] = field(default_factory=dict)
    lake_objects: int = 0
    lake_rows: dict[str, int] = field(default_factory=dict)  # per table (mentions: distinct)
    goals: list[dict[str, Any]] = field(default_factory=list)  # infra.goals.Progress
    report: str | None = None  # the HTML report written, if any
    training_runs: int = 0  # optimize's daily runs
    trained: list[dict[str, Any]] = field(default_factory=list)  # each model trained, when
    untrained: dict[str, str] = field(default_factory=dict)  # brand: why not, at the last run
    # optimize's placements of at: auto posts (functions/optimize/placement.py), each with
    # the run ("on") that made it; the lagging posts that moved one
    placed: list[dict[str, Any]] = field(default_factory=list)
    moved: list[dict[str, Any]] = field(default_factory=list)
    lagging: list[dict[str, Any]] = field(default_factory=list)
    placement_problems: list[str] = field(default_factory=list)

    def place(self, on: str, summary: dict[str, Any]) -> None:
        """One optimize run's placement summary, added to the run's."""
        self.placed += [{"on": on, **p} for p in summary.get("placed", [])]
        self.moved += [{"on": on, **m} for m in summary.get("moved", [])]
        self.lagging += [{"on": on, **lag} for lag in summary.get("lagging", [])]
        self.placement_problems += summary.get("problems", [])

    def placement(self) -> dict[str, Any]:
        explored = sum(1 for p in self.placed if p["explored"])
        return {"placed": self.placed, "moved": self.moved, "lagging": self.lagging,
                "explored": explored,
                "exploration_share": round(explored / len(self.placed), 3) if self.placed else 0.0,
                "problems": self.placement_problems}  # fmt: skip

    def summary(self) -> dict[str, Any]:
        return {
            "audience": {"shape": self.shape, "zone": self.zone},
            "readback_runs": self.runs,
            "readback_idle": self.idle_runs,
            "readings": self.readings,
            "posts_read": self.posts_read,
            "backfilled": self.backfilled,
            "lake_objects": self.lake_objects,
            "lake_rows": dict(self.lake_rows),
            "per_platform": {p: dict(sorted(c.items())) for p, c in sorted(self.per_platform.items())},
            "followers": dict(sorted(self.followers.items())),
            "stopped": self.stopped[:20],
            "goals": self.goals,
            "report": self.report,
            "training": {"runs": self.training_runs, "trained": self.trained,
                         "not_trained": dict(sorted(self.untrained.items()))},
            "placement": self.placement(),
        }  # fmt: skip


def zone_of(configs: Iterable[Any], brand: str) -> str:
    """The time zone of the brand's first audience (the simulated audience lives there)."""
    for config in configs:
        if config.brand.name == brand:
            for found in config.audiences.values():
                if found.timezones:
                    return str(found.timezones[0])
    return DEFAULT_ZONE


def plug(accounts: Iterable[Any], configs: list[Any], shape: str, seed: int,
         start: datetime, now: Callable[[], datetime]) -> str:  # fmt: skip
    """Point every account's peer at the audience model; the zone the audience lives in
    (the first brand's: a shape's own zone, far_zone's, wins over it)."""
    zones: list[str] = []
    for account in accounts:
        zone = audience.SHAPES[shape].zone if shape == "far_zone" else zone_of(configs, account.brand)  # fmt: skip
        zones.append(zone)
        account.fake.engagement = _counts(seed, account.platform, shape, zone, start, now,
                                          f"{account.brand}/{account.platform}")  # fmt: skip
        account.fake.followers = _followers(seed, account.brand, account.platform, start)
    return zones[0] if zones else DEFAULT_ZONE


def _counts(seed: int, platform: str, shape: str, zone: str, start: datetime,
            now: Callable[[], datetime], account: str) -> Callable[[str, datetime, str], dict[str, int]]:  # fmt: skip
    def counts(post_id: str, published: datetime, text: str) -> dict[str, int]:
        followers = audience.followers_at(
            seed, account, platform, START_FOLLOWERS, start, published
        )
        return audience.metrics_at(seed, post_id, platform, shape, zone, published,
                                   audience.Content.of(text), followers, now())  # fmt: skip

    return counts


def _followers(seed: int, brand: str, platform: str, start: datetime) -> Callable[[datetime], int]:
    def followers(when: datetime) -> int:
        return audience.followers_at(seed, f"{brand}/{platform}", platform, START_FOLLOWERS, start, when)  # fmt: skip

    return followers


def ticks(start: datetime, end: datetime, every: timedelta = READBACK_EVERY) -> list[datetime]:
    """A schedule's firings within the simulation (the read-back's by default)."""
    out, when = [], start + every
    while when < end:
        out.append(when)
        when += every
    return out


class Readback:
    """ingest's read-back run on the virtual clock, its readers pointed at the peers."""

    def __init__(self, sim: Any, env: dict[str, str], secrets: Any, result: EngagementResult) -> None:  # fmt: skip
        import boto3

        from functions.common.platform.tokens import Tokens
        from functions.ingest.engagement import Reader, readback

        self.result = result
        urls = {a.secret: a.fake.url for a in sim.accounts.values()}
        tokens = Tokens(secrets, now=sim.clock.now, endpoints=urls)
        peers = {key: a.fake.url for key, a in sim.accounts.items()}

        def reader(platform: str, brand: str, account: Any) -> Reader:
            return Reader(platform, brand, account, peers[(brand, platform)],
                          lambda: tokens.get(platform, account.secret).access_token)  # fmt: skip

        self.s3, self.bucket = boto3.client("s3"), env["RAW_MENTIONS_BUCKET"]
        self.region = self.s3.meta.region_name
        self.deps = readback.Deps(
            boto3.client("dynamodb"), self.s3, env["PUBLISH_RECORDS_TABLE"],
            env["INGEST_CURSORS_TABLE"], self.bucket, reader, now=sim.clock.now,
        )  # fmt: skip
        self.run_once = readback.run
        self.now = sim.clock.now
        self.env, self.report_path = env, sim.report
        self.dead_letter_arn = sim.dead_letter_arn
        # faults of the read-back (--faults): a rate limit or an expired token from one
        # account's platform during a run; drawn from their own generator, so that the
        # publish faults a seed gives stay the same
        self.fault_rate, self.random = sim.fault_rate, random.Random(f"readback-{sim.seed}")
        self.accounts, self.faults = list(sim.accounts.values()), sim.result.faults

    def _arm(self) -> tuple[Any, str, int] | None:
        """Maybe a refusal armed on one account's peer for this run (the run reads nothing
        else of that peer: publish does not run during it)."""
        if not self.fault_rate or self.random.random() >= self.fault_rate:
            return None
        posted = [a for a in self.accounts if a.fake.posts_made()]
        if not posted:
            return None
        account = self.random.choice(posted)
        kind = self.random.choice(READBACK_FAULTS)
        before = len(account.fake.failures)
        account.fake.fail_next(kind)
        return account.fake, kind, before

    def _disarm(self, armed: tuple[Any, str, int] | None) -> None:
        """A refusal the run did not meet is taken back; one it met is counted."""
        if armed is None:
            return
        fake, kind, before = armed
        with fake.lock:
            if len(fake.failures) > before:
                del fake.failures[before:]
                return
        self.faults[f"readback_{kind}"] += 1

    def _idle(self) -> bool:
        """Whether the run due now would find nothing to do: no post due on the read-back
        index (moto's table peeked, as the run's query would see it) and this process's
        followers and backfills done for the day. Such a run costs one query in AWS and
        changes nothing; here it is counted and left out (more than nine runs in ten of a
        fortnight: the posts' checkpoints are hours apart, the schedule's tick 15
        minutes)."""
        from functions.common import readback as due_index
        from functions.ingest.engagement.readback import chores_done
        from infra.simulate.aws import table_items

        now = self.now()
        if not chores_done(self.deps, now):
            return False
        stamp = due_index.stamp(now)
        for attrs in table_items(self.deps.records_table, self.region):
            queue, due = attrs.get(due_index.QUEUE_ATTRIBUTE), attrs.get(due_index.DUE_ATTRIBUTE)
            if queue is not None and queue.value == due_index.QUEUE and due is not None and due.value <= stamp:  # fmt: skip
                return False
        return True

    def tick(self) -> None:
        armed = self._arm()  # drawn for every run, idle or not: the same faults either way
        self.result.runs += 1
        if self._idle():
            self._disarm(armed)  # an idle run reads no peer: the refusal is not met
            self.result.idle_runs += 1
            return
        from infra.simulate.iam import acting_as

        try:
            with acting_as("ingest"):  # ingest's {"action": "readback"} run, its role's
                summary = self.run_once(self.deps)
        finally:
            self._disarm(armed)
        self.result.stopped += summary["stopped"]
        for name, count in summary.get("followers", {}).items():
            if isinstance(count, int):
                self.result.followers[name] = count

    def train(self, context: Any) -> None:
        """``optimize``'s daily run (functions/optimize): each brand's forecasts learnt from
        the simulated lake and stored in it. Without the training stack (the ``train``
        extra, optimize's layer in AWS) it is left out, and the summary says why."""
        from infra.train import training_stack_missing

        self.result.training_runs += 1
        missing = training_stack_missing()
        if missing:
            self.result.untrained = {"*": f"not run: {missing}"}
            return
        import boto3

        from functions.optimize import handler
        from functions.optimize.placement import Deps as Placing
        from functions.optimize.training import Deps
        from infra.simulate.clock import PUBLISH_ARN, ROLE_ARN, STAGE

        records = boto3.resource("dynamodb").Table(self.env["PUBLISH_RECORDS_TABLE"])
        placing = Placing(records, boto3.client("scheduler"), STAGE, ROLE_ARN, PUBLISH_ARN,
                          self.dead_letter_arn)  # fmt: skip
        handler.use(Deps(self.s3, self.bucket, now=self.now), placing)
        try:
            summary = handler.handler({}, context)
        finally:
            handler.use(None)
        at = self.now().strftime("%Y-%m-%dT%H:%MZ")
        self.result.place(at, summary.get("placement") or {})
        self.result.trained += [{"at": at, **t} for t in summary["trained"]]
        self.result.untrained = {s["brand"]: s["reason"] for s in summary["skipped"]}
        self.result.untrained |= {f["brand"]: f"failed: {f['error']}" for f in summary["failed"]}
        for brand in summary["trained"]:
            self.result.untrained.pop(brand["brand"], None)

    def account(self, configs: Iterable[Any]) -> None:
        """What the lake holds at the end, queried with DuckDB (infra/lake.py): the readings,
        each post's latest counts, and each campaign goal's progress (infra/goals.py)."""
        from infra.goals import progress
        from infra.lake import Lake

        with Lake.from_s3(self.s3, self.bucket) as lake:
            self.result.lake_objects = lake.fetched
            for table in ("engagement", "followers", "mentions"):
                self.result.lake_rows[table] = lake.rows(f"SELECT count(*) AS n FROM {table}")[0]["n"]  # fmt: skip
            self.result.readings = self.result.lake_rows["engagement"]
            sums = ", ".join(f"sum({m}) AS {m}" for m in METRICS)
            self.result.backfilled = lake.rows(
                "SELECT count(DISTINCT (platform, post_id)) AS n FROM engagement "
                "WHERE source = 'backfill'")[0]["n"]  # fmt: skip
            # what the simulation published: the read-back's own posts
            for found in lake.rows(f"SELECT platform, count(*) AS posts, {sums} FROM latest "
                                   "WHERE source = 'readback' GROUP BY platform "
                                   "ORDER BY platform"):  # fmt: skip
                platform = found.pop("platform")
                self.result.posts_read += found["posts"]
                self.result.per_platform[platform] = Counter(
                    {k: int(v) for k, v in found.items() if v is not None}
                )
            for config in configs:
                self.result.goals += [p.as_dict() for p in progress(lake, config, self.now())]
            if self.report_path:
                from infra.train import training_stack_missing

                missing = training_stack_missing()  # the report's forecasts need them
                if missing:
                    self.result.stopped.append(f"no report: {missing}")
                else:
                    self._report(lake, configs)

    def _report(self, lake: Any, configs: Iterable[Any]) -> None:
        """``socialops report``'s HTML over the simulated lake, incidents and pauses."""
        import boto3

        from infra.report import write_report
        from infra.report.data import read_incidents, read_pauses, read_placements

        dynamodb = boto3.resource("dynamodb")
        written = write_report(
            lake, list(configs), self.report_path, self.now(),
            read_incidents(dynamodb.Table(self.env["ALERT_INCIDENTS_TABLE"])),
            read_pauses(dynamodb.Table(self.env["PAUSE_FLAGS_TABLE"])),
            source="the simulated lake (moto)",
            placements=read_placements(dynamodb.Table(self.env["PUBLISH_RECORDS_TABLE"])),
        )  # fmt: skip
        self.result.report = str(written)
