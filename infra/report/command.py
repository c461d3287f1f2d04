"""``socialops report [PATH ...] [--stage S] [--endpoint-url URL] [--bucket NAME]
[--out report.html] [--now ISO]``: the campaigns at PATH and what the stack's data lake,
alert incidents and pause flags hold, as one HTML file (infra/report/__init__.py).

The files are loaded and validated as every command loads them (infra/project.py): a file
with an error is reported as ``validate`` reports it, exit 1, and no report is written.
The lake is the stack's ``RawMentionsBucketName`` output (stack ``socialops-<stage>``), or
``--bucket``; the incidents and the pauses are the stack's ``AlertIncidentsTableName`` and
``PauseFlagsTableName`` outputs, where the stack has them: without them the report says
they were not read. AWS not set up: one line and exit 2, unreachable or refusing: exit 1
(infra/aws_config.py), as ``pause`` and ``history import``.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

# The parser imports this module: AWS libraries, DuckDB and matplotlib are imported only
# when the command runs.
BUCKET_OUTPUT = "RawMentionsBucketName"
INCIDENTS_OUTPUT = "AlertIncidentsTableName"
PAUSES_OUTPUT = "PauseFlagsTableName"
RECORDS_OUTPUT = "PublishRecordsTableName"
COMMAND = "report"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options after the common ones (PATH, --now, --cache-dir, --no-cache)."""
    parser.add_argument("--stage", default="dev", help="deployment stage (dev): the stack "
                        "socialops-<stage> whose outputs name the lake and the tables")  # fmt: skip
    parser.add_argument("--endpoint-url", help="AWS endpoint, e.g. a local moto server")
    parser.add_argument("--bucket", help=f"the lake's bucket (default: the stack's {BUCKET_OUTPUT} output)")  # fmt: skip
    parser.add_argument("--out", default="report.html", help="the HTML file to write (report.html)")  # fmt: skip


class Refused(Exception):
    """Something to tell the person (``socialops: report: message``), and the exit code."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def runtime_configs(project: Any) -> dict[str, Any]:
    """Every campaign of a valid project as ``compile`` writes it into build/config/
    (finished campaigns too: their report is still worth reading)."""
    from infra.compiler import config_doc

    return {name: config_doc(project, name) for name in sorted(project.campaigns)}


def _outputs(args: argparse.Namespace, notes: list[str]) -> dict[str, str]:
    """The stack's outputs; with ``--bucket``, none when the stack cannot be read (said)."""
    from botocore.exceptions import ClientError

    from infra.aws_config import explain
    from infra.deploy.command import client, stack_outputs

    try:
        return stack_outputs(client("cloudformation", args), f"socialops-{args.stage}")
    except ClientError as exc:
        if not args.bucket or explain(exc, args.endpoint_url) is not None:
            raise
        code = exc.response.get("Error", {}).get("Code", "an error")
        notes.append(f"The stack socialops-{args.stage} could not be read ({code}): the "
                     "alert incidents and the publishing pauses were not read.")  # fmt: skip
        return {}


def _table_items(args: argparse.Namespace, outputs: dict[str, str], output: str, what: str,
                 notes: list[str], read: Any) -> list[Any] | None:  # fmt: skip
    """The items of the stack's table ``output`` read with ``read``, or None (said why)."""
    import boto3
    from botocore.exceptions import ClientError

    from infra.aws_config import explain
    from infra.deploy.command import region

    name = outputs.get(output)
    if not name:
        notes.append(f"The {what} were not read: the stack socialops-{args.stage} has no "
                     f"{output} output.")  # fmt: skip
        return None
    table = boto3.resource("dynamodb", region_name=region(args.endpoint_url),
                           endpoint_url=args.endpoint_url).Table(name)  # fmt: skip
    try:
        found: list[Any] = read(table)
    except ClientError as exc:
        if explain(exc, args.endpoint_url) is not None:
            raise
        code = exc.response.get("Error", {}).get("Code", "an error")
        notes.append(f"The {what} were not read: the table {name} answered {code}.")
        return None
    return found


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'s' * (count != 1)}"


def run(args: argparse.Namespace, project: Any) -> int:
    """Write the report of a valid ``project`` (its ``now`` is the report's)."""
    from infra.train import training_stack_missing

    missing = training_stack_missing()  # the forecast bands need scikit-learn and scipy
    if missing:
        print(f"socialops: {COMMAND}: {missing.replace('training needs', 'the forecasts need')}",
              file=sys.stderr)  # fmt: skip
        return 2
    from botocore.exceptions import BotoCoreError, ClientError

    from infra.aws_config import USAGE, endpoint_problem, report
    from infra.deploy.command import DeployError, client
    from infra.lake import Lake
    from infra.report import painting, write_report
    from infra.report.data import read_incidents, read_pauses, read_placements

    painting.warm()  # the plots' workers import matplotlib while the lake is fetched
    configs = runtime_configs(project)
    brands = sorted({c.brand.name for c in configs.values()})
    notes: list[str] = []
    try:
        problem = endpoint_problem(args.endpoint_url)  # botocore would raise a bare ValueError
        if problem:
            raise Refused(problem, USAGE)
        outputs = _outputs(args, notes)
        bucket = args.bucket or outputs.get(BUCKET_OUTPUT)
        if not bucket:
            raise Refused(f"no stack socialops-{args.stage} with the output {BUCKET_OUTPUT} "
                          f"(deploy it with `npx osls deploy --stage {args.stage}`), and no "
                          "--bucket given", 1)  # fmt: skip
        incidents = _table_items(args, outputs, INCIDENTS_OUTPUT, "alert incidents", notes,
                                 read_incidents)  # fmt: skip
        pauses = _table_items(args, outputs, PAUSES_OUTPUT, "publishing pauses", notes,
                              read_pauses)  # fmt: skip
        placements: list[Any] | None = []  # read only where some campaign has an auto post
        if any(c.auto for c in configs.values()):
            placements = _table_items(args, outputs, RECORDS_OUTPUT, "at: auto placements",
                                      notes, read_placements)  # fmt: skip
        with Lake.from_s3(client("s3", args), bucket, brands=brands) as lake:
            source = f"s3://{bucket}, {_plural(lake.fetched, 'object')} fetched"
            out = write_report(lake, configs, args.out, project.now, incidents, pauses,
                               source=source, notes=notes, placements=placements)  # fmt: skip
    except (Refused, DeployError) as exc:
        print(f"socialops: {COMMAND}: {exc}", file=sys.stderr)
        return exc.exit_code
    except (ClientError, BotoCoreError) as exc:  # no region, no credentials, no bucket...
        return report(COMMAND, args.endpoint_url, exc)
    except OSError as exc:
        print(f"socialops: {COMMAND}: cannot write {args.out}: {exc.strerror or exc}",
              file=sys.stderr)  # fmt: skip
        return 1
    print(f"wrote {out}: {_plural(len(configs), 'campaign')} ({', '.join(configs) or 'none'}) "
          f"from s3://{bucket} as of {project.now:%Y-%m-%dT%H:%MZ}")  # fmt: skip
    for note in notes:
        print(f"note: {note}")
    return 0
