"""``optimize``'s training: each brand's forecast models, learnt from its own lake rows.

Once a day (its schedule), for each brand of the compiled campaigns:

1. **History.** The brand's rows of the lake's ``engagement`` table (S3
   ``engagement/brand=<b>/...``, every source: read-back, backfill, import) give each post
   its latest reading with status ok made at least ``HISTORY_MIN_AGE_H`` hours after it
   went out (a younger one is a post still gathering engagement: a flop to a model), its
   text, media and followers (the row's, else the account's daily count of the
   ``followers`` table on or before the day it went out). What was read is kept between
   runs (``models/brand=<b>/history.json``: the objects read, each post's latest settled
   reading, the daily follower counts), so that a run reads only the objects written
   since the last one (the lake's objects are named by a digest of their rows: a key read
   once never changes); an unreadable one is read anew from the lake. One history per metric:
   ``engagement`` (likes + shares + comments, what ``socialops forecast`` prints), ``views``
   and ``reach``, each from the posts whose reading has it (a platform that does not give a
   metric adds no post to its history, never a 0).
2. **Training.** ``forecast.fit`` (the code ``socialops forecast`` and the report use), one
   model per metric with at least ``MIN_POSTS`` posts; an account is ``<platform>:<handle>``
   and a post's hour is local to the brand's campaigns' time zone (the first campaign by
   name), as the report reads them.
3. **Storing.** One JSON document per brand, ``models/brand=<b>/forecast.json`` in the
   data bucket: the models as ``Model.to_dict`` writes them (plain numbers and arrays, read
   back without scikit-learn, never unpickled), the number of posts each learnt from, when,
   and a digest of the histories. A brand whose histories have the digest of its stored
   document is not trained again (nothing new settled since).

One brand's failure (a refused object, a malformed line: reported and skipped) stops no
other; a brand that would start with less than ``RESERVE_S`` seconds left waits for the
next run.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from functions.optimize.forecast import Post

MIN_POSTS = 10  # posts of a history before a model is learnt from it
# Bump when forecast.fit learns differently (its settings are in the digest already): every
# brand's stored models are then trained again on the next run. 2: p_viral's parts (dbd7a22).
MODEL_REVISION = 2
HISTORY_MIN_AGE_H = 24  # a reading younger than this after its post is not yet history
RESERVE_S = 120.0  # time a brand's training may take, at most, before the Lambda's end
METRICS = ("engagement", "views", "reach")
FORMAT = "socialops-forecasts"
HISTORY_FORMAT = "socialops-history"
VERSION = 1
HISTORY_VERSION = 2  # 2: early readings kept (placement.py's velocity)
ENGAGEMENT_PREFIX = "engagement/"
FOLLOWERS_PREFIX = "followers/"
MODELS_PREFIX = "models/"


def model_key(brand: str) -> str:
    return f"{MODELS_PREFIX}brand={brand}/forecast.json"


def history_key(brand: str) -> str:
    return f"{MODELS_PREFIX}brand={brand}/history.json"


@dataclass
class Deps:
    s3: Any
    bucket: str
    now: Callable[[], datetime] = lambda: datetime.now(UTC)
    remaining_s: Callable[[], float] = lambda: 900.0
    log: Callable[[str, str, Any], None] = lambda level, message, extra: None


@dataclass
class Summary:
    trained: list[dict[str, Any]] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)  # too little history
    failed: list[dict[str, str]] = field(default_factory=list)
    deferred: list[str] = field(default_factory=list)  # no time left: the next run
    malformed: list[str] = field(default_factory=list)  # lake lines left out, and where

    def as_dict(self) -> dict[str, Any]:
        return {"trained": self.trained, "unchanged": self.unchanged, "skipped": self.skipped,
                "failed": self.failed, "deferred": self.deferred,
                "malformed": self.malformed}  # fmt: skip


# ---- the lake ---------------------------------------------------------------------------


def new_objects(deps: Deps, prefix: str, seen: set[str],
                problems: list[str]) -> Iterator[tuple[str, list[dict[str, Any]]]]:  # fmt: skip
    """Each object under ``prefix`` not in ``seen``, with its JSON objects (the lake's
    objects are named by a digest of what they hold, so a key read once never changes); a
    line that is not one is left out and named in ``problems`` (``key:line``). The caller
    marks what it has taken in as seen."""
    paginator = deps.s3.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=deps.bucket, Prefix=prefix):
        for entry in page.get("Contents", []):
            key = entry["Key"]
            if not key.endswith(".jsonl") or key in seen:
                continue
            body = deps.s3.get_object(Bucket=deps.bucket, Key=key)["Body"].read()
            rows: list[dict[str, Any]] = []
            for number, line in enumerate(body.decode("utf-8", "replace").splitlines(), 1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except ValueError:
                    row = None
                if isinstance(row, dict):
                    rows.append(row)
                else:
                    problems.append(f"{key}:{number}")
            yield key, rows


def _time(text: Any) -> datetime | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def metric_of(row: Mapping[str, Any], metric: str) -> int | None:
    """The row's value of ``metric``; None where the platform did not give it. Engagement
    is the sum of the three counts the platform gave (one it does not give, such as a
    platform's shares, counts 0, as in the report), None when it gave none of them."""
    if metric == "engagement":
        counts = [_count(row.get(name)) for name in ("likes", "shares", "comments")]
        known = [c for c in counts if c is not None]
        return sum(known) if known else None
    return _count(row.get(metric))


EARLY_CHECKPOINTS = ("1h", "6h")  # the readings that tell how fast a post starts
EARLY_KEPT = ("platform", "account", "campaign", "post", "locale", "post_id", "published_at",
              "read_at", "age_hours", "text", "media", "followers", "likes", "comments")  # fmt: skip
KEPT = ("platform", "account", "post_id", "published_at", "read_at", "text", "media",
        "followers", "likes", "shares", "comments", "views", "reach")  # fmt: skip


@dataclass
class History:
    """A brand's settled history as kept between runs (``history_key``): the lake objects
    read, each post's latest settled reading (the columns training reads), each account's
    daily follower counts."""

    objects: set[str] = field(default_factory=set)
    readings: dict[str, dict[str, Any]] = field(default_factory=dict)  # "<platform> <post_id>"
    followers: dict[str, dict[str, int]] = field(default_factory=dict)  # "<platform> <account>"
    # each post's early readings, by checkpoint ("1h", "6h"): its velocity (placement.py)
    early: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)

    def add_reading(self, row: Mapping[str, Any], now: datetime) -> bool:
        """The row, if it is a settled reading (ok, made at least ``HISTORY_MIN_AGE_H``
        after its post) later than the post's one kept (on a tie, the larger row, so that
        the order objects are read in does not matter). False for a reading made after
        ``now`` (a clock behind the lake's): its object must be read again later."""
        if row.get("status") != "ok":
            return True
        published, read = _time(row.get("published_at")), _time(row.get("read_at"))
        if published is None or read is None:
            return True
        if read > now:
            return False
        if read - published < timedelta(hours=HISTORY_MIN_AGE_H):
            checkpoint = row.get("checkpoint")
            if checkpoint in EARLY_CHECKPOINTS:  # how fast it started (placement.py)
                kept_early = self.early.setdefault(f"{row.get('platform')} {row.get('post_id')}", {})  # fmt: skip
                kept_early[str(checkpoint)] = {name: row.get(name) for name in EARLY_KEPT}
            return True
        key = f"{row.get('platform')} {row.get('post_id')}"
        new = {name: row.get(name) for name in KEPT}
        kept = self.readings.get(key)
        if kept is None or (read, _order(new)) > (_time(kept["read_at"]) or read, _order(kept)):
            self.readings[key] = new
        return True

    def add_followers(self, row: Mapping[str, Any]) -> None:
        count, day = _count(row.get("followers")), row.get("date")
        if count is not None and isinstance(day, str):
            self.followers.setdefault(f"{row.get('platform')} {row.get('account') or ''}", {})[day] = count  # fmt: skip

    def follower_count(self, days: Mapping[str, list[str]], platform: str, account: str,
                       moment: datetime) -> int | None:  # fmt: skip
        """The account's latest daily count on or before the day of ``moment`` (UTC);
        ``days``: each account's days, sorted (``sorted_days``)."""
        key = f"{platform} {account}"
        known = days.get(key)
        if not known:
            return None
        at = bisect.bisect_right(known, moment.astimezone(UTC).strftime("%Y-%m-%d"))
        return self.followers[key][known[at - 1]] if at else None

    def sorted_days(self) -> dict[str, list[str]]:
        return {key: sorted(counts) for key, counts in self.followers.items()}

    def posts(self, zone: ZoneInfo) -> dict[str, list[Post]]:
        """Per metric, each post's kept reading as a ``Post``, oldest first (see the
        module: engagement, views, reach; a metric the reading lacks adds no post)."""
        out: dict[str, list[Post]] = {m: [] for m in METRICS}
        days = self.sorted_days()  # once, not once a post
        for row in sorted(self.readings.values(), key=lambda r: (r["published_at"], r["platform"], r["post_id"])):  # fmt: skip
            published = _time(row["published_at"])
            assert published is not None  # only settled readings are kept
            platform, account = str(row["platform"]), str(row.get("account") or "")
            known = _count(row.get("followers"))
            count = (
                known
                if known is not None
                else self.follower_count(days, platform, account, published)
            )
            media = row.get("media") if row.get("media") in ("none", "image", "video", "album") else None  # fmt: skip
            for metric in METRICS:
                value = metric_of(row, metric)
                if value is not None:
                    out[metric].append(Post(f"{platform}:{account}", published.astimezone(zone),
                                            str(row.get("text") or ""), media, count, value))  # fmt: skip
        return out

    def as_dict(self) -> dict[str, Any]:
        return {"format": HISTORY_FORMAT, "version": HISTORY_VERSION, "objects": sorted(self.objects),
                "readings": self.readings, "followers": self.followers,
                "early": self.early}  # fmt: skip

    @classmethod
    def of(cls, doc: Any) -> History:
        """The history a document holds; an empty one for anything else (read anew)."""
        if not isinstance(doc, dict) or doc.get("format") != HISTORY_FORMAT or doc.get("version") != HISTORY_VERSION:  # fmt: skip
            return cls()
        try:
            return cls(set(doc["objects"]), dict(doc["readings"]), dict(doc["followers"]),
                       dict(doc["early"]))  # fmt: skip
        except (KeyError, TypeError, ValueError):
            return cls()


def _order(row: Mapping[str, Any]) -> str:
    return json.dumps(row, sort_keys=True, ensure_ascii=False, default=str)


def refresh(deps: Deps, brand: str, history: History, problems: list[str]) -> tuple[bool, bool]:  # fmt: skip
    """``history`` with the brand's lake objects it has not read: whether it changed, and
    whether it is complete (False: time ran short, the rest is read on the next run; what
    was read is kept)."""
    before = len(history.objects)
    now = deps.now()
    for prefix, take in ((FOLLOWERS_PREFIX, "followers"), (ENGAGEMENT_PREFIX, "engagement")):
        for key, rows in new_objects(deps, f"{prefix}brand={brand}/", history.objects, problems):
            if take == "followers":
                for row in rows:
                    history.add_followers(row)
                done = True
            else:
                done = all([history.add_reading(row, now) for row in rows])
            if done:
                history.objects.add(key)
            if deps.remaining_s() < RESERVE_S:
                return len(history.objects) != before, False
    return len(history.objects) != before, True


def digest(found: Mapping[str, Sequence[Post]]) -> str:
    """What the models would learn from, and how, as one digest: a stored model learnt by
    another revision of the fitting (``MODEL_REVISION``, the settings) is trained again."""
    from functions.optimize.forecast import Settings

    lines: list[Any] = [MODEL_REVISION, repr(Settings())]
    lines += [[m, p.account, p.created_at.isoformat(), p.text, p.media, p.followers, p.engagement]
              for m in sorted(found) for p in found[m]]  # fmt: skip
    return hashlib.sha256(json.dumps(lines, ensure_ascii=False).encode()).hexdigest()


# ---- training ---------------------------------------------------------------------------


def _read(deps: Deps, key: str) -> Any:
    """The JSON document at ``key``; None when there is none (or it is not JSON)."""
    try:
        body = deps.s3.get_object(Bucket=deps.bucket, Key=key)["Body"].read()
    except deps.s3.exceptions.NoSuchKey:
        return None
    try:
        return json.loads(body)
    except ValueError:
        return None


def _write(deps: Deps, key: str, doc: Mapping[str, Any]) -> int:
    body = json.dumps(doc, allow_nan=False, ensure_ascii=False, separators=(",", ":")).encode()
    deps.s3.put_object(Bucket=deps.bucket, Key=key, Body=body, ContentType="application/json")
    return len(body)


def stored(deps: Deps, brand: str) -> dict[str, Any] | None:
    """The brand's stored models document, or None when it has none (or an unreadable one)."""
    doc = _read(deps, model_key(brand))
    return doc if isinstance(doc, dict) and doc.get("format") == FORMAT else None


def train_brand(deps: Deps, brand: str, zone: ZoneInfo, summary: Summary) -> None:
    from functions.optimize.forecast import fit

    problems: list[str] = []
    history = History.of(_read(deps, history_key(brand)))
    changed, complete = refresh(deps, brand, history, problems)
    if changed:
        _write(deps, history_key(brand), history.as_dict())
    summary.malformed += problems
    if not complete:
        summary.deferred.append(brand)
        return
    found = history.posts(zone)
    learnable = {m: posts for m, posts in found.items() if len(posts) >= MIN_POSTS}
    if not learnable:
        summary.skipped.append({"brand": brand, "reason": (
            f"too little history: {len(found['engagement'])} posts read back at least "
            f"{HISTORY_MIN_AGE_H} h after going out, training needs {MIN_POSTS}")})  # fmt: skip
        return
    signature = digest(learnable)
    old = stored(deps, brand)
    if old is not None and old.get("digest") == signature:
        summary.unchanged.append(brand)
        return
    began = time.perf_counter()
    models = {m: fit(posts, seed=0).to_dict() for m, posts in learnable.items()}
    doc = {"format": FORMAT, "version": VERSION, "brand": brand,
           "trained_at": deps.now().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
           "zone": zone.key, "digest": signature,
           "posts": {m: len(p) for m, p in learnable.items()}, "models": models}  # fmt: skip
    size = _write(deps, model_key(brand), doc)
    summary.trained.append({"brand": brand, "posts": doc["posts"], "bytes": size,
                            "seconds": round(time.perf_counter() - began, 2)})  # fmt: skip


def brand_zones(configs: Mapping[str, Any]) -> dict[str, str]:
    """Each brand and the time zone its posts' hours are read in (its first campaign's)."""
    zones: dict[str, str] = {}
    for name in sorted(configs):
        config = configs[name]
        zones.setdefault(config.brand.name, str(config.campaign.timezone))
    return zones


def run(deps: Deps, configs: Mapping[str, Any]) -> dict[str, Any]:
    """Train every brand of ``configs``; what was done, brand by brand."""
    summary = Summary()
    for brand, zone in sorted(brand_zones(configs).items()):
        if deps.remaining_s() < RESERVE_S:
            summary.deferred.append(brand)
            continue
        try:
            train_brand(deps, brand, ZoneInfo(zone), summary)
        except Exception as error:  # this brand fails, reported; the others go on
            deps.log("exception", f"optimize: brand {brand} not trained", {"brand": brand})
            summary.failed.append({"brand": brand, "error": f"{type(error).__name__}: {error}"})
    return summary.as_dict()
