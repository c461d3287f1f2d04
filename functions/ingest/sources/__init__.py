"""Where ``ingest`` fetches mentions: one module per platform that has a documented API
to pull them (``schema.platforms.PLATFORMS[p].listening`` says which pull and which push).

Each module gives ``feeds(source) -> list[Feed]``: a feed is one cursor (a search, a
hashtag, the notifications), fetched a page at a time. ``Feed.fetch(state)`` returns the
page's raw items, each item normalised (or the reason it could not be), and the cursor
state after the page. HTTP errors become ``PlatformError`` through publish's error tables
(functions/common/platform/errors.py); a page that is not JSON raises ``BadPage``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import import_module
from typing import Any

from functions.common.platform.http import TIMEOUT_S, exchange

MODULES = {"x": "x", "bluesky": "bluesky", "mastodon": "mastodon", "facebook": "meta",
           "instagram": "meta", "linkedin": "linkedin"}  # fmt: skip


class BadPage(RuntimeError):
    """A page that is not what the platform documents (not JSON, not the right shape):
    the run fails and the feed's cursor stays where it was."""


class Malformed(ValueError):
    """One item lacks what a mention needs; it is skipped, logged with its id."""

    def __init__(self, ident: str, why: str) -> None:
        super().__init__(f"item {ident or '(no id)'}: {why}")
        self.ident, self.why = ident, why


@dataclass(frozen=True)
class Found:
    """One mention, normalised to what ``score`` reads (functions/score/service.py)."""

    id: str
    text: str
    created_at: str  # ISO 8601 UTC, ending in Z
    url: str
    lang: str | None
    handle: str
    followers: int | None = None
    author_created_at: str | None = None
    kind: str = "mention"  # mention | comment | reply | tag

    def message(self, brand: str, platform: str, source: str) -> dict[str, Any]:
        return {"id": self.id, "brand": brand, "platform": platform, "text": self.text,
                "created_at": self.created_at, "url": self.url, "lang": self.lang,
                "author": {"handle": self.handle, "followers": self.followers,
                           "created_at": self.author_created_at},
                "kind": self.kind, "source": source}  # fmt: skip


@dataclass
class Page:
    raw: list[Any]  # the items as the platform sent them (written to S3)
    items: list[Found | Malformed]  # the same items, normalised
    state: dict[str, str]  # the feed's cursor after this page
    done: bool  # nothing more to fetch now
    replaced: int = 0  # bytes that were not UTF-8 (decoded as U+FFFD)


@dataclass
class Feed:
    name: str
    fetch: Callable[[dict[str, str]], Page]


@dataclass
class Source:
    """What a platform module needs to build its feeds."""

    platform: str
    brand: str
    account: Any  # schema.brand.Account
    terms: Sequence[str]
    base: str  # API root (a local peer in tests and simulate)
    token: Callable[[], str]  # the account's access token (read when first needed)
    page_size: int = 25
    timeout: float = TIMEOUT_S
    extra: dict[str, Any] = field(default_factory=dict)


def feeds(source: Source) -> list[Feed]:
    module = import_module(f"functions.ingest.sources.{MODULES[source.platform]}")
    found: list[Feed] = module.feeds(source)
    return found


# ---- HTTP: GET a JSON page, keeping the bytes' problems visible -----------------------


@dataclass
class Answer:
    body: Any
    headers: dict[str, str]
    replaced: int


def decode(raw: bytes) -> tuple[str, int]:
    """UTF-8 text and how many bytes were not UTF-8 (each became U+FFFD)."""
    try:
        return raw.decode("utf-8"), 0
    except UnicodeDecodeError:
        text = raw.decode("utf-8", "replace")
        return text, max(1, text.count("\ufffd") - raw.decode("utf-8", "ignore").count("\ufffd"))


def get_json(
    platform: str,
    url: str,
    *,
    query: Sequence[tuple[str, str]] | Mapping[str, str] = (),
    bearer: str | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float = TIMEOUT_S,
) -> Answer:
    _, head, raw = exchange(platform, "GET", url, query=query, bearer=bearer, headers=headers,
                            timeout=timeout)  # fmt: skip
    text, replaced = decode(raw)
    try:
        body = json.loads(text)
    except ValueError:
        shown = text[:80].replace("\n", " ")
        raise BadPage(
            f"{platform}: {url.split('?')[0]} answered {len(raw)} bytes that are not JSON "
            f"({shown!r}...)"
        ) from None
    return Answer(body, head, replaced)


# ---- shared helpers of the platform modules --------------------------------------------


def utc(value: Any) -> str:
    """A platform's time (ISO 8601 with Z, +00:00 or +0000; epoch seconds or ms) as
    ``YYYY-MM-DDTHH:MM:SSZ``; ValueError when it is none of those."""
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, int | float):
        seconds = value / 1000 if value > 10**11 else value
        when = datetime.fromtimestamp(seconds, UTC)
    elif isinstance(value, str) and value:
        text = value.strip().replace("Z", "+00:00")
        if len(text) > 5 and text[-5] in "+-" and text[-4:].isdigit():
            text = text[:-2] + ":" + text[-2:]  # +0000 -> +00:00
        when = datetime.fromisoformat(text)
        when = when if when.tzinfo else when.replace(tzinfo=UTC)
    else:
        raise ValueError(value)
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def need(item: Any, ident: str, *names: str) -> None:
    """Raise ``Malformed`` unless ``item`` has a non-empty string (or number) per name."""
    if not isinstance(item, dict):
        raise Malformed(ident, f"expected an object, found {type(item).__name__}")
    missing = [n for n in names if not isinstance(item.get(n), str | int)]
    if missing:
        raise Malformed(ident, f"lacks {', '.join(missing)}")
    if not ident:
        raise Malformed(ident, "lacks an id")


def when(ident: str, value: Any) -> str:
    try:
        return utc(value)
    except (ValueError, OverflowError, OSError):
        raise Malformed(ident, f"time {value!r} is not a time") from None


def as_int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def id_order(value: str) -> tuple[int, str]:
    """Numeric ids (X, Mastodon) in numeric order."""
    return (len(value), value)


def newest(values: Sequence[str | None], key: Callable[[str], Any] = id_order) -> str | None:
    present = [v for v in values if v]
    return max(present, key=key) if present else None


def after(mark: str | None, value: str, key: Callable[[str], Any] = id_order) -> bool:
    """Whether ``value`` is newer than the cursor's mark (no mark: everything is)."""
    return mark is None or key(value) > key(mark)


def sweep(state: Mapping[str, str], top: str | None, next_page: str | None,
          key: Callable[[str], Any] = id_order) -> tuple[dict[str, str], bool]:  # fmt: skip
    """The cursor of an API that pages from the newest down to ``since``: while a sweep
    goes on, ``since`` stays and ``page`` holds where it is; when it ends, ``since`` becomes
    the newest mark seen in the sweep (``top``)."""
    best = newest([state.get("top"), top], key)
    if next_page:
        kept = {"since": state.get("since"), "page": next_page, "top": best}
        return {k: v for k, v in kept.items() if v}, False
    since = best or state.get("since")
    return ({"since": since} if since else {}), True


def items_of(body: Any, name: str, platform: str) -> list[Any]:
    """The list ``body[name]`` (absent: empty); BadPage when it is not a list."""
    if not isinstance(body, dict):
        raise BadPage(f"{platform}: expected a JSON object, found {type(body).__name__}")
    value = body.get(name)
    if value is None:
        return []
    if not isinstance(value, list):
        raise BadPage(f"{platform}: {name!r} is not a list")
    return value


def normalise(raw: list[Any], one: Callable[[Any], Found]) -> list[Found | Malformed]:
    out: list[Found | Malformed] = []
    for item in raw:
        try:
            out.append(one(item))
        except Malformed as bad:
            out.append(bad)
    return out


def ident_of(item: Any, name: str = "id") -> str:
    value = item.get(name) if isinstance(item, dict) else None
    return str(value) if isinstance(value, str | int) else ""
