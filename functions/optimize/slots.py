"""Best times to post: a brand's engagement by hour of the week, learnt from its own
history, and the choice of a post's slot by Thompson sampling (``at: auto``).

The model
---------

A slot is a *local* hour of the week of the audience a post is for: hour 0 is Monday
00:00-00:59 in the audience's zone, 167 is Sunday 23:00-23:59 (``local_hour_of_week``;
daylight saving time is followed, so a slot is the same local hour all year).

Each settled post of the history (``Observation``) gives one number,

    y = log(engagement + 1) - log(followers)

(``log(engagement + 1)`` alone when its followers are unknown). A post's y is its
platform's level, plus the effect of its media kind, plus the lift of its slot, plus
noise. Each platform (in one audience zone; posts with and without known followers apart)
has its own level, learnt with a flat prior, so that a platform's rate and the account's
size are taken out and only the differences between hours inform the curve. A media kind
(none, image, video, album, unknown) moves its platform's level by an offset with prior sd
``media_sd`` (0: media is treated as noise). The other content effects (length, hashtags,
links, questions) are treated as noise: they are not adjusted for. Before it is used, a
platform's y is clipped to its median plus or minus ``clip`` robust standard deviations
(1.4826 x the median absolute deviation; 0: no clipping), so that a post that takes off
does not drag its hour up alone.

The lift ``f`` over the 168 hours has a Gaussian prior, the sum of three parts:

- a day effect (one per weekday, sd ``day_sd``);
- an hour-of-day effect shared by every day (sd ``hour_sd``), smooth around the clock
  (a periodic squared-exponential kernel with length scale ``hour_scale`` hours, so that
  23h and 0h are neighbours);
- an interaction (sd ``week_sd``; 0: none), smooth over the hours of the week (length
  scale ``week_scale`` hours, around the week), for days whose hours differ from the
  others'.

Its mean says that an audience sleeps in its own night: ``night_prior`` log units lower at
03:30 local, fading out by the morning and the late evening (``NIGHT``), optionally plus
``industry_prior`` times the centred log of ``INDUSTRY``; the mean is centred over the
week. The noise of one post around its slot's lift has sd ``noise_sd``. The posterior is
Gaussian and exact (linear algebra on 168 x 168 matrices, from per-hour counts and sums;
the levels and media offsets are integrated out): a few milliseconds per curve.

Shrinkage happens twice. A platform's curve is the posterior from its own posts, starting
not from the prior but from the brand's pool: the posterior of the same zone's posts on the
brand's *other* platforms, widened by the spread platforms have around the pool
(``platform_sd``, as a share of the prior's covariance in sd). With few posts of its own
a platform follows the pool; with many, itself. A brand with little history altogether
has a pool close to the prior, which is wide: it then explores (away from the night). A
platform with no posts gets the pool of all its platforms in that zone, and a zone without
posts gets the prior (both widened by ``platform_sd``).

``Curve.mean`` is the posterior mean of the lift, centred over the week (0 is an average
hour; +0.5 means exp(0.5) = 1.65 times the engagement of an average hour), ``Curve.sd``
its posterior sd. ``Curve.sample`` draws one whole curve from the joint posterior (days and
hours move together), centred too.

Exploration
-----------

``choose`` picks one of a post's candidate instants by Thompson sampling: it draws one
curve from the posterior and takes the candidate whose local hour of the week scores
highest in that draw. While the model is unsure, draws differ and posts try other slots;
as posts settle, the draws narrow around the best slot and exploration fades by itself.
``Choice.explored`` says when the draw chose another slot than the posterior mean would
(the plan shows the share of such posts). ``explore=False`` takes the posterior mean's
best (used to move a post to its next best slot).

``draw_scale`` multiplies the draws' spread around the mean. At 1.0 this is plain
Thompson sampling, whose regret averaged over the prior grows no faster than the square
root of (posts x slots x log slots) (Russo and Van Roy, "An information-theoretic
analysis of Thompson sampling", 2016). Below 1.0 the draws are narrower: less
exploration of the slots next to the best one, which costs a little on every post, but a
slower escape from a second-best peak, as no bound then guarantees; the benchmark
measures both (``plain_ts`` there is 1.0).

``hourly_profile`` is the same estimator on raw (hour of week, value) pairs with one
level: a forecast of an hourly series by hour of the week.

Settings
--------

``Settings``' defaults were chosen with benchmarks/bench_best_time.py ``--select`` on its
fitting seeds (0-4) only, against the simulated audience, and are reported on seeds 5-14
(benchmarks/README.md). That audience has one curve for all platforms and no day whose
hours differ from the others', so it cannot tell ``platform_sd`` and ``week_sd``: the
first was searched from 0.2 up, the second left at 0 (0.1 scored about the same; for an
audience whose weekends differ, raise it). ``hourly_profile`` estimates its own amplitudes.
The noise sd is fixed, not estimated per brand. The model is stored as plain JSON (``to_dict``, ``from_dict``):
its settings and, per zone and group, the per-hour counts and sums of y; reading it back
gives exactly the same curves. Standard library and numpy only.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from dataclasses import asdict, dataclass, fields
from datetime import datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np

HOURS = 168  # hour of week 0 = Monday 00:00 local .. 167 = Sunday 23:00 local
FORMAT = "socialops.slots.model"
FORMAT_VERSION = 1
MEDIA = ("none", "image", "video", "album")
_NUGGET = 1e-6  # added to covariances before a Cholesky factorisation


@dataclass(frozen=True)
class Observation:
    """One settled post of a brand's history."""

    platform: str  # "instagram", "facebook", "x", "linkedin", "tiktok", "bluesky", "mastodon"
    zone: str  # IANA zone of the audience the slot is read in (local hour of week)
    posted_at: datetime  # aware
    engagement: float  # likes + shares + comments, settled
    followers: float | None = None  # the account's followers when posted (None: unknown)
    media: str | None = None  # "none" | "image" | "video" | "album" | None
    text: str = ""


@dataclass(frozen=True)
class Settings:
    """How the slot model learns and explores (module docstring). The defaults were chosen
    on benchmarks/bench_best_time.py's fitting seeds (``--select``), never its report
    seeds."""

    noise_sd: float = 0.6  # sd of one post's y around its slot's lift (log units)
    day_sd: float = 0.25  # prior sd of a weekday's effect
    hour_sd: float = 0.4  # prior sd of the hour-of-day effect
    hour_scale: float = 1.5  # its smoothness: length scale in hours, around the clock
    week_sd: float = 0.0  # prior sd of the day x hour interaction
    week_scale: float = 3.0  # its smoothness: length scale in hours, around the week
    platform_sd: float = 0.2  # a platform's spread around the brand's pool, x the prior
    clip: float = 2.0  # y clipped to its platform's median +- this many robust sd (0: not)
    media_sd: float = 0.3  # prior sd of a media kind's effect on a platform's level
    night_prior: float = 3.0  # prior mean: this much lower in the small hours (log units)
    industry_prior: float = 0.0  # prior mean: this x the centred log of INDUSTRY
    draw_scale: float = 0.4  # Thompson draws' spread around the mean (1: plain sampling)

    def __post_init__(self) -> None:
        for name in ("noise_sd", "hour_scale", "week_scale", "draw_scale"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
                raise ValueError(f"slot settings: {name} must be a positive number, found {value!r}")  # fmt: skip
        for name in (
            "day_sd",
            "hour_sd",
            "week_sd",
            "platform_sd",
            "clip",
            "media_sd",
            "night_prior",
            "industry_prior",
        ):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and math.isfinite(value) and value >= 0):
                raise ValueError(f"slot settings: {name} must be a number of 0 or more, found {value!r}")  # fmt: skip


@dataclass(frozen=True, eq=False)
class Curve:
    """The posterior of the lift per local hour of the week (log units)."""

    mean: np.ndarray  # (168,) posterior mean (centred over the week for SlotModel curves)
    sd: np.ndarray  # (168,) posterior sd
    posts: int  # how many observations informed it (own, not pooled)
    factor: np.ndarray | None = None  # (168, 168) lower Cholesky factor of the covariance
    draw_scale: float = 1.0  # the draws' spread around the mean, x the posterior's
    centred: bool = True  # draws are centred over the week like the mean

    def sample(self, rng: np.random.Generator) -> np.ndarray:
        """One draw of the whole curve (168,) from the joint posterior."""
        z = rng.standard_normal(HOURS)
        step = self.sd * z if self.factor is None else self.factor @ z
        if self.centred:
            step = step - step.mean()
        return self.mean + self.draw_scale * step

    def best(self) -> int:
        """The hour of week with the highest posterior mean."""
        return int(np.argmax(self.mean))


@dataclass(frozen=True)
class Choice:
    at: datetime  # the chosen candidate
    best: datetime  # the candidate with the highest posterior mean
    explored: bool  # at != best (the Thompson draw picked another slot than the mean)
    mean: float  # posterior mean log-lift at `at`
    sd: float


# --- the industry heat map -------------------------------------------------------------------


def _industry() -> np.ndarray:
    """INDUSTRY (below): an hour-of-day profile times day factors, mean 1.0."""
    hour = np.arange(24, dtype=float)

    def bump(centre: float, width: float, height: float) -> np.ndarray:
        d = np.abs(hour - centre) % 24.0
        d = np.minimum(d, 24.0 - d)
        return height * np.exp(-(d**2) / (2.0 * width**2))

    day_profile = 0.12 + bump(11.5, 2.2, 1.0) + bump(15.5, 2.0, 0.35) + bump(19.5, 1.8, 0.2)
    days = np.array([0.92, 1.02, 1.06, 1.0, 0.85, 0.55, 0.5])
    raw = (days[:, None] * day_profile[None, :]).reshape(HOURS)
    out: np.ndarray = raw / raw.mean()
    return out


INDUSTRY: np.ndarray = _industry()
"""One global "industry best times" heat map, (168,) in LOCAL time (hour of week 0 = Monday
00:00), mean 1.0: weekday late mornings to early afternoons best (peak around 11-12h,
Tuesday to Thursday strongest), a smaller afternoon shoulder, evenings, nights and weekends
low. It is an approximation written for this project in the spirit of the heat maps that
social media tool vendors publish (Sprout Social, Hootsuite), not data copied from them:
a baseline to compare with, and optionally a prior mean (``Settings.industry_prior``)."""


def _night() -> np.ndarray:
    """NIGHT (below)."""
    hour = np.arange(24, dtype=float)
    d = np.abs(hour - 3.5)
    d = np.minimum(d, 24.0 - d)
    out: np.ndarray = np.exp(-(d**2) / (2.0 * 2.5**2))
    return out


NIGHT: np.ndarray = _night()
"""(24,) how much of the night each local hour of the day is: 1.0 at 03:30, about 0.4 at
midnight and 07:00, under 0.1 from 10:00 to 21:00: the prior mean of the lift is
``night_prior`` lower in proportion (then centred), as an audience sleeps in its own night."""


# --- hours of the week -----------------------------------------------------------------------


@lru_cache(maxsize=256)
def _zone(zone: str) -> ZoneInfo:
    try:
        return ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"expected an IANA time zone, found {zone!r}") from None


def local_hour_of_week(when: datetime, zone: str) -> int:
    """The hour of week (0 = Monday 00:00 local .. 167 = Sunday 23:00 local) that the aware
    instant ``when`` is in ``zone`` (daylight saving time included)."""
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError(f"expected an aware datetime, found naive {when.isoformat()}")
    local = when.astimezone(_zone(zone))
    return local.weekday() * 24 + local.hour


# --- the prior -------------------------------------------------------------------------------


def _periodic(n: int, period: float, scale: float) -> np.ndarray:
    """A periodic squared-exponential kernel (n x n, unit variance) on points 0..n-1 around
    a circle of ``period``; ``scale`` is the length scale near 0 (hours)."""
    idx = np.arange(n, dtype=float)
    d = idx[:, None] - idx[None, :]
    ell = 2.0 * math.pi * scale / period
    out: np.ndarray = np.exp(-2.0 * np.sin(math.pi * d / period) ** 2 / ell**2)
    return out


@lru_cache(maxsize=64)
def _prior(settings: Settings) -> tuple[np.ndarray, np.ndarray]:
    """The prior mean and covariance of the lift (168,), (168, 168) for these settings."""
    hours = np.arange(HOURS)
    day = hours // 24
    hod = hours % 24
    cov = settings.day_sd**2 * (day[:, None] == day[None, :]).astype(float)
    kh = _periodic(24, 24.0, settings.hour_scale)
    cov = cov + settings.hour_sd**2 * kh[hod[:, None], hod[None, :]]
    cov = cov + settings.week_sd**2 * _periodic(HOURS, float(HOURS), settings.week_scale)
    mean = np.zeros(HOURS)
    if settings.night_prior:
        mean = mean - settings.night_prior * NIGHT[hod]
    if settings.industry_prior:
        log = np.log(INDUSTRY)
        mean = mean + settings.industry_prior * (log - log.mean())
    mean = mean - mean.mean()
    mean.flags.writeable = False
    cov.flags.writeable = False
    return mean, cov


# --- the posterior ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Stats:
    """One group's data (one level): per hour of week, how many values and their sum."""

    counts: np.ndarray  # (168,) float
    sums: np.ndarray  # (168,)

    @property
    def n(self) -> float:
        return float(self.counts.sum())


def _data_terms(
    groups: dict[str, _Stats], noise_sd: float, media_sd: float
) -> tuple[np.ndarray, np.ndarray]:
    """The precision and linear term one platform's groups add to the lift's posterior,
    the levels integrated out. Groups ``kind|media`` of one ``kind`` (followers known or
    not) share a level with a flat prior, and each media kind adds an offset of prior sd
    ``media_sd`` to it (0: no offsets). With the levels ``l`` (prior precision ``L``), the
    data give the joint precision [[A, B], [B', C + L]] and linear term [a, c]; what is
    left for the lift is A - B (C + L)^-1 B' and a - B (C + L)^-1 c."""
    precision = np.zeros((HOURS, HOURS))
    linear = np.zeros(HOURS)
    var = noise_sd**2
    kinds: dict[str, list[_Stats]] = {}
    for key in sorted(groups):
        kinds.setdefault(key.split("|", 1)[0], []).append(groups[key])
    for members in kinds.values():
        if media_sd <= 0 and len(members) > 1:
            members = [
                _Stats(
                    np.sum([g.counts for g in members], axis=0),
                    np.sum([g.sums for g in members], axis=0),
                )
            ]
        total = sum(g.n for g in members)
        if total <= 0:
            continue
        counts = np.stack([g.counts for g in members])  # (G, 168)
        sums = np.stack([g.sums for g in members])
        precision[np.diag_indices(HOURS)] += counts.sum(axis=0) / var
        linear += sums.sum(axis=0) / var
        if len(members) == 1:
            n = counts[0]
            precision -= np.outer(n, n) / (total * var)
            linear -= n * (float(sums.sum()) / total) / var
            continue
        # levels: the kind's level (flat), then one offset per media kind
        b = np.vstack([counts.sum(axis=0), counts]).T / var  # (168, 1 + G)
        per = counts.sum(axis=1)
        c = np.zeros((1 + len(members), 1 + len(members)))
        c[0, 0] = total
        c[0, 1:] = c[1:, 0] = per
        c[1:, 1:] = np.diag(per)
        c = c / var
        c[1:, 1:] += np.eye(len(members)) / media_sd**2
        rhs = np.concatenate(([float(sums.sum())], sums.sum(axis=1))) / var
        solved = np.linalg.solve(c, np.column_stack([b.T, rhs]))
        precision -= b @ solved[:, :HOURS]
        linear -= b @ solved[:, HOURS]
    return precision, linear


def _update(
    mean: np.ndarray, cov: np.ndarray, precision: np.ndarray, linear: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The Gaussian posterior from prior N(mean, cov) and data terms (precision, linear),
    in covariance form (no inverse of the prior): cov' = (I + cov P)^-1 cov."""
    if not precision.any():
        return mean, cov
    post_cov = np.linalg.solve(np.eye(HOURS) + cov @ precision, cov)
    post_cov = 0.5 * (post_cov + post_cov.T)
    post_mean = mean + post_cov @ (linear - precision @ mean)
    return post_mean, post_cov


def _centre(mean: np.ndarray, cov: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The lift centred over the week: C mean, C cov C with C = I - 11'/168."""
    m = mean - mean.mean()
    row = cov.mean(axis=0)
    c = cov - row[None, :] - row[:, None] + row.mean()
    return m, c


def _factor(cov: np.ndarray) -> np.ndarray:
    """A factor L of ``cov`` (L L' = cov, up to a tiny nugget): Cholesky's, or from the
    eigenvalues (negative rounding errors set to 0) when rounding makes it fail."""
    sym = 0.5 * (cov + cov.T)
    scale = max(float(np.mean(np.abs(np.diag(sym)))), 1e-12)
    try:
        out: np.ndarray = np.linalg.cholesky(sym + _NUGGET * scale * np.eye(HOURS))
    except np.linalg.LinAlgError:
        values, vectors = np.linalg.eigh(sym)
        out = vectors * np.sqrt(np.clip(values, 0.0, None))
    return out


def _curve(
    mean: np.ndarray, cov: np.ndarray, posts: int, settings: Settings, *, centred: bool = True
) -> Curve:
    if centred:
        mean, cov = _centre(mean, cov)
    sd = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    return Curve(mean=np.array(mean), sd=sd, posts=posts, factor=_factor(cov),
                 draw_scale=float(settings.draw_scale), centred=centred)  # fmt: skip


# --- observations to groups ------------------------------------------------------------------


def _clip(y: np.ndarray, clip: float, noise_sd: float) -> np.ndarray:
    """``y`` clipped to its median +- ``clip`` robust sd (1.4826 x MAD; ``noise_sd`` when
    there are fewer than 5 values or no spread)."""
    if clip <= 0 or len(y) == 0:
        return y
    centre = float(np.median(y))
    scale = 1.4826 * float(np.median(np.abs(y - centre))) if len(y) >= 5 else 0.0
    if scale <= 0:
        scale = noise_sd
    out: np.ndarray = np.clip(y, centre - clip * scale, centre + clip * scale)
    return out


def _value(obs: Observation) -> tuple[float, bool]:
    """y of one observation, and whether its followers were known."""
    engagement = float(obs.engagement)
    if not math.isfinite(engagement) or engagement < 0:
        raise ValueError(f"slot model: engagement must be a finite number of 0 or more, found {obs.engagement!r}")  # fmt: skip
    y = math.log1p(engagement)
    followers = obs.followers
    if followers is not None and math.isfinite(followers) and followers > 0:
        return y - math.log(followers), True
    return y, False


# --- the model -------------------------------------------------------------------------------


class SlotModel:
    """A brand's slot curves: per audience zone and platform, the groups' per-hour counts
    and sums of y (module docstring). ``fit`` learns it; ``curve`` reads one."""

    def __init__(self, settings: Settings, stats: dict[str, dict[str, dict[str, _Stats]]]) -> None:
        self.settings = settings
        self._stats = stats  # zone -> platform -> group key -> stats
        self._curves: dict[tuple[str, str], Curve] = {}
        self._pools: dict[tuple[str, str | None], tuple[np.ndarray, np.ndarray]] = {}

    @classmethod
    def fit(cls, observations: Sequence[Observation], settings: Settings | None = None) -> SlotModel:  # fmt: skip
        """Learn from settled posts (each read in its audience's zone)."""
        s = settings or Settings()
        by_block: dict[tuple[str, str, str], tuple[list[int], list[float], list[str]]] = {}
        for obs in observations:
            y, known = _value(obs)
            hour = local_hour_of_week(obs.posted_at, obs.zone)
            kind = "followers" if known else "raw"
            hours, values, media = by_block.setdefault((obs.zone, obs.platform, kind), ([], [], []))  # fmt: skip
            hours.append(hour)
            values.append(y)
            media.append(obs.media if obs.media in MEDIA else "unknown")
        stats: dict[str, dict[str, dict[str, _Stats]]] = {}
        for (zone, platform, kind), (hours, values, media) in sorted(by_block.items()):
            ys = _clip(np.asarray(values, dtype=float), s.clip, s.noise_sd)
            ys = ys - ys.mean()  # the level is learnt apart; centring keeps the sums small
            h = np.asarray(hours, dtype=np.int64)
            kinds = np.asarray(media)
            for name in sorted(set(media)):
                mask = kinds == name
                counts = np.bincount(h[mask], minlength=HOURS).astype(float)
                sums = np.bincount(h[mask], weights=ys[mask], minlength=HOURS)
                group = _Stats(counts, sums)
                stats.setdefault(zone, {}).setdefault(platform, {})[f"{kind}|{name}"] = group
        return cls(s, stats)

    # the pool: the posterior from the zone's posts on the platforms other than `without`
    def _pool(self, zone: str, without: str | None) -> tuple[np.ndarray, np.ndarray]:
        key = (zone, without)
        if key not in self._pools:
            mean, cov = _prior(self.settings)
            precision = np.zeros((HOURS, HOURS))
            linear = np.zeros(HOURS)
            for platform, groups in self._stats.get(zone, {}).items():
                if platform != without:
                    p, r = _data_terms(groups, self.settings.noise_sd, self.settings.media_sd)
                    precision += p
                    linear += r
            self._pools[key] = _update(mean, cov, precision, linear)
        return self._pools[key]

    def curve(self, platform: str, zone: str) -> Curve:
        """The lift per local hour of the week in ``zone`` for posts on ``platform``: its own
        posts there, starting from the brand's pool (the zone's posts on its other
        platforms), itself starting from the prior. A platform without posts there gets the
        whole pool; a zone without posts, the prior. Both widened by ``platform_sd``."""
        key = (platform, zone)
        if key in self._curves:
            return self._curves[key]
        s = self.settings
        own = self._stats.get(zone, {}).get(platform, {})
        _, prior_cov = _prior(s)
        mean, cov = self._pool(zone, platform if own else None)
        cov = cov + s.platform_sd**2 * prior_cov
        posts = 0
        if own:
            precision, linear = _data_terms(own, s.noise_sd, s.media_sd)
            mean, cov = _update(mean, cov, precision, linear)
            posts = int(sum(g.n for g in own.values()))
        found = _curve(mean, cov, posts, s)
        self._curves[key] = found
        return found

    def pooled(self, zone: str) -> Curve:
        """The brand's pool in ``zone``: every platform's posts there, from the prior."""
        mean, cov = self._pool(zone, None)
        posts = int(sum(g.n for gs in self._stats.get(zone, {}).values() for g in gs.values()))
        return _curve(mean, cov, posts, self.settings)

    def zones(self) -> list[str]:
        return sorted(self._stats)

    def platforms(self, zone: str) -> list[str]:
        return sorted(self._stats.get(zone, {}))

    def posts(self, platform: str | None = None, zone: str | None = None) -> int:
        """How many observations the model holds (of a platform, of a zone)."""
        return int(sum(g.n for z, ps in self._stats.items() if zone in (None, z)
                       for p, gs in ps.items() if platform in (None, p)
                       for g in gs.values()))  # fmt: skip

    def to_dict(self) -> dict[str, Any]:
        """The model as plain JSON values: its settings and, per zone, platform and group,
        the hours with posts as [hour, count, sum of y] (floats written with repr are read
        back bit for bit)."""
        zones: dict[str, Any] = {}
        for zone, platforms in self._stats.items():
            zones[zone] = {}
            for platform, groups in platforms.items():
                zones[zone][platform] = {
                    key: [[int(h), int(g.counts[h]), float(g.sums[h])]
                          for h in np.flatnonzero(g.counts)]
                    for key, g in groups.items()
                }  # fmt: skip
        return {"format": FORMAT, "version": FORMAT_VERSION,
                "settings": asdict(self.settings), "zones": zones}  # fmt: skip

    @classmethod
    def from_dict(cls, doc: Any) -> SlotModel:
        """The model ``to_dict`` wrote. ValueError for another format version or a
        malformed document."""
        return _from_doc(doc)


def _bad(what: str) -> ValueError:
    return ValueError(f"slot model: {what}")


def _from_doc(doc: Any) -> SlotModel:
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise _bad(f'not a slot model document (no "format": "{FORMAT}")')
    version = doc.get("version")
    if version != FORMAT_VERSION or isinstance(version, bool):
        raise _bad(f"format version {version!r} is not supported (this code reads version {FORMAT_VERSION})")  # fmt: skip
    raw = doc.get("settings")
    if not isinstance(raw, dict):
        raise _bad('"settings" must be an object')
    known = {f.name for f in fields(Settings)}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise _bad(f"unknown settings {unknown} (written by another version? refit)")
    for name, value in raw.items():
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _bad(f"setting {name} must be a number, found {value!r}")
    try:
        settings = Settings(**raw)
    except ValueError as e:
        raise _bad(str(e)) from None
    zones = doc.get("zones")
    if not isinstance(zones, dict):
        raise _bad('"zones" must be an object')
    stats: dict[str, dict[str, dict[str, _Stats]]] = {}
    for zone, platforms in zones.items():
        try:
            _zone(zone)
        except ValueError:
            raise _bad(f"zone {zone!r} is not an IANA time zone") from None
        if not isinstance(platforms, dict):
            raise _bad(f"zone {zone!r} must map platforms to groups")
        for platform, groups in platforms.items():
            if not isinstance(groups, dict) or not groups:
                raise _bad(f"{zone}/{platform} must map group keys to hours")
            for key, rows in groups.items():
                where = f"{zone}/{platform}/{key}"
                if not isinstance(rows, list) or not rows:
                    raise _bad(f"{where} must be a list of [hour, count, sum]")
                counts = np.zeros(HOURS)
                sums = np.zeros(HOURS)
                for row in rows:
                    if not (isinstance(row, list) and len(row) == 3):
                        raise _bad(f"{where}: expected [hour, count, sum], found {row!r}")
                    hour, count, total = row
                    if isinstance(hour, bool) or not isinstance(hour, int) or not 0 <= hour < HOURS:  # fmt: skip
                        raise _bad(f"{where}: hour {hour!r} is not in 0..167")
                    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
                        raise _bad(f"{where}: count {count!r} is not a whole number of 1 or more")  # fmt: skip
                    if (isinstance(total, bool) or not isinstance(total, int | float)
                            or not math.isfinite(total)):  # fmt: skip
                        raise _bad(f"{where}: sum {total!r} is not a finite number")
                    if counts[hour]:
                        raise _bad(f"{where}: hour {hour} is listed twice")
                    counts[hour] = count
                    sums[hour] = float(total)
                stats.setdefault(zone, {}).setdefault(platform, {})[key] = _Stats(counts, sums)
    return SlotModel(settings, stats)


# --- choosing a slot -------------------------------------------------------------------------


def choose(
    curve: Curve,
    zone: str,
    candidates: Sequence[datetime],
    rng: np.random.Generator,
    *,
    explore: bool = True,
    exclude: Collection[int] = (),
) -> Choice:
    """One of ``candidates`` (aware instants) for a post whose audience lives in ``zone``.

    Thompson sampling: one curve drawn from ``curve``'s posterior; the candidate whose
    local hour of the week scores highest in the draw (ties: the earlier in
    ``candidates``). ``explore=False``: the posterior mean's best instead (no draw, no use
    of ``rng``). Candidates whose local hour of week is in ``exclude`` are left out unless
    no other is left. ValueError when there is no candidate."""
    if not candidates:
        raise ValueError("choose: no candidate instant to choose from")
    hours = [local_hour_of_week(c, zone) for c in candidates]
    allowed = [i for i, h in enumerate(hours) if h not in exclude] or list(range(len(hours)))
    idx = np.asarray([hours[i] for i in allowed], dtype=np.int64)
    best = allowed[int(np.argmax(curve.mean[idx]))]
    if explore:
        draw = curve.sample(rng)
        at = allowed[int(np.argmax(draw[idx]))]
    else:
        at = best
    h = hours[at]
    return Choice(at=candidates[at], best=candidates[best], explored=at != best,
                  mean=float(curve.mean[h]), sd=float(curve.sd[h]))  # fmt: skip


# --- raw (hour, value) pairs ----------------------------------------------------------------


_MAIN_SCALES = tuple(float(x) for x in np.geomspace(0.01, 30.0, 10))
_WEEK_SHARES = (0.0, 0.25, 0.5, 1.0)  # the interaction's sd, x the hour-of-day sd


def _likeliest_prior(
    resid: np.ndarray, counts: np.ndarray, noise_var: float, main_cov: np.ndarray, s: Settings
) -> np.ndarray:
    """The prior covariance of the lift, of a grid, under which the hours' means (around
    the prior's shape) are the most likely: the day and hour-of-day parts (``main_cov``)
    scaled by one of ``_MAIN_SCALES``, plus an interaction whose sd is one of
    ``_WEEK_SHARES`` of the scaled hour-of-day sd. The means' level is integrated out (a
    wide prior), each mean has the noise over its count."""
    seen = np.flatnonzero(counts)
    r = resid[seen]
    noise = np.diag(noise_var / counts[seen])
    wide = 100.0 * max(float(np.var(r)), noise_var)
    week_full = _periodic(HOURS, float(HOURS), s.week_scale)
    week = week_full[np.ix_(seen, seen)]
    main = main_cov[np.ix_(seen, seen)]
    best: tuple[float, float, float] = (-math.inf, 1.0, 0.0)
    for scale in _MAIN_SCALES:
        for share in _WEEK_SHARES:
            week_var = (share * s.hour_sd) ** 2 * scale
            c = scale * main + week_var * week + noise + wide
            try:
                low = np.linalg.cholesky(c)
            except np.linalg.LinAlgError:
                continue
            z = np.linalg.solve(low, r)
            score = -0.5 * float(z @ z) - float(np.sum(np.log(np.diag(low))))
            if score > best[0]:
                best = (score, scale, week_var)
    _, scale, week_var = best
    out: np.ndarray = scale * main_cov + week_var * week_full
    return out


def hourly_profile(
    hours: np.ndarray,
    values: np.ndarray,
    prior: np.ndarray | None = None,
    settings: Settings | None = None,
) -> Curve:
    """The same estimator on raw (hour of week, value) pairs, one level for all of them:
    e.g. log1p counts of an hourly series over several weeks.

    Returns the posterior of the *absolute* value per hour of week (its level included,
    not centred): ``mean[h]`` forecasts a value in hour ``h``, ``sd[h]`` is the
    uncertainty of that mean (not of one value). ``prior`` (168,), in the values' units,
    gives the shape the profile is shrunk toward (its mean is ignored: the level always
    comes from ``values``); without it, toward a flat week. The noise sd and the prior's
    amplitudes are estimated from the values themselves (empirical Bayes: the noise from
    the spread within each hour of week; the size of the day and hour-of-day effects, and
    that of their interaction, as the grid's most likely for the hours' means),
    ``settings`` giving the day and hour-of-day effects' proportions (``day_sd``,
    ``hour_sd``), the length scales, and the noise and prior when the values cannot tell
    them (fewer than 24 hours seen). With three values or more per hour on
    average, each value is first clipped to its hour's median +- ``clip`` robust sd.
    O(len(values)) plus a few 168 x 168 solves: milliseconds for thousands of values."""
    s = settings or Settings()
    h = np.asarray(hours, dtype=np.int64).reshape(-1)
    v = np.asarray(values, dtype=float).reshape(-1)
    if h.shape != v.shape:
        raise ValueError(f"hourly_profile: {h.size} hours but {v.size} values")
    if h.size and (h.min() < 0 or h.max() >= HOURS):
        raise ValueError("hourly_profile: hours of week must be in 0..167")
    keep = np.isfinite(v)
    h, v = h[keep], v[keep]
    shape = np.zeros(HOURS)
    if prior is not None:
        p = np.asarray(prior, dtype=float).reshape(-1)
        if p.shape != (HOURS,) or not np.all(np.isfinite(p)):
            raise ValueError("hourly_profile: the prior must be 168 finite numbers")
        shape = p - p.mean()
    _, base_cov = _prior(Settings(**{**asdict(s), "industry_prior": 0.0, "night_prior": 0.0}))
    _, main_cov = _prior(Settings(**{**asdict(s), "industry_prior": 0.0, "night_prior": 0.0, "week_sd": 0.0}))  # fmt: skip
    n = h.size
    if n == 0:
        cov = base_cov
        sd = np.sqrt(np.clip(np.diag(cov), 0.0, None))
        return Curve(mean=shape, sd=sd, posts=0, factor=_factor(cov), centred=False)
    counts = np.bincount(h, minlength=HOURS).astype(float)
    if s.clip > 0 and n >= 3 * HOURS:
        order = np.lexsort((v, h))
        h, v = h[order], v[order]
        starts = np.concatenate(([0], np.cumsum(counts)[:-1])).astype(np.int64)
        med = np.zeros(HOURS)
        for hour in np.flatnonzero(counts):
            med[hour] = np.median(v[starts[hour] : starts[hour] + int(counts[hour])])
        dev = np.abs(v - med[h])
        scale = 1.4826 * float(np.median(dev))
        if scale > 0:
            v = np.clip(v, med[h] - s.clip * scale, med[h] + s.clip * scale)
    level0 = float(v.mean())
    y = v - level0
    sums = np.bincount(h, weights=y, minlength=HOURS)
    seen = counts > 0
    hour_means = np.zeros(HOURS)
    hour_means[seen] = sums[seen] / counts[seen]
    # the noise: the spread of the values within each hour of the week
    within = float(np.sum((y - hour_means[h]) ** 2))
    dof = n - int(seen.sum())
    noise_var = within / dof if dof >= 10 else s.noise_sd**2
    noise_var = max(noise_var, 1e-8)
    # the prior's amplitudes: the most likely of a grid, from the hours' means
    if int(seen.sum()) >= 24:
        cov = _likeliest_prior(hour_means - shape, counts, noise_var, main_cov, s)
    else:
        cov = base_cov * (noise_var / s.noise_sd**2)
    group = _Stats(counts, sums)
    precision, linear = _data_terms({"values|all": group}, math.sqrt(noise_var), 0.0)
    f_mean, f_cov = _update(shape, cov, precision, linear)
    # the level (flat prior) given the lift: mu = (S - n.f) / N + e, e ~ N(0, noise / N);
    # the absolute value a = mu + f = c + e + (I - 1 w') f with w = n / N
    w = counts / n
    level = (float(sums.sum()) - float(counts @ f_mean)) / n
    mean = level0 + level + f_mean
    t = np.eye(HOURS) - np.outer(np.ones(HOURS), w)
    cov_abs = t @ f_cov @ t.T + noise_var / n
    sd = np.sqrt(np.clip(np.diag(cov_abs), 0.0, None))
    return Curve(mean=mean, sd=sd, posts=int(n), factor=_factor(cov_abs),
                 draw_scale=1.0, centred=False)  # fmt: skip
