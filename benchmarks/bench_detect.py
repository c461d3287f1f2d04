"""Crisis detection (functions/alert/detector.py) on NAB's realTweets series.

    .venv/bin/python benchmarks/bench_detect.py --data ../shared/data/nab [--json]

Runs the detector over every ``realTweets/*.csv``, writes NAB results files
(``timestamp,value,anomaly_score``, one per series) to a folder, scores them with
``../shared/tools/nab_score.py --threshold 0.5 --json`` and prints the standard-profile
score, the delay from each labelled window's start to the first alert in it (median and
per series; windows without an alert are counted as missed), and the time per point.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from functions.alert.detector import ALERT, read_series, score_series  # noqa: E402


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=None)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True, help="the nab folder (../shared/data/nab)")
    ap.add_argument("--scorer", default=str(ROOT.parent / "shared" / "tools" / "nab_score.py"))
    ap.add_argument("--out", help="results folder (default: a temporary one)")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    args = ap.parse_args(argv)
    data = Path(args.data)
    windows_file = data / "realTweets_windows.json"
    windows = json.loads(windows_file.read_text(encoding="utf-8"))
    out = Path(args.out or tempfile.mkdtemp(prefix="nab-socialops-"))
    (out / "realTweets").mkdir(parents=True, exist_ok=True)
    points, seconds = 0, 0.0
    delays: dict[str, list[float | None]] = {}
    for path in sorted((data / "realTweets").glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as handle:
            rows = read_series(handle, str(path))
        start = time.perf_counter()
        scores = score_series([r[2] for r in rows], [r[3] for r in rows])
        seconds += time.perf_counter() - start
        points += len(rows)
        lines = ["timestamp,value,anomaly_score"]
        lines += [f"{r[0]},{r[1]},{s:.6f}" for r, s in zip(rows, scores, strict=True)]
        (out / "realTweets" / f"socialops_{path.name}").write_text("\n".join(lines) + "\n")
        moments = [_time(r[0]) for r in rows]
        series = []
        for begin, end in windows.get(f"realTweets/{path.name}", []):
            b, e = _time(begin), _time(end)
            hits = [m for m, s in zip(moments, scores, strict=True) if b <= m <= e and s >= ALERT]
            series.append((hits[0] - b).total_seconds() / 3600.0 if hits else None)
        delays[path.stem] = series
    result = subprocess.run(
        [sys.executable, args.scorer, "--data", str(data), "--windows", str(windows_file),
         "--results", str(out), "--threshold", "0.5", "--json"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if result.returncode != 0:
        print(result.stderr, file=sys.stderr)
        return 1
    report = json.loads(result.stdout)
    standard = report["profiles"]["standard"]
    found = [d for series in delays.values() for d in series if d is not None]
    summary = {
        "nab_standard": standard["normalised"],
        "profiles": {k: v["normalised"] for k, v in report["profiles"].items()},
        "windows": sum(len(v) for v in delays.values()),
        "windows_detected": len(found),
        "median_delay_hours": statistics.median(found) if found else None,
        "delay_hours": {
            k: [None if d is None else round(d, 2) for d in v] for k, v in delays.items()
        },
        "us_per_point": 1e6 * seconds / max(points, 1),
        "points": points,
        "results": str(out),
    }
    if args.json:
        print(json.dumps(summary, indent=1))
        return 0
    print(f"NAB standard profile, threshold 0.5: {summary['nab_standard']:.1f}")
    for name, value in summary["profiles"].items():
        print(f"  {name}: {value:.1f}")
    print(f"windows detected: {len(found)} of {summary['windows']}; median delay from window "
          f"start to first alert: {summary['median_delay_hours']:.1f} h")  # fmt: skip
    for name, series in summary["delay_hours"].items():
        shown = ", ".join("missed" if d is None else f"{d:.1f} h" for d in series)
        print(f"  {name}: {shown}")
    print(f"time per point: {summary['us_per_point']:.1f} us ({points} points)")
    print(f"results files: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
