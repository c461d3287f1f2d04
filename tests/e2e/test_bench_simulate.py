"""A smoke run of ``benchmarks/bench_simulate.py`` at a tiny size (one day without the
crisis, one run, and the same day at HEAD through ``--against``), so that the benchmark
cannot rot. It measures nothing here: speed is the benchmark's business, not a test's."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_bench_simulate_runs_at_a_tiny_size() -> None:
    # a report a user's `make demo` left in the checkout (or its absence) stays as it was
    left = ROOT / "simulate-report.html"
    before = left.stat().st_mtime_ns if left.exists() else None
    run = subprocess.run(
        [sys.executable, "benchmarks/bench_simulate.py", "--runs", "1", "--start",
         "2027-01-21", "--days", "1", "--crisis", "none", "--against", "HEAD", "--json"],
        cwd=ROOT, capture_output=True, text=True, check=False, timeout=600,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    figures = json.loads(run.stdout)
    assert figures["budget_s"] == 30 and figures["days"] == 1 and figures["crisis"] == "none"
    this, head = figures["simulate"]["this"], figures["simulate"]["HEAD"]
    assert this["wall_s"] > 0 and this["cpu_s"] > 0 and len(this["walls_s"]) == 1
    assert figures["this"]["over_compile"] > 0 and figures["against"]["wall_ratio"] > 0
    # what was replayed, to compare runs: the launch day's posts and a day of mentions
    assert this["replayed"]["deliveries"] >= 5 and this["replayed"]["generated"] > 100
    assert set(head["replayed"]) == set(this["replayed"])
    worktrees = subprocess.run(["git", "worktree", "list"], cwd=ROOT, capture_output=True,
                               text=True, check=True).stdout  # fmt: skip
    assert "bench-simulate-" not in worktrees  # the temporary worktree is gone
    assert (left.stat().st_mtime_ns if left.exists() else None) == before


def test_an_unknown_revision_is_said_without_a_traceback() -> None:
    run = subprocess.run(
        [sys.executable, "benchmarks/bench_simulate.py", "--runs", "1", "--days", "1",
         "--against", "no-such-revision"],
        cwd=ROOT, capture_output=True, text=True, check=False, timeout=600,
    )  # fmt: skip
    assert run.returncode != 0 and "Traceback" not in run.stderr
    assert "bench_simulate: --against no-such-revision:" in run.stderr
