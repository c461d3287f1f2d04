"""``optimize``: retrain each brand's forecast models from its read-back history.

Invoked on a daily schedule (compiled whenever some campaign publishes). training.py says
what one run reads, learns and stores. The only function that may import scikit-learn
(its layer, ``make layers``), and only inside the training code, never at module level.
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

    from functions.optimize.training import Deps

FUNCTION = "optimize"
ENV = ("RAW_MENTIONS_BUCKET",)
logger = Logger()
_deps: Deps | None = None


def use(deps: Deps | None) -> None:
    """Run with these dependencies (simulate, tests); None: build them from the env."""
    global _deps
    _deps = deps


def deps_from_env() -> Deps:
    import boto3

    from functions.optimize.training import Deps

    return Deps(s3=boto3.client("s3"), bucket=runtime.env(FUNCTION, "RAW_MENTIONS_BUCKET"),
                now=lambda: datetime.now(UTC), log=runtime.log_to(logger))  # fmt: skip


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    global _deps
    from functions.common import config
    from functions.optimize import training

    loaded, problems = config.load_each()
    if _deps is None:
        _deps = deps_from_env()
    _deps.remaining_s = lambda: context.get_remaining_time_in_millis() / 1000.0
    summary = training.run(_deps, loaded)
    summary["configs_not_loaded"] = problems
    level = "warning" if summary["failed"] or problems or summary["malformed"] else "info"
    getattr(logger, level)("optimize run", extra={"summary": summary})
    return summary
