"""``ingest``: fetch a brand's mentions and queue them for ``score`` (ARCHITECTURE.md 8).

Invoked three ways:

- on a schedule, one per (brand, platform) with ``listening``: the event is
  ``{"brand": name, "platform": p}`` (without ``platform``: every platform the brand
  listens on). Pulls what is new since the feeds' cursors (service.py);
- on the read-back schedule, ``{"action": "readback"}``: the engagement of the posts
  ``publish`` made whose next checkpoint is due (engagement/readback.py);
- by the HTTP API (payload format 2.0) on ``GET|POST /webhooks/{platform}/{brand}``: the
  platforms' handshakes and signed pushes (webhooks.py).

Only the logger is imported at module level; boto3, the models and the sources load on
the first invocation. ``use(deps)`` injects the dependencies (tests, ``socialops
simulate``); otherwise they are built from the environment.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger

from functions.common import runtime

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from functions.ingest.engagement.readback import Deps as ReadbackDeps
    from functions.ingest.service import Deps
    from functions.ingest.webhook_auth import SecretCache

FUNCTION = "ingest"
ENDPOINTS_ENV = runtime.ENDPOINTS_ENV  # JSON {platform: base URL}; local peers
ENV = ("INGEST_CURSORS_TABLE", "MENTIONS_QUEUE_URL", "RAW_MENTIONS_BUCKET", "PUBLISH_RECORDS_TABLE")

logger = Logger()
_deps: Deps | None = None
_secrets: SecretCache | None = None  # the webhooks' secrets, kept across invocations
_readback: ReadbackDeps | None = None  # the read-back's, built from _deps once


def use(deps: Deps | None) -> None:
    """Run with these dependencies (simulate, tests); None: build them from the env."""
    global _deps, _secrets, _readback
    _deps, _secrets, _readback = deps, None, None


def deps_from_env() -> Deps:
    """The real dependencies: boto3 clients from the Lambda environment."""
    import boto3

    from functions.common.platform.tokens import Tokens
    from functions.ingest.service import Deps

    table, queue, bucket, records = (runtime.env(FUNCTION, name) for name in ENV)
    peers = runtime.endpoints()
    secrets = boto3.client("secretsmanager")
    return Deps(
        s3=boto3.client("s3"), sqs=boto3.client("sqs"), dynamodb=boto3.client("dynamodb"),
        secrets=secrets, cursors_table=table, queue_url=queue, bucket=bucket, records_table=records,
        tokens=Tokens(secrets, endpoints=peers),
        endpoint=lambda platform, brand: peers.get(platform), log=runtime.log_to(logger),
    )  # fmt: skip


@logger.inject_lambda_context
def handler(event: Any, context: LambdaContext) -> Any:
    global _deps, _secrets, _readback
    from functions.common.errors import EventError, require
    from functions.ingest import service, webhook_auth, webhooks

    if webhooks.is_http(event):
        if _deps is None:
            _deps = deps_from_env()
        if _secrets is None:
            _secrets = webhook_auth.SecretCache(_deps.secrets, _deps.now)
        return webhooks.handle(event, _deps, _secrets)
    if isinstance(event, dict) and event.get("action") == "readback":
        from functions.ingest.engagement import readback

        if _deps is None:
            _deps = deps_from_env()
        _deps.remaining_s = lambda: context.get_remaining_time_in_millis() / 1000.0
        if _readback is None:  # kept: its memo of the days whose followers are read
            _readback = readback.from_ingest(_deps)
        return readback.run(_readback)
    brand = require(FUNCTION, event, ("brand",))["brand"]
    platform = event.get("platform")
    if platform is not None and (not isinstance(platform, str) or not platform):
        raise EventError(f"{FUNCTION}: platform must be a non-empty string")
    listening = service.listener(brand)  # ConfigError, EventError: before touching AWS
    if _deps is None:
        _deps = deps_from_env()
    deps = _deps
    deps.remaining_s = lambda: context.get_remaining_time_in_millis() / 1000.0
    if platform is None:
        logger.info("ingest requested", extra={"brand": brand, "platforms": listening.platforms})
        return {"brand": brand, "runs": service.pull_all(brand, deps)}
    return service.pull(brand, platform, deps)
