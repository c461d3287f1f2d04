"""Hourly activity forecasts: the slot model (functions/optimize/slots.py) against seasonal
naive and statsmodels' models, by MASE, on NAB's Twitter mention volumes.

    .venv/bin/python benchmarks/bench_activity.py --data DATA [--candidates NAMES] [--json]
    .venv/bin/python benchmarks/bench_activity.py --data tests/data --smoke [--json]

**Data.** Every ``nab/realTweets/Twitter_volume_*.csv`` of the data folder ``DATA``
(columns ``timestamp,value``: mentions of one company in 5-minute buckets, about eight
weeks). The buckets are summed to hourly counts by their UTC hour; only complete hours are
kept at either end (an hour inside the series with fewer buckets than its step gives is
scaled up to a full hour, an hour with none is the mean of its neighbours; both are
counted in the report). Hour of week is read in UTC (0 = Monday 00:00 UTC); these are US
companies, so the day's shape in UTC moves by an hour when US daylight saving time starts
(8 March 2015, in the second week of every series). Everything is forecast and scored on ``log1p`` of
the hourly counts: the models are fitted there, a burst of mentions does not outweigh
every quiet hour, and MASE is free of each series' scale anyway.

**Rolling origin.** At each origin ``t`` (hours since the series' first complete hour)
each candidate sees the history ``y[:t]`` and forecasts the next ``H = 168`` hours. The
origins are every 24 hours. The **validation** origins are t = 336 .. 504 (two to three
weeks of history, their targets before hour 672); the **test** origins are t = 672, 696,
... while a whole horizon is left (four weeks of history or more; targets from hour 672
on). No target of a validation origin is a target of a test origin: settings are chosen
on the validation origins of every series, and the figures reported are the test
origins'. Nothing is chosen on the test origins.

**MASE** (Hyndman and Koehler 2006): at an origin, the mean absolute error over the
horizon divided by the in-sample mean absolute error of the seasonal naive forecast
(``m = 168``: ``|y[i] - y[i - 168]|`` over the history). A series' MASE is the mean over its
origins; the report gives each series' and the mean and median over series, each
candidate's mean MASE relative to seasonal naive's (the ratio of the two means, and the
mean of the per-series ratios), the share of origins where it beats seasonal naive, and
its fit-and-forecast time a fit on one core.

**Candidates** (each a function of the history alone):

- ``seasonal_naive``: the value one week earlier (``m = 168``);
- ``seasonal_mean``: the mean of the last ``weeks`` weeks at the same hour of week, at its
  own level or moved to the last week's (what the slot model is without its clipping and
  shrinkage);
- ``slot_profile``: ``slots.hourly_profile`` fitted on the (hour of week, log1p value)
  pairs of the history's last ``weeks`` weeks, its ``mean`` as the forecast (absolute
  values; a centred ``Curve`` would get the level of those weeks added), at its own level
  or moved to the last week's; optionally with the pooled prior, the same profile fitted
  on the other series' histories up to the same hour, each centred on its own mean
  (causal: every series is on the same clock);
- ``holt_winters``: statsmodels' ``ExponentialSmoothing``, additive seasonal, seasonal
  period 24 or 168, no trend or a damped additive trend, initial states estimated;
- ``mstl``: statsmodels' ``MSTL`` with periods 24 and 168 (MSTL leaves out, with a
  warning, a period of half the history or more: at t = 336 the weekly one); each
  seasonal component it kept is forecast by repeating its last cycle, the seasonally adjusted series by an AR(2) with a
  constant (``ARIMA``) or by Holt's damped trend (``ExponentialSmoothing``);
- ``stl_arima``: statsmodels' ``STLForecast`` (period 24 or 168) with an AR(2) with a
  constant on the remainder;
- ``unobserved_components``: a local level, an AR(1) and trigonometric seasonals of 24 and
  168 hours (``UnobservedComponents``, ``freq_seasonal``), with a few or more harmonics.

Where a candidate has more than one setting, each is run on the validation origins and the
one with the lowest mean over series of the series' MASE is chosen. A candidate that
raises or returns a forecast that is not finite at an origin is **reported** (the series,
the origin, the error) and seasonal naive's forecast stands in for it there, so that every
candidate is scored on the same origins. statsmodels' warnings (convergence, mostly) are
kept out of the output and counted by kind for each candidate.

``--candidates slot_profile,...`` runs only those (and seasonal naive, the reference):
the slot profile's rows again in seconds after slots.py changes.

``--smoke`` runs the same code on a tiny folder (tests/data's two 3-day series, too short
for a weekly season): a daily season ``m = 24``, a horizon of 12 hours, origins every 12
hours, validation origin 48, test origin 60, the models' weekly periods left out, and a
"week" of ``seasonal_mean`` and ``slot_profile``'s windows a day (``m``). It checks that the run is whole, never its figures.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # one core: the figures are a core's

import argparse  # noqa: E402
import hashlib  # noqa: E402
import importlib  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from collections.abc import Callable  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from datetime import UTC, datetime, timedelta  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from infra.series import read_series  # noqa: E402

WEEK = 168
DAY = 24


@dataclass(frozen=True)
class Design:
    """The rolling origins: season ``m`` (MASE's scale and seasonal naive), horizon,
    step between origins, the first validation origin and the first test origin (the
    validation origins stop where their horizon would reach it)."""

    season: int = WEEK
    horizon: int = WEEK
    step: int = DAY
    validation_from: int = 2 * WEEK
    test_from: int = 4 * WEEK

    def origins(self, part: str, n: int) -> list[int]:
        if part == "validation":
            last = min(self.test_from, n) - self.horizon
            return list(range(self.validation_from, last + 1, self.step))
        return list(range(self.test_from, n - self.horizon + 1, self.step))

    @property
    def periods(self) -> tuple[int, ...]:
        """The seasonal periods the models may use: a day and a week, as long as the
        season allows."""
        return tuple(p for p in (DAY, WEEK) if p <= self.season)


FULL = Design()
SMOKE = Design(season=DAY, horizon=12, step=12, validation_from=2 * DAY, test_from=2 * DAY + 12)


# --------------------------------------------------------------------------------------
# the data


@dataclass
class Series:
    name: str
    start: datetime  # the first complete hour, UTC
    counts: np.ndarray  # hourly counts
    scaled_hours: int = 0  # hours inside the series with some buckets missing, scaled up
    filled_hours: int = 0  # hours inside the series without any bucket, interpolated

    @property
    def y(self) -> np.ndarray:
        return np.log1p(self.counts)

    def hour_of_week(self, begin: int, end: int) -> np.ndarray:
        """Hour of week (0 = Monday 00:00 UTC .. 167) of hours ``begin .. end - 1``."""
        first = self.start.weekday() * DAY + self.start.hour
        return (first + np.arange(begin, end)) % WEEK


def load_hourly(path: Path) -> Series:
    """A NAB series summed to hourly counts by UTC hour (see the module's docstring)."""
    with path.open(encoding="utf-8", newline="", errors="surrogateescape") as handle:
        rows = read_series(handle, str(path))
    moments = [r[2].astimezone(UTC) for r in rows]
    steps = np.diff([m.timestamp() for m in moments])
    step = float(np.median(steps)) if len(steps) else 300.0
    per_hour = max(1, round(3600 / step))
    sums: dict[datetime, float] = {}
    buckets: dict[datetime, int] = {}
    for moment, (_, _, _, value) in zip(moments, rows, strict=True):
        hour = moment.replace(minute=0, second=0, microsecond=0)
        sums[hour] = sums.get(hour, 0.0) + value
        buckets[hour] = buckets.get(hour, 0) + 1
    full = sorted(h for h, c in buckets.items() if c >= per_hour)
    if not full:
        raise ValueError(f"{path}: no complete hour")
    first, last = full[0], full[-1]
    n = int((last - first).total_seconds() // 3600) + 1
    counts = np.full(n, np.nan)
    scaled = 0
    for i in range(n):
        hour = first + timedelta(hours=i)
        if hour in buckets:
            counts[i] = sums[hour] * per_hour / min(buckets[hour], per_hour)
            scaled += buckets[hour] < per_hour
    missing = np.isnan(counts)
    if missing.any():
        known = np.flatnonzero(~missing)
        counts[missing] = np.interp(np.flatnonzero(missing), known, counts[known])
    name = path.stem.removeprefix("Twitter_volume_")
    return Series(name, first, np.maximum(counts, 0.0), scaled, int(missing.sum()))


def load_sets(data: Path) -> list[Series]:
    folder = data / "nab" / "realTweets"
    paths = sorted(folder.glob("Twitter_volume_*.csv"))
    if not paths:
        raise SystemExit(f"no nab/realTweets/Twitter_volume_*.csv under {data}")
    return [load_hourly(p) for p in paths]


# --------------------------------------------------------------------------------------
# the candidates


@dataclass
class Origin:
    """What a candidate sees at an origin: the history (log1p), the hours of week of the
    history and of the horizon, and the other series' histories up to the same hour."""

    y: np.ndarray
    how: np.ndarray
    future_how: np.ndarray
    design: Design
    others: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)

    @property
    def horizon(self) -> int:
        return len(self.future_how)


Forecaster = Callable[[Origin, dict[str, Any]], np.ndarray]


def seasonal_naive(o: Origin, s: dict[str, Any]) -> np.ndarray:
    m = o.design.season
    return np.resize(o.y[-m:], o.horizon) if o.horizon > m else o.y[-m:][: o.horizon].copy()


def _repeat_last_cycle(values: np.ndarray, period: int, horizon: int) -> np.ndarray:
    """The last ``period`` values repeated over the horizon, in phase."""
    return np.resize(values[-period:], horizon)


def _recent(values: np.ndarray, weeks: int | None, season: int) -> np.ndarray:
    """The last ``weeks`` seasons of ``values`` (all of them where ``weeks`` is None)."""
    return values if weeks is None else values[max(0, len(values) - weeks * season) :]


def seasonal_mean(o: Origin, s: dict[str, Any]) -> np.ndarray:
    m = o.design.season
    part = _recent(o.y, s["weeks"], m)
    k = len(part) // m
    cycles = part[len(part) - k * m :].reshape(k, m)
    profile = cycles.mean(axis=0)
    if s["level"] == "last_week":  # moved to the last cycle's level
        profile = profile - profile.mean() + o.y[-m:].mean()
    return _repeat_last_cycle(profile, m, o.horizon)


_SLOTS: Any = None


def _slots() -> Any:
    """functions.optimize.slots, or None where it is not there (yet)."""
    global _SLOTS
    if _SLOTS is None:
        try:
            _SLOTS = importlib.import_module("functions.optimize.slots")
        except ImportError:
            _SLOTS = False
    return _SLOTS or None


def slot_profile(o: Origin, s: dict[str, Any]) -> np.ndarray:
    slots = _slots()
    m, weeks = o.design.season, s["weeks"]
    prior = None
    if s["prior"] == "pooled" and o.others:
        # the other series' profile over the same weeks, each centred on its own mean
        hours = np.concatenate([_recent(h, weeks, m) for _, h in o.others])
        values = np.concatenate([_recent(y, weeks, m) - _recent(y, weeks, m).mean()
                                 for y, _ in o.others])  # fmt: skip
        prior = slots.hourly_profile(hours, values).mean
    values = _recent(o.y, weeks, m)
    curve = slots.hourly_profile(_recent(o.how, weeks, m), values, prior=prior)
    mean = np.asarray(curve.mean, dtype=float)
    if curve.centred:  # a lift around the level: the level of the values it was fitted on
        mean = mean + values.mean()
    if s["level"] == "last_week":  # moved to the last season's level
        mean = mean + o.y[-m:].mean() - mean[_recent(o.how, 1, m)].mean()
    return mean[o.future_how]


def holt_winters(o: Origin, s: dict[str, Any]) -> np.ndarray:
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    model = ExponentialSmoothing(
        o.y, trend="add" if s["damped"] else None, damped_trend=s["damped"],
        seasonal="add", seasonal_periods=s["period"], initialization_method="estimated",
    )  # fmt: skip
    return np.asarray(model.fit().forecast(o.horizon), dtype=float)


def mstl(o: Origin, s: dict[str, Any]) -> np.ndarray:
    from statsmodels.tsa.arima.model import ARIMA
    from statsmodels.tsa.holtwinters import ExponentialSmoothing
    from statsmodels.tsa.seasonal import MSTL

    periods = o.design.periods
    model = MSTL(o.y, periods=periods)
    # MSTL leaves out (with a warning) a period of half the history or more: the periods
    # it kept are those of its seasonal columns
    seasonal = np.asarray(model.fit().seasonal, dtype=float).reshape(len(o.y), -1)
    adjusted = o.y - seasonal.sum(axis=1)
    ahead = sum(
        _repeat_last_cycle(seasonal[:, j], p, o.horizon) for j, p in enumerate(model.periods)
    )
    if s["remainder"] == "ar2":
        rest = ARIMA(adjusted, order=(2, 0, 0), trend="c").fit().forecast(o.horizon)
    else:
        rest = ExponentialSmoothing(adjusted, trend="add", damped_trend=True,
                                    initialization_method="estimated").fit().forecast(o.horizon)  # fmt: skip
    return np.asarray(rest, dtype=float) + ahead


def stl_arima(o: Origin, s: dict[str, Any]) -> np.ndarray:
    from statsmodels.tsa.arima.model import ARIMA
    from statsmodels.tsa.forecasting.stl import STLForecast

    model = STLForecast(o.y, ARIMA, model_kwargs={"order": (2, 0, 0), "trend": "c"},
                        period=s["period"])  # fmt: skip
    return np.asarray(model.fit().forecast(o.horizon), dtype=float)


def unobserved_components(o: Origin, s: dict[str, Any]) -> np.ndarray:
    from statsmodels.tsa.statespace.structural import UnobservedComponents

    harmonics = {DAY: s["daily_harmonics"], WEEK: s["weekly_harmonics"]}
    seasonals = [{"period": p, "harmonics": harmonics[p]} for p in o.design.periods]
    model = UnobservedComponents(o.y, level="local level", autoregressive=1,
                                 freq_seasonal=seasonals)  # fmt: skip
    return np.asarray(model.fit(disp=False).forecast(o.horizon), dtype=float)


@dataclass(frozen=True)
class Candidate:
    name: str
    forecast: Forecaster
    grid: tuple[dict[str, Any], ...]  # the settings tried on the validation origins


def candidates(design: Design, only: set[str] | None = None) -> list[Candidate]:
    """Every candidate, or those named in ``only`` (seasonal naive always: the reference)."""
    periods = design.periods
    weeks: tuple[int | None, ...] = (1, 2, None)
    levels = ("own", "last_week")
    means = tuple({"weeks": w, "level": v} for w in weeks for v in levels)
    found = [
        Candidate("seasonal_naive", seasonal_naive, ({},)),
        Candidate("seasonal_mean", seasonal_mean, means),
    ]
    if _slots() is not None:
        grid = tuple({"weeks": w, "prior": p, "level": v} for w in weeks
                     for p in (None, "pooled") for v in levels)  # fmt: skip
        found.append(Candidate("slot_profile", slot_profile, grid))
    hw = tuple({"period": p, "damped": d} for p in periods for d in (False, True))
    uc = ({"daily_harmonics": 3, "weekly_harmonics": 2}, {"daily_harmonics": 6, "weekly_harmonics": 4})  # fmt: skip
    found += [
        Candidate("holt_winters", holt_winters, hw),
        Candidate("mstl", mstl, ({"remainder": "ar2"}, {"remainder": "damped_holt"})),
        Candidate("stl_arima", stl_arima, tuple({"period": p} for p in periods)),
        Candidate("unobserved_components", unobserved_components, uc),
    ]
    return [c for c in found if only is None or c.name in only or c.name == "seasonal_naive"]


# --------------------------------------------------------------------------------------
# the run


@dataclass
class Tally:
    """One candidate at one setting over one part: MASE per series and origin, time,
    failures, warnings."""

    mase: dict[str, list[float]] = field(default_factory=dict)
    naive: dict[str, list[float]] = field(default_factory=dict)  # seasonal naive's, same origins
    seconds: list[float] = field(default_factory=list)
    failures: list[dict[str, Any]] = field(default_factory=list)
    warnings: dict[str, int] = field(default_factory=dict)

    def series_mase(self) -> dict[str, float]:
        return {name: float(np.mean(v)) for name, v in self.mase.items()}

    def criterion(self) -> float:
        return float(np.mean(list(self.series_mase().values())))


def _scale(y: np.ndarray, m: int) -> float:
    """In-sample MAE of the seasonal naive forecast (lag m) over the history."""
    return float(np.mean(np.abs(y[m:] - y[:-m])))


def _run_one(candidate: Candidate, setting: dict[str, Any], origin: Origin,
             tally: Tally, where: dict[str, Any]) -> np.ndarray:  # fmt: skip
    start = time.perf_counter()
    error = None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            forecast = np.asarray(candidate.forecast(origin, setting), dtype=float)
            if forecast.shape != (origin.horizon,) or not np.all(np.isfinite(forecast)):
                error = f"forecast of shape {forecast.shape}, finite: {bool(np.all(np.isfinite(forecast)))}"  # fmt: skip
        except Exception as exc:  # a failure is reported, never dropped
            error = f"{type(exc).__name__}: {exc}"[:300]
    tally.seconds.append(time.perf_counter() - start)
    for w in caught:
        kind = w.category.__name__
        tally.warnings[kind] = tally.warnings.get(kind, 0) + 1
    if error is not None:
        tally.failures.append({**where, "error": error})
        return seasonal_naive(origin, {})
    return forecast


def evaluate(sets: list[Series], design: Design, part: str,
             chosen: dict[str, dict[str, Any]] | None,
             skipped: list[dict[str, Any]], only: set[str] | None = None,
             log: Callable[[str], None] | None = None) -> dict[str, list[tuple[dict[str, Any], Tally]]]:  # fmt: skip
    """Every candidate (every setting of its grid where ``chosen`` is None, else the
    chosen one) at every origin of ``part`` of every series. An origin whose history
    repeats itself exactly a season apart has no MASE scale: it goes to ``skipped``."""
    cands = candidates(design, only)
    tallies: dict[str, list[tuple[dict[str, Any], Tally]]] = {
        c.name: [(s, Tally()) for s in (c.grid if chosen is None else (chosen[c.name],))]
        for c in cands
    }  # fmt: skip
    ys = {s.name: s.y for s in sets}
    for series in sets:
        y = ys[series.name]
        for t in design.origins(part, len(y)):
            moment = series.start + timedelta(hours=t)
            others = []
            for other in sets:
                if other is series:
                    continue
                cut = int((moment - other.start).total_seconds() // 3600)
                if cut >= design.season:
                    cut = min(cut, len(other.counts))
                    others.append((ys[other.name][:cut], other.hour_of_week(0, cut)))
            origin = Origin(y[:t], series.hour_of_week(0, t), series.hour_of_week(t, t + design.horizon),
                            design, others)  # fmt: skip
            truth = y[t : t + design.horizon]
            scale = _scale(origin.y, design.season)
            if not scale > 0:
                skipped.append({"part": part, "series": series.name, "origin": t})
                continue
            naive = float(np.mean(np.abs(truth - seasonal_naive(origin, {})))) / scale
            where = {"series": series.name, "origin": t, "at": moment.isoformat()}
            for cand in cands:
                for setting, tally in tallies[cand.name]:
                    forecast = _run_one(cand, setting, origin, tally, where)
                    mase = float(np.mean(np.abs(truth - forecast))) / scale
                    tally.mase.setdefault(series.name, []).append(mase)
                    tally.naive.setdefault(series.name, []).append(naive)
        if log:
            log(f"{part}: {series.name} done")
    return tallies


def _setting_text(setting: dict[str, Any]) -> str:
    return ", ".join(f"{k} {v}" for k, v in setting.items()) or "-"


def summary(tally: Tally) -> dict[str, Any]:
    per = tally.series_mase()
    naive = {name: float(np.mean(v)) for name, v in tally.naive.items()}
    mase = np.concatenate([tally.mase[n] for n in per])
    base = np.concatenate([tally.naive[n] for n in per])
    mean, naive_mean = float(np.mean(list(per.values()))), float(np.mean(list(naive.values())))
    return {
        "series": per,
        "mase_mean": mean,
        "mase_median": float(statistics.median(per.values())),
        "relative_to_naive": mean / naive_mean,
        "relative_mean_of_series": float(np.mean([per[n] / naive[n] for n in per])),
        "relative_series": {n: per[n] / naive[n] for n in per},
        "beats_naive_share": float(np.mean(mase < base)),
        "origins": len(mase),
        "fit_s_mean": float(np.mean(tally.seconds)),
        "fit_s_total": float(np.sum(tally.seconds)),
        "failures": len(tally.failures),
        "failed_at": tally.failures,
        "warnings": dict(sorted(tally.warnings.items())),
    }


def _slots_centred() -> bool | None:
    """Whether hourly_profile's mean is a centred lift (its ``Curve.centred``)."""
    slots = _slots()
    if slots is None:
        return None
    return bool(slots.hourly_profile(np.arange(WEEK), np.zeros(WEEK)).centred)


def _digest(path: Path) -> str | None:
    """The first 12 hex digits of a file's SHA-256 (which slots.py was measured: the git
    revision says only "dirty" while it is not committed)."""
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12] if path.is_file() else None


def _git() -> str:
    found = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=ROOT,
                           capture_output=True, text=True, check=False)  # fmt: skip
    return found.stdout.strip() or "unknown"


def run(data: Path, smoke: bool, only: set[str] | None = None,
        log: Callable[[str], None] | None = None) -> dict[str, Any]:  # fmt: skip
    design = SMOKE if smoke else FULL
    sets = load_sets(data)
    started = time.perf_counter()
    report: dict[str, Any] = {
        "data": str(data), "git": _git(), "smoke": smoke, "scale": "log1p of hourly counts",
        "hour_of_week": "UTC", "design": design.__dict__ | {"periods": list(design.periods)},
        "slots_module": _slots() is not None,
        "slot_profile_centred": _slots_centred(),
        "slots_sha256": _digest(ROOT / "functions" / "optimize" / "slots.py"),
        "series": {
            s.name: {"hours": len(s.counts), "first_hour": s.start.isoformat(),
                     "last_hour": (s.start + timedelta(hours=len(s.counts) - 1)).isoformat(),
                     "mean_count": float(np.mean(s.counts)), "scaled_hours": s.scaled_hours,
                     "filled_hours": s.filled_hours,
                     "validation_origins": design.origins("validation", len(s.counts)),
                     "test_origins": design.origins("test", len(s.counts))}
            for s in sets
        },
    }  # fmt: skip
    skipped: list[dict[str, Any]] = []
    grid = evaluate(sets, design, "validation", None, skipped, only, log)
    chosen: dict[str, dict[str, Any]] = {}
    report["validation"] = {}
    for name, tried in grid.items():
        ranked = sorted(tried, key=lambda st: st[1].criterion())
        chosen[name] = ranked[0][0]
        report["validation"][name] = {
            "chosen": chosen[name],
            "settings": [{"setting": s, **summary(t)} for s, t in tried],
        }
    tested = evaluate(sets, design, "test", chosen, skipped, only, log)
    report["test"] = {name: {"setting": chosen[name], **summary(tried[0][1])}
                      for name, tried in tested.items()}  # fmt: skip
    report["skipped_origins"] = skipped  # no MASE scale (none in these series)
    report["seconds"] = time.perf_counter() - started
    if _slots() is None:
        report["left_out"] = ["slot_profile: functions/optimize/slots.py is not there"]
    return report


def _print(report: dict[str, Any], command: str) -> None:
    d = report["design"]
    print(f"hourly activity forecasts (log1p of hourly counts, hour of week in UTC), at "
          f"{report['git']}; season {d['season']} h, horizon {d['horizon']} h, origins every "
          f"{d['step']} h; slots.py {report['slots_sha256'] or 'not there'}")  # fmt: skip
    for name, s in report["series"].items():
        v, t = s["validation_origins"], s["test_origins"]
        print(f"  {name}: {s['hours']} hours {s['first_hour'][:13]} .. {s['last_hour'][:13]}, "
              f"mean {s['mean_count']:.1f} an hour; validation origins {v[0] if v else '-'}.."
              f"{v[-1] if v else '-'} ({len(v)}), test {t[0] if t else '-'}..{t[-1] if t else '-'} "
              f"({len(t)}); hours scaled {s['scaled_hours']}, filled {s['filled_hours']}")  # fmt: skip
    print("\nvalidation (choice: lowest mean over series of MASE):")
    for name, found in report["validation"].items():
        for tried in found["settings"]:
            mark = "*" if tried["setting"] == found["chosen"] else " "
            print(f"  {mark} {name:22s} {_setting_text(tried['setting']):42s} MASE mean "
                  f"{tried['mase_mean']:.3f} median {tried['mase_median']:.3f} rel "
                  f"{tried['relative_to_naive']:.3f}  failures {tried['failures']}")  # fmt: skip
    names = list(next(iter(report["test"].values()))["series"])
    print("\ntest (the chosen settings), MASE per series, mean, median, relative to seasonal naive "
          "(ratio of means; mean of the series' ratios), share of origins better than naive, "
          "time a fit")  # fmt: skip
    print(f"  {'candidate':22s} " + " ".join(f"{n:>6s}" for n in names)
          + "   mean median   rel  rel_s  beats  fit_ms fail warnings")  # fmt: skip
    for name, found in report["test"].items():
        print(f"  {name:22s} " + " ".join(f"{found['series'][n]:6.3f}" for n in names)
              + f"  {found['mase_mean']:.3f}  {found['mase_median']:.3f} "
              f"{found['relative_to_naive']:.3f} {found['relative_mean_of_series']:.3f} "
              f" {found['beats_naive_share']:.2f} {1000 * found['fit_s_mean']:7.1f} "
              f"{found['failures']:4d} {sum(found['warnings'].values())}")  # fmt: skip
    for name, found in report["test"].items():
        for failure in found["failed_at"][:5]:
            print(f"  failed: {name} {failure['series']} origin {failure['origin']}: "
                  f"{failure['error']}")  # fmt: skip
        if found["warnings"]:
            print(f"  warnings of {name} (silenced): {found['warnings']}")
    for line in report.get("left_out", []):
        print(f"left out: {line}")
    for where in report["skipped_origins"]:
        print(f"skipped (no MASE scale): {where}")
    print(f"\n{report['seconds']:.0f} s in all\n{command}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--data", required=True,
                    help="the data folder, with nab/realTweets/Twitter_volume_*.csv")  # fmt: skip
    ap.add_argument("--smoke", action="store_true",
                    help="a tiny folder (3-day series): daily season, 12-hour horizon")  # fmt: skip
    ap.add_argument("--candidates", help="run only these (comma-separated; seasonal_naive "
                    "always runs), e.g. slot_profile after slots.py changed")  # fmt: skip
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    args = ap.parse_args(argv)
    command = ".venv/bin/python benchmarks/bench_activity.py " + " ".join(
        a for a in (argv if argv is not None else sys.argv[1:]) if a != "--json"
    )
    log = None if args.json else (lambda m: print(m, file=sys.stderr, flush=True))
    only = set(args.candidates.split(",")) if args.candidates else None
    known = {c.name for c in candidates(SMOKE if args.smoke else FULL)}
    if only and only - known:
        ap.error(f"unknown candidates {sorted(only - known)}; known: {sorted(known)}")
    report = run(Path(args.data), args.smoke, only, log)
    report["command"] = command
    if args.json:
        print(json.dumps(report, indent=1, default=_json_default))
    else:
        _print(report, command)
    return 0


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    raise TypeError(f"not JSON: {type(value).__name__}")


if __name__ == "__main__":
    sys.exit(main())
