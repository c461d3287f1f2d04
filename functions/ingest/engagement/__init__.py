"""Reading back the engagement of the posts ``publish`` made (ARCHITECTURE.md 10).

``publish`` marks each post it records as published as due for read-back one hour after
it went out; ``ingest``, on its read-back schedule, reads the posts whose checkpoint is
due (``readback.py``), one platform module per platform (``MODULES``), and writes each
reading to the data lake (S3 ``engagement/brand=<b>/platform=<p>/date=<d>/``) and the
latest one onto the post's publish record.

A platform module gives:

- ``read(reader, posts) -> list[Reading]``: the current counts of each post, one
  ``Reading`` per post given, in any order, batched where the platform allows;
- ``followers(reader) -> int | None``: the account's follower count (None: the platform
  does not say);
- ``recent(reader, limit) -> list[Recent]``: the account's own latest posts with their
  counts, newest first, at most ``limit``, from the platform's listing endpoint: the
  backfill of a brand's first run (``readback.backfill``).

Each ``Reading`` holds only the metrics the platform gave (``METRICS`` names them): a
metric a platform does not give, or not yet (Instagram's insights lag up to 48 hours), is
absent, never 0. A post the platform no longer has is ``deleted``. HTTP errors become
``PlatformError`` (functions/common/platform): a rate limit, an expired token or a server
error stops that account's read-back for the run, and its posts stay due; any other
refusal is read again post by post, and a post the platform still refuses alone is
``refused`` (read again at its next checkpoint) while the others are read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import import_module
from typing import Any

from functions.common.platform.http import TIMEOUT_S

MODULES = {"x": "x", "bluesky": "bluesky", "mastodon": "mastodon", "facebook": "facebook",
           "instagram": "instagram", "linkedin": "linkedin", "tiktok": "tiktok"}  # fmt: skip

# What a platform may give, in the lake's words (each platform module maps its own names):
# likes (reactions, favourites), shares (reposts, reblogs, retweets), comments (replies),
# quotes, saves, views (what platforms now call views: plays, impressions), reach (unique
# accounts that saw it), clicks (link clicks).
METRICS = ("likes", "shares", "comments", "quotes", "saves", "views", "reach", "clicks")

OK, DELETED, PENDING = "ok", "deleted", "pending"
# the platform refused this one post (not a rate limit, a token or a server error): read
# again at its next checkpoint, so one post can never hold its account's others
REFUSED = "refused"

# Where a row of the lake's ``engagement`` table came from.
READBACK, BACKFILL, IMPORT = "readback", "backfill", "import"
MEDIA_KINDS = ("none", "image", "video", "album")  # a post's media, as ``forecast`` reads it

# The lake's ``engagement`` table: one JSON Lines object per reading, every column present
# (null when unknown; a metric a platform does not give is null, never 0). The Glue table
# (infra/resources.py), the DuckDB views (infra/lake.py) and every writer use this list.
# (name, type in Athena/Glue terms)
ENGAGEMENT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("brand", "string"), ("platform", "string"), ("account", "string"),
    ("campaign", "string"), ("post", "string"), ("locale", "string"),
    ("post_id", "string"), ("url", "string"),
    ("published_at", "string"),  # ISO 8601 UTC
    ("read_at", "string"),  # ISO 8601 UTC
    ("age_hours", "double"),  # read_at - published_at
    ("checkpoint", "string"),  # 1h, 6h, 24h, 72h, 7d; null for backfill and import
    ("status", "string"),  # ok, deleted, pending
    ("detail", "string"),
    ("source", "string"),  # readback, backfill, import
    ("text", "string"),  # the post's text, where known
    ("media", "string"),  # none, image, video, album; null where unknown
    ("followers", "bigint"),  # the account's followers when the row was made, where known
    *((name, "bigint") for name in METRICS),
)  # fmt: skip
# The lake's ``followers`` table: one row per account and UTC day.
FOLLOWERS_COLUMNS: tuple[tuple[str, str], ...] = (
    ("brand", "string"), ("platform", "string"), ("account", "string"),
    ("date", "string"), ("read_at", "string"), ("followers", "bigint"),
)  # fmt: skip


@dataclass(frozen=True)
class Posted:
    """A published post to read back, as its publish record has it."""

    post_id: str  # what publish recorded (Bluesky: the at:// URI; LinkedIn: the URN)
    url: str
    published_at: str  # ISO 8601 UTC
    notes: dict[str, str] = field(default_factory=dict)  # the adapter's notes (record)


@dataclass(frozen=True)
class Reading:
    post_id: str
    metrics: dict[str, int]  # only what the platform gave; names from METRICS
    status: str = OK  # OK | DELETED | PENDING (no counts yet) | REFUSED (core only)
    detail: str = ""  # why, for DELETED, PENDING and REFUSED


@dataclass(frozen=True)
class Recent:
    """One of an account's own posts as its listing endpoint gives it (backfill)."""

    posted: Posted  # published_at: the platform's creation time, ISO 8601 UTC
    reading: Reading
    text: str = ""
    media: str | None = None  # one of MEDIA_KINDS; None: the listing does not say


@dataclass
class Reader:
    """What a platform module needs: the account and how to reach the platform."""

    platform: str
    brand: str
    account: Any  # schema.brand.Account
    base: str  # API root (a local peer in tests and simulate)
    token: Callable[[], str]  # the account's access token (read when first needed)
    timeout: float = TIMEOUT_S
    extra: dict[str, Any] = field(default_factory=dict)


def module(platform: str) -> Any:
    """The platform's read-back module (``read``, ``followers`` and ``recent``)."""
    return import_module(f"functions.ingest.engagement.{MODULES[platform]}")


def counts(values: dict[str, Any], names: dict[str, str]) -> dict[str, int]:
    """The metrics of a platform answer: ``names`` maps the platform's field to ours;
    a field absent, null or not an integer is left out (never 0)."""
    out: dict[str, int] = {}
    for theirs, ours in names.items():
        value = values.get(theirs)
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            out[ours] = out.get(ours, 0) + value
    return out
