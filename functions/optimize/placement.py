"""``optimize``'s placement of ``at: auto`` posts: where each occurrence goes out, chosen
daily from the brand's own history, and moved when a post of its campaign lags.

Each run, after training (training.py), for every ``at: auto`` occurrence of the compiled
campaigns (``RuntimeConfig.auto``: its identity, zone, audiences and the UTC range its
``between`` leaves in the campaign window):

1. **Left alone** when it is claimed already (publish fired it), or due within ``LEAD``
   (a placement that late could race its own firing), or when its range starts more than
   ``HORIZON`` ahead (a later run places it, with more history).
2. **Slots.** Every whole local hour of its range from ``now + LEAD`` on, in its zone, on
   its audience's active days and hours (all hours when that leaves none), at least
   ``SPACING`` from every other post of the brand on the channel (the compiled occurrences
   of all its campaigns, ``RuntimeConfig.occupied``, and the other auto posts' current
   times), on days under the platform's daily limit of posts.
3. **Placing** (once): the slot model (slots.py) learnt from the brand's settled history
   in that zone scores the slots; one Thompson draw picks (``explored`` when the draw's
   pick is not the posterior mean's). The draw is seeded by the occurrence's identity:
   a rerun of the same day places it the same way.
4. **Moving** (adaptive rescheduling): a recent post of the campaign lags when its early
   counts (likes + comments, which every platform gives at once; Instagram's insights
   lag) are below its forecast P10 (the brand's stored engagement model, training.py)
   times the share of its final engagement a post of that platform had gathered by the
   same checkpoint in the brand's history (the median of at least ``MIN_RATIOS`` posts;
   without them no post is judged). The campaign's next unfired auto occurrence on that
   channel then moves to the best slot by the posterior mean, leaving out the lagging
   post's hour of week and its own: once per lagging post (``moved_for``).

A placement is a one-time schedule in the campaign's functions' group (the group
publish's late retries use, which ``socialops deploy`` never diffs), whose payload is the
fallback's plus ``placed_at``, and the ``placed_at`` of the occurrence's publish record,
written only while nothing has claimed it and its placement is the one this run read
(functions/common/placement.py says how the fallback steps aside). The schedule is made
first and the old one deleted last, so a run that dies half-way leaves an extra firing
that steps aside, never a lost post.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import statistics
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from functions.common.placement import PLACED_AT, PLACED_KEY, place_name, record_key
from functions.common.placement import identity as occurrence
from functions.common.readback import parse, stamp
from functions.common.schedules import RETRY_POLICY, functions_group
from functions.optimize import training
from schema.platforms import PLATFORMS
from schema.types import WEEKDAYS, hour_range_minutes

LEAD = timedelta(minutes=30)  # nothing due sooner is placed or moved
HORIZON = timedelta(days=7)  # an occurrence whose range starts later waits
SPACING = timedelta(hours=2)  # between two posts of a brand on one channel
STEP = timedelta(hours=1)  # the slots: whole local hours
LAG_WINDOW = timedelta(hours=48)  # posts this recent are judged by their early counts
MIN_RATIOS = 5  # posts of a platform with early and settled readings before judging any


@dataclass
class Deps:
    records: Any  # PublishRecordsTable (boto3 Table)
    scheduler: Any  # EventBridge Scheduler client
    stage: str
    role_arn: str  # the role Scheduler assumes to invoke publish
    publish_arn: str
    dead_letter_arn: str = ""


@dataclass
class Summary:
    placed: list[dict[str, Any]] = field(default_factory=list)
    moved: list[dict[str, Any]] = field(default_factory=list)
    lagging: list[dict[str, Any]] = field(default_factory=list)
    kept: int = 0  # placed already, nothing to change
    waiting: int = 0  # range too far ahead, or due too soon to touch
    done: int = 0  # claimed: publish fired it
    problems: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        explored = sum(1 for p in self.placed if p["explored"])
        return {"placed": self.placed, "moved": self.moved, "lagging": self.lagging,
                "kept": self.kept, "waiting": self.waiting, "done": self.done,
                "explored": explored,
                "exploration_share": round(explored / len(self.placed), 3) if self.placed else 0.0,
                "problems": self.problems}  # fmt: skip


@dataclass(frozen=True)
class Lag:
    campaign: str
    channel: str
    post: str
    post_id: str
    published_at: datetime
    checkpoint: str
    count: int
    expected: float

    def as_dict(self) -> dict[str, Any]:
        return {"campaign": self.campaign, "channel": self.channel, "post": self.post,
                "post_id": self.post_id, "published_at": stamp(self.published_at),
                "checkpoint": self.checkpoint, "count": self.count,
                "expected": round(self.expected, 1)}  # fmt: skip


def identity(campaign: str, auto: Any) -> str:
    """The occurrence as publish's records name it (functions/publish/records.py Key)."""
    return occurrence(campaign, auto.post, auto.channel, auto.locale or "", auto.scheduled_for)


# ---- history: the slot model's observations and the posts' velocity ----------------------


def observations(history: training.History, zone: str) -> list[Any]:
    """The brand's settled posts as the slot model's observations, read in ``zone``."""
    from functions.optimize.slots import Observation

    out = []
    for post in history.posts(ZoneInfo(zone))["engagement"]:
        assert post.engagement is not None
        out.append(Observation(post.account.split(":", 1)[0], zone, post.created_at,
                               float(post.engagement), post.followers, post.media, post.text))  # fmt: skip
    return out


def _early_count(row: Mapping[str, Any]) -> int | None:
    likes, comments = row.get("likes"), row.get("comments")
    if isinstance(likes, int) and isinstance(comments, int):
        return likes + comments
    return None


def early_shares(history: training.History) -> dict[tuple[str, str], float]:
    """Per (platform, checkpoint): the median share of a post's settled engagement its
    likes + comments had reached at that checkpoint, from the posts that have both
    (at least ``MIN_RATIOS`` of them)."""
    found: dict[tuple[str, str], list[float]] = {}
    for key, readings in history.early.items():
        settled = history.readings.get(key)
        final = training.metric_of(settled, "engagement") if settled else None
        if not final:
            continue
        for checkpoint, row in readings.items():
            count = _early_count(row)
            if count is not None:
                found.setdefault((str(row.get("platform")), checkpoint), []).append(count / final)
    return {k: statistics.median(v) for k, v in found.items() if len(v) >= MIN_RATIOS}


def lagging(history: training.History, model: Any, zone: ZoneInfo, now: datetime) -> list[Lag]:
    """The campaigns' recent posts whose early counts are below their P10 at that age."""
    from functions.optimize.forecast import Post

    shares = early_shares(history)
    days = history.sorted_days()
    lags = []
    for key in sorted(history.early):
        readings = history.early[key]
        checkpoint = "6h" if "6h" in readings else "1h"
        row = readings.get(checkpoint)
        if row is None or not row.get("campaign"):
            continue
        published = training._time(row.get("published_at"))
        count, share = _early_count(row), shares.get((str(row.get("platform")), checkpoint))
        if published is None or count is None or share is None or now - published > LAG_WINDOW:
            continue
        platform, account = str(row.get("platform")), str(row.get("account") or "")
        followers = row.get("followers")
        if not isinstance(followers, int):
            followers = history.follower_count(days, platform, account, published)
        post = Post(f"{platform}:{account}", published.astimezone(zone), str(row.get("text") or ""),
                    row.get("media") if row.get("media") in ("none", "image", "video", "album") else None,
                    followers)  # fmt: skip
        p10 = model.predict([post])[0].p10
        if count < p10 * share:
            lags.append(Lag(str(row["campaign"]), platform, str(row.get("post") or ""),
                            str(row.get("post_id")), published, checkpoint, count, p10 * share))  # fmt: skip
    return lags


# ---- slots ----------------------------------------------------------------------------


def _active(config: Any, auto: Any) -> tuple[set[str], list[tuple[int, int]]]:
    audience = next((config.audiences[n] for n in auto.audiences if n in config.audiences), None)
    if audience is None:
        return set(WEEKDAYS), [(0, 24 * 60)]
    return set(audience.active.days), [hour_range_minutes(h) for h in audience.active.hours]


def slots(config: Any, auto: Any, now: datetime, taken: Sequence[datetime]) -> list[datetime]:
    """The whole local hours ``auto`` may go out at (module docstring, step 2)."""
    zone = ZoneInfo(auto.timezone)
    first, last = max(parse(auto.earliest), now + LEAD), parse(auto.latest)
    local = first.astimezone(zone).replace(minute=0, second=0, microsecond=0)
    every: list[datetime] = []
    while local.astimezone(UTC) <= last:
        moment = local.astimezone(UTC)
        if moment >= first:
            every.append(moment)
        local = (local.astimezone(UTC) + STEP).astimezone(zone)
    days, hours = _active(config, auto)

    def active(moment: datetime) -> bool:
        here = moment.astimezone(zone)
        minute = here.hour * 60 + here.minute
        return WEEKDAYS[here.weekday()] in days and any(a <= minute < b for a, b in hours)

    found = [m for m in every if active(m)] or every
    limit = PLATFORMS[auto.channel].posts_per_day
    per_day = Counter(t.date() for t in taken)
    return [m for m in found
            if all(abs(m - t) >= SPACING for t in taken)
            and (limit is None or per_day[m.date()] < limit)]  # fmt: skip


# ---- placing ---------------------------------------------------------------------------


class Placer:
    """One run's placements of one brand (module docstring)."""

    def __init__(self, deps: Deps, train: training.Deps, brand: str,
                 configs: Sequence[Any], summary: Summary) -> None:  # fmt: skip
        self.deps, self.train, self.brand, self.summary = deps, train, brand, summary
        self.configs = configs
        self.now = train.now().astimezone(UTC)
        self.history = training.History.of(training._read(train, training.history_key(brand)))
        self.models: dict[str, Any] = {}
        self.records: dict[tuple[str, str], dict[str, Any]] = {}
        # each channel's taken times: the compiled occurrences, then the auto posts' own
        self.taken: dict[str, list[datetime]] = {}
        for config in configs:
            for channel, stamps in config.occupied.items():
                self.taken.setdefault(channel, []).extend(parse(s) for s in stamps)

    def model(self, zone: str) -> Any:
        if zone not in self.models:
            from functions.optimize.slots import SlotModel

            self.models[zone] = SlotModel.fit(observations(self.history, zone))
        return self.models[zone]

    def record(self, campaign: str, auto: Any) -> dict[str, Any]:
        key = record_key(campaign, auto.post, auto.channel, auto.locale or "", auto.scheduled_for)
        name = (key["pk"], key["sk"])
        if name not in self.records:
            item = self.deps.records.get_item(Key=key, ConsistentRead=True).get("Item")
            self.records[name] = dict(item or {})
        return self.records[name]

    def current(self, campaign: str, auto: Any) -> datetime:
        placed = self.record(campaign, auto).get(PLACED_AT)
        return parse(str(placed)) if placed else parse(auto.scheduled_for)

    def run(self) -> None:
        autos = [(c, a) for c in self.configs for a in c.auto]
        for config, auto in autos:  # every auto post's current time is taken
            self.taken.setdefault(auto.channel, []).append(self.current(config.campaign.name, auto))
        lags = self._lags()
        for config, auto in autos:
            try:
                self.place(config, auto, lags)
            except Exception as error:  # this occurrence fails, reported; the others go on
                self.summary.problems.append(
                    f"{identity(config.campaign.name, auto)}: {type(error).__name__}: {error}"
                )

    def _lags(self) -> list[Lag]:
        stored = training.stored(self.train, self.brand)
        engagement = ((stored or {}).get("models") or {}).get("engagement")
        if engagement is None:
            return []
        from functions.optimize.forecast import Model

        zone = ZoneInfo(str(stored.get("zone") or "UTC")) if stored else ZoneInfo("UTC")
        lags = lagging(self.history, Model.from_dict(engagement), zone, self.now)
        self.summary.lagging += [lag.as_dict() for lag in lags]
        return lags

    def place(self, config: Any, auto: Any, lags: Sequence[Lag]) -> None:
        from functions.optimize.slots import choose, local_hour_of_week

        campaign = config.campaign.name
        record = self.record(campaign, auto)
        if "status" in record:
            self.summary.done += 1
            return
        current = self.current(campaign, auto)
        if current <= self.now + LEAD or parse(auto.earliest) > self.now + HORIZON:
            self.summary.waiting += 1
            return
        taken = [t for t in self.taken.get(auto.channel, []) if t != current]
        found = slots(config, auto, self.now, taken)
        if not found:
            self.summary.kept += 1
            return
        curve = self.model(auto.timezone).curve(auto.channel, auto.timezone)
        placed = str(record.get(PLACED_AT) or "")
        if not placed:
            rng = _rng(identity(campaign, auto))
            choice = choose(curve, auto.timezone, found, rng)
            why = "explored: a Thompson draw" if choice.explored else "best by the slot model"
            self._write(config, auto, choice.at, "", why, choice.explored, curve.posts)
            return
        lag = self._next_for(config, auto, lags)
        if lag is None:  # placed: it stays there (placements never churn)
            self.summary.kept += 1
            return
        exclude = {local_hour_of_week(lag.published_at, auto.timezone),
                   local_hour_of_week(current, auto.timezone)}  # fmt: skip
        choice = choose(curve, auto.timezone, found, _rng(""), explore=False, exclude=exclude)
        why = (f"{lag.channel} post {lag.post or lag.post_id} of {stamp(lag.published_at)} lags: "
               f"{lag.count} likes and comments at {lag.checkpoint}, below the {lag.expected:.1f} "
               "of its forecast P10 by then")  # fmt: skip
        self._write(config, auto, choice.at, placed, why, False, curve.posts, moved_for=lag.post_id)

    def _next_for(self, config: Any, auto: Any, lags: Sequence[Lag]) -> Lag | None:
        """The lag this occurrence answers: a lagging post of its campaign on its channel
        not answered yet, when it is the campaign's next auto post there."""
        campaign = config.campaign.name
        mine = [lag for lag in lags if lag.campaign == campaign and lag.channel == auto.channel]
        if not mine:
            return None
        pending = [a for a in config.auto if a.channel == auto.channel
                   and "status" not in self.record(campaign, a)
                   and self.current(campaign, a) > self.now + LEAD]  # fmt: skip
        if not pending or min(pending, key=lambda a: self.current(campaign, a)) is not auto:
            return None
        answered = {str(x) for a in config.auto
                    for x in self.record(campaign, a).get("moved_for", [])}  # fmt: skip
        return next((lag for lag in mine if lag.post_id not in answered), None)

    def _write(self, config: Any, auto: Any, at: datetime, old: str, why: str,
               explored: bool, posts: int, moved_for: str = "") -> None:  # fmt: skip
        campaign = config.campaign.name
        group = functions_group(self.deps.stage, campaign)
        name = place_name(identity(campaign, auto), at)
        payload = {"campaign": campaign, "post": auto.post, "channel": auto.channel,
                   "locale": auto.locale or "", "scheduled_for": auto.scheduled_for,
                   PLACED_KEY: stamp(at)}  # fmt: skip
        target: dict[str, Any] = {"Arn": self.deps.publish_arn, "RoleArn": self.deps.role_arn,
                                  "Input": json.dumps(payload, sort_keys=True),
                                  "RetryPolicy": dict(RETRY_POLICY)}  # fmt: skip
        if self.deps.dead_letter_arn:
            target["DeadLetterConfig"] = {"Arn": self.deps.dead_letter_arn}
        scheduler = self.deps.scheduler
        how = "moved" if old else "explored" if explored else "best"
        with contextlib.suppress(scheduler.exceptions.ConflictException):  # made already
            scheduler.create_schedule(
                Name=name, GroupName=group, ScheduleExpression=f"at({stamp(at)[:-1]})",
                ScheduleExpressionTimezone="UTC", FlexibleTimeWindow={"Mode": "OFF"},
                ActionAfterCompletion="DELETE", Target=target,
                Description=f"socialops: placed by optimize ({how}): {identity(campaign, auto)}",
            )  # fmt: skip
        if not self._record(campaign, auto, at, old, why, moved_for, f"{group}/{name}"):
            return
        row = {"campaign": campaign, "post": auto.post, "channel": auto.channel,
               "locale": auto.locale or "", "fallback": auto.scheduled_for, "at": stamp(at),
               "zone": auto.timezone, "explored": explored, "reason": why, "history": posts}  # fmt: skip
        if old:
            self.summary.moved.append({**row, "from": old})
            previous = parse(old)
            old_name = place_name(identity(campaign, auto), previous)
            if old_name != name:
                self._delete(group, old_name)
        else:
            self.summary.placed.append(row)
        taken = self.taken.setdefault(auto.channel, [])
        taken.remove(parse(old) if old else parse(auto.scheduled_for))
        taken.append(at)

    def _record(self, campaign: str, auto: Any, at: datetime, old: str, why: str,
                moved_for: str, schedule: str) -> bool:  # fmt: skip
        """The placement on the occurrence's record, while unclaimed and still ``old``;
        False (and the new schedule deleted) when publish claimed it meanwhile."""
        key = record_key(campaign, auto.post, auto.channel, auto.locale or "", auto.scheduled_for)
        names = {"#status": "status", "#placed": PLACED_AT}
        values: dict[str, Any] = {":at": stamp(at), ":why": why, ":on": stamp(self.now),
                                  ":schedule": schedule}  # fmt: skip
        update = ("SET #placed = :at, placed_reason = :why, placed_on = :on, "
                  "placed_schedule = :schedule")  # fmt: skip
        if moved_for:
            update += ", moved_for = list_append(if_not_exists(moved_for, :none), :lag)"
            values |= {":none": [], ":lag": [moved_for]}
        condition = "attribute_not_exists(#status) AND "
        if old:
            condition += "#placed = :old"
            values[":old"] = old
        else:
            condition += "attribute_not_exists(#placed)"
        client = self.deps.records.meta.client
        try:
            self.deps.records.update_item(Key=key, UpdateExpression=update,
                                          ConditionExpression=condition,
                                          ExpressionAttributeNames=names,
                                          ExpressionAttributeValues=values)  # fmt: skip
        except client.exceptions.ConditionalCheckFailedException:
            self._delete(*schedule.split("/", 1))
            self.summary.problems.append(f"{identity(campaign, auto)}: claimed while placing it; left as it was")  # fmt: skip
            return False
        record = self.record(campaign, auto)
        record[PLACED_AT] = stamp(at)
        if moved_for:
            record["moved_for"] = [*record.get("moved_for", []), moved_for]
        return True

    def _delete(self, group: str, name: str) -> None:
        """A placed schedule gone (one already fired and deleted, or never made: fine)."""
        scheduler = self.deps.scheduler
        with contextlib.suppress(scheduler.exceptions.ResourceNotFoundException):
            scheduler.delete_schedule(GroupName=group, Name=name)


def _rng(seed: str) -> Any:
    import numpy as np

    return np.random.default_rng(int.from_bytes(hashlib.sha256(seed.encode()).digest()[:8], "big"))


def run(deps: Deps, train: training.Deps, configs: Mapping[str, Any]) -> dict[str, Any]:
    """Place and move the ``at: auto`` occurrences of every brand of ``configs``."""
    summary = Summary()
    brands: dict[str, list[Any]] = {}
    for name in sorted(configs):
        brands.setdefault(configs[name].brand.name, []).append(configs[name])
    for brand, mine in sorted(brands.items()):
        if not any(c.auto for c in mine):
            continue
        try:
            Placer(deps, train, brand, mine, summary).run()
        except Exception as error:  # this brand fails, reported; the others go on
            summary.problems.append(f"brand {brand}: {type(error).__name__}: {error}")
    return summary.as_dict()
