"""Wall and CPU time of ``make demo``'s simulate, as a user runs it; budget 30 s.

    .venv/bin/python benchmarks/bench_simulate.py [--runs 3] [--start 2027-01-11]
        [--days 14] [--crisis ISO|none] [--against REV] [--json]

Each run is a fresh process, ``python -m infra.cli simulate campaigns/ --start S --days N
--json``, so the time includes the interpreter, imports, compiling the examples, moto and
the peers, provisioning, reconciling the schedules, firing them and the listening replay.
CPU is the process's user + system time (steadier than wall on a shared machine). In the
same process run it times ``socialops compile`` of the examples, for a ratio, and with
``--against REV`` the same simulate at another revision (a temporary git worktree, same
interpreter), runs alternating, for a before/after ratio. It prints what was replayed
(deliveries, mentions, ingest and alert runs) so that a faster run can be seen to do the
same work.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BUDGET_S = 30.0  # make demo's simulate (--start 2027-01-11 --days 14); issue 10
WORK = ("deliveries", "published", "schedules_fired")
REPLAYED = ("generated", "counted", "ingest_runs", "alert_runs", "slack_messages")


def timed(cwd: Path, *args: str) -> tuple[float, float, str]:
    """Wall and CPU seconds of ``python -m infra.cli ARGS`` in ``cwd``, and its stdout."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    run = subprocess.run([sys.executable, "-m", "infra.cli", *args], cwd=cwd,
                         capture_output=True, text=True, check=False)  # fmt: skip
    wall = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if run.returncode != 0:
        raise SystemExit(f"socialops {' '.join(args)} in {cwd} failed:\n{run.stderr[-2000:]}")
    return wall, cpu, run.stdout


@contextmanager
def worktree(rev: str) -> Iterator[Path]:
    """The repository at ``rev`` in a temporary folder."""
    with tempfile.TemporaryDirectory(prefix="bench-simulate-") as folder:
        path = Path(folder) / "tree"
        made = subprocess.run(["git", "worktree", "add", "--detach", str(path), rev], cwd=ROOT,
                              check=False, capture_output=True, text=True)  # fmt: skip
        if made.returncode != 0:  # a revision git does not know: say so, no traceback
            raise SystemExit(f"bench_simulate: --against {rev}: {made.stderr.strip() or 'git worktree failed'}")  # fmt: skip
        try:
            yield path
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(path)], cwd=ROOT,
                           check=False, capture_output=True)  # fmt: skip


def describe(summary: dict[str, Any]) -> dict[str, Any]:
    listening = summary.get("listening") or {}
    return {**{k: summary.get(k) for k in WORK}, **{k: listening.get(k) for k in REPLAYED}}


def measure(trees: dict[str, Path], args: argparse.Namespace) -> dict[str, Any]:
    command = ("simulate", "campaigns/", "--start", args.start, "--days", str(args.days),
               *(("--crisis", args.crisis) if args.crisis else ()), "--json")  # fmt: skip
    walls: dict[str, list[float]] = {label: [] for label in trees}
    cpus: dict[str, list[float]] = {label: [] for label in trees}
    work: dict[str, dict[str, Any]] = {}
    # the report written as the demo writes it, but not over the one a user's `make demo`
    # left in the checkout
    with tempfile.TemporaryDirectory() as folder:
        for _ in range(args.runs):
            for label, tree in trees.items():  # alternating: both see the same noise
                report = str(Path(folder) / f"{label}-report.html")
                wall, cpu, out = timed(tree, *command, "--report", report)
                walls[label].append(wall)
                cpus[label].append(cpu)
                work[label] = describe(json.loads(out))
    return {label: {"wall_s": round(statistics.median(walls[label]), 2),
                    "cpu_s": round(statistics.median(cpus[label]), 2),
                    "walls_s": [round(w, 2) for w in walls[label]], "replayed": work[label]}
            for label in trees}  # fmt: skip


def report(figures: dict[str, Any], args: argparse.Namespace) -> None:
    this = figures["this"]
    print(f"compile of the examples: {figures['compile_s']} s (median of {args.runs})")
    for label, f in figures["simulate"].items():
        print(f"simulate --start {args.start} --days {args.days} ({label}): {f['wall_s']} s "
              f"wall (runs {f['walls_s']}), {f['cpu_s']} s CPU; replayed {f['replayed']}")  # fmt: skip
    print(f"this / compile: {this['over_compile']}x; budget {BUDGET_S:g} s: "
          f"{'met' if this['wall_s'] < BUDGET_S else 'MISSED'}")  # fmt: skip
    if "against" in figures:
        a = figures["against"]
        print(f"this / {a['rev']}: wall {a['wall_ratio']}, CPU {a['cpu_ratio']}")
    against = f" --against {args.against}" if args.against else ""
    crisis = f" --crisis {args.crisis}" if args.crisis else ""
    print(f"reproduce: .venv/bin/python benchmarks/bench_simulate.py --runs {args.runs} "
          f"--start {args.start} --days {args.days}{crisis}{against}")  # fmt: skip


def demo_arguments(parser: argparse.ArgumentParser) -> None:
    """``--runs`` and ``make demo``'s simulate: ``--start``, ``--days``, ``--crisis`` (None:
    the demo's, none given); bench_report.py takes the same."""
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--start", default="2027-01-11", help="make demo's: 2027-01-11")
    parser.add_argument("--days", type=int, default=14, help="make demo's: 14")
    parser.add_argument("--crisis", metavar="ISO|none",
                        help="simulate's --crisis (default: make demo's, none given)")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    demo_arguments(parser)
    parser.add_argument("--against", metavar="REV", help="also time this git revision")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        compile_s = statistics.median(
            timed(ROOT, "compile", "campaigns/", "--out", f"{folder}/b{i}", "--no-cache")[0]
            for i in range(args.runs)
        )
    with worktree(args.against) if args.against else _nothing() as other:
        trees = {"this": ROOT, **({args.against: other} if other else {})}
        simulated = measure(trees, args)
    this = simulated["this"]
    figures: dict[str, Any] = {
        "runs": args.runs, "start": args.start, "days": args.days, "crisis": args.crisis,
        "budget_s": BUDGET_S,
        "compile_s": round(compile_s, 2), "simulate": simulated,
        "this": {**this, "over_compile": round(this["wall_s"] / compile_s, 1),
                 "within_budget": this["wall_s"] < BUDGET_S},
    }  # fmt: skip
    if args.against:
        base = simulated[args.against]
        figures["against"] = {"rev": args.against,
                              "wall_ratio": round(this["wall_s"] / base["wall_s"], 2),
                              "cpu_ratio": round(this["cpu_s"] / base["cpu_s"], 2)}  # fmt: skip
    if args.json:
        print(json.dumps(figures, sort_keys=True))
    else:
        report(figures, args)
    return 0


@contextmanager
def _nothing() -> Iterator[None]:
    yield None


if __name__ == "__main__":
    sys.exit(main())
