"""Errors the handlers raise, with messages that say what happened and what did not."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any


class EventError(ValueError):
    """The event a function received is not the one it expects."""


def require(function: str, event: Any, keys: Iterable[str]) -> dict[str, str]:
    """The string fields ``keys`` of ``event``, each present and non-empty."""
    keys = tuple(keys)
    if not isinstance(event, Mapping):
        raise EventError(f"{function}: expected an object event, got {type(event).__name__}")
    missing = [k for k in keys if not isinstance(event.get(k), str) or not event[k]]
    if missing:
        raise EventError(
            f"{function}: event lacks {', '.join(missing)} "
            f"(expected non-empty strings: {', '.join(keys)})"
        )
    return {k: event[k] for k in keys}


def scheduled_time(function: str, text: str) -> datetime:
    """An event's ``scheduled_for`` (ISO 8601 with an offset, ``Z`` included) in UTC."""
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise EventError(f"{function}: scheduled_for {text!r} is not an ISO 8601 time") from None
    if when.tzinfo is None:
        raise EventError(f"{function}: scheduled_for {text!r} has no UTC offset")
    return when.astimezone(UTC)
