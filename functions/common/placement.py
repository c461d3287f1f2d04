"""Where an ``at: auto`` occurrence goes out: the placement record both ``optimize`` (which
places and moves it) and ``publish`` (which fires it) read (ARCHITECTURE.md: who owns a
schedule).

An occurrence keeps one identity, (campaign, post, channel, locale, compiled fallback time):
the payload of its fallback schedule, which ``socialops deploy`` owns. Its publish record
(PublishRecordsTable, keyed by that identity: :func:`record_key`) carries the placement in
``placed_at`` (the UTC time it now goes out) before anything claims it:

- until ``optimize`` has placed it, there is no ``placed_at`` and the fallback schedule
  posts it at the compiled time, so nothing is lost if training or placing fails;
- once placed, ``optimize`` has created a one-time schedule in the campaign's functions'
  group (:func:`place_name`), whose payload is the fallback's plus ``placed_at``. The
  fallback firing then steps aside (``moved``), and the placed firing goes on only while
  its ``placed_at`` is the record's. ``publish``'s claim is conditional on the same, and
  ``optimize`` moves a placement only while nothing has claimed the occurrence, so the two
  can never both post.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

PLACED_AT = "placed_at"  # the record's attribute: the UTC time the occurrence goes out
PLACED_KEY = "placed_at"  # the placed schedule's payload key (the same stamp)


def record_key(campaign: str, post: str, channel: str, locale: str, scheduled_for: str) -> dict[str, str]:  # fmt: skip
    """The publish record's key of an occurrence (its identity)."""
    return {"pk": f"{campaign}#{post}", "sk": f"{channel}#{locale or '-'}#{scheduled_for}"}


def identity(campaign: str, post: str, channel: str, locale: str, scheduled_for: str) -> str:
    """An occurrence in words, as logs, records and schedule names give it."""
    where = f" [{locale}]" if locale else ""
    return f"{campaign}/{post} on {channel}{where} at {scheduled_for}"


def place_name(identity: str, at: datetime) -> str:
    """A placed firing's schedule name: the occurrence (hashed) and the UTC minute it fires,
    so that placing the same occurrence at the same time twice is one schedule (64
    characters at most)."""
    digest = hashlib.sha256(identity.encode()).hexdigest()[:24]
    return f"place-{digest}-{at.astimezone(UTC):%Y%m%dT%H%MZ}"


def superseded(placed: str, record: dict[str, object] | None) -> str | None:
    """Why a firing of an ``at: auto`` occurrence must step aside, or None when it is the
    one to post: ``placed`` is the firing's ``placed_at`` ("" for the fallback schedule),
    ``record`` the occurrence's publish record (None: none yet)."""
    current = str((record or {}).get(PLACED_AT, "") or "")
    if current == placed:
        return None
    if not current:
        return f"optimize's placement at {placed} was never recorded: the fallback posts it"
    how = str((record or {}).get("placed_reason", "") or "")
    return f"optimize placed it at {current}" + (f" ({how})" if how else "")
