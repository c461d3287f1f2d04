"""Apply a plan: per group, deletes first (a removed post must not go out), then updates,
then creates, then the group's bucket digests, written last so that a deploy that dies
half-way leaves them stale and the next deploy re-reads that group and finishes the job.

A post whose time changed gets a new name (a delete and a create), so no one-time
schedule is ever moved in place; ``publish`` is idempotent on (campaign, post, channel,
scheduled time) in any case.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from infra.deploy.desired import Json
from infra.deploy.plan import GroupPlan, Plan, base_tags


@dataclass
class Applied:
    created: int = 0
    updated: int = 0
    deleted: int = 0
    groups_created: int = 0
    groups_deleted: int = 0
    functions_groups_created: int = 0
    functions_groups_deleted: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.created + self.updated + self.deleted


class ApplyError(RuntimeError):
    def __init__(self, applied: Applied, cause: Exception) -> None:
        super().__init__(str(cause))
        self.applied = applied
        self.cause = cause


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _tag_list(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in sorted(tags.items())]


def _create(client: Any, group: str, name: str, spec: Json) -> bool:
    """Create; if it exists already (a concurrent deploy), update it to the definition."""
    try:
        client.create_schedule(Name=name, GroupName=group, **spec)
        return True
    except ClientError as exc:
        if _code(exc) != "ConflictException":
            raise
    client.update_schedule(Name=name, GroupName=group, **spec)
    return False


def _delete(client: Any, group: str, name: str) -> None:
    try:
        client.delete_schedule(Name=name, GroupName=group)
    except ClientError as exc:  # fired and removed by Scheduler meanwhile: already done
        if _code(exc) != "ResourceNotFoundException":
            raise


OWNER = "socialops:owner"  # "functions" on a campaign's functions' group


def _functions_group(client: Any, stage: str, group: GroupPlan, done: Applied) -> None:
    """Create or delete the campaign's functions' group; its schedules are never diffed."""
    if group.functions == "create":
        tags = {**base_tags(stage, group.campaign), OWNER: "functions"}
        try:
            client.create_schedule_group(Name=group.functions_group, Tags=_tag_list(tags))
        except ClientError as exc:
            if _code(exc) != "ConflictException":  # made by a deploy that died half-way
                raise
        done.functions_groups_created += 1
    elif group.functions == "delete":
        _delete_group(client, group.functions_group)
        done.functions_groups_deleted += 1


def _delete_group(client: Any, name: str) -> None:
    try:
        client.delete_schedule_group(Name=name)
    except ClientError as exc:
        if _code(exc) != "ResourceNotFoundException":
            raise


def _apply_group(client: Any, stage: str, group: GroupPlan, done: Applied) -> None:
    _functions_group(client, stage, group, done)
    if group.action == "delete":
        client.delete_schedule_group(Name=group.group)
        done.groups_deleted += 1
        return
    arn = group.arn
    if group.action == "create":
        tags = _tag_list(base_tags(stage, group.campaign))
        arn = client.create_schedule_group(Name=group.group, Tags=tags)["ScheduleGroupArn"]
        done.groups_created += 1
    for name in group.delete:
        _delete(client, group.group, name)
        done.deleted += 1
    for change in group.update:
        client.update_schedule(Name=change.name, GroupName=group.group, **change.definition)
        done.updated += 1
    for name, spec in sorted(group.create.items()):
        if _create(client, group.group, name, spec):
            done.created += 1
        else:
            done.updated += 1
    if group.tags:
        client.tag_resource(ResourceArn=arn, Tags=_tag_list(group.tags))


def apply(client: Any, plan: Plan) -> Applied:
    """Make the changes; on the first AWS error stop and raise ``ApplyError`` with what
    was done (running deploy again finishes the job)."""
    done = Applied()
    for group in plan.groups:
        try:
            _apply_group(client, plan.stage, group, done)
        except Exception as exc:
            raise ApplyError(done, exc) from exc
    return done
