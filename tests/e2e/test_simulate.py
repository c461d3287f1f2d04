"""`socialops simulate`, the README's main job: the examples on a moto server on loopback,
a virtual clock, the handlers in-process, local platform peers, injected faults, and the
listening replay with a crisis (ingest, score, alert)."""

from __future__ import annotations

import gc
import json
import re
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from projects import BASE, Result, edit

pytestmark = pytest.mark.long  # started first by `make test`'s parallel workers

ROOT = Path(__file__).resolve().parents[2]
LAUNCH = ("--start", "2027-01-11", "--days", "14")  # the examples' launch fortnight


@pytest.fixture(scope="module")
def report_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("launch") / "launch-report.html"


@pytest.fixture(scope="module")
def launch(report_path: Path) -> dict[str, Any]:
    """One run as a user runs it (the installed command, a fresh process), as JSON."""
    result = subprocess.run(
        # `make demo`'s own run (its seed 1 and fault rate 0.15 are the defaults)
        [sys.executable, "-m", "infra.cli", "simulate", "campaigns/", *LAUNCH, "--json",
         "--report", str(report_path)],
        cwd=ROOT, capture_output=True, text=True, check=False, timeout=900,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.splitlines()
    assert len(lines) == 1, "--json prints one JSON object and nothing else"
    summary: dict[str, Any] = json.loads(lines[0])
    return summary


def test_every_call_a_function_made_was_granted_by_its_role(launch: dict[str, Any]) -> None:
    # infra/simulate/iam.py: moto answers every caller; AWS would refuse what a role lacks
    assert launch["iam"]["refused"] == 0 and launch["iam"]["denied"] == []
    assert launch["iam"]["checked"] > 3000  # every function's calls, the fortnight through


def test_every_firing_is_accounted_for_and_nothing_goes_out_twice(launch: dict[str, Any]) -> None:
    assert launch["unaccounted"] == [] and launch["double_posts"] == 0
    assert launch["posts_on_platforms"] == launch["published"] > 10
    finals = launch["published"] + launch["failed"] + launch["held"] + launch["skipped"]
    # an at: auto post's fallback that stepped aside (moved) ends in its placed firing's record
    assert finals == launch["schedules_fired"] - launch["moved"] + launch["placed_fired"]
    # what did not go out is in the dead-letter queue (plus Lambda's own dead letters)
    assert launch["dead_lettered"] >= launch["failed"] + launch["held"]


def test_faults_were_injected_and_survived(launch: dict[str, Any]) -> None:
    faults = launch["faults_injected"]
    assert sum(faults.values()) >= 5 and faults.get("duplicate", 0) >= 1
    assert launch["duplicates"] == faults["duplicate"]
    assert launch["deliveries"] == (launch["schedules_fired"] + launch["duplicates"]
                                    + launch["lambda_retries"] + launch["late_retries"]
                                    + launch["placed_fired"])  # fmt: skip
    if faults.get("crash"):
        assert launch["recovered"] + launch["lambda_retries"] >= 1


def test_the_auto_posts_are_placed_explored_and_moved(launch: dict[str, Any]) -> None:
    # make demo shows each: placed (best or explored by a Thompson draw), and moved when a
    # post of the launch lagged below its forecast P10 at its early reading
    placement = launch["engagement"]["placement"]
    placed = {(p["post"], p["channel"]) for p in placement["placed"]}
    assert {("trail-question", "x"), ("trail-question", "instagram"),
            ("weekend-route", "facebook")} <= placed  # fmt: skip
    assert 1 <= placement["explored"] < len(placement["placed"]) and not placement["problems"]
    assert placement["exploration_share"] == round(placement["explored"] / len(placement["placed"]), 3)  # fmt: skip
    assert placement["moved"] and all("lags" in m["reason"] for m in placement["moved"])
    lagging = {lag["post_id"] for lag in placement["lagging"]}
    assert all(m["reason"].split(" post ")[0] in ("facebook", "instagram", "x") for m in placement["moved"])  # fmt: skip
    assert lagging
    # every placement inside the fortnight fired once, its fallback stepped aside
    inside = [p for p in placement["placed"] if p["at"] < launch["end"]]
    assert launch["placed_fired"] >= len(inside) - len(placement["moved"]) and launch["moved"] >= 1


def test_summary_has_the_documented_fields(launch: dict[str, Any]) -> None:
    for key in ("published", "duplicates", "failed", "dead_lettered", "channels"):
        assert key in launch
    channels = launch["channels"]
    assert {"instagram", "facebook", "x", "linkedin", "bluesky", "mastodon"} <= set(channels)
    assert (
        sum(c.get("published", 0) + c.get("recovered", 0) for c in channels.values())
        == (launch["published"])
    )
    assert launch["tokens_refreshed"] > 0  # X's 2-hour tokens, renewed on the virtual clock


def test_every_mention_is_counted_once_and_the_crisis_alerts(launch: dict[str, Any]) -> None:
    listening = launch["listening"]
    assert listening["brands"] == ["aerolite"] and listening["unaccounted"] == []
    # generated on the peers = queued by ingest = scored = counted once in the buckets
    assert listening["generated"] > 1000
    assert (
        listening["generated"]
        == listening["queued"]
        == listening["scored"]
        == (listening["counted"])
    )
    assert listening["left_in_queue"] == 0 and listening["score_failures"] == 0
    assert set(listening["per_platform"]) == {"bluesky", "facebook", "mastodon", "x"}
    crisis = listening["crisis"]
    assert crisis["brand"] == "aerolite" and crisis["start"] == "2027-01-18T17:00Z"
    delays = listening["first_alert_minutes_after_crisis"]
    # every rule of brand-watch fires, within three hours of the crisis's start
    assert set(delays) == {"brand-watch/mention-burst", "brand-watch/negative-spike",
                           "brand-watch/sentiment-crash"}  # fmt: skip
    assert all(0 < minutes <= 180 for minutes in delays.values()), delays
    # one notice per incident: each rule fires once and resolves once
    states = [(a["rule"], a["state"]) for a in listening["alerts"]]
    assert sorted(states) == sorted((rule, s) for rule in delays for s in ("fired", "resolved"))
    assert set(listening["paused"]) == {"aerolite"}  # pause_publishing: a person resumes
    # sentiment-crash notifies Slack: fired, its draft, resolved
    assert listening["slack_messages"] == 3
    assert listening["problems"] == []
    # each incident's draft, by the real generate handler (offline), sent the next tick
    drafts = {d["rule"]: d for d in listening["drafts"]}
    assert set(drafts) == set(delays)
    for rule, draft in drafts.items():
        assert draft["by"] == "offline/socialops-offline-1" and draft["mentions"] > 0, rule
        assert draft["sent"] is not None and draft["sent"] > draft["drafted"], rule
        assert draft["statement"].startswith("We have seen what people are saying about"), rule
    # the fine tail after the last resolution is left out, and only that
    last = max(a["when"] for a in listening["alerts"])
    assert listening["settled_ticks"] > 0 and last < "2027-01-19T03:00Z"
    assert listening["ingest_runs"] == 4 * listening["alert_runs"]


def test_a_crisis_outside_the_days_is_refused(run_cli: Callable[..., Result]) -> None:
    code, out, err = run_cli("simulate", "--no-report", "campaigns/", "--start", "2027-01-21", "--days", "1",
                             "--crisis", "2027-03-01T10:00Z")  # fmt: skip
    assert code == 2 and out == "" and "outside the simulated days" in err
    assert "Traceback" not in err


def test_timeline_shows_utc_and_local_time(run_cli: Callable[..., Result]) -> None:
    code, out, _ = run_cli("simulate", "--no-report", "campaigns/", "--start", "2027-01-21", "--days", "1",
                           "--faults", "0")  # fmt: skip
    assert code == 0
    # the launch at 09:00 in Paris (08:00Z) and at 09:00 in New York (14:00Z)
    assert any(
        line.startswith("2027-01-21 08:00Z 2027-01-21 09:00 Europe/Paris") and " x " in line
        and "published" in line for line in out.splitlines()
    )  # fmt: skip
    assert any(
        line.startswith("2027-01-21 14:00Z 2027-01-21 09:00 America/New_York") for line in
        out.splitlines()
    )  # fmt: skip
    assert "summary: schedules fired" in out and "double posts 0" in out
    # the summary as the README shows it: held posts wait for a person, apart from failures
    shown = readme_block("simulate-summary")
    assert shown[:2] == ["$ socialops simulate campaigns/ --start 2027-01-21 --days 1 "
                         "--faults 0", "..."]  # fmt: skip
    assert all(line in out.splitlines() for line in shown[2:]), shown[2:]
    # the weekly tip's texts are approved (brew-tips.generated.yml): they publish
    assert "dead-letter queue: empty" in shown
    assert any(" bluesky " in line and "brew-tips/weekly-tip" in line and "published" in line
               for line in out.splitlines())  # fmt: skip
    # the crisis (17:00 on the only day) falls in the volume detector's first 24 h
    assert "  brand-watch/mention-burst: did not fire" in out.splitlines()
    assert ("note: brand-watch/mention-burst could not fire: the crisis began 17 h into "
            "the replay, within the volume detector's 24 h warm-up") in out  # fmt: skip


def test_the_dead_letter_queue_is_told_apart() -> None:
    from infra.simulate.command import _summary_text
    from infra.simulate.run import Result as Simulated

    summary = Simulated(datetime(2027, 1, 1, tzinfo=UTC), datetime(2027, 1, 2, tzinfo=UTC),
                        1).summary()  # fmt: skip
    assert "dead-letter queue: empty" in _summary_text(summary).splitlines()
    summary.update(dead_lettered=6, held=2, failed=1)
    assert _summary_text(summary).splitlines()[1] == (
        "dead-letter queue: 6 = held 2 (awaiting a person: resume the brand or approve the "
        "text, then redrive) + failed 1 + other 3 (stale schedules, invocations Lambda gave "
        "up on)")  # fmt: skip
    assert "held for a person 2" in _summary_text(summary) and "dead lettered" not in (
        _summary_text(summary))  # fmt: skip


def readme_block(marker: str) -> list[str]:
    import re

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(rf"<!-- readme:{marker} -->\n```\n(.*?)```", text, re.S)
    assert match, f"README has no block marked {marker}"
    return match.group(1).splitlines()


def test_a_failed_listening_run_fails_the_simulation() -> None:
    from infra.simulate.listen import ListenResult
    from infra.simulate.run import Result as Simulated

    result = Simulated(datetime(2027, 1, 1, tzinfo=UTC), datetime(2027, 1, 2, tzinfo=UTC), 1)
    result.listening = ListenResult(brands=["aerolite"])
    assert result.ok
    result.listening.problems.append("alert at 2027-01-01 10:00Z: state not written")
    assert not result.ok


@pytest.mark.parametrize(
    ("args", "message"),
    [(("--days", "0"), "--days: expected 1 to 366"), (("--faults", "2"), "--faults"),
     (("--start", "soon"), "--start: expected an ISO date"),
     (("--crisis", "tonight"), "--crisis: expected an ISO date")],
)  # fmt: skip
def test_bad_options_are_usage_errors(
    run_cli: Callable[..., Result], args: tuple[str, ...], message: str
) -> None:
    code, _, err = run_cli("simulate", "--no-report", "campaigns/", *args)
    assert code == 2 and message in err and "Traceback" not in err


def test_invalid_campaigns_are_not_simulated(
    project: Callable[..., Path], run_cli: Callable[..., Result]
) -> None:
    broken = {**BASE, "campaign.yml": edit(str(BASE["campaign.yml"]), "Europe/Paris",
                                           "Europe/Pari")}  # fmt: skip
    code, out, err = run_cli("simulate", "--no-report", project(broken))
    assert code == 1 and out == ""
    assert "do not validate" in err and "E205" in err and "Traceback" not in err


def test_engagement_comes_back_for_every_published_post(launch: dict[str, Any]) -> None:
    # the peers count from the simulated audience; ingest's read-back, every 15 minutes on
    # the virtual clock, brings each published post's counts into the lake
    engagement = launch["engagement"]
    assert engagement["audience"] == {"shape": "one_peak", "zone": "Europe/Paris"}
    assert engagement["posts_read"] == launch["published"]
    # --faults: a platform refused some runs (a rate limit, an expired token); those posts
    # stayed due and were read on a later run, nothing else stopped
    refused = sum(n for k, n in launch["faults_injected"].items() if k.startswith("readback_"))
    assert refused >= 1 and len(engagement["stopped"]) <= refused
    assert all("rate limit" in s.lower() or "token" in s.lower() or "refused" in s.lower()
               for s in engagement["stopped"])  # fmt: skip
    assert engagement["readings"] >= 2 * engagement["posts_read"]  # several checkpoints each
    assert engagement["readback_runs"] == 14 * 24 * 4 - 1
    per = engagement["per_platform"]
    for platform, totals in per.items():
        assert totals["likes"] > 0, platform  # people reacted on every platform
    # only what each platform gives: no views on Mastodon or Bluesky, reach on Instagram
    assert "views" not in per["mastodon"] and "views" not in per["bluesky"]
    assert per["instagram"]["reach"] > 0 and per["instagram"]["views"] > per["instagram"]["likes"]
    # a follower count a day for every account of the examples
    assert len(engagement["followers"]) == 12 and min(engagement["followers"].values()) > 0


def test_the_run_writes_its_report_and_says_where(launch: dict[str, Any], report_path: Path) -> None:  # fmt: skip
    assert launch["engagement"]["report"] == str(report_path)
    page = report_path.read_text()
    for campaign in ("brand-watch", "brew-tips", "ridgeline-launch"):
        assert f"Campaign {campaign}" in page
    assert page.count("<img") >= 6 and "data:image/png;base64," in page
    assert "the simulated lake (moto)" in page
    # what optimize placed and moved, and why: the lag that moved weekend-route
    auto = page.split("The best time to post: the at: auto posts", 1)[1].split("</section>", 1)[0]
    assert "9 occurrences placed of 9" in auto and "moved" in auto
    assert "lags:" in auto and "below the" in auto and "weekend-route" in auto


def test_every_scored_mention_is_in_the_lake(launch: dict[str, Any]) -> None:
    # (each score batch once overwrote the last: one request id for the whole replay)
    rows = launch["engagement"]["lake_rows"]
    assert rows["mentions"] == launch["listening"]["scored"] > 1000
    assert rows["engagement"] == launch["engagement"]["readings"] and rows["followers"] > 0


def test_goals_show_their_progress_measured_in_the_lake(launch: dict[str, Any]) -> None:
    goals = {(g["campaign"], g["kpi"]): g for g in launch["engagement"]["goals"]}
    rate = goals[("ridgeline-launch", "engagement_rate")]
    assert 0 < rate["value"] < 1 and rate["progress"] == pytest.approx(rate["value"] / 0.035)
    assert "per follower" in rate["basis"] and rate["by"] == "2027-02-28T22:59:00Z"
    gained = goals[("brew-tips", "followers")]
    assert gained["value"] > 0 and gained["met"] is False  # two weeks of a six-month goal
    conversions = goals[("ridgeline-launch", "conversions")]
    assert conversions["value"] is None and "not measurable" in conversions["basis"]


def test_optimize_trains_the_forecasts_daily_from_the_lake(launch: dict[str, Any]) -> None:
    # optimize's daily schedule on the virtual clock: a brand whose settled history (posts
    # read back a day or more after going out) reached 10 posts is trained, then again
    # only when that history changed; the others say why not
    training = launch["engagement"]["training"]
    assert training["runs"] == 13  # 14 days from 00:00: each midnight after the first
    assert training["trained"], training
    for model in training["trained"]:
        assert model["posts"]["engagement"] >= 10 and model["bytes"] > 1000
    trained = {t["brand"] for t in training["trained"]}
    for brand, why in training["not_trained"].items():
        assert brand not in trained and "too little history" in why
    assert len(training["trained"]) < training["runs"] * 3  # not every brand every day


def test_leaving_out_the_idle_read_back_runs_changes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    """The replay leaves out the read-back runs that find nothing due (nine in ten): with
    every run made instead, the same readings, lake, faults and follower counts come out."""
    from infra.simulate import engagement
    from infra.simulate.run import simulate

    def run() -> dict[str, Any]:
        result = simulate(["campaigns/"], 4, 3, datetime(2027, 1, 11, tzinfo=UTC), 0.3, crisis=None)  # fmt: skip
        summary: dict[str, Any] = json.loads(json.dumps(result.summary(), default=str))
        assert summary.pop("iam")["refused"] == 0  # an idle run makes fewer calls to check
        for trained in summary["engagement"]["training"]["trained"]:
            trained.pop("seconds")  # wall time
        # a rate limit's wait is counted from the peer's wall clock: 299 s or 300 s
        summary["engagement"]["stopped"] = [re.sub(r"retry in \d+ s", "retry in N s", s)
                                            for s in summary["engagement"]["stopped"]]  # fmt: skip
        return summary

    monkeypatch.chdir(ROOT)
    collector = gc.get_threshold()
    skipping = run()
    assert gc.get_threshold() == collector  # the replay's own thresholds are undone
    monkeypatch.setattr(engagement.Readback, "_idle", lambda self: False)
    every = run()
    assert skipping["engagement"].pop("readback_idle") > 0.8 * skipping["engagement"]["readback_runs"]  # fmt: skip
    assert every["engagement"].pop("readback_idle") == 0
    assert skipping == every
