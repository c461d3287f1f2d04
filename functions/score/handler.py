"""``score``: score queued mentions (sentiment, emotion) and count them (DESIGN.md 7, 8).

Invoked by the SQS event source mapping of the mentions queue, with partial batch
responses (``ReportBatchItemFailures``, through the Powertools batch utility): a message
that is not a mention fails alone and, after the queue's five receives, lands in the
mentions dead-letter queue; an empty text is logged and skipped. The batch is scored in
one model call (service.py) and stored in S3, then counted: one DynamoDB transaction per
brand and 5-minute bucket (markers + sums), each mention once (a redelivered mention may be
stored twice under another key, with its id; it is never counted twice).
Only the logger is imported at module level; the model (numpy) loads on the first call.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

FUNCTION = "score"
logger = Logger()
_clients: dict[str, Any] = {}


def _client(name: str) -> Any:
    if name not in _clients:
        import boto3

        _clients[name] = boto3.client(name)
    return _clients[name]


def _terms(brand: str) -> list[str]:
    from functions.common import config

    try:
        configs = config.for_brand(brand)
    except config.ConfigError:
        return []
    listening = configs[0].brand.listening
    return list(listening.terms) if listening else []


def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    from aws_lambda_powertools.utilities.batch import (
        BatchProcessor,
        EventType,
        process_partial_response,
    )

    from functions.common.errors import EventError
    from functions.score import model, service

    records = event.get("Records") if isinstance(event, dict) else None
    if not isinstance(records, list):
        raise EventError(f"{FUNCTION}: expected an SQS event with Records")
    parsed: dict[str, service.Mention] = {}
    problems: dict[str, str] = {}
    for record in records:
        ident = str(record.get("messageId", ""))
        try:
            parsed[ident] = service.parse(str(record.get("body", "")))
        except service.BadMention as error:
            problems[ident] = str(error)
    scored = {
        ident: item
        for ident, item in zip(
            parsed, service.score_batch(list(parsed.values()), _terms, model.score), strict=True
        )
    }
    table = os.environ["MENTION_BUCKETS_TABLE"]
    counted: list[service.Scored] = []
    outcome: dict[str, bool] = {}
    if scored:  # stored before counting: a retry may store a mention twice, never lose it
        request = getattr(context, "aws_request_id", "local")
        service.store(_client("s3"), os.environ["RAW_MENTIONS_BUCKET"], list(scored.values()),
                      request)  # fmt: skip
        try:  # a few transactions for the batch; if that fails, each mention on its own
            done = service.count_batch(_client("dynamodb"), table, list(scored.values()))
            outcome = dict(zip(scored, done, strict=True))
        except Exception as error:
            logger.warning("batch count failed; counting one by one", extra={"why": str(error)})

    def one(record: Any) -> None:
        ident = record.message_id
        if ident in problems:
            if problems[ident] == "empty text":
                logger.warning("skipped: empty text", extra={"message_id": ident})
                return
            logger.error("not a mention", extra={"message_id": ident, "why": problems[ident]})
            raise service.BadMention(problems[ident])
        item = scored[ident]
        fresh = (
            outcome[ident] if ident in outcome else service.count(_client("dynamodb"), table, item)
        )
        if fresh:
            counted.append(item)
        else:
            logger.info("already counted", extra={"message_id": ident, "id": item.mention.id})

    processor = BatchProcessor(event_type=EventType.SQS)
    response: dict[str, Any] = dict(
        process_partial_response(
            event=event, record_handler=one, processor=processor, context=context
        )
    )
    logger.info("scored", extra={"mentions": len(records), "counted": len(counted),
                                 "failed": len(response.get("batchItemFailures", []))})  # fmt: skip
    return response
