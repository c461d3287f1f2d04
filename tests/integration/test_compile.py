"""`socialops compile` writes build/ as ARCHITECTURE.md section 3 describes."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

import pytest

from infra.cli import main

ROOT = Path(__file__).resolve().parents[2]
NOW = "2026-12-01T00:00Z"


@pytest.fixture
def examples(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "campaigns", tmp_path / "campaigns")
    return tmp_path / "campaigns"


def compile_(src: Path, out: Path, *extra: str) -> int:
    return main(["compile", str(src), "--out", str(out), "--now", NOW, *extra])


def schedules(out: Path, campaign: str) -> list[dict]:
    return json.loads((out / "schedules" / f"{campaign}.json").read_text())["schedules"]


def test_weekly_series_keeps_local_time_across_both_hemispheres_dst(
    examples: Path, tmp_path: Path
) -> None:
    # GIVEN a weekly Thursday 07:30 post for London and Sydney, December to June
    out = tmp_path / "build"
    assert compile_(examples, out, "--no-cache") == 0
    entries = [s for s in schedules(out, "brew-tips") if s["payload"]["post"] == "weekly-tip"]
    # THEN every occurrence is 07:30 local in its zone, on a Thursday
    assert {s["local_time"][11:16] for s in entries} == {"07:30"}
    assert {s["local_timezone"] for s in entries} == {"Europe/London", "Australia/Sydney"}
    # AND the UTC time moves when each zone changes its clocks
    london = {s["expression"][14:19] for s in entries if s["local_timezone"] == "Europe/London"}
    sydney = {s["expression"][14:19] for s in entries if s["local_timezone"] == "Australia/Sydney"}
    assert london == {"07:30", "06:30"}  # GMT in winter, BST from 2027-03-28
    assert sydney == {"20:30", "21:30"}  # AEDT (UTC+11) until 2027-04-04, then AEST (UTC+10)
    # AND one schedule per channel and occurrence, with unique names
    names = [s["name"] for s in schedules(out, "brew-tips")]
    assert len(names) == len(set(names))
    per_channel = Counter(s["payload"]["channel"] for s in entries)
    assert len(set(per_channel.values())) == 1 and len(per_channel) == 4
    assert all(len(n) <= 64 for n in names)


def test_one_schedule_per_audience_zone_for_a_fixed_time(examples: Path, tmp_path: Path) -> None:
    out = tmp_path / "build"
    assert compile_(examples, out, "--no-cache") == 0
    launch = [s for s in schedules(out, "ridgeline-launch") if s["payload"]["post"] == "launch"]
    # 09:00 in Paris (08:00Z) and 09:00 in New York (14:00Z), on each of its three channels
    assert sorted({s["expression"] for s in launch}) == [
        "at(2027-01-21T08:00:00)",
        "at(2027-01-21T14:00:00)",
    ]
    assert len(launch) == 6
    # The French audience gets the French text variant where one exists
    teaser = {
        s["payload"]["locale"]
        for s in schedules(out, "ridgeline-launch")
        if s["payload"]["post"] == "teaser"
    }
    assert teaser == {"fr-FR", ""}


def test_finished_campaign_compiles_to_nothing_and_stale_files_go(
    examples: Path, tmp_path: Path
) -> None:
    out = tmp_path / "build"
    assert compile_(examples, out, "--no-cache") == 0
    assert (out / "config" / "ridgeline-launch.json").exists()
    # WHEN the clock passes the end of the launch window
    assert (
        main(
            [
                "compile",
                str(examples),
                "--out",
                str(out),
                "--now",
                "2027-03-01T00:00Z",
                "--no-cache",
            ]
        )
        == 0
    )
    # THEN it is listed as finished and its files are removed
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["finished"] == ["ridgeline-launch"]
    assert not (out / "config" / "ridgeline-launch.json").exists()
    assert not (out / "schedules" / "ridgeline-launch.json").exists()
    # AND past occurrences of the others are not compiled
    assert all(s["payload"]["scheduled_for"] >= "2027-03-01" for s in schedules(out, "brew-tips"))


def test_rerun_after_one_change_rewrites_only_that_campaign(
    examples: Path, tmp_path: Path, capsys
) -> None:
    out, cache = tmp_path / "build", tmp_path / "cache"
    assert compile_(examples, out, "--cache-dir", str(cache)) == 0
    before = {p: p.read_bytes() for p in out.rglob("*.json")}
    capsys.readouterr()
    target = examples / "brewlab" / "brew-tips.yml"
    target.write_text(
        target.read_text().replace("First Friday live cupping", "First Friday cupping")
    )
    assert compile_(examples, out, "--cache-dir", str(cache)) == 0
    changed = {
        p.relative_to(out).as_posix()
        for p in out.rglob("*.json")
        if before.get(p) != p.read_bytes()
    }
    assert changed == {"config/brew-tips.json", "manifest.json"}
    assert "(2 written" in capsys.readouterr().out


def test_runtime_config_round_trips_through_the_same_models(examples: Path, tmp_path: Path) -> None:
    from schema.documents import RuntimeConfig

    out = tmp_path / "build"
    assert compile_(examples, out, "--no-cache") == 0
    for path in sorted((out / "config").glob("*.json")):
        config = RuntimeConfig.model_validate_json(path.read_bytes())
        again = (
            json.dumps(config.model_dump(mode="json"), indent=2, sort_keys=True, ensure_ascii=False)
            + "\n"
        )
        assert again.encode() == path.read_bytes()
