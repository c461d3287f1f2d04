"""The ``alert`` evaluation cycle at scale: 1,000 brands with a week of 5-minute buckets.

    .venv/bin/python benchmarks/bench_alert.py [--brands 1000] [--catchup-brands 20]
        [--days 7] [--cycles 3] [--recent-hours 6] [--cold-runs 5] [--seed 7] [--json]

Every brand has a week of synthetic buckets (a daily rhythm peaking in the afternoon,
quieter weekends, Poisson-like noise, each brand at its own level from 2 to 200 mentions a
bucket; about 1 brand in 50 has a crisis in the last 3 hours: a burst of very negative
mentions) and one campaign with three rules: sentiment (below -0.6 over 2h, 500 mentions),
negative_share (above 40% over 1h, 200 mentions) and volume_anomaly (sensitivity 0.5). A
brand's data come from its own random stream (``seed/brand``): the same brand has the same
buckets in both parts below. All in moto in-process (``mock_aws``); seeding is not timed.

1. **Catch-up cycle** (the first cycle after deploy, or after a gap of over 7 days: every
   brand's detector warms up from the stored week, one Query a brand) on
   ``--catchup-brands`` brands with their whole week in moto, then one steady cycle.
   moto's Query serialises the whole partition (about 2 s a brand-week here), so this part
   is kept small and its figure is given per brand; for 1,000 brands it is extrapolated.
2. **Steady cycles** on ``--brands`` brands. moto holds only what a steady cycle can read:
   the last ``--recent-hours`` of each brand's buckets, and each brand's state item as the
   alert function leaves it after its catch-up over the brand's week. That state is made
   by the alert code itself, untimed: ``incidents.evaluate_brand`` over the brand's week
   (the buckets handed over from memory instead of a Query), then ``store.write_plans``
   and ``outbox.deliver`` into moto, as ``service.evaluate`` does. For the brands the two
   parts share, the seeded state items are compared with those the real catch-up wrote.
   Then ``--cycles`` cycles of ``service.evaluate`` 5 minutes apart are timed (one new
   bucket a brand written before each), with one ``Deps``, as in one warm container: the
   first reads the recent buckets like a cold one, the next read only what it does not
   keep (functions/common/late_marks.py).

Each cycle is timed with ``time.perf_counter``; every DynamoDB call (the alert's client and
the pause table's) is counted and timed by operation with botocore ``before-call`` and
``after-call`` hooks. The time is moto's (in-process, no network); on AWS each call is a
round trip, so the count of calls is the figure that carries over, and the time outside
DynamoDB calls is the alert's own work. Last, the handler's cold start: a fresh
interpreter importing ``functions.alert.handler`` and loading the compiled configs as its
first call does, minus an empty interpreter's start (median of ``--cold-runs``).
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import gc
import json
import math
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

REGION = "us-east-1"
START = datetime(2027, 3, 1, 0, 0, tzinfo=UTC)  # a Monday
STEP = timedelta(minutes=5)
CRISIS = timedelta(hours=3)
# The examples compiled for this run (its own folder: two runs at once do not share one).
BUILD = Path(tempfile.mkdtemp(prefix="bench-alert-build-"))
atexit.register(shutil.rmtree, BUILD, True)
IMPORT = "import functions.alert.handler"
COLD = IMPORT + "; from functions.alert import service; service.load_configs()"
SPLIT = (
    "import time; a = time.perf_counter(); import functions.alert.handler; "
    "b = time.perf_counter(); from functions.alert import service; c = time.perf_counter(); "
    "service.load_configs(); d = time.perf_counter(); "
    "print(1000 * (b - a), 1000 * (c - b), 1000 * (d - c))"
)
COLD_BOTO = COLD + "; import functions.alert.handler as h; h.deps_from_env()"


def _configs(brands: int) -> dict[str, Any]:
    from functions.common import config
    from functions.common.config import CONFIG_DIR_ENV
    from infra.cli import main

    with contextlib.redirect_stdout(sys.stderr):  # stdout is the report (--json: JSON only)
        assert main(["compile", str(ROOT / "campaigns"), "--out", str(BUILD), "--no-cache",
                     "--now", "2026-12-01T00:00Z"]) == 0  # fmt: skip
    os.environ[CONFIG_DIR_ENV] = str(BUILD / "config")
    config.clear_cache()
    base = config.load("brand-watch")
    alerts = []
    for alert in base.campaign.alerts:
        notify = alert.notify.model_copy(update={"slack": [], "sns": []})
        extra = {"sensitivity": 0.5} if alert.type == "volume_anomaly" else {}
        alerts.append(alert.model_copy(update={"notify": notify, **extra}))
    loaded = {}
    for i in range(brands):
        name = f"brand{i:04d}"
        campaign = base.campaign.model_copy(update={"name": f"watch-{name}", "brand": name,
                                                    "alerts": alerts})  # fmt: skip
        loaded[f"watch-{name}"] = base.model_copy(update={
            "campaign": campaign, "brand": base.brand.model_copy(update={"name": name})})  # fmt: skip
    return loaded


class Brand:
    """One brand's synthetic series: its level, whether it has a crisis, its random stream."""

    def __init__(self, name: str, seed: int) -> None:
        self.name = name
        self.rng = random.Random(f"{seed}/{name}")
        self.level = math.exp(self.rng.uniform(math.log(2), math.log(200)))
        self.crisis = self.rng.random() < 0.02

    def bucket(self, t: datetime, crisis: bool) -> dict[str, Any]:
        """The bucket item as ``score`` writes it (low-level DynamoDB attribute values)."""
        rng, brand = self.rng, self.name
        hours = t.hour + t.minute / 60
        mean = self.level * (1 + 0.6 * math.sin((hours - 10) / 24 * 2 * math.pi))
        mean *= 0.7 if t.weekday() >= 5 else 1.0
        mean *= 8 if crisis else 1
        n = max(0, round(rng.gauss(mean, math.sqrt(mean) + 0.5)))
        polarity = -0.8 if crisis else rng.uniform(-0.05, 0.25)
        negatives = round(n * (0.75 if crisis else 0.15))
        item = {"pk": {"S": f"bucket#{brand}"}, "sk": {"S": t.strftime("%Y-%m-%dT%H:%MZ")},
                "mentions": {"N": str(n)}, "polarity_sum": {"N": str(round(polarity * n, 4))},
                "negatives": {"N": str(negatives)}, "positives": {"N": str(round(n * 0.3))},
                "bots": {"N": str(round(n * 0.02))}, "term:" + brand: {"N": str(n)}}  # fmt: skip
        if crisis:
            item["term:lost luggage"] = {"N": str(round(n * 0.4))}
        return item

    def week(self, end: datetime, days: int) -> Iterator[tuple[datetime, dict[str, Any]]]:
        t = end - timedelta(days=days)
        while t < end:
            yield t, self.bucket(t, self.crisis and t >= end - CRISIS)
            t += STEP


class Counted:
    """Calls and seconds by DynamoDB operation, from botocore hooks on the given clients."""

    def __init__(self, *clients: Any) -> None:
        self.calls: Counter[str] = Counter()
        self.seconds: Counter[str] = Counter()
        self._began: list[float] = []
        for client in clients:
            client.meta.events.register("before-call.dynamodb.*", self._before)
            client.meta.events.register("after-call.dynamodb.*", self._after)

    def _before(self, event_name: str, **kwargs: Any) -> None:
        self.calls[event_name.rsplit(".", 1)[-1]] += 1
        self._began.append(time.perf_counter())

    def _after(self, event_name: str, **kwargs: Any) -> None:
        self.seconds[event_name.rsplit(".", 1)[-1]] += time.perf_counter() - self._began.pop()

    def clear(self) -> None:
        self.calls.clear()
        self.seconds.clear()

    def snapshot(self) -> dict[str, Any]:
        return {"calls": dict(sorted(self.calls.items())), "total": sum(self.calls.values()),
                "seconds": {k: round(v, 3) for k, v in sorted(self.seconds.items())},
                "dynamodb_s": round(sum(self.seconds.values()), 3)}  # fmt: skip


def _stack() -> tuple[Any, Any]:
    """Tables, bucket and topic of the stack in moto; the Deps and the call counter."""
    import boto3

    from functions.alert import service

    ddb = boto3.client("dynamodb", region_name=REGION)
    for table, keys in (("buckets", ["pk", "sk"]), ("incidents", ["pk", "sk"]),
                        ("pauses", ["brand"])):  # fmt: skip
        ddb.create_table(
            TableName=table, BillingMode="PAY_PER_REQUEST",
            KeySchema=[{"AttributeName": k, "KeyType": kind}
                       for k, kind in zip(keys, ("HASH", "RANGE"), strict=False)],
            AttributeDefinitions=[{"AttributeName": k, "AttributeType": "S"} for k in keys],
        )  # fmt: skip
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket="raw")
    sns = boto3.client("sns", region_name=REGION)
    topic = sns.create_topic(Name="alerts")["TopicArn"]
    pauses = boto3.resource("dynamodb", region_name=REGION).Table("pauses")
    deps = service.Deps(dynamodb=ddb, buckets_table="buckets", incidents_table="incidents",
                        pauses=pauses, s3=s3, raw_bucket="raw", sns=sns,
                        alerts_topic=topic)  # fmt: skip
    return deps, Counted(ddb, pauses.meta.client)


def _table(name: str) -> Any:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    return dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION].tables[name]


def _drop_moto_copies() -> int:
    """Forget the table copies moto keeps: its TransactWriteItems deep-copies the table once
    per item written (its rollback backup), and moto's ``BaseModel`` lists every instance,
    copies included, until the mock ends (1,000 copies of the 1,000-item state table a cycle
    at 1,000 brands: the process grew past 6 GB and each cycle was slower than the last).
    Only the live tables stay listed; untimed, between cycles. How many were dropped."""
    from moto.dynamodb.models.table import Table

    live = {id(_table(name)) for name in ("buckets", "incidents", "pauses")}
    before = len(Table.instances_tracked)
    Table.instances_tracked[:] = [t for t in Table.instances_tracked if id(t) in live]
    gc.collect()
    return before - len(Table.instances_tracked)


def _states(deps: Any, names: list[str]) -> dict[str, dict[str, Any]]:
    """The brands' state items as stored (``updated_at`` and ``lease_*`` aside)."""
    from functions.alert import store

    found = {}
    for name in names:
        item = deps.dynamodb.get_item(TableName="incidents", Key=store.state_key(name),
                                      ConsistentRead=True).get("Item", {})  # fmt: skip
        found[name] = {k: v for k, v in item.items() if k in ("version", "detector", "rules",
                                                                "outbox")}  # fmt: skip
    return found


def _timed(deps: Any, counted: Counted, at: datetime, loaded: dict[str, Any]) -> dict[str, Any]:
    from functions.alert import service

    counted.clear()
    began = time.perf_counter()
    summary = service.evaluate(at, deps, loaded)
    seconds = time.perf_counter() - began
    return {"s": round(seconds, 3), "dynamodb": counted.snapshot(),
            "fired": len(summary["fired"]), "resolved": len(summary["resolved"]),
            "failed": summary["failed"][:3], "failed_n": len(summary["failed"]),
            "skipped": len(summary["skipped"])}  # fmt: skip


def catchup_part(brands: list[Brand], loaded: dict[str, Any], days: int,
                 end: datetime) -> dict[str, Any]:  # fmt: skip
    """Part 1: the whole week in moto, the real first cycle (Query a brand), one steady."""
    from moto import mock_aws

    with mock_aws():
        deps, counted = _stack()
        table = _table("buckets")
        began, items = time.perf_counter(), 0
        for brand in brands:
            for _, item in brand.week(end, days):
                table.put_item(item)
                items += 1
        seed_s = time.perf_counter() - began
        at = end + STEP  # every bucket of the week is complete
        first = _timed(deps, counted, at, loaded)
        states = _states(deps, [b.name for b in brands])
        for brand in brands:
            table.put_item(brand.bucket(end, brand.crisis))
        steady = _timed(deps, counted, at + STEP, loaded)
    return {"brands": len(brands), "buckets": items, "seed_s": round(seed_s, 1),
            "first": first, "steady": steady, "states": states}  # fmt: skip


def seed_steady(brands: list[Brand], loaded: dict[str, Any], deps: Any, days: int,
                end: datetime, recent: timedelta) -> dict[str, Any]:  # fmt: skip
    """Part 2's seeding: each brand's recent buckets, and its state item as the alert code
    leaves it after catching up over the week (evaluate_brand on the week's buckets, from
    memory; write_plans; deliver)."""
    from functions.alert import incidents, outbox, rules, service, store

    table = _table("buckets")
    at = end + STEP
    run = store.Run(at, rules.cutoff(at))
    refs = service.rules_by_brand(loaded, at)
    plans, items, own_s = [], 0, 0.0
    for brand in brands:
        week = list(brand.week(end, days))
        for t, item in week:
            if t >= end - recent:
                table.put_item(item)
                items += 1
        # the catch-up's own work, timed: parsing the week's items as read_buckets does
        # (a Query's answer) and evaluate_brand over them (detector warm-up, rules)
        began = time.perf_counter()
        buckets = [rules.bucket_of({k: store.plain(v) for k, v in item.items()})
                   for _, item in week]  # fmt: skip
        mine = refs[brand.name]
        plan = incidents.evaluate_brand(brand.name, mine, store.State(), run.cutoff, deps, run,
                                        buckets)  # fmt: skip
        own_s += time.perf_counter() - began
        # the catch-up's Query reads from the first bucket its rules need: these are exactly
        # what it would read (fewer than a week's with --days under 7: the data start later)
        needed = incidents.first_needed(mine, store.State(), run.cutoff)
        assert buckets[0].start == needed or (days < 7 and buckets[0].start > needed)
        assert plan is not None
        plans.append(plan)
    for plan in store.write_plans(plans, deps, run):
        if plan.deliver:
            outbox.deliver(plan, deps, run)
    assert not run.failed, run.failed[:3]
    return {"buckets": items, "fired": len(run.fired), "calls": dict(run.calls),
            "catchup_own_s": round(own_s, 2), "week_buckets": len(brands) * len(week)}  # fmt: skip


def steady_part(brands: list[Brand], loaded: dict[str, Any], days: int, end: datetime,
                recent: timedelta, cycles: int, compare: dict[str, Any]) -> dict[str, Any]:  # fmt: skip
    """Part 2: seeded state and recent buckets, then the timed steady cycles."""
    from moto import mock_aws

    with mock_aws():
        deps, counted = _stack()
        began = time.perf_counter()
        seeded = seed_steady(brands, loaded, deps, days, end, recent)
        seed_s = time.perf_counter() - began
        dropped = [_drop_moto_copies()]
        same = _states(deps, sorted(compare))
        matches = sum(same[name] == compare[name] for name in compare)
        table = _table("buckets")
        at = end + STEP
        done = []
        for _ in range(cycles):
            for brand in brands:  # the next bucket arrives
                table.put_item(brand.bucket(end, brand.crisis))
            end += STEP
            at += STEP
            done.append(_timed(deps, counted, at, loaded))
            dropped.append(_drop_moto_copies())
            print(f"  steady cycle {len(done)}: {done[-1]['s']:.2f} s", file=sys.stderr)
    return {"brands": len(brands), "seed_s": round(seed_s, 1), "seeded": seeded,
            "state_matches": matches, "state_compared": len(compare), "cycles": done,
            "moto_table_copies_dropped": dropped}  # fmt: skip


def cold_start(runs: int) -> dict[str, Any]:
    """Fresh interpreters: handler import + first config load (and + the boto3 clients
    ``deps_from_env`` makes), each minus an empty interpreter's start in the same round."""
    from functions.alert import handler

    env = {**os.environ, "SOCIALOPS_CONFIG_DIR": str(BUILD / "config"),
           "AWS_DEFAULT_REGION": REGION, **{name: "x" for name in handler.ENV}}  # fmt: skip

    def wall(code: str) -> float:
        began = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True)
        return (time.perf_counter() - began) * 1000.0

    def split() -> list[float]:
        run = subprocess.run([sys.executable, "-c", SPLIT], cwd=ROOT, env=env, check=True,
                             capture_output=True, text=True)  # fmt: skip
        return [float(x) for x in run.stdout.split()]

    bare, imported, cold, boto, parts = [], [], [], [], []
    for _ in range(runs):
        empty = wall("pass")
        bare.append(empty)
        imported.append(wall(IMPORT) - empty)
        cold.append(wall(COLD) - empty)
        boto.append(wall(COLD_BOTO) - empty)
        parts.append(split())
    return {"runs": runs, "empty_interpreter_ms": round(statistics.median(bare), 1),
            "handler_import_ms": round(statistics.median(imported), 1),
            "handler_and_configs_ms": round(statistics.median(cold), 1),
            "handler_and_configs_ms_runs": [round(c, 1) for c in cold],
            "with_boto3_clients_ms": round(statistics.median(boto), 1),
            "inside_ms": {name: round(statistics.median(p[i] for p in parts), 1)
                          for i, name in enumerate(("import handler", "import service (first "
                                                    "call)", "load_configs"))}}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--brands", type=int, default=1000)
    ap.add_argument("--catchup-brands", type=int, default=20)
    ap.add_argument("--days", type=int, default=7)
    ap.add_argument("--cycles", type=int, default=3)
    ap.add_argument("--recent-hours", type=float, default=6.0)
    ap.add_argument("--cold-runs", type=int, default=5)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    for name, value in {"AWS_DEFAULT_REGION": REGION, "AWS_ACCESS_KEY_ID": "testing-not-a-key",
                        "AWS_SECRET_ACCESS_KEY": "testing-not-a-secret"}.items():  # fmt: skip
        os.environ[name] = value
    import moto

    began = time.perf_counter()
    loaded = _configs(max(args.brands, args.catchup_brands))
    brands = [Brand(c.brand.name, args.seed) for c in loaded.values()]
    end = START + timedelta(days=args.days)
    few = brands[: args.catchup_brands]
    print(f"catch-up part: {len(few)} brands", file=sys.stderr)
    catchup = catchup_part(few, {f"watch-{b.name}": loaded[f"watch-{b.name}"] for b in few},
                           args.days, end)  # fmt: skip
    many = [Brand(b.name, args.seed) for b in brands[: args.brands]]  # fresh random streams
    print(f"steady part: {len(many)} brands", file=sys.stderr)
    steady = steady_part(many, {f"watch-{b.name}": loaded[f"watch-{b.name}"] for b in many},
                         args.days, end, timedelta(hours=args.recent_hours), args.cycles,
                         {k: v for k, v in catchup.pop("states").items()
                          if k in {b.name for b in many}})  # fmt: skip
    cold = cold_start(args.cold_runs)
    revision = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=ROOT,
                              capture_output=True, text=True).stdout.strip()  # fmt: skip
    cycle_s = statistics.median(c["s"] for c in steady["cycles"])
    ddb_s = statistics.median(c["dynamodb"]["dynamodb_s"] for c in steady["cycles"])
    first_ms = 1000 * catchup["first"]["s"] / catchup["brands"]
    small_ms = 1000 * catchup["steady"]["s"] / catchup["brands"]
    per_ms = 1000 * cycle_s / args.brands
    result = {
        "command": ".venv/bin/python benchmarks/bench_alert.py " + " ".join(
            argv if argv is not None else sys.argv[1:]),
        "brands": args.brands, "catchup_brands": args.catchup_brands, "days": args.days,
        "crises": sum(b.crisis for b in many), "catchup": catchup, "steady": steady,
        "steady_cycle_median_s": round(cycle_s, 3),
        "steady_ms_per_brand": round(per_ms, 3),
        "steady_dynamodb_median_s": round(ddb_s, 3),
        "steady_outside_dynamodb_ms_per_brand": round(1000 * (cycle_s - ddb_s) / args.brands, 3),
        "catchup_ms_per_brand": round(first_ms, 1),
        "catchup_extrapolated_s": round(first_ms * args.brands / 1000, 0),
        "catchup_own_s": steady["seeded"]["catchup_own_s"],
        "catchup_own_ms_per_brand": round(
            1000 * steady["seeded"]["catchup_own_s"] / args.brands, 2),
        "small_steady_ms_per_brand": round(small_ms, 2),
        "ratio_catchup_over_steady_per_brand": round(first_ms / per_ms, 1),
        "ratio_steady_per_brand_large_over_small": round(per_ms / small_ms, 2),
        "cold_start": cold, "total_s": round(time.perf_counter() - began, 1),
        "python": sys.version.split()[0], "moto": moto.__version__, "revision": revision,
    }  # fmt: skip
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    first, small = catchup["first"], catchup["steady"]
    print(f"command: {result['command'].strip()}")
    print(f"catch-up part: {catchup['brands']} brands x {args.days} days = "
          f"{catchup['buckets']:,} buckets in moto (seeded in {catchup['seed_s']} s, untimed)")  # fmt: skip
    print(f"  first (catch-up) cycle: {first['s']:.2f} s = {first_ms:.0f} ms a brand; "
          f"{first['dynamodb']['total']} DynamoDB calls {first['dynamodb']['calls']} taking "
          f"{first['dynamodb']['dynamodb_s']} s {first['dynamodb']['seconds']}; "
          f"{first['fired']} fired, {first['failed_n']} failed")  # fmt: skip
    print(f"  for {args.brands} brands EXTRAPOLATED (not measured): about "
          f"{result['catchup_extrapolated_s']:.0f} s in moto; once per brand, after deploy "
          f"or a gap of over 7 days")  # fmt: skip
    print(f"  for {args.brands} brands MEASURED outside DynamoDB (the alert's own work: "
          f"parsing {steady['seeded']['week_buckets']:,} bucket items and evaluate_brand "
          f"over each week): {result['catchup_own_s']} s = "
          f"{result['catchup_own_ms_per_brand']} ms a brand, plus one Query a brand")  # fmt: skip
    print(f"  then one steady cycle: {small['s']:.3f} s = {small_ms:.2f} ms a brand, "
          f"{small['dynamodb']['total']} calls {small['dynamodb']['calls']}")  # fmt: skip
    seeded = steady["seeded"]
    print(f"steady part: {args.brands} brands, {seeded['buckets']:,} recent buckets "
          f"({args.recent_hours:g} h a brand) and {args.brands} state items made by the "
          f"alert code over each brand's week ({seeded['fired']} incidents open), seeded "
          f"in {steady['seed_s']} s (untimed); seeded state = real catch-up state for "
          f"{steady['state_matches']} of {steady['state_compared']} shared brands")  # fmt: skip
    for i, cycle in enumerate(steady["cycles"], 1):
        d = cycle["dynamodb"]
        print(f"  steady cycle {i}: {cycle['s']:.2f} s; {d['total']} DynamoDB calls "
              f"{d['calls']} taking {d['dynamodb_s']} s {d['seconds']}; {cycle['fired']} "
              f"fired, {cycle['resolved']} resolved, {cycle['failed_n']} failed, "
              f"{cycle['skipped']} skipped")  # fmt: skip
    print(f"  moto's table copies dropped (untimed) after seeding and after each cycle: "
          f"{steady['moto_table_copies_dropped']}")  # fmt: skip
    print(f"  median {cycle_s:.2f} s = {per_ms:.2f} ms a brand ({ddb_s:.2f} s inside moto's "
          f"DynamoDB calls; {result['steady_outside_dynamodb_ms_per_brand']} ms a brand "
          f"outside them)")  # fmt: skip
    print(f"ratios (same run): catch-up per brand / steady per brand at {args.brands} = "
          f"{result['ratio_catchup_over_steady_per_brand']}x; steady per brand at "
          f"{args.brands} / at {args.catchup_brands} = "
          f"{result['ratio_steady_per_brand_large_over_small']}x")  # fmt: skip
    print(f"cold start (fresh interpreter minus an empty one at {cold['empty_interpreter_ms']} "
          f"ms, median of {cold['runs']}): handler import {cold['handler_import_ms']} ms; "
          f"handler import + config load "
          f"{cold['handler_and_configs_ms']} ms {cold['handler_and_configs_ms_runs']}; with "
          f"the boto3 clients of the first call {cold['with_boto3_clients_ms']} ms; timed inside "
          f"the interpreter: {cold['inside_ms']}")  # fmt: skip
    print(f"python {result['python']}, moto {result['moto']}, at {revision}, "
          f"{result['total_s']} s in all")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
