"""The alert rules' arithmetic, pure: buckets, windows, conditions and incident steps, the
rules as a campaign declares them (:class:`RuleRef`) and the volume detector's replay.

Times are epoch seconds (ints) of bucket boundaries. A bucket ``[s, s + 5 min)`` is
complete, and used, once ``LATENESS_S`` has passed after its end: ``ingest`` polls every
5 minutes and ``score`` counts a mention a little after it is queued, so a run at 10:15
uses the buckets up to 10:05-10:10 (its ``cutoff`` is 10:10). A mention counted later than
that still counts: the window rules re-read their window every run, and the volume
detector is replayed over the last ``LATE_S`` (6 h) of buckets every run from its state
as of 6 h ago (:func:`replay`), so mentions a platform delivers late, a retried ``score``
batch or a redrive from the dead-letter queue still reach it, as long as they are counted
within 6 h of their bucket's first evaluation; after that the bucket is settled.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from functions.alert.detector import VOLUME, Detector
from schema.types import MAX_WINDOW_S, duration_seconds

BUCKET_S = 300
LATENESS_S = 300
HOUR_S = 3600
LATE_S = 6 * HOUR_S  # how long after its first evaluation a bucket still feeds the detector
POLARITY_MARGIN = 0.05  # hysteresis: a sentiment incident clears at `below` + this
SHARE_MARGIN = 0.05  # a negative-share incident clears at `above` - this
VOLUME_MARGIN = 0.1  # a volume incident clears when the score is this far below its threshold
MIN_THRESHOLD = 0.05  # sensitivity 1 still needs some excess


def stamp(t: int) -> str:
    """A bucket key as ``score`` writes it: ``YYYY-MM-DDTHH:MMZ``."""
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%MZ")


def parse_stamp(text: str) -> int:
    when = datetime.strptime(text, "%Y-%m-%dT%H:%MZ").replace(tzinfo=UTC)
    return int(when.timestamp())


def cutoff(at: datetime) -> int:
    """The end (exclusive) of the last complete bucket at ``at``."""
    t = int(at.timestamp()) - LATENESS_S
    return t - t % BUCKET_S


@dataclass
class Bucket:
    start: int
    mentions: float = 0.0
    polarity_sum: float = 0.0
    negatives: float = 0.0
    positives: float = 0.0
    bots: float = 0.0
    terms: dict[str, float] = field(default_factory=dict)


NUMBERS = ("mentions", "polarity_sum", "negatives", "positives", "bots")


def bucket_of(item: Mapping[str, Any]) -> Bucket:
    """A bucket from a (deserialised) DynamoDB item; ``ValueError`` says what is wrong."""
    sk = item.get("sk")
    if not isinstance(sk, str):
        raise ValueError("no sort key")
    try:
        start = parse_stamp(sk)
    except ValueError:
        raise ValueError(f"sort key {sk!r} is not a bucket start (YYYY-MM-DDTHH:MMZ)") from None
    if start % BUCKET_S:
        raise ValueError(f"sort key {sk!r} is not on a 5-minute boundary")
    values: dict[str, float] = {}
    for name in NUMBERS:
        raw = item.get(name, 0)
        try:
            value = float(raw)
        except (TypeError, ValueError):
            raise ValueError(f"{name} is {raw!r}, not a number") from None
        if not math.isfinite(value) or (value < 0 and name != "polarity_sum"):
            raise ValueError(f"{name} is {raw!r}")
        values[name] = value
    terms = {}
    for name, raw in item.items():
        if name.startswith("term:"):
            try:
                terms[name[5:]] = float(raw)
            except (TypeError, ValueError):
                raise ValueError(f"{name} is {raw!r}, not a number") from None
    return Bucket(start, terms=terms, **values)


@dataclass
class Window:
    start: int
    end: int
    mentions: float = 0.0
    polarity_sum: float = 0.0
    negatives: float = 0.0
    positives: float = 0.0
    bots: float = 0.0
    terms: Counter[str] = field(default_factory=Counter)

    @property
    def mean_polarity(self) -> float | None:
        return self.polarity_sum / self.mentions if self.mentions else None

    @property
    def negative_share(self) -> float | None:
        return self.negatives / self.mentions if self.mentions else None


def window(buckets: Iterable[Bucket], start: int, end: int) -> Window:
    """Sums over the buckets that start in ``[start, end)``."""
    w = Window(start, end)
    for b in buckets:
        if start <= b.start < end:
            w.mentions += b.mentions
            w.polarity_sum += b.polarity_sum
            w.negatives += b.negatives
            w.positives += b.positives
            w.bots += b.bots
            w.terms.update(b.terms)
    return w


@dataclass(frozen=True)
class Check:
    """One evaluation of a rule: ``firing`` (the condition holds, with the rule's minimum of
    mentions), ``clear`` (the value is off by more than the hysteresis margin, whatever the
    count, or there are no mentions; between the two an open incident stays open)."""

    firing: bool
    clear: bool
    value: float | None
    mentions: float
    measured: str  # in words, for the notice


def sentiment(w: Window, below: float, min_mentions: int) -> Check:
    mean = w.mean_polarity
    enough = w.mentions >= min_mentions and mean is not None
    firing = enough and mean is not None and mean < below
    clear = mean is None or mean >= below + POLARITY_MARGIN
    measured = (f"mean polarity {mean:+.2f} over {w.mentions:,.0f} mentions"
                if mean is not None else "no mentions")  # fmt: skip
    return Check(firing, clear, mean, w.mentions, _few(measured, w.mentions, min_mentions))


def negative_share(w: Window, above: float, min_mentions: int) -> Check:
    share = w.negative_share
    enough = w.mentions >= min_mentions and share is not None
    firing = enough and share is not None and share > above
    clear = share is None or share <= above - SHARE_MARGIN
    measured = (f"negative share {share:.0%} ({w.negatives:,.0f} of {w.mentions:,.0f} mentions)"
                if share is not None else "no mentions")  # fmt: skip
    return Check(firing, clear, share, w.mentions, _few(measured, w.mentions, min_mentions))


def _few(measured: str, mentions: float, min_mentions: int) -> str:
    """Under the rule's minimum a rule cannot fire, but an open incident does not resolve
    for want of mentions: only once the value itself is past the margin (or nobody
    mentions the brand at all) for the rule's window, so a crisis that quietens while
    people are still angry stays open. The words say that the count is under the minimum."""
    if mentions >= min_mentions or measured == "no mentions":
        return measured
    return f"fewer mentions than the rule's {min_mentions:,} ({measured})"


def volume_threshold(sensitivity: float) -> float:
    """The detector score a volume rule fires at: ``1 - sensitivity`` (sensitivity 0.5 is
    the detector's own alert level, 0.5, a one-hour excess of 2 typical deviations; 0.7
    fires at 0.3, about 1.3 deviations; 0.2 at 0.8, 4 deviations)."""
    return max(MIN_THRESHOLD, 1.0 - sensitivity)


def volume(
    scores: Iterable[float], latest: float, hour_mentions: float, sensitivity: float,
    min_mentions: int, usual: float | None,
) -> Check:  # fmt: skip
    """``scores``: the detector's (uncapped) scores of the buckets fed this run within the
    last hour; ``latest``: the score of the last complete bucket."""
    threshold = volume_threshold(sensitivity)
    peak = max(scores, default=latest)
    firing = peak >= threshold and hour_mentions >= min_mentions
    clear = latest < max(threshold - VOLUME_MARGIN, threshold / 2) or hour_mentions < min_mentions
    ratio = f" ({hour_mentions / usual:.1f}x)" if usual and usual >= 1 else ""
    usual_text = f", usual for this hour about {usual:,.0f}{ratio}" if usual is not None else ""
    measured = (f"{hour_mentions:,.0f} mentions in the last hour{usual_text}; anomaly score "
                f"{peak:.2f} (alert at {threshold:.2f})")  # fmt: skip
    return Check(firing, clear, peak, hour_mentions, measured)


# ---- incidents ------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    state: dict[str, Any]
    event: str | None  # "fired", "resolved" or None
    notify: bool  # whether the event is told (cooldown suppresses a re-fire and its end)


def step(state: Mapping[str, Any] | None, check: Check, t: int, hold_s: int,
         cooldown_s: int) -> Step:  # fmt: skip
    """One rule's incident state after an evaluation at cutoff ``t``.

    Closed → open when the condition holds; told unless it fires within ``cooldown_s`` of
    the previous incident's resolution (a suppressed incident's resolution is not told
    either). Open → closed once the condition has been clear (past the hysteresis margin)
    for ``hold_s`` without interruption (a value between the threshold and the margin is
    not clear: the wait starts again).
    """
    s = dict(state or {"status": "closed"})
    if check.value is not None:
        s["last_value"] = round(check.value, 4)
    s["last_at"] = t
    if s.get("status") != "open":
        if not check.firing:
            return Step(s, None, False)
        closed = s.get("closed_at")
        quiet = isinstance(closed, int) and t - closed < cooldown_s
        s.update(status="open", opened_at=t, clear_since=None, notified=not quiet,
                 fired_value=s.get("last_value"))  # fmt: skip
        return Step(s, "fired", not quiet)
    if not check.clear:
        s["clear_since"] = None
        return Step(s, None, False)
    since = s.get("clear_since")
    since = since if isinstance(since, int) else t
    s["clear_since"] = since
    if t - since < hold_s:
        return Step(s, None, False)
    s.update(status="closed", closed_at=t, clear_since=None)
    return Step(s, "resolved", bool(s.get("notified")))


# ---- the rules of a campaign ----------------------------------------------------------


@dataclass(frozen=True)
class RuleRef:
    campaign: str
    brand: str
    alert: Any  # schema.alerts.Alert

    @property
    def key(self) -> str:
        return f"{self.campaign}/{self.alert.name}"

    @property
    def span_s(self) -> int:
        """The window the rule reads, and how long it must be clear to resolve (at most
        what validation allows, whatever a config says)."""
        within = getattr(self.alert, "within", None)
        return min(duration_seconds(within), MAX_WINDOW_S) if within else HOUR_S

    @property
    def cooldown_s(self) -> int:
        return duration_seconds(self.alert.cooldown)

    def threshold(self) -> str:
        a = self.alert
        if a.type == "sentiment":
            return (f"mean polarity below {a.below:+.2f} over {a.within} with at least "
                    f"{a.min_mentions:,} mentions")  # fmt: skip
        if a.type == "negative_share":
            return (f"negative share above {a.above:.0%} over {a.within} with at least "
                    f"{a.min_mentions:,} mentions")  # fmt: skip
        return (f"mentions far above the usual for the hour (sensitivity {a.sensitivity:g}: "
                f"anomaly score {volume_threshold(a.sensitivity):.2f} or more) with at "
                f"least {a.min_mentions:,} mentions in the last hour")  # fmt: skip

    def targets(self, alerts_topic: str) -> list[str]:
        """Where its notices go: ``alerts`` (the AlertsTopic, when the rule e-mails and the
        stack has the topic), ``sns:<arn>``, ``slack:<secret name>``."""
        n = self.alert.notify
        found = ["alerts"] if n.email and alerts_topic else []
        return found + [f"sns:{arn}" for arn in n.sns] + [f"slack:{name}" for name in n.slack]


# ---- the volume detector over late buckets --------------------------------------------


@dataclass
class Volume:
    settled: dict[str, Any]  # the detector's state to keep: fed the buckets older than LATE_S
    scores: list[float]  # uncapped scores of the last hour's buckets
    latest: float  # the score of the last complete bucket
    usual: float | None  # expected mentions in the last hour (None while warming up)


def replay(detector: Detector | None, counts: Mapping[int, float], first: int, t: int) -> Volume:
    """The detector at cutoff ``t``: ``detector`` (its state as the previous run settled
    it; None: a fresh one from bucket ``first``) fed the buckets up to ``t - LATE_S`` for
    good, then a copy of it fed the recent ones as they are counted now (a missing bucket
    is 0 mentions). Each run scores the recent buckets again, so mentions counted late
    change the scores as if they had been there all along; the scores are those of one
    pass over the series as it is now."""
    settle = t - LATE_S
    if detector is None:
        detector, start = Detector(VOLUME), first
    else:
        assert detector.last is not None
        start = int(detector.last) + BUCKET_S
    for s in range(start, settle, BUCKET_S):
        detector.update(float(s), counts.get(s, 0.0))
    settled = detector.to_state()
    live = Detector.from_state(settled)
    scores: list[float] = []
    for s in range(max(start, settle), t, BUCKET_S):
        live.update(float(s), counts.get(s, 0.0))
        if s >= t - HOUR_S:
            scores.append(live.raw)
    usual = None
    if live.start is not None and t - live.start >= live.params.warmup_hours * 3600:
        usual = sum(math.expm1(live.expected(float(s))) for s in range(t - HOUR_S, t, BUCKET_S))
    return Volume(settled, scores, live.raw, usual)
