"""Ranking a post's caption variants by their engagement forecast (issue: generation).

Each variant that passed the guardrails is forecast as the post it would be: the same
account, time (local to the audience), media and follower count, only the text differs,
so what separates them is what the model learnt of words, length, hashtags, links and a
question. The pick is the best P50; a tie keeps the variants' order (the provider's). The
forecast is the engagement model of functions/optimize/forecast.py: the brand's stored
one (``optimize``), or one fitted on the lake; an account the model has no history of
gets the pooled model, and ``Ranking.pooled`` says so, for the review file to say that
the ranking rests on other accounts' posts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from functions.optimize.forecast import Forecast, Post

K_VIRAL = 3.0


@dataclass(frozen=True)
class Ranked:
    text: str
    forecast: Forecast


@dataclass(frozen=True)
class Ranking:
    ranked: list[Ranked]  # best P50 first
    pooled: bool  # the account has no history in the model: the pooled model ranked them

    @property
    def pick(self) -> Ranked | None:
        return self.ranked[0] if self.ranked else None


def rank(texts: Sequence[str], model: Any, account: str, when: datetime, media: str | None,
         followers: int | None, k: float = K_VIRAL) -> Ranking:  # fmt: skip
    """``texts`` forecast as posts of ``account`` at ``when`` (aware, local), best first."""
    posts = [Post(account, when, text, media, followers) for text in texts]
    forecasts = model.predict(posts, k) if posts else []
    order = sorted(range(len(texts)), key=lambda i: (-forecasts[i].p50, i))
    pooled = account not in getattr(model, "accounts", {})
    return Ranking([Ranked(texts[i], forecasts[i]) for i in order], pooled)
