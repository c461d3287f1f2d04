"""``score``: score queued mentions (sentiment, emotion) and count them (DESIGN.md 7, 8).

Invoked by the SQS event source mapping of the mentions queue, with partial batch
responses (``ReportBatchItemFailures``).
"""

from __future__ import annotations

from typing import Any, NoReturn

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.common import config
from functions.common.errors import EventError, NotBuiltYet

FUNCTION = "score"
logger = Logger()


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> NoReturn:
    records = event.get("Records") if isinstance(event, dict) else None
    if not isinstance(records, list):
        raise EventError(f"{FUNCTION}: expected an SQS event with Records")
    brands = sorted({c.brand.name for c in config.load_all().values() if c.brand.listening})
    logger.info("score requested", extra={"mentions": len(records), "brands": brands})
    raise NotBuiltYet(
        FUNCTION,
        "sentiment and emotion scoring of mentions",
        f"{len(records)} mentions left on the queue for a retry",
    )
