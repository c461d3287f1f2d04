"""``alert``: evaluate the campaigns' alert rules; notify, and pause publishing if asked.

Invoked on a schedule, compiled only when some campaign declares alerts. Must start fast:
no scikit-learn or statsmodels here (DESIGN.md 7).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.common import config
from functions.common.errors import NotBuiltYet

FUNCTION = "alert"
logger = Logger()


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    rules = sorted(
        f"{name}/{alert.name}"
        for name, campaign in config.load_all().items()
        for alert in campaign.campaign.alerts
    )
    if not rules:
        logger.info("no alert rules in the compiled campaigns")
        return {"rules": 0}
    logger.info("alert evaluation requested", extra={"rules": rules})
    raise NotBuiltYet(FUNCTION, "evaluating alert rules", f"{len(rules)}: {', '.join(rules)}")
