"""What ``publish`` does with one Scheduler event, with every outside thing injected.

The handler (handler.py) wraps :func:`publish` in Powertools idempotency and builds the
:class:`Deps` from the environment; ``socialops simulate`` and the tests build their own
(a virtual clock, local peers). The steps, in order:

1. the event names a post that still exists as scheduled: campaign, post, channel, the
   campaign window, and, for a fixed local time, the same UTC instant under today's time
   zone rules (a changed rule means the schedule is stale: a person must redeploy);
2. the brand is not paused, and the text exists (generated text must be approved);
3. the publish record is claimed; a claim left by an earlier delivery means that one may
   have posted: the platform is asked first, for the post of *this* firing (its ``Trail``:
   the firing's own record key on Bluesky, the Instagram container and the TikTok
   publish_id written down before posting, the account's posts since the firing's time
   elsewhere), never by its text alone: a weekly post's text is last week's too. Where the
   platform cannot tell, the post is held and a person told (``unknown``);
4. the adapter posts, retrying transient failures with backoff that honours Retry-After
   and rate-limit reset headers, within the invocation's time; a wait longer than that
   becomes a one-time retry schedule at the reset time (later.py), unless the post would
   then go out more than ``late_by`` after its time: then it fails with that reason;
5. the outcome is recorded; what did not go out goes to the dead-letter queue with its
   reason and raises an SNS notification in plain words.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from functions.common import config as configs
from functions.common.errors import EventError, require
from functions.common.pause import paused
from functions.publish.adapters.base import (
    Adapter,
    PlatformError,
    PostRequest,
    Published,
    Trail,
    Uncertain,
)
from functions.publish.later import Later, Retries, retry_time
from functions.publish.records import Key, Records, notes_of
from functions.publish.tokens import TokenError, Tokens
from schema.platforms import PLATFORMS
from schema.types import duration_seconds

FUNCTION = "publish"
MAX_ATTEMPTS = 5
BACKOFF_BASE_S = 2.0
BACKOFF_CAP_S = 30.0
SAFETY_MARGIN_S = 10.0  # time kept to record the outcome after the last attempt
DUPLICATE_CODES = {"187", "duplicate", "DUPLICATE_POST"}
# Platforms whose retry within an invocation cannot post twice: Mastodon keeps the
# Idempotency-Key for about an hour (a later redrive asks the platform like the others).
SAFE_TO_REPEAT = ("mastodon",)

# Outcome statuses that did not post and must reach a person.
DEAD_LETTERED = ("failed", "held", "unknown", "stale")


class InProgress(RuntimeError):
    """Another delivery of the same event is publishing right now: try again later."""


class GaveUp(Exception):
    """Posting failed for good after ``attempts`` tries; ``error`` is the last refusal."""

    def __init__(self, error: PlatformError, attempts: int) -> None:
        super().__init__(str(error))
        self.error, self.attempts = error, attempts


@dataclass
class Deps:
    records: Records
    pauses: Any  # PauseFlagsTable (boto3 Table)
    tokens: Tokens
    adapter: Callable[[str, str], Adapter]  # (platform, brand) -> adapter
    sqs: Any = None
    dead_letter_url: str = ""
    sns: Any = None
    failures_topic: str = ""
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    sleep: Callable[[float], None] = field(default=lambda s: None)
    remaining_s: Callable[[], float] = field(default=lambda: 60.0)
    metric: Callable[[str, str], None] = field(default=lambda name, platform: None)
    log: Callable[[str, str, Mapping[str, Any]], None] = field(
        default=lambda level, message, extra: None
    )
    jitter: random.Random = field(default_factory=random.Random)
    retries: Retries | None = None  # None: a long wait fails the post (no Scheduler)


@dataclass
class Outcome:
    status: str  # published, duplicate, recovered, rescheduled, skipped, held, stale,
    # failed, unknown
    campaign: str
    post: str
    channel: str
    locale: str
    scheduled_for: str
    reason: str = ""
    post_id: str = ""
    url: str = ""
    published_at: str = ""
    attempts: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v not in ("", 0) or k == "status"}


def _utc(text: str) -> datetime:
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise EventError(f"{FUNCTION}: scheduled_for {text!r} is not an ISO 8601 time") from None
    if when.tzinfo is None:
        raise EventError(f"{FUNCTION}: scheduled_for {text!r} has no UTC offset")
    return when.astimezone(UTC)


def _stamp(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def key_of(event: Any) -> Key:
    fields = require(FUNCTION, event, ("campaign", "post", "channel", "scheduled_for"))
    locale = event.get("locale") or ""
    if not isinstance(locale, str):
        raise EventError(f"{FUNCTION}: locale must be a string")
    _utc(fields["scheduled_for"])
    return Key(fields["campaign"], fields["post"], fields["channel"], locale,
               fields["scheduled_for"])  # fmt: skip


# ---- what the event asks for, checked against today's config -----------------------


@dataclass(frozen=True)
class Plan:
    """A post that is due: the account to use and the request to send."""

    brand: str
    secret: str
    request: PostRequest
    late_by: str = "6h"  # after its time + late_by it is not sent (a duration)
    media_omitted: int = 0  # media items this platform's adapter cannot post (W502)


def zones(config: Any, post: Any) -> list[str]:
    """The time zones the post's local time is meant in (as the compiler targets them)."""
    if post.timezone:
        return [post.timezone]
    names = post.audiences or config.campaign.audiences
    found = [tz for n in names if n in config.audiences for tz in config.audiences[n].timezones]
    return found or [config.campaign.timezone]


def render(post: Any, channel: str, locale: str) -> tuple[str | None, list[Any]]:
    """The text and media for one channel and locale: override > locale > post."""
    override = post.overrides.get(channel)
    media = list(override.media) if override and override.media is not None else list(post.media)
    if override and override.text:
        return override.text, media
    if locale and locale in post.locales:
        return post.locales[locale].text, media
    return post.text, media  # None for generated text not written yet


class NotDue(Exception):
    """The event does not lead to a post: ``status`` and ``reason`` say why."""

    def __init__(self, status: str, reason: str) -> None:
        super().__init__(reason)
        self.status, self.reason = status, reason


def plan(key: Key, deps: Deps) -> Plan:
    try:
        config = configs.load(key.campaign)
    except configs.CampaignMissing:
        raise NotDue(
            "skipped", "the campaign no longer exists (removed after scheduling)"
        ) from None
    campaign = config.campaign
    post = next((p for p in campaign.posts if p.id == key.post), None)
    if post is None:
        raise NotDue("skipped", f"campaign {key.campaign!r} no longer has post {key.post!r}")
    if key.channel not in (post.channels or campaign.channels):
        raise NotDue("skipped", f"post {key.post!r} is no longer published on {key.channel}")
    when = _utc(key.scheduled_for)
    tz = ZoneInfo(campaign.timezone)
    start = campaign.window.start.replace(tzinfo=tz)
    end = campaign.window.end.replace(tzinfo=tz)
    if not start <= when < end:
        raise NotDue(
            "skipped",
            f"{key.scheduled_for} is outside the campaign window ({campaign.window.start} to "
            f"{campaign.window.end} {campaign.timezone})",
        )
    if isinstance(post.at, datetime):
        local = post.at.replace(tzinfo=None)
        here = zones(config, post)
        if not any(when.astimezone(ZoneInfo(z)).replace(tzinfo=None) == local for z in here):
            now_utc = [f"{_stamp(local.replace(tzinfo=ZoneInfo(z)))} in {z}" for z in here]
            raise NotDue(
                "stale",
                f"the time zone rules changed since deploy: {local:%Y-%m-%d %H:%M} local is "
                f"now {', '.join(now_utc)}, not {key.scheduled_for}; run `socialops deploy` "
                "to reschedule it",
            )
    late_by = post.late_by or campaign.late_by
    account = config.brand.accounts.get(key.channel)
    if account is None:
        raise NotDue("failed", f"brand {config.brand.name!r} has no {key.channel} account")
    flag = paused(deps.pauses, config.brand.name)
    if flag is not None:
        raise NotDue(
            "held",
            f"publishing for brand {flag.brand!r} is paused since {flag.since} by {flag.by}"
            + (f" ({flag.reason})" if flag.reason else "")
            + "; redrive this message after `socialops resume`",
        )
    text, media = render(post, key.channel, key.locale)
    omitted = 0 if PLATFORMS[key.channel].media_kinds else len(media)
    media = media if not omitted else []  # validate warned (W502): the text goes alone
    if text is None:
        raise NotDue(
            "held",
            f"post {key.post!r} has no approved generated text yet: generate it and approve "
            "it in a pull request",
        )
    request = PostRequest(
        text=text,
        idempotency_key=key.idempotency_key,
        handle=account.handle,
        account_id=account.id,
        instance=str(account.instance) if account.instance else None,
        media=tuple((str(m.url), m.type, m.alt or "") for m in media),
    )
    return Plan(config.brand.name, account.secret, request, late_by, omitted)


def _late(key: Key, plan_: Plan, at: datetime) -> str | None:
    """Why posting at ``at`` is too late for this post (None: it is not)."""
    late = at - _utc(key.scheduled_for)
    if late <= timedelta(seconds=duration_seconds(plan_.late_by)):
        return None
    return too_late(key, late, plan_.late_by)


def too_late(key: Key, late: timedelta, late_by: str) -> str:
    hours = late.total_seconds() / 3600
    return (
        f"it would go out {hours:.1f} h after its time ({key.scheduled_for}), more than its "
        f"late_by of {late_by}: not sent late; post it by hand, or raise late_by and redrive"
    )


# ---- posting ------------------------------------------------------------------------


def _backoff(attempt: int, error: PlatformError, deps: Deps) -> float:
    if error.retry_after_s is not None:
        return error.retry_after_s + deps.jitter.uniform(0, 1)
    return deps.jitter.uniform(0, min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2**attempt))


def trail_of(key: Key, previous: dict[str, Any] | None, deps: Deps) -> Trail:
    """The firing's trail: its post is no older than its scheduled time and its first
    claim; the notes earlier deliveries wrote; a post found is taken only if no other
    firing owns it (the same text may have gone out for another time zone or locale)."""
    scheduled = _utc(key.scheduled_for)
    first = (previous or {}).get("first_claimed_at") or (previous or {}).get("claimed_at")
    since = max(scheduled, _utc(str(first)) if first else deps.now())

    def take(post_id: str) -> bool:
        owner = deps.records.own(key, post_id)
        if owner != str(key):
            deps.log("info", "a post with the same text belongs to another firing", {
                "key": str(key), "owner": owner, "post_id": post_id})  # fmt: skip
        return owner == str(key)

    return Trail(since=since, scheduled_for=scheduled, notes=notes_of(previous),
                 save=lambda name, value: deps.records.note(key, name, value), take=take)  # fmt: skip


def _find_ours(adapter: Adapter, plan_: Plan, trail: Trail, deps: Deps) -> Published | None:
    """The post of this firing the platform already holds; None when there is none.
    A transient refusal is retried as posting is; ``Uncertain`` when the platform cannot
    tell, or cannot be asked (a failed search is no proof that nothing was posted)."""
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            token = deps.tokens.get(adapter.platform, plan_.secret)
            return adapter.find_existing(plan_.request, token, trail)
        except (PlatformError, TokenError) as error:
            delay = _backoff(attempt, error, deps) if isinstance(error, PlatformError) else 0.0
            retry = isinstance(error, PlatformError) and error.retryable
            if retry and delay > deps.remaining_s() - SAFETY_MARGIN_S:
                assert isinstance(error, PlatformError)  # ask again then, as a late retry
                raise Later(error, attempt, retry_time(deps.now(), delay), asking=True) from error
            if not retry or attempt == MAX_ATTEMPTS:
                raise Uncertain(
                    f"could not ask {adapter.platform} whether an earlier attempt posted "
                    f"({_reason(error)})"
                ) from error
            deps.sleep(delay)
    raise AssertionError("unreachable")  # pragma: no cover


def _may_have_posted(error: PlatformError) -> bool:
    """A timeout or a 5xx may come after the platform stored the post; a 429 does not."""
    return error.status == 0 or error.status >= 500


def post_with_retries(
    adapter: Adapter, plan_: Plan, key: Key, trail: Trail, deps: Deps
) -> tuple[Published, int]:
    """Post, retrying what may succeed later. Returns the post and the attempts made;
    raises ``GaveUp`` when it cannot post, ``Uncertain`` when it cannot tell whether an
    attempt posted."""
    refreshed = False
    for attempt in range(1, MAX_ATTEMPTS + 1):
        token = None
        try:
            token = deps.tokens.get(adapter.platform, plan_.secret)  # may refresh it
            published = adapter.publish(plan_.request, token, trail)
            deps.records.own(key, published.post_id)
            return published, attempt
        except PlatformError as error:
            if error.code in DUPLICATE_CODES and token is not None:
                found = _find_ours(adapter, plan_, trail, deps)
                if found is not None:
                    return found, attempt
                raise GaveUp(PlatformError(
                    error.platform, error.status, error.code,
                    f"{error.reason}: the platform already holds this text (posted earlier "
                    "for another firing of this campaign); give each occurrence its own text",
                ), attempt) from error  # fmt: skip
            if error.auth and not refreshed:
                stored = deps.tokens.read(adapter.platform, plan_.secret)
                if stored.can_refresh:
                    refreshed = True
                    deps.tokens.refresh(stored)
                    continue
            if not error.retryable or attempt == MAX_ATTEMPTS:
                raise GaveUp(error, attempt) from error
            if (
                token is not None
                and _may_have_posted(error)
                and adapter.platform not in SAFE_TO_REPEAT
            ):
                found = _find_ours(adapter, plan_, trail, deps)
                if found is not None:
                    return found, attempt
            delay = _backoff(attempt, error, deps)
            if delay > deps.remaining_s() - SAFETY_MARGIN_S:
                raise Later(error, attempt, retry_time(deps.now(), delay)) from error
            deps.log("warning", "platform refused, retrying", {
                "platform": error.platform, "reason": str(error), "attempt": attempt,
                "wait_s": round(delay, 1)})  # fmt: skip
            deps.sleep(delay)
    raise AssertionError("unreachable")  # pragma: no cover


# ---- the whole step -----------------------------------------------------------------


def publish(event: Any, deps: Deps) -> dict[str, Any]:
    key = key_of(event)
    base = Outcome("", key.campaign, key.post, key.channel, key.locale, key.scheduled_for)
    try:
        plan_ = plan(key, deps)
    except NotDue as not_due:
        return _finish(key, base, not_due.status, not_due.reason, deps, event)
    previous = deps.records.claim(key, deps.now(), _deadline(deps))
    try:
        return _claimed(key, previous, plan_, base, deps, event)
    except InProgress:
        raise
    except Exception:
        deps.records.release(key, deps.now())  # the next delivery asks the platform first
        raise


def _deadline(deps: Deps) -> datetime:
    return deps.now() + timedelta(seconds=max(deps.remaining_s(), 0.0))


def _claimed(
    key: Key, previous: dict[str, Any] | None, plan_: Plan, base: Outcome, deps: Deps,
    event: Any,
) -> dict[str, Any]:  # fmt: skip
    adapter = deps.adapter(key.channel, plan_.brand)
    trail = trail_of(key, previous, deps)
    try:
        if previous is not None:
            early = _after_earlier_delivery(key, previous, adapter, plan_, trail, base, deps,
                                            event)  # fmt: skip
            if early is not None:
                return early
        late = _late(key, plan_, deps.now())  # checked after recovery: it may have gone out
        if late is not None:
            return _finish(key, base, "failed", late, deps, event)
        published, attempts = post_with_retries(adapter, plan_, key, trail, deps)
    except GaveUp as gave_up:
        base.attempts = gave_up.attempts
        return _finish(key, base, "failed", _reason(gave_up.error), deps, event)
    except Later as later:
        base.attempts = later.attempts
        return _reschedule(key, plan_, base, later, deps, event)
    except (PlatformError, TokenError) as error:  # while finding what was posted
        return _finish(key, base, "failed", _reason(error), deps, event)
    except Uncertain as uncertain:
        return _finish(key, base, "unknown", f"{uncertain}; it was not posted again", deps,
                       event)  # fmt: skip
    base.attempts = attempts
    if plan_.media_omitted:
        base.reason = f"posted without its {plan_.media_omitted} media item(s): no upload yet"
    return _published(key, base, published, "published", deps)


def _after_earlier_delivery(
    key: Key, previous: dict[str, Any], adapter: Adapter, plan_: Plan, trail: Trail,
    base: Outcome, deps: Deps, event: Any,
) -> dict[str, Any] | None:  # fmt: skip
    """The answer when an earlier delivery claimed this post; None: go on and post."""
    status = previous.get("status")
    redrive = bool(event.get("redrive")) or (status == "waiting" and bool(event.get("retry")))
    if status == "published":
        base.post_id, base.url = previous.get("post_id", ""), previous.get("url", "")
        base.published_at = previous.get("published_at", "")
        deps.metric("Duplicates", key.channel)
        deps.log("info", "already published: duplicate delivery ignored", {"key": str(key)})
        return {**base.as_dict(), "status": "duplicate"}
    if status != "publishing" and not redrive:
        deps.metric("Duplicates", key.channel)
        return {**base.as_dict(), "status": "duplicate", "reason": f"already {status}"}
    deadline = previous.get("deadline", "")
    live = bool(deadline) and deps.now() < _utc(str(deadline))
    if status == "publishing" and live and not redrive:
        raise InProgress(
            f"{key} is being published by another delivery until {deadline}; retry later"
        )
    # An earlier attempt died between claiming and recording, or a person redrives a post
    # that did not go out: ask the platform what is already there before posting.
    deps.records.take_over(key, deps.now(), _deadline(deps))
    found = _find_ours(adapter, plan_, trail, deps)
    if found is not None:
        deps.log("warning", "found the post an earlier attempt made; recorded it", {
            "key": str(key), "post_id": found.post_id})  # fmt: skip
        return _published(key, base, found, "recovered", deps)
    return None


def _reschedule(
    key: Key, plan_: Plan, base: Outcome, later: Later, deps: Deps, event: Any
) -> dict[str, Any]:
    """Fire again at the time the platform names: a one-time schedule in the campaign's
    functions' group (later.py), unless that is past the post's late_by."""
    error, at = later.error, later.at
    wait = f"the platform asks to wait until {at:%Y-%m-%d %H:%M}Z"
    late = _late(key, plan_, at)
    if late is not None and later.asking:  # it may have gone out: a person looks
        reason = f"could not ask whether an earlier attempt posted ({_reason(error)}); {wait}"
        return _finish(key, base, "unknown", f"{reason}, past its late_by", deps, event)
    if late is not None:
        return _finish(key, base, "failed", f"{_reason(error)}; {wait}, so {late}", deps, event)
    if deps.retries is None:
        reason = f"{_reason(error)}; {wait}, longer than this invocation has left"
        return _finish(key, base, "failed", reason, deps, event)
    where = deps.retries.schedule(key.campaign, str(key), event, at)
    reason = f"{_reason(error)}; {wait}: retried then ({where})"
    deps.records.wait(key, deps.now(), at, reason)
    base.status, base.reason = "rescheduled", reason
    deps.metric("Rescheduled", key.channel)
    deps.log("warning", "rescheduled", {"key": str(key), "at": _stamp(at), "schedule": where})
    return base.as_dict()


def _reason(error: Exception) -> str:
    if isinstance(error, PlatformError):
        return f"{error.reason} ({error.platform}, HTTP {error.status}, {error.code})"
    return str(error)


def _published(
    key: Key, base: Outcome, published: Published, status: str, deps: Deps
) -> dict[str, Any]:
    base.status = status
    base.post_id, base.url = published.post_id, published.url
    base.published_at = _stamp(published.published_at)
    deps.records.finish(key, "published", deps.now(), post_id=published.post_id,
                        url=published.url, published_at=base.published_at)  # fmt: skip
    deps.metric("Published", key.channel)
    deps.log("info", "published", {"key": str(key), "url": published.url, "status": status})
    return base.as_dict()


def _finish(
    key: Key, base: Outcome, status: str, reason: str, deps: Deps, event: Any
) -> dict[str, Any]:
    base.status, base.reason = status, reason
    record_status = "skipped" if status == "stale" else status
    deps.records.finish(key, record_status, deps.now(), reason=reason)
    outcome = base.as_dict()
    if status in DEAD_LETTERED:
        deps.metric("NotPublished", key.channel)
        deps.log("error", "not published", {"key": str(key), "status": status, "reason": reason})
        dead_letter(event, outcome, deps)
        notify(key, outcome, deps)
    else:
        deps.metric("Skipped", key.channel)
        deps.log("warning", "skipped", {"key": str(key), "reason": reason})
    return outcome


def dead_letter(event: Any, outcome: dict[str, Any], deps: Deps) -> None:
    """The event and why it did not post, to the dead-letter queue (redrive re-sends it)."""
    if deps.sqs is None or not deps.dead_letter_url:
        return
    body = {"event": {**event, "redrive": _stamp(deps.now())}, "outcome": outcome}
    deps.sqs.send_message(QueueUrl=deps.dead_letter_url, MessageBody=json.dumps(body))


def notify(key: Key, outcome: dict[str, Any], deps: Deps) -> None:
    if deps.sns is None or not deps.failures_topic:
        return
    verb = {"held": "held", "stale": "not scheduled right", "unknown": "may not have posted"}
    subject = f"socialops: {key.post} on {key.channel} {verb.get(outcome['status'], 'failed')}"
    message = "\n".join([
        f"The post {key.post!r} of campaign {key.campaign!r} was not published on "
        f"{key.channel}" + (f" ({key.locale})" if key.locale else "") + ".",
        f"Scheduled for: {key.scheduled_for}",
        f"Why: {outcome['reason']}",
        "The event is in the publish dead-letter queue; redrive it once the cause is fixed.",
    ])  # fmt: skip
    deps.sns.publish(
        TopicArn=deps.failures_topic, Subject=subject[:100], Message=message,
        MessageAttributes={
            "campaign": {"DataType": "String", "StringValue": key.campaign},
            "status": {"DataType": "String", "StringValue": outcome["status"]},
        },
    )  # fmt: skip
