"""``optimize``: retrain each brand's forecast models from its read-back history, then place
and move the ``at: auto`` posts.

Invoked on a daily schedule (compiled whenever some campaign publishes). training.py says
what one run reads, learns and stores; placement.py where the auto posts go. The only
function that may import scikit-learn (its layer, ``make layers``), and only inside the
training code, never at module level.
Dependencies are built from the environment on the first call, or injected with
:func:`use` (``socialops simulate``, the tests).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger

from functions.common import runtime

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from functions.optimize import placement
    from functions.optimize.training import Deps

FUNCTION = "optimize"
ENV = ("RAW_MENTIONS_BUCKET",)
# where placements go: without these (a stack of an older version) nothing is placed and
# every auto post goes out at its compiled fallback time
PLACING_ENV = ("PUBLISH_RECORDS_TABLE", "PUBLISH_SCHEDULER_ROLE_ARN", "PUBLISH_FUNCTION_ARN",
               "SOCIALOPS_STAGE")  # fmt: skip
logger = Logger()
_deps: Deps | None = None
_placing: placement.Deps | None = None


def use(deps: Deps | None, placing: placement.Deps | None = None) -> None:
    """Run with these dependencies (simulate, tests); None: build them from the env."""
    global _deps, _placing
    _deps, _placing = deps, placing


def deps_from_env() -> Deps:
    import boto3

    from functions.optimize.training import Deps

    return Deps(s3=boto3.client("s3"), bucket=runtime.env(FUNCTION, "RAW_MENTIONS_BUCKET"),
                now=lambda: datetime.now(UTC), log=runtime.log_to(logger))  # fmt: skip


def placing_from_env() -> placement.Deps | None:
    import os

    import boto3

    from functions.optimize.placement import Deps as Placing

    if not all(os.environ.get(name) for name in PLACING_ENV):
        return None
    table = boto3.resource("dynamodb").Table(os.environ["PUBLISH_RECORDS_TABLE"])
    return Placing(table, boto3.client("scheduler"), os.environ["SOCIALOPS_STAGE"],
                   os.environ["PUBLISH_SCHEDULER_ROLE_ARN"], os.environ["PUBLISH_FUNCTION_ARN"],
                   os.environ.get("PUBLISH_DLQ_ARN", ""))  # fmt: skip


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    global _deps, _placing
    from functions.common import config
    from functions.optimize import placement, training

    loaded, problems = config.load_each()
    if _deps is None:
        _deps = deps_from_env()
        _placing = placing_from_env()
    _deps.remaining_s = lambda: context.get_remaining_time_in_millis() / 1000.0
    summary = training.run(_deps, loaded)
    summary["configs_not_loaded"] = problems
    if _placing is not None:
        summary["placement"] = placement.run(_placing, _deps, loaded)
    failing = summary["failed"] or problems or summary["malformed"]
    level = "warning" if failing or summary.get("placement", {}).get("problems") else "info"
    getattr(logger, level)("optimize run", extra={"summary": summary})
    return summary
