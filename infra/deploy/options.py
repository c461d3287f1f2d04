"""The options of ``plan`` and ``deploy`` (imported by the CLI's parser: keep it light)."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--stage", default="dev", help="deployment stage (dev)")
    parser.add_argument("--endpoint-url", help="AWS endpoint, e.g. a local moto server")
    parser.add_argument("--build", default="build", help="compiled build folder (build)")
    parser.add_argument("--publish-arn", help="publish function ARN (default: stack output)")
    parser.add_argument("--role-arn", help="role Scheduler assumes (default: stack output)")
    parser.add_argument("--dlq-arn", help="dead-letter queue ARN (default: stack output)")
    parser.add_argument("--bucket", help="the data bucket the generated images go to "
                        "(default: stack output)")  # fmt: skip
    parser.add_argument("--now", help="the present, ISO 8601 (default: the clock); for tests")
    parser.add_argument(
        "--refresh", action="store_true", help="read every owned schedule, not only changes"
    )
