"""``socialops pause BRAND`` / ``socialops resume BRAND``: the brand-level publishing pause.

The table is the stack's ``PauseFlagsTableName`` output (stack ``socialops-<stage>``), or
``--table``. A paused brand's scheduled posts are held by ``publish`` until it resumes.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from datetime import UTC, datetime

from schema.types import NAME_PATTERN

# The parser imports this module: AWS libraries are imported only when a command runs.


def add_arguments(parser: argparse.ArgumentParser, pausing: bool) -> None:
    parser.add_argument("brand", help="the brand's name")
    parser.add_argument("--stage", default="dev", help="deployment stage (dev)")
    parser.add_argument("--endpoint-url", help="AWS endpoint, e.g. a local moto server")
    parser.add_argument("--table", help="pause-flags table (default: the stack's output)")
    if pausing:
        parser.add_argument("--reason", default="paused by hand", help="why, for the record")
        parser.add_argument("--by", default=os.environ.get("USER", "unknown"), help="who")


def _table(args: argparse.Namespace) -> object:
    import boto3

    from infra.aws_config import USAGE, endpoint_problem
    from infra.deploy.command import DeployError, client, region, stack_outputs

    problem = endpoint_problem(args.endpoint_url)  # botocore would raise a bare ValueError
    if problem:
        raise DeployError(problem, USAGE)
    name = args.table or stack_outputs(
        client("cloudformation", args), f"socialops-{args.stage}"
    ).get("PauseFlagsTableName")
    if not name:
        raise DeployError(
            f"no stack socialops-{args.stage} with the output PauseFlagsTableName "
            "and no --table given"
        )
    dynamodb = boto3.resource(
        "dynamodb", region_name=region(args.endpoint_url), endpoint_url=args.endpoint_url
    )
    return dynamodb.Table(name)


def run(args: argparse.Namespace, pausing: bool) -> int:
    if not re.match(NAME_PATTERN, args.brand):
        print(f"socialops: {args.command}: {args.brand!r} is not a brand name", file=sys.stderr)
        return 2
    from botocore.exceptions import BotoCoreError, ClientError

    from functions.common.pause import pause, resume
    from infra.aws_config import report
    from infra.deploy.command import DeployError

    try:
        table = _table(args)
        if pausing:
            flag = pause(table, args.brand, args.reason, f"person:{args.by}", datetime.now(UTC))
            print(f"paused publishing for {flag.brand} (stage {args.stage}) since {flag.since}, "
                  f"by {flag.by}: {flag.reason}")  # fmt: skip
            return 0
        lifted = resume(table, args.brand)
    except DeployError as exc:
        print(f"socialops: {args.command}: {exc}", file=sys.stderr)
        return exc.exit_code
    except (ClientError, BotoCoreError) as exc:  # no region, no credentials, unreachable...
        return report(args.command, args.endpoint_url, exc)
    if lifted is None:
        print(f"{args.brand} was not paused (stage {args.stage}): nothing to resume")
    else:
        print(f"resumed publishing for {lifted.brand} (stage {args.stage}), paused since "
              f"{lifted.since} by {lifted.by}: {lifted.reason}")  # fmt: skip
    return 0
