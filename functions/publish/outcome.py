"""What became of one firing (step 5 of service.py): recorded, and what did not go out
sent to the dead-letter queue with its reason and told to a person by SNS."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from functions.common import readback
from functions.common.platform.errors import PlatformError
from functions.publish.adapters.base import Published
from functions.publish.due import Plan, media_kind, stamp
from functions.publish.records import Key

if TYPE_CHECKING:
    from functions.publish.service import Deps


# Outcome statuses that did not post and must reach a person.
DEAD_LETTERED = ("failed", "held", "unknown", "stale")


@dataclass
class Outcome:
    status: str  # published, duplicate, recovered, rescheduled, skipped, held, stale,
    # failed, unknown
    campaign: str
    post: str
    channel: str
    locale: str
    scheduled_for: str
    reason: str = ""
    post_id: str = ""
    url: str = ""
    published_at: str = ""
    attempts: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v not in ("", 0) or k == "status"}


def reason_of(error: Exception) -> str:
    if isinstance(error, PlatformError):
        return f"{error.reason} ({error.platform}, HTTP {error.status}, {error.code})"
    return str(error)


def record_published(
    key: Key, base: Outcome, published: Published, status: str, deps: Deps, plan_: Plan
) -> dict[str, Any]:
    """Record the post as published, due for its first engagement read-back (ingest reads
    it then: functions/common/readback.py), with the text and the kind of media it carried
    (the read-back's lake rows keep them: what later models learn from)."""
    base.status = status
    base.post_id, base.url = published.post_id, published.url
    when = published.published_at or deps.now()
    base.published_at = stamp(when)
    due = readback.stamp(readback.first_due(when))
    deps.records.finish(key, "published", deps.now(), post_id=published.post_id,
                        url=published.url, published_at=base.published_at, brand=plan_.brand,
                        text=plan_.request.text, media=media_kind(plan_.request),
                        **{readback.QUEUE_ATTRIBUTE: readback.QUEUE, readback.DUE_ATTRIBUTE: due})  # fmt: skip
    deps.metric("Published", key.channel)
    deps.log("info", "published", {"key": str(key), "url": published.url, "status": status})
    return base.as_dict()


def finish(
    key: Key, base: Outcome, status: str, reason: str, deps: Deps, event: Any
) -> dict[str, Any]:
    base.status, base.reason = status, reason
    outcome = base.as_dict()
    if status == "moved":  # another firing of the occurrence posts it: nothing to record
        deps.metric("Moved", key.channel)
        deps.log("info", "moved", {"key": str(key), "reason": reason})
        return outcome
    record_status = "skipped" if status == "stale" else status
    deps.records.finish(key, record_status, deps.now(), reason=reason)
    if status in DEAD_LETTERED:
        deps.metric("NotPublished", key.channel)
        deps.log("error", "not published", {"key": str(key), "status": status, "reason": reason})
        dead_letter(event, outcome, deps)
        notify(key, outcome, deps)
    else:
        deps.metric("Skipped", key.channel)
        deps.log("warning", "skipped", {"key": str(key), "reason": reason})
    return outcome


def dead_letter(event: Any, outcome: dict[str, Any], deps: Deps) -> None:
    """The event and why it did not post, to the dead-letter queue (redrive re-sends it)."""
    if deps.sqs is None or not deps.dead_letter_url:
        return
    body = {"event": {**event, "redrive": stamp(deps.now())}, "outcome": outcome}
    deps.sqs.send_message(QueueUrl=deps.dead_letter_url, MessageBody=json.dumps(body))


def notify(key: Key, outcome: dict[str, Any], deps: Deps) -> None:
    if deps.sns is None or not deps.failures_topic:
        return
    verb = {"held": "held", "stale": "not scheduled right", "unknown": "may not have posted"}
    subject = f"socialops: {key.post} on {key.channel} {verb.get(outcome['status'], 'failed')}"
    message = "\n".join([
        f"The post {key.post!r} of campaign {key.campaign!r} was not published on "
        f"{key.channel}" + (f" ({key.locale})" if key.locale else "") + ".",
        f"Scheduled for: {key.scheduled_for}",
        f"Why: {outcome['reason']}",
        "The event is in the publish dead-letter queue; redrive it once the cause is fixed.",
    ])  # fmt: skip
    deps.sns.publish(
        TopicArn=deps.failures_topic, Subject=subject[:100], Message=message,
        MessageAttributes={
            "campaign": {"DataType": "String", "StringValue": key.campaign},
            "status": {"DataType": "String", "StringValue": outcome["status"]},
        },
    )  # fmt: skip
