"""Wall time of ``socialops simulate --days 7`` on the examples, as a user runs it.

    .venv/bin/python benchmarks/bench_simulate.py [--runs 3] [--days 7] [--json]

Each run is a fresh process (``python -m infra.cli simulate campaigns/ --days N --json``),
so the time includes the interpreter, imports, compiling the examples, starting the moto
server and the peers, provisioning, reconciling the schedules and firing them. In the same
process run it also times ``socialops compile`` of the examples, and reports the ratio.
Two simulated weeks: the first week with posts from now (the default start), and the
examples' launch week (``--start 2027-01-18``).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def timed(*args: str) -> tuple[float, str]:
    began = time.perf_counter()
    run = subprocess.run([sys.executable, "-m", "infra.cli", *args], cwd=ROOT,
                         capture_output=True, text=True, check=False)  # fmt: skip
    elapsed = time.perf_counter() - began
    if run.returncode != 0:
        raise SystemExit(f"socialops {' '.join(args)} failed:\n{run.stderr[-2000:]}")
    return elapsed, run.stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    figures: dict[str, object] = {"runs": args.runs, "days": args.days}
    with tempfile.TemporaryDirectory() as folder:
        compile_s = [timed("compile", "campaigns/", "--out", f"{folder}/b{i}", "--no-cache")[0]
                     for i in range(args.runs)]  # fmt: skip
    figures["compile_s"] = round(statistics.median(compile_s), 2)
    for label, extra in (("default", ()), ("launch_week", ("--start", "2027-01-18"))):
        walls, summary = [], {}
        for _ in range(args.runs):
            wall, out = timed("simulate", "campaigns/", "--days", str(args.days), "--json",
                              *extra)  # fmt: skip
            walls.append(wall)
            summary = json.loads(out)
        figures[label] = {
            "wall_s": round(statistics.median(walls), 2),
            "over_compile": round(statistics.median(walls) / statistics.median(compile_s), 1),
            "deliveries": summary["deliveries"],
            "published": summary["published"],
            "start": summary["start"],
        }
    if args.json:
        print(json.dumps(figures, sort_keys=True))
        return 0
    print(f"compile of the examples: {figures['compile_s']} s (median of {args.runs})")
    for label in ("default", "launch_week"):
        f = figures[label]
        assert isinstance(f, dict)
        print(f"simulate --days {args.days} ({label}, from {f['start']}): {f['wall_s']} s wall, "
              f"{f['over_compile']}x compile; {f['deliveries']} deliveries, "
              f"{f['published']} published")  # fmt: skip
    print(f"reproduce: .venv/bin/python benchmarks/bench_simulate.py --runs {args.runs} "
          f"--days {args.days}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
