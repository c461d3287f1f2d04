"""`socialops simulate --faults 1`: a fault at every firing, four weeks of a weekly post with
one text and media on all seven platforms (an image uploaded everywhere, a video on
TikTok: an upload before the post is one more place to crash). Nothing goes out twice and
every firing is accounted for:
X and LinkedIn refuse the text from week 2 on (failed, with the duplicate reason), the
other five post once a week whatever the fault (a crash before or after recording, a lost
answer, a 429 past the invocation, a 500, a duplicate delivery)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from projects import Result, acme_brand, dedent

BRAND = acme_brand("x", "bluesky", "mastodon", "instagram", "facebook", "linkedin", "tiktok")

WEEKLY = dedent("""
    version: 1
    kind: campaign
    name: weekly
    brand: acme
    window:
      start: 2027-01-01
      end: 2027-12-31
    timezone: Europe/Paris
    channels:
      - x
      - bluesky
      - mastodon
      - instagram
      - facebook
      - linkedin
      - tiktok
    posts:
      - id: roundup
        text: "This week at acme, in plain numbers #acme"
        every: mon 10:00
        media:
          - url: https://cdn.acme.example/week.jpg
            alt: Our week
        overrides:
          tiktok:
            media:
              - url: https://cdn.acme.example/week.mp4
                type: video
""")


@pytest.mark.parametrize("seed", [1, 3])
def test_a_fault_at_every_firing_of_a_weekly_text_on_seven_platforms(
    project: Callable[..., Path], run_cli: Callable[..., Result], seed: int
) -> None:
    root = project({"brand.yml": BRAND, "weekly.yml": WEEKLY})
    code, out, err = run_cli("simulate", "--no-report", root, "--faults", "1", "--crisis", "none", "--days",
                             "28", "--start", "2027-01-04", "--seed", str(seed), "--json")  # fmt: skip
    assert code == 0, err
    summary = json.loads(out)
    assert summary["double_posts"] == 0 and summary["unaccounted"] == []
    # 4 weeks x 7 platforms fired; each met a fault (retries and duplicates are not firings)
    assert summary["schedules_fired"] == 28 and sum(summary["faults_injected"].values()) >= 28
    # every week on five platforms, week 1 only on X and LinkedIn
    assert summary["published"] == summary["posts_on_platforms"] == 4 * 5 + 2
    # every post went out with its media: the image uploaded on six platforms, TikTok's video
    weekly = {"bluesky": 4, "mastodon": 4, "instagram": 4, "facebook": 4, "x": 1, "linkedin": 1}
    assert summary["media_posted"] == {**{p: {"image": n} for p, n in weekly.items()},
                                       "tiktok": {"video": 4}}  # fmt: skip
    assert summary["failed"] == 6 and summary["held"] == summary["waiting"] == 0
    assert {"crash", "crash_unowned", "lost_answer"} <= set(summary["faults_injected"])


def test_a_profile_of_the_users_shell_does_not_reach_the_simulation(
    project: Callable[..., Path], run_cli: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a shell whose AWS_PROFILE names a profile this machine does not have
    monkeypatch.setenv("AWS_PROFILE", "no-such-profile")
    root = project({"brand.yml": BRAND, "weekly.yml": WEEKLY})
    # WHEN simulating  THEN the simulation's own account is used (was: internal error)
    code, out, err = run_cli("simulate", "--no-report", root, "--days", "1", "--start", "2027-01-04",
                             "--faults", "0", "--crisis", "none", "--json")  # fmt: skip
    assert code == 0, err
    assert json.loads(out)["published"] == 7
