"""Every benchmark runs, at its smallest size, so that none can rot unnoticed.

Each script is run as a user runs it (a fresh interpreter, from the repository root) with
tiny arguments, and what it prints must be its real report. Benchmarks that read data sets
(../shared/data in the measurements) read the small samples in tests/data/ here
(``tests/data/make_samples.py``): a clone has no ../shared. These are smoke runs, not
measurements: no figure is compared with a target. ``bench_simulate.py`` is left to the
simulate tests, which own it (listed in ``SMOKED`` so that the set stays whole).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.long  # started first by `make test`'s parallel workers

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
SCORER = ROOT.parent / "shared" / "tools" / "nab_score.py"
SMOKED = {"bench_activity", "bench_alert", "bench_cold_start", "bench_compile", "bench_detect", "bench_forecast",
          "bench_generate", "bench_media", "bench_reconcile", "bench_score", "bench_sentiment",
          "bench_best_time", "bench_simulate", "bench_report"}  # fmt: skip


# what a user's own commands leave in the checkout: a benchmark must not write over them
USERS = ("build", "simulate-report.html", ".socialops-cache", "campaigns/.socialops-cache")


def _users() -> dict[str, int | None]:
    return {name: (ROOT / name).stat().st_mtime_ns if (ROOT / name).exists() else None
            for name in USERS}  # fmt: skip


def bench(script: str, *args: str | Path) -> Any:
    """Run ``benchmarks/<script>.py ARGS --json``; its JSON report."""
    before = _users()
    found = subprocess.run(
        [sys.executable, f"benchmarks/{script}.py", *map(str, args), "--json"],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert found.returncode == 0, f"{script} exited {found.returncode}:\n{found.stderr[-3000:]}"
    assert _users() == before, f"{script} wrote into the checkout"
    return json.loads(found.stdout)


def test_every_benchmark_has_a_smoke_run() -> None:
    scripts = {p.stem for p in (ROOT / "benchmarks").glob("bench_*.py")}
    assert scripts == SMOKED, "a benchmark without a smoke run here (or one gone): add it"


def test_bench_compile() -> None:
    # the generated project must validate (it failed E508 when video went to Facebook)
    report = bench("bench_compile", "--campaigns", "2", "--posts", "3")
    project = report["project"]
    assert (project["input_files"], project["validate_errors"]) == (11, 0)
    assert project["schedules"] > 0 and project["output_files"] > 2
    assert report["deterministic"] and report["incremental_equals_clean"]
    assert report["rerun_picked_up_change"]
    assert report["runs"][0]["compile_output"].startswith("compiled 2 campaigns and ")


def test_bench_report() -> None:
    # one day of the demo without its crisis: the report once each way, the same bytes
    report = bench("bench_report", "--runs", "1", "--start", "2027-01-21", "--days", "1",
                   "--crisis", "none")  # fmt: skip
    assert report["same_bytes"] and report["plots"] >= 4
    assert report["in_place_s"] > 0 and report["workers_s"] > 0 and report["ratio"] > 0
    assert report["workers"] == (min(2, report["cpus"]) if report["cpus"] > 1 else 0)


def test_bench_media() -> None:
    report = bench("bench_media", "--repeat", "1", "--seconds", "15")
    assert [c["channel"] for c in report["cards"]] == ["instagram", "facebook", "x", "linkedin",
                                                       "bluesky", "mastodon", "tiktok"]  # fmt: skip
    assert all(c["bytes"] > 0 and c["ms"] > 0 for c in report["cards"])
    (video,) = report["videos"]
    assert video["asked_s"] == 15 and 15 <= video["length_s"] <= 23 and video["bytes"] > 0
    assert video["same_bytes_again"] is True


def test_bench_reconcile() -> None:
    report = bench("bench_reconcile", "--schedules", "20", "--groups", "2", "--changed", "0.2")
    assert report["first_deploy"]["created"] == 20
    changed = report["reconcile"]
    assert (changed["created"], changed["updated"], changed["deleted"]) == (2, 2, 2)
    assert report["rerun"]["writes"] == 0


def test_bench_cold_start() -> None:
    report = bench("bench_cold_start", "--runs", "1")
    assert report["runs"] == 1 and report["handler_import_ms"] > 0
    assert report["first_invocation_setup_ms"] > 0


@pytest.mark.parametrize("data", [[], ["--data", DATA]], ids=["generated mentions", "tweeteval sample"])  # fmt: skip
def test_bench_score(data: list[str | Path]) -> None:
    report = bench("bench_score", "--mentions", "50", "--batch", "10", "--runs", "1", *data)
    assert report["mentions"] == 50 and report["texts"] == ("tweeteval val" if data else "generated")  # fmt: skip
    for path in ("fast", "balanced"):  # the paths a brand can choose short of the encoder for all
        figures = report[path]
        assert figures["model_per_s"] > 0 and figures["handler_per_s"] > 0
        assert figures["aws_requests"] > 0 and figures["cold_start_ms_median"] > 0
    # at most one text a batch of ten (5%, rounded up)
    assert report["fast"]["routed_share"] == 0 <= report["balanced"]["routed_share"] <= 0.1


def test_bench_sentiment() -> None:
    report = bench("bench_sentiment", "--data", DATA, "--texts", "200", "--cold-runs", "1")
    assert 0 <= report["sentiment_val_macro_recall"] <= 100
    assert 0 <= report["emotion_val_macro_f1"] <= 100
    assert report["texts_per_s"] > 0 and report["weights_bytes"] > 0
    # the balanced (default) and accurate paths beside it, with each path's cost and the
    # routing curve
    assert 0 <= report["balanced_sentiment_val_macro_recall"] <= 100
    assert report["fast_cost_per_million_usd"] > 0 and report["balanced_cost_per_million_usd"] > 0
    assert 0 <= report["accurate_sentiment_val_macro_recall"] <= 100
    assert report["accurate_texts_per_s"] > 0 and report["accurate_encoder_bytes"] > 20_000_000
    assert 0 < report["fast_cost_per_million_usd"] < report["accurate_cost_per_million_usd"]
    shares = [point["routed_share"] for point in report["routing"]]
    assert shares == sorted(shares) and shares[0] == 0.0 and shares[-1] == 1.0


def test_bench_detect_without_the_nab_scorer(tmp_path: Path) -> None:
    # a clone has no ../shared/tools: the delays and the time are measured all the same
    report = bench("bench_detect", "--data", DATA / "nab", "--scorer", tmp_path / "none.py",
                   "--out", tmp_path / "results")  # fmt: skip
    assert (report["points"], report["windows"], report["nab_standard"]) == (1728, 2, None)
    assert set(report["delay_hours"]) == {"Twitter_volume_SAMPLE_A", "Twitter_volume_SAMPLE_B"}
    assert len(list((tmp_path / "results" / "realTweets").glob("socialops_*.csv"))) == 2


@pytest.mark.skipif(not SCORER.is_file(), reason="NAB's scorer is in ../shared/tools only")
def test_bench_detect_with_the_nab_scorer(tmp_path: Path) -> None:
    report = bench("bench_detect", "--data", DATA / "nab", "--scorer", SCORER, "--out", tmp_path)
    assert 0 <= report["nab_standard"] <= 100 and "reward_low_FP_rate" in report["profiles"]
    cv = bench("bench_detect", "--data", DATA / "nab", "--scorer", SCORER, "--cv")
    assert len(cv["folds"]) == 2 and cv["sets"] >= 18


def test_bench_activity() -> None:
    # tests/data's two 3-day series: a daily season, a 12-hour horizon, one validation
    # origin (hour 48) and one test origin (hour 60)
    report = bench("bench_activity", "--data", DATA, "--smoke")
    assert set(report["series"]) == {"SAMPLE_A", "SAMPLE_B"}
    assert report["slots_module"] and report["design"]["season"] == 24
    names = {"seasonal_naive", "seasonal_mean", "slot_profile", "holt_winters", "mstl",
             "stl_arima", "unobserved_components"}  # fmt: skip
    assert set(report["validation"]) == set(report["test"]) == names
    for name, found in report["test"].items():
        assert found["setting"] == report["validation"][name]["chosen"]
        assert found["origins"] == 2 and set(found["series"]) == set(report["series"])
        assert found["mase_mean"] >= 0 and found["failures"] == len(found["failed_at"])
    assert report["test"]["seasonal_naive"]["relative_to_naive"] == 1.0
    assert len(report["validation"]["slot_profile"]["settings"]) > 1


def test_bench_alert() -> None:
    report = bench("bench_alert", "--brands", "2", "--catchup-brands", "1", "--days", "1",
                   "--cycles", "1", "--cold-runs", "1", "--recent-hours", "1")  # fmt: skip
    assert (report["brands"], report["catchup_brands"], report["days"]) == (2, 1, 1)
    assert len(report["steady"]["cycles"]) == 1
    assert report["steady"]["state_matches"] == report["steady"]["state_compared"] == 1
    assert report["cold_start"]["runs"] == 1


def _engagement_sets(root: Path) -> int:
    """A tiny data folder in the layouts bench_forecast.py reads (engagement/ and
    facebook_metrics/), made up: 80 posts an account, 20 of the Trump ones in both files;
    how many of the newest posts are within 3 days of the newest."""
    import random
    from datetime import datetime, timedelta

    rng = random.Random(7)
    (root / "engagement").mkdir(parents=True)
    (root / "facebook_metrics").mkdir()
    start = datetime(2017, 1, 2, 14, 0)
    times = [start + timedelta(hours=9 * i + rng.randrange(60) / 60) for i in range(80)]
    texts = [f"post {i} #tag{i % 3} @friend{i % 2} https://t.co/x{i}"[: 20 + i % 40] for i in range(80)]  # fmt: skip
    ratio = "created_at,text,url,replies,retweets,favorites,user\n"
    for user, path in (("BarackObama", "twitter_ratio_BarackObama.csv"), ("realDonaldTrump", "twitter_ratio_realDonaldTrump.csv")):  # fmt: skip
        rows = [f"{t.month}/{t.day}/{t.year % 100} {t.hour}:{t.minute:02d},\"{x}\",https://x/{i},"
                f"{rng.randrange(9, 99)},{rng.randrange(99, 999)},{rng.randrange(999, 9999)},{user}\n"
                for i, (t, x) in enumerate(zip(times, texts, strict=True))]  # fmt: skip
        # newest first, as the real files; the Trump one only from post 60 on
        (root / "engagement" / path).write_text(ratio + "".join(rows[::-1] if user == "BarackObama" else rows[60:][::-1]))  # fmt: skip
    old = [start - timedelta(days=60) + timedelta(hours=17 * i) for i in range(60)]
    rows = [f"{i},Twitter for iPhone,{i},\"{x}\",{t.isoformat()}Z,{rng.randrange(9, 999)},,"
            f"{rng.randrange(99, 9999)},FALSE\n"
            for i, (t, x) in enumerate(zip(old[:40] + times[60:80], texts[:40] + texts[60:80], strict=True))]  # fmt: skip
    (root / "engagement" / "trump_tweets.csv").write_text(
        "rownames,source,id_str,text,created_at,retweet_count,in_reply_to_user_id_str,"
        "favorite_count,is_retweet\n" + "".join(rows))  # fmt: skip
    rows = [f"{rng.randrange(300000, 900000)},{36000000 + 1000 * i},"
            f"{t:%Y-%m-%d %H:%M:%S} {'EST' if t.month in (1, 2, 11, 12) else 'EDT'},"
            f"{('Video', 'Photo', 'Album')[i % 3]},\"{x}\"\n"
            for i, (t, x) in enumerate(zip(times, texts, strict=True))]  # fmt: skip
    (root / "engagement" / "nba_instagram.csv").write_text(
        "Engagements,Followers at Posting,Created,Type,Description\n" + "".join(rows[::-1]))  # fmt: skip
    header = ("Page total likes;Type;Category;Post Month;Post Weekday;Post Hour;Paid;"
              "Lifetime Post Total Reach;comment;like;share;Total Interactions\n")  # fmt: skip
    rows = [f"{139000 - 10 * i};{('Photo', 'Status', 'Link', 'Video')[i % 4]};1;{12 - i // 8};"
            f"{7 - i % 7};{1 + i % 23};0;1000;{i % 5};{50 + rng.randrange(200)};{i % 9};0\n"
            for i in range(80)]  # fmt: skip
    (root / "facebook_metrics" / "dataset_Facebook.csv").write_text(header + "".join(rows))
    return sum(t > times[-1] - timedelta(days=3) for t in times)  # posts of the last 3 days


def test_bench_forecast(tmp_path: Path) -> None:
    recent = _engagement_sets(tmp_path)
    report = bench("bench_forecast", "--data", tmp_path, "--smoke")
    sets = report["sets"]
    assert set(sets) == {"BarackObama", "realDonaldTrump", "nba", "facebook_cosmetics"}
    # the last 3 days of each file dropped; the 20 tweets in both Trump files counted once
    assert sets["BarackObama"]["posts"] == sets["nba"]["posts"] == 80 - recent
    assert sets["realDonaldTrump"]["posts"] == 40 + 20 - recent
    assert report["selection"]["tried"] == 2
    for part in ("validation", "test"):
        assert set(report[part]) == {"model", "own_history", "pooled_gbm"}
        for found in report[part].values():
            pooled = found["pooled"]
            assert 0 <= pooled["coverage"] <= 1 and pooled["width"] >= 0
            assert found["fit_s"] > 0 and set(found["accounts"]) == set(sets)


def test_bench_generate() -> None:
    report = bench("bench_generate", "--repeat", "1", "--weeks", "1")
    offline = report["offline"]
    assert offline["posts_x_channels"] > 0 and offline["variants_written"] > 0
    assert 0 <= offline["first_attempt_pass_rate"] <= 1 and offline["calls_per_post"] >= 1
    month = report["month"]
    assert (
        month["weeks"] == 1
        and month["occurrences"] > 0
        and month["texts_chosen"] == month["occurrences"]
    )
    adversarial = report["adversarial"]
    assert adversarial["answers"] == len(adversarial["each"]) > 10
    assert all(set(a) == {"answer", "wanted", "found", "right"} for a in adversarial["each"])


def test_bench_best_time() -> None:
    report = bench("bench_best_time", "--smoke", "--select")
    assert (report["weeks"], report["seeds"], report["shapes"]) == (2, [5], ["one_peak"])
    assert report["selection"]["tried"] >= 2 and report["selection"]["seeds"] == [0]
    overall = report["results"]["overall"]
    policies = {"fixed", "industry", "optimiser", "plain_ts", "greedy", "oracle"}
    assert set(overall["regret_1_8"]) == set(overall["regret_all"]) == policies
    assert overall["regret_1_8"]["oracle"] == 0.0
    assert all(v >= 0 for v in overall["regret_1_8"].values())  # the oracle is the best
    assert set(overall["gap_closed_1_8"]) == policies - {"fixed", "oracle"}
    assert 0 <= overall["exploration_share"] <= 1 and len(overall["weekly_regret"]) == 2
    assert overall["refit_ms"]["refits"] == 14 and overall["refit_ms"]["mean"] > 0  # one a day
    assert report["command"].startswith(".venv/bin/python benchmarks/bench_best_time.py")
