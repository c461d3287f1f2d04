"""``optimize``: retrain the best-time and best-variant models (ARCHITECTURE.md 7).

Invoked on a daily schedule, compiled only when some post has ``at: auto`` or a
``generate`` brief. The only function that may import scikit-learn or statsmodels, and
only inside the training code, never at module level.
"""

from __future__ import annotations

from typing import Any, NoReturn

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.common import config
from functions.common.errors import NotBuiltYet

FUNCTION = "optimize"
logger = Logger()


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> NoReturn:
    campaigns = sorted(config.load_all())
    logger.info("optimization requested", extra={"campaigns": campaigns})
    raise NotBuiltYet(
        FUNCTION,
        "training the best-time and best-variant models",
        f"{len(campaigns)} compiled campaigns",
    )
