"""``infra/simulate/audience.py``: the simulated audience, the documented truth behind the
numbers the local peers report."""

from __future__ import annotations

import ast
import json
import math
import os
import re
import statistics
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from infra.simulate import audience
from infra.simulate.audience import (
    PLATFORMS,
    SHAPES,
    Content,
    activity,
    activity_at,
    content_effect,
    cumulative_share,
    expected,
    final_metrics,
    followers_at,
    metrics_at,
    oracle_best_hours,
)

ROOT = Path(__file__).resolve().parents[2]
POSTED = datetime(2025, 1, 8, 19, 0, tzinfo=UTC)  # a Wednesday, 20h in Paris
TEXT = Content.of("A new season of our jam is out: which one will you try first? #jam", "image")
CHECKPOINTS = [timedelta(hours=h) for h in (1, 6, 24, 72, 24 * 7)]


def post(
    platform: str = "instagram", *, seed: int = 7, post_id: str = "p1", followers: int = 50_000
) -> dict[str, int]:
    return final_metrics(seed, post_id, platform, "one_peak", "Europe/Paris", POSTED, TEXT,
                         followers)  # fmt: skip


def post_at(platform: str, at: datetime, followers: int = 50_000) -> dict[str, int]:
    return metrics_at(7, "p1", platform, "one_peak", "Europe/Paris", POSTED, TEXT, followers, at)


# --- shapes -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_every_shape_has_a_mean_of_one_over_the_week_and_is_positive(name: str) -> None:
    curve = [activity(name, h) for h in range(168)]
    assert abs(math.fsum(curve) / 168 - 1.0) < 1e-9
    assert min(curve) > 0


def test_the_shapes_peak_at_different_hours() -> None:
    def argmax(name: str) -> int:
        return max(range(168), key=lambda h: activity(name, h))

    local = {name: argmax(name) for name in ("one_peak", "two_peaks", "weekend")}
    assert len(set(local.values())) == 3
    assert local["one_peak"] % 24 in (19, 20, 21) and local["one_peak"] < 120  # weekday evening
    assert local["two_peaks"] % 24 in (12, 13)  # lunchtime
    assert local["weekend"] >= 120 and 10 <= local["weekend"] % 24 <= 12  # weekend late morning
    # far_zone is one_peak's curve, but lived in Tokyo: its best UTC hours are not one_peak's
    assert SHAPES["far_zone"].zone == "Asia/Tokyo"
    best = {name: oracle_best_hours(name, shape.zone, top=1)[0] for name, shape in SHAPES.items()}
    assert len(set(best.values())) == len(SHAPES)


def test_two_peaks_has_a_lunchtime_and_an_evening_peak() -> None:
    wednesday = [activity("two_peaks", 48 + h) for h in range(24)]
    assert wednesday[12] > 2 * wednesday[16] and wednesday[20] > 2 * wednesday[16]
    assert wednesday[20] > 4 * wednesday[3]


def test_the_weekend_shape_is_busier_at_the_weekend_by_at_least_30_percent() -> None:
    weekdays = statistics.fmean(activity("weekend", h) for h in range(120))
    weekend = statistics.fmean(activity("weekend", h) for h in range(120, 168))
    assert weekend > 1.3 * weekdays
    # the evening shapes are not weekend shapes
    assert statistics.fmean(activity("one_peak", h) for h in range(120, 168)) < 1.0


def test_activity_refuses_an_hour_outside_the_week_and_an_unknown_shape() -> None:
    with pytest.raises(ValueError):
        activity("one_peak", 168)
    with pytest.raises(ValueError):
        activity("nobody", 0)


def test_activity_at_reads_the_curve_at_the_local_hour_of_the_zone() -> None:
    instant = datetime(2025, 1, 8, 18, 0, tzinfo=UTC)  # Wednesday
    paris = activity_at("one_peak", instant, "Europe/Paris")
    tokyo = activity_at("one_peak", instant, "Asia/Tokyo")
    assert paris == activity("one_peak", 2 * 24 + 19)  # Wednesday 19h in Paris
    assert tokyo == activity("one_peak", 3 * 24 + 3)  # Thursday 03h in Tokyo
    assert paris > 2 * tokyo
    for zone in ("Europe/Paris", "Asia/Tokyo", "America/New_York"):
        local = instant.astimezone(ZoneInfo(zone))
        assert activity_at("two_peaks", instant, zone) == activity(
            "two_peaks", local.weekday() * 24 + local.hour
        )


def test_activity_at_follows_daylight_saving_time() -> None:
    winter = datetime(2025, 1, 8, 18, 0, tzinfo=UTC)  # 19h in Paris (UTC+1)
    summer = datetime(2025, 7, 2, 18, 0, tzinfo=UTC)  # 20h in Paris (UTC+2), also a Wednesday
    assert activity_at("one_peak", winter, "Europe/Paris") == activity("one_peak", 48 + 19)
    assert activity_at("one_peak", summer, "Europe/Paris") == activity("one_peak", 48 + 20)
    # the night the clocks go forward: 00:30 UTC is 01:30 CET, 01:30 UTC is 03:30 CEST
    before = datetime(2025, 3, 30, 0, 30, tzinfo=UTC)
    after = datetime(2025, 3, 30, 1, 30, tzinfo=UTC)
    assert activity_at("weekend", before, "Europe/Paris") == activity("weekend", 6 * 24 + 1)
    assert activity_at("weekend", after, "Europe/Paris") == activity("weekend", 6 * 24 + 3)


def test_activity_at_refuses_a_naive_datetime() -> None:
    with pytest.raises(ValueError, match="aware"):
        activity_at("one_peak", datetime(2025, 1, 8, 18, 0), "Europe/Paris")


def test_oracle_best_hours_are_the_utc_hours_of_the_local_peak() -> None:
    # Wednesday 20h in Paris is 19h UTC in winter, 18h UTC in summer; in Tokyo, 11h UTC
    assert oracle_best_hours("one_peak", "Europe/Paris")[0] == 48 + 19
    assert oracle_best_hours("one_peak", "Europe/Paris", week=datetime(2025, 7, 2).date()) == [
        h - 1 for h in oracle_best_hours("one_peak", "Europe/Paris")
    ]
    assert oracle_best_hours("far_zone", "Asia/Tokyo", top=1) == [48 + 11]
    best = oracle_best_hours("weekend", "Europe/Paris", top=5)
    assert len(best) == 5 and len(set(best)) == 5
    monday = datetime(2025, 1, 6, tzinfo=UTC)
    scores = [activity_at("weekend", monday + timedelta(hours=h), "Europe/Paris") for h in best]
    assert scores == sorted(scores, reverse=True)


# --- content ----------------------------------------------------------------------------------


def test_content_of_derives_the_features_from_the_text() -> None:
    text = "Fresh #jam and #bread? See https://example.com/a?b=1#top"
    content = Content.of(text, "video")
    assert content == Content(media="video", length=len(text), hashtags=2, question=True,
                              link=True)  # fmt: skip
    plain = Content.of("No tags, see https://example.com/?q=1 and issue #12x", "none")
    assert plain.question is False and plain.link is True and plain.hashtags == 1
    assert Content.of("").length == 0
    with pytest.raises(ValueError):
        Content.of("x", "gif")


def test_content_effects_go_the_documented_way() -> None:
    def effect(platform: str = "instagram", **changes: object) -> float:
        fields = {"media": "none", "length": 120, "hashtags": 0, "question": False,
                  "link": False} | changes  # fmt: skip
        return content_effect(Content(**fields), platform)  # type: ignore[arg-type]

    assert effect(media="video") > effect(media="album") > effect(media="image") > effect()
    assert effect("tiktok", media="video") > effect("tiktok", media="image") > effect("tiktok")
    assert effect(hashtags=6) < effect(hashtags=2)
    assert effect(hashtags=2) > effect(hashtags=0)
    assert effect(link=True) < effect()
    assert effect(question=True) > effect()
    assert effect(length=3000) < effect(length=400) < effect(length=120)
    assert effect(length=10) < effect(length=120)


def test_a_question_shifts_the_split_toward_comments() -> None:
    asked = Content(media="none", length=120, hashtags=0, question=True, link=False)
    told = Content(media="none", length=120, hashtags=0, question=False, link=False)
    a = final_metrics(1, "q", "facebook", "one_peak", "Europe/Paris", POSTED, asked, 100_000)
    t = final_metrics(1, "q", "facebook", "one_peak", "Europe/Paris", POSTED, told, 100_000)
    assert a["comments"] / (a["likes"] + a["shares"] + a["comments"]) > 1.5 * (
        t["comments"] / (t["likes"] + t["shares"] + t["comments"])
    )


# --- a post's truth ---------------------------------------------------------------------------


def test_final_metrics_are_deterministic_per_seed_and_post() -> None:
    assert post() == post()
    assert post(seed=8) != post()
    assert post(post_id="p2") != post()
    assert post("x") != post("x", post_id="p2")


def test_final_metrics_do_not_depend_on_pythonhashseed() -> None:
    script = (
        "import json\n"
        "from datetime import UTC, datetime\n"
        "from infra.simulate.audience import Content, final_metrics, followers_at\n"
        "at = datetime(2025, 1, 8, 19, 0, tzinfo=UTC)\n"
        "text = Content.of('A new season of our jam is out: which one will you try first? "
        "#jam', 'image')\n"
        "print(json.dumps([final_metrics(7, 'p1', p, 'one_peak', 'Europe/Paris', at, text, "
        "50_000) for p in ('instagram', 'x', 'mastodon')] + [followers_at(7, 'acme', 'x', "
        "1000, at, datetime(2025, 2, 8, tzinfo=UTC))]))\n"
    )
    here = [post(p) for p in ("instagram", "x", "mastodon")] + [
        followers_at(7, "acme", "x", 1000, POSTED, datetime(2025, 2, 8, tzinfo=UTC))
    ]
    for hashseed in ("0", "12345"):
        env = dict(os.environ, PYTHONHASHSEED=hashseed, PYTHONPATH=str(ROOT))
        out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env,
                             capture_output=True, text=True, check=True)  # fmt: skip
        assert json.loads(out.stdout) == here


def test_the_module_seeds_from_sha256_never_from_hash() -> None:
    tree = ast.parse(Path(audience.__file__).read_text(encoding="utf-8"))
    called = {node.func.id for node in ast.walk(tree)
              if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)}  # fmt: skip
    assert "hash" not in called
    assert "sha256" in Path(audience.__file__).read_text(encoding="utf-8")


def test_only_the_platforms_metrics_are_present() -> None:
    for name, spec in PLATFORMS.items():
        assert set(post(name)) == set(spec.metrics), name
    assert set(post("mastodon")) == {"likes", "shares", "comments"}
    assert "views" not in post("bluesky") and "quotes" in post("bluesky")
    assert {"reach", "saves"} <= set(post("instagram"))
    assert {"clicks", "quotes", "views"} <= set(post("x"))
    assert "reach" in post("linkedin") and "saves" not in post("linkedin")
    assert set(PLATFORMS) == {"instagram", "facebook", "x", "linkedin", "tiktok", "bluesky",
                              "mastodon"}  # fmt: skip


def test_counts_are_integers_with_views_above_reach_above_engagement() -> None:
    for name in PLATFORMS:
        for i in range(20):
            counts = post(name, post_id=f"v{i}")
            assert all(isinstance(v, int) and v >= 0 for v in counts.values())
            engagement = counts["likes"] + counts["shares"] + counts["comments"]
            assert engagement > 0
            if "views" in counts:
                assert counts["views"] > counts.get("reach", engagement) >= engagement
            if "reach" in counts:
                assert counts["reach"] > engagement
    nobody = final_metrics(1, "z", "x", "one_peak", "Europe/Paris", POSTED, TEXT, 0)
    assert set(nobody.values()) == {0}


def test_metrics_at_are_zero_before_posting_grow_and_reach_the_final_counts() -> None:
    for name in PLATFORMS:
        before = post_at(name, POSTED - timedelta(minutes=1))
        assert set(before) == set(PLATFORMS[name].metrics) and set(before.values()) == {0}
        assert set(post_at(name, POSTED).values()) == {0}
        seen = [post_at(name, POSTED + step) for step in CHECKPOINTS]
        for earlier, later in pairwise(seen):
            assert all(later[m] >= earlier[m] for m in earlier), name
        final = post(name)
        assert all(seen[-1][m] <= final[m] for m in final)
        assert post_at(name, POSTED + timedelta(days=60)) == final
    assert post_at("x", POSTED + timedelta(days=7)) == post("x")
    # the early checkpoints are partial: a fast platform is further along than a slow one
    day = POSTED + timedelta(hours=6)
    x_share = post_at("x", day)["likes"] / post("x")["likes"]
    tiktok_share = post_at("tiktok", day)["likes"] / post("tiktok")["likes"]
    assert x_share > 0.9 > 0.3 > tiktok_share


def test_metrics_at_never_decrease_minute_by_minute() -> None:
    previous = post_at("bluesky", POSTED, followers=3_000)
    for minute in range(1, 24 * 60, 7):
        now = post_at("bluesky", POSTED + timedelta(minutes=minute), followers=3_000)
        assert all(now[m] >= previous[m] for m in now)
        previous = now


def test_cumulative_share_is_the_documented_exponential() -> None:
    assert cumulative_share("x", -1.0) == 0.0 == cumulative_share("x", 0.0)
    assert cumulative_share("x", 2.0) == pytest.approx(1 - math.exp(-1))
    assert cumulative_share("tiktok", 24.0) == pytest.approx(1 - math.exp(-1))


def test_the_heavy_tail_makes_a_few_posts_take_off() -> None:
    totals = []
    for i in range(2000):
        counts = final_metrics(3, f"tail-{i}", "x", "one_peak", "Europe/Paris", POSTED, TEXT,
                               200_000)  # fmt: skip
        totals.append(counts["likes"] + counts["shares"] + counts["comments"])
    median = statistics.median(totals)
    assert max(totals) / median > 10
    assert statistics.fmean(totals) > median
    # the noise has a mean of one: on average a post gets its expectation
    mean = expected("x", "one_peak", "Europe/Paris", POSTED, TEXT, 200_000)
    assert statistics.fmean(totals) == pytest.approx(mean, rel=0.15)


def test_a_post_at_the_peak_hour_expects_more_than_at_the_trough() -> None:
    for name, shape in SHAPES.items():
        monday = datetime(2025, 1, 6, tzinfo=UTC)
        hours = sorted(range(168), key=lambda h: activity_at(name, monday + timedelta(hours=h),
                                                             shape.zone))  # fmt: skip
        trough, peak = (monday + timedelta(hours=hours[0]), monday + timedelta(hours=hours[-1]))
        assert oracle_best_hours(name, shape.zone, top=1) == [hours[-1]]
        assert expected("linkedin", name, shape.zone, peak, TEXT, 10_000) > 3 * expected(
            "linkedin", name, shape.zone, trough, TEXT, 10_000
        )


# --- followers --------------------------------------------------------------------------------


def test_followers_grow_over_30_days_and_are_deterministic() -> None:
    start = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
    for name in PLATFORMS:
        days = [followers_at(1, "acme", name, 20_000, start, start + timedelta(days=d))
                for d in range(31)]  # fmt: skip
        assert days[0] == 20_000
        assert days[30] > days[0]
        again = [followers_at(1, "acme", name, 20_000, start, start + timedelta(days=d))
                 for d in range(31)]  # fmt: skip
        assert again == days
        # day-to-day noise: not a smooth exponential, but within 0.2% of it
        trend = [20_000 * (1 + PLATFORMS[name].growth) ** d for d in range(31)]
        assert all(abs(n - t) <= 0.002 * t + 0.5 for n, t in zip(days, trend, strict=True))
        assert days != [round(t) for t in trend]
    tiktok = followers_at(1, "acme", "tiktok", 20_000, start, start + timedelta(days=30))
    assert tiktok == pytest.approx(20_000 * 1.004**30, rel=0.003)


def test_followers_depend_on_seed_account_and_day_only() -> None:
    start = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
    later = start + timedelta(days=10, hours=5)
    one = followers_at(1, "acme", "x", 1_000_000, start, later)
    assert one == followers_at(1, "acme", "x", 1_000_000, start, start + timedelta(days=10))
    assert one != followers_at(2, "acme", "x", 1_000_000, start, later)
    assert one != followers_at(1, "other", "x", 1_000_000, start, later)
    assert followers_at(1, "acme", "x", 1_000, start, start - timedelta(days=3)) == 1_000
    assert followers_at(1, "acme", "x", 0, start, later) == 0


# --- kept apart from what learns --------------------------------------------------------------


def test_nothing_under_functions_imports_the_audience_model() -> None:
    imports = re.compile(
        r"infra\.simulate\.audience|from\s+infra\.simulate\s+import\s+[^\n]*\baudience\b"
        r"|\bsimulate\.audience\b"
    )
    offenders = [
        str(path.relative_to(ROOT))
        for path in sorted((ROOT / "functions").rglob("*.py"))
        if imports.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_the_model_uses_the_standard_library_only() -> None:
    tree = ast.parse(Path(audience.__file__).read_text(encoding="utf-8"))
    modules = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
               for alias in node.names}  # fmt: skip
    modules |= {node.module.split(".")[0] for node in ast.walk(tree)
                if isinstance(node, ast.ImportFrom) and node.module}  # fmt: skip
    assert modules <= set(sys.stdlib_module_names) | {"__future__"}


def test_the_docstring_states_every_platforms_parameters() -> None:
    doc = audience.__doc__ or ""
    for name, spec in PLATFORMS.items():
        row = next(line for line in doc.splitlines() if line.startswith(f"  {name} "))
        split = "/".join(f"{share:.2f}" for share in spec.split)
        assert f"{spec.rate:.3f}" in row and f"{spec.decay_h:g} h" in row and split in row, row
        assert f"{spec.growth * 100:.2f}%" in row, row
        for multiple in (spec.views, spec.reach):
            assert not multiple or f" {multiple:g} " in row, row
