"""Ranking caption variants by their forecast (infra/ranking.py): the best P50 first, the
provider's order on a tie, and whether the pooled model did it."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from functions.optimize.forecast import Forecast, Post
from infra.ranking import rank

WHEN = datetime(2027, 1, 14, 9, tzinfo=UTC)


class Fixed:
    """A model whose P50 is a text's length (its accounts: one known)."""

    accounts: ClassVar[dict[str, object]] = {"x:brewlab": object()}

    def predict(self, posts: list[Post], k: float = 3.0) -> list[Forecast]:
        assert all(p.account == posts[0].account and p.created_at == WHEN for p in posts)
        return [Forecast(1.0, float(len(p.text)), 99.0, 0.1) for p in posts]


def test_the_best_p50_is_the_pick_and_a_tie_keeps_the_provider_s_order() -> None:
    ranking = rank(["short", "a longer one", "same len", "same-len"], Fixed(), "x:brewlab",
                   WHEN, "image", 5000)  # fmt: skip
    assert [r.text for r in ranking.ranked] == ["a longer one", "same len", "same-len", "short"]
    assert ranking.pick is not None and ranking.pick.forecast.p50 == 12.0
    assert ranking.pooled is False
    assert rank(["a"], Fixed(), "x:nobody", WHEN, None, None).pooled is True
    assert rank([], Fixed(), "x:brewlab", WHEN, None, None).pick is None


def test_a_fitted_model_ranks_by_what_it_learnt_of_the_words() -> None:
    from functions.optimize.forecast import fit

    rng = random.Random(3)
    history: list[Any] = []
    for i in range(120):  # posts that mention "bloom" do three times better
        bloom = i % 2 == 0
        text = ("why the bloom matters" if bloom else "our cafe news today") + f" {i}"
        history.append(Post("x:brewlab", WHEN - timedelta(days=120 - i), text, "image", 5000,
                            int((90 if bloom else 30) * rng.uniform(0.8, 1.2))))  # fmt: skip
    model = fit(history)
    ranking = rank(["our cafe news", "why the bloom matters"], model, "x:brewlab", WHEN,
                   "image", 5000)  # fmt: skip
    assert ranking.pick is not None and ranking.pick.text == "why the bloom matters"
    assert not ranking.pooled
