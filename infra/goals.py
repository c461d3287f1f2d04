"""Each campaign goal's progress, measured in the data lake (infra/lake.py) with DuckDB.

How each KPI is read (the README's "Goals" says the same to users):

- ``views`` (and ``impressions``, read as views: validate says W801): the sum of the
  latest views of the campaign's posts, on the platforms that give views;
- ``video_views``: the same, over the posts that carried a video;
- ``reach``: the sum of each post's reach where the platform gives it (a person reached
  by two posts counts twice: no platform gives a campaign's unique reach);
- ``engagement_rate``: the mean over the campaign's posts of engagement (likes + shares +
  comments, as ``forecast`` counts it) divided by the account's followers on the day the
  post went out (the daily follower reading at or before it);
- ``clicks``: the sum of link clicks where the platform gives them (LinkedIn, X for the
  owner's own posts); ``ctr``: those clicks over the views of the same posts;
- ``followers``: followers gained on the campaign's channels, from the first reading in
  the window to the last one before the goal's time;
- ``mentions``: the brand's mentions created in the window (listening); ``sentiment``:
  their mean polarity, as the alert rules compute it;
- ``conversions`` and ``roas``: not measurable from the platforms (they come from an
  ads manager or web analytics, which socialops does not read).

A goal is measured from the campaign window's start to its ``by`` (default: the window's
end), or to now when that is later than now: progress so far.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from functions.common.readback import stamp

UNMEASURABLE = {
    "conversions": "conversions come from an ads manager or web analytics, which socialops "
    "does not read: not measurable from the platforms",
    "roas": "return on ad spend needs revenue from an ads manager or web analytics, which "
    "socialops does not read: not measurable from the platforms",
}
ENGAGEMENT = "coalesce(likes, 0) + coalesce(shares, 0) + coalesce(comments, 0)"


@dataclass(frozen=True)
class Progress:
    campaign: str
    kpi: str
    target: float
    by: str  # ISO 8601 UTC
    value: float | None  # None: nothing measured yet, or not measurable
    progress: float | None  # value / target (sentiment: None; see met)
    met: bool | None
    basis: str  # what was measured, on how many posts or mentions

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _utc(local: datetime, zone: str) -> datetime:
    return local.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)


def progress(lake: Any, config: Any, now: datetime) -> list[Progress]:
    """The progress of each goal of one compiled campaign (schema.documents.RuntimeConfig)."""
    campaign = config.campaign
    start = _utc(campaign.window.start, campaign.timezone)
    out: list[Progress] = []
    for goal in campaign.goals:
        by = _utc(goal.by or campaign.window.end, campaign.timezone)
        until = min(by, now)
        scope = Scope(campaign.brand, campaign.name, [str(c) for c in campaign.channels],
                      stamp(start), stamp(until))  # fmt: skip
        if goal.kpi in UNMEASURABLE:
            value, basis = None, UNMEASURABLE[goal.kpi]
        else:
            value, basis = MEASURES[goal.kpi](lake, scope)
        if value is None:
            share, met = None, None
        elif goal.kpi == "sentiment":
            share, met = None, value >= goal.target
        else:
            share = value / goal.target if goal.target else None
            met = value >= goal.target
        out.append(Progress(campaign.name, goal.kpi, goal.target, stamp(by), value, share, met,
                            basis))  # fmt: skip
    return out


@dataclass(frozen=True)
class Scope:
    brand: str
    campaign: str
    channels: list[str]
    start: str  # ISO UTC
    until: str  # ISO UTC


_POSTS = """
    SELECT p.*, coalesce(p.followers, f.followers) AS base
    FROM (SELECT *, CAST(published_at AS TIMESTAMPTZ) AS ts FROM latest
          WHERE brand = $brand AND campaign = $campaign AND list_contains($channels, platform)
            AND CAST(published_at AS TIMESTAMPTZ) >= CAST($start AS TIMESTAMPTZ)
            AND CAST(published_at AS TIMESTAMPTZ) < CAST($until AS TIMESTAMPTZ)) p
    ASOF LEFT JOIN (SELECT brand, platform, followers, CAST(read_at AS TIMESTAMPTZ) AS ts
                    FROM followers) f
      ON p.brand = f.brand AND p.platform = f.platform AND p.ts >= f.ts
"""


def _params(scope: Scope) -> dict[str, Any]:
    return {"brand": scope.brand, "campaign": scope.campaign, "channels": scope.channels,
            "start": scope.start, "until": scope.until}  # fmt: skip


def _one(lake: Any, sql: str, scope: Scope) -> dict[str, Any]:
    # DuckDB refuses a named parameter the query does not use
    cursor = lake.db.execute(sql, {k: v for k, v in _params(scope).items() if f"${k}" in sql})
    names = [d[0] for d in cursor.description]
    return dict(zip(names, cursor.fetchone(), strict=True))


def _platforms(found: Any) -> str:
    return ", ".join(sorted(found)) if found else "none"


def _summed(metric: str, where: str = "true", what: str = "") -> Any:
    def measure(lake: Any, scope: Scope) -> tuple[float | None, str]:
        row = _one(lake, f"""
            SELECT sum({metric}) AS value, count({metric}) AS given, count(*) AS posts,
                   list(DISTINCT platform) FILTER (WHERE {metric} IS NOT NULL) AS platforms
            FROM ({_POSTS}) WHERE {where}""", scope)  # fmt: skip
        basis = (f"sum of {what or metric} over {row['given']} of the campaign's "
                 f"{row['posts']} posts read back (platforms giving it: "
                 f"{_platforms(row['platforms'])})")  # fmt: skip
        return (float(row["value"]) if row["given"] else None), basis

    return measure


def _engagement_rate(lake: Any, scope: Scope) -> tuple[float | None, str]:
    row = _one(lake, f"""
        SELECT avg(({ENGAGEMENT}) / base) AS value, count(*) FILTER (WHERE base > 0) AS used,
               count(*) AS posts
        FROM ({_POSTS}) WHERE base > 0 OR base IS NULL""", scope)  # fmt: skip
    basis = (f"engagement (likes + shares + comments) per follower of the account on the day "
             f"of posting, mean over {row['used']} of the campaign's {row['posts']} posts read "
             "back")  # fmt: skip
    return (float(row["value"]) if row["used"] else None), basis


def _ctr(lake: Any, scope: Scope) -> tuple[float | None, str]:
    row = _one(lake, f"""
        SELECT sum(clicks) AS clicks, sum(views) AS views, count(*) AS used
        FROM ({_POSTS}) WHERE clicks IS NOT NULL AND views > 0""", scope)  # fmt: skip
    basis = f"link clicks over views, on the {row['used']} posts whose platform gives both"
    return (float(row["clicks"]) / float(row["views"]) if row["used"] else None), basis


def _followers(lake: Any, scope: Scope) -> tuple[float | None, str]:
    row = _one(lake, """
        WITH r AS (SELECT platform, followers, CAST(read_at AS TIMESTAMPTZ) AS ts FROM followers
                   WHERE brand = $brand AND list_contains($channels, platform)
                     AND CAST(read_at AS TIMESTAMPTZ) < CAST($until AS TIMESTAMPTZ)),
             first AS (SELECT DISTINCT ON (platform) platform, followers FROM r
                       WHERE ts >= CAST($start AS TIMESTAMPTZ) ORDER BY platform, ts),
             last AS (SELECT DISTINCT ON (platform) platform, followers FROM r
                      ORDER BY platform, ts DESC)
        SELECT sum(last.followers - first.followers) AS value, count(*) AS channels,
               list(first.platform) AS platforms
        FROM first JOIN last USING (platform)""", scope)  # fmt: skip
    basis = (f"followers gained from the first daily reading in the window to the latest, "
             f"on {row['channels']} of the campaign's {len(scope.channels)} channels "
             f"({_platforms(row['platforms'])})")  # fmt: skip
    return (float(row["value"]) if row["channels"] else None), basis


def _mentions(lake: Any, scope: Scope) -> tuple[float | None, str]:
    row = _mention_row(lake, scope)
    return float(row["n"]), (f"the brand's mentions created in the window, on "
                             f"{_platforms(row['platforms'])}")  # fmt: skip


def _sentiment(lake: Any, scope: Scope) -> tuple[float | None, str]:
    row = _mention_row(lake, scope)
    basis = f"mean polarity of the brand's {row['n']} mentions in the window"
    return (float(row["polarity"]) if row["n"] else None), basis


def _mention_row(lake: Any, scope: Scope) -> dict[str, Any]:
    return _one(lake, """
        SELECT count(*) AS n, avg(polarity) AS polarity, list(DISTINCT platform) AS platforms
        FROM mentions WHERE brand = $brand
          AND CAST(created_at AS TIMESTAMPTZ) >= CAST($start AS TIMESTAMPTZ)
          AND CAST(created_at AS TIMESTAMPTZ) < CAST($until AS TIMESTAMPTZ)""", scope)  # fmt: skip


MEASURES = {
    "views": _summed("views"),
    "impressions": _summed("views", what="views (what the platforms now call impressions)"),
    "video_views": _summed("views", "media = 'video'", "views of the posts with a video"),
    "reach": _summed("reach", what="each post's reach"),
    "clicks": _summed("clicks", what="link clicks"),
    "ctr": _ctr,
    "engagement_rate": _engagement_rate,
    "followers": _followers,
    "mentions": _mentions,
    "sentiment": _sentiment,
}
