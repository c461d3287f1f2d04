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
  Platt scaling on the calibration posts (k = 2, 3 and 5) with the point's three parts
  beside its logit (the pooled effects, the account's corrections, its words; each over
  the post's scale: ``VIRAL_PARTS``, ``Model.viral``): forecast out of sample there, each
  part is weighed by what it tells of the tail, which the point's own weights (learnt for
  the middle, on a winsorised target) do not say. The effects and levels are then
  learnt again on the whole history.
- **An unknown account** gets the pooled state: the median of the accounts' levels, and
  the spread of every account's posts around it (each account weighing the same).

The settings' defaults were chosen by time-ordered validation inside the history
(benchmarks/bench_forecast.py ``--select``, benchmarks/README.md); ``trend_days``,
``center``, ``effects="linear"`` and ``horizon_days=0`` (each account's own drift, from
its history) are alternatives the search tried and did not keep.

Deterministic for a seed (the trees' only randomness). Everything learnt is numbers,
arrays and word weights, stored as plain JSON (``Model.to_json``, ``Model.from_json``;
never pickled): the trees as their node arrays, evaluated by ``_Trees`` with numpy alone,
so that a model read back predicts what the fitted one does without scikit-learn.
scikit-learn and scipy are imported inside the functions that use them (fitting only).
"""

from __future__ import annotations

import functools
import json
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
# the parts of the point forecast that p_viral weighs again (each over the post's scale)
VIRAL_PARTS = ("effects", "corrections", "words")
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
    accounts absent from the history, Platt's two numbers and the point's parts' three
    weights for ``p_viral``."""

    settings: Settings
    effects: Any  # a fitted regressor of FEATURES (trees or linear)
    accounts: dict[str, Account]
    pooled: Account
    platt: tuple[float, float] = (1.0, 0.0)
    info: dict[str, Any] = field(default_factory=dict)
    # p_viral's weights of the point's parts (pooled effects, the account's corrections,
    # its words), each over the post's scale, added to Platt's (0: Platt alone)
    viral: tuple[float, float, float] = (0.0, 0.0, 0.0)

    def _point(self, posts: Sequence[Post]) -> tuple[np.ndarray, np.ndarray, list[Account]]:
        """Per post: the point forecast (log1p), its scale, its account's state."""
        point, scale, states, _ = self._parts(posts)
        return point, scale, states

    def _parts(self, posts: Sequence[Post]) -> tuple[np.ndarray, np.ndarray, list[Account], np.ndarray]:  # fmt: skip
        """``_point`` and, per post, its parts (``VIRAL_PARTS``) over its scale."""
        states = [self.accounts.get(p.account, self.pooled) for p in posts]
        x = features(posts, [s.followers for s in states])
        base = _effects_predict(self.effects, x)
        point = np.empty(len(posts))
        scale = np.empty(len(posts))
        parts = np.zeros((len(posts), len(VIRAL_PARTS)))
        s = self.settings
        for i, (post, state) in enumerate(zip(posts, states, strict=True)):
            days = max(0.0, (post.created_at.timestamp() - state.last) / DAY)
            if state is self.pooled:
                days = 0.0
            trend = 0.0
            if s.trend_days > 0 and state.slope:
                trend = state.slope * s.trend_days * (1.0 - math.exp(-days / s.trend_days))
            correction = float(x[i, _ACCOUNT_COLUMNS] @ state.delta)
            worded = 0.0
            if state.words:
                # in sorted order: a set's order changes with the hash seed, and so would
                # the last bit of the sum, between two runs of the same command
                worded = sum(state.words.get(w, 0.0) for w in sorted(tokens(post.text or "")))
            # correction + words first, as before the parts were kept apart: the same floats
            point[i] = state.level + base[i] + (correction + worded) + trend
            scale[i] = state.sigma * math.sqrt(1.0 + days / state.horizon)
            parts[i] = (base[i] / scale[i], correction / scale[i], worded / scale[i])
        return point, scale, states, parts

    def predict(self, posts: Sequence[Post], k: float = 3.0) -> list[Forecast]:
        if not posts:
            return []
        point, scale, states, parts = self._parts(posts)
        out = []
        a, b = self.platt
        extra = parts @ np.asarray(self.viral, dtype=float)
        for i, state in enumerate(states):
            q10, q50, q90 = np.interp([0.1, 0.5, 0.9], LEVELS, state.scores)
            mid = point[i] + scale[i] * q50 if self.settings.center else point[i]
            low = min(mid, point[i] + scale[i] * q10)
            high = max(mid, point[i] + scale[i] * q90)
            threshold = math.log1p(k * state.median)
            raw = _exceed(state.scores, (threshold - point[i]) / scale[i])
            p = _sigmoid(a * _logit(raw) + b + float(extra[i]))
            out.append(Forecast(float(np.expm1(max(low, 0.0))), float(np.expm1(max(mid, 0.0))),
                                float(np.expm1(max(high, 0.0))), float(p)))  # fmt: skip
        return out

    def to_dict(self) -> dict[str, Any]:
        """Everything learnt, as JSON values only (numbers, strings, booleans, lists,
        objects; non-finite floats as the strings "nan", "inf", "-inf"): the trees as
        their node arrays. ValueError for effects that cannot be written so."""
        return _model_doc(self)

    def to_json(self) -> str:
        """``to_dict`` as strict JSON text (ASCII; floats written with repr: read back
        bit for bit)."""
        return json.dumps(self.to_dict(), allow_nan=False, separators=(",", ":"))

    @classmethod
    def from_dict(cls, doc: Any) -> Model:
        """The model ``to_dict`` wrote (numpy only: no scikit-learn). ValueError for a
        document of another format version or a malformed one."""
        return _model_from_doc(doc)

    @classmethod
    def from_json(cls, text: str | bytes) -> Model:
        """The model ``to_json`` wrote; predicts exactly what the written one did.
        ValueError for a document of another format version or a malformed one."""
        try:
            doc = json.loads(text, parse_constant=_no_constant)
        except (ValueError, UnicodeDecodeError) as e:  # JSONDecodeError is a ValueError
            raise ValueError(f"forecast model: not a JSON document ({e})") from None
        return _model_from_doc(doc)


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
    """The pooled effects of each row. The trees predict in one thread, as they are grown
    (``fit``): each tree is an OpenMP region of its own, a few rows each here, and with
    the other CPUs busy (the report's drawing workers) a second thread waited for cost
    0.5 ms a tree (2.6 s of the demo's report for 25 predictions); alone, one thread is
    as fast from 3 rows to 1,000."""
    if effects is None or len(x) == 0:
        return np.zeros(len(x))
    kind, model = effects
    if kind == "linear":
        return np.asarray(model.predict(x[:, _LINEAR_COLUMNS]))
    with _thread_pools().limit(limits=1):
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
    return np.array([sum(words[a].get(w, 0.0) for w in sorted(data.tokens[i]))
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
    ValueError when no post of the history has its engagement.

    In one thread: a brand's history is small (tens to a few thousand posts), where the
    trees' OpenMP threads cost more than they give (90 posts: 113 ms a fit in one thread,
    155 ms in two), and they spin for CPUs other processes hold; the model is the same."""
    with _thread_pools().limit(limits=1):
        return _fit(history, seed, settings)


@functools.cache
def _thread_pools() -> Any:
    """The native thread pools (OpenMP, BLAS) of the loaded libraries, found once (looking
    them up takes milliseconds; setting their limit, microseconds)."""
    import sklearn.ensemble  # noqa: F401  (loads the trees' OpenMP library first)
    from threadpoolctl import ThreadpoolController  # scikit-learn's own dependency

    return ThreadpoolController()


def _fit(history: Sequence[Post], seed: int, settings: Settings | None) -> Model:
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
    part_rows: list[np.ndarray] = []
    if first is not None:
        cal_rows = every[cal]
        cal_posts = [data.posts[i] for i in cal_rows]
        model = Model(s, first.effects, first.accounts, first.pooled)
        point, scale, states, cal_parts = model._parts(cal_posts)
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
                part_rows.append(cal_parts[i])
    else:
        pooled_q = np.quantile(np.zeros(1), LEVELS)
        shrunk = {}
    final = _fit_core(data, every, s, seed, first)
    for name, state in final.accounts.items():
        state.scores = shrunk.get(name, pooled_q if first is not None else _own_scores(state))
    parts = np.array(part_rows).reshape(len(part_rows), len(VIRAL_PARTS))
    platt, weights = _platt(np.array(raw_p), np.array(viral), parts)
    info = {"calibration_posts": int(cal.sum()), "accounts": n_acc}
    return Model(s, final.effects, final.accounts, final.pooled, platt, info, weights)


def _own_scores(state: Account) -> np.ndarray:
    """No calibration part (every account too short): a normal spread, widened."""
    from statistics import NormalDist

    return np.array([NormalDist().inv_cdf(float(q)) * 1.5 for q in LEVELS])


def _platt(raw: np.ndarray, viral: np.ndarray,
           parts: np.ndarray) -> tuple[tuple[float, float], tuple[float, float, float]]:  # fmt: skip
    """Platt scaling of logit(raw) with the point's parts over the scale (``VIRAL_PARTS``)
    beside it, on the calibration posts: how much each part of the point, forecast out
    of sample, tells of the tail (identity and no parts when the calibration cannot
    tell)."""
    if raw.size < 20 or viral.all() or not viral.any():
        return (1.0, 0.0), (0.0, 0.0, 0.0)
    from sklearn.linear_model import LogisticRegression

    x = np.column_stack([[_logit(p) for p in raw], parts])
    lr = LogisticRegression(C=1.0).fit(x, viral)
    w = [float(v) for v in lr.coef_[0]]
    return (w[0], float(lr.intercept_[0])), (w[1], w[2], w[3])


# ---------------------------------------------------------------------------------------
# storage: plain JSON, never pickled; read back with numpy alone

FORMAT = "socialops.forecast.model"
FORMAT_VERSION = 1
# each tree's node arrays, as written: (name, kind); kind "f" float64, "i" int, "b" 0/1
_NODE_COLUMNS = (("value", "f"), ("feature_idx", "i"), ("num_threshold", "f"),
                 ("missing_go_to_left", "b"), ("left", "i"), ("right", "i"),
                 ("is_leaf", "b"))  # fmt: skip
_CATEGORICAL_COLUMNS = (("is_categorical", "b"), ("bitset_idx", "i"))
_LINKS = {"IdentityLink": "identity", "LogLink": "log"}  # sklearn's link: its inverse here
_BITSET_WORDS = 8  # sklearn's bitsets: 8 x 32 bits a row (categories 0..255)


class _Trees:
    """Gradient-boosted regression trees as node arrays (scikit-learn's
    HistGradientBoostingRegressor: each predictor's ``nodes``, ``_baseline_prediction``),
    evaluated with numpy as sklearn's ``TreePredictor.predict`` does on raw features: at a
    split, nan goes where ``missing_go_to_left`` says, else ``x <= num_threshold`` goes
    left; categorical splits by bitsets (an unknown or negative category as missing). The
    sum is made in sklearn's order (baseline, then each tree), so the predictions are the
    same floats. With categorical features (never in this model, whose features are
    plain floats), sklearn's preprocessing too: those columns first, each value as its
    index among the column's known categories (unknown: missing)."""

    def __init__(self, baseline: float, trees: list[dict[str, np.ndarray]], n_features: int,
                 link: str = "identity", known_cat_bitsets: np.ndarray | None = None,
                 f_idx_map: np.ndarray | None = None,
                 categories: dict[int, np.ndarray] | None = None) -> None:  # fmt: skip
        self.baseline = baseline
        self.trees = trees
        self.n_features = n_features
        self.link = link
        self.known_cat_bitsets = known_cat_bitsets
        self.f_idx_map = f_idx_map
        self.categories = categories  # input column: its sorted known categories

    @classmethod
    def from_sklearn(cls, model: Any) -> _Trees:
        """The node arrays of a fitted HistGradientBoostingRegressor (its private
        ``_predictors``, ``_baseline_prediction``, ``_loss.link``, ``_bin_mapper``)."""
        if getattr(model, "n_trees_per_iteration_", 1) != 1:
            raise ValueError("forecast model: only one tree per iteration can be written")
        link = _LINKS.get(type(model._loss.link).__name__)
        if link is None:
            raise ValueError(f"forecast model: the trees' link {type(model._loss.link).__name__} cannot be written")  # fmt: skip
        baseline = np.asarray(model._baseline_prediction, dtype=float).ravel()
        if baseline.size != 1:
            raise ValueError("forecast model: the trees' baseline is not one number")
        trees = []
        categorical = False
        for iteration in model._predictors:
            (predictor,) = iteration
            nodes = predictor.nodes
            tree = {name: np.array(nodes[name], dtype=float if kind == "f" else np.int64)
                    for name, kind in _NODE_COLUMNS}  # fmt: skip
            if nodes["is_categorical"].any():
                categorical = True
                for name, _ in _CATEGORICAL_COLUMNS:
                    tree[name] = np.array(nodes[name], dtype=np.int64)
                tree["raw_left_cat_bitsets"] = np.array(predictor.raw_left_cat_bitsets, dtype=np.int64)  # fmt: skip
            trees.append(tree)
        known = f_idx = None
        if categorical:
            known_raw, f_idx_raw = model._bin_mapper.make_known_categories_bitsets()
            known = np.array(known_raw, dtype=np.int64)
            f_idx = np.array(f_idx_raw, dtype=np.int64)
        categories = None
        if getattr(model, "_preprocessor", None) is not None:
            columns = np.flatnonzero(model.is_categorical_)
            found = model._preprocessor.named_transformers_["encoder"].categories_
            categories = {}
            for column, values in zip(columns.tolist(), found, strict=True):
                if values.dtype.kind != "f":
                    raise ValueError("forecast model: only numeric categories can be written")  # fmt: skip
                categories[column] = np.array(values[~np.isnan(values)], dtype=float)
        n_features = int(model.n_features_in_)
        return cls(float(baseline[0]), trees, n_features, link, known, f_idx, categories)

    def predict(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        if x.ndim != 2 or x.shape[1] != self.n_features:
            raise ValueError(f"forecast model: the trees take {self.n_features} features, got shape {x.shape}")  # fmt: skip
        if self.categories is not None:
            x = self._encode(x)
        raw = np.zeros(len(x))
        raw += self.baseline
        for tree in self.trees:
            raw += self._tree(tree, x)
        return np.exp(raw) if self.link == "log" else raw

    def _encode(self, x: np.ndarray) -> np.ndarray:
        """sklearn's preprocessing of categorical columns (its OrdinalEncoder in a
        ColumnTransformer): the categorical columns first, as category indices."""
        assert self.categories is not None
        encoded = []
        for column, known in self.categories.items():
            v = x[:, column]
            at = np.minimum(np.searchsorted(known, v), max(len(known) - 1, 0))
            hit = (known[at] == v) if len(known) else np.zeros(len(v), dtype=bool)
            encoded.append(np.where(hit, at.astype(float), np.nan))
        rest = [c for c in range(x.shape[1]) if c not in self.categories]
        return np.column_stack([*encoded, x[:, rest]]) if encoded else x

    def _tree(self, tree: dict[str, np.ndarray], x: np.ndarray) -> np.ndarray:
        is_leaf = tree["is_leaf"].astype(bool)
        feature, threshold = tree["feature_idx"], tree["num_threshold"]
        missing_left = tree["missing_go_to_left"].astype(bool)
        left, right = tree["left"], tree["right"]
        cat = tree["is_categorical"].astype(bool) if "is_categorical" in tree else None
        node = np.zeros(len(x), dtype=np.intp)
        rows = np.arange(len(x))
        for _ in range(len(is_leaf)):  # a child comes after its parent: at most this many
            live = ~is_leaf[node]
            if not live.any():
                break
            r, n = rows[live], node[live]
            v = x[r, feature[n]]
            missing = np.isnan(v)
            go_left = np.where(missing, missing_left[n], v <= threshold[n])
            if cat is not None:
                c = cat[n] & ~missing
                if c.any():
                    go_left[c] = self._categorical(tree, n[c], v[c], missing_left[n[c]])
            node[live] = np.where(go_left, left[n], right[n])
        return tree["value"][node]

    def _categorical(self, tree: dict[str, np.ndarray], n: np.ndarray, v: np.ndarray,
                     missing_left: np.ndarray) -> np.ndarray:  # fmt: skip
        """Left or right at categorical splits: in the node's left bitset, left; a known
        category of the feature, right; else (negative, unknown) as missing."""
        ok = (v >= 0) & (v < 32 * _BITSET_WORDS)
        c = np.where(ok, v, 0).astype(np.intp)  # C's cast to uint8: truncation
        raw = tree["raw_left_cat_bitsets"][tree["bitset_idx"][n], c >> 5]
        in_left = ok & (((raw >> (c & 31)) & 1) == 1)
        known_rows = self.known_cat_bitsets
        f_idx = self.f_idx_map
        if known_rows is None or f_idx is None:
            raise ValueError("forecast model: categorical splits without the known categories")  # fmt: skip
        known = ok & (((known_rows[f_idx[tree["feature_idx"][n]], c >> 5] >> (c & 31)) & 1) == 1)
        return np.where(in_left, True, np.where(known, False, missing_left))


class _Linear:
    """The linear pooled effects (``effects="linear"``): what sklearn's Ridge.predict
    computes, ``x @ coef + intercept``."""

    def __init__(self, coef: np.ndarray, intercept: float) -> None:
        self.coef = coef
        self.intercept = intercept

    def predict(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(x, dtype=float) @ self.coef + self.intercept


def _num(v: float) -> float | str:
    v = float(v)
    if math.isfinite(v):
        return v
    return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")


def _nums(a: Any) -> list[float | str]:
    return [_num(v) for v in np.asarray(a, dtype=float).ravel().tolist()]


def _ints(a: Any) -> list[int]:
    return [int(v) for v in np.asarray(a).ravel().tolist()]


def _effects_doc(effects: Any) -> dict[str, Any] | None:
    if effects is None:
        return None
    kind, model = effects
    if kind == "linear":
        if not isinstance(model, _Linear):
            coef = np.asarray(model.coef_, dtype=float)
            if coef.ndim != 1:
                raise ValueError("forecast model: the linear effects are not one target's")
            model = _Linear(coef, float(model.intercept_))
        return {"kind": "linear", "coef": _nums(model.coef), "intercept": _num(model.intercept)}
    if kind != "trees":
        raise ValueError(f"forecast model: effects of kind {kind!r} cannot be written")
    trees = model if isinstance(model, _Trees) else _Trees.from_sklearn(model)
    written = []
    for tree in trees.trees:
        t: dict[str, Any] = {}
        for name, col in (*_NODE_COLUMNS, *_CATEGORICAL_COLUMNS):
            if name in tree:
                t[name] = _nums(tree[name]) if col == "f" else _ints(tree[name])
        if "raw_left_cat_bitsets" in tree:
            t["raw_left_cat_bitsets"] = [_ints(row) for row in tree["raw_left_cat_bitsets"]]
        written.append(t)
    doc: dict[str, Any] = {"kind": "trees", "link": trees.link, "n_features": trees.n_features,
                           "baseline": _num(trees.baseline), "trees": written}  # fmt: skip
    if trees.known_cat_bitsets is not None and trees.f_idx_map is not None:
        doc["known_cat_bitsets"] = [_ints(row) for row in trees.known_cat_bitsets]
        doc["f_idx_map"] = _ints(trees.f_idx_map)
    if trees.categories is not None:
        doc["categorical_columns"] = list(trees.categories)
        doc["categories"] = [_nums(v) for v in trees.categories.values()]
    return doc


def _account_doc(a: Account) -> dict[str, Any]:
    return {"posts": int(a.posts), "level": _num(a.level), "slope": _num(a.slope),
            "last": _num(a.last), "followers": _num(a.followers), "median": _num(a.median),
            "sigma": _num(a.sigma), "horizon": _num(a.horizon), "delta": _nums(a.delta),
            "words": {str(w): _num(v) for w, v in a.words.items()},
            "scores": _nums(a.scores)}  # fmt: skip


def _model_doc(model: Model) -> dict[str, Any]:
    settings: dict[str, Any] = {}
    for f in _settings_fields():
        v = getattr(model.settings, f.name)
        settings[f.name] = _num(v) if f.type == "float" else v
    info: dict[str, Any] = {}
    for k, v in model.info.items():
        if not (v is None or isinstance(v, str | bool | int | float)):
            raise ValueError(f"forecast model: info[{k!r}] is not a number, string, bool or null")  # fmt: skip
        info[str(k)] = _num(v) if isinstance(v, float) else v
    return {
        "format": FORMAT, "version": FORMAT_VERSION,
        "features": list(FEATURES), "account_features": list(ACCOUNT_FEATURES),
        "levels": _nums(LEVELS), "settings": settings, "effects": _effects_doc(model.effects),
        "accounts": {name: _account_doc(a) for name, a in model.accounts.items()},
        "pooled": _account_doc(model.pooled),
        "platt": [_num(model.platt[0]), _num(model.platt[1])], "info": info,
        "viral": _nums(model.viral),
    }  # fmt: skip


def _settings_fields() -> tuple[Any, ...]:
    from dataclasses import fields

    return fields(Settings)


class _Malformed(ValueError):
    def __init__(self, where: str, what: str) -> None:
        super().__init__(f"forecast model: malformed document: {where}: {what}")


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON (non-finite numbers are written as strings)")


def _obj(v: Any, where: str, keys: Sequence[str] | None = None,
         optional: Sequence[str] = ()) -> dict[str, Any]:  # fmt: skip
    if not isinstance(v, dict):
        raise _Malformed(where, "expected an object")
    if keys is not None:
        missing = [k for k in keys if k not in v]
        extra = [k for k in v if k not in keys and k not in optional]
        if missing or extra:
            raise _Malformed(where, f"missing keys {missing}, unknown keys {extra}")
    return v


def _float(v: Any, where: str) -> float:
    if isinstance(v, bool) or not isinstance(v, int | float | str):
        raise _Malformed(where, "expected a number")
    if isinstance(v, str) and v not in ("nan", "inf", "-inf"):
        raise _Malformed(where, f"expected a number, got {v!r}")
    return float(v)


def _int(v: Any, where: str, low: int | None = None, high: int | None = None) -> int:
    if isinstance(v, bool) or not isinstance(v, int):
        raise _Malformed(where, "expected an integer")
    if (low is not None and v < low) or (high is not None and v > high):
        raise _Malformed(where, f"{v} is outside [{low}, {high}]")
    return v


def _list(v: Any, where: str, size: int | None = None) -> list[Any]:
    if not isinstance(v, list):
        raise _Malformed(where, "expected a list")
    if size is not None and len(v) != size:
        raise _Malformed(where, f"expected {size} items, got {len(v)}")
    return v


def _floats(v: Any, where: str, size: int | None = None) -> np.ndarray:
    items = _list(v, where, size)
    if all(type(e) is float or type(e) is int for e in items):  # the usual case, fast
        return np.array(items, dtype=float)
    return np.array([_float(e, f"{where}[{i}]") for i, e in enumerate(items)], dtype=float)


def _int_array(v: Any, where: str, size: int | None, low: int, high: int) -> np.ndarray:
    items = _list(v, where, size)
    if not all(type(e) is int for e in items):
        raise _Malformed(where, "expected integers")
    a = np.array(items, dtype=np.int64)
    if a.size and (a.min() < low or a.max() > high):
        raise _Malformed(where, f"values outside [{low}, {high}]")
    return a


def _bitsets(v: Any, where: str) -> np.ndarray:
    rows = [_int_array(r, f"{where}[{i}]", _BITSET_WORDS, 0, 2**32 - 1)
            for i, r in enumerate(_list(v, where))]  # fmt: skip
    return np.array(rows, dtype=np.int64).reshape(len(rows), _BITSET_WORDS)


def _tree_from_doc(v: Any, where: str, n_features: int,
                   n_known: int | None) -> dict[str, np.ndarray]:  # fmt: skip
    names = [n for n, _ in _NODE_COLUMNS]
    cat_names = [n for n, _ in _CATEGORICAL_COLUMNS] + ["raw_left_cat_bitsets"]
    d = _obj(v, where, names, cat_names)
    size = len(_list(d["value"], f"{where}.value"))
    if size < 1:
        raise _Malformed(where, "a tree without nodes")
    tree: dict[str, np.ndarray] = {}
    for name, kind in _NODE_COLUMNS:
        w = f"{where}.{name}"
        if kind == "f":
            tree[name] = _floats(d[name], w, size)
        else:
            tree[name] = _int_array(d[name], w, size, 0, 1 if kind == "b" else 2**32 - 1)
    split = tree["is_leaf"] == 0
    index = np.arange(size)
    if split.any():
        if tree["feature_idx"][split].max() >= n_features:
            raise _Malformed(f"{where}.feature_idx", f"a feature beyond the {n_features}")
        for name in ("left", "right"):  # children after their parent, inside the tree
            child = tree[name][split]
            if (child <= index[split]).any() or (child >= size).any():
                raise _Malformed(f"{where}.{name}", "a child outside the tree or before its parent")  # fmt: skip
    if any(n in d for n in cat_names):
        if not all(n in d for n in cat_names) or n_known is None:
            raise _Malformed(where, "categorical splits need is_categorical, bitset_idx, raw_left_cat_bitsets and the known categories")  # fmt: skip
        tree["is_categorical"] = _int_array(d["is_categorical"], f"{where}.is_categorical", size, 0, 1)  # fmt: skip
        raw = _bitsets(d["raw_left_cat_bitsets"], f"{where}.raw_left_cat_bitsets")
        tree["raw_left_cat_bitsets"] = raw
        cat = (tree["is_categorical"] == 1) & split
        tree["bitset_idx"] = _int_array(d["bitset_idx"], f"{where}.bitset_idx", size, 0, 2**32 - 1)  # fmt: skip
        if cat.any() and tree["bitset_idx"][cat].max() >= len(raw):
            raise _Malformed(f"{where}.bitset_idx", "beyond raw_left_cat_bitsets")
        if cat.any() and n_known == 0:
            raise _Malformed(where, "categorical splits without the known categories")
    return tree


def _effects_from_doc(v: Any) -> Any:
    if v is None:
        return None
    kind = _obj(v, "effects").get("kind")
    if kind == "linear":
        d = _obj(v, "effects", ["kind", "coef", "intercept"])
        coef = _floats(d["coef"], "effects.coef", len(_LINEAR_COLUMNS))
        return ("linear", _Linear(coef, _float(d["intercept"], "effects.intercept")))
    if kind != "trees":
        raise _Malformed("effects.kind", f"expected 'trees' or 'linear', got {kind!r}")
    d = _obj(v, "effects", ["kind", "link", "n_features", "baseline", "trees"],
             ["known_cat_bitsets", "f_idx_map", "categorical_columns", "categories"])  # fmt: skip
    if d["link"] not in _LINKS.values():
        raise _Malformed("effects.link", f"expected one of {sorted(_LINKS.values())}")
    n_features = _int(d["n_features"], "effects.n_features", len(FEATURES), len(FEATURES))
    known = f_idx = None
    if "known_cat_bitsets" in d or "f_idx_map" in d:
        known = _bitsets(d.get("known_cat_bitsets"), "effects.known_cat_bitsets")
        f_idx = _int_array(d.get("f_idx_map"), "effects.f_idx_map", n_features, 0,
                           max(len(known) - 1, 0))  # fmt: skip
    n_known = None if known is None else len(known)
    trees = [_tree_from_doc(t, f"effects.trees[{i}]", n_features, n_known)
             for i, t in enumerate(_list(d["trees"], "effects.trees"))]  # fmt: skip
    baseline = _float(d["baseline"], "effects.baseline")
    categories = None
    if "categorical_columns" in d or "categories" in d:
        columns = _int_array(d.get("categorical_columns"), "effects.categorical_columns",
                             None, 0, n_features - 1)  # fmt: skip
        if len(set(columns.tolist())) != len(columns):
            raise _Malformed("effects.categorical_columns", "a column twice")
        found = _list(d.get("categories"), "effects.categories", len(columns))
        categories = {}
        for i, (column, values) in enumerate(zip(columns.tolist(), found, strict=True)):
            known_values = _floats(values, f"effects.categories[{i}]")
            if np.isnan(known_values).any() or (np.diff(known_values) <= 0).any():
                raise _Malformed(f"effects.categories[{i}]", "expected increasing numbers")
            categories[column] = known_values
    return ("trees", _Trees(baseline, trees, n_features, d["link"], known, f_idx, categories))


_ACCOUNT_KEYS = ("posts", "level", "slope", "last", "followers", "median", "sigma", "horizon",
                 "delta", "words", "scores")  # fmt: skip


def _account_from_doc(v: Any, where: str) -> Account:
    d = _obj(v, where, _ACCOUNT_KEYS)
    words = _obj(d["words"], f"{where}.words")
    return Account(
        posts=_int(d["posts"], f"{where}.posts", 0),
        **{k: _float(d[k], f"{where}.{k}") for k in _ACCOUNT_KEYS[1:8]},
        delta=_floats(d["delta"], f"{where}.delta", len(ACCOUNT_FEATURES)),
        words={w: _float(x, f"{where}.words[{w!r}]") for w, x in words.items()},
        scores=_floats(d["scores"], f"{where}.scores", len(LEVELS)),
    )


def _settings_from_doc(v: Any) -> Settings:
    fs = _settings_fields()
    d = _obj(v, "settings", [f.name for f in fs])
    values: dict[str, Any] = {}
    for f in fs:
        x, where = d[f.name], f"settings.{f.name}"
        if f.type == "float":
            values[f.name] = _float(x, where)
        elif f.type == "int":
            values[f.name] = _int(x, where)
        elif f.type == "bool":
            if not isinstance(x, bool):
                raise _Malformed(where, "expected true or false")
            values[f.name] = x
        else:
            if not isinstance(x, str):
                raise _Malformed(where, "expected a string")
            values[f.name] = x
    return Settings(**values)


def _model_from_doc(doc: Any) -> Model:
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ValueError(f"forecast model: not a forecast model document (no \"format\": \"{FORMAT}\")")  # fmt: skip
    version = doc.get("version")
    if version != FORMAT_VERSION or isinstance(version, bool):
        raise ValueError(f"forecast model: format version {version!r} is not supported (this code reads version {FORMAT_VERSION})")  # fmt: skip
    d = _obj(doc, "document", ["format", "version", "features", "account_features", "levels",
                               "settings", "effects", "accounts", "pooled", "platt", "info"],
             ["viral"])  # fmt: skip
    if d["features"] != list(FEATURES) or d["account_features"] != list(ACCOUNT_FEATURES):
        raise ValueError("forecast model: the document was written for other features than this code's (refit)")  # fmt: skip
    levels = _floats(d["levels"], "levels")
    if levels.shape != LEVELS.shape or not np.array_equal(levels, LEVELS):
        raise ValueError("forecast model: the document was written for other quantile levels than this code's (refit)")  # fmt: skip
    accounts = {str(name): _account_from_doc(a, f"accounts[{name!r}]")
                for name, a in _obj(d["accounts"], "accounts").items()}  # fmt: skip
    platt = _list(d["platt"], "platt", 2)
    # "viral": absent from the documents written before it (Platt alone: zeros)
    viral = _floats(d.get("viral", [0.0] * len(VIRAL_PARTS)), "viral", len(VIRAL_PARTS))
    info = _obj(d["info"], "info")
    for k, x in info.items():
        if not (x is None or isinstance(x, str | bool | int | float)):
            raise _Malformed(f"info[{k!r}]", "expected a number, string, bool or null")
    return Model(
        settings=_settings_from_doc(d["settings"]), effects=_effects_from_doc(d["effects"]),
        accounts=accounts, pooled=_account_from_doc(d["pooled"], "pooled"),
        platt=(_float(platt[0], "platt[0]"), _float(platt[1], "platt[1]")), info=dict(info),
        viral=(float(viral[0]), float(viral[1]), float(viral[2])),
    )  # fmt: skip
