"""Streaming volume-anomaly detector (``socialops detect``, the alert function).

Causal: the score of a point depends only on that point and the ones before it, so a
detector fed one bucket at a time gives the same scores as one run over the whole series.

Model, in log space (``y = sign(v) * log1p(|v|)``: ``log1p(count)`` for counts, and any
real value has its place):

- expected value ``L + H[hour of day] + W[day of week]``: a slow level ``L`` and additive
  hour-of-day and day-of-week offsets, all exponentially weighted, so the baseline adapts
  to each series' normal level and to its daily and weekly rhythm;
- residual ``r = y - expected``; its typical size ``D`` is an exponentially weighted mean
  absolute residual; every update uses ``r`` clipped to ``CLIP * D`` so a burst barely
  moves the baseline;
- the short-term excess is the mean residual over the last ``smooth`` points; its robust
  z-score ``z = excess / D`` (a drop's ``-excess`` weighed by ``drops``: 0 for the alert
  function's mention bursts, :data:`VOLUME`) is squashed to ``z**2 / (z**2 + z_alert**2)``
  (0.5 at ``z = z_alert``);
- a warm-up (the first ``warmup_hours`` of data) scores 0, and after an alert the score
  stays below 0.5 for ``refractory_hours``, so one incident gives one alert;
- a point earlier than one already fed is scored against the model as it stands and
  teaches it nothing (time does not go back); a repeated time is one more point.

Pure Python: no numpy, statsmodels or scikit-learn at import or run time.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

ALERT = 0.5
BELOW_ALERT = 0.49  # the cap on scores during the refractory period
STATE_VERSION = 2  # of to_state(); 2: Params.drops
READABLE = (1, STATE_VERSION)  # the versions from_state reads
CLIP = 3.0  # residuals are clipped to CLIP * D before they update the baseline


@dataclass(frozen=True)
class Params:
    """The detector's settings; the defaults are chosen by leave-one-series-out
    cross-validation over NAB's 42 real series (benchmarks/README.md, Crisis detection)."""

    warmup_hours: float = 24.0
    smooth: int = 18  # points averaged for the short-term excess (1.5 h at 5 min)
    level_halflife_hours: float = 48.0
    season_halflife_days: float = 4.0
    scale_halflife_hours: float = 24.0
    z_alert: float = 1.75
    refractory_hours: float = 12.0
    drops: float = 0.75  # a drop's z counts this much (0: bursts only; 1: as a burst)


# The alert function's volume rules keep the settings they were written for: a crisis is
# a burst of mentions (a drop scores 0), and a rule's sensitivity reads as deviations of
# the one-hour excess (rules.volume_threshold: 0.5 fires at 2 deviations, 0.7 at about
# 1.3), as campaigns were written against. The cross-validated corner (smooth 18, z_alert
# 1.75) fires on a normal synthetic week at sensitivity 0.7 (benchmarks/README.md).
VOLUME = Params(smooth=12, level_halflife_hours=24.0, z_alert=2.0, refractory_hours=24.0,
                drops=0.0)  # fmt: skip


def _seconds(moment: datetime | float) -> float:
    if isinstance(moment, datetime):
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.timestamp()
    return float(moment)


def _decay(halflife_s: float, step_s: float) -> float:
    """The weight a new point gets in an EWMA whose half-life is ``halflife_s``."""
    return 1.0 - 0.5 ** (max(step_s, 1.0) / max(halflife_s, 1.0))


class Detector:
    """Feed points in time order with :meth:`update`; each call returns that point's score."""

    def __init__(self, params: Params | None = None) -> None:
        self.params = params or Params()
        self.start: float | None = None
        self.last: float | None = None
        self.step = 300.0  # seconds between points, learnt from the data
        self.level = 0.0
        self.hour = [0.0] * 24
        self.day = [0.0] * 7
        self.scale = 0.0
        self.n = 0
        self.recent: deque[float] = deque(maxlen=max(1, self.params.smooth))
        self.quiet_until = -math.inf
        self.raw = 0.0  # the last point's score before the refractory cap (alert rules)

    def to_state(self) -> dict[str, Any]:
        """Everything :meth:`update` depends on, JSON-able and compact: a detector rebuilt
        with :meth:`from_state` scores the next points exactly as this one would (floats
        are kept whole; JSON round-trips them exactly)."""
        return {
            "v": STATE_VERSION,
            "params": asdict(self.params),
            "start": self.start, "last": self.last, "step": self.step, "n": self.n,
            "level": self.level, "hour": self.hour, "day": self.day, "scale": self.scale,
            "recent": list(self.recent),
            "quiet_until": None if self.quiet_until == -math.inf else self.quiet_until,
            "raw": self.raw,
        }  # fmt: skip

    @classmethod
    def from_state(cls, state: Mapping[str, Any], params: Params | None = None) -> Detector:
        """The detector :meth:`to_state` described (``ValueError`` if it is not one), with
        ``params`` instead of the stored ones if given. A version 1 state (before
        ``drops``) is read as well: the model it learnt is the same."""
        if state.get("v") not in READABLE:
            raise ValueError(f"detector state version {state.get('v')!r}, not {STATE_VERSION}")
        try:
            detector = cls(params or Params(**state["params"]))
            start, last, quiet = state["start"], state["last"], state["quiet_until"]
            detector.start = None if start is None else float(start)
            detector.last = None if last is None else float(last)
            detector.step, detector.n = float(state["step"]), int(state["n"])
            detector.level, detector.scale = float(state["level"]), float(state["scale"])
            detector.hour = [float(x) for x in state["hour"]]
            detector.day = [float(x) for x in state["day"]]
            detector.recent.extend(float(x) for x in state["recent"])
            detector.quiet_until = -math.inf if quiet is None else float(quiet)
            detector.raw = float(state.get("raw", 0.0))
        except (KeyError, TypeError) as error:
            raise ValueError(f"not a detector state: {error}") from None
        if len(detector.hour) != 24 or len(detector.day) != 7:
            raise ValueError("not a detector state: 24 hour and 7 day offsets expected")
        return detector

    def expected(self, t: float) -> float:
        """Expected ``log1p(count)`` at epoch second ``t``."""
        hour = int(t // 3600) % 24
        dow = (int(t // 86400) + 3) % 7  # 1970-01-01 was a Thursday (Monday = 0)
        return self.level + self.hour[hour] + self.day[dow]

    def _score(self, t: float, excess: float) -> float:
        """The squashed z of ``excess`` (0 while warming up, and for a drop unless
        ``drops``)."""
        p = self.params
        if self.start is None or t - self.start < p.warmup_hours * 3600.0 or self.scale <= 0:
            return 0.0
        z = (excess if excess >= 0 else -p.drops * excess) / self.scale
        return min(1.0, z * z / (z * z + p.z_alert * p.z_alert))

    def update(self, moment: datetime | float, value: float) -> float:
        p = self.params
        t = _seconds(moment)
        v = float(value)
        y = math.copysign(math.log1p(abs(v)), v)
        if self.start is None:
            self.start, self.last, self.level = t, t, y
            self.n = 1
            self.recent.append(0.0)
            self.raw = 0.0
            return 0.0
        last = self.last if self.last is not None else t
        hour = int(t // 3600) % 24
        dow = (int(t // 86400) + 3) % 7
        r = y - (self.level + self.hour[hour] + self.day[dow])
        if t < last:  # a point earlier than one already fed: scored, nothing learnt
            kept = list(self.recent)[1:] if len(self.recent) == self.recent.maxlen else list(self.recent)  # fmt: skip
            score = self._score(t, (sum(kept) + r) / (len(kept) + 1))
            return min(score, BELOW_ALERT) if t < self.quiet_until else score
        gap = t - last
        if gap > 0:
            self.step = gap if self.n == 1 else min(self.step, gap)
        self.last = t
        self.n += 1
        self.recent.append(r)
        score = self._score(t, sum(self.recent) / len(self.recent))
        self.raw = score
        if t < self.quiet_until:
            score = min(score, BELOW_ALERT)
        elif score >= ALERT:
            self.quiet_until = t + p.refractory_hours * 3600.0
        # learn: faster while young (1/n), never slower than the half-lives say
        step = self.step
        young = 1.0 / self.n
        a_level = max(_decay(p.level_halflife_hours * 3600.0, step), young)
        a_scale = max(_decay(p.scale_halflife_hours * 3600.0, step), young)
        # an hour-of-day slot is visited 3600/step times a day, a weekday 86400/step a week
        season_s = p.season_halflife_days * 86400.0
        a_hour = max(_decay(season_s * step / 3600.0, step), young)
        a_day = max(_decay(season_s * 7.0 * step / 86400.0, step), young)
        limit = CLIP * self.scale if self.scale > 0 else abs(r)
        rc = max(-limit, min(limit, r))
        self.level += a_level * rc
        self.hour[hour] += a_hour * (rc - self.hour[hour] * a_level)
        self.day[dow] += a_day * (rc - self.day[dow] * a_level)
        size = min(abs(r), 2.0 * CLIP * self.scale) if self.scale > 0 else abs(r)
        self.scale += a_scale * (size - self.scale)
        return score


def score_series(
    moments: Sequence[datetime | float], values: Iterable[float], params: Params | None = None
) -> list[float]:
    """Anomaly scores in [0, 1] for a whole series, in order (0.5 and above is an alert)."""
    detector = Detector(params)
    return [detector.update(m, v) for m, v in zip(moments, values, strict=True)]
