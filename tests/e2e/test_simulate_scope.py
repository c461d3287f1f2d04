"""``socialops simulate`` when the simulated days hold nothing to run: every campaign has
ended (or ``--start`` is after them), there is no campaign, the posts all fall outside the
days, the days come before the first post. It says so, with each campaign's dates and a
start that has posts, and exits 0 (nothing is wrong with the files); never an internal
error."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from projects import BASE, Result

ROOT = Path(__file__).resolve().parents[2]
NO_CAMPAIGN = {k: v for k, v in BASE.items() if k != "campaign.yml"}


@pytest.mark.parametrize(
    ("files", "args", "said"),
    [
        (BASE, ("--start", "2028-06-01"), [
            "nothing to simulate from 2028-06-01 00:00Z to 2028-06-08 00:00Z: every campaign "
            "ended before 2028-06-01 00:00Z",
            "  launch (acme): ended 2027-12-31 23:59 Europe/Paris; its last post was at "
            "2027-01-14 08:00Z",
            "try --start 2027-01-14 (the first post of launch)"]),
        (NO_CAMPAIGN, ("--start", "2027-01-14"), [
            "nothing to simulate from 2027-01-14 00:00Z to 2027-01-21 00:00Z: there is no "
            "campaign (only brands and audiences)"]),
        (BASE, ("--start", "2027-02-01", "--days", "3"), [
            "nothing to simulate from 2027-02-01 00:00Z to 2027-02-04 00:00Z: no post fires in "
            "these days and no running campaign's brand listens",
            "  launch (acme): window 2027-01-01 00:00 to 2027-12-31 23:59 Europe/Paris; its last "
            "post before was at 2027-01-14 08:00Z; no post after"]),
        (BASE, ("--start", "2027-01-01", "--days", "3"), [
            "  launch (acme): window 2027-01-01 00:00 to 2027-12-31 23:59 Europe/Paris; its next "
            "post is at 2027-01-14 08:00Z",
            "try --start 2027-01-14 (launch's next post)"]),
        (BASE, ("--start", "2026-11-01", "--days", "3"), [
            "  launch (acme): starts 2027-01-01 00:00 Europe/Paris; its first post is at "
            "2027-01-14 08:00Z"]),
    ],
    ids=["ended", "no-campaign", "posts-before-the-days", "days-before-the-first-post",
         "not-started"],
)  # fmt: skip
def test_nothing_to_simulate_is_said_with_the_dates(
    project: Callable[..., Path], run_cli: Callable[..., Result],
    files: dict[str, str], args: tuple[str, ...], said: list[str],
) -> None:  # fmt: skip
    code, out, err = run_cli("simulate", "--no-report", project(files), *args)
    assert (code, err) == (0, "")
    for line in said:
        assert line in out.splitlines()


def readme_block(marker: str) -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(rf"<!-- readme:{marker} -->\n```\n(.*?)```", text, re.S)
    assert match, f"README has no block marked {marker}"
    return match.group(1).splitlines()


def test_the_examples_after_they_ended_as_the_readme_shows(
    run_cli: Callable[..., Result],
) -> None:
    shown = readme_block("simulate-nothing")
    assert shown[0] == "$ socialops simulate campaigns/ --start 2028-06-01"
    code, out, err = run_cli("simulate", "--no-report", "campaigns/", "--start", "2028-06-01")
    assert (code, err) == (0, "")
    assert out.splitlines() == shown[1:]
    assert "  ridgeline-launch (northwind): ended 2027-02-28 23:59 Europe/Paris; its last " \
        "post was at 2027-01-29 07:00Z" in shown  # fmt: skip


def test_nothing_to_simulate_in_json(run_cli: Callable[..., Result]) -> None:
    code, out, err = run_cli(
        "simulate", "--no-report", "campaigns/", "--start", "2028-06-01", "--json"
    )
    assert (code, err) == (0, "")
    summary = json.loads(out)
    assert summary["schedules_fired"] == summary["published"] == 0
    assert summary["listening"] is None and summary["start"] == "2028-06-01T00:00:00Z"
    nothing = summary["nothing_to_simulate"]
    assert nothing["reason"] == "every campaign ended before 2028-06-01 00:00Z"
    assert [c["name"] for c in nothing["campaigns"]] == ["brand-watch", "brew-tips",
                                                         "ridgeline-launch"]  # fmt: skip
    assert nothing["campaigns"][2]["window"] == ["2027-01-11 00:00", "2027-02-28 23:59"]
    assert nothing["suggested_start"] == "2026-12-07"


def test_an_empty_folder_is_a_usage_error(tmp_path: Path, run_cli: Callable[..., Result]) -> None:
    code, out, err = run_cli("simulate", "--no-report", tmp_path)
    assert code == 2 and out == "" and "no YAML files" in err and "Traceback" not in err


def test_a_listening_brand_is_simulated_without_posts(run_cli: Callable[..., Result]) -> None:
    """brand-watch's last post is on 2027-12-27, but aerolite listens until the 31st."""
    code, out, _ = run_cli("simulate", "--no-report", "campaigns/", "--start", "2027-12-29", "--days", "1",
                           "--crisis", "none", "--json")  # fmt: skip
    summary = json.loads(out)
    assert code == 0 and "nothing_to_simulate" not in summary
    assert summary["schedules_fired"] == 0 and summary["listening"]["brands"] == ["aerolite"]
    assert summary["listening"]["generated"] == summary["listening"]["counted"] > 0
