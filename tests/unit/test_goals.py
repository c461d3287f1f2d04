"""Goals' progress measured in the lake with DuckDB (infra/goals.py): each KPI on a small
lake whose answer is worked out by hand."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from functions.ingest.engagement import ENGAGEMENT_COLUMNS
from infra.goals import progress
from infra.lake import Lake
from schema.campaign import Goal

NOW = datetime(2027, 1, 20, tzinfo=UTC)


def _write(folder: Path, key: str, rows: list[dict[str, Any]]) -> None:
    path = folder / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


def _reading(platform: str, post_id: str, published: str, read: str, **metrics: Any) -> dict[str, Any]:  # fmt: skip
    row: dict[str, Any] = dict.fromkeys(name for name, _ in ENGAGEMENT_COLUMNS)
    row.update(brand="acme", platform=platform, campaign="launch", post="p", post_id=post_id,
               published_at=published, read_at=read, status="ok", source="readback",
               media="none")  # fmt: skip
    row.update(metrics)
    return row


@pytest.fixture
def lake(tmp_path: Path) -> Lake:
    e = "engagement/brand=acme/platform={}/date=2027-01-12/r.jsonl"
    _write(tmp_path, e.format("x"), [
        # an early reading, then the latest: only the latest counts
        _reading("x", "1", "2027-01-12T09:00:00Z", "2027-01-12T10:00:00Z", likes=1, shares=0,
                 comments=0, views=100),
        _reading("x", "1", "2027-01-12T09:00:00Z", "2027-01-13T09:00:00Z", likes=40, shares=5,
                 comments=5, views=1000, clicks=20),
        # another campaign's post is not this campaign's
        {**_reading("x", "9", "2027-01-12T09:00:00Z", "2027-01-13T09:00:00Z", likes=999,
                    views=999), "campaign": "other"},
    ])  # fmt: skip
    _write(tmp_path, e.format("mastodon"), [
        # Mastodon counts no views: absent, so views sum over X alone
        _reading("mastodon", "m1", "2027-01-12T12:00:00Z", "2027-01-13T12:00:00Z", likes=8,
                 shares=1, comments=1, media="video"),
        # a post before the window is not counted
        _reading("mastodon", "m0", "2027-01-09T12:00:00Z", "2027-01-13T12:00:00Z", likes=500),
    ])  # fmt: skip
    f = "followers/brand=acme/platform={}/date={}/r.jsonl"
    for platform, counts in {"x": (1000, 1100), "mastodon": (200, 260)}.items():
        for day, count in zip(("2027-01-12", "2027-01-19"), counts, strict=True):
            _write(tmp_path, f.format(platform, day), [{
                "brand": "acme", "platform": platform, "account": "@acme", "date": day,
                "read_at": f"{day}T00:15:00Z", "followers": count}])  # fmt: skip
    _write(tmp_path, "scored/brand=acme/date=2027-01-13/b1.jsonl", [
        {"id": "a", "brand": "acme", "platform": "x", "created_at": "2027-01-13T10:00:00Z",
         "polarity": 0.5, "label": "positive", "bot": 0.1, "language": "en"},
        {"id": "b", "brand": "acme", "platform": "x", "created_at": "2027-01-13T11:00:00Z",
         "polarity": -0.1, "label": "neutral", "bot": 0.1, "language": "en"},
    ])  # fmt: skip
    # the same mention stored again by a retried batch is counted once
    _write(tmp_path, "scored/brand=acme/date=2027-01-13/b2.jsonl", [
        {"id": "a", "brand": "acme", "platform": "x", "created_at": "2027-01-13T10:00:00Z",
         "polarity": 0.5, "label": "positive", "bot": 0.1, "language": "en"}])  # fmt: skip
    opened = Lake(tmp_path)
    yield opened
    opened.close()


def _campaign(*goals: tuple[str, float]) -> Any:
    campaign = SimpleNamespace(
        name="launch", brand="acme", channels=["x", "mastodon"], timezone="UTC",
        window=SimpleNamespace(start=datetime(2027, 1, 11), end=datetime(2027, 1, 31, 23, 59)),
        goals=[Goal(kpi=k, target=t) for k, t in goals],
    )  # fmt: skip
    return SimpleNamespace(campaign=campaign)


def test_each_kpi_is_measured_as_documented(lake: Lake) -> None:
    config = _campaign(("views", 2000), ("impressions", 2000), ("video_views", 1),
                       ("engagement_rate", 0.05), ("clicks", 10), ("ctr", 0.01),
                       ("followers", 100), ("mentions", 2), ("sentiment", 0.3),
                       ("reach", 10))  # fmt: skip
    got = {p.kpi: p for p in progress(lake, config, NOW)}
    assert got["views"].value == 1000 and got["views"].progress == 0.5
    assert got["views"].met is False and "1 of the campaign's 2 posts" in got["views"].basis
    assert got["impressions"].value == 1000  # read as views
    assert got["video_views"].value is None  # Mastodon's video has no views
    # (50 / 1000 + 10 / 200) / 2: each post over its account's followers that day
    assert got["engagement_rate"].value == pytest.approx(0.05) and got["engagement_rate"].met
    assert got["clicks"].value == 20 and got["ctr"].value == pytest.approx(0.02)
    assert got["followers"].value == 160  # (1100 - 1000) + (260 - 200)
    assert got["mentions"].value == 2  # the retried batch's copy is not counted twice
    assert got["sentiment"].value == pytest.approx(0.2) and got["sentiment"].met is False
    assert got["sentiment"].progress is None
    assert got["reach"].value is None and "platforms giving it: none" in got["reach"].basis


def test_conversions_and_roas_say_they_cannot_be_measured(lake: Lake) -> None:
    got = progress(lake, _campaign(("conversions", 400), ("roas", 3)), NOW)
    assert [p.value for p in got] == [None, None]
    assert all("not measurable from the platforms" in p.basis for p in got)


def test_a_goal_is_measured_up_to_its_time_not_after(lake: Lake) -> None:
    config = _campaign(("views", 1))
    config.campaign.goals = [Goal(kpi="views", target=1, by=datetime(2027, 1, 12, 10, 0))]
    got = progress(lake, config, NOW)[0]
    assert got.value == 1000 and got.by == "2027-01-12T10:00:00Z"  # only the 09:00 post


def test_an_empty_lake_measures_nothing_yet(tmp_path: Path) -> None:
    with Lake(tmp_path) as empty:
        got = progress(empty, _campaign(("views", 1), ("followers", 1), ("mentions", 1)), NOW)
    assert [p.value for p in got] == [None, None, 0]
