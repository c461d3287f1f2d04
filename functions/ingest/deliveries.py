"""Webhook deliveries already queued, so that a replayed push is acknowledged and dropped.

Meta and X sign the body but no time, so a captured push stays valid for ever; TikTok's
signed timestamp bounds it to minutes. A delivery is known by the SHA-256 of its signed
body (a replay must repeat it byte for byte: a changed body fails the signature). It is
recorded in the cursors table (pk ``<brand>#<platform>#webhooks``, sk the digest, away
from the feeds' ``<brand>#<platform>`` items) only once its mentions were queued: a
platform's redelivery after a 503 (an Instagram mention not readable yet) still gets
through. The record expires after ``REPLAY_WINDOW_S`` (``expires_at``, epoch seconds, for
the table's TTL; an expired record still present is ignored here).
"""

from __future__ import annotations

from typing import Any

from functions.ingest import service

REPLAY_WINDOW_S = 7 * 24 * 3600  # past Meta's 36 hours of redelivery, with margin


def _key(brand: str, platform: str, basis: str) -> dict[str, Any]:
    return {"pk": {"S": f"{brand}#{platform}#webhooks"}, "sk": {"S": basis}}


def seen(deps: service.Deps, brand: str, platform: str, basis: str) -> bool:
    """Whether this delivery was queued before (within the replay window)."""
    item = deps.dynamodb.get_item(TableName=deps.cursors_table, ConsistentRead=True,
                                  Key=_key(brand, platform, basis)).get("Item")  # fmt: skip
    expires = (item or {}).get("expires_at", {}).get("N")
    return expires is not None and int(expires) > deps.now().timestamp()


def remember(deps: service.Deps, brand: str, platform: str, basis: str) -> None:
    """Record a delivery whose mentions are queued."""
    expires = int(deps.now().timestamp()) + REPLAY_WINDOW_S
    item = {**_key(brand, platform, basis), "expires_at": {"N": str(expires)}}
    deps.dynamodb.put_item(TableName=deps.cursors_table, Item=item)
