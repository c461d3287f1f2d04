"""The longest alert window validation allows works in the ``alert`` function, and a
deployed config over the bound is reported and skipped instead of breaking the brand's
other rules (issue 11, item 3: ``within: 1000000d`` switched off every alert of a brand).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alert_world import CAMPAIGN, World, evaluate, fill, incident_items, make_world

from functions.common import config
from schema.types import MAX_WINDOW_S

T0 = datetime(2027, 1, 14, 12, 0, tzinfo=UTC)  # within brand-watch's window


@pytest.fixture
def world(tmp_path_factory: Any, tmp_path: Path, monkeypatch: Any) -> Iterator[World]:
    yield from make_world(tmp_path_factory, tmp_path, monkeypatch, T0)


def _set_within(world: World, rule: str, within: str) -> None:
    path = world.config_dir / f"{CAMPAIGN}.json"
    data = json.loads(path.read_text())
    for alert in data["campaign"]["alerts"]:
        if alert["name"] == rule:
            alert["within"] = within
    path.write_text(json.dumps(data))
    config.clear_cache()


def test_the_longest_allowed_window_reads_a_week_and_fires(world: World) -> None:
    # GIVEN sentiment-crash measured over the longest window validation allows (7d), and a
    # week of negative mentions, 2 a bucket: 4032 in the week, over its 500, but at most
    # 48 in its usual 2h
    assert MAX_WINDOW_S == 7 * 86400
    _set_within(world, "sentiment-crash", "7d")
    fill(world, T0 - timedelta(days=7), T0 - timedelta(minutes=5), 2, polarity=-0.9)
    # WHEN the alert run evaluates
    summary = evaluate(world, T0)
    # THEN the config loaded, the rule read the whole week and opened an incident
    assert not summary["failed"], summary
    assert f"{CAMPAIGN}/sentiment-crash" in json.dumps(summary["fired"]), summary
    opened = incident_items(world, "sentiment-crash")
    assert len(opened) == 1, summary


def test_a_deployed_window_over_the_bound_is_reported_with_its_bound(world: World) -> None:
    # GIVEN a config compiled before the bound, with within: 1000000d
    _set_within(world, "sentiment-crash", "1000000d")
    fill(world, T0 - timedelta(hours=3), T0 - timedelta(minutes=5), 2, polarity=-0.9)
    # WHEN the alert run evaluates THEN it reports that config, with the bound, not a
    # datetime overflow
    summary = evaluate(world, T0)
    failed = json.dumps(summary["failed"])
    assert f"campaign {CAMPAIGN}" in failed and "at most 7d" in failed, summary
    assert "out of range" not in json.dumps(summary)
