"""The firings of a simulation: the one-time schedules read back from Scheduler, the
stack's rate rules for ``publish``, and each payload's local time for the timeline."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from infra.simulate.clock import STAGE, Firing

STAMP = re.compile(r"\d{8}T\d{4}Z")


def payload_key(payload: dict[str, Any]) -> str:
    return json.dumps(payload, sort_keys=True)


def local_times(build: Path) -> dict[str, str]:
    """Payload -> "2027-01-14 09:00 Europe/Paris", from the compiled schedules."""
    found: dict[str, str] = {}
    for path in sorted((build / "schedules").glob("*.json")):
        for entry in json.loads(path.read_text()).get("schedules", []):
            local = entry["local_time"].replace("T", " ")[:16]
            found[payload_key(entry["payload"])] = f"{local} {entry['local_timezone']}"
    return found


def first_fire(build: Path, now: datetime) -> datetime | None:
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


def rate_firings(build: Path, start: datetime, end: datetime, first: int) -> list[Firing]:
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
