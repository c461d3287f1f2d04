"""``generate``: text in the brand's voice (ARCHITECTURE.md 9). The reviewed captions are
written by ``socialops generate`` on a person's or CI's machine, not here; this function
writes what is written in AWS:

- invoked by ``publish`` (synchronously) with an occurrence, ``{"campaign", "post",
  "channel", "locale", "scheduled_for"}``, of a post whose rule says ``review: none``: its
  text, written once, guardrails only, logged with its prompt, provider and model
  (runtime.py);
- invoked by ``alert`` (asynchronously, once an incident is committed) with ``{"incident":
  {...}}``: the draft that follows the alert, what people are saying and a holding
  statement for a person, written onto the incident record once (drafting.py); never
  published.

The ``openai`` SDK is imported only inside the provider.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

FUNCTION = "generate"
logger = Logger()


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if isinstance(event, dict) and "incident" in event:  # alert's hand-off
        from functions.generate import drafting

        return drafting.handle(event, context, logger)
    from functions.generate import runtime  # publish's run-time text (review: none)

    return runtime.handle(event, context, logger)
