"""``socialops plan`` and ``socialops deploy``: options, AWS clients, readable output.

The targets of the schedules (the ``publish`` function, the role Scheduler assumes, the
dead-letter queue) come from the outputs of the stack ``socialops-<stage>``, or from
``--publish-arn``/``--role-arn``/``--dlq-arn`` when there is no stack. The region comes
from ``AWS_REGION``/``AWS_DEFAULT_REGION`` (``us-east-1`` when only ``--endpoint-url``
names an endpoint).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from functions.common.schedules import STAGE_MAX, STAGE_PATTERN
from infra.aws_config import FAILED, USAGE, endpoint_problem, report
from infra.deploy.apply import Applied, ApplyError, apply
from infra.deploy.desired import BuildError, Targets, load
from infra.deploy.plan import Plan, make_plan

STACK_OUTPUTS = {
    "publish_arn": "PublishFunctionArn",
    "role_arn": "SchedulerRoleArn",
    "dlq_arn": "PublishDeadLetterQueueArn",
    "bucket": "RawMentionsBucketName",
}


class DeployError(RuntimeError):
    """A problem the user can fix (no stack, no credentials, AWS refused): one line."""

    def __init__(self, message: str, exit_code: int = FAILED) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def region(endpoint_url: str | None) -> str | None:
    found = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    return found or ("us-east-1" if endpoint_url else None)


def client(service: str, args: argparse.Namespace) -> Any:
    import boto3

    problem = endpoint_problem(args.endpoint_url)  # botocore would raise a bare ValueError
    if problem:
        raise DeployError(problem, USAGE)
    return boto3.client(
        service, region_name=region(args.endpoint_url), endpoint_url=args.endpoint_url
    )


def stack_outputs(cfn: Any, stack: str) -> dict[str, str]:
    try:
        stacks = cfn.describe_stacks(StackName=stack)["Stacks"]
    except ClientError as exc:
        if "does not exist" in str(exc):
            return {}
        raise
    return {o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs", [])}


def targets(args: argparse.Namespace) -> Targets:
    given = {k: getattr(args, k) for k in STACK_OUTPUTS}
    if not (given["publish_arn"] and given["role_arn"]):
        outputs = stack_outputs(client("cloudformation", args), f"socialops-{args.stage}")
        for key, output in STACK_OUTPUTS.items():
            given[key] = given[key] or outputs.get(output)
    missing = [f"--{k.replace('_', '-')}" for k in ("publish_arn", "role_arn") if not given[k]]
    if missing:
        raise DeployError(
            f"no stack socialops-{args.stage} with outputs PublishFunctionArn and "
            f"SchedulerRoleArn (deploy it with `npx osls deploy --stage {args.stage}`), "
            f"and no {' and '.join(missing)} given"
        )
    return Targets(given["publish_arn"], given["role_arn"], given["dlq_arn"], given["bucket"])


def _now(text: str | None) -> datetime:
    if not text:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise DeployError(f"--now: expected an ISO date and time, found {text!r}") from exc
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


def refuse_foreign_topics(args: argparse.Namespace) -> None:
    """Before any schedule is read or changed: no alert notifies another account's topic
    that its brand does not allow (infra/deploy/topics.py)."""
    from infra.deploy.topics import foreign_topics

    account = str(client("sts", args).get_caller_identity()["Account"])
    found = foreign_topics(Path(args.build), account)
    if found:
        raise DeployError(
            f"alerts notify SNS topics outside this account ({account}) that their brand "
            "does not list in allowed_accounts: " + "; ".join(found)
        )


def compute(args: argparse.Namespace) -> tuple[Any, Plan, Targets]:
    if not STAGE_PATTERN.match(args.stage):
        raise DeployError(
            f"--stage: expected lower-case letters, digits and dashes, at most {STAGE_MAX} "
            f"characters (schedule group names hold 64), found {args.stage!r}"
        )
    now = _now(args.now)
    found = targets(args)
    desired = load(Path(args.build), args.stage, found, now)
    scheduler = client("scheduler", args)  # a missing region is told first, by name
    refuse_foreign_topics(args)
    return scheduler, make_plan(scheduler, args.stage, desired, now, refresh=args.refresh), found


def plan_json(plan: Plan) -> dict[str, Any]:
    return {
        "stage": plan.stage,
        "counts": plan.counts(),
        "conflicts": plan.conflicts,
        "past_skipped": plan.past_skipped,
        "past_kept": plan.past_kept,
        "groups": [
            {
                "campaign": g.campaign,
                "group": g.group,
                "action": g.action,
                "create": sorted(g.create),
                "update": [{"name": u.name, "fields": u.fields} for u in g.update],
                "delete": g.delete if g.action != "delete" else [],
                "schedules_in_deleted_group": g.existing,
                "functions_group": {"name": g.functions_group, "action": g.functions or "keep"},
            }
            for g in plan.groups
        ],
    }


def summary_line(plan: Plan) -> str:
    c = plan.counts()
    past = f"; {plan.past_skipped} past, not created" if plan.past_skipped else ""
    return (
        f"{c['create']} to create, {c['update']} to update, {c['delete']} to delete; "
        f"groups: {c['groups_create']} to create, {c['groups_delete']} to delete{past}"
        + _functions_groups(c["functions_groups_create"], c["functions_groups_delete"], "to ")
    )


def _functions_groups(created: int, deleted: int, verb: str) -> str:
    """The functions' own groups (retries, placements), when any is made or removed."""
    if not created and not deleted:
        return ""
    made, gone = ("to create", "to delete") if verb else ("created", "deleted")
    return f"; functions' groups: {created} {made}, {deleted} {gone}"


def plan_text(plan: Plan) -> str:
    lines = [f"stage {plan.stage}:"]
    for g in plan.groups:
        if g.functions:
            sign = "+" if g.functions == "create" else "-"
            lines.append(f"{sign} {g.functions_group} (the functions' own schedules of "
                         f"{g.campaign}: late retries, placements)")  # fmt: skip
        if g.action == "delete":
            lines.append(f"- {g.group} (campaign {g.campaign} gone: group and its "
                         f"{g.existing} schedules deleted)")  # fmt: skip
            continue
        if not g.changes:
            continue
        lines.append(f"{'+' if g.action == 'create' else '~'} {g.group} ({g.campaign})")
        lines += [f"    + {n}  {s['ScheduleExpression']}" for n, s in sorted(g.create.items())]
        lines += [f"    ~ {u.name}  ({', '.join(u.fields)})" for u in g.update]
        lines += [f"    - {n}" for n in g.delete]
    lines += [f"! {c}" for c in plan.conflicts]
    if plan.empty and not plan.conflicts:
        lines.append("no changes: the schedules match the build")
    lines.append(f"plan: {summary_line(plan)}")
    return "\n".join(lines)


def run(args: argparse.Namespace, deploy: bool) -> int:
    try:
        scheduler, plan, found = compute(args)
        if not deploy:
            from infra.deploy import auto

            rows = auto.auto_posts(scheduler, args.stage, Path(args.build))
            found_json = {**plan_json(plan), "auto": rows, "exploration": auto.exploration(rows)}
            text = json.dumps(found_json, indent=2, sort_keys=True)
            shown = "\n".join([plan_text(plan), *auto.text(rows)])
            print(text if args.format == "json" else shown)
            return 1 if plan.conflicts else 0
        images = _images(args, found.bucket)  # before the schedules that post them
        done = apply(scheduler, plan)
    except ApplyError as exc:
        print(f"socialops: deploy stopped after {exc.applied.total} changes: "
              f"{exc.cause}; run deploy again to finish", file=sys.stderr)  # fmt: skip
        return 1
    except DeployError as exc:
        print(f"socialops: {args.command}: {exc}", file=sys.stderr)
        return exc.exit_code
    except BuildError as exc:
        print(f"socialops: {args.command}: {exc}", file=sys.stderr)
        return 1
    except (ClientError, BotoCoreError) as exc:  # no region, no credentials, unreachable...
        return report(args.command, args.endpoint_url, exc)
    print(deployed_line(plan, done) + (f"; {images} generated images put in the data bucket"
                                       if images else ""))  # fmt: skip
    for conflict in plan.conflicts:
        print(f"socialops: {conflict}", file=sys.stderr)
    return 1 if plan.conflicts else 0


def _images(args: argparse.Namespace, bucket: str | None) -> int:
    """The build's generated images the data bucket lacks, put there (infra/deploy/media.py)."""
    from infra.deploy.media import FOLDER, upload

    build = Path(args.build)
    if not (build / FOLDER).is_dir() or not any((build / FOLDER).iterdir()):
        return 0
    if not bucket:
        raise DeployError("the build holds generated images, but no data bucket is known: no "
                          "stack output RawMentionsBucketName and no --bucket given")  # fmt: skip
    return upload(client("s3", args), bucket, build)


def deployed_line(plan: Plan, done: Applied) -> str:
    return (
        f"deployed stage {plan.stage}: {done.created} created, {done.updated} updated, "
        f"{done.deleted} deleted; groups: {done.groups_created} created, "
        f"{done.groups_deleted} deleted"
        + _functions_groups(done.functions_groups_created, done.functions_groups_deleted, "")
        + (
            ""
            if done.total
            or done.groups_created
            or done.groups_deleted
            or done.functions_groups_created
            or done.functions_groups_deleted
            else " (no changes)"
        )
    )
