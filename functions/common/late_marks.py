"""The late marks of the mention buckets: how ``score`` tells ``alert`` that a bucket it
may have read already has changed since.

``alert`` keeps the buckets it has read in its warm container (functions/alert/store.py)
rather than reading the last 7 hours of buckets of every brand every 5 minutes. A bucket
counted into ``LATE_AFTER_S`` or more after it began gets a mark in the same transaction as
its count: on the brand's late item in the buckets table (pk ``late#<brand>``, sk
``late``), the number ``late:<bucket start>`` gains 1. ``alert`` reads every brand's late
item on each run, with the buckets it does not keep, and reads a kept bucket again when
its mark is not the one it saw. A bucket it read less than ``REREAD_S`` after the bucket
began is read again on every run until it is older: an update in between may carry no mark.
``REREAD_S`` exceeds ``LATE_AFTER_S`` by the clocks' possible disagreement between the
two functions (seconds on Lambda; five minutes allowed).
"""

from __future__ import annotations

from typing import Any

LATE_AFTER_S = 20 * 60  # score marks a bucket counted into this long after it began
REREAD_S = 25 * 60  # alert keeps a bucket it read this long after it began
PREFIX = "late:"  # a mark's attribute: late:<bucket start as YYYY-MM-DDTHH:MMZ>
KEEP_S = 86_400  # a late item nothing marked for a day expires (TTL, expires_at)


def key(brand: str) -> dict[str, Any]:
    """The brand's late item, as the low-level client names it."""
    return {"pk": {"S": f"late#{brand}"}, "sk": {"S": "late"}}
