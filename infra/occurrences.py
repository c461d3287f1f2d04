"""Expand each post into occurrences: one per channel, instant and text variant.

A post is published at the same local time in each of its audiences' time zones; two
audiences whose local times fall on the same instant share one occurrence, so one account
never posts the same text twice at once. Local times are turned into UTC here, with the
rules EventBridge Scheduler applies across daylight-saving changes: a time that does not
exist (clocks go forward) is skipped for recurrences and is an error for a fixed ``at``;
an ambiguous time (clocks go back) fires once, at its first occurrence.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import islice

from schema.audience import Audience
from schema.campaign import Campaign, Post
from schema.cron import CronSpec, local_times, parse_every, rate_times
from schema.platforms import PLATFORMS
from schema.types import WEEKDAYS, hour_range_minutes, zone

MAX_PER_POST = 1000


@dataclass(frozen=True, order=True)
class Occurrence:
    utc: datetime
    channel: str
    post: str
    locale: str  # "" for the post's default text
    local: datetime = field(compare=False)
    tz: str = field(compare=False)
    audiences: tuple[str, ...] = field(compare=False, default=())
    source: str = field(compare=False, default="at")

    @property
    def name(self) -> str:
        """Schedule name: unique in the campaign's group, at most 64 characters."""
        stamp = self.utc.strftime("%Y%m%dT%H%MZ")
        suffix = f".{self.locale}" if self.locale else ""
        return f"{self.post}.{self.channel}.{stamp}{suffix}"

    def to_json(self) -> dict[str, object]:
        return {
            "utc": self.utc.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "channel": self.channel,
            "post": self.post,
            "locale": self.locale,
            "local": self.local.strftime("%Y-%m-%dT%H:%M:%S"),
            "tz": self.tz,
            "audiences": list(self.audiences),
            "source": self.source,
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Occurrence:
        return cls(
            utc=datetime.strptime(str(data["utc"]), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC),
            channel=str(data["channel"]),
            post=str(data["post"]),
            locale=str(data["locale"]),
            local=datetime.strptime(str(data["local"]), "%Y-%m-%dT%H:%M:%S"),
            tz=str(data["tz"]),
            audiences=tuple(data["audiences"]),  # type: ignore[arg-type]
            source=str(data["source"]),
        )


def to_utc(local: datetime, tz: str) -> tuple[datetime | None, bool]:
    """UTC instant of a local time: (None, False) if it does not exist, (utc, True) if
    it is ambiguous (the first of the two is used, as EventBridge Scheduler does)."""
    zi = zone(tz)
    first = local.replace(tzinfo=zi, fold=0)
    second = local.replace(tzinfo=zi, fold=1)
    utc = first.astimezone(UTC)
    if utc.astimezone(zi).replace(tzinfo=None) != local:
        return None, False
    return utc, first.utcoffset() != second.utcoffset()


def window_utc(campaign: Campaign) -> tuple[datetime, datetime]:
    start, _ = to_utc(campaign.window.start, campaign.timezone)
    end, _ = to_utc(campaign.window.end, campaign.timezone)
    # A window edge in a DST gap moves to the first valid minute after it.
    start = start or _after_gap(campaign.window.start, campaign.timezone)
    end = end or _after_gap(campaign.window.end, campaign.timezone)
    return start, end


def _after_gap(local: datetime, tz: str) -> datetime:
    probe = local
    while (utc := to_utc(probe, tz)[0]) is None:
        probe += timedelta(minutes=1)
    return utc


@dataclass(frozen=True)
class Target:
    """Where a post goes: a time zone, the audiences it serves there, their locales."""

    tz: str
    audiences: tuple[str, ...]
    locales: tuple[str, ...]


def targets(campaign: Campaign, post: Post, audiences: dict[str, Audience]) -> list[Target]:
    if post.timezone:
        return [Target(post.timezone, (), ())]
    names = post.audiences or campaign.audiences
    out = [
        Target(tz, (name,), tuple(audiences[name].locales))
        for name in names
        if name in audiences
        for tz in audiences[name].timezones
    ]
    return out or [Target(campaign.timezone, (), ())]


def pick_locale(post: Post, locales: tuple[str, ...]) -> str:
    for locale in locales:
        if locale in post.locales:
            return locale
        language = locale.split("-")[0]
        for available in sorted(post.locales):
            if available.split("-")[0] == language:
                return available
    return ""


def auto_time(post: Post, audience: Audience | None, first: datetime, last: datetime) -> datetime:
    """The local time chosen for ``at: auto`` before a performance model is trained:
    the middle of the audience's first active window on its first active day in range."""
    days = audience.active.days if audience else list(WEEKDAYS)
    hours = audience.active.hours if audience else ["09:00-10:00"]
    day = first.replace(hour=0, minute=0)
    while day <= last:
        if WEEKDAYS[day.weekday()] in days:
            for hour_range in sorted(hours):
                start, end = hour_range_minutes(hour_range)
                moment = day + timedelta(minutes=(start + end) // 2)
                if first <= moment <= last:
                    return moment
        day += timedelta(days=1)
    return first


@dataclass
class Expansion:
    occurrences: list[Occurrence] = field(default_factory=list)
    problems: list[tuple[tuple[str | int, ...], str, str]] = field(default_factory=list)


def expand(campaign: Campaign, audiences: dict[str, Audience], index: int, post: Post) -> Expansion:
    """Occurrences of one post, and (path, code, message) of each timing problem."""
    result = Expansion()
    start, end = window_utc(campaign)
    channels = post.channels or campaign.channels
    merged: dict[tuple[datetime, str, str], Occurrence] = {}
    for target in targets(campaign, post, audiences):
        locale = pick_locale(post, target.locales)
        audience = audiences.get(target.audiences[0]) if target.audiences else None
        for utc, local, source in _times(campaign, post, index, target, audience, result):
            if not start <= utc <= end and source != "every":
                result.problems.append(
                    ((("posts", index, "at")), "E401", _outside(local, target.tz, campaign))
                )
                continue
            for channel in channels:
                key = (utc, channel, locale)
                prior = merged.get(key)
                joined = tuple(sorted({*(prior.audiences if prior else ()), *target.audiences}))
                merged[key] = Occurrence(utc, channel, post.id, locale, local, target.tz,
                                         joined, source)  # fmt: skip
    result.occurrences = sorted(merged.values())
    busiest = max(Counter((o.channel, o.tz) for o in result.occurrences).values(), default=0)
    if busiest > MAX_PER_POST:
        result.problems.append(
            (("posts", index, "every"), "E403",
             f"expected at most {MAX_PER_POST} occurrences per channel and time zone, found "
             f"at least {busiest}: choose a longer interval or a shorter range")
        )  # fmt: skip
        result.occurrences = []
    elif post.every and not result.occurrences:
        result.problems.append(
            (("posts", index, "every"), "W403", "expected at least one occurrence in the "
             "campaign window, found none: this recurrence never fires")
        )  # fmt: skip
    result.problems.extend(_repeated_texts(post, index, result.occurrences))
    return result


def _repeated_texts(
    post: Post, index: int, occurrences: list[Occurrence]
) -> Iterator[tuple[tuple[str | int, ...], str, str]]:
    """W405: a text that goes out twice on a platform that refuses the second one."""
    if post.generate is not None:
        return
    counts: Counter[tuple[str, tuple[str | int, ...]]] = Counter()
    for o in occurrences:
        if not PLATFORMS[o.channel].refuses_duplicates:
            continue
        override = next((v for k, v in post.overrides.items() if k == o.channel), None)
        if override is not None and override.text is not None:
            path: tuple[str | int, ...] = ("posts", index, "overrides", o.channel, "text")
        elif o.locale and o.locale in post.locales:
            path = ("posts", index, "locales", o.locale, "text")
        else:
            path = ("posts", index, "text")
        counts[(o.channel, path)] += 1
    for (channel, path), count in sorted(counts.items()):
        if count > 1:
            yield (
                path,
                "W405",
                (
                    f"expected each text once on {PLATFORMS[channel].title}, which refuses the "
                    f"same text twice; found it {count} times (time zones or repeats): give the "
                    "other times their own text (a locale, a per-zone post) or leave the channel out"
                ),
            )


def _skipped(local: datetime, tz: str) -> str:
    return (
        f"{local:%Y-%m-%d %H:%M} does not exist in {tz} (clocks go forward): that "
        "occurrence is skipped, as EventBridge Scheduler skips it"
    )


def _outside(local: datetime, tz: str, campaign: Campaign) -> str:
    return (
        f"expected a time within the campaign window {campaign.window.start:%Y-%m-%d %H:%M}"
        f" - {campaign.window.end:%Y-%m-%d %H:%M} ({campaign.timezone}), "
        f"found {local:%Y-%m-%d %H:%M} ({tz})"
    )


def _twice(local: datetime, tz: str) -> str:
    return (
        f"{local:%Y-%m-%d %H:%M} happens twice in {tz} (clocks go back); "
        "the post goes out once, at the first"
    )


def _times(
    campaign: Campaign, post: Post, index: int, target: Target,
    audience: Audience | None, result: Expansion,
) -> Iterator[tuple[datetime, datetime, str]]:  # fmt: skip
    if post.at is not None:
        if post.at == "auto":
            assert post.between is not None
            local = auto_time(post, audience, post.between.start, post.between.end)
            source = "auto"
        else:
            local, source = post.at, "at"
        utc, ambiguous = to_utc(local, target.tz)
        if utc is None:
            result.problems.append(
                (("posts", index, "at"), "E402",
                 f"expected a time that exists in {target.tz}, found {local:%Y-%m-%d %H:%M}, "
                 "which the clocks skip when daylight-saving time starts")
            )  # fmt: skip
            return
        if ambiguous:
            result.problems.append((("posts", index, "at"), "W402", _twice(local, target.tz)))
        yield utc, local, source
        return
    assert post.every is not None
    yield from _recurring(campaign, post, index, target, result)


def between_utc(campaign: Campaign, post: Post, tz: str) -> tuple[datetime, datetime]:
    """The UTC range a post's ``between`` (read in ``tz``) leaves within the campaign
    window; the whole window without one."""
    start, end = window_utc(campaign)
    if post.between is not None:
        # An edge in a daylight-saving gap moves to the first minute after it, as the
        # window's edges do (ignoring it would widen the range to the whole window).
        b_start = to_utc(post.between.start, tz)[0]
        b_end = to_utc(post.between.end, tz)[0]
        start = max(start, b_start or _after_gap(post.between.start, tz))
        end = min(end, b_end or _after_gap(post.between.end, tz))
    return start, end


def _recurring(
    campaign: Campaign, post: Post, index: int, target: Target, result: Expansion
) -> Iterator[tuple[datetime, datetime, str]]:
    start, end = between_utc(campaign, post, target.tz)
    spec = parse_every(post.every or "")
    zi = zone(target.tz)
    if isinstance(spec, CronSpec):
        first = start.astimezone(zi).date()
        last = end.astimezone(zi).date()
        for local in islice(local_times(spec, first, last), MAX_PER_POST + 1):
            utc, ambiguous = to_utc(local, target.tz)
            if utc is None:
                result.problems.append(
                    (("posts", index, "every"), "W404", _skipped(local, target.tz))
                )
            elif start <= utc <= end:
                if ambiguous:
                    result.problems.append(
                        (("posts", index, "every"), "W402", _twice(local, target.tz))
                    )
                yield utc, local, "every"
        return
    for utc in islice(rate_times(spec, start, end + timedelta(seconds=1)), MAX_PER_POST + 1):
        yield utc, utc.astimezone(zi).replace(tzinfo=None), "every"
