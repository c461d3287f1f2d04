"""Crisis detection (functions/alert/detector.py) on NAB's realTweets series.

    .venv/bin/python benchmarks/bench_detect.py --data ../shared/data/nab [--json]

Runs the detector over every ``realTweets/*.csv``, writes NAB results files
(``timestamp,value,anomaly_score``, one per series) to a folder, scores them with
``../shared/tools/nab_score.py --threshold 0.5 --json`` and prints the standard-profile
score, the delay from each labelled window's start to the first alert in it (median and
per series; windows without an alert are counted as missed), and the time per point.

    .venv/bin/python benchmarks/bench_detect.py --data ../shared/data/nab --cv [--json]

Leave-one-series-out cross-validation over a grid declared in ``CV_GRIDS`` (``--grid``;
``baseline``: 18 parameter sets, ``fine``: 30; defaults elsewhere): each set is run once
over every series and scored in-process with the same scorer's functions (threshold
0.5); for each held-out series, the set with the best standard-profile score on the other
four is chosen and the held-out series is scored with it. The CV figure normalises the
held-out series' summed raw scores over all windows (as NAB does), per profile; the
in-sample figures of the default ``Params`` and of the best set on all five are printed
beside it.
"""

from __future__ import annotations

import argparse
import importlib.util
import itertools
import json
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, replace
from datetime import datetime
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from functions.alert.detector import ALERT, Params, score_series  # noqa: E402
from infra.series import read_series  # noqa: E402

# leave-one-series-out grids (every other field default); --grid picks one. The
# "persist" and "volume_gate" variants measured with a prototype were not kept (see
# benchmarks/README.md); their grids went with them.
CV_GRIDS: dict[str, dict[str, tuple[float, ...]]] = {
    "baseline": {  # 18 sets: the model's own knobs
        "z_alert": (1.75, 2.0, 2.25),
        "smooth": (9, 12, 18),
        "level_halflife_hours": (24.0, 48.0),
    },
    "fine": {  # 30 sets: a finer look around the chosen corner
        "z_alert": (1.5, 1.625, 1.75, 1.875, 2.0),
        "smooth": (12, 15, 18),
        "level_halflife_hours": (24.0, 48.0),
    },
}


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=None)


def _scorer(path: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location("nab_score", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load the scorer {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules["nab_score"] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def cross_validate(data: Path, scorer_path: str, grid_name: str) -> dict[str, Any]:
    """Leave-one-series-out CV over ``CV_GRIDS[grid_name]`` (see the module docstring)."""
    cv_grid = CV_GRIDS[grid_name]
    ns = _scorer(scorer_path)
    windows = ns.load_windows(str(data / "realTweets_windows.json"))
    profiles = {k: ns.Weights(*v) for k, v in ns.DEFAULT_PROFILES.items()}
    series = {}
    for key in sorted(windows):
        with (data / key).open(encoding="utf-8", newline="") as handle:
            rows = read_series(handle, key)
        times = [ns.parse_time(r[0]) for r in rows]
        wins = ns.resolve_windows(key, windows[key], times, "windows", key)
        owner, credit = ns.row_credits(len(times), wins)
        series[key] = (rows, wins, owner, credit, ns.probation_rows(len(times)))
    names = list(cv_grid)
    grid = [replace(Params(), **dict(zip(names, values, strict=True)))
            for values in itertools.product(*cv_grid.values())]  # fmt: skip
    if Params() not in grid:
        grid.insert(0, Params())
    raw: list[dict[str, dict[str, float]]] = []  # per set: series -> profile -> raw
    for params in grid:
        per: dict[str, dict[str, float]] = {}
        for key, (rows, wins, owner, credit, first) in series.items():
            scores = score_series([r[2] for r in rows], [r[3] for r in rows], params)
            s = ns.Series(key, "", scores, wins, first, owner, credit)
            per[key] = {p: ns.score_series(s, w, ALERT)["raw"] for p, w in profiles.items()}
        raw.append(per)

    def normalised(raws: float, keys: list[str], profile: str) -> float:
        w, n = profiles[profile], sum(len(series[k][1]) for k in keys)
        return 100.0 * (raws + w.fn * n) / (w.tp * n + w.fn * n)

    def fit(keys: list[str]) -> int:  # the best set on these series (first of equals)
        totals = [sum(per[k]["standard"] for k in keys) for per in raw]
        return max(range(len(grid)), key=lambda i: (round(totals[i], 9), -i))

    keys = list(series)
    folds, held = [], dict.fromkeys(profiles, 0.0)
    for out in keys:
        rest = [k for k in keys if k != out]
        best = fit(rest)
        for p in profiles:
            held[p] += raw[best][out][p]
        folds.append({
            "held_out": out, "chosen": {n: getattr(grid[best], n) for n in names},
            "train_standard": normalised(sum(raw[best][k]["standard"] for k in rest), rest,
                                         "standard"),
            "held_out_standard": normalised(raw[best][out]["standard"], [out], "standard"),
        })  # fmt: skip
    best_all = fit(keys)
    default = grid.index(Params())

    def in_sample(i: int) -> dict[str, float]:
        return {p: normalised(sum(raw[i][k][p] for k in keys), keys, p) for p in profiles}

    return {
        "grid_name": grid_name,
        "grid": {n: list(v) for n, v in cv_grid.items()},
        "sets": len(grid),
        "cv": {p: normalised(held[p], keys, p) for p in profiles},
        "folds": folds,
        "default_params": asdict(Params()),
        "in_sample_default": in_sample(default),
        "best_on_all": {n: getattr(grid[best_all], n) for n in names},
        "in_sample_best_on_all": in_sample(best_all),
    }


def _print_cv(cv: dict[str, Any]) -> None:
    print(
        f"leave-one-series-out CV over {cv['sets']} parameter sets "
        f"({', '.join(f'{n} {v}' for n, v in cv['grid'].items())}):"
    )
    for fold in cv["folds"]:
        print(
            f"  held out {Path(fold['held_out']).stem}: chose {fold['chosen']}, "
            f"train {fold['train_standard']:.1f}, held out {fold['held_out_standard']:.1f}"
        )
    for title, key in (("CV (held-out series pooled)", "cv"),
                       ("in-sample, default Params", "in_sample_default"),
                       (f"in-sample, best on all five {cv['best_on_all']}", "in_sample_best_on_all")):  # fmt: skip
        print(f"{title}: " + ", ".join(f"{p} {v:.1f}" for p, v in cv[key].items()))


def detect_all(data: Path, windows: dict[str, Any], out: Path) -> dict[str, Any]:
    """Scores every series into NAB results files; delays to the first alert, time."""
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
    return {"delays": delays, "points": points, "seconds": seconds}


def nab_scores(scorer: str, data: Path, windows_file: Path, out: Path) -> dict[str, Any] | None:
    """NAB's profiles for the results in ``out``; None when the scorer is not there (a
    clone without ../shared: the delays and the time are measured all the same)."""
    if not Path(scorer).is_file():
        print(f"bench_detect: no NAB scorer at {scorer} (--scorer): the NAB score is left "
              "out", file=sys.stderr)  # fmt: skip
        return None
    result = subprocess.run(
        [sys.executable, scorer, "--data", str(data), "--windows", str(windows_file),
         "--results", str(out), "--threshold", "0.5", "--json"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if result.returncode != 0:
        raise SystemExit(f"bench_detect: the scorer failed:\n{result.stderr}")
    return {k: v["normalised"] for k, v in json.loads(result.stdout)["profiles"].items()}


def _print_summary(summary: dict[str, Any]) -> None:
    if summary["nab_standard"] is None:
        print("NAB standard profile: not scored (no scorer; see --scorer)")
    else:
        print(f"NAB standard profile, threshold 0.5: {summary['nab_standard']:.1f}")
    for name, value in summary["profiles"].items():
        print(f"  {name}: {value:.1f}")
    delay = summary["median_delay_hours"]
    print(f"windows detected: {summary['windows_detected']} of {summary['windows']}; median "
          f"delay from window start to first alert: "
          f"{'-' if delay is None else f'{delay:.1f} h'}")  # fmt: skip
    for name, series in summary["delay_hours"].items():
        shown = ", ".join("missed" if d is None else f"{d:.1f} h" for d in series)
        print(f"  {name}: {shown}")
    print(f"time per point: {summary['us_per_point']:.1f} us ({summary['points']} points)")
    print(f"results files: {summary['results']}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True, help="the nab folder (../shared/data/nab)")
    ap.add_argument("--scorer", default=str(ROOT.parent / "shared" / "tools" / "nab_score.py"),
                    help="NAB's scorer, nab_score.py (without it: delays and time only)")  # fmt: skip
    ap.add_argument("--out", help="results folder (default: a temporary one)")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    ap.add_argument("--cv", action="store_true", help="leave-one-series-out CV (see --grid)")
    ap.add_argument("--grid", default="baseline", choices=sorted(CV_GRIDS), help="for --cv")
    args = ap.parse_args(argv)
    data = Path(args.data)
    if args.cv:
        if not Path(args.scorer).is_file():
            ap.error(f"--cv needs NAB's scorer, nab_score.py: none at {args.scorer} (--scorer)")
        cv = cross_validate(data, args.scorer, args.grid)
        if args.json:
            print(json.dumps(cv, indent=1))
        else:
            _print_cv(cv)
        return 0
    windows_file = data / "realTweets_windows.json"
    windows = json.loads(windows_file.read_text(encoding="utf-8"))
    out = Path(args.out or tempfile.mkdtemp(prefix="nab-socialops-"))
    run = detect_all(data, windows, out)
    profiles = nab_scores(args.scorer, data, windows_file, out)
    delays = run["delays"]
    found = [d for series in delays.values() for d in series if d is not None]
    summary = {
        "nab_standard": profiles["standard"] if profiles else None,
        "profiles": profiles or {},
        "windows": sum(len(v) for v in delays.values()),
        "windows_detected": len(found),
        "median_delay_hours": statistics.median(found) if found else None,
        "delay_hours": {
            k: [None if d is None else round(d, 2) for d in v] for k, v in delays.items()
        },
        "us_per_point": 1e6 * run["seconds"] / max(run["points"], 1),
        "points": run["points"],
        "results": str(out),
    }
    if args.json:
        print(json.dumps(summary, indent=1))
    else:
        _print_summary(summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
