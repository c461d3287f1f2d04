"""The engagement forecast model (functions/optimize/forecast.py) on synthetic histories
whose structure is known: videos get 3x, replies 0.3x, one account grows; the model must
rank posts as the truth does, its P10-P90 must cover about 80% of fresh posts from the
same process, p_viral must be higher where the truth makes virality likelier, an unknown
account gets the pooled model, the same inputs give the same forecasts, and tiny or empty
histories are handled."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta, timezone

import numpy as np
import pytest

from functions.optimize.forecast import Forecast, Model, Post, Settings, fit

START = datetime(2026, 1, 1, tzinfo=UTC)
PARIS = timezone(timedelta(hours=1))
KINDS = ("image", "video", "reply")
FACTOR = {"image": 1.0, "video": 3.0, "reply": 0.3}
NOISE = 0.35  # sd of log engagement around the truth


def truth(account: str, kind: str, day: float) -> float:
    """The median engagement of a post (what the process is built on)."""
    base = {"steady": 400.0, "small": 40.0, "growing": 100.0 * math.exp(0.01 * day)}[account]
    return base * FACTOR[kind]


def posts(account: str, days: range, seed: int, per_day: int = 2, counted: bool = True) -> list[Post]:  # fmt: skip
    rng = random.Random(f"{account}/{seed}")
    out = []
    for day in days:
        for j in range(per_day):
            kind = rng.choice(KINDS)
            at = START + timedelta(days=day, hours=8 + 6 * j + rng.random())
            text = ("@someone thanks! " if kind == "reply" else "New post ") + f"#{day % 7} {rng.random():.3f}"  # fmt: skip
            media = "video" if kind == "video" else ("none" if kind == "reply" else "image")
            value = truth(account, kind, day) * math.exp(rng.gauss(0.0, NOISE))
            out.append(Post(account, at.astimezone(PARIS), text, media, 5000 + day,
                            round(value) if counted else None))  # fmt: skip
    return out


def kind_of(post: Post) -> str:
    return "reply" if post.text.startswith("@") else ("video" if post.media == "video" else "image")


@pytest.fixture(scope="module")
def history() -> list[Post]:
    return (posts("steady", range(0, 200), 1) + posts("small", range(0, 200), 2)
            + posts("growing", range(0, 200), 3))  # fmt: skip


@pytest.fixture(scope="module")
def model(history: list[Post]) -> Model:
    return fit(history, seed=0)


def fresh(account: str, seed: int = 9) -> list[Post]:
    """Posts from the same process in the 30 days after the history, counts known (for
    scoring only: the model sees them without)."""
    return posts(account, range(200, 230), seed)


def blind(found: list[Post]) -> list[Post]:
    return [Post(p.account, p.created_at, p.text, p.media, p.followers) for p in found]


def test_forecasts_are_ordered_and_finite(model: Model) -> None:
    for f in model.predict(blind(fresh("steady")), k=3.0):
        assert isinstance(f, Forecast)
        assert 0 <= f.p10 <= f.p50 <= f.p90 and 0.0 <= f.p_viral <= 1.0
        assert all(math.isfinite(v) for v in (f.p10, f.p50, f.p90, f.p_viral))


def test_videos_above_images_above_replies(model: Model) -> None:
    for account in ("steady", "small", "growing"):
        found = fresh(account)
        forecasts = model.predict(blind(found))
        by: dict[str, list[float]] = {}
        for post, f in zip(found, forecasts, strict=True):
            by.setdefault(kind_of(post), []).append(math.log(f.p50))
        video, image, reply = (float(np.median(by[k])) for k in ("video", "image", "reply"))
        assert video > image > reply, account
        # the factors themselves, within a margin (log 3 = 1.10, log 0.3 = -1.20)
        assert video - image == pytest.approx(math.log(3.0), abs=0.35), account
        assert reply - image == pytest.approx(math.log(0.3), abs=0.35), account


def test_p50_ranks_posts_as_the_truth(model: Model) -> None:
    from scipy.stats import spearmanr

    found = [p for a in ("steady", "small", "growing") for p in fresh(a)]
    forecasts = model.predict(blind(found))
    medians = [truth(p.account, kind_of(p), (p.created_at - START).days) for p in found]
    assert spearmanr([f.p50 for f in forecasts], medians).statistic > 0.9
    # and within one account, against what each post got
    steady = fresh("steady")
    got = [p.engagement for p in steady]
    assert spearmanr([f.p50 for f in model.predict(blind(steady))], got).statistic > 0.6


def test_the_growing_account_is_forecast_at_its_recent_level(model: Model) -> None:
    found = [p for p in fresh("growing") if kind_of(p) == "image"]
    p50 = np.median([f.p50 for f in model.predict(blind(found))])
    early = truth("growing", "image", 0)
    now = truth("growing", "image", 200)
    assert abs(math.log(p50 / now)) < 0.4 < math.log(now / early)


def test_intervals_cover_about_what_they_claim(model: Model) -> None:
    inside, total, widths = 0, 0, []
    for account in ("steady", "small", "growing"):
        for seed in (11, 12, 13):
            found = fresh(account, seed)
            for post, f in zip(found, model.predict(blind(found)), strict=True):
                inside += f.p10 <= (post.engagement or 0) <= f.p90
                total += 1
                widths.append(math.log1p(f.p90) - math.log1p(f.p10))
    assert 0.70 <= inside / total <= 0.93
    # an 80% interval of a normal of sd NOISE is 2 x 1.28 x NOISE = 0.90 wide: sharp, not vague
    assert float(np.mean(widths)) < 2.0 * 2 * 1.2816 * NOISE


def test_p_viral_is_higher_where_the_truth_says(model: Model) -> None:
    found = fresh("steady")
    forecasts = model.predict(blind(found), k=2.0)
    by: dict[str, list[float]] = {}
    for post, f in zip(found, forecasts, strict=True):
        by.setdefault(kind_of(post), []).append(f.p_viral)
    # 2x the median: about half of the videos (3x the images, the bulk of the history),
    # hardly any image, no reply
    assert np.mean(by["video"]) > 0.3 > np.mean(by["image"]) > np.mean(by["reply"])
    # the growing account: its level is far above its history's median
    growing = [f.p_viral for f in model.predict(blind(fresh("growing")), k=2.0)]
    assert np.mean(growing) > np.mean(by["image"])
    # a larger k, a smaller probability
    higher = model.predict(blind(found), k=10.0)
    assert all(h.p_viral <= f.p_viral + 1e-12 for h, f in zip(higher, forecasts, strict=True))


def test_an_unknown_account_gets_the_pooled_model(model: Model) -> None:
    at = START + timedelta(days=210, hours=12)
    new = [Post("nobody", at, "New post #1", "image"), Post("nobody-else", at, "New post #1", "image")]  # fmt: skip
    a, b = model.predict(new)
    assert a == b  # nothing of either is known: the same pooled forecast
    known = model.predict([Post("steady", at, "New post #1", "image")])[0]
    # wider than a known account's (any level among the accounts'), and no one account's
    assert math.log(a.p90 / a.p10) > 2 * math.log(known.p90 / known.p10)
    assert a.p10 < truth("small", "image", 210) < a.p50 < truth("growing", "image", 210)


def test_the_same_history_gives_the_same_forecasts(history: list[Post], model: Model) -> None:
    again = fit(list(reversed(history)), seed=0)  # the order of the rows does not matter
    found = blind(fresh("growing") + fresh("steady"))
    assert again.predict(found, k=2.5) == model.predict(found, k=2.5)


def test_counts_of_the_posts_to_forecast_are_never_read(model: Model) -> None:
    found = fresh("steady")
    assert model.predict(found) == model.predict(blind(found))


def test_an_empty_history_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="no post with its engagement"):
        fit([])
    with pytest.raises(ValueError, match="no post with its engagement"):
        fit(blind(fresh("steady")))  # no counts: nothing to learn from


@pytest.mark.parametrize("n", [1, 2, 3, 12, 40])
def test_tiny_histories_do_not_crash(n: int) -> None:
    small = posts("steady", range(0, 40), 5, per_day=1)[:n]
    model = fit(small + posts("small", range(0, 2), 6, per_day=1), seed=3)
    at = START + timedelta(days=45)
    for f in model.predict([Post("steady", at, "New post", "video"), Post("x", at, "hi")]):
        assert 0 <= f.p10 <= f.p50 <= f.p90 and 0 <= f.p_viral <= 1
        assert all(math.isfinite(v) for v in (f.p10, f.p50, f.p90))
    assert model.predict([]) == []


def test_zero_engagement_and_missing_fields() -> None:
    at = START + timedelta(hours=3)
    history = [Post("z", at + timedelta(hours=i), "", None, None, 0 if i % 2 else 1) for i in range(30)]  # fmt: skip
    f = fit(history).predict([Post("z", at + timedelta(days=3), "")])[0]
    assert 0 <= f.p10 <= f.p50 <= f.p90 <= 10


def test_settings_are_kept() -> None:
    s = Settings(words=0.0, effects="linear")
    model = fit(posts("steady", range(0, 60), 1), settings=s)
    assert model.settings == s


def test_the_trees_grow_and_predict_in_one_thread(history: list[Post], monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    """Each tree is an OpenMP region; with the other CPUs busy (the report's drawing
    workers), a second thread's wait cost 0.5 ms a tree: fit and predict use one."""
    from sklearn.ensemble import HistGradientBoostingRegressor
    from threadpoolctl import threadpool_info

    seen: dict[str, set[int]] = {"fit": set(), "predict": set()}

    def openmp() -> set[int]:
        return {p["num_threads"] for p in threadpool_info() if p["user_api"] == "openmp"}

    for name in seen:
        original = getattr(HistGradientBoostingRegressor, name)

        def spy(self: object, *args: object, _name: str = name, _original: object = original,
                **kwargs: object) -> object:  # fmt: skip
            seen[_name] |= openmp()
            return _original(self, *args, **kwargs)  # type: ignore[operator]

        monkeypatch.setattr(HistGradientBoostingRegressor, name, spy)
    model = fit(history[:300], seed=0)
    model.predict(fresh("steady"))
    assert seen == {"fit": {1}, "predict": {1}}
