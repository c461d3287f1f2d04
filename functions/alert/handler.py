"""``alert``: evaluate the campaigns' alert rules; notify, and pause publishing if asked.

Invoked every 5 minutes by an EventBridge schedule (compiled only when some campaign
declares alerts). One invocation is one evaluation cycle at the event's ``time`` (or now):
see service.py for what a cycle reads, decides and writes. Dependencies are built from the
environment on the first call, or injected with :func:`use` (``socialops simulate``, the
tests). Must start fast: only the logger at module level, and no numpy, scikit-learn or
statsmodels at all (ARCHITECTURE.md 7).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger

from functions.common import runtime

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from functions.alert.store import Deps

FUNCTION = "alert"
ENV = ("ALERTS_TOPIC_ARN", "ALERT_INCIDENTS_TABLE", "MENTION_BUCKETS_TABLE",
       "PAUSE_FLAGS_TABLE", "RAW_MENTIONS_BUCKET", "GENERATE_FUNCTION_NAME")  # fmt: skip

logger = Logger()
_deps: Deps | None = None


def use(deps: Deps | None) -> None:
    """Run with these dependencies (simulate, tests); None: build them from the env."""
    global _deps
    _deps = deps


_sns_clients: dict[str, Any] = {}


def _sns_in(region: str) -> Any:
    """An SNS client of ``region``: a campaign may notify a topic of another region."""
    if region not in _sns_clients:
        import boto3

        _sns_clients[region] = boto3.client("sns", region_name=region)
    return _sns_clients[region]


def invoker(client: Any, function: str) -> Any:
    """``ask_draft``: invoke ``function`` asynchronously (Lambda queues the event and
    retries a failed run; it answers at once, so the alert never waits for a draft)."""

    def ask(event: dict[str, Any]) -> None:
        client.invoke(FunctionName=function, InvocationType="Event",
                      Payload=json.dumps(event).encode())  # fmt: skip

    return ask


def deps_from_env() -> Deps:
    """The real dependencies: boto3 clients from the Lambda environment."""
    names = {name: runtime.env(FUNCTION, name) for name in ENV}
    import boto3

    from functions.alert.store import Deps

    return Deps(
        dynamodb=boto3.client("dynamodb"),
        buckets_table=names["MENTION_BUCKETS_TABLE"],
        incidents_table=names["ALERT_INCIDENTS_TABLE"],
        pauses=boto3.resource("dynamodb").Table(names["PAUSE_FLAGS_TABLE"]),
        s3=boto3.client("s3"),
        raw_bucket=names["RAW_MENTIONS_BUCKET"],
        sns=boto3.client("sns"),
        sns_in=_sns_in,
        alerts_topic=names["ALERTS_TOPIC_ARN"],
        secrets=boto3.client("secretsmanager"),
        log=runtime.log_to(logger),
        ask_draft=invoker(boto3.client("lambda"), names["GENERATE_FUNCTION_NAME"]),
    )


def event_time(event: Any) -> datetime | None:
    """The scheduled event's ``time`` (ISO 8601, UTC), or None when it has none."""
    text = event.get("time") if isinstance(event, dict) else None
    if not isinstance(text, str) or not text:
        return None
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        logger.warning("event time is not ISO 8601: using the clock", extra={"time": text})
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    global _deps
    from functions.alert import service

    loaded, problems = service.load_configs()
    rules = sorted(f"{n}/{a.name}" for n, c in loaded.items() for a in c.campaign.alerts)
    if not rules and not problems:
        logger.info("no alert rules in the compiled campaigns")
        return {"rules": 0}
    if _deps is None:
        _deps = deps_from_env()
    at = event_time(event) or _deps.now()
    _deps.remaining_s = lambda: context.get_remaining_time_in_millis() / 1000.0
    summary = service.evaluate(at, _deps, loaded, problems)
    level = "warning" if summary["failed"] else "info"
    getattr(logger, level)("alert cycle", extra={"summary": summary})
    return summary
