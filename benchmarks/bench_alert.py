"""The ``alert`` evaluation cycle at scale: 1,000 brands with a week of 5-minute buckets.

    .venv/bin/python benchmarks/bench_alert.py [--brands 1000] [--days 7] [--cycles 3]
        [--seed 7] [--json]

Builds, in moto in-process (``mock_aws``), the tables, topic and bucket of the stack and,
per brand, a week of buckets (a daily rhythm peaking in the afternoon, quieter weekends,
Poisson-like noise, each brand at its own level from 2 to 200 mentions a bucket; about 1
brand in 50 has a crisis in the last hours: a burst of very negative mentions). Each brand
has one campaign with three rules: sentiment (below -0.6 over 2h, 500 mentions),
negative_share (above 40% over 1h, 200 mentions) and volume_anomaly (sensitivity 0.5).
Seeding goes straight into moto's table (not timed, not counted). Then it times, with
``time.perf_counter``, the first cycle (every brand's detector warms up from its stored
week: the catch-up cycle), then ``--cycles`` steady-state cycles 5 minutes apart (one new
bucket per brand written before each), and counts every DynamoDB call by operation with a
botocore ``before-call`` hook. The time is moto's (in-process, no network); on AWS each
call is a round trip, so the count of calls is the figure that carries over.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import statistics
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

REGION = "us-east-1"
START = datetime(2027, 3, 1, 0, 0, tzinfo=UTC)  # a Monday


def _configs(brands: int) -> dict[str, Any]:
    from functions.common import config
    from functions.common.config import CONFIG_DIR_ENV
    from infra.cli import main

    out = Path(os.environ.get("TMPDIR", "/tmp")) / "bench-alert-build"
    assert main(["compile", str(ROOT / "campaigns"), "--out", str(out), "--no-cache",
                 "--now", "2026-12-01T00:00Z"]) == 0  # fmt: skip
    os.environ[CONFIG_DIR_ENV] = str(out / "config")
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


def _level(rng: random.Random) -> float:
    return math.exp(rng.uniform(math.log(2), math.log(200)))


def _bucket(brand: str, t: datetime, level: float, rng: random.Random,
            crisis: bool) -> dict[str, Any]:  # fmt: skip
    hours = t.hour + t.minute / 60
    mean = level * (1 + 0.6 * math.sin((hours - 10) / 24 * 2 * math.pi))
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


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--brands", type=int, default=1000)
    ap.add_argument("--days", type=int, default=7)
    ap.add_argument("--cycles", type=int, default=3)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    for name, value in {"AWS_DEFAULT_REGION": REGION, "AWS_ACCESS_KEY_ID": "testing-not-a-key",
                        "AWS_SECRET_ACCESS_KEY": "testing-not-a-secret"}.items():  # fmt: skip
        os.environ[name] = value
    import boto3
    from moto import mock_aws
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    from functions.alert import service

    loaded = _configs(args.brands)
    rng = random.Random(args.seed)
    end = START + timedelta(days=args.days)
    with mock_aws():
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
        seeded = time.perf_counter()
        backend = dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION].tables["buckets"]
        brands = sorted(c.brand.name for c in loaded.values())
        levels = {b: _level(rng) for b in brands}
        crises = {b for b in brands if rng.random() < 0.02}
        items = 0
        for brand in brands:
            t = START
            while t < end:
                crisis = brand in crises and t >= end - timedelta(hours=3)
                backend.put_item(_bucket(brand, t, levels[brand], rng, crisis))
                items += 1
                t += timedelta(minutes=5)
        seeded = time.perf_counter() - seeded
        calls: Counter[str] = Counter()

        def count(event_name: str, **kwargs: Any) -> None:
            calls[event_name.rsplit(".", 1)[-1]] += 1

        ddb.meta.events.register("before-call.dynamodb.*", count)
        deps = service.Deps(dynamodb=ddb, buckets_table="buckets", incidents_table="incidents",
                            pauses=boto3.resource("dynamodb", region_name=REGION).Table("pauses"),
                            s3=s3, raw_bucket="raw", sns=sns, alerts_topic=topic)  # fmt: skip
        at = end + timedelta(minutes=5)  # every bucket of the week is complete
        started = time.perf_counter()
        first = service.evaluate(at, deps, loaded)
        first_s = time.perf_counter() - started
        first_calls = dict(calls)
        steady: list[float] = []
        steady_calls: list[dict[str, int]] = []
        last: dict[str, Any] = {}
        for _ in range(args.cycles):
            for brand in brands:  # the next bucket arrives
                crisis = brand in crises
                backend.put_item(_bucket(brand, end, levels[brand], rng, crisis))
            end += timedelta(minutes=5)
            at += timedelta(minutes=5)
            calls.clear()
            started = time.perf_counter()
            last = service.evaluate(at, deps, loaded)
            steady.append(time.perf_counter() - started)
            steady_calls.append(dict(calls))
    revision = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=ROOT,
                              capture_output=True, text=True).stdout.strip()  # fmt: skip
    result = {
        "command": "benchmarks/bench_alert.py " + " ".join(argv or sys.argv[1:]),
        "brands": args.brands, "rules": first["rules"], "buckets": items, "crises": len(crises),
        "seed_s": round(seeded, 1), "first_cycle_s": round(first_s, 2),
        "first_cycle_calls": first_calls, "first_fired": len(first["fired"]),
        "first_failed": len(first["failed"]),
        "steady_cycle_s": [round(s, 3) for s in steady],
        "steady_cycle_median_s": round(statistics.median(steady), 3),
        "steady_cycle_calls": steady_calls[-1], "steady_fired": len(last.get("fired", [])),
        "per_brand_ms": round(1000 * statistics.median(steady) / args.brands, 3),
        "python": sys.version.split()[0], "revision": revision,
    }  # fmt: skip
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"command: .venv/bin/python {result['command'].strip()}")
    print(f"{args.brands} brands x {args.days} days: {items:,} buckets, {len(crises)} crises, "
          f"{first['rules']} rules (seeded in {seeded:.1f} s, not timed)")  # fmt: skip
    print(f"first cycle (catch-up, detectors warm up from the week): {first_s:.2f} s, "
          f"{sum(first_calls.values())} DynamoDB calls {first_calls}, "
          f"{len(first['fired'])} fired")  # fmt: skip
    print(f"steady cycle: median {statistics.median(steady):.3f} s of {steady} "
          f"({result['per_brand_ms']} ms a brand), {sum(steady_calls[-1].values())} DynamoDB "
          f"calls {steady_calls[-1]}, {len(last.get('fired', []))} fired")  # fmt: skip
    print(f"python {result['python']}, at {revision}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
