"""``publish``: post one scheduled occurrence to one channel, exactly once (ARCHITECTURE.md 2, 6).

Invoked by an EventBridge Scheduler schedule (reconciled by ``socialops deploy``) whose
input is a ``payload`` of ``build/schedules/<campaign>.json``: campaign, post, channel,
locale and scheduled_for. Also invoked on a schedule with ``{"action": "refresh_tokens"}``
to renew the platform tokens ahead of expiry (see tokens.py).

Exactly once: Powertools idempotency on ``IDEMPOTENCY_TABLE`` (keyed by campaign, post,
channel, locale and scheduled time) turns duplicate and concurrent deliveries into one
execution; the publish record (records.py) and the platforms' own idempotency cover an
invocation that dies half-way (service.py). Only the logger is imported at module level:
boto3, the models and the adapters load on the first invocation, so that the module
imports fast (benchmarks/bench_cold_start.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger

from functions.common import runtime

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from functions.publish.service import Deps

FUNCTION = "publish"
# ``retry``: a late retry (later.py) is the same firing, but not a duplicate delivery;
# ``placed_at``: an auto post's placed firing is not its fallback's duplicate, nor another
# placement's (functions/common/placement.py)
IDEMPOTENCY_KEY = "[campaign, post, channel, locale, scheduled_for, placed_at, redrive, retry]"
IDEMPOTENCY_TTL_S = 7 * 24 * 3600
ENDPOINTS_ENV = runtime.ENDPOINTS_ENV  # JSON {platform: base URL}; local peers
ROLE_ENV = "PUBLISH_SCHEDULER_ROLE_ARN"  # the role late retries' schedules assume
DLQ_ARN_ENV = "PUBLISH_DLQ_ARN"
STAGE_ENV = "SOCIALOPS_STAGE"
GENERATE_ENV = "GENERATE_FUNCTION_NAME"  # review: none texts come from generate

logger = Logger()
_deps: Deps | None = None
_runner: Any = None
_metrics: Any = None  # Powertools Metrics, flushed after each invocation


def use(deps: Deps | None) -> None:
    """Run with these dependencies (simulate, tests); None: build them from the env."""
    global _deps, _runner
    _deps, _runner = deps, None


def _metrics_sink() -> Any:
    from aws_lambda_powertools import Metrics
    from aws_lambda_powertools.metrics import MetricUnit

    metrics = Metrics(namespace="socialops", service=FUNCTION)

    def metric(name: str, platform: str) -> None:
        metrics.add_metric(name=f"{name}.{platform}", unit=MetricUnit.Count, value=1)
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)

    return metrics, metric


def deps_from_env() -> Deps:
    """The real dependencies: boto3 clients from the Lambda environment."""
    global _metrics
    import boto3

    from functions.common.media import loader_from_env
    from functions.common.platform.tokens import Tokens
    from functions.publish.adapters import adapter_for
    from functions.publish.records import Records
    from functions.publish.service import Deps

    dynamodb = boto3.resource("dynamodb")
    peers = runtime.endpoints()
    media = loader_from_env()  # one S3 client for the media of every post of this container
    _metrics, metric = _metrics_sink()
    return Deps(
        retries=_retries(boto3),
        records=Records(dynamodb.Table(runtime.env(FUNCTION, "PUBLISH_RECORDS_TABLE"))),
        pauses=dynamodb.Table(runtime.env(FUNCTION, "PAUSE_FLAGS_TABLE")),
        tokens=Tokens(boto3.client("secretsmanager"), endpoints=peers),
        adapter=lambda platform, brand: adapter_for(platform, peers.get(platform), media=media),
        sqs=boto3.client("sqs"),
        dead_letter_url=runtime.env(FUNCTION, "PUBLISH_DLQ_URL"),
        sns=boto3.client("sns"),
        failures_topic=runtime.env(FUNCTION, "PUBLISH_FAILURES_TOPIC_ARN"),
        metric=metric,
        log=runtime.log_to(logger),
        write_text=_text_writer(boto3),
    )


def _text_writer(boto3: Any) -> Any:
    """``review: none``: ``generate`` invoked synchronously for the occurrence's text
    (functions/generate/runtime.py), where the stack names the function (else None)."""
    import json
    import os

    name = os.environ.get(GENERATE_ENV, "")
    if not name:
        return None
    clients: list[Any] = []  # made at the first review: none post, not at every cold start

    def write(key: Any) -> dict[str, Any]:
        if not clients:
            clients.append(boto3.client("lambda"))
        client = clients[0]
        event = {"campaign": key.campaign, "post": key.post, "channel": key.channel,
                 "locale": key.locale, "scheduled_for": key.scheduled_for}  # fmt: skip
        answer = client.invoke(FunctionName=name, InvocationType="RequestResponse",
                               Payload=json.dumps(event).encode())  # fmt: skip
        body = json.loads(answer["Payload"].read() or b"{}")
        if answer.get("FunctionError"):
            return {"text": None, "error": f"generate failed: {body.get('errorMessage', body)}"}
        return dict(body)

    return write


def _retries(boto3: Any) -> Any:
    """Late retries through Scheduler, where the stack says where they go (else None)."""
    import os

    from functions.publish.later import Retries

    role, stage = os.environ.get(ROLE_ENV, ""), os.environ.get(STAGE_ENV, "")
    if not role or not stage:
        return None
    return Retries(boto3.client("scheduler"), stage, role, os.environ.get(DLQ_ARN_ENV, ""))


def _idempotent_runner(deps: Deps) -> Any:
    """``service.publish`` wrapped in Powertools idempotency on the IdempotencyTable."""
    import boto3
    from aws_lambda_powertools.utilities.idempotency import (
        DynamoDBPersistenceLayer,
        IdempotencyConfig,
        idempotent_function,
    )

    from functions.publish import service

    # a plain client: a Table resource's client would serialise the items a second time
    client = boto3.client("dynamodb")
    store = DynamoDBPersistenceLayer(
        table_name=runtime.env(FUNCTION, "IDEMPOTENCY_TABLE"), boto3_client=client
    )

    def replayed(response: Any, idempotent_data: Any) -> Any:
        """A duplicate delivery gets the first delivery's outcome, marked as a replay."""
        return {**response, "replayed": True} if isinstance(response, dict) else response

    config = IdempotencyConfig(
        event_key_jmespath=IDEMPOTENCY_KEY,
        raise_on_no_idempotency_key=True,
        expires_after_seconds=IDEMPOTENCY_TTL_S,
        response_hook=replayed,
    )

    @idempotent_function(data_keyword_argument="event", persistence_store=store, config=config)
    def run(event: dict[str, Any]) -> dict[str, Any]:
        return service.publish(event, deps)

    return config, run


def handler(event: Any, context: LambdaContext) -> dict[str, Any]:
    global _deps, _runner
    from functions.publish import service

    logger.set_correlation_id(getattr(context, "aws_request_id", None))
    refresh = isinstance(event, dict) and event.get("action") == "refresh_tokens"
    key = None if refresh else service.key_of(event)  # EventError: nothing to retry
    if _deps is None:
        _deps = deps_from_env()
    deps = _deps
    deps.remaining_s = lambda: context.get_remaining_time_in_millis() / 1000.0
    if deps.retries is not None:  # a retry invokes this very function
        deps.retries.function_arn = getattr(context, "invoked_function_arn", "")
    if key is None:
        return refresh_tokens(deps)
    if _runner is None:
        _runner = _idempotent_runner(deps)
    config, run = _runner
    config.register_lambda_context(context)
    payload = {**event, "locale": key.locale, "redrive": event.get("redrive") or "",
               "retry": event.get("retry") or "", "placed_at": event.get("placed_at") or ""}  # fmt: skip
    try:
        outcome: dict[str, Any] = run(event=payload)
    finally:
        if _metrics is not None and _metrics.metric_set:
            _metrics.flush_metrics()
    logger.info("outcome", extra=outcome)
    return outcome


def refresh_tokens(deps: Deps) -> dict[str, Any]:
    """The scheduled run: renew tokens due within a day; warn (SNS) about the rest."""
    from functions.common import config
    from functions.common.platform.tokens import refresh_due

    report = refresh_due(deps.tokens, config.load_all().values())
    for line in report.refreshed:
        logger.info("token refreshed", extra={"token": line})
    problems = report.warnings + report.errors
    for line in problems:
        logger.warning("token needs a person", extra={"token": line})
    if problems and deps.sns is not None and deps.failures_topic:
        deps.sns.publish(
            TopicArn=deps.failures_topic,
            Subject="socialops: platform tokens need attention",
            Message="\n".join(
                ["Reconnect these accounts before their tokens expire:", "", *problems]
            ),
        )
    return {"refreshed": report.refreshed, "warnings": report.warnings, "errors": report.errors}
