"""Engagement forecasts with calibrated intervals (``socialops forecast`` and, later, the
``optimize`` function's per-brand training).

Engagement is likes + shares + comments. ``fit(history)`` learns from every account's
posts; ``Model.predict(posts, k)`` gives each post P10/P50/P90 and the probability that it
goes viral (engagement above ``k`` times the median engagement of that account's history
rows). An account absent from the history gets the pooled model.

The model, on y = log1p(engagement):

- **Level.** Each account's level is the median of ``y - effects`` over its latest
  ``level_posts`` posts (its recent level, the posts' own features taken out). A forecast
  starts from the level at the end of the account's history.
- **Effects.** What a post's features (reply, retweet, quote, link, hashtags, mentions,
  length, media kind, local hour and weekday, followers against the account's recent ones)
  add to its account's level: one model pooled over all accounts, learnt on each post
  against its account's level just before it (gradient-boosted trees, squared error on the
  target winsorised at 3 robust sd; each account weighs ``posts ** account_power``), then,
  per account, learnt from its own posts only: a ridge correction on a few of those
  features (``ridge``) and ridge weights of its frequent words (``words``; a word counts
  when in ``min_df`` of its posts). Ridge is the shrinkage: the fewer an account's posts,
  the nearer it stays to the pooled effects.
- **Horizon.** The level drifts after the history ends: the spread grows as
  ``sqrt(1 + days / horizon_days)`` from a post's account's last history post.
- **Calibration** (split conformal, time-ordered): the last ``calibration_share`` of each
  account's history is forecast from a model learnt on the part before it, as the future
  will be from the whole history; the quantiles of those errors divided by their scale,
  per account shrunk toward the pooled ones as if the pooled were ``shrink_posts`` posts,
  give P10 and P90 around the point forecast P50. ``p_viral`` is the share of that
  predictive distribution above log1p(k x the account's history median), recalibrated by
  Platt scaling on the calibration posts (k = 2, 3 and 5). The effects and levels are then
  learnt again on the whole history.
- **An unknown account** gets the pooled state: the median of the accounts' levels, and
  the spread of every account's posts around it (each account weighing the same).

The settings' defaults were chosen by time-ordered validation inside the history
(benchmarks/bench_forecast.py ``--select``, benchmarks/README.md); ``trend_days``,
``center``, ``effects="linear"`` and ``horizon_days=0`` (each account's own drift, from
its history) are alternatives the search tried and did not keep.

Deterministic for a seed (the trees' only randomness). Everything learnt is numbers,
arrays and word weights (the trees as node arrays, later), so that it can be stored as
JSON. scikit-learn and scipy are imported inside the functions that use them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np

MEDIA = ("none", "image", "video", "album")


@dataclass(frozen=True)
class Post:
    account: str
    created_at: datetime  # aware, with the offset it was written with (the local hour)
    text: str
    media: str | None = None  # one of MEDIA; None: not given
    followers: int | None = None
    engagement: int | None = None  # likes + shares + comments; None for posts to forecast


@dataclass(frozen=True)
class Forecast:
    p10: float
    p50: float
    p90: float
    p_viral: float


def engagement(likes: int | None, shares: int | None, comments: int | None) -> int | None:
    """likes + shares + comments; None when any is unknown."""
    if likes is None or shares is None or comments is None:
        return None
    return likes + shares + comments


@dataclass(frozen=True)
class Settings:
    """How the model learns (the defaults were chosen by time-ordered validation inside the
    history: benchmarks/bench_forecast.py, benchmarks/README.md)."""

    level_posts: int = 30  # the account's level: median of its latest N posts
    calibration_share: float = 0.3  # the last part of each account's history, forecast
    horizon_days: float = 90.0  # spread x sqrt(1 + days / H): H this (0: each account's own,
    # from how fast its level wandered in its history, shrunk toward the pooled one)
    trend_days: float = 0.0  # damped trend's time constant (0: no trend)
    trend_posts: int = 200  # the latest posts the trend is measured on
    shrink_posts: float = 200.0  # per-account calibration shrunk toward pooled, as N posts
    ridge: float = 100.0  # per-account effect corrections' penalty (in posts)
    words: float = 30.0  # per-account word weights' ridge penalty (0: no words)
    min_df: int = 5  # a word counts when in at least N of the account's posts
    max_words: int = 2000  # the account's most frequent words at most
    center: bool = False  # P50 = the predictive distribution's median (else the point)
    effects: str = "trees"  # "trees" (gradient boosting) or "linear" (ridge)
    loss: str = "squared_error"  # the trees' loss (on the winsorised target)
    trees: int = 200
    learning_rate: float = 0.05
    leaves: int = 15
    min_leaf: int = 40
    account_power: float = 0.5  # each account's weight in the pooled effects ~ posts**power


# the quantile levels kept of the scaled errors (the predictive distribution)
LEVELS = np.array([0.005, 0.01, 0.025, 0.05, *np.round(np.arange(0.1, 0.95, 0.05), 2),
                   0.95, 0.975, 0.99, 0.995])  # fmt: skip
MIN_CALIBRATION = 10  # an account with fewer history posts is not split (pooled quantiles)
DAY = 86400.0
DEFAULT_HORIZON = 90.0  # days, when no account's history tells

FEATURES = (
    "retweet", "reply", "quote", "link", "hashtags", "mentions", "log_length", "words",
    "exclaim", "question", "caps", "digits", "media_none", "media_image", "media_video",
    "media_album", "media_known", "hour_sin", "hour_cos", "hour2_sin", "hour2_cos",
    "weekend", "hour", "weekday", "followers_rel", "followers_known",
)  # fmt: skip
# the features of the per-account corrections (binary or centred, a few)
ACCOUNT_FEATURES = ("retweet", "reply", "quote", "link", "hashtags", "mentions",
                    "log_length", "media_image", "media_video", "media_album", "hour_sin",
                    "hour_cos", "weekend")  # fmt: skip
_ACCOUNT_COLUMNS = [FEATURES.index(n) for n in ACCOUNT_FEATURES]
# the features of the linear pooled effects (the trees take all but hour and weekday)
_LINEAR_COLUMNS = [i for i, n in enumerate(FEATURES) if n not in ("hour", "weekday")]

_LINK = re.compile(r"https?://|www\.", re.IGNORECASE)
_URL = re.compile(r"(?:https?://|www\.)\S*", re.IGNORECASE)
_HASHTAG = re.compile(r"(?:^|[^\w&])#\w")
_MENTION = re.compile(r"(?:^|[^\w])@\w")
_WORD = re.compile(r"\w+")
_TOKEN = re.compile(r"[#@]?\w\w+")
_NOT_WORDS = frozenset({"rt", "amp", "the", "and", "of", "to", "in", "a", "is", "for", "on"})
_LETTER = re.compile(r"[A-Za-z]")
_UPPER = re.compile(r"[A-Z]")
_DIGIT = re.compile(r"\d")


def _text_features(text: str) -> list[float]:
    stripped = text.strip()
    letters = len(_LETTER.findall(stripped))
    caps = len(_UPPER.findall(stripped)) / letters if letters else 0.0
    return [
        float(stripped.startswith("RT @")),
        float(stripped.startswith(("@", ".@"))),
        float(stripped.startswith(('"', "\u201c"))),
        float(bool(_LINK.search(stripped))),
        float(min(len(_HASHTAG.findall(stripped)), 5)),
        float(min(len(_MENTION.findall(stripped)), 5)),
        math.log1p(len(stripped)),
        math.log1p(len(_WORD.findall(stripped))),
        float("!" in stripped),
        float("?" in stripped),
        caps,
        float(bool(_DIGIT.search(stripped))),
    ]


def tokens(text: str) -> set[str]:
    """The words of a text (lower case; hashtags and mentions keep their sign; no links,
    numbers or a few very common words)."""
    found = _TOKEN.findall(_URL.sub(" ", text.lower()))
    return {t for t in found if t not in _NOT_WORDS and not t.isdigit()}


def features(posts: Sequence[Post], followers_ref: Sequence[float] | None = None) -> np.ndarray:
    """The feature matrix (columns ``FEATURES``) of ``posts``; never their counts.
    ``followers_ref``: per post, the log followers its account had lately (nan: unknown)."""
    rows = []
    for i, post in enumerate(posts):
        local = post.created_at
        hour = local.hour + local.minute / 60.0
        media = [float(post.media == m) for m in MEDIA]
        angle = 2 * math.pi * hour / 24.0
        ref = followers_ref[i] if followers_ref is not None else math.nan
        rel = math.log1p(post.followers) - ref if post.followers and not math.isnan(ref) else math.nan  # fmt: skip
        rows.append([
            *_text_features(post.text or ""), *media, float(post.media is not None),
            math.sin(angle), math.cos(angle), math.sin(2 * angle), math.cos(2 * angle),
            float(local.weekday() >= 5), float(local.hour), float(local.weekday()),
            0.0 if math.isnan(rel) else max(-2.0, min(2.0, rel)), float(not math.isnan(rel)),
        ])  # fmt: skip
    return np.asarray(rows, dtype=float).reshape(len(rows), len(FEATURES))


@dataclass
class Account:
    """What ``fit`` keeps of one account (log1p units)."""

    posts: int  # history posts
    level: float  # the level at the end of its history
    slope: float  # per day (0: no trend)
    last: float  # its newest history post, POSIX seconds
    followers: float  # log1p followers lately (nan: unknown)
    median: float  # median engagement of its history rows (counts): the viral threshold's
    sigma: float  # the spread of a post around its level at horizon 0
    horizon: float  # days: the spread grows as sqrt(1 + days / horizon)
    delta: np.ndarray  # its corrections to the pooled effects (ACCOUNT_FEATURES)
    words: dict[str, float]  # what each of its frequent words adds
    scores: np.ndarray  # quantiles (LEVELS) of its scaled forecast errors


@dataclass
class Model:
    """What ``fit`` learnt: the pooled effects, each account's state, the pooled state for
    accounts absent from the history, Platt's two numbers for ``p_viral``."""

    settings: Settings
    effects: Any  # a fitted regressor of FEATURES (trees or linear)
    accounts: dict[str, Account]
    pooled: Account
    platt: tuple[float, float] = (1.0, 0.0)
    info: dict[str, Any] = field(default_factory=dict)

    def _point(self, posts: Sequence[Post]) -> tuple[np.ndarray, np.ndarray, list[Account]]:
        """Per post: the point forecast (log1p), its scale, its account's state."""
        states = [self.accounts.get(p.account, self.pooled) for p in posts]
        x = features(posts, [s.followers for s in states])
        base = _effects_predict(self.effects, x)
        point = np.empty(len(posts))
        scale = np.empty(len(posts))
        s = self.settings
        for i, (post, state) in enumerate(zip(posts, states, strict=True)):
            days = max(0.0, (post.created_at.timestamp() - state.last) / DAY)
            if state is self.pooled:
                days = 0.0
            trend = 0.0
            if s.trend_days > 0 and state.slope:
                trend = state.slope * s.trend_days * (1.0 - math.exp(-days / s.trend_days))
            correction = float(x[i, _ACCOUNT_COLUMNS] @ state.delta)
            if state.words:
                correction += sum(state.words.get(w, 0.0) for w in tokens(post.text or ""))
            point[i] = state.level + base[i] + correction + trend
            scale[i] = state.sigma * math.sqrt(1.0 + days / state.horizon)
        return point, scale, states

    def predict(self, posts: Sequence[Post], k: float = 3.0) -> list[Forecast]:
        if not posts:
            return []
        point, scale, states = self._point(posts)
        out = []
        a, b = self.platt
        for i, state in enumerate(states):
            q10, q50, q90 = np.interp([0.1, 0.5, 0.9], LEVELS, state.scores)
            mid = point[i] + scale[i] * q50 if self.settings.center else point[i]
            low = min(mid, point[i] + scale[i] * q10)
            high = max(mid, point[i] + scale[i] * q90)
            threshold = math.log1p(k * state.median)
            raw = _exceed(state.scores, (threshold - point[i]) / scale[i])
            p = _sigmoid(a * _logit(raw) + b)
            out.append(Forecast(float(np.expm1(max(low, 0.0))), float(np.expm1(max(mid, 0.0))),
                                float(np.expm1(max(high, 0.0))), float(p)))  # fmt: skip
        return out


def _logit(p: float) -> float:
    p = min(max(p, 1e-4), 1 - 1e-4)
    return math.log(p / (1 - p))


def _sigmoid(v: float) -> float:
    return 1.0 / (1.0 + math.exp(-v)) if v > -700 else 0.0


def _exceed(scores: np.ndarray, t: float) -> float:
    """P(U > t) for U with quantiles ``scores`` at LEVELS; exponential tails beyond."""
    lo, hi = scores[0], scores[-1]
    if t >= hi:
        beta = max((hi - scores[-4]) / math.log(10.0), 1e-3)  # 0.95 -> 0.995: a tenth
        return (1 - LEVELS[-1]) * math.exp(-(t - hi) / beta)
    if t <= lo:
        beta = max((scores[3] - lo) / math.log(10.0), 1e-3)
        return 1.0 - LEVELS[0] * math.exp(-(lo - t) / beta)
    return float(1.0 - np.interp(t, scores, LEVELS))


# ---------------------------------------------------------------------------------------
# learning


@dataclass
class _Data:
    """The history, sorted by account then time, as arrays."""

    posts: list[Post]
    account: np.ndarray  # index into names
    names: list[str]
    y: np.ndarray
    t: np.ndarray  # POSIX seconds
    followers: np.ndarray  # log1p, nan unknown
    starts: np.ndarray  # where each account's rows begin (len names + 1)
    x: np.ndarray  # features (followers_rel not filled)
    tokens: list[set[str]]


def _data(history: Sequence[Post]) -> _Data:
    rows = [p for p in history if p.engagement is not None and p.engagement >= 0]
    if not rows:
        raise ValueError("forecast: the history has no post with its engagement to learn from")
    rows.sort(key=lambda p: (p.account, p.created_at.timestamp()))
    names = sorted({p.account for p in rows})
    index = {n: i for i, n in enumerate(names)}
    account = np.array([index[p.account] for p in rows])
    starts = np.searchsorted(account, np.arange(len(names) + 1))
    return _Data(
        rows, account, names,
        np.log1p(np.array([p.engagement for p in rows], dtype=float)),
        np.array([p.created_at.timestamp() for p in rows]),
        np.array([math.log1p(p.followers) if p.followers else math.nan for p in rows]),
        starts, features(rows), [tokens(p.text or "") for p in rows],
    )  # fmt: skip


def _rolling_median(z: np.ndarray, m: int) -> np.ndarray:
    """Per position, the median of the ``m`` values before it (nan at 0)."""
    n = len(z)
    out = np.full(n, np.nan)
    if n < 2:
        return out
    padded = np.concatenate([np.full(m, np.nan), z])
    from numpy.lib.stride_tricks import sliding_window_view

    windows = sliding_window_view(padded[:-1], m)[:n]  # window i: the m values before i
    full = ~np.isnan(windows).any(axis=1)
    out[full] = np.median(windows[full], axis=1)
    for i in np.flatnonzero(~full)[1:]:
        out[i] = np.median(z[max(0, i - m) : i])
    return out


def _followers_ref(data: _Data, rows: np.ndarray, m: int) -> np.ndarray:
    """Per row, the median log followers of its account's ``m`` posts before it."""
    out = np.full(len(data.y), np.nan)
    for a in range(len(data.names)):
        idx = rows[(rows >= data.starts[a]) & (rows < data.starts[a + 1])]
        f = data.followers[idx]
        for j in range(1, len(idx)):
            window = f[max(0, j - m) : j]
            window = window[~np.isnan(window)]
            if window.size:
                out[idx[j]] = np.median(window)
    return out


def _effects_fit(x: np.ndarray, r: np.ndarray, w: np.ndarray, s: Settings, seed: int) -> Any:
    """The pooled effects: trees or ridge on ``r`` winsorised at 3 robust sd (a few huge
    posts must not steer them)."""
    sd = _robust_sd(r)
    if not math.isnan(sd) and sd > 0:
        mid = float(np.median(r))
        r = np.clip(r, mid - 3 * sd, mid + 3 * sd)
    if s.effects == "linear":
        from sklearn.linear_model import Ridge

        return ("linear", Ridge(alpha=10.0).fit(x[:, _LINEAR_COLUMNS], r, sample_weight=w))
    from sklearn.ensemble import HistGradientBoostingRegressor

    model = HistGradientBoostingRegressor(
        loss=s.loss, max_iter=s.trees, learning_rate=s.learning_rate,
        max_leaf_nodes=s.leaves, min_samples_leaf=s.min_leaf, l2_regularization=1.0,
        early_stopping=False, random_state=seed,
    )  # fmt: skip
    return ("trees", model.fit(x, r, sample_weight=w))


def _effects_predict(effects: Any, x: np.ndarray) -> np.ndarray:
    if effects is None or len(x) == 0:
        return np.zeros(len(x))
    kind, model = effects
    if kind == "linear":
        return np.asarray(model.predict(x[:, _LINEAR_COLUMNS]))
    return np.asarray(model.predict(x))


def _robust_sd(v: np.ndarray) -> float:
    v = v[~np.isnan(v)]
    if v.size < 2:
        return math.nan
    q75, q25 = np.percentile(v, [75, 25])
    return float((q75 - q25) / 1.349)


@dataclass
class _Core:
    effects: Any
    accounts: dict[str, Account]
    pooled: Account
    residuals: np.ndarray  # horizon-0 residuals of the rows learnt from (nan where none)
    deltas: np.ndarray  # per account (data's order), its corrections
    words: list[dict[str, float]]  # per account (data's order), its word weights


def _fit_core(data: _Data, rows: np.ndarray, s: Settings, seed: int,
              start: _Core | None = None) -> _Core:  # fmt: skip
    """Effects, per-account corrections and states learnt from ``rows`` of ``data``; from
    ``start``'s effects and corrections (one round of backfitting instead of two)."""
    x_all = data.x.copy()  # followers_rel filled below
    ref = _followers_ref(data, rows, s.level_posts)
    rel = np.where(np.isnan(ref) | np.isnan(data.followers), np.nan, data.followers - ref)
    x_all[:, FEATURES.index("followers_rel")] = np.where(np.isnan(rel), 0.0, np.clip(rel, -2, 2))
    x_all[:, FEATURES.index("followers_known")] = (~np.isnan(rel)).astype(float)
    n_acc = len(data.names)
    groups = [rows[(rows >= data.starts[a]) & (rows < data.starts[a + 1])] for a in range(n_acc)]
    deltas = np.zeros((n_acc, len(ACCOUNT_FEATURES)))
    words: list[dict[str, float]] = [{} for _ in range(n_acc)]
    effects = None
    y = data.y
    adj = np.zeros(len(y))  # effects + corrections of each row
    if start is not None:
        effects, deltas, words = start.effects, start.deltas.copy(), list(start.words)
        adj = _effects_predict(effects, x_all) + np.einsum("ij,ij->i", x_all[:, _ACCOUNT_COLUMNS], deltas[data.account])  # fmt: skip
        if s.words > 0:
            adj += _word_part(data, words)
    level = np.full(len(y), np.nan)
    wordpart = np.zeros(len(y))
    for _ in range(
        1 if start is not None else 2
    ):  # backfitting: levels of y - effects, effects of y - level
        for idx in groups:
            level[idx] = _rolling_median(y[idx] - adj[idx], s.level_posts)
        train = rows[~np.isnan(level[rows])]
        if train.size == 0:
            break
        counts = np.bincount(data.account[train], minlength=n_acc).astype(float)
        w = counts[data.account[train]] ** (s.account_power - 1.0)
        correction = np.einsum("ij,ij->i", x_all[train][:, _ACCOUNT_COLUMNS], deltas[data.account[train]])  # fmt: skip
        target = y[train] - level[train] - correction
        effects = _effects_fit(x_all[train], target, w, s, seed) if train.size >= 20 else None
        base = _effects_predict(effects, x_all)
        for a, idx in enumerate(groups):
            use = idx[~np.isnan(level[idx])]
            if use.size == 0:
                continue
            rho = y[use] - level[use] - base[use]
            sd = _robust_sd(rho)
            if not math.isnan(sd) and sd > 0:
                rho = np.clip(rho - np.median(rho), -3 * sd, 3 * sd)
            d = x_all[use][:, _ACCOUNT_COLUMNS]
            d = d - d.mean(axis=0)  # the level takes the mean
            deltas[a] = np.linalg.solve(d.T @ d + s.ridge * np.eye(d.shape[1]), d.T @ rho)
            if s.words > 0:
                words[a] = _fit_words([data.tokens[i] for i in use], rho - d @ deltas[a], s)
        adj = base + np.einsum("ij,ij->i", x_all[:, _ACCOUNT_COLUMNS], deltas[data.account])
        wordpart = _word_part(data, words) if s.words > 0 else np.zeros(len(y))
        adj += wordpart
    # the spread around the level without the words' part: fitted on the same posts, it
    # would make the spread look smaller than it is on posts to come
    residuals = np.full(len(y), np.nan)
    residuals[rows] = y[rows] - level[rows] - adj[rows] + wordpart[rows]
    accounts: dict[str, Account] = {}
    pooled_sd = _robust_sd(residuals[rows])
    pooled_sd = 0.5 if math.isnan(pooled_sd) or pooled_sd <= 0 else pooled_sd
    levels = []
    rates: dict[str, float] = {}  # per account, its level's drift a day / its sigma**2
    for a, idx in enumerate(groups):
        if idx.size == 0:
            continue
        z = y[idx] - adj[idx]
        recent = z[-s.level_posts :]
        sd = _robust_sd(residuals[idx])
        n = float(np.sum(~np.isnan(residuals[idx])))
        sd2 = pooled_sd**2 if math.isnan(sd) else (n * sd**2 + s.shrink_posts * pooled_sd**2) / (n + s.shrink_posts)  # fmt: skip
        slope = _slope(data.t[idx][-s.trend_posts :], z[-s.trend_posts :]) if s.trend_days > 0 else 0.0  # fmt: skip
        f = data.followers[idx][-s.level_posts :]
        f = f[~np.isnan(f)]
        acc = Account(
            posts=int(idx.size), level=float(np.median(recent)), slope=slope,
            last=float(data.t[idx][-1]), followers=float(np.median(f)) if f.size else math.nan,
            median=float(np.median(np.expm1(y[idx]))), sigma=math.sqrt(sd2),
            horizon=s.horizon_days or math.inf, delta=deltas[a].copy(), words=dict(words[a]),
            scores=np.zeros(len(LEVELS)),
        )  # fmt: skip
        accounts[data.names[a]] = acc
        levels.append(acc.level)
        rates[data.names[a]] = _drift(level[idx], data.t[idx], s.level_posts) / sd2
    if not s.horizon_days:  # each account's own drift, shrunk toward the median of them
        known = [r for r in rates.values() if not math.isnan(r)]
        prior = float(np.median(known)) if known else 1.0 / DEFAULT_HORIZON
        for name, acc in accounts.items():
            own = rates[name]
            n = 0.0 if math.isnan(own) else acc.posts
            rate = (n * (0.0 if math.isnan(own) else own) + s.shrink_posts * prior) / (n + s.shrink_posts)  # fmt: skip
            acc.horizon = 1.0 / rate if rate > 0 else math.inf
    centre = float(np.median(levels)) if levels else 0.0
    # the pooled state: an unknown account, anywhere among the accounts' levels
    pooled = Account(0, centre, 0.0, 0.0, math.nan,
                     float(np.median([np.median(np.expm1(y[i])) for i in groups if i.size])),
                     1.0, math.inf, np.zeros(len(ACCOUNT_FEATURES)), {}, np.zeros(len(LEVELS)))  # fmt: skip
    z_pool = np.concatenate([y[i] - adj[i] - centre for i in groups if i.size])
    weights = np.concatenate([np.full(i.size, 1.0 / i.size) for i in groups if i.size])
    pooled.scores = _weighted_quantiles(z_pool, weights, LEVELS)
    return _Core(effects, accounts, pooled, residuals, deltas, words)


def _word_part(data: _Data, words: list[dict[str, float]]) -> np.ndarray:
    return np.array([sum(words[a].get(w, 0.0) for w in data.tokens[i])
                     for i, a in enumerate(data.account)])  # fmt: skip


def _drift(level: np.ndarray, t: np.ndarray, m: int) -> float:
    """How fast the level wanders: the growth a day of the variance of its change over a
    lag (m, 2m, 4m... posts up to half the history; a line through the robust variances
    against the mean days apart, weighted by the independent pairs); nan when too short."""
    ok = ~np.isnan(level)
    level, t = level[ok], t[ok]
    days, variances, weights = [], [], []
    lag = max(m, 1)
    while lag <= level.size // 2:
        sd = _robust_sd(level[lag:] - level[:-lag])
        if not math.isnan(sd):
            days.append(float(np.mean(t[lag:] - t[:-lag])) / DAY)
            variances.append(sd**2)
            weights.append((level.size - lag) / lag)
        lag *= 2
    if len(days) < 2 or np.ptp(days) <= 0:
        return math.nan
    slope, _ = np.polyfit(days, variances, 1, w=np.sqrt(weights))
    return max(float(slope), 0.0)


def _fit_words(found: list[set[str]], rho: np.ndarray, s: Settings) -> dict[str, float]:
    """Ridge weights of the account's frequent words on what is left of its posts."""
    df: dict[str, int] = {}
    for words in found:
        for w in words:
            df[w] = df.get(w, 0) + 1
    vocab = sorted((w for w, n in df.items() if n >= s.min_df), key=lambda w: (-df[w], w))
    vocab = vocab[: s.max_words]
    if not vocab or rho.size < 2:
        return {}
    from scipy.linalg import cho_factor, cho_solve
    from scipy.sparse import csr_matrix

    column = {w: j for j, w in enumerate(vocab)}
    indptr, indices = [0], []
    for words in found:
        indices.extend(sorted(column[w] for w in words if w in column))
        indptr.append(len(indices))
    x = csr_matrix((np.ones(len(indices)), indices, indptr), shape=(len(found), len(vocab)))
    target = rho - rho.mean()
    a = (x.T @ x).toarray() + s.words * np.eye(len(vocab))
    weights = cho_solve(cho_factor(a), x.T @ target)
    return {w: float(v) for w, v in zip(vocab, weights, strict=True) if abs(v) > 1e-4}


def _slope(t: np.ndarray, z: np.ndarray) -> float:
    """Theil-Sen slope of z per day (0 with under 10 points)."""
    if t.size < 10:
        return 0.0
    days = (t - t[0]) / DAY
    i, j = np.triu_indices(t.size, 1)
    dt = days[j] - days[i]
    ok = dt > 1e-3
    return float(np.median((z[j] - z[i])[ok] / dt[ok])) if ok.any() else 0.0


def _weighted_quantiles(v: np.ndarray, w: np.ndarray, q: np.ndarray) -> np.ndarray:
    order = np.argsort(v, kind="stable")
    v, w = v[order], w[order]
    cum = (np.cumsum(w) - 0.5 * w) / w.sum()
    return np.interp(q, cum, v)


def _conformal_levels(n: int) -> np.ndarray:
    """LEVELS widened for n calibration points (split conformal's (n+1)/n)."""
    return np.clip(0.5 + (LEVELS - 0.5) * (n + 1) / n, 0.0, 1.0)


def fit(history: Sequence[Post], seed: int = 0, settings: Settings | None = None) -> Model:
    """Learn from ``history`` (posts with their engagement). Deterministic for a seed.
    ValueError when no post of the history has its engagement."""
    s = settings or Settings()
    data = _data(history)
    n_acc = len(data.names)
    every = np.arange(len(data.y))
    # the calibration part: the last share of each account's posts
    cal = np.zeros(len(data.y), dtype=bool)
    for a in range(n_acc):
        n = data.starts[a + 1] - data.starts[a]
        if n >= MIN_CALIBRATION:
            cal[data.starts[a + 1] - max(2, round(s.calibration_share * n)) : data.starts[a + 1]] = True  # fmt: skip
    first = _fit_core(data, every[~cal], s, seed) if cal.any() else None
    scores_by: dict[str, np.ndarray] = {}
    raw_p: list[float] = []
    viral: list[bool] = []
    if first is not None:
        cal_rows = every[cal]
        cal_posts = [data.posts[i] for i in cal_rows]
        model = Model(s, first.effects, first.accounts, first.pooled)
        point, scale, states = model._point(cal_posts)
        u = (data.y[cal_rows] - point) / scale
        for a in range(n_acc):
            mine = data.account[cal_rows] == a
            if mine.any():
                scores_by[data.names[a]] = u[mine]
        pooled_u = np.concatenate(list(scores_by.values()))
        w = np.concatenate([np.full(v.size, 1.0 / v.size) for v in scores_by.values()])
        pooled_q = _weighted_quantiles(pooled_u, w, LEVELS)
        shrunk = {}
        for name, v in scores_by.items():
            own = np.quantile(v, _conformal_levels(v.size))
            weight = v.size / (v.size + s.shrink_posts)
            shrunk[name] = weight * own + (1 - weight) * pooled_q
        for i, state in enumerate(states):
            name = cal_posts[i].account
            q = shrunk.get(name, pooled_q)
            for k in (2.0, 3.0, 5.0):
                threshold = math.log1p(k * state.median)
                raw_p.append(_exceed(q, (threshold - point[i]) / scale[i]))
                viral.append(bool(data.y[cal_rows[i]] > threshold))
    else:
        pooled_q = np.quantile(np.zeros(1), LEVELS)
        shrunk = {}
    final = _fit_core(data, every, s, seed, first)
    for name, state in final.accounts.items():
        state.scores = shrunk.get(name, pooled_q if first is not None else _own_scores(state))
    platt = _platt(np.array(raw_p), np.array(viral))
    info = {"calibration_posts": int(cal.sum()), "accounts": n_acc}
    return Model(s, final.effects, final.accounts, final.pooled, platt, info)


def _own_scores(state: Account) -> np.ndarray:
    """No calibration part (every account too short): a normal spread, widened."""
    from statistics import NormalDist

    return np.array([NormalDist().inv_cdf(float(q)) * 1.5 for q in LEVELS])


def _platt(raw: np.ndarray, viral: np.ndarray) -> tuple[float, float]:
    """Platt scaling of logit(raw) (identity when the calibration cannot tell)."""
    if raw.size < 20 or viral.all() or not viral.any():
        return (1.0, 0.0)
    from sklearn.linear_model import LogisticRegression

    x = np.array([_logit(p) for p in raw]).reshape(-1, 1)
    lr = LogisticRegression(C=1.0).fit(x, viral)
    return (float(lr.coef_[0, 0]), float(lr.intercept_[0]))
