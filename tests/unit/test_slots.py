"""The best-time slot model (functions/optimize/slots.py) on histories drawn from known
curves: the peak hour must come first, a platform with few posts must follow the brand's
pool and one with many its own posts, an unseen platform gets the pool and an unseen zone
the prior, ``choose`` keeps to its candidates and exclusions and explores only when asked,
the model survives a JSON round trip bit for bit and refuses malformed documents, and
slots are local hours of the week across changes of time. The posterior is also checked
against a brute-force solve of the same linear-Gaussian model."""

from __future__ import annotations

import ast
import json
import math
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from functions.optimize import slots
from functions.optimize.slots import (
    HOURS,
    INDUSTRY,
    Curve,
    Observation,
    Settings,
    SlotModel,
    choose,
    hourly_profile,
    local_hour_of_week,
)

ROOT = Path(__file__).resolve().parents[2]
PARIS = "Europe/Paris"
TOKYO = "Asia/Tokyo"
START = datetime(2025, 1, 6, tzinfo=UTC)  # a Monday
PLAIN = Settings(night_prior=0.0)  # a prior without the night: only the data speak


def bump(peak: float, width: float = 2.0, height: float = 1.2) -> Callable[[int], float]:
    """A log lift by local hour of week: one bump at ``peak`` o'clock every day."""

    def lift(hour_of_week: int) -> float:
        d = abs(hour_of_week % 24 - peak)
        d = min(d, 24 - d)
        return height * math.exp(-(d**2) / (2 * width**2))

    return lift


def history(
    lift: Callable[[int], float],
    platform: str,
    posts: int,
    seed: int,
    zone: str = PARIS,
    noise: float = 0.5,
    followers: float | None = 2000.0,
) -> list[Observation]:
    """``posts`` posts at random hours over the weeks from START, engagement = followers x
    0.02 x exp(lift + noise)."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(posts):
        at = START + timedelta(days=i // 2, hours=int(rng.integers(0, 24)), minutes=int(rng.integers(0, 60)))  # fmt: skip
        h = local_hour_of_week(at, zone)
        base = (followers or 2000.0) * 0.02
        value = base * math.exp(lift(h) + rng.normal(0.0, noise))
        media = ("image", "video", "none")[i % 3]
        out.append(Observation(platform, zone, at, float(round(value)), followers, media))
    return out


def hour_of_day_means(curve: Curve) -> np.ndarray:
    out: np.ndarray = curve.mean.reshape(7, 24).mean(axis=0)
    return out


# --- fitting ---------------------------------------------------------------------------------


def test_the_peak_hour_of_a_known_curve_comes_first() -> None:
    obs = history(bump(20), "instagram", 300, seed=1) + history(bump(20), "x", 200, seed=2)
    model = SlotModel.fit(obs, PLAIN)
    for platform in ("instagram", "x"):
        curve = model.curve(platform, PARIS)
        assert int(np.argmax(hour_of_day_means(curve))) == 20
        assert curve.best() % 24 in (19, 20, 21)
        truth = np.array([bump(20)(h) for h in range(HOURS)])
        assert np.corrcoef(curve.mean, truth)[0, 1] > 0.9
        assert abs(float(curve.mean.mean())) < 1e-9  # centred over the week
        assert curve.posts == (300 if platform == "instagram" else 200)
        assert np.all(curve.sd > 0) and np.all(curve.sd < 0.5)


def test_followers_unknown_and_growth_are_taken_out_by_the_levels() -> None:
    # followers unknown on one platform: its level is learnt from its own posts
    obs = history(bump(9), "linkedin", 300, seed=3, followers=None)
    curve = SlotModel.fit(obs, PLAIN).curve("linkedin", PARIS)
    assert int(np.argmax(hour_of_day_means(curve))) == 9


def test_a_heavy_tail_does_not_make_a_peak() -> None:
    obs = history(bump(20), "instagram", 300, seed=4)
    # three posts at 4 o'clock that took off (x 40)
    spikes = [o for o in obs if o.posted_at.astimezone(slots._zone(PARIS)).hour == 4][:3]
    boosted = [Observation(o.platform, o.zone, o.posted_at, o.engagement * 40, o.followers, o.media)
               if o in spikes else o for o in obs]  # fmt: skip
    assert len(spikes) == 3
    curve = SlotModel.fit(boosted, PLAIN).curve("instagram", PARIS)
    means = hour_of_day_means(curve)
    assert int(np.argmax(means)) == 20 and means[4] < means[20] - 0.5


def test_a_platform_with_few_posts_follows_the_pool_and_with_many_its_own() -> None:
    pool = history(bump(20), "instagram", 400, seed=5)
    few = SlotModel.fit(pool + history(bump(9), "facebook", 6, seed=6), PLAIN)
    many = SlotModel.fit(pool + history(bump(9), "facebook", 400, seed=7), PLAIN)
    assert int(np.argmax(hour_of_day_means(few.curve("facebook", PARIS)))) in (19, 20, 21)
    assert int(np.argmax(hour_of_day_means(many.curve("facebook", PARIS)))) in (8, 9, 10)
    # the pool pulls: facebook's own few posts barely move it away from instagram's curve
    gap_few = np.abs(few.curve("facebook", PARIS).mean - few.curve("instagram", PARIS).mean)
    gap_many = np.abs(many.curve("facebook", PARIS).mean - many.curve("instagram", PARIS).mean)
    assert gap_few.mean() < 0.5 * gap_many.mean()


def test_little_history_stays_near_the_prior_and_much_history_leaves_it() -> None:
    prior = SlotModel.fit([], PLAIN).curve("instagram", PARIS)
    assert np.allclose(prior.mean, 0.0) and prior.posts == 0
    tiny = SlotModel.fit(history(bump(20), "instagram", 3, seed=8), PLAIN).curve("instagram", PARIS)  # fmt: skip
    big = SlotModel.fit(history(bump(20), "instagram", 400, seed=8), PLAIN).curve("instagram", PARIS)  # fmt: skip
    assert np.abs(tiny.mean).max() < 0.3 < np.abs(big.mean).max()
    assert tiny.sd.mean() > 0.9 * prior.sd.mean() and big.sd.mean() < 0.5 * prior.sd.mean()


def test_an_unseen_platform_gets_the_pool_and_an_unseen_zone_the_prior() -> None:
    obs = history(bump(20), "instagram", 200, seed=9) + history(bump(18), "x", 200, seed=10)
    model = SlotModel.fit(obs, PLAIN)
    unseen = model.curve("tiktok", PARIS)
    pooled = model.pooled(PARIS)
    assert np.allclose(unseen.mean, pooled.mean) and unseen.posts == 0
    assert np.all(unseen.sd >= pooled.sd - 1e-12)  # widened by the platforms' spread
    far = model.curve("instagram", TOKYO)
    assert np.allclose(far.mean, 0.0) and far.posts == 0
    # the default prior: the small hours lower than the afternoon, in local time
    night = SlotModel.fit([], Settings()).curve("instagram", TOKYO)
    assert night.mean[3] < night.mean[15] - 1.0


def test_an_audience_zone_is_its_own_curve() -> None:
    # the same instants, read in Tokyo (8 hours ahead of Paris in winter)
    obs = history(bump(20), "instagram", 300, seed=11, zone=TOKYO)
    model = SlotModel.fit(obs, PLAIN)
    assert model.zones() == [TOKYO] and model.platforms(TOKYO) == ["instagram"]
    assert int(np.argmax(hour_of_day_means(model.curve("instagram", TOKYO)))) == 20


def test_the_posterior_is_the_exact_linear_gaussian_one() -> None:
    """The per-hour sufficient statistics with levels integrated out give the same
    posterior as a brute-force solve over the lift, the levels and the media offsets."""
    settings = Settings(media_sd=0.4, night_prior=0.0)
    rng = np.random.default_rng(0)
    groups: dict[str, slots._Stats] = {}
    rows = []
    for key in ("followers|image", "followers|video", "raw|none"):
        h = rng.integers(0, HOURS, 15)
        y = rng.normal(size=15)
        groups[key] = slots._Stats(np.bincount(h, minlength=HOURS).astype(float),
                                   np.bincount(h, weights=y, minlength=HOURS))  # fmt: skip
        rows.append((key, h, y))
    prior_mean, prior_cov = slots._prior(settings)
    precision, linear = slots._data_terms(groups, settings.noise_sd, settings.media_sd)
    mean, cov = slots._update(prior_mean, prior_cov, precision, linear)
    # brute force: lift (168), levels followers and raw (flat), offsets image, video, none
    size = HOURS + 5
    q = np.zeros((size, size))
    b = np.zeros(size)
    q[:HOURS, :HOURS] = np.linalg.inv(prior_cov + 1e-9 * np.eye(HOURS))
    b[:HOURS] = q[:HOURS, :HOURS] @ prior_mean
    q[HOURS, HOURS] = q[HOURS + 1, HOURS + 1] = 1e-10
    q[HOURS + 2 :, HOURS + 2 :] = np.eye(3) / 0.4**2
    columns = {"followers|image": (0, 2), "followers|video": (0, 3), "raw|none": (1, 4)}
    for key, h, y in rows:
        for hour, value in zip(h, y, strict=True):
            x = np.zeros(size)
            x[hour] = 1.0
            x[HOURS + columns[key][0]] = x[HOURS + columns[key][1]] = 1.0
            q += np.outer(x, x) / settings.noise_sd**2
            b += x * value / settings.noise_sd**2
    assert np.allclose(np.linalg.solve(q, b)[:HOURS], mean, atol=1e-6)
    assert np.allclose(np.linalg.inv(q)[:HOURS, :HOURS], cov, atol=1e-6)


def test_fit_refuses_a_bad_engagement_and_a_naive_time() -> None:
    ok = history(bump(20), "x", 1, seed=12)[0]
    with pytest.raises(ValueError, match="engagement"):
        SlotModel.fit([Observation("x", PARIS, ok.posted_at, -1.0)])
    with pytest.raises(ValueError, match="aware"):
        SlotModel.fit([Observation("x", PARIS, datetime(2025, 1, 6, 12), 5.0)])
    with pytest.raises(ValueError, match="time zone"):
        SlotModel.fit([Observation("x", "Mars/Olympus", ok.posted_at, 5.0)])


def test_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="noise_sd"):
        Settings(noise_sd=0.0)
    with pytest.raises(ValueError, match="hour_sd"):
        Settings(hour_sd=-1.0)
    with pytest.raises(ValueError, match="draw_scale"):
        Settings(draw_scale=math.nan)


# --- sampling and choosing -------------------------------------------------------------------


@pytest.fixture(scope="module")
def curve() -> Curve:
    obs = history(bump(20), "instagram", 60, seed=13)
    return SlotModel.fit(obs, PLAIN).curve("instagram", PARIS)


def day_candidates(day: datetime, zone: str = PARIS, step_minutes: int = 60) -> list[datetime]:
    local = day.astimezone(slots._zone(zone)).replace(hour=0, minute=0)
    start = local.astimezone(UTC)
    return [start + timedelta(minutes=step_minutes * i) for i in range(24 * 60 // step_minutes)]


def test_draws_are_whole_curves_around_the_mean(curve: Curve) -> None:
    rng = np.random.default_rng(0)
    draws = np.array([curve.sample(rng) for _ in range(4000)])
    assert draws.shape == (4000, HOURS)
    assert np.allclose(draws.mean(axis=1), 0.0, atol=1e-9)  # centred like the mean
    assert np.abs(draws.mean(axis=0) - curve.mean).max() < 0.1
    spread = draws.std(axis=0) / curve.draw_scale
    assert np.allclose(spread, curve.sd, rtol=0.15, atol=0.02)
    # neighbouring hours move together (a joint draw, not independent hours)
    steps = draws - curve.mean
    assert np.corrcoef(steps[:, 100], steps[:, 101])[0, 1] > 0.5


def test_choose_keeps_to_the_candidates(curve: Curve) -> None:
    candidates = day_candidates(START + timedelta(days=2))
    rng = np.random.default_rng(1)
    for _ in range(50):
        found = choose(curve, PARIS, candidates, rng)
        assert found.at in candidates and found.best in candidates
        assert found.explored == (found.at != found.best)
        h = local_hour_of_week(found.at, PARIS)
        assert found.mean == pytest.approx(curve.mean[h]) and found.sd == pytest.approx(curve.sd[h])  # fmt: skip
    few = candidates[3:6]
    assert {choose(curve, PARIS, few, rng).at for _ in range(30)} <= set(few)
    with pytest.raises(ValueError, match="no candidate"):
        choose(curve, PARIS, [], rng)


def test_without_exploration_the_best_mean_and_no_draw(curve: Curve) -> None:
    candidates = day_candidates(START + timedelta(days=2))
    rng = np.random.default_rng(2)
    state = rng.bit_generator.state
    picks = {choose(curve, PARIS, candidates, rng, explore=False).at for _ in range(10)}
    assert rng.bit_generator.state == state  # no draw
    (pick,) = picks
    hours = [local_hour_of_week(c, PARIS) for c in candidates]
    assert local_hour_of_week(pick, PARIS) == max(hours, key=lambda h: curve.mean[h])
    found = choose(curve, PARIS, candidates, rng, explore=False)
    assert found.at == found.best and not found.explored


def test_thompson_sampling_varies_with_the_draws() -> None:
    # little data: the posterior is wide and the draws disagree
    obs = history(bump(20), "instagram", 10, seed=14)
    wide = SlotModel.fit(obs, PLAIN).curve("instagram", PARIS)
    candidates = day_candidates(START + timedelta(days=3))
    picks = [choose(wide, PARIS, candidates, np.random.default_rng(seed)) for seed in range(40)]
    assert len({p.at for p in picks}) >= 4
    assert any(p.explored for p in picks) and not all(p.explored for p in picks)
    assert all(p.explored == (p.at != p.best) for p in picks)
    # the same generator state: the same pick
    again = [choose(wide, PARIS, candidates, np.random.default_rng(seed)) for seed in range(40)]
    assert [p.at for p in again] == [p.at for p in picks]


def test_exclude_moves_to_the_next_slot_unless_nothing_is_left(curve: Curve) -> None:
    candidates = day_candidates(START + timedelta(days=2))
    rng = np.random.default_rng(3)
    first = choose(curve, PARIS, candidates, rng, explore=False)
    banned = {local_hour_of_week(first.at, PARIS)}
    second = choose(curve, PARIS, candidates, rng, explore=False, exclude=banned)
    assert local_hour_of_week(second.at, PARIS) not in banned
    hours = sorted({local_hour_of_week(c, PARIS) for c in candidates}, key=lambda h: -curve.mean[h])  # fmt: skip
    assert local_hour_of_week(second.at, PARIS) == hours[1]
    for _ in range(30):
        assert local_hour_of_week(choose(curve, PARIS, candidates, rng, exclude=banned).at, PARIS) not in banned  # fmt: skip
    every = {local_hour_of_week(c, PARIS) for c in candidates}
    assert choose(curve, PARIS, candidates, rng, explore=False, exclude=every).at == first.at


# --- hours of the week and time zones --------------------------------------------------------


def test_local_hour_of_week_follows_daylight_saving_time() -> None:
    # Paris moves to summer time on Sunday 30 March 2025 at 01:00 UTC (02:00 -> 03:00)
    assert local_hour_of_week(datetime(2025, 3, 30, 0, 30, tzinfo=UTC), PARIS) == 6 * 24 + 1
    assert local_hour_of_week(datetime(2025, 3, 30, 1, 30, tzinfo=UTC), PARIS) == 6 * 24 + 3
    # 18:00 UTC is 19h in Paris in winter, 20h in summer, always 03h next day in Tokyo
    assert local_hour_of_week(datetime(2025, 1, 6, 18, tzinfo=UTC), PARIS) == 19
    assert local_hour_of_week(datetime(2025, 7, 7, 18, tzinfo=UTC), PARIS) == 20
    assert local_hour_of_week(datetime(2025, 7, 7, 18, tzinfo=UTC), TOKYO) == 24 + 3
    assert local_hour_of_week(datetime(2025, 1, 5, 23, 59, tzinfo=UTC), TOKYO) == 8  # Monday
    with pytest.raises(ValueError, match="aware"):
        local_hour_of_week(datetime(2025, 1, 6, 12), PARIS)


def test_a_local_peak_is_learnt_across_a_change_of_time() -> None:
    """Posts around the spring change: the audience's peak is 20h local, which is 19h UTC
    in winter and 18h UTC in summer; the model must find 20h local in both halves."""
    rng = np.random.default_rng(15)
    obs = []
    for day in range(-40, 40):
        for _ in range(3):
            at = datetime(2025, 3, 30, tzinfo=UTC) + timedelta(days=day, hours=int(rng.integers(0, 24)))  # fmt: skip
            lift = bump(20)(local_hour_of_week(at, PARIS))
            obs.append(Observation("instagram", PARIS, at, float(round(40 * math.exp(lift + rng.normal(0, 0.4)))), 2000.0))  # fmt: skip
    curve = SlotModel.fit(obs, PLAIN).curve("instagram", PARIS)
    assert int(np.argmax(hour_of_day_means(curve))) == 20
    # the choice for a summer day: 18:00 UTC (20h local), not 19:00 UTC
    summer = day_candidates(datetime(2025, 4, 15, 12, tzinfo=UTC))
    pick = choose(curve, PARIS, summer, np.random.default_rng(0), explore=False).at
    assert pick.astimezone(UTC).hour == 18


# --- storage ---------------------------------------------------------------------------------


def test_a_json_round_trip_gives_identical_curves() -> None:
    obs = (history(bump(20), "instagram", 120, seed=16)
           + history(bump(12), "x", 40, seed=17, followers=None)
           + history(bump(9), "linkedin", 30, seed=18, zone=TOKYO))  # fmt: skip
    settings = Settings(media_sd=0.3, week_sd=0.1)
    model = SlotModel.fit(obs, settings)
    doc = json.loads(json.dumps(model.to_dict(), allow_nan=False))
    back = SlotModel.from_dict(doc)
    assert back.settings == settings and back.to_dict() == model.to_dict()
    for platform, zone in [("instagram", PARIS), ("x", PARIS), ("linkedin", TOKYO),
                           ("tiktok", PARIS), ("x", "America/New_York")]:  # fmt: skip
        a, b = model.curve(platform, zone), back.curve(platform, zone)
        assert np.array_equal(a.mean, b.mean) and np.array_equal(a.sd, b.sd)
        assert a.factor is not None and b.factor is not None
        assert np.array_equal(a.factor, b.factor) and a.posts == b.posts
        assert np.array_equal(a.sample(np.random.default_rng(5)), b.sample(np.random.default_rng(5)))  # fmt: skip


def _doc() -> dict[str, Any]:
    return SlotModel.fit(history(bump(20), "instagram", 20, seed=19), PLAIN).to_dict()


def _edit(change: Callable[[dict[str, Any]], object]) -> dict[str, Any]:
    doc = _doc()
    change(doc)
    return doc


def _first_rows(doc: dict[str, Any]) -> list[Any]:
    groups = doc["zones"][PARIS]["instagram"]
    rows: list[Any] = groups[sorted(groups)[0]]
    return rows


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ([], "not a slot model"),
        ({"format": "something else"}, "not a slot model"),
        (_edit(lambda d: d.update(version=2)), "version 2"),
        (_edit(lambda d: d.update(version=True)), "version True"),
        (_edit(lambda d: d.pop("settings")), "settings"),
        (_edit(lambda d: d["settings"].update(colour=1)), "unknown settings"),
        (_edit(lambda d: d["settings"].update(noise_sd="0.7")), "noise_sd"),
        (_edit(lambda d: d["settings"].update(noise_sd=-1)), "noise_sd"),
        (_edit(lambda d: d.update(zones=[])), "zones"),
        (_edit(lambda d: d["zones"].update({"Nowhere/Land": {}})), "IANA"),
        (_edit(lambda d: d["zones"][PARIS].update(instagram=[])), "group"),
        (_edit(lambda d: _first_rows(d).append([170, 1, 0.0])), "hour 170"),
        (_edit(lambda d: _first_rows(d).append([5, 0, 0.0])), "count 0"),
        (_edit(lambda d: _first_rows(d).append([5, 1.5, 0.0])), "count 1.5"),
        (_edit(lambda d: _first_rows(d).append([5, 1, "x"])), "sum"),
        (_edit(lambda d: _first_rows(d).append([5, 1])), "expected \\[hour, count, sum\\]"),
        (_edit(lambda d: _first_rows(d).append(list(_first_rows(d)[0]))), "listed twice"),
    ],
)
def test_malformed_documents_are_refused(doc: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SlotModel.from_dict(doc)


# --- raw profiles ----------------------------------------------------------------------------


def test_hourly_profile_recovers_a_weekly_series() -> None:
    rng = np.random.default_rng(20)
    hours = np.arange(168 * 8) % HOURS
    truth = 2.0 + np.array([bump(14, 3.0, 1.5)(h) for h in range(HOURS)]) + 0.4 * (np.arange(HOURS) // 24 >= 5)  # fmt: skip
    values = truth[hours] + rng.normal(0.0, 0.5, hours.size)
    found = hourly_profile(hours, values)
    raw = np.bincount(hours, weights=values, minlength=HOURS) / 8
    assert found.mean.shape == (HOURS,) and found.posts == hours.size
    error = np.sqrt(np.mean((found.mean - truth) ** 2))
    assert error < 0.8 * np.sqrt(np.mean((raw - truth) ** 2))  # better than per-hour means
    assert abs(float(found.mean.mean()) - float(truth.mean())) < 0.1  # the level is kept
    assert np.all(found.sd > 0) and np.all(found.sd < 0.3)


def test_hourly_profile_leans_on_its_prior_with_little_data() -> None:
    shape = np.array([bump(14, 3.0, 1.5)(h) for h in range(HOURS)])
    hours = np.array([10, 40, 70, 100])
    values = np.array([5.0, 5.0, 5.0, 5.0])
    found = hourly_profile(hours, values, prior=shape + 100.0)  # the prior's level is ignored
    assert abs(float(found.mean.mean()) - 5.0) < 1.0
    assert int(np.argmax(found.mean)) % 24 in (13, 14, 15)
    flat = hourly_profile(np.array([], dtype=int), np.array([]))
    assert np.allclose(flat.mean, 0.0) and flat.posts == 0
    with pytest.raises(ValueError, match="168"):
        hourly_profile(hours, values, prior=np.zeros(24))
    with pytest.raises(ValueError, match=r"0\.\.167"):
        hourly_profile(np.array([168]), np.array([1.0]))
    with pytest.raises(ValueError, match="values"):
        hourly_profile(hours, values[:2])


def test_hourly_profile_takes_thousands_of_values() -> None:
    rng = np.random.default_rng(21)
    hours = rng.integers(0, HOURS, 20000)
    values = np.log1p(rng.poisson(5.0 + 5.0 * (hours % 24 >= 9), hours.size))
    found = hourly_profile(hours, values)
    assert np.all(np.isfinite(found.mean)) and found.posts == 20000
    day, night = found.mean.reshape(7, 24)[:, 12].mean(), found.mean.reshape(7, 24)[:, 3].mean()
    assert day > night + 0.3


# --- the industry map and the module's imports -----------------------------------------------


def test_the_industry_map_is_a_weekday_daytime_map() -> None:
    assert INDUSTRY.shape == (HOURS,) and INDUSTRY.mean() == pytest.approx(1.0)
    week = INDUSTRY.reshape(7, 24)
    best = int(np.argmax(INDUSTRY))
    assert best // 24 in (1, 2, 3) and 10 <= best % 24 <= 13  # Tuesday-Thursday, late morning
    assert week[5:].mean() < 0.7 * week[:5].mean()  # weekends low
    assert week[:, 2:5].max() < 0.3 * INDUSTRY.max()  # nights low


def test_slots_imports_only_the_standard_library_and_numpy() -> None:
    tree = ast.parse((ROOT / "functions" / "optimize" / "slots.py").read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module.split(".")[0])
    assert "infra" not in found
    assert found <= {"__future__", "math", "collections", "dataclasses", "datetime", "functools",
                     "typing", "zoneinfo", "numpy"}  # fmt: skip
