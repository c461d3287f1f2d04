"""What the contract fakes share to serve mentions: the injected mention, query matching,
and the platforms' time formats. A test (or ``socialops simulate``) injects a mention with
``fake.add_mention(text, created_at, author_handle=..., lang=..., followers=...,
author_created_at=...)``, which returns the platform's id of the new post; the fakes'
search and mention endpoints then serve it with the documented paging (``page_size``
items a page, small by default)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

PAGE_SIZE = 5  # items a page at most, whatever the client asks (tests see paging early)


@dataclass
class Mention:
    id: str
    text: str
    created_at: datetime
    handle: str = "fan"
    lang: str | None = "en"
    followers: int = 10
    author_created_at: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def author_since(self) -> datetime:
        return self.author_created_at or (self.created_at - timedelta(days=400))


def utc(when: datetime) -> datetime:
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def iso_ms(when: datetime) -> str:
    """2026-11-30T09:00:00.000Z (X, Mastodon, Bluesky)."""
    when = utc(when)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def graph_time(when: datetime) -> str:
    """2026-11-30T09:00:00+0000 (Graph API)."""
    return utc(when).strftime("%Y-%m-%dT%H:%M:%S+0000")


def x_terms(query: str) -> list[str]:
    """The phrases, #hashtags and @mentions of an X search query, lower case."""
    found = re.findall(r'"([^"]+)"|([#@]\w+)', query)
    return [(a or b).lower() for a, b in found]


def contains(text: str, terms: list[str]) -> bool:
    lowered = text.lower()
    return any(term in lowered for term in terms)


def number(text: str, digits: int) -> int:
    """A stable number of at most ``digits`` digits for ``text`` (an author's id on a
    platform): the same in every run, unlike ``hash()``."""
    return int(hashlib.sha256(text.encode()).hexdigest(), 16) % 10**digits
