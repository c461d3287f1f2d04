"""When a published post's engagement is read back: shared by ``publish``, which marks a
post due when it records it as published, and ``ingest``, which reads the posts that are
due (functions/ingest/engagement).

A due post's publish record carries ``readback_queue`` (``QUEUE``) and ``readback_due``
(ISO 8601 UTC): the sparse index ``INDEX`` of the publish records table is keyed on them,
so that one query finds every post whose checkpoint has come. The last checkpoint removes
both attributes: the post leaves the index, its record keeps the latest reading.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

INDEX = "ReadbackDue"
QUEUE = "due"
QUEUE_ATTRIBUTE = "readback_queue"
DUE_ATTRIBUTE = "readback_due"

# When a post is read after it went out, by label: the last one ends its read-back.
CHECKPOINTS: tuple[tuple[str, timedelta], ...] = (
    ("1h", timedelta(hours=1)),
    ("6h", timedelta(hours=6)),
    ("24h", timedelta(hours=24)),
    ("72h", timedelta(hours=72)),
    ("7d", timedelta(days=7)),
)


def stamp(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse(value: str) -> datetime:
    """An ISO 8601 time as written by ``stamp`` (or with an offset) -> aware UTC."""
    when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(UTC)


def first_due(published_at: datetime) -> datetime:
    return published_at + CHECKPOINTS[0][1]


def checkpoint(published_at: datetime, now: datetime) -> tuple[str | None, datetime | None]:
    """The label of the latest checkpoint reached at ``now`` (None before the first) and
    when the next one comes (None after the last: the read-back is over)."""
    age = now - published_at
    reached = [label for label, after in CHECKPOINTS if after <= age]
    coming = [published_at + after for _, after in CHECKPOINTS if after > age]
    return (reached[-1] if reached else None), (coming[0] if coming else None)
