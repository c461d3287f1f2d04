"""Errors the handlers raise, with messages that say what happened and what did not."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


class NotBuiltYet(NotImplementedError):
    """The function was invoked for a capability that is not built yet: nothing was done.

    Raised on purpose, so that an invocation fails visibly (and its event is retried or
    dead-lettered) instead of reporting success for work that never happened.
    """

    def __init__(self, function: str, capability: str, detail: str = "") -> None:
        self.function = function
        self.capability = capability
        suffix = f" ({detail})" if detail else ""
        super().__init__(f"{function}: {capability} is not built yet; nothing was done{suffix}")


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
