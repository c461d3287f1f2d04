"""Engagement forecasts with calibrated intervals (``socialops forecast`` and, later, the
``optimize`` function's per-brand training).

Engagement is likes + shares + comments. ``fit(history)`` learns from an account's own
posts, shrunk toward the pooled history of all accounts given; ``Model.predict(posts, k)``
gives each post P10/P50/P90 and the probability that it goes viral (engagement above ``k``
times the median engagement of that account's history; an account absent from the
history gets the pooled model).

This first version forecasts each account's own history quantiles (the baseline the
benchmark compares against); the learnt model replaces it behind the same interface.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

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


@dataclass
class Model:
    """What ``fit`` learnt: per account, its history's engagement (log1p); pooled, all."""

    accounts: dict[str, np.ndarray]
    pooled: np.ndarray

    def predict(self, posts: Sequence[Post], k: float = 3.0) -> list[Forecast]:
        out = []
        for post in posts:
            values = self.accounts.get(post.account, self.pooled)
            if values.size == 0:
                out.append(Forecast(0.0, 0.0, 0.0, 0.0))
                continue
            p10, p50, p90 = np.expm1(np.quantile(values, [0.1, 0.5, 0.9]))
            median = float(np.expm1(np.median(values)))
            p_viral = float(np.mean(np.expm1(values) > k * median))
            out.append(Forecast(float(p10), float(p50), float(p90), p_viral))
        return out


def fit(history: Sequence[Post], seed: int = 0) -> Model:
    """Learn from ``history`` (posts with their engagement). Deterministic for a seed."""
    del seed  # the learnt model uses it
    by: dict[str, list[float]] = {}
    for post in history:
        if post.engagement is not None:
            by.setdefault(post.account, []).append(float(np.log1p(post.engagement)))
    accounts = {a: np.asarray(v) for a, v in by.items()}
    pooled = np.concatenate(list(accounts.values())) if accounts else np.zeros(0)
    return Model(accounts, pooled)
