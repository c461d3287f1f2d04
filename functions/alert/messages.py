"""The words of alert notices: what fired and why, its resolution, a rule's withdrawal, and
the pause action. Composed once, when the incident opens or ends, and kept in the outbox
(outbox.py) as they were written."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from functions.alert import notify, rules
from functions.alert.rules import BUCKET_S, HOUR_S, Bucket, Check, RuleRef, Volume, stamp
from functions.alert.store import Deps, Run


def when(t: int) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d %H:%M UTC")


def _span(start: int, end: int) -> str:
    return f"{when(start)} to {datetime.fromtimestamp(end, UTC):%H:%M} UTC"


def _duration(span: timedelta) -> str:
    minutes = int(span.total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"


def firing(ref: RuleRef, result: Check, buckets: Sequence[Bucket], t: int,
           volume: Volume | None, action: str, deps: Deps, run: Run) -> str:  # fmt: skip
    w = rules.window(buckets, t - ref.span_s, t)
    hour = rules.window(buckets, t - HOUR_S, t)
    lines = [
        f"ALERT: {ref.alert.name} (campaign {ref.campaign}) fired for brand {ref.brand}, "
        f"with data until {when(t)}.",
        "",
        f"Rule: {ref.threshold()}.",
        f"Measured ({_span(t - ref.span_s, t)}): {result.measured}.",
    ]  # fmt: skip
    if w.mentions:
        mean = w.mean_polarity or 0.0
        share = w.negative_share or 0.0
        lines.append(f"In that window: {w.mentions:,.0f} mentions, mean polarity {mean:+.2f}, "
                     f"negative share {share:.0%} ({w.negatives:,.0f} negative, "
                     f"{w.positives:,.0f} positive), {w.bots / w.mentions:.0%} likely bots.")  # fmt: skip
    if ref.alert.type != "volume_anomaly":
        usual = volume.usual if volume else None
        tail = f" (usual for this hour about {usual:,.0f})" if usual is not None else ""
        lines.append(f"Volume: {hour.mentions:,.0f} mentions in the last hour{tail}.")
    top = w.terms.most_common(5)
    if top:
        lines.append("Top terms: " + ", ".join(f'"{term}" {n:,.0f}' for term, n in top) + ".")
    posts = _examples(ref, t, deps, run)
    if posts:
        lines += ["", "Most negative recent posts:"]
        lines += [f"{i}. {p.line()}" for i, p in enumerate(posts, 1)]
    lines += ["", action,
              f"Incident incident#{ref.key} opened at {stamp(t)}; one more notice comes when it "
              f"resolves (condition clear for {_duration(timedelta(seconds=ref.span_s))})."]  # fmt: skip
    return "\n".join(lines)


def _examples(ref: RuleRef, t: int, deps: Deps, run: Run) -> list[notify.Example]:
    if deps.s3 is None or not deps.raw_bucket:
        return []
    start = t - ref.span_s
    days = sorted({datetime.fromtimestamp(s, UTC).strftime("%Y-%m-%d")
                   for s in (start, t - BUCKET_S)})  # fmt: skip
    try:
        return notify.examples(deps.s3, deps.raw_bucket, ref.brand, days, stamp(start), stamp(t))
    except Exception as error:  # S3 errors: the notice goes without examples
        run.fail(deps, f"rule {ref.key}", f"example posts not read: {notify._aws_reason(error)}")
        return []


def resolved(ref: RuleRef, result: Check, opened: int, t: int) -> str:
    lasted = timedelta(seconds=t - opened)
    lines = [
        f"RESOLVED: {ref.alert.name} (campaign {ref.campaign}) for brand {ref.brand}.",
        "",
        f"Rule: {ref.threshold()}.",
        f"Now ({_span(t - ref.span_s, t)}): {result.measured}.",
        f"The incident opened with data until {when(opened)} and lasted about "
        f"{_duration(lasted)}; its condition has been clear for {_duration(timedelta(seconds=ref.span_s))}.",
    ]  # fmt: skip
    if ref.alert.action == "pause_publishing":
        lines.append(f"Publishing for {ref.brand} stays paused: it does not resume by itself. "
                     f"A person resumes it with `socialops resume {ref.brand}`.")  # fmt: skip
    return "\n".join(lines)


def closed(key: str, brand: str, why: str, opened: int, pauses: bool) -> str:
    campaign, _, name = key.partition("/")
    lines = [
        f"CLOSED: {name} (campaign {campaign}) for brand {brand} is no longer evaluated: "
        f"{why}.",
        "",
        f"Its incident opened with data until {when(opened)} and was still open. This is "
        "not a resolution: socialops has stopped watching this rule, so look at the "
        "brand's mentions yourself.",
    ]  # fmt: skip
    if pauses:
        lines.append(f"Publishing for {brand} stays paused if it still is: a person resumes "
                     f"it with `socialops resume {brand}`.")  # fmt: skip
    return "\n".join(lines)


NOTIFY_ONLY = "Action: notify only (publishing continues)."


def paused_now(brand: str, by: str) -> str:
    return (f"Action: publishing for {brand} is now PAUSED (by {by}). It will not resume by "
            f"itself: a person resumes it with `socialops resume {brand}`.")  # fmt: skip


def paused_already(brand: str, since: str, by: str) -> str:
    return (f"Action: publishing for {brand} was already paused since {since} by {by}; it "
            f"stays paused until a person runs `socialops resume {brand}`.")  # fmt: skip


def pause_failed(brand: str, reason: str) -> str:
    return f"PAUSE FAILED ({reason}): pause it by hand with `socialops pause {brand}`."
