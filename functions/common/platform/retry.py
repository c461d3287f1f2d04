"""How long to wait before trying again, from a platform's response headers (pure)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any


def _now(now: float | None) -> float:
    return datetime.now(UTC).timestamp() if now is None else now


def parse_retry_after(value: str, now: float | None = None) -> float | None:
    """``Retry-After``: delay in seconds, or an HTTP date."""
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - _now(now))


def parse_reset(value: str, now: float | None = None) -> float | None:
    """A reset time: epoch seconds (X, Bluesky) or an ISO 8601 time (Mastodon)."""
    value = value.strip()
    try:
        number = float(value)
    except ValueError:
        try:
            when = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        number = when.timestamp()
    return max(0.0, number - _now(now))


def _regain_minutes(data: Any) -> float | None:
    """The largest ``estimated_time_to_regain_access`` (minutes) anywhere in Meta's JSON."""
    found: list[float] = []
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            value = item.get("estimated_time_to_regain_access")
            if isinstance(value, int | float):
                found.append(float(value))
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return max(found) if found else None


def parse_meta_usage(value: str) -> float | None:
    """Meta's ``x-app-usage`` / ``x-business-use-case-usage``: minutes → seconds."""
    try:
        minutes = _regain_minutes(json.loads(value))
    except ValueError:
        return None
    return None if not minutes else minutes * 60.0


_RESETS = ("x-rate-limit-reset", "x-ratelimit-reset", "ratelimit-reset")
_META = ("x-business-use-case-usage", "x-app-usage", "x-ad-account-usage")


def retry_after(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Seconds to wait, from the first header that says: ``Retry-After``, then the
    rate-limit reset headers, then Meta's usage headers. None when none says."""
    lower = {k.lower(): v for k, v in headers.items()}
    if "retry-after" in lower:
        seconds = parse_retry_after(lower["retry-after"], now)
        if seconds is not None:
            return seconds
    for name in _RESETS:
        if name in lower:
            seconds = parse_reset(lower[name], now)
            if seconds is not None:
                return seconds
    for name in _META:
        if name in lower:
            seconds = parse_meta_usage(lower[name])
            if seconds is not None:
                return seconds
    return None
