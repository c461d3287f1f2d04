"""The forecasts the report draws, through the forecast interface only
(functions/optimize/forecast.py: ``fit(history) -> Model``, ``Model.predict(posts, k)``), so
that a better model behind it changes the report without changing this code.

- **Bands.** Each of the campaign's posts is predicted by a model fitted on the brand's
  posts as the lake's readings showed them *before* the post went out (the latest reading
  of each earlier post made by then, and made at least a day after that post: a younger
  reading is a post still gathering engagement): what a forecast made at the time could
  have known. Nothing read after a post reaches its own forecast.
- **The fan of a goal.** ``engagement_rate`` (the mean over the campaign's posts of
  engagement per follower) is a function of the posts' engagement, which is what the
  forecast predicts: the posts still to come before the goal's time are drawn from their
  forecasts (a split lognormal through P10, P50 and P90), each divided by its account's
  latest follower count, and averaged with the rates measured so far; the fan is the P10,
  P50 and P90 of 4,000 such draws, with a fixed seed. The draws treat the posts as
  independent: posts that rise and fall together (a news day, a viral week) would make the
  true fan wider. ``views`` (and ``impressions``, ``video_views`` over the video posts)
  and ``reach`` are sums over the campaign's posts: the sum measured so far plus each post
  still to come drawn from a forecast of that metric (the same model, learnt from the
  brand's posts that gave it), on the channels whose platform gives it. ``followers``
  (gained on the campaign's channels) is not made of posts: its fan adds, to the gain so
  far, each day left drawn from the daily gains seen in the window so far (at least
  ``MIN_GAIN_DAYS``; days drawn as independent, so a trend, a launch or a lull is not
  foreseen). Clicks get no fan (too few platforms give them to learn from), and mentions
  and sentiment come from listening, not from the campaign's posts.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from functions.optimize.forecast import Forecast, Post, fit
from infra.report.data import Known, PostReading, known_before

Z90 = 1.2815515655446004  # the standard normal's 90th percentile
DRAWS = 4000
SEED = 20270111  # fixed: the same lake gives the same fan
K_VIRAL = 3.0  # p_viral's k, as ``socialops forecast`` defaults it


def account_key(platform: str, account: str) -> str:
    """The forecast's account: one per platform (a handle may be used on two)."""
    return f"{platform}:{account}"


def _history_post(known: Known, zone: ZoneInfo, metric: str = "engagement") -> Post:
    """The post as the forecast learns it, its ``metric`` (engagement, views, reach) as
    what is forecast."""
    return Post(account_key(known.platform, known.account), known.published_at.astimezone(zone),
                known.text, known.media, known.followers, getattr(known, metric))  # fmt: skip


@dataclass(frozen=True)
class Band:
    """One post of the campaign, its latest engagement and the band forecast for it."""

    post: PostReading
    forecast: Forecast | None  # None: no earlier reading of the brand to learn from
    history: int  # earlier posts the forecast learnt from

    @property
    def inside(self) -> bool | None:
        if self.forecast is None:
            return None
        return self.forecast.p10 <= self.post.engagement <= self.forecast.p90


def bands(lake: Any, brand: str, posts: Sequence[PostReading], zone: str) -> list[Band]:
    """Each post's forecast, fitted on what the lake knew of the brand before it went out
    (one fit per distinct history: posts that went out knowing the same share it)."""
    tz = ZoneInfo(zone)
    known = known_before(lake, brand, [p.published_at for p in posts])
    by_time: dict[datetime, list[int]] = {}
    for i, post in enumerate(posts):
        by_time.setdefault(post.published_at, []).append(i)
    out: list[Band | None] = [None] * len(posts)
    models: dict[tuple[Known, ...], Any] = {}
    for when, indexes in sorted(by_time.items()):
        history = [_history_post(k, tz) for k in known.get(when, [])]
        if not history:
            for i in indexes:
                out[i] = Band(posts[i], None, 0)
            continue
        learnt = tuple(known[when])  # posts on the same day often know the same: fit once
        model = models.get(learnt) or models.setdefault(learnt, fit(history))
        asked = [Post(account_key(posts[i].platform, posts[i].account),
                      posts[i].published_at.astimezone(tz), posts[i].text, posts[i].media,
                      posts[i].followers) for i in indexes]  # fmt: skip
        for i, forecast in zip(indexes, model.predict(asked, K_VIRAL), strict=True):
            out[i] = Band(posts[i], forecast, len(history))
    return [b for b in out if b is not None]


@dataclass(frozen=True)
class Upcoming:
    """A post of the campaign still to go out: one channel, instant and text."""

    post: str
    channel: str
    utc: datetime
    account: str  # the brand's handle on the channel
    text: str  # "" while generated text is not written
    media: str  # none, image, video, album
    generated: bool


def media_kind(media: Sequence[Any]) -> str:
    """A post's media (``Media`` items) in the lake's words, as the forecasts learnt them:
    none, image, video, or album (more than one item)."""
    if not media:
        return "none"
    if len(media) > 1:
        return "album"
    return "video" if media[0].type == "video" else "image"


def upcoming(config: Any, start: datetime, until: datetime) -> list[Upcoming]:
    """The campaign's occurrences in [start, until), with the text and media each channel
    gets (publish's choice: the channel's override, else the locale's text, else the
    post's), on the channels the brand has an account on."""
    from functions.publish.due import render
    from infra.occurrences import expand

    campaign, accounts = config.campaign, config.brand.accounts
    out: list[Upcoming] = []
    for index, post in enumerate(campaign.posts):
        for occ in expand(campaign, dict(config.audiences), index, post).occurrences:
            account = accounts.get(occ.channel)
            if not start <= occ.utc < until or account is None:
                continue
            text, media = render(post, occ.channel, occ.locale)
            out.append(Upcoming(post.id, str(occ.channel), occ.utc,
                                str(getattr(account, "handle", "") or ""), text or "",
                                media_kind(media), text is None))  # fmt: skip
    return sorted(out, key=lambda u: (u.utc, u.channel, u.post))


def metric_history(lake: Any, brand: str, now: datetime, zone: str,
                   metric: str = "engagement") -> list[Post]:  # fmt: skip
    """The brand's posts the lake knew at ``now`` that gave ``metric`` (engagement, views,
    reach), as the forecast learns them."""
    tz = ZoneInfo(zone)
    return [_history_post(k, tz, metric) for k in known_before(lake, brand, [now])[now]
            if getattr(k, metric) is not None]  # fmt: skip


def platforms_of(history: Sequence[Post]) -> set[str]:
    """The platforms of a history's posts (their accounts are ``account_key``'s)."""
    return {post.account.split(":", 1)[0] for post in history}


def forecast_from(history: Sequence[Post], posts: Sequence[Upcoming], zone: str,
                  followers: dict[str, int]) -> list[Forecast]:  # fmt: skip
    """Each upcoming post's forecast, from a model fitted on ``history`` (none: [])."""
    if not history or not posts:
        return []
    tz = ZoneInfo(zone)
    asked = [Post(account_key(p.channel, p.account), p.utc.astimezone(tz), p.text, p.media,
                  followers.get(p.channel)) for p in posts]  # fmt: skip
    return fit(history).predict(asked, K_VIRAL)


def forecast_upcoming(lake: Any, brand: str, posts: Sequence[Upcoming], now: datetime,
                      zone: str, followers: dict[str, int]) -> tuple[list[Forecast], int]:  # fmt: skip
    """Each upcoming post's engagement forecast from everything the lake knew at ``now``;
    and how many earlier posts the model learnt from (0: no forecast, an empty list)."""
    history = metric_history(lake, brand, now, zone)
    return forecast_from(history, posts, zone, followers), len(history)


def draw(forecasts: Sequence[Forecast], draws: int, rng: np.random.Generator) -> np.ndarray:
    """``draws`` samples of each forecast's engagement, shape (draws, posts): a lognormal
    (of 1 + engagement) split at P50, its lower and upper halves fitted to P10 and P90, so
    that each post's draws have the forecast's own P10, P50 and P90."""
    if not forecasts:
        return np.zeros((draws, 0))
    p10, p50, p90 = (np.log1p(np.maximum([getattr(f, q) for f in forecasts], 0.0))
                     for q in ("p10", "p50", "p90"))  # fmt: skip
    low = np.maximum(p50 - np.minimum(p10, p50), 0.0) / Z90
    high = np.maximum(np.maximum(p90, p50) - p50, 0.0) / Z90
    z = rng.standard_normal((draws, len(forecasts)))
    return np.maximum(np.expm1(p50 + z * np.where(z < 0, low, high)), 0.0)


@dataclass(frozen=True)
class Fan:
    """The value a goal may reach by its time: P10, P50, P90 of the draws."""

    p10: float
    p50: float
    p90: float
    p_met: float  # the share of draws that meet the target
    drawn: int  # posts still to come that were drawn
    draws: int


def engagement_rate_fan(measured: Sequence[float], forecasts: Sequence[Forecast],
                        followers: Sequence[int], target: float, draws: int = DRAWS,
                        seed: int = SEED) -> Fan:  # fmt: skip
    """The campaign's mean engagement per follower at the goal's time: the ``measured``
    rates so far and the posts still to come, each ``forecasts[i]`` over ``followers[i]``."""
    rng = np.random.default_rng(seed)
    rates = draw(forecasts, draws, rng) / np.asarray(followers, dtype=float)
    total = float(np.sum(measured)) + rates.sum(axis=1)
    final = total / (len(measured) + len(forecasts))
    p10, p50, p90 = np.quantile(final, [0.1, 0.5, 0.9])
    return Fan(float(p10), float(p50), float(p90), float(np.mean(final >= target)),
               len(forecasts), draws)  # fmt: skip


def summed_fan(measured: float, forecasts: Sequence[Forecast], target: float,
               draws: int = DRAWS, seed: int = SEED) -> Fan:  # fmt: skip
    """A summed KPI at the goal's time (views, reach): the ``measured`` sum so far plus
    each post still to come drawn from its forecast."""
    rng = np.random.default_rng(seed)
    final = measured + draw(forecasts, draws, rng).sum(axis=1)
    p10, p50, p90 = np.quantile(final, [0.1, 0.5, 0.9])
    return Fan(float(p10), float(p50), float(p90), float(np.mean(final >= target)),
               len(forecasts), draws)  # fmt: skip


MIN_GAIN_DAYS = 3  # days of follower gains before a followers fan is drawn from them


def followers_fan(measured: float, gains: Sequence[float], days: int, target: float,
                  draws: int = DRAWS, seed: int = SEED) -> Fan:  # fmt: skip
    """Followers gained by the goal's time: the ``measured`` gain so far plus ``days``
    more days, each drawn from the daily ``gains`` seen so far (a bootstrap of days)."""
    rng = np.random.default_rng(seed)
    picked = rng.choice(np.asarray(gains, dtype=float), size=(draws, max(days, 0)))
    final = measured + picked.sum(axis=1)
    p10, p50, p90 = np.quantile(final, [0.1, 0.5, 0.9])
    return Fan(float(p10), float(p50), float(p90), float(np.mean(final >= target)), days, draws)


def inside_share(found: Iterable[Band]) -> tuple[int, int]:
    """(inside, with a forecast)."""
    judged = [b.inside for b in found if b.inside is not None]
    return sum(judged), len(judged)
