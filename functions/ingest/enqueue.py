"""What ``ingest`` puts on the mentions queue, and how, so that one bad mention never holds
back its page (a pull whose send fails keeps its cursor and would fetch it again forever).

- ``outgoing``: the message of one mention. A code point that SQS refuses or UTF-8 cannot
  encode, in any field (text, author, id...), becomes U+FFFD (functions/common/text.py),
  counted ``characters_replaced``; a text too long for one SQS message is shortened to fit
  (``score`` reads its first 5,000 characters), counted ``text_shortened``.
- ``send``: batches of up to 10 entries and ``SQS_MAX_BYTES``. An entry SQS reports failed
  for a fault of its own (``SenderFault``) would fail again unchanged: it is counted
  ``refused_by_queue`` and logged (error) with its id, and its raw item stays in S3. When
  SQS (or botocore) refuses a batch whole because of what one entry holds, its entries are
  sent one by one, so only that one is refused. Other failures (throttling, 5xx) are sent
  again; ``QueueError`` when some still fail, and the cursor stays.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from functions.common.chunks import packed
from functions.common.text import clean_all

if TYPE_CHECKING:
    from functions.ingest.service import Deps, Tally
    from functions.ingest.sources import Found

FUNCTION = "ingest"
SQS_BATCH = 10  # send_message_batch's limit
SQS_TRIES = 3
# a message's limit and a batch's on a queue made before SQS raised both to 1 MiB (2025):
# the bound that holds on every queue the stack may have
SQS_MAX_BYTES = 256 * 1024
# the error codes (JSON or query protocol) of SQS refusing what a message holds
REFUSED_CODES = frozenset({"InvalidMessageContents", "InvalidParameterValue",
                           "BatchRequestTooLong", "MessageTooLong"})  # fmt: skip

Entry = tuple[Mapping[str, Any], str]  # (the message, its body)


class QueueError(RuntimeError):
    """Some mentions could not be queued after retries: the cursor does not move."""


def body(message: Mapping[str, Any]) -> str:
    return json.dumps(message, ensure_ascii=False, sort_keys=True)


def outgoing(item: Found, brand: str, platform: str, source: str, tally: Tally,
             deps: Deps) -> dict[str, Any]:  # fmt: skip
    """The message to queue for ``item``, cleaned and fitted to one SQS message."""
    message, replaced = clean_all(item.message(brand, platform, source))
    where = {"platform": platform, "feed": source, "id": message["id"]}
    if replaced:
        tally.skip("characters_replaced", replaced)
        deps.log("warning", "characters that SQS or UTF-8 refuse were replaced by U+FFFD",
                 {**where, "characters": replaced})  # fmt: skip
    # each character is at least one byte of the body: cutting ``over`` of them fits
    over = len(body(message).encode()) - SQS_MAX_BYTES
    if 0 < over < len(message["text"]):
        message["text"] = message["text"][: len(message["text"]) - over]
        tally.skip("text_shortened")
        deps.log("warning", "a text too long for one SQS message was shortened", where)
    return message


def send(deps: Deps, messages: Sequence[Mapping[str, Any]], tally: Tally) -> int:
    """Queue the messages, up to 10 and ``SQS_MAX_BYTES`` a batch; how many were queued
    (the others are counted refused)."""
    entries = [(m, body(m)) for m in messages]
    return sum(_send_batch(deps, batch, tally) for batch in
               packed(entries, lambda e: len(e[1].encode()), SQS_MAX_BYTES, SQS_BATCH))  # fmt: skip


def refused(error: Exception) -> bool:
    """Whether the error says the message itself is refused (sending it again unchanged
    cannot succeed), rather than the queue or the service being unavailable."""
    if isinstance(error, ValueError):  # UnicodeEncodeError: botocore cannot encode it
        return True
    code = str(getattr(error, "response", {}).get("Error", {}).get("Code", ""))
    return code.rsplit(".", 1)[-1] in REFUSED_CODES


def _refuse(deps: Deps, tally: Tally, message: Mapping[str, Any], why: str) -> None:
    tally.skip("refused_by_queue")
    deps.log("error", "SQS refused a mention; it is left out (its raw item is in S3)",
             {"platform": message.get("platform"), "id": message.get("id"), "why": why})  # fmt: skip


def _send_batch(deps: Deps, batch: list[Entry], tally: Tally) -> int:
    pending = {str(i): entry for i, entry in enumerate(batch)}
    queued = 0
    for _ in range(SQS_TRIES):
        try:
            answer = deps.sqs.send_message_batch(QueueUrl=deps.queue_url, Entries=[
                {"Id": i, "MessageBody": text} for i, (_, text) in pending.items()])  # fmt: skip
        except Exception as error:
            if not refused(error):
                raise  # the run fails, the cursor stays: the next run sends the page again
            return queued + _send_alone(deps, list(pending.values()), tally)
        failed = {f["Id"]: f for f in answer.get("Failed", [])}
        queued += len(pending) - len(failed)
        for i, failure in failed.items():
            if failure.get("SenderFault"):
                _refuse(deps, tally, pending[i][0], f"{failure.get('Code')}: "
                        f"{failure.get('Message')}")  # fmt: skip
        pending = {i: e for i, e in pending.items() if i in failed
                   and not failed[i].get("SenderFault")}  # fmt: skip
        if not pending:
            return queued
        deps.log("warning", "some mentions were not queued; sending them again",
                 {"failed": [f"{failed[i].get('Code')}: {failed[i].get('Message')}"
                             for i in pending]})  # fmt: skip
    raise QueueError(f"{FUNCTION}: {len(pending)} mentions could not be queued after "
                     f"{SQS_TRIES} tries; the cursor was not moved")  # fmt: skip


def _send_alone(deps: Deps, entries: list[Entry], tally: Tally) -> int:
    """Each entry of a batch SQS refused whole on its own: only the bad one is refused."""
    queued = 0
    for message, text in entries:
        try:
            deps.sqs.send_message(QueueUrl=deps.queue_url, MessageBody=text)
        except Exception as error:
            if not refused(error):
                raise
            _refuse(deps, tally, message, str(error))
            continue
        queued += 1
    return queued
