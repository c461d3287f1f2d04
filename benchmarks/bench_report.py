"""The report's drawing: its plots drawn in place against by workers, on the demo's lake.

    .venv/bin/python benchmarks/bench_report.py [--runs 3] [--start 2027-01-11] [--days 14]
        [--crisis ISO|none] [--json]

Runs ``make demo``'s simulate (``campaigns/``, seed 1, the default faults) in this process;
where it writes its report, the report is rendered ``--runs`` times each way, alternating:
every plot drawn in place, then by the drawing workers (``infra/report/painting.py``: a
fork server's workers on the other CPUs, the report's forecasts in one thread meanwhile).
Both see the same lake, configs and clock, on the same machine in the same minutes; the
ratio of the medians is the figure. It also checks that both ways give the same text, byte
for byte, and says how many workers this machine gets and how many plots a report has.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def measure(args: argparse.Namespace) -> dict[str, Any]:
    from infra.report import document, painting
    from infra.simulate.command import crisis_of, start_of
    from infra.simulate.run import simulate

    timings: dict[str, list[float]] = {"in_place": [], "workers": []}
    found: dict[str, Any] = {"same_bytes": True, "plots": 0}
    write = document.write

    def both_ways(lake: Any, configs: Any, out: Path, now: datetime, incidents: Any,
                  pauses: Any, source: Any, notes: Any = (), placements: Any = None) -> Path:  # fmt: skip
        incidents = list(incidents) if incidents is not None else None
        pauses = list(pauses) if pauses is not None else None
        placements = list(placements) if placements is not None else None
        texts: dict[str, str] = {}
        for _ in range(args.runs):
            for label, workers in (("in_place", 0), ("workers", None)):
                began = time.perf_counter()
                with painting.painter(workers) as drawer:
                    texts[label] = document.render(lake, configs, now, incidents, pauses, source,
                                                   notes, placements, drawer)  # fmt: skip
                timings[label].append(time.perf_counter() - began)
        found["same_bytes"] = texts["in_place"] == texts["workers"]
        found["plots"] = texts["in_place"].count("<figure><img ")
        return write(lake, configs, out, now, incidents, pauses, source, notes, placements)

    document.write = both_ways  # (simulate starts the workers' fork server: it writes a report)
    try:
        with tempfile.TemporaryDirectory() as folder:
            simulate([str(ROOT / "campaigns")], args.days, 1, start_of(args.start), 0.15,
                     crisis_of(args.crisis or "default"),
                     report=str(Path(folder) / "report.html"))  # fmt: skip
    finally:
        document.write = write
    if not timings["in_place"]:
        raise SystemExit("bench_report: the simulation wrote no report (no training stack?)")
    medians = {label: statistics.median(runs) for label, runs in timings.items()}
    return {
        "runs": args.runs, "start": args.start, "days": args.days, "crisis": args.crisis,
        "workers": painting.workers_here(), "cpus": painting.cpus(), **found,
        "in_place_s": round(medians["in_place"], 2), "workers_s": round(medians["workers"], 2),
        "in_place_runs_s": [round(t, 2) for t in timings["in_place"]],
        "workers_runs_s": [round(t, 2) for t in timings["workers"]],
        "ratio": round(medians["workers"] / medians["in_place"], 2),
    }  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    from bench_simulate import demo_arguments  # benchmarks/bench_simulate.py

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    demo_arguments(parser)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    figures = measure(args)
    if args.json:
        print(json.dumps(figures, sort_keys=True))
        return 0
    print(f"the demo's report ({figures['plots']} plots), --start {args.start} --days "
          f"{args.days}, {figures['cpus']} CPUs, {figures['workers']} drawing workers:")  # fmt: skip
    print(f"  in place: {figures['in_place_s']} s (runs {figures['in_place_runs_s']})")
    print(f"  workers:  {figures['workers_s']} s (runs {figures['workers_runs_s']})")
    print(f"  ratio {figures['ratio']}; the same bytes both ways: {figures['same_bytes']}")
    crisis = f" --crisis {args.crisis}" if args.crisis else ""
    print(f"reproduce: .venv/bin/python benchmarks/bench_report.py --runs {args.runs} "
          f"--start {args.start} --days {args.days}{crisis}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
