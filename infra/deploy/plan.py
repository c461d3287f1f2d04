"""Compute the difference between the desired schedules and EventBridge Scheduler.

Reads, in this order, and only what the difference needs:

1. ``ListScheduleGroups`` with the prefix ``socialops-<stage>-`` and ``ListTagsForResource``
   of each group found (one call per group: campaigns, not schedules). A group is owned
   when tagged ``socialops:managed=true`` and ``socialops:stage=<stage>``; Scheduler tags
   groups, not schedules, so every schedule in an owned group is owned, and nothing in a
   group that is not owned is read or touched.
2. For an owned group whose recorded bucket digests (tags written after the group's last
   complete reconcile) equal the desired ones: nothing more. Otherwise ``ListSchedules``
   of that group (pages of 100): names missing are created, names no longer compiled are
   deleted (unless their ``at()`` time has passed: Scheduler removes fired one-time
   schedules itself, and deleting one mid-retry would lose the post), and only the names
   present in both *and* in a bucket whose digest differs are read with ``GetSchedule``
   and compared in canonical form.

``refresh=True`` ignores the recorded digests and reads every owned schedule (to repair
changes made by hand in the console).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from functions.common.schedules import FUNCTIONS_SUFFIX, PREFIX
from infra.deploy.desired import (
    CAMPAIGN,
    MANAGED,
    STAGE,
    DesiredGroup,
    Json,
    bucket_of,
    unpack_buckets,
)

STAMP = re.compile(r"\.(\d{8}T\d{4}Z)(?:\.[A-Za-z-]+)?$")


@dataclass
class Update:
    name: str
    fields: list[str]
    definition: Json


@dataclass
class GroupPlan:
    campaign: str
    group: str
    action: str  # create | update | delete | keep
    arn: str | None = None
    create: dict[str, Json] = field(default_factory=dict)
    update: list[Update] = field(default_factory=list)
    delete: list[str] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)  # to write once the group is done
    existing: int = 0  # schedules in a group to delete
    # the campaign's functions' group (functions/common/schedules.py): "create" when it is
    # missing, "delete" with its campaign, "" when there is nothing to do; never diffed
    functions: str = ""

    @property
    def functions_group(self) -> str:
        return self.group + FUNCTIONS_SUFFIX

    @property
    def changes(self) -> int:
        return len(self.create) + len(self.update) + len(self.delete)


@dataclass
class Plan:
    stage: str
    groups: list[GroupPlan] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    past_skipped: int = 0  # compiled schedules whose time has come: not created
    past_kept: int = 0  # schedules no longer compiled whose time has passed: left alone

    def counts(self) -> dict[str, int]:
        return {
            "create": sum(len(g.create) for g in self.groups),
            "update": sum(len(g.update) for g in self.groups),
            "delete": sum(len(g.delete) for g in self.groups),
            "groups_create": sum(g.action == "create" for g in self.groups),
            "groups_delete": sum(g.action == "delete" for g in self.groups),
            "functions_groups_create": sum(g.functions == "create" for g in self.groups),
            "functions_groups_delete": sum(g.functions == "delete" for g in self.groups),
        }

    @property
    def empty(self) -> bool:
        return not any(
            g.changes or g.tags or g.action == "delete" or g.functions for g in self.groups
        )


def base_tags(stage: str, campaign: str) -> dict[str, str]:
    return {MANAGED: "true", STAGE: stage, CAMPAIGN: campaign}


def _pages(client: Any, method: str, key: str, **kwargs: Any) -> Iterator[Json]:
    for page in client.get_paginator(method).paginate(**kwargs):
        yield from page.get(key, [])


def existing_groups(client: Any, stage: str) -> dict[str, tuple[str, dict[str, str]]]:
    """Groups named like this stage's: name -> (ARN, tags)."""
    found = {}
    for group in _pages(
        client, "list_schedule_groups", "ScheduleGroups", NamePrefix=f"{PREFIX}-{stage}-"
    ):
        tags = client.list_tags_for_resource(ResourceArn=group["Arn"]).get("Tags", [])
        found[group["Name"]] = (group["Arn"], {t["Key"]: t["Value"] for t in tags})
    return found


def owned(tags: dict[str, str], stage: str) -> bool:
    return tags.get(MANAGED) == "true" and tags.get(STAGE) == stage


def schedule_names(client: Any, group: str) -> list[str]:
    return [
        s["Name"]
        for s in _pages(client, "list_schedules", "Schedules", GroupName=group, MaxResults=100)
    ]


def is_past(name: str, now: datetime) -> bool:
    """A compiled one-time schedule whose instant (in its name) has come."""
    match = STAMP.search(name)
    if not match:
        return False
    return datetime.strptime(match.group(1), "%Y%m%dT%H%MZ").replace(tzinfo=now.tzinfo) <= now


def canonical(found: Json) -> Json:
    """The fields socialops sets, from a ``GetSchedule`` answer, as ``definition`` has them."""
    target = found.get("Target", {})
    keep = ("Arn", "RoleArn", "Input", "RetryPolicy", "DeadLetterConfig")
    result: Json = {
        "ScheduleExpression": found.get("ScheduleExpression"),
        "ScheduleExpressionTimezone": found.get("ScheduleExpressionTimezone") or "UTC",
        "FlexibleTimeWindow": found.get("FlexibleTimeWindow"),
        "Target": {k: target[k] for k in keep if target.get(k) is not None},
        "State": found.get("State"),
        "Description": found.get("Description"),
    }
    if found.get("ActionAfterCompletion") not in (None, "NONE"):
        result["ActionAfterCompletion"] = found["ActionAfterCompletion"]
    return result


def differences(desired: Json, found: Json) -> list[str]:
    """Names of the fields that differ (``Target.Input`` for one inside the target)."""
    fields = []
    for key in sorted(set(desired) | set(found)):
        want, have = desired.get(key), found.get(key)
        if key == "Target" and isinstance(want, dict) and isinstance(have, dict):
            fields += [
                f"Target.{k}" for k in sorted(set(want) | set(have)) if want.get(k) != have.get(k)
            ]
        elif want != have:
            fields.append(key)
    return fields


def _changed_buckets(desired: DesiredGroup, tags: dict[str, str], refresh: bool) -> set[int]:
    recorded = None if refresh else unpack_buckets(tags)
    wanted = unpack_buckets(desired.bucket_tags())
    assert wanted is not None
    if recorded is None:
        return set(range(len(wanted)))
    return {i for i, (a, b) in enumerate(zip(wanted, recorded, strict=True)) if a != b}


def _compare(
    client: Any, desired: DesiredGroup, plan: GroupPlan, names: list[str], changed: set[int]
) -> None:
    for name in sorted(set(names) & set(desired.schedules)):
        if bucket_of(name) not in changed:
            continue
        found = canonical(client.get_schedule(Name=name, GroupName=desired.group))
        fields = differences(desired.schedules[name], found)
        if fields:
            plan.update.append(Update(name, fields, desired.schedules[name]))


def plan_group(
    client: Any, desired: DesiredGroup, found: tuple[str, dict[str, str]] | None,
    now: datetime, refresh: bool,
) -> tuple[GroupPlan, int]:  # fmt: skip
    """The changes of one desired group, and how many stale names were past (kept)."""
    if found is None:
        plan = GroupPlan(desired.campaign, desired.group, "create", create=dict(desired.schedules))
        plan.tags = desired.bucket_tags()
        return plan, 0
    arn, tags = found
    plan = GroupPlan(desired.campaign, desired.group, "keep", arn=arn)
    changed = _changed_buckets(desired, tags, refresh)
    wanted_tags = desired.bucket_tags()
    if not changed:
        return plan, 0
    names = schedule_names(client, desired.group)
    stale = [n for n in names if n not in desired.schedules]
    plan.delete = sorted(n for n in stale if not is_past(n, now))
    plan.create = {n: s for n, s in desired.schedules.items() if n not in set(names)}
    _compare(client, desired, plan, names, changed)
    if any(tags.get(k) != v for k, v in wanted_tags.items()):
        plan.tags = wanted_tags
    plan.action = "update" if plan.changes else "keep"
    return plan, len(stale) - len(plan.delete)


def make_plan(
    client: Any, stage: str, desired: list[DesiredGroup], now: datetime, refresh: bool = False
) -> Plan:
    plan = Plan(stage, past_skipped=sum(d.past for d in desired))
    everything = existing_groups(client, stage)
    helpers = {n for n, (_, tags) in everything.items()
               if n.endswith(FUNCTIONS_SUFFIX) and owned(tags, stage)}  # fmt: skip
    found = {n: v for n, v in everything.items() if not n.endswith(FUNCTIONS_SUFFIX)}
    for group in desired:
        here = found.get(group.group)
        if here is not None and not owned(here[1], stage):
            plan.conflicts.append(
                f"schedule group {group.group} exists and is not managed by socialops for "
                f"stage {stage}: campaign {group.campaign} left undeployed"
            )
            continue
        group_plan, kept = plan_group(client, group, here, now, refresh)
        group_plan.functions = "" if group_plan.functions_group in helpers else "create"
        plan.groups.append(group_plan)
        plan.past_kept += kept
    wanted = {g.group for g in desired}
    for name, (arn, tags) in sorted(found.items()):
        if name not in wanted and owned(tags, stage):
            gone = GroupPlan(tags.get(CAMPAIGN, name), name, "delete", arn=arn)
            gone.existing = len(schedule_names(client, name))
            gone.functions = "delete" if gone.functions_group in helpers else ""
            plan.groups.append(gone)
    return plan
