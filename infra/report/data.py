"""What the report reads: the lake's rows (DuckDB, infra/lake.py), the alert incidents and
the publishing pauses (DynamoDB items, or what ``simulate`` already holds).

Every query is ordered, so that the same lake gives the same report. Engagement is likes +
shares + comments, a metric the platform does not give counting 0, as the goals count it
(infra/goals.py); a post's followers are the row's own count, else the account's daily
reading at or before the post (an ASOF join, as the goals do).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from functions.common.pause import PauseFlag
from functions.optimize.training import HISTORY_MIN_AGE_H


def engagement_sql(alias: str = "") -> str:
    """likes + shares + comments of a row (of ``alias``), a missing metric counting 0."""
    a = f"{alias}." if alias else ""
    return f"coalesce({a}likes, 0) + coalesce({a}shares, 0) + coalesce({a}comments, 0)"


ENGAGEMENT = engagement_sql()
HAS_COUNTS = "(likes IS NOT NULL OR shares IS NOT NULL OR comments IS NOT NULL)"
# A reading made sooner than HISTORY_MIN_AGE_H after its post is left out of what a
# forecast learns from: the post was still gathering engagement, and the forecast is of a
# post's engagement, not of its first hours (the read-back's 1 h and 6 h checkpoints). The
# optimize function's training reads the lake the same way.
INCIDENT_PREFIX = "incident#"  # pk of an incident item: incident#<campaign>/<rule>


def parse_time(text: str) -> datetime:
    """An ISO 8601 UTC stamp as the writers write it (``...Z``, with or without seconds)."""
    moment = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# -- the lake ---------------------------------------------------------------------------


def rows(lake: Any, sql: str, **params: Any) -> list[dict[str, Any]]:
    """The rows of ``sql`` with named parameters (``$name``), as dictionaries."""
    cursor = lake.db.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


@dataclass(frozen=True)
class PostReading:
    """A post of the campaign with its latest reading."""

    platform: str
    account: str
    post: str  # the campaign's post id
    post_id: str  # the platform's
    locale: str
    published_at: datetime
    read_at: datetime
    checkpoint: str  # 1h, 6h, 24h, 72h, 7d; "" when none
    age_hours: float  # at the reading
    text: str
    media: str | None
    engagement: int
    followers: int | None  # the account's, on the day of posting


_FOLLOWERS_ASOF = """
    ASOF LEFT JOIN (SELECT brand, platform, followers, CAST(read_at AS TIMESTAMPTZ) AS ts
                    FROM followers WHERE brand = $brand) f
      ON p.brand = f.brand AND p.platform = f.platform AND p.ts >= f.ts
"""


def campaign_posts(lake: Any, brand: str, campaign: str, channels: list[str], start: datetime,
                   until: datetime) -> list[PostReading]:  # fmt: skip
    """The campaign's posts published in [start, until) with their latest reading."""
    found = rows(lake, f"""
        SELECT p.platform, p.account, p.post, p.post_id, p.locale, p.published_at, p.read_at,
               p.checkpoint, p.age_hours, p.text, p.media, {engagement_sql("p")} AS engagement,
               coalesce(p.followers, f.followers) AS base
        FROM (SELECT *, CAST(published_at AS TIMESTAMPTZ) AS ts FROM latest
              WHERE brand = $brand AND campaign = $campaign AND list_contains($channels, platform)
                AND CAST(published_at AS TIMESTAMPTZ) >= CAST($start AS TIMESTAMPTZ)
                AND CAST(published_at AS TIMESTAMPTZ) < CAST($until AS TIMESTAMPTZ)) p
        {_FOLLOWERS_ASOF}
        ORDER BY p.ts, p.platform, p.post_id""", brand=brand, campaign=campaign,
        channels=channels, start=iso(start), until=iso(until))  # fmt: skip
    return [PostReading(r["platform"], r["account"] or "", r["post"] or "", r["post_id"],
                        r["locale"] or "", parse_time(r["published_at"]), parse_time(r["read_at"]),
                        r["checkpoint"] or "", float(r["age_hours"] or 0.0), r["text"] or "",
                        r["media"], int(r["engagement"]),
                        int(r["base"]) if r["base"] is not None else None)
            for r in found]  # fmt: skip


@dataclass(frozen=True)
class Known:
    """One earlier post of the brand as a reading made by some time showed it."""

    platform: str
    account: str
    post_id: str
    published_at: datetime
    text: str
    media: str | None
    followers: int | None
    engagement: int
    views: int | None = None  # where the platform gives them
    reach: int | None = None


def known_before(lake: Any, brand: str, cutoffs: Iterable[datetime]) -> dict[datetime, list[Known]]:  # fmt: skip
    """For each cutoff, the brand's posts published before it, each with its latest reading
    made at or before it and at least ``HISTORY_MIN_AGE_H`` after the post (status ok, with
    counts): what a forecast made then could learn from. Every platform of the brand, every
    source (read-back, backfill, import)."""
    wanted = sorted({c.astimezone(UTC) for c in cutoffs})
    out: dict[datetime, list[Known]] = {c: [] for c in wanted}
    if not wanted:
        return out
    by_epoch = {int(c.timestamp()): c for c in wanted}
    found = rows(lake, f"""
        WITH p AS (SELECT *, CAST(published_at AS TIMESTAMPTZ) AS ts FROM engagement
                   WHERE brand = $brand AND status = 'ok' AND {HAS_COUNTS}),
             r AS (SELECT p.platform, p.account, p.post_id, p.published_at, p.text, p.media,
                          p.views, p.reach,
                          p.ts AS pub, CAST(p.read_at AS TIMESTAMPTZ) AS rd,
                          {engagement_sql("p")} AS engagement,
                          coalesce(p.followers, f.followers) AS base
                   FROM p {_FOLLOWERS_ASOF}),
             c AS (SELECT DISTINCT CAST(unnest($cutoffs) AS TIMESTAMPTZ) AS cutoff)
        SELECT DISTINCT ON (c.cutoff, r.platform, r.post_id)
               CAST(epoch(c.cutoff) AS BIGINT) AS cutoff, r.*
        FROM c JOIN r ON r.rd <= c.cutoff AND r.pub < c.cutoff
                     AND epoch(r.rd) - epoch(r.pub) >= $min_age
        ORDER BY c.cutoff, r.platform, r.post_id, r.rd DESC""",
        brand=brand, cutoffs=[iso(c) for c in wanted], min_age=HISTORY_MIN_AGE_H * 3600)  # fmt: skip
    for r in found:
        out[by_epoch[int(r["cutoff"])]].append(Known(
            r["platform"], r["account"] or "", r["post_id"], parse_time(r["published_at"]),
            r["text"] or "", r["media"], int(r["base"]) if r["base"] is not None else None,
            int(r["engagement"]), r["views"], r["reach"]))  # fmt: skip
    return out


def latest_followers(lake: Any, brand: str, until: datetime) -> dict[str, int]:
    """Each platform's latest daily follower count of the brand before ``until``."""
    found = rows(lake, """
        SELECT DISTINCT ON (platform) platform, followers FROM followers
        WHERE brand = $brand AND followers IS NOT NULL
          AND CAST(read_at AS TIMESTAMPTZ) < CAST($until AS TIMESTAMPTZ)
        ORDER BY platform, CAST(read_at AS TIMESTAMPTZ) DESC""", brand=brand, until=iso(until))  # fmt: skip
    return {r["platform"]: int(r["followers"]) for r in found}


def daily_gains(lake: Any, brand: str, channels: list[str], start: datetime,
                until: datetime) -> list[float]:  # fmt: skip
    """The followers the campaign's channels gained each day in [start, until): per
    channel the change between consecutive daily readings spread evenly over the days
    between them (a channel read every other day gains on both), summed per day."""
    found = rows(lake, """
        WITH d AS (SELECT platform, CAST(date AS DATE) AS day, max(followers) AS followers
                   FROM followers
                   WHERE brand = $brand AND list_contains($channels, platform)
                     AND followers IS NOT NULL
                     AND CAST(read_at AS TIMESTAMPTZ) >= CAST($start AS TIMESTAMPTZ)
                     AND CAST(read_at AS TIMESTAMPTZ) < CAST($until AS TIMESTAMPTZ)
                   GROUP BY platform, day),
             g AS (SELECT day, lag(day) OVER w AS before, (followers - lag(followers) OVER w)
                               / (day - lag(day) OVER w) AS gain
                   FROM d WINDOW w AS (PARTITION BY platform ORDER BY day)),
             e AS (SELECT unnest(generate_series(CAST(before + 1 AS TIMESTAMP),
                                                 CAST(day AS TIMESTAMP), INTERVAL 1 DAY)) AS day,
                          gain
                   FROM g WHERE gain IS NOT NULL)
        SELECT day, sum(gain) AS gain FROM e GROUP BY day ORDER BY day""", brand=brand, channels=channels, start=iso(start),
        until=iso(until))  # fmt: skip
    return [float(r["gain"]) for r in found]


@dataclass(frozen=True)
class HourCell:
    platform: str
    day: int  # 0 Monday .. 6 Sunday
    hour: int  # 0..23, local
    posts: int
    mean: float  # mean engagement


def hour_of_week(lake: Any, brand: str, channels: list[str], zone: str,
                 until: datetime) -> list[HourCell]:  # fmt: skip
    """The brand's posts on ``channels`` published before ``until`` (each once, its latest
    reading), by platform and local hour of the week in ``zone``."""
    found = rows(lake, f"""
        SELECT platform, isodow(loc) - 1 AS day, hour(loc) AS hour, count(*) AS posts,
               avg(engagement) AS mean
        FROM (SELECT platform, timezone($zone, CAST(published_at AS TIMESTAMPTZ)) AS loc,
                     {ENGAGEMENT} AS engagement
              FROM latest WHERE brand = $brand AND list_contains($channels, platform)
                AND {HAS_COUNTS}
                AND CAST(published_at AS TIMESTAMPTZ) < CAST($until AS TIMESTAMPTZ))
        GROUP BY ALL ORDER BY platform, day, hour""", brand=brand, channels=channels,
        zone=zone, until=iso(until))  # fmt: skip
    return [HourCell(r["platform"], int(r["day"]), int(r["hour"]), int(r["posts"]),
                     float(r["mean"])) for r in found]  # fmt: skip


@dataclass(frozen=True)
class MentionBucket:
    start: datetime
    mentions: int
    negative: int
    polarity: float  # mean


def mention_buckets(lake: Any, brand: str, start: datetime, until: datetime,
                    step_s: int) -> list[MentionBucket]:  # fmt: skip
    """The brand's mentions created in [start, until), counted in buckets of ``step_s``
    seconds from the epoch (only buckets with mentions)."""
    found = rows(lake, """
        SELECT CAST(floor(epoch(ts) / $step) AS BIGINT) * $step AS bucket, count(*) AS n,
               count(*) FILTER (WHERE label = 'negative') AS negative,
               avg(polarity) AS polarity
        FROM (SELECT *, CAST(created_at AS TIMESTAMPTZ) AS ts FROM mentions
              WHERE brand = $brand) m
        WHERE ts >= CAST($start AS TIMESTAMPTZ) AND ts < CAST($until AS TIMESTAMPTZ)
        GROUP BY 1 ORDER BY 1""", brand=brand, start=iso(start), until=iso(until),
        step=step_s)  # fmt: skip
    return [MentionBucket(datetime.fromtimestamp(int(r["bucket"]), UTC), int(r["n"]),
                          int(r["negative"]), float(r["polarity"] or 0.0)) for r in found]  # fmt: skip


def mention_span(lake: Any, brand: str, start: datetime, until: datetime) -> tuple[datetime, datetime] | None:  # fmt: skip
    """The first and last mention of the brand in [start, until), or None."""
    found = rows(lake, """
        SELECT min(created_at) AS first, max(created_at) AS last, count(*) AS n
        FROM mentions WHERE brand = $brand
          AND CAST(created_at AS TIMESTAMPTZ) >= CAST($start AS TIMESTAMPTZ)
          AND CAST(created_at AS TIMESTAMPTZ) < CAST($until AS TIMESTAMPTZ)""",
        brand=brand, start=iso(start), until=iso(until))[0]  # fmt: skip
    if not found["n"]:
        return None
    return parse_time(found["first"]), parse_time(found["last"])


# -- incidents and pauses ---------------------------------------------------------------


def _plain(value: Any) -> Any:
    """A DynamoDB value in either of boto3's forms, as Python (client form: {"S": ...})."""
    if isinstance(value, Mapping) and len(value) == 1:
        ((kind, inner),) = value.items()
        if kind in ("S", "N", "BOOL", "NULL"):
            return None if kind == "NULL" else (Decimal(inner) if kind == "N" else inner)
    return value


@dataclass(frozen=True)
class Incident:
    """An alert incident: a campaign's rule that fired (and maybe resolved)."""

    campaign: str
    rule: str
    brand: str
    type: str
    fired_at: datetime
    resolved_at: datetime | None = None
    threshold: str = ""  # the rule in words
    measured: str = ""  # what was measured when it fired
    action: str = ""  # the action, in words (notify only, paused...)
    resolved_measured: str = ""
    withdrawn: str = ""  # why it was closed without resolving, when it was
    suppressed: str = ""  # "cooldown": recorded, not sent

    @property
    def paused(self) -> bool:
        """This incident paused the brand's publishing (not: found it paused already)."""
        return "is now PAUSED" in self.action

    @classmethod
    def of(cls, item: Incident | Mapping[str, Any]) -> Incident | None:
        """An incident from an AlertIncidentsTable item; None for the table's other items
        (the brands' alert state)."""
        if isinstance(item, Incident):
            return item
        values = {k: _plain(v) for k, v in item.items()}
        pk = str(values.get("pk", ""))
        if not pk.startswith(INCIDENT_PREFIX) or "/" not in pk:
            return None
        campaign, _, rule = pk[len(INCIDENT_PREFIX) :].partition("/")
        fired = values.get("fired_at") or values.get("sk")
        resolved = values.get("resolved_at")
        return cls(campaign, rule, str(values.get("brand", "")), str(values.get("type", "")),
                   parse_time(str(fired)), parse_time(str(resolved)) if resolved else None,
                   str(values.get("rule", "") or ""), str(values.get("measured", "") or ""),
                   str(values.get("action", "") or ""),
                   str(values.get("resolved_measured", "") or ""),
                   str(values.get("withdrawn", "") or ""),
                   str(values.get("suppressed", "") or ""))  # fmt: skip


def incidents_of(items: Iterable[Any]) -> list[Incident]:
    found = [i for i in (Incident.of(item) for item in items) if i is not None]
    return sorted(found, key=lambda i: (i.fired_at, i.campaign, i.rule))


def pauses_of(items: Iterable[Any]) -> list[PauseFlag]:
    out = []
    for item in items:
        if isinstance(item, PauseFlag):
            out.append(item)
            continue
        values = {k: _plain(v) for k, v in item.items()}
        out.append(PauseFlag(str(values.get("brand", "")), str(values.get("reason", "") or ""),
                             str(values.get("by", "") or ""), str(values.get("since", "") or "")))  # fmt: skip
    return sorted(out, key=lambda p: (p.brand, p.since))


@dataclass(frozen=True)
class Placement:
    """Where optimize placed an ``at: auto`` occurrence (functions/optimize/placement.py),
    from its publish record."""

    campaign: str
    post: str
    channel: str
    locale: str
    fallback: str  # the compiled fallback time (UTC), the occurrence's identity
    placed_at: str  # where it goes out (UTC)
    reason: str  # why there: best, explored, or the lagging post that moved it
    status: str  # publish's outcome once fired ("" before)
    moved: bool  # moved after a post lagged (not only placed)

    @classmethod
    def of(cls, item: Placement | Mapping[str, Any]) -> Placement | None:
        """A placement from a PublishRecordsTable item; None for an item never placed."""
        if isinstance(item, Placement):
            return item
        values = {k: _plain(v) for k, v in item.items()}
        if not values.get("placed_at"):
            return None
        campaign, _, post = str(values.get("pk", "")).partition("#")
        channel, locale, fallback = [*str(values.get("sk", "")).split("#", 2), "", ""][:3]
        return cls(campaign, post, channel, "" if locale == "-" else locale, fallback,
                   str(values["placed_at"]), str(values.get("placed_reason", "") or ""),
                   str(values.get("status", "") or ""), bool(values.get("moved_for")))  # fmt: skip


def placements_of(items: Iterable[Any]) -> list[Placement]:
    found = [p for p in (Placement.of(item) for item in items) if p is not None]
    return sorted(found, key=lambda p: (p.campaign, p.fallback, p.post, p.channel, p.locale))


def read_placements(table: Any) -> list[Placement]:
    """The placed ``at: auto`` occurrences in a PublishRecordsTable (a boto3 Table)."""
    from boto3.dynamodb.conditions import Attr

    return placements_of(scan(table, FilterExpression=Attr("placed_at").exists()))


def scan(table: Any, **given: Any) -> list[dict[str, Any]]:
    """Every item of a DynamoDB table (a boto3 Table resource), page by page (``given``:
    more arguments of each scan, a filter)."""
    items: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = dict(given)
    while True:
        page = table.scan(**kwargs)
        items += page.get("Items", [])
        if not page.get("LastEvaluatedKey"):
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def read_incidents(table: Any) -> list[Incident]:
    """The incidents in an AlertIncidentsTable (a boto3 Table resource)."""
    return incidents_of(scan(table))


def read_pauses(table: Any) -> list[PauseFlag]:
    """The pauses in a PauseFlagsTable (a boto3 Table resource): the brands paused now."""
    return pauses_of(scan(table))
