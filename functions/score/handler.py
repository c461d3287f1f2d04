"""``score``: score queued mentions (sentiment, emotion) and count them (ARCHITECTURE.md 7, 8).

Invoked by the SQS event source mapping of the mentions queue, with partial batch
responses (``ReportBatchItemFailures``, through the Powertools batch utility): a message
that is not a mention fails alone and, after the queue's five receives, lands in the
mentions dead-letter queue; so does a mention that fails to be scored, stored or counted
(``Batch``: an error log line with its step and the ``MentionsFailed`` metric), never its
batch of 100; an empty text is logged and skipped. The batch is scored in
one model call (service.py) and stored in S3, then counted: one DynamoDB transaction per
brand and 5-minute bucket (markers + sums), each mention once (a redelivered mention may be
stored twice under another key, with its id; it is never counted twice).
Only the logger is imported at module level; the model (numpy) loads on the first call.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from functions.score.service import Mention, Scored

FUNCTION = "score"
NAMESPACE = "socialops"  # the CloudWatch namespace of the project's metrics (as publish's)
TABLE_ENV = "MENTION_BUCKETS_TABLE"
BUCKET_ENV = "RAW_MENTIONS_BUCKET"
logger = Logger()


def _listening(brand: str) -> Any:
    """The brand's ``listening`` section (None: it has none, or no compiled campaign)."""
    from functions.common import config

    try:
        configs = config.for_brand(brand)
    except config.ConfigError:
        return None
    return configs[0].brand.listening


def _terms(brand: str) -> list[str]:
    listening = _listening(brand)
    return list(listening.terms) if listening else []


def _sentiment_path(brand: str) -> str:
    """The brand's ``listening.sentiment``: ``fast``, ``balanced`` (the default) or
    ``accurate``."""
    from functions.score.model import DEFAULT_PATH

    listening = _listening(brand)
    return str(listening.sentiment) if listening else DEFAULT_PATH


# the model: texts and the path to score them on (fast, balanced or accurate) -> one
# result a text
ModelScore = Callable[[Sequence[str], str], list[dict[str, Any]]]


@dataclass
class Deps:
    """What ``score`` uses, injected (simulate, tests) or built from the environment."""

    dynamodb: Any  # boto3 DynamoDB client: the mention buckets
    s3: Any  # boto3 S3 client: the scored JSON Lines
    table: str  # MENTION_BUCKETS_TABLE
    bucket: str  # RAW_MENTIONS_BUCKET
    terms: Callable[[str], list[str]] = _terms  # a brand's listening terms
    path: Callable[[str], str] = _sentiment_path  # a brand's scoring path
    model: ModelScore | None = None  # None: the shipped one
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))  # late marks


_deps: Deps | None = None


def use(deps: Deps | None) -> None:
    """Run with these dependencies (simulate, tests); None: build them from the env."""
    global _deps
    _deps = deps


def deps_from_env() -> Deps:
    import boto3

    from functions.common import runtime

    return Deps(boto3.client("dynamodb"), boto3.client("s3"),
                runtime.env(FUNCTION, TABLE_ENV), runtime.env(FUNCTION, BUCKET_ENV))  # fmt: skip


def current() -> Deps:
    global _deps
    if _deps is None:
        _deps = deps_from_env()
    return _deps


@dataclass
class Batch:
    """One invocation's mentions by SQS message id, and what became of each: a message
    that fails at any step fails alone (its record in ``batchItemFailures``), is logged
    with the step and counted in the ``MentionsFailed`` metric; the others go on."""

    deps: Deps
    mentions: dict[str, Mention] = field(default_factory=dict)
    scored: dict[str, Scored] = field(default_factory=dict)
    counted_now: dict[str, bool] = field(default_factory=dict)  # by the batch's count
    failed: dict[str, tuple[str, Exception]] = field(default_factory=dict)  # step, error
    empty: set[str] = field(default_factory=set)
    counted: int = 0

    def fail(self, ident: str, step: str, error: Exception) -> None:
        self.failed[ident] = (step, error)
        self.scored.pop(ident, None)
        mention = self.mentions.get(ident)
        where = {"id": mention.id, "platform": mention.platform} if mention else {}
        logger.error("a mention failed alone", extra={"message_id": ident, "step": step,
                     "why": f"{type(error).__name__}: {error}", **where})  # fmt: skip

    def settle(self, record: Any) -> None:
        """The record handler of the batch utility: raise for a message that failed."""
        from functions.score import service

        ident = record.message_id
        if ident in self.empty:
            logger.warning("skipped: empty text", extra={"message_id": ident})
            return
        if ident in self.failed:
            raise self.failed[ident][1]
        item = self.scored[ident]
        try:
            fresh = self.counted_now.get(ident)
            if fresh is None:
                fresh = service.count(self.deps.dynamodb, self.deps.table, item, self.deps.now())
        except Exception as error:
            self.fail(ident, "count", error)
            raise
        if fresh:
            self.counted += 1
        else:
            logger.info("already counted", extra={"message_id": ident, "id": item.mention.id})


def parse(batch: Batch, records: list[Any]) -> None:
    from functions.score import service

    for record in records:
        ident = str(record.get("messageId", ""))
        try:
            mention = batch.mentions[ident] = service.parse(str(record.get("body", "")))
        except service.BadMention as error:  # not a mention: the dead-letter queue
            if str(error) == "empty text":
                batch.empty.add(ident)
            else:
                batch.fail(ident, "parse", error)
            continue
        if mention.replaced:
            logger.warning("characters that SQS or UTF-8 refuse were replaced by U+FFFD",
                           extra={"message_id": ident, "id": mention.id,
                                  "characters": mention.replaced})  # fmt: skip


def prepare(records: list[Any], request: str, deps: Deps) -> Batch:
    """Parse, score, store and count the batch together, each step keeping apart the
    mentions that fail in it."""
    from functions.score import model, service

    batch = Batch(deps)
    parse(batch, records)

    def shipped(texts: Sequence[str], path: str) -> list[dict[str, Any]]:
        try:
            return model.score(texts, path=path)
        except model.ModelError as exc:  # the encoder cannot load: never lose a mention
            if path == "fast":
                raise
            logger.error(f"{path} sentiment path unavailable; scored on the fast path",
                         extra={"reason": str(exc), "mentions": len(texts)})  # fmt: skip
            return model.score(texts, path="fast")

    results = service.score_batch(list(batch.mentions.values()), deps.terms,
                                  deps.model or shipped, deps.path)  # fmt: skip
    for ident, result in zip(batch.mentions, results, strict=True):
        if isinstance(result, Exception):
            batch.fail(ident, "score", result)
        else:
            batch.scored[ident] = result
    # stored before counting: a retry may store a mention twice, never lose it
    stored = service.store(deps.s3, deps.bucket, dict(batch.scored), request)
    for ident, error in stored.items():
        batch.fail(ident, "store", error)
    try:  # a few transactions for the batch; if that fails, each mention on its own
        done = service.count_batch(
            deps.dynamodb, deps.table, list(batch.scored.values()), deps.now()
        )
        batch.counted_now = dict(zip(batch.scored, done, strict=True))
    except Exception as error:
        logger.warning("batch count failed; counting one by one", extra={"why": str(error)})
    return batch


def report(batch: Batch, records: int) -> None:
    """The invocation's log line, and one ``MentionsFailed`` metric per failed step."""
    from aws_lambda_powertools.metrics import MetricUnit, single_metric

    steps = Counter(step for step, _ in batch.failed.values())
    for step, n in sorted(steps.items()):
        with single_metric(name="MentionsFailed", unit=MetricUnit.Count, value=n,
                           namespace=NAMESPACE,
                           default_dimensions={"service": FUNCTION, "step": step}):  # fmt: skip
            pass
    replaced = sum(m.replaced for m in batch.mentions.values())
    logger.info("scored", extra={"mentions": records, "counted": batch.counted,
                                 "failed": len(batch.failed), "failed_by_step": dict(steps),
                                 "characters_replaced": replaced})  # fmt: skip


def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    from aws_lambda_powertools.utilities.batch import (
        BatchProcessor,
        EventType,
        process_partial_response,
    )

    from functions.common.errors import EventError

    records = event.get("Records") if isinstance(event, dict) else None
    if not isinstance(records, list):
        raise EventError(f"{FUNCTION}: expected an SQS event with Records")
    batch = prepare(records, getattr(context, "aws_request_id", "local"), current())
    processor = BatchProcessor(event_type=EventType.SQS)
    try:  # all records failed: the batch utility raises, and the failures are reported
        response: dict[str, Any] = dict(process_partial_response(
            event=event, record_handler=batch.settle, processor=processor, context=context))  # fmt: skip
    finally:
        report(batch, len(records))
    return response
