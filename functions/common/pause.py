"""The brand-level publishing pause (PauseFlagsTable): one item per paused brand.

Written by a person (``socialops pause BRAND`` / ``resume``) or by a crisis alert whose
action is ``pause_publishing``; read by ``publish`` before every post. The table client is
injected (a boto3 DynamoDB Table resource), never created at import time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class PauseFlag:
    brand: str
    reason: str
    by: str  # "person:<name>" or "alert:<campaign>/<rule>"
    since: str  # ISO 8601, UTC

    def as_item(self) -> dict[str, str]:
        return {"brand": self.brand, "reason": self.reason, "by": self.by, "since": self.since}


def pause(table: Any, brand: str, reason: str, by: str, now: datetime) -> PauseFlag:
    """Pause ``brand``. Pausing a paused brand keeps the first pause (its time and cause)."""
    flag = PauseFlag(brand, reason, by, now.strftime("%Y-%m-%dT%H:%M:%SZ"))
    try:
        table.put_item(Item=flag.as_item(), ConditionExpression="attribute_not_exists(brand)")
    except table.meta.client.exceptions.ConditionalCheckFailedException:
        current = paused(table, brand)
        if current is not None:
            return current
        table.put_item(Item=flag.as_item())  # resumed in between: pause now
    return flag


def pause_write(table_name: str, flag: PauseFlag) -> dict[str, Any]:
    """Pause as one write of a DynamoDB transaction (low-level), only if the brand is not
    paused: ``alert`` commits it with the incident that pauses, so the pause happens once,
    with its incident, or not at all."""
    return {"Put": {"TableName": table_name,
                    "Item": {k: {"S": v} for k, v in flag.as_item().items()},
                    "ConditionExpression": "attribute_not_exists(brand)"}}  # fmt: skip


def still_paused(table_name: str, flag: PauseFlag) -> dict[str, Any]:
    """A transaction's check that ``flag`` is still the brand's pause (nobody resumed it
    or paused it again since it was read)."""
    return {"ConditionCheck": {
        "TableName": table_name, "Key": {"brand": {"S": flag.brand}},
        "ConditionExpression": "#by = :by AND #since = :since",
        "ExpressionAttributeNames": {"#by": "by", "#since": "since"},
        "ExpressionAttributeValues": {":by": {"S": flag.by}, ":since": {"S": flag.since}}}}  # fmt: skip


def resume(table: Any, brand: str) -> PauseFlag | None:
    """Lift the pause of ``brand``; the flag that was lifted, or None if it was not paused."""
    answer = table.delete_item(Key={"brand": brand}, ReturnValues="ALL_OLD")
    item = answer.get("Attributes")
    return _flag(item) if item else None


def paused(table: Any, brand: str) -> PauseFlag | None:
    item = table.get_item(Key={"brand": brand}, ConsistentRead=True).get("Item")
    return _flag(item) if item else None


def _flag(item: dict[str, Any]) -> PauseFlag:
    return PauseFlag(
        str(item["brand"]), str(item.get("reason", "")), str(item.get("by", "")),
        str(item.get("since", "")),
    )  # fmt: skip
