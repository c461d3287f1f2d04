"""``ingest``: fetch a brand's mentions and queue them for ``score`` (DESIGN.md 8).

Invoked on a schedule, one per brand with ``listening``; the event input is
``{"brand": name}``.
"""

from __future__ import annotations

from typing import Any, NoReturn

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.common import config
from functions.common.errors import EventError, NotBuiltYet, require

FUNCTION = "ingest"
logger = Logger()


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> NoReturn:
    brand = require(FUNCTION, event, ("brand",))["brand"]
    document = config.for_brand(brand)[0].brand
    listening = document.listening
    if listening is None:
        raise EventError(f"{FUNCTION}: brand {brand!r} has no listening configured")
    platforms = listening.platforms or sorted(document.accounts)
    logger.info("ingest requested", extra={"brand": brand, "platforms": platforms})
    raise NotBuiltYet(
        FUNCTION,
        "fetching mentions from the platforms",
        f"brand {brand!r}: {len(listening.terms)} terms on {', '.join(platforms)}",
    )
