"""Benchmark the schedule reconciler (``socialops deploy``): API calls and time.

Writes a synthetic ``build/`` of S one-time schedules in G campaigns (the format
``socialops compile`` writes), deploys it into moto's EventBridge Scheduler (in-process,
``mock_aws``), then changes a fraction of the schedules (half of them moved to another
time: a new name, so one delete and one create; half of them with another local time
zone: one update), and times the reconcile of the changed build (plan + apply), counting
every Scheduler API call by operation. A third run of the same build must write nothing.

For reference it also counts what a reconciler that reads every schedule would need
(``ListSchedules`` pages + one ``GetSchedule`` per schedule), without running it.

Usage::

    .venv/bin/python benchmarks/bench_reconcile.py [--schedules 10000] [--groups 100]
        [--changed 0.01] [--seed 7] [--json]

Speed is measured here, never by timed tests.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

NOW = datetime(2026, 12, 1, tzinfo=UTC)
WRITES = {"CreateSchedule", "UpdateSchedule", "DeleteSchedule", "CreateScheduleGroup",
          "DeleteScheduleGroup", "TagResource"}  # fmt: skip
CHANNELS = ("x", "bluesky", "mastodon", "facebook", "linkedin", "instagram", "tiktok")


def entry(campaign: str, post: str, channel: str, when: datetime, zone: str) -> dict[str, Any]:
    stamp = when.strftime("%Y-%m-%dT%H:%M:%S")
    return {
        "name": f"{post}.{channel}.{when.strftime('%Y%m%dT%H%MZ')}",
        "expression": f"at({stamp})",
        "timezone": "UTC",
        "local_time": stamp,
        "local_timezone": zone,
        "audiences": [],
        "source": "at",
        "payload": {
            "campaign": campaign,
            "post": post,
            "channel": channel,
            "locale": "",
            "scheduled_for": stamp + "Z",
        },
    }


def generate(schedules: int, groups: int) -> dict[str, list[dict[str, Any]]]:
    per_group = schedules // groups
    build: dict[str, list[dict[str, Any]]] = {}
    for g in range(groups):
        campaign = f"campaign-{g:04d}"
        build[campaign] = [
            entry(campaign, f"post-{i // len(CHANNELS)}", CHANNELS[i % len(CHANNELS)],
                  NOW + timedelta(days=1 + i // len(CHANNELS), hours=g % 24), "UTC")
            for i in range(per_group)
        ]  # fmt: skip
    return build


def change(build: dict[str, list[dict[str, Any]]], fraction: float, seed: int) -> int:
    rng = random.Random(seed)
    everything = [(c, i) for c, items in build.items() for i in range(len(items))]
    chosen = rng.sample(everything, max(1, round(len(everything) * fraction)))
    for n, (campaign, i) in enumerate(chosen):
        old = build[campaign][i]
        if n % 2 == 0:  # moved by 5 minutes: a new name
            when = datetime.fromisoformat(old["payload"]["scheduled_for"].replace("Z", "+00:00"))
            post, channel = old["payload"]["post"], old["payload"]["channel"]
            build[campaign][i] = entry(campaign, post, channel, when + timedelta(minutes=5), "UTC")
        else:  # same instant, another zone: an update of the description
            build[campaign][i] = {**old, "local_timezone": "Etc/UTC"}
    return len(chosen)


def write(folder: Path, build: dict[str, list[dict[str, Any]]]) -> None:
    (folder / "schedules").mkdir(parents=True, exist_ok=True)
    manifest = {"campaigns": {c: {"schedules": len(s)} for c, s in build.items()}}
    (folder / "manifest.json").write_text(json.dumps(manifest))
    for campaign, items in build.items():
        doc = {"campaign": campaign, "group": f"socialops-{campaign}", "schedules": items}
        (folder / "schedules" / f"{campaign}.json").write_text(json.dumps(doc))


def reconcile(client: Any, folder: Path, counter: Counter[str]) -> dict[str, Any]:
    from infra.deploy.apply import apply
    from infra.deploy.desired import Targets, load
    from infra.deploy.plan import make_plan

    targets = Targets("arn:aws:lambda:us-east-1:123456789012:function:publish",
                      "arn:aws:iam::123456789012:role/scheduler",
                      "arn:aws:sqs:us-east-1:123456789012:publish-dlq")  # fmt: skip
    counter.clear()
    start = time.perf_counter()
    plan = make_plan(client, "bench", load(folder, "bench", targets, NOW), NOW)
    planned = time.perf_counter()
    done = apply(client, plan)
    end = time.perf_counter()
    return {"calls": dict(sorted(counter.items())), "total_calls": sum(counter.values()),
            "writes": sum(n for op, n in counter.items() if op in WRITES),
            "plan_s": round(planned - start, 3), "apply_s": round(end - planned, 3),
            "seconds": round(end - start, 3), "created": done.created,
            "updated": done.updated, "deleted": done.deleted}  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schedules", type=int, default=10_000)
    parser.add_argument("--groups", type=int, default=100)
    parser.add_argument("--changed", type=float, default=0.01)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        os.environ.setdefault(key, "testing")
    import boto3
    from moto import mock_aws

    build = generate(args.schedules, args.groups)
    counter: Counter[str] = Counter()
    with mock_aws(), tempfile.TemporaryDirectory() as tmp:
        client = boto3.client("scheduler", region_name="us-east-1")
        client.meta.events.register(
            "before-call.scheduler.*", lambda model, **_: counter.update([model.name])
        )
        write(Path(tmp), build)
        first = reconcile(client, Path(tmp), counter)
        changed = change(build, args.changed, args.seed)
        write(Path(tmp), build)
        second = reconcile(client, Path(tmp), counter)
        third = reconcile(client, Path(tmp), counter)
    existing = sum(len(s) for s in build.values())
    naive = args.groups + sum(-(-len(s) // 100) for s in build.values()) + existing
    report = report_of(args, first, second, third, changed, naive)
    print(json.dumps(report, indent=2) if args.json else text(report))
    return 0 if third["writes"] == 0 else 1


def report_of(args: argparse.Namespace, first: dict[str, Any], second: dict[str, Any],
              third: dict[str, Any], changed: int, naive: int) -> dict[str, Any]:  # fmt: skip
    revision = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                              capture_output=True, text=True, check=False).stdout.strip()  # fmt: skip
    return {
        "command": f"benchmarks/bench_reconcile.py --schedules {args.schedules} "
        f"--groups {args.groups} --changed {args.changed} --seed {args.seed}",
        "revision": revision, "schedules": args.schedules, "groups": args.groups,
        "changed_schedules": changed, "first_deploy": first, "reconcile": second,
        "rerun": third, "read_everything_calls": naive,
        "calls_per_changed_schedule": round(second["total_calls"] / changed, 2),
        "calls_per_write": round(second["total_calls"] / max(1, second["writes"]), 2),
    }  # fmt: skip


def text(report: dict[str, Any]) -> str:
    r = report["reconcile"]
    return "\n".join([
        f"$ .venv/bin/python {report['command']}   (at {report['revision']})",
        f"first deploy: {report['first_deploy']['total_calls']} calls, "
        f"{report['first_deploy']['seconds']} s",
        f"reconcile of {report['changed_schedules']} changed schedules out of "
        f"{report['schedules']} in {report['groups']} groups: {r['total_calls']} calls "
        f"({r['writes']} writes: {r['created']} created, {r['updated']} updated, "
        f"{r['deleted']} deleted) in {r['seconds']} s (plan {r['plan_s']} s, "
        f"apply {r['apply_s']} s)",
        "calls by operation: " + ", ".join(f"{k} {v}" for k, v in r["calls"].items()),
        f"calls / changed schedule: {report['calls_per_changed_schedule']}; "
        f"calls / write: {report['calls_per_write']}; a reconciler reading every schedule "
        f"would make {report['read_everything_calls']} reads",
        f"rerun of the same build: {report['rerun']['total_calls']} calls, "
        f"{report['rerun']['writes']} writes, {report['rerun']['seconds']} s",
    ])  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
