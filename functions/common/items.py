"""DynamoDB items as the low-level client gives them, read back as Python."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def plain(value: Mapping[str, Any]) -> Any:
    """A low-level attribute value as Python, read by boto3's own TypeDeserializer (numbers
    as Decimal, maps and lists whole); one it cannot read is kept as it came, and refused
    where it is used (a malformed item is reported, not a crash)."""
    from boto3.dynamodb.types import TypeDeserializer

    try:
        return TypeDeserializer().deserialize(dict(value))
    except (TypeError, ValueError, KeyError, AttributeError):
        return value
