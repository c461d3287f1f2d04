"""Best-time slots (functions/optimize/slots.py) against the simulated audience's truth.

    .venv/bin/python benchmarks/bench_best_time.py [--weeks 12] [--seeds 5-14]
        [--shapes one_peak,two_peaks,weekend,far_zone] [--select] [--smoke] [--json]

The product's own code (``SlotModel.fit`` and ``choose``) is driven against the simulated
audience (infra/simulate/audience.py) directly, without AWS. For each audience shape (its
default zone: Europe/Paris, or Asia/Tokyo for ``far_zone``) and each seed, a brand whose
own zone is Europe/Paris posts once a day on Instagram, Facebook and LinkedIn (``BRAND``)
for ``--weeks`` weeks from Monday 17 February 2025 (Paris changes to summer time in week
6, Tokyo does not: the brand's fixed times move by an hour in the Tokyo audience's day).
Every post is ``at: auto`` with ``between`` = that day in the audience's zone: its
candidates are every 30 minutes of that local day. Its text and media are drawn from a mix
per platform (``TEXTS``, ``MEDIA_MIX``), its followers come from ``followers_at``.

The optimiser decides each day's posts at midnight in the audience's zone, from a model
refit then (like the daily ``optimize`` run) on its own posts that have settled: a post's
outcome is seen 24 hours after it went out, as the likes, shares and comments that
``metrics_at`` shows then (the realised counts: noise and heavy tail included). It never
reads the shape, the activity or ``expected``.

Policies, in the same run on the same posts (the same texts, media and noise draws):

- ``fixed``: the example campaigns' fixed times in the brand's zone (09:00, 12:30, 18:00,
  18:30 Paris time), cycled over days and platforms (post ``d`` on platform ``i`` takes
  ``FIXED[(d + i) % 4]``), at the instant of the audience's day when Paris shows that time;
- ``industry``: the best hour of ``slots.INDUSTRY`` within the day, in the audience's zone;
- ``optimiser``: Thompson sampling (``choose``) with the model's settings, learning from
  its own posts;
- ``plain_ts``: the same with ``draw_scale`` 1.0 (plain Thompson sampling, whose regret
  bounds hold), learning from its own posts: what the narrower draws change;
- ``greedy``: the same model, ``explore=False`` (the posterior mean's best), learning
  from its own posts: what exploration buys;
- ``oracle``: the candidate with the highest expected engagement (the truth).

A post's regret is the oracle's expected engagement minus the policy's (expected, to keep
the score's variance low; learning uses the realised counts). Reported per shape and
overall (sums over shapes and seeds): the cumulative regret over weeks 1-8 and 1-12, the
share of the fixed times' gap to the oracle that a policy closes over weeks 1-8 (1 -
regret / fixed's regret; the aim: 0.8 or more for the optimiser), the share of the
optimiser's posts that explored (``Choice.explored``), and the time of one refit (fit and
the three platforms' curves, one core).

Seeds: ``FIT_SEEDS`` (0-4) are the only ones the settings are chosen on (``--select``: a
coordinate search over ``SEARCH`` from ``SEARCH_START``, criterion: the optimiser's
regret over weeks 1-8 over the fixed times', summed over shapes and fitting seeds); the
figures are reported on ``REPORT_SEEDS`` (5-14). ``--smoke``: 2 weeks, one seed, one
shape, and a two-setting search with ``--select``.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # one core: the figures are a core's

import argparse  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable, Sequence  # noqa: E402
from dataclasses import asdict, dataclass, replace  # noqa: E402
from datetime import UTC, date, datetime, timedelta  # noqa: E402
from functools import lru_cache  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402
from zoneinfo import ZoneInfo  # noqa: E402

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from coordinate import coordinate_search  # noqa: E402  (benchmarks/coordinate.py)

from functions.optimize import slots  # noqa: E402
from functions.optimize.slots import Observation, Settings, SlotModel  # noqa: E402
from infra.simulate import audience  # noqa: E402

BRAND_ZONE = "Europe/Paris"
START = date(2025, 2, 17)  # a Monday; Paris moves to summer time on 30 March (week 6)
BRAND = {"instagram": 5000, "facebook": 8000, "linkedin": 3000}  # followers at START
FIXED = ((9, 0), (12, 30), (18, 0), (18, 30))  # the example campaigns' times, Paris
SLOT_MINUTES = 30
SETTLE = timedelta(hours=24)
POLICIES = ("fixed", "industry", "optimiser", "plain_ts", "greedy", "oracle")
LEARNING = ("optimiser", "plain_ts", "greedy")
FIT_SEEDS = tuple(range(0, 5))
REPORT_SEEDS = tuple(range(5, 15))
SHAPES = tuple(audience.SHAPES)

# a realistic mix of texts (lengths, hashtags, questions, links) and media per platform
TEXTS = (
    "New season, new colours. Which one is yours?",
    "Behind the scenes at the workshop this week: how a jacket comes together, from the "
    "first cut to the last stitch.",
    "Out now #newcollection #madeinfrance",
    "Three things we learnt from a year of repairs, and what we changed because of them. "
    "Read the whole story on the blog: https://example.com/blog/repairs",
    "Thank you for 10 years with us!",
    "Our team will be at the fair on Saturday, stand B12. Come and say hello, we will have "
    "coffee and the new samples. #fair #design #community",
    "What should we make next? Tell us in the comments.",
    "Sizing guide updated: https://example.com/sizes",
    "A short film about the people who make our fabrics, shot over two days in the valley "
    "where the mill has worked since 1890. Sound on. #film #craft #textile #heritage "
    "#slowfashion #madeinfrance",
    "Spring is here.",
)
MEDIA_MIX: dict[str, tuple[tuple[str, float], ...]] = {
    "instagram": (("image", 0.5), ("video", 0.3), ("album", 0.2)),
    "facebook": (("none", 0.3), ("image", 0.5), ("video", 0.2)),
    "linkedin": (("none", 0.5), ("image", 0.4), ("video", 0.1)),
}

# the settings' search (--select): each in turn, from SEARCH_START
SEARCH: dict[str, tuple[Any, ...]] = {
    "draw_scale": (0.3, 0.4, 0.5, 0.7, 1.0),
    "night_prior": (0.0, 1.0, 2.0, 3.0),
    "noise_sd": (0.5, 0.6, 0.7, 0.9),
    "hour_sd": (0.4, 0.6, 0.9),
    "hour_scale": (1.0, 1.5, 2.0, 3.0),
    "day_sd": (0.1, 0.25, 0.4),
    "week_sd": (0.0, 0.1, 0.2),
    "platform_sd": (0.2, 0.35, 0.5),
    "clip": (0.0, 2.0, 2.5, 3.5),
    "media_sd": (0.0, 0.15, 0.3, 1.0),
    "industry_prior": (0.0, 0.5),
}
SEARCH_START = Settings()
SMOKE_SEARCH: dict[str, tuple[Any, ...]] = {"draw_scale": (0.7, 1.0)}


@dataclass(frozen=True)
class Post:
    """One day's post on one platform: what all the policies post, each at its time."""

    day: int
    platform: str
    post_id: str
    text: str
    media: str
    content: audience.Content
    candidates: tuple[datetime, ...]
    fixed: datetime


def _day_candidates(day: date, zone: str) -> tuple[datetime, ...]:
    """Every SLOT_MINUTES of ``day`` in ``zone`` (23 or 25 hours on a change of time)."""
    tz = ZoneInfo(zone)
    first = datetime(day.year, day.month, day.day, tzinfo=tz).astimezone(UTC)
    nxt = day + timedelta(days=1)
    end = datetime(nxt.year, nxt.month, nxt.day, tzinfo=tz).astimezone(UTC)
    out = []
    at = first
    while at < end:
        out.append(at)
        at += timedelta(minutes=SLOT_MINUTES)
    return tuple(out)


def _fixed(candidates: Sequence[datetime], hour: int, minute: int) -> datetime:
    """The candidate at which the brand's zone shows hour:minute (the nearest later one,
    then the nearest, on a change of time without that minute)."""
    tz = ZoneInfo(BRAND_ZONE)
    target = hour * 60 + minute
    minutes = [c.astimezone(tz).hour * 60 + c.astimezone(tz).minute for c in candidates]
    if target in minutes:
        return candidates[minutes.index(target)]
    return min(candidates, key=lambda c: abs(c.astimezone(tz).hour * 60 - target))


def _media(rng: np.random.Generator, platform: str) -> str:
    names = [m for m, _ in MEDIA_MIX[platform]]
    weights = np.array([w for _, w in MEDIA_MIX[platform]])
    return names[int(rng.choice(len(names), p=weights / weights.sum()))]


@lru_cache(maxsize=64)
def plan(shape: str, seed: int, weeks: int) -> tuple[tuple[Post, ...], ...]:
    """Per day, the posts of that day (one per platform), the same for every policy."""
    zone = audience.SHAPES[shape].zone
    rng = np.random.default_rng([seed, 1])
    days = []
    for d in range(weeks * 7):
        day = START + timedelta(days=d)
        candidates = _day_candidates(day, zone)
        posts = []
        for i, platform in enumerate(BRAND):
            text = TEXTS[int(rng.integers(len(TEXTS)))]
            media = _media(rng, platform)
            hour, minute = FIXED[(d + i) % len(FIXED)]
            posts.append(Post(d, platform, f"{shape}-{platform}-{d}", text, media,
                              audience.Content.of(text, media), candidates,
                              _fixed(candidates, hour, minute)))  # fmt: skip
        days.append(tuple(posts))
    return tuple(days)


@lru_cache(maxsize=64)
def truth(shape: str, seed: int, weeks: int) -> tuple[tuple[np.ndarray, ...], ...]:
    """Per day and post of ``plan``, the expected engagement at each of its candidates."""
    return tuple(tuple(np.array([_expected(shape, seed, post, c) for c in post.candidates])
                       for post in posts) for posts in plan(shape, seed, weeks))  # fmt: skip


def _start() -> datetime:
    return datetime(START.year, START.month, START.day, tzinfo=ZoneInfo(BRAND_ZONE))


def _followers(seed: int, platform: str, at: datetime) -> int:
    return audience.followers_at(seed, f"brand-{platform}", platform, BRAND[platform],
                                 _start(), at)  # fmt: skip


def _expected(shape: str, seed: int, post: Post, at: datetime) -> float:
    zone = audience.SHAPES[shape].zone
    return audience.expected(post.platform, shape, zone, at, post.content,
                             _followers(seed, post.platform, at))  # fmt: skip


@lru_cache(maxsize=200_000)
def _observe(shape: str, seed: int, post: Post, at: datetime) -> Observation:
    """What the optimiser learns from a post once settled: its likes + shares + comments
    24 hours after it went out, and its followers then."""
    zone = audience.SHAPES[shape].zone
    followers = _followers(seed, post.platform, at)
    counts = audience.metrics_at(seed, post.post_id, post.platform, shape, zone, at,
                                 post.content, followers, at + SETTLE)  # fmt: skip
    engagement = counts["likes"] + counts["shares"] + counts["comments"]
    return Observation(post.platform, zone, at, float(engagement), float(followers),
                       post.media, post.text)  # fmt: skip


def simulate(shape: str, seed: int, weeks: int, settings: Settings,
             policies: Sequence[str] = POLICIES) -> dict[str, Any]:  # fmt: skip
    """One brand, one shape, one seed: per policy and day, the expected engagement of its
    posts; the optimiser's exploration and refit times."""
    zone = audience.SHAPES[shape].zone
    days = plan(shape, seed, weeks)
    truths = truth(shape, seed, weeks)
    tz = ZoneInfo(zone)
    expected = {p: np.zeros(len(days)) for p in policies}
    history: dict[str, list[Observation]] = {p: [] for p in LEARNING}
    pending: dict[str, list[Observation]] = {p: [] for p in LEARNING}
    rngs = {p: np.random.default_rng([seed, 2, i]) for i, p in enumerate(LEARNING)}
    own = {p: replace(settings, draw_scale=1.0) if p == "plain_ts" else settings for p in LEARNING}
    explored = 0
    chosen = 0
    fit_s: list[float] = []
    for d, posts in enumerate(days):
        day = START + timedelta(days=d)
        decided = datetime(day.year, day.month, day.day, tzinfo=tz)
        models: dict[str, SlotModel] = {}
        for p in LEARNING:
            if p not in policies:
                continue
            settled = [o for o in pending[p] if o.posted_at + SETTLE <= decided]
            history[p].extend(settled)
            pending[p] = [o for o in pending[p] if o.posted_at + SETTLE > decided]
            started = time.perf_counter()
            models[p] = SlotModel.fit(history[p], own[p])
            for platform in BRAND:
                models[p].curve(platform, zone)
            if p == "optimiser":
                fit_s.append(time.perf_counter() - started)
        for post, values in zip(posts, truths[d], strict=True):
            for p in policies:
                if p == "oracle":
                    at = post.candidates[int(np.argmax(values))]
                elif p == "fixed":
                    at = post.fixed
                elif p == "industry":
                    scores = [slots.INDUSTRY[slots.local_hour_of_week(c, zone)]
                              for c in post.candidates]  # fmt: skip
                    at = post.candidates[int(np.argmax(scores))]
                else:
                    curve = models[p].curve(post.platform, zone)
                    choice = slots.choose(curve, zone, post.candidates, rngs[p],
                                          explore=p != "greedy")  # fmt: skip
                    at = choice.at
                    if p == "optimiser":
                        chosen += 1
                        explored += choice.explored
                    pending[p].append(_observe(shape, seed, post, at))
                expected[p][d] += float(values[post.candidates.index(at)])
    return {"expected": expected, "explored": explored, "chosen": chosen, "fit_s": fit_s}


def _regret(runs: Sequence[dict[str, Any]], policy: str, days: int) -> float:
    return float(sum(np.sum(r["expected"]["oracle"][:days] - r["expected"][policy][:days])
                     for r in runs))  # fmt: skip


def summarise(runs: Sequence[dict[str, Any]], weeks: int, policies: Sequence[str]) -> dict[str, Any]:  # fmt: skip
    """Regrets, the gap closed, exploration and refit times of a set of runs."""
    early = min(8, weeks) * 7
    out: dict[str, Any] = {
        "runs": len(runs),
        "oracle_engagement_1_8": float(sum(np.sum(r["expected"]["oracle"][:early]) for r in runs)),
        "regret_1_8": {p: _regret(runs, p, early) for p in policies},
        "regret_all": {p: _regret(runs, p, weeks * 7) for p in policies},
    }  # fmt: skip
    fixed = _regret(runs, "fixed", early)
    out["gap_closed_1_8"] = {p: (1.0 - _regret(runs, p, early) / fixed) if fixed > 0 else None
                             for p in policies if p not in ("fixed", "oracle")}  # fmt: skip
    every = _regret(runs, "fixed", weeks * 7)
    out["gap_closed_all"] = {p: (1.0 - _regret(runs, p, weeks * 7) / every) if every > 0 else None
                             for p in policies if p not in ("fixed", "oracle")}  # fmt: skip
    chosen = sum(r["chosen"] for r in runs)
    out["exploration_share"] = sum(r["explored"] for r in runs) / chosen if chosen else None
    weekly = []
    for w in range(weeks):
        span = slice(w * 7, (w + 1) * 7)
        weekly.append({p: float(sum(np.sum(r["expected"]["oracle"][span]
                                           - r["expected"][p][span]) for r in runs))
                       for p in policies})  # fmt: skip
    out["weekly_regret"] = weekly
    times = np.array([t for r in runs for t in r["fit_s"]]) * 1000.0
    out["refit_ms"] = ({"mean": float(times.mean()), "p95": float(np.percentile(times, 95)),
                        "max": float(times.max()), "refits": int(times.size)}
                       if times.size else None)  # fmt: skip
    return out


def evaluate(shapes: Sequence[str], seeds: Sequence[int], weeks: int, settings: Settings,
             policies: Sequence[str] = POLICIES,
             log: Callable[[str], None] | None = None) -> dict[str, Any]:  # fmt: skip
    per_shape: dict[str, list[dict[str, Any]]] = {}
    for shape in shapes:
        for seed in seeds:
            per_shape.setdefault(shape, []).append(simulate(shape, seed, weeks, settings, policies))  # fmt: skip
        if log:
            log(f"  {shape}: {len(seeds)} seeds done")
    every = [r for runs in per_shape.values() for r in runs]
    return {"shapes": {s: summarise(r, weeks, policies) for s, r in per_shape.items()},
            "overall": summarise(every, weeks, policies)}  # fmt: skip


def criterion(found: dict[str, Any]) -> float:
    """The selection's criterion: the optimiser's regret over weeks 1-8 over the fixed
    times', summed over shapes and seeds (lower is better)."""
    regret = found["overall"]["regret_1_8"]
    return float(regret["optimiser"] / regret["fixed"])


def select(shapes: Sequence[str], seeds: Sequence[int], weeks: int, passes: int = 2,
           search: dict[str, tuple[Any, ...]] | None = None,
           log: Callable[[str], None] | None = None) -> dict[str, Any]:  # fmt: skip
    """Coordinate search over ``SEARCH`` on the fitting seeds: each setting in turn (the
    others kept), the value with the lowest ``criterion``; ``passes`` times."""
    search = SEARCH if search is None else search
    tried: dict[str, float] = {}

    def score(settings: Settings) -> float:
        key = json.dumps(asdict(settings), sort_keys=True)
        if key not in tried:
            found = evaluate(
                shapes, seeds, min(weeks, 8), settings, ("fixed", "optimiser", "oracle")
            )
            tried[key] = criterion(found)
            if log:
                log(f"  {_changed(settings)}: {tried[key]:.4f}")
        return tried[key]

    best, best_score = coordinate_search(SEARCH_START, search, score, passes)
    return {"seeds": list(seeds), "shapes": list(shapes), "weeks": weeks,
            "start": _changed(SEARCH_START), "chosen": _changed(best),
            "criterion": best_score, "tried": len(tried),
            "defaults_are_the_choice": best == Settings(), "settings": asdict(best)}  # fmt: skip


def _changed(settings: Settings) -> dict[str, Any]:
    default = Settings()
    return {n: v for n, v in asdict(settings).items() if v != getattr(default, n)}


def _git() -> str:
    found = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=ROOT,
                           capture_output=True, text=True, check=False)  # fmt: skip
    return found.stdout.strip() or "unknown"


def _seeds(text: str) -> list[int]:
    """``5-14`` or ``1,3,5``."""
    out: list[int] = []
    for part in text.split(","):
        if "-" in part.strip()[1:]:
            low, high = part.split("-", 1)
            out.extend(range(int(low), int(high) + 1))
        elif part.strip():
            out.append(int(part))
    return out


def run(shapes: Sequence[str], seeds: Sequence[int], weeks: int, choose: bool, smoke: bool,
        log: Callable[[str], None] | None = None) -> dict[str, Any]:  # fmt: skip
    started = time.perf_counter()
    report: dict[str, Any] = {
        "git": _git(), "weeks": weeks, "start": START.isoformat(), "brand_zone": BRAND_ZONE,
        "platforms": dict(BRAND), "slot_minutes": SLOT_MINUTES, "shapes": list(shapes),
        "seeds": list(seeds), "fit_seeds": list(FIT_SEEDS),
        "zones": {s: audience.SHAPES[s].zone for s in shapes},
        "settings": asdict(Settings()),
    }  # fmt: skip
    if set(seeds) & set(FIT_SEEDS) and not smoke:
        report["warning"] = "some of these seeds are fitting seeds: the settings were chosen on them"  # fmt: skip
    if choose:
        fit_seeds = FIT_SEEDS[:1] if smoke else FIT_SEEDS
        report["selection"] = select(shapes, fit_seeds, weeks, passes=1 if smoke else 2,
                                     search=SMOKE_SEARCH if smoke else None, log=log)  # fmt: skip
    report["results"] = evaluate(shapes, seeds, weeks, Settings(), POLICIES, log)
    report["elapsed_s"] = time.perf_counter() - started
    return report


def _print(report: dict[str, Any], command: str) -> None:
    weeks = report["weeks"]
    early = min(8, weeks)
    print(f"best-time slots, {weeks} weeks from {report['start']}, brand in "
          f"{report['brand_zone']} on {', '.join(report['platforms'])} (a post a day each), "
          f"seeds {report['seeds']} (settings chosen on {report['fit_seeds']}), at "
          f"{report['git']}")  # fmt: skip
    if "warning" in report:
        print(f"WARNING: {report['warning']}")
    if "selection" in report:
        sel = report["selection"]
        print(f"selection on seeds {sel['seeds']} ({sel['tried']} settings tried): chose "
              f"{sel['chosen']} (criterion {sel['criterion']:.4f}); the defaults "
              f"{'are' if sel['defaults_are_the_choice'] else 'are NOT'} that choice")  # fmt: skip
    res = report["results"]
    policies = [p for p in POLICIES if p != "oracle"]
    head = "".join(f"{p:>11s}" for p in policies)
    print(f"\ncumulative regret (oracle's expected engagement minus the policy's), weeks "
          f"1-{early} and 1-{weeks}; gap: the share of the fixed times' regret that a policy "
          "saves (1 - regret / fixed's)")  # fmt: skip
    print(f"{'':23s}{head}   explored  refit ms")
    for name, found in [*res["shapes"].items(), ("overall", res["overall"])]:
        r8 = found["regret_1_8"]
        r12 = found["regret_all"]
        gap = found["gap_closed_1_8"]
        explore = found["exploration_share"]
        refit = found["refit_ms"]
        tail = f"   {explore:8.3f}  {refit['mean']:8.1f}" if refit and explore is not None else ""
        print(f"{name:12s} {f'1-{early}':10s}" + "".join(f"{r8[p]:11.0f}" for p in policies) + tail)
        print(f"{'':12s} {f'1-{weeks}':10s}" + "".join(f"{r12[p]:11.0f}" for p in policies))
        for label, shares in ((f"gap 1-{early}", gap), (f"gap 1-{weeks}", found["gap_closed_all"])):  # fmt: skip
            print(f"{'':12s} {label:10s}" + "".join(
                f"{'-':>11s}" if shares.get(p) is None else f"{shares[p]:11.3f}" for p in policies))  # fmt: skip
    weekly = res["overall"]["weekly_regret"]
    print("\nweekly regret, all shapes and seeds (optimiser / fixed): " + ", ".join(
        f"{w['optimiser'] / w['fixed']:.2f}" if w["fixed"] > 0 else "-" for w in weekly))  # fmt: skip
    print(f"\noracle's expected engagement over weeks 1-{early}: "
          f"{res['overall']['oracle_engagement_1_8']:.0f}; run {report['elapsed_s']:.0f} s")  # fmt: skip
    print(f"\n{command}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--weeks", type=int, default=12)
    ap.add_argument("--seeds", default=None, help="e.g. 5-14 (default) or 5,6,7")
    ap.add_argument("--shapes", default=",".join(SHAPES), help="comma separated")
    ap.add_argument("--select", action="store_true",
                    help="also search the settings on the fitting seeds 0-4 (minutes)")  # fmt: skip
    ap.add_argument("--smoke", action="store_true", help="2 weeks, one seed, one shape")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    args = ap.parse_args(argv)
    shapes = [s for s in args.shapes.split(",") if s]
    unknown = sorted(set(shapes) - set(SHAPES))
    if unknown:
        ap.error(f"unknown shapes {unknown}; expected some of {list(SHAPES)}")
    seeds = _seeds(args.seeds) if args.seeds else list(REPORT_SEEDS)
    weeks = args.weeks
    if args.smoke:
        weeks, seeds, shapes = 2, seeds[:1], shapes[:1]
    if weeks < 1 or not seeds:
        ap.error("expected at least one week and one seed")
    command = ".venv/bin/python benchmarks/bench_best_time.py " + " ".join(
        a for a in (argv if argv is not None else sys.argv[1:]) if a != "--json"
    )
    log = None if args.json else (lambda m: print(m, file=sys.stderr, flush=True))
    report = run(shapes, seeds, weeks, args.select, args.smoke, log)
    report["command"] = command.strip()
    if args.json:
        print(json.dumps(report, indent=1))
    else:
        _print(report, command.strip())
    return 0


if __name__ == "__main__":
    sys.exit(main())
