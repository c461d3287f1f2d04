"""``generate``: write caption variants in the brand's voice for review (ARCHITECTURE.md 9).

Invoked on demand (by the CLI or CI) with ``{"campaign": name, "post": id}``; the post must
have a ``generate`` brief. The ``openai`` SDK is imported only inside the generator.

Invoked by ``alert`` (asynchronously, once an incident is committed) with ``{"incident":
{...}}``: the draft that follows the alert, what people are saying and a holding statement
for a person, written onto the incident record once (drafting.py); never published.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.common import config
from functions.common.errors import EventError, NotBuiltYet, require

FUNCTION = "generate"
logger = Logger()


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if isinstance(event, dict) and "incident" in event:  # alert's hand-off
        from functions.generate import drafting

        return drafting.handle(event, context, logger)
    fields = require(FUNCTION, event, ("campaign", "post"))
    campaign = config.load(fields["campaign"]).campaign
    post = next((p for p in campaign.posts if p.id == fields["post"]), None)
    if post is None or post.generate is None:
        raise EventError(
            f"{FUNCTION}: campaign {campaign.name!r} has no post {fields['post']!r} "
            "with a generate brief"
        )
    rule = campaign.generation.get(post.generate.rule)
    variants = rule.variants if rule else 1
    logger.info("generation requested", extra={**fields, "rule": post.generate.rule})
    raise NotBuiltYet(
        FUNCTION, "caption generation", f"{variants} variants by rule {post.generate.rule!r}"
    )
