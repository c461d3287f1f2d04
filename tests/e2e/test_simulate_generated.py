"""``simulate`` with a ``review: none`` rule: publish asks the real ``generate`` handler for
each occurrence's text (offline), and a platform that refuses a text twice never gets one
again; the reviewed kind's texts come from the generated file (tests/unit/
test_generate_command.py), here none: held with the command to run."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from projects import TIPS, TIPS_FILES, Result, edit, write_project


def test_run_time_texts_publish_and_reviewed_ones_wait(
    run_cli: Callable[..., Result], tmp_path: Path
) -> None:
    live = edit(TIPS, "    variants: 3\n", "    variants: 3\n    review: none\n")
    root = write_project(tmp_path, {**TIPS_FILES, "campaign.yml": live})
    code, out, err = run_cli("simulate", root, "--start", "2027-01-06", "--days", "15",
                             "--faults", "0", "--no-report", "--json")  # fmt: skip
    assert code == 0, err
    summary = json.loads(out)
    # two Thursdays on X and Bluesky, written at run time, and the text post: all published
    assert summary["published"] == 6 and summary["held"] == 0 and summary["failed"] == 0
    assert summary["double_posts"] == 0 and summary["unaccounted"] == []
    # reviewed instead: nothing approved, so held
    root = write_project(tmp_path / "reviewed", TIPS_FILES)
    code, out, _ = run_cli("simulate", root, "--start", "2027-01-06", "--days", "15",
                           "--faults", "0", "--no-report", "--json")  # fmt: skip
    reviewed = json.loads(out)
    assert code == 0 and reviewed["held"] == 4 and reviewed["published"] == 2
