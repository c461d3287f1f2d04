"""Crisis detection (functions/alert/detector.py) on NAB's real series.

    .venv/bin/python benchmarks/bench_detect.py --data ../shared/data/nab [--json]

Runs the detector over every series of the NAB folder: ``realTweets/*.csv`` (windows in
``realTweets_windows.json``) and, where the folder has them, NAB's 37 other real series
``other/<category>/*.csv`` (windows in ``other_windows.json``). Writes NAB results files
(``timestamp,value,anomaly_score``, one per series) to a folder, scores each group with
``../shared/tools/nab_score.py --threshold 0.5 --json`` and prints the standard-profile
score per group and pooled, the delay from each labelled window's start to the first
alert in it (median and per series; windows without an alert are counted as missed), and
the time per point.

    .venv/bin/python benchmarks/bench_detect.py --data ../shared/data/nab --cv [--grid NAME] [--json]

Leave-one-series-out cross-validation over every series found (42: 5 tweet series and 37
others) and a grid of parameter sets declared in ``CV_GRIDS``: each set is run once over
every series and each series is scored in-process with the scorer's own functions
(threshold 0.5), so every fold is only a selection. For each held-out series, the set
with the best pooled standard-profile score on all the other series (the summed raw
scores normalised over their windows, as NAB scores a corpus) is chosen and the held-out
series is scored with it. The CV figure pools the held-out raw scores and normalises them
over the windows of all series, of the tweet series and of the others; the in-sample
figures of the default ``Params`` and of the best set on all series are printed beside it.
Rows out of time order are scored as ``socialops detect`` scores them (a row earlier than
one before it without updating the detector).
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
from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields, replace
from datetime import datetime
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from functions.alert.detector import ALERT, VOLUME, Params, score_series  # noqa: E402
from infra.series import read_series  # noqa: E402

# the groups of a NAB folder: name, windows file, folder of the series (keys relative to it)
GROUPS = (("realTweets", "realTweets_windows.json", "."), ("other", "other_windows.json", "other"))

# leave-one-series-out grids (every other field default); --grid picks one
CV_GRIDS: dict[str, dict[str, tuple[Any, ...]]] = {
    "baseline": {  # 18 sets: the grid and the detector before issue 12 (its defaults:
        # z_alert 2.0, smooth 12, level half-life 24 h), bursts only
        "drops": (0.0,),
        "refractory_hours": (24.0,),
        "warmup_hours": (24.0,),
        "z_alert": (1.75, 2.0, 2.25),
        "smooth": (9, 12, 18),
        "level_halflife_hours": (24.0, 48.0),
    },
    "full": {  # 144 sets: drops and the refractory period beside them
        "drops": (0.0, 0.5, 0.75, 1.0),
        "refractory_hours": (12.0, 24.0),
        "z_alert": (1.75, 2.0, 2.25),
        "smooth": (9, 12, 18),
        "level_halflife_hours": (24.0, 48.0),
    },
}
CV_GRIDS["bursts"] = {**CV_GRIDS["full"], "drops": (0.0,)}  # 36 sets: the alert function's


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


@dataclass
class Item:
    """One series of the corpus, ready to score."""

    key: str  # as in its windows file
    group: str  # realTweets or other
    path: Path
    rows: list[tuple[str, str, datetime, float]]
    windows: list[Any]  # the windows file's [start, end] pairs


def corpus(data: Path) -> list[Item]:
    """Every series of the NAB folder with its windows; says on stderr what is missing."""
    items = []
    for group, windows_name, folder in GROUPS:
        windows_file = data / windows_name
        if not windows_file.is_file():
            print(f"bench_detect: no {windows_file}: the {group} series are left out",
                  file=sys.stderr)  # fmt: skip
            continue
        for key, wins in sorted(json.loads(windows_file.read_text(encoding="utf-8")).items()):
            path = data / folder / key
            with path.open(encoding="utf-8", newline="") as handle:
                rows = read_series(handle, str(path), [])
            items.append(Item(key, group, path, rows, wins))
    return items


def _label(params: Params) -> dict[str, Any]:
    """The fields of ``params`` that differ from the defaults."""
    default = Params()
    return {f.name: getattr(params, f.name) for f in fields(Params)
            if getattr(params, f.name) != getattr(default, f.name)}  # fmt: skip


def grid_sets(grid_name: str) -> list[Params]:
    """The parameter sets of ``CV_GRIDS[grid_name]``, the defaults first if there."""
    cv_grid = CV_GRIDS[grid_name]
    names = list(cv_grid)
    grid = [replace(Params(), **dict(zip(names, values, strict=True)))
            for values in itertools.product(*cv_grid.values())]  # fmt: skip
    return sorted(grid, key=lambda p: p != Params())  # stable: first of equals wins


class Pool:
    """Raw NAB scores of every (parameter set, series), each computed once."""

    def __init__(self, items: list[Item], ns: ModuleType) -> None:
        self.items, self.ns = items, ns
        self.profiles = {k: ns.Weights(*v) for k, v in ns.DEFAULT_PROFILES.items()}
        self.series = {}
        for item in items:
            times = [ns.parse_time(r[0]) for r in item.rows]
            wins = ns.resolve_windows(item.key, item.windows, times, "windows", item.key)
            owner, credit = ns.row_credits(len(times), wins)
            self.series[item.key] = (wins, owner, credit, ns.probation_rows(len(times)))
        self.cache: dict[Params, dict[str, dict[str, Any]]] = {}
        self.points, self.seconds = 0, 0.0

    def scores(self, params: Params) -> dict[str, dict[str, Any]]:
        """Per series: raw score per profile, windows (scored, all, detected), alert rows
        outside windows, with ``params``."""
        if params not in self.cache:
            per = {}
            for item in self.items:
                wins, owner, credit, first = self.series[item.key]
                start = time.perf_counter()
                found = score_series([r[2] for r in item.rows], [r[3] for r in item.rows], params)  # fmt: skip
                self.seconds += time.perf_counter() - start
                self.points += len(found)
                s = self.ns.Series(item.key, "", found, wins, first, owner, credit)
                records = {p: self.ns.score_series(s, w, ALERT) for p, w in self.profiles.items()}
                std = records["standard"]
                per[item.key] = {
                    "raw": {p: r["raw"] for p, r in records.items()},
                    "scored": std["windows"],
                    "windows": len(wins),
                    "detected": std["windows_detected"],
                    "fp": std["fp"],
                }
            self.cache[params] = per
        return self.cache[params]

    def normalised(self, picks: dict[str, Params], profile: str = "standard") -> float | None:
        """NAB's normalised score of the series in ``picks``, each scored with its set."""
        w = self.profiles[profile]
        got = [self.scores(p)[k] for k, p in picks.items()]
        raw = sum(g["raw"][profile] for g in got)
        null = -w.fn * sum(g["scored"] for g in got)
        perfect = w.tp * sum(g["windows"] for g in got)
        return None if perfect == null else 100.0 * (raw - null) / (perfect - null)

    def figures(self, picks: dict[str, Params]) -> dict[str, Any]:
        """Per group (all, realTweets, other): the profiles' scores, windows, alert rows
        outside windows."""
        out: dict[str, Any] = {}
        for name in ("all", *(g[0] for g in GROUPS)):
            keys = [i.key for i in self.items if name in ("all", i.group)]
            if not keys:
                continue
            sub = {k: picks[k] for k in keys}
            got = [self.scores(p)[k] for k, p in sub.items()]
            out[name] = {
                "series": len(keys),
                **{p: self.normalised(sub, p) for p in self.profiles},
                "windows": sum(g["windows"] for g in got),
                "windows_detected": sum(g["detected"] for g in got),
                "fp_rows": sum(g["fp"] for g in got),
            }
        return out


def cross_validate(data: Path, scorer_path: str, grid_name: str) -> dict[str, Any]:
    """Leave-one-series-out CV over ``CV_GRIDS[grid_name]`` (see the module docstring)."""
    ns = _scorer(scorer_path)
    pool = Pool(corpus(data), ns)
    grid = grid_sets(grid_name)
    keys = [i.key for i in pool.items]
    totals = {p: {k: v["raw"]["standard"] for k, v in pool.scores(p).items()} for p in grid}

    def fit(train: Sequence[str]) -> Params:  # the best pooled score (first of equals)
        return max(grid, key=lambda p: (round(sum(totals[p][k] for k in train), 9),
                                        -grid.index(p)))  # fmt: skip

    folds, chosen = [], {}
    for out in keys:
        best = fit([k for k in keys if k != out])
        chosen[out] = best
        got = pool.scores(best)[out]
        folds.append({"held_out": out, "chosen": _label(best),
                      "held_out_standard": pool.normalised({out: best}),
                      "windows": got["windows"], "detected": got["detected"],
                      "fp_rows": got["fp"]})  # fmt: skip
    best_all = fit(keys)
    return {
        "grid_name": grid_name,
        "grid": {n: list(v) for n, v in CV_GRIDS[grid_name].items()},
        "sets": len(grid),
        "series": len(keys),
        "selection": "pooled standard-profile score of the other series (summed raw)",
        "cv": pool.figures(chosen),
        "folds": folds,
        "default_params": asdict(Params()),
        "in_sample_default": pool.figures(dict.fromkeys(keys, Params())),
        "in_sample_volume": pool.figures(dict.fromkeys(keys, VOLUME)),
        "best_on_all": _label(best_all),
        "in_sample_best_on_all": pool.figures(dict.fromkeys(keys, best_all)),
        "us_per_point": 1e6 * pool.seconds / max(pool.points, 1),
    }


def _print_cv(cv: dict[str, Any]) -> None:
    print(f"leave-one-series-out CV over {cv['series']} series and {cv['sets']} parameter "
          f"sets ({', '.join(f'{n} {v}' for n, v in cv['grid'].items())}); defaults "
          f"{cv['default_params']}")  # fmt: skip
    for fold in cv["folds"]:
        score = fold["held_out_standard"]
        print(f"  held out {fold['held_out']}: chose {fold['chosen'] or 'the defaults'}, "
              f"{'-' if score is None else f'{score:.1f}'} ({fold['detected']} of "
              f"{fold['windows']} windows, {fold['fp_rows']} alert rows outside)")  # fmt: skip
    for title, key in (("CV (held-out series pooled)", "cv"),
                       ("in-sample, default Params", "in_sample_default"),
                       ("in-sample, VOLUME (the alert function's; the defaults before issue 12)",
                        "in_sample_volume"),
                       (f"in-sample, best on all {cv['best_on_all']}", "in_sample_best_on_all")):  # fmt: skip
        print(f"{title}:")
        for group, f in cv[key].items():
            print(f"  {group} ({f['series']} series): standard {f['standard']:.1f}, low FP "
                  f"{f['reward_low_FP_rate']:.1f}, low FN {f['reward_low_FN_rate']:.1f}; "
                  f"{f['windows_detected']} of {f['windows']} windows, {f['fp_rows']} alert "
                  "rows outside windows")  # fmt: skip
    print(f"time per point: {cv['us_per_point']:.1f} us")


def detect_all(items: list[Item], out: Path, params: Params) -> dict[str, Any]:
    """Scores every series into NAB results files; delays to the first alert, time."""
    points, seconds = 0, 0.0
    delays: dict[str, list[float | None]] = {}
    for item in items:
        rows = item.rows
        start = time.perf_counter()
        scores = score_series([r[2] for r in rows], [r[3] for r in rows], params)
        seconds += time.perf_counter() - start
        points += len(rows)
        lines = ["timestamp,value,anomaly_score"]
        lines += [f"{r[0]},{r[1]},{s:.6f}" for r, s in zip(rows, scores, strict=True)]
        # out/realTweets/socialops_X.csv, out/other/<category>/socialops_X.csv
        group = Path() if item.key.startswith(f"{item.group}/") else Path(item.group)
        target = out / group / Path(item.key).parent / f"socialops_{item.path.name}"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("\n".join(lines) + "\n")
        moments = [_time(r[0]) for r in rows]
        series = []
        for begin, end in item.windows:
            b, e = _time(begin), _time(end)
            hits = [m for m, s in zip(moments, scores, strict=True) if b <= m <= e and s >= ALERT]
            series.append((hits[0] - b).total_seconds() / 3600.0 if hits else None)
        delays[item.path.stem] = series
    return {"delays": delays, "points": points, "seconds": seconds}


def nab_scores(scorer: str, data: Path, out: Path, groups: list[str]) -> dict[str, Any] | None:
    """NAB's profiles for the results in ``out``, per group and pooled; None when the
    scorer is not there (a clone without ../shared: the delays and the time are measured
    all the same)."""
    if not Path(scorer).is_file():
        print(f"bench_detect: no NAB scorer at {scorer} (--scorer): the NAB score is left "
              "out", file=sys.stderr)  # fmt: skip
        return None
    found: dict[str, Any] = {}
    for group, windows_name, folder in GROUPS:
        if group not in groups:
            continue
        result = subprocess.run(
            [sys.executable, scorer, "--data", str(data / folder), "--windows",
             str(data / windows_name), "--results", str(out / group), "--threshold", "0.5",
             "--json"],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if result.returncode != 0:
            raise SystemExit(f"bench_detect: the scorer failed:\n{result.stderr}")
        found[group] = json.loads(result.stdout)["profiles"]
    pooled: dict[str, Any] = {}
    for profile in found[groups[0]]:
        raw, null, perfect = (sum(f[profile][k] for f in found.values())
                              for k in ("raw", "null", "perfect"))  # fmt: skip
        pooled[profile] = 100.0 * (raw - null) / (perfect - null)
    return {
        "all": pooled,
        **{g: {p: v["normalised"] for p, v in f.items()} for g, f in found.items()},
    }


def _print_summary(summary: dict[str, Any]) -> None:
    if summary["nab_standard"] is None:
        print("NAB standard profile: not scored (no scorer; see --scorer)")
    for group, profiles in summary["groups"].items():
        print(f"NAB, threshold 0.5, {group}: " + ", ".join(f"{p} {v:.1f}" for p, v in profiles.items()))  # fmt: skip
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
    ap.add_argument("--grid", default="full", choices=sorted(CV_GRIDS), help="for --cv")
    ap.add_argument("--params", default="{}", help="without --cv: Params fields as JSON "
                    "(default: the defaults), e.g. the detector before issue 12, which the "
                    "alert function's volume rules keep (VOLUME): "
                    + json.dumps(_label(VOLUME)))  # fmt: skip
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
    items = corpus(data)
    out = Path(args.out or tempfile.mkdtemp(prefix="nab-socialops-"))
    params = replace(Params(), **json.loads(args.params))
    run = detect_all(items, out, params)
    groups = [g[0] for g in GROUPS if any(i.group == g[0] for i in items)]
    profiles = nab_scores(args.scorer, data, out, groups)
    delays = run["delays"]
    found = [d for series in delays.values() for d in series if d is not None]
    summary = {
        "params": asdict(params),
        "nab_standard": profiles["realTweets"]["standard"] if profiles else None,
        "profiles": profiles["realTweets"] if profiles else {},
        "groups": profiles or {},
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
