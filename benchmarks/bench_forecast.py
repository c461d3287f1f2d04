"""Engagement forecasts (functions/optimize/forecast.py) on the engagement data sets.

    .venv/bin/python benchmarks/bench_forecast.py --data ../shared/data [--select] [--json]

Four accounts, each split by time after its last ``DROP_DAYS`` days are dropped (counted
once, at collection: the newest posts are under-counted):

- ``BarackObama``: engagement/twitter_ratio_BarackObama.csv (replies + retweets + favorites);
- ``realDonaldTrump``: engagement/trump_tweets.csv (retweets + favorites) and
  engagement/twitter_ratio_realDonaldTrump.csv (replies too), the same account: each
  file's last days dropped (they were collected at different times), then one row per
  (UTC minute, first 30 ASCII letters and digits of the text without links), the
  twitter-ratio row where both have it, so that their overlap sits on one side of a split;
- ``nba``: engagement/nba_instagram.csv (``Engagements``; ``Created``'s EDT/EST converted
  to their offsets; ``Type`` photo/video/album as media; followers at posting);
- ``facebook_cosmetics``: facebook_metrics/dataset_Facebook.csv, which has no text and no
  dates: comment + like + share, page likes as followers, and **synthetic timestamps**
  built from month, weekday and hour in the file's order (``load_facebook``).

The tweets' UTC times are written in US Eastern time (the writers' local hour).
Each account: its first 70% of posts (by time) is the history, the last 30% the test. The
**validation** split is the same split again inside each history (its first 70% / last
30%): settings are chosen on it only, never on the test part (``--select``: a coordinate
search over ``SEARCH`` from ``SEARCH_START``, criterion ``skill``).

For the validation and the test split, one fit on every account's history at once and a
forecast of every target post (its counts hidden), for the model and two baselines in the
same run: (a) ``own_history``, each account's own history quantiles (the first version of
forecast.py) and (b) ``pooled_gbm``, a pooled gradient-boosting model a quantile on simple
features with quantile loss. Per account and pooled: the Spearman correlation of P50 with
the engagement within the account (pooled: the mean of the accounts'), the coverage and
mean width of P10-P90 in log1p units (pooled over posts, and the mean of the accounts'),
the pinball loss, AUC and Brier score of p_viral (viral: above ``--k`` x the median
engagement of that account's history rows), fit and predict time on one core. Also the
time of one fit on every post of every set.

``--smoke`` is for a tiny data folder in the same layout (tests/integration/
test_benchmarks.py writes one): the search tries two settings only.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # one core: the figures are a core's

import argparse  # noqa: E402
import csv  # noqa: E402
import html  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import re  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable, Sequence  # noqa: E402
from dataclasses import asdict, replace  # noqa: E402
from datetime import UTC, date, datetime, timedelta, timezone  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402
from zoneinfo import ZoneInfo  # noqa: E402

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from coordinate import coordinate_search  # noqa: E402  (benchmarks/coordinate.py)

from functions.optimize import forecast as fc  # noqa: E402
from functions.optimize.forecast import Forecast, Post, Settings  # noqa: E402

EASTERN = ZoneInfo("America/New_York")  # where the two politicians' tweets were written
DROP_DAYS = 3.0  # the last days before each file's newest post (under-counted) are dropped
HISTORY_SHARE = 0.7


def _read(path: Path, delimiter: str = ",") -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle, delimiter=delimiter))


def _int(text: str | None) -> int:
    return int(float(text)) if text not in (None, "") else 0


def _drop_last_days(posts: list[Post], days: float = DROP_DAYS) -> list[Post]:
    if not posts:
        return posts
    newest = max(p.created_at for p in posts)
    return [p for p in posts if p.created_at <= newest - timedelta(days=days)]


_URL = re.compile(r"https?://\S+")


def _dedup_key(created: datetime, text: str) -> tuple[datetime, str]:
    """The minute (UTC) and the first 30 ASCII letters and digits of the text, without
    links: the two Trump files write the same tweet with different quotes, mojibake and
    truncation."""
    plain = _URL.sub("", html.unescape(text)).lower()
    letters = re.sub(r"[^a-z0-9]", "", plain.encode("ascii", "ignore").decode())
    return created.astimezone(UTC).replace(second=0, microsecond=0), letters[:30]


def load_ratio(path: Path, account: str) -> list[Post]:
    """FiveThirtyEight's twitter-ratio file: UTC ``M/D/YY H:MM``, replies+retweets+favorites."""
    posts = []
    for row in _read(path):
        created = datetime.strptime(row["created_at"], "%m/%d/%y %H:%M").replace(tzinfo=UTC)
        eng = _int(row["replies"]) + _int(row["retweets"]) + _int(row["favorites"])
        text = html.unescape(row["text"])
        posts.append(Post(account, created.astimezone(EASTERN), text, None, None, eng))
    return _drop_last_days(posts)


def load_trump(data: Path) -> list[Post]:
    """trump_tweets.csv (retweets+favorites; no replies given) and the twitter-ratio file of
    the same account (replies too), one account: each file's last days dropped first (they
    were collected at different times), then one row per (minute, text); where both have
    it, the twitter-ratio row (all three counts)."""
    ratio = load_ratio(data / "twitter_ratio_realDonaldTrump.csv", "realDonaldTrump")
    rows = []
    for row in _read(data / "trump_tweets.csv"):
        created = datetime.fromisoformat(row["created_at"].replace("Z", "+00:00"))
        eng = _int(row["retweet_count"]) + _int(row["favorite_count"])
        text = html.unescape(row["text"])
        rows.append(Post("realDonaldTrump", created.astimezone(EASTERN), text, None, None, eng))
    rows = _drop_last_days(rows)
    seen = {_dedup_key(p.created_at, p.text) for p in ratio}
    merged = ratio + [p for p in rows if _dedup_key(p.created_at, p.text) not in seen]
    return sorted(merged, key=lambda p: p.created_at)


_NBA_ZONES = {"EDT": timezone(timedelta(hours=-4)), "EST": timezone(timedelta(hours=-5))}
_NBA_MEDIA = {"photo": "image", "video": "video", "album": "album"}


def load_nba(path: Path) -> list[Post]:
    """nba_instagram.csv: ``Engagements`` is the total; ``Created`` has its US zone written
    in (EDT, EST: converted to their offsets)."""
    posts = []
    for row in _read(path):
        stamp, zone = row["Created"].rsplit(" ", 1)
        created = datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S").replace(tzinfo=_NBA_ZONES[zone])
        followers = _int(row["Followers at Posting"]) or None
        media = _NBA_MEDIA[row["Type"].strip().lower()]
        posts.append(Post("nba", created, row["Description"], media, followers,
                          _int(row["Engagements"])))  # fmt: skip
    return _drop_last_days(sorted(posts, key=lambda p: p.created_at))


_FB_MEDIA = {"photo": "image", "video": "video", "status": "none", "link": "none"}
FB_LINK_TEXT = "https://link.invalid"  # a Link post's text: the link marker sees it
FB_YEAR = 2014


def load_facebook(path: Path) -> list[Post]:
    """dataset_Facebook.csv: no text, no dates, only month, weekday (1-7) and hour; rows
    newest first. Synthetic times: read oldest first, each post on the first day on or
    after the previous post's day that has its weekday (1 = Monday here) in its month (the
    month's last day where none is left), at its hour, in 2014 (UTC+0). Engagement is
    comment+like+share, followers the page's total likes, Photo an image, Video a video,
    Status and Link no media (a Link post's text is a placeholder link)."""
    rows = _read(path, ";")[::-1]
    posts = []
    day = date(FB_YEAR, 1, 1)
    for row in rows:
        month, weekday, hour = int(row["Post Month"]), int(row["Post Weekday"]), int(row["Post Hour"])  # fmt: skip
        if (day.year, day.month) < (FB_YEAR, month):
            day = date(FB_YEAR, month, 1)
        last = date(FB_YEAR + (month == 12), month % 12 + 1, 1) - timedelta(days=1)
        while (day.isoweekday() != weekday) and day < last:
            day += timedelta(days=1)
        created = datetime(day.year, day.month, day.day, hour % 24, tzinfo=UTC)
        kind = row["Type"].strip().lower()
        eng = _int(row["comment"]) + _int(row["like"]) + _int(row["share"])
        posts.append(Post("facebook_cosmetics", created, FB_LINK_TEXT if kind == "link" else "",
                          _FB_MEDIA.get(kind), _int(row["Page total likes"]) or None, eng))  # fmt: skip
    return _drop_last_days(posts)


def load_sets(data: Path) -> dict[str, list[Post]]:
    """Each set's posts (one account a set), in time order, last days dropped."""
    eng = data / "engagement"
    sets = {
        "BarackObama": load_ratio(eng / "twitter_ratio_BarackObama.csv", "BarackObama"),
        "realDonaldTrump": load_trump(eng),
        "nba": load_nba(eng / "nba_instagram.csv"),
        "facebook_cosmetics": load_facebook(data / "facebook_metrics" / "dataset_Facebook.csv"),
    }
    return {k: sorted(v, key=lambda p: p.created_at) for k, v in sets.items()}


def split(posts: list[Post], share: float = HISTORY_SHARE) -> tuple[list[Post], list[Post]]:
    cut = round(share * len(posts))
    return posts[:cut], posts[cut:]


# --------------------------------------------------------------------------------------
# the baselines

Predictor = Callable[[Sequence[Post], float], list[Forecast]]


def own_history_quantiles(history: Sequence[Post]) -> Predictor:
    """Baseline (a), the first version of forecast.py: each account's own history
    quantiles (log1p), the pooled history's for an unknown account; p_viral the share of
    its history above k x its median."""
    by: dict[str, list[float]] = {}
    for post in history:
        by.setdefault(post.account, []).append(math.log1p(post.engagement or 0))
    accounts = {a: np.asarray(v) for a, v in by.items()}
    pooled = np.concatenate(list(accounts.values()))

    def predict(posts: Sequence[Post], k: float) -> list[Forecast]:
        out = []
        for post in posts:
            values = accounts.get(post.account, pooled)
            p10, p50, p90 = np.expm1(np.quantile(values, [0.1, 0.5, 0.9]))
            median = float(np.expm1(np.median(values)))
            p_viral = float(np.mean(np.expm1(values) > k * median))
            out.append(Forecast(float(p10), float(p50), float(p90), p_viral))
        return out

    return predict


SIMPLE = ("length", "hashtags", "mentions", "link", "reply", "media", "hour", "weekday",
          "account_median", "followers")  # fmt: skip


def _simple(posts: Sequence[Post], medians: dict[str, float], pooled: float) -> np.ndarray:
    media = {m: i for i, m in enumerate(fc.MEDIA)}
    rows = []
    for p in posts:
        text = p.text or ""
        rows.append([len(text), text.count("#"), text.count("@"), float("http" in text),
                     float(text.lstrip().startswith(("@", ".@", "RT @"))),
                     media.get(p.media or "", -1), p.created_at.hour, p.created_at.weekday(),
                     medians.get(p.account, pooled),
                     math.log1p(p.followers) if p.followers else np.nan])  # fmt: skip
    return np.asarray(rows, dtype=float).reshape(len(rows), len(SIMPLE))


def pooled_gbm(history: Sequence[Post], seed: int = 0) -> Predictor:
    """Baseline (b): one pooled gradient-boosting model a quantile (0.1, 0.5, 0.9, quantile
    loss, scikit-learn's defaults) on simple features (``SIMPLE``: length, hashtags,
    mentions, link, reply or retweet, media, local hour and weekday, the account's median
    log1p engagement over its history, log followers), target log1p(engagement);
    p_viral from a normal through its P10-P90."""
    from sklearn.ensemble import HistGradientBoostingRegressor

    by: dict[str, list[float]] = {}
    for p in history:
        by.setdefault(p.account, []).append(math.log1p(p.engagement or 0))
    medians = {a: float(np.median(v)) for a, v in by.items()}
    pooled = float(np.median([math.log1p(p.engagement or 0) for p in history]))
    x = _simple(history, medians, pooled)
    y = np.log1p([p.engagement or 0 for p in history])
    models = [HistGradientBoostingRegressor(loss="quantile", quantile=q, random_state=seed,
                                            categorical_features=[5]).fit(x, y)
              for q in (0.1, 0.5, 0.9)]  # fmt: skip

    def predict(posts: Sequence[Post], k: float) -> list[Forecast]:
        from statistics import NormalDist

        xs = _simple(posts, medians, pooled)
        q = np.sort(np.column_stack([m.predict(xs) for m in models]), axis=1)
        out = []
        for post, (q10, q50, q90) in zip(posts, q, strict=True):
            threshold = math.log1p(k * math.expm1(medians.get(post.account, pooled)))
            sd = max((q90 - q10) / 2.563, 1e-3)
            p = 1.0 - NormalDist(q50, sd).cdf(threshold)
            low, mid, high = (float(math.expm1(max(v, 0.0))) for v in (q10, q50, q90))
            out.append(Forecast(low, mid, high, p))
        return out

    return predict


def learnt_model(settings: Settings) -> Callable[[Sequence[Post], int], Predictor]:
    def make(history: Sequence[Post], seed: int = 0) -> Predictor:
        model = fc.fit(history, seed=seed, settings=settings)
        return lambda posts, k: model.predict(posts, k)

    return make


# --------------------------------------------------------------------------------------
# the figures


def _auc(score: np.ndarray, label: np.ndarray) -> float | None:
    pos, neg = int(label.sum()), int((~label).sum())
    if pos == 0 or neg == 0:
        return None
    from scipy.stats import rankdata

    ranks = rankdata(score)
    return float((ranks[label].sum() - pos * (pos + 1) / 2) / (pos * neg))


def _spearman(a: np.ndarray, b: np.ndarray) -> float | None:
    if len(a) < 3 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return None
    from scipy.stats import spearmanr

    return float(spearmanr(a, b).statistic)


def _pinball(y: np.ndarray, q: np.ndarray) -> float:
    loss = 0.0
    for j, tau in enumerate((0.1, 0.5, 0.9)):
        d = y - q[:, j]
        loss += float(np.mean(np.maximum(tau * d, (tau - 1) * d)))
    return loss / 3


def figures(history: dict[str, list[Post]], target: dict[str, list[Post]],
            forecasts: dict[str, list[Forecast]], k: float) -> dict[str, Any]:  # fmt: skip
    """Per account and pooled: Spearman of P50, coverage and width of P10-P90 (log1p),
    pinball loss (log1p, mean of the three quantiles), AUC and Brier of p_viral."""
    per: dict[str, Any] = {}
    ys, qs, ps, vs = [], [], [], []
    for name, posts in target.items():
        if not posts:
            continue
        y = np.log1p([p.engagement or 0 for p in posts])
        f = forecasts[name]
        q = np.log1p([[x.p10, x.p50, x.p90] for x in f])
        p = np.array([x.p_viral for x in f])
        median = float(np.median([h.engagement or 0 for h in history[name]]))
        viral = y > math.log1p(k * median)
        inside = (y >= q[:, 0] - 1e-9) & (y <= q[:, 2] + 1e-9)
        per[name] = {
            "posts": len(posts), "spearman": _spearman(q[:, 1], y),
            "coverage": float(inside.mean()), "width": float(np.mean(q[:, 2] - q[:, 0])),
            "pinball": _pinball(y, q), "viral_share": float(viral.mean()),
            "auc": _auc(p, viral), "brier": float(np.mean((p - viral) ** 2)),
        }  # fmt: skip
        ys.append(y)
        qs.append(q)
        ps.append(p)
        vs.append(viral)
    y, q, p, v = (np.concatenate(a) for a in (ys, qs, ps, vs))
    rho = [a["spearman"] for a in per.values() if a["spearman"] is not None]
    aucs = [a["auc"] for a in per.values() if a["auc"] is not None]
    inside = (y >= q[:, 0] - 1e-9) & (y <= q[:, 2] + 1e-9)
    pooled = {
        "posts": len(y),
        "spearman_mean": float(np.mean(rho)) if rho else None,
        "coverage": float(inside.mean()), "width": float(np.mean(q[:, 2] - q[:, 0])),
        "coverage_account_mean": float(np.mean([a["coverage"] for a in per.values()])),
        "width_account_mean": float(np.mean([a["width"] for a in per.values()])),
        "pinball_account_mean": float(np.mean([a["pinball"] for a in per.values()])),
        "viral_share": float(v.mean()), "auc": _auc(p, v),
        "auc_account_mean": float(np.mean(aucs)) if aucs else None,
        "brier": float(np.mean((p - v) ** 2)),
    }  # fmt: skip
    return {"accounts": per, "pooled": pooled}


def evaluate(make: Callable[..., Predictor], history: dict[str, list[Post]],
             target: dict[str, list[Post]], k: float, seed: int) -> dict[str, Any]:  # fmt: skip
    """Fit on every account's history at once, forecast every target post."""
    every = [p for posts in history.values() for p in posts]
    start = time.perf_counter()
    predictor = make(every, seed)
    fitted = time.perf_counter() - start
    blind = {a: [replace(p, engagement=None) for p in posts] for a, posts in target.items()}
    start = time.perf_counter()
    forecasts = {a: predictor(posts, k) for a, posts in blind.items()}
    predicted = time.perf_counter() - start
    found = figures(history, target, forecasts, k)
    n = sum(len(v) for v in target.values())
    found["fit_s"] = fitted
    found["predict_s"] = predicted
    found["predict_us_per_post"] = 1e6 * predicted / max(n, 1)
    found["history_posts"] = len(every)
    return found


def splits(sets: dict[str, list[Post]]) -> dict[str, tuple[dict[str, list[Post]], dict[str, list[Post]]]]:  # fmt: skip
    """``test``: history = each account's first 70%, target its last 30%; ``validation``:
    the same split again inside each history (never looks at the test part)."""
    outer = {a: split(p) for a, p in sets.items()}
    inner = {a: split(h) for a, (h, _) in outer.items()}
    return {
        "validation": ({a: h for a, (h, _) in inner.items()}, {a: t for a, (_, t) in inner.items()}),
        "test": ({a: h for a, (h, _) in outer.items()}, {a: t for a, (_, t) in outer.items()}),
    }  # fmt: skip


# --------------------------------------------------------------------------------------
# choosing the settings: time-ordered validation inside the history only

# where the search starts: the model's first settings, before any was chosen
SEARCH_START = Settings(horizon_days=0.0, shrink_posts=50.0, words=0.0, center=True)
SEARCH: dict[str, tuple[Any, ...]] = {  # coordinate search, in this order
    "words": (0.0, 10.0, 30.0, 100.0),
    "level_posts": (10, 30, 100),
    "horizon_days": (0.0, 30.0, 90.0, 365.0),
    "center": (True, False),
    "trend_days": (0.0, 180.0),
    "ridge": (30.0, 100.0, 300.0),
    "shrink_posts": (20.0, 50.0, 200.0),
    "effects": ("trees", "linear"),
}


def skill(found: dict[str, Any], reference: dict[str, Any]) -> float:
    """The selection's criterion: per account, the pinball loss over the own-history
    baseline's on the same posts, averaged over the accounts (each counts the same)."""
    ratios = [a["pinball"] / reference["accounts"][name]["pinball"]
              for name, a in found["accounts"].items()]  # fmt: skip
    return float(np.mean(ratios))


def select(history: dict[str, list[Post]], target: dict[str, list[Post]], k: float,
           seed: int, passes: int = 2, search: dict[str, tuple[Any, ...]] | None = None,
           log: Callable[[str], None] | None = None) -> dict[str, Any]:  # fmt: skip
    """Coordinate search over ``SEARCH`` on the validation split: each setting in turn
    (the others kept), the value with the lowest ``skill``; ``passes`` times."""
    search = SEARCH if search is None else search
    reference = evaluate(lambda h, s: own_history_quantiles(h), history, target, k, seed)
    tried: dict[str, float] = {}

    def score(settings: Settings) -> float:
        key = json.dumps(asdict(settings), sort_keys=True)
        if key not in tried:
            tried[key] = skill(evaluate(learnt_model(settings), history, target, k, seed), reference)  # fmt: skip
            if log:
                log(f"  {_changed(settings)}: {tried[key]:.4f}")
        return tried[key]

    best, best_score = coordinate_search(SEARCH_START, search, score, passes)
    return {"start": _changed(SEARCH_START), "chosen": _changed(best), "skill": best_score,
            "tried": len(tried), "defaults_are_the_choice": best == Settings(),
            "settings": asdict(best)}  # fmt: skip


def _changed(settings: Settings) -> dict[str, Any]:
    default = Settings()
    return {n: v for n, v in asdict(settings).items() if v != getattr(default, n)}


# --------------------------------------------------------------------------------------
# the run

METHODS: dict[str, Callable[..., Callable[[Sequence[Post], int], Predictor]]] = {
    "model": lambda: learnt_model(Settings()),
    "own_history": lambda: lambda h, seed: own_history_quantiles(h),
    "pooled_gbm": lambda: pooled_gbm,
}
SMOKE_SEARCH: dict[str, tuple[Any, ...]] = {"words": (0.0, 30.0)}


def _git() -> str:
    found = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=ROOT,
                           capture_output=True, text=True, check=False)  # fmt: skip
    return found.stdout.strip() or "unknown"


def run(data: Path, k: float, seed: int, choose: bool, smoke: bool,
        log: Callable[[str], None] | None = None) -> dict[str, Any]:  # fmt: skip
    sets = load_sets(data)
    parts = splits(sets)
    report: dict[str, Any] = {
        "data": str(data), "k": k, "seed": seed, "git": _git(),
        "settings": asdict(Settings()),
        "sets": {
            a: {"posts": len(p), "first": p[0].created_at.isoformat(),
                "split_at": parts["test"][1][a][0].created_at.isoformat(),
                "validation_split_at": parts["validation"][1][a][0].created_at.isoformat(),
                "last": p[-1].created_at.isoformat(), "history": len(parts["test"][0][a]),
                "test": len(parts["test"][1][a]), "validation": len(parts["validation"][1][a])}
            for a, p in sets.items()
        },
    }  # fmt: skip
    if choose or smoke:
        history, target = parts["validation"]
        report["selection"] = select(history, target, k, seed, passes=1 if smoke else 2,
                                     search=SMOKE_SEARCH if smoke else None, log=log)  # fmt: skip
    every = [p for posts in sets.values() for p in posts]
    start = time.perf_counter()
    fc.fit(every, seed=seed)
    report["fit_every_post"] = {"posts": len(every), "seconds": time.perf_counter() - start}
    for part in ("validation", "test"):
        history, target = parts[part]
        report[part] = {}
        for name, make in METHODS.items():
            report[part][name] = evaluate(make(), history, target, k, seed)
            if log:
                log(f"{part} {name}: done in {report[part][name]['fit_s']:.1f} s")
    return report


def _f(v: float | None, spec: str = ".3f") -> str:
    return "-" if v is None else format(v, spec)


def _print(report: dict[str, Any], command: str) -> None:
    print(f"engagement forecasts, k = {report['k']}, seed {report['seed']}, at {report['git']}")
    for name, s in report["sets"].items():
        print(f"  {name}: {s['posts']} posts {s['first'][:10]} .. {s['last'][:10]}; history "
              f"{s['history']} (validation: the last {s['validation']} of it, from "
              f"{s['validation_split_at'][:10]}), test {s['test']} from {s['split_at'][:10]}")  # fmt: skip
    if "selection" in report:
        sel = report["selection"]
        print(f"selection on the validation split ({sel['tried']} settings tried): from "
              f"{sel['start']} chose {sel['chosen']} (skill {sel['skill']:.4f}); the model's "
              f"defaults {'are' if sel['defaults_are_the_choice'] else 'are NOT'} that choice")  # fmt: skip
    for part in ("validation", "test"):
        print(f"\n{part}: Spearman of P50 within each account, P10-P90 coverage and width "
              "(log1p), pinball (log1p), AUC and Brier of p_viral")  # fmt: skip
        for method, found in report[part].items():
            p = found["pooled"]
            print(f"  {method}: fit {found['fit_s']:.1f} s on {found['history_posts']} posts, "
                  f"predict {found['predict_us_per_post']:.0f} us a post")  # fmt: skip
            for name, a in found["accounts"].items():
                print(f"    {name:20s} {a['posts']:5d} posts  rho {_f(a['spearman'])}  cover "
                      f"{a['coverage']:.3f} width {a['width']:.2f}  pinball {a['pinball']:.4f}  "
                      f"AUC {_f(a['auc'])} Brier {a['brier']:.4f} (viral {a['viral_share']:.3f})")  # fmt: skip
            print(f"    {'pooled':20s} {p['posts']:5d} posts  rho {_f(p['spearman_mean'])} (mean "
                  f"of accounts)  cover {p['coverage']:.3f} width {p['width']:.2f} (mean of "
                  f"accounts {p['coverage_account_mean']:.3f}, {p['width_account_mean']:.2f})  "
                  f"AUC {_f(p['auc'])} (mean of accounts {_f(p['auc_account_mean'])}) Brier "
                  f"{p['brier']:.4f}")  # fmt: skip
    every = report["fit_every_post"]
    print(f"\nfit on every post of every set ({every['posts']} posts): {every['seconds']:.1f} s")
    print(f"\n{command}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--data", required=True, help="the data folder (../shared/data): "
                    "engagement/ and facebook_metrics/")  # fmt: skip
    ap.add_argument("--k", type=float, default=3.0, help="viral: above k x the median (3)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--select", action="store_true",
                    help="also run the settings' search on the validation split (minutes)")  # fmt: skip
    ap.add_argument("--smoke", action="store_true",
                    help="a tiny data folder: the search over two settings only")  # fmt: skip
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    args = ap.parse_args(argv)
    command = ".venv/bin/python benchmarks/bench_forecast.py " + " ".join(
        a for a in (argv if argv is not None else sys.argv[1:]) if a != "--json"
    )
    log = None if args.json else (lambda m: print(m, file=sys.stderr, flush=True))
    report = run(Path(args.data), args.k, args.seed, args.select, args.smoke, log)
    report["command"] = command
    if args.json:
        print(json.dumps(report, indent=1))
    else:
        _print(report, command)
    return 0


if __name__ == "__main__":
    sys.exit(main())
