"""What ``publish`` does with one Scheduler event, with every outside thing injected.

The handler (handler.py) wraps :func:`publish` in Powertools idempotency and builds the
:class:`Deps` from the environment; ``socialops simulate`` and the tests build their own
(a virtual clock, local peers). The steps, in order:

1. the event names a post that still exists as scheduled: campaign, post, channel, the
   campaign window, and, for a fixed local time, the same UTC instant under today's time
   zone rules (a changed rule means the schedule is stale: a person must redeploy); an
   ``at: auto`` occurrence's firing is the one its placement names (functions/common/
   placement.py: the fallback schedule until optimize places it), else it steps aside
   (``moved``, nothing recorded);
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

Step 1 is due.py, step 4 posting.py, step 5 outcome.py; this module holds the record's
claim and what an earlier delivery left (step 3) and the late retries' hand-off.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from functions.common.platform.errors import PlatformError
from functions.common.platform.tokens import TokenError, Tokens
from functions.publish.adapters.base import Adapter, Trail, Uncertain
from functions.publish.due import NotDue, Plan, key_of, late_reason, placed_of, plan, stamp, utc
from functions.publish.later import Later, Retries
from functions.publish.outcome import Outcome, finish, reason_of, record_published
from functions.publish.posting import GaveUp, find_ours, post_with_retries, trail_of
from functions.publish.records import Key, Records, Superseded

__all__ = ["Deps", "InProgress", "key_of", "publish"]


class InProgress(RuntimeError):
    """Another delivery of the same event is publishing right now: try again later."""


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
    # review: none: the occurrence's text from generate (runtime.py's answer); None: held
    write_text: Callable[[Key], Mapping[str, Any]] | None = None


def publish(event: Any, deps: Deps) -> dict[str, Any]:
    key = key_of(event)
    base = Outcome("", key.campaign, key.post, key.channel, key.locale, key.scheduled_for)
    try:
        plan_ = plan(key, deps, placed_of(event))
        previous = deps.records.claim(key, deps.now(), _deadline(deps), plan_.placement)
    except NotDue as not_due:
        return finish(key, base, not_due.status, not_due.reason, deps, event)
    except Superseded as moved:  # optimize moved it between the check and the claim
        return finish(key, base, "moved", str(moved), deps, event)
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
    if hasattr(adapter, "now"):  # an adapter that stamps its posts (Bluesky) uses our clock
        adapter.now = deps.now
    trail = trail_of(key, previous, deps, plan_.request.account)
    try:
        if previous is not None:
            early = _after_earlier_delivery(key, previous, adapter, plan_, trail, base, deps,
                                            event)  # fmt: skip
            if early is not None:
                return early
        late = late_reason(key, plan_, deps.now())  # checked after recovery: it may have gone out
        if late is not None:
            return finish(key, base, "failed", late, deps, event)
        published, attempts = post_with_retries(adapter, plan_, key, trail, deps)
    except GaveUp as gave_up:
        base.attempts = gave_up.attempts
        return finish(key, base, "failed", reason_of(gave_up.error), deps, event)
    except Later as later:
        base.attempts = later.attempts
        return _reschedule(key, plan_, base, later, deps, event)
    except (PlatformError, TokenError) as error:  # while finding what was posted
        return finish(key, base, "failed", reason_of(error), deps, event)
    except Uncertain as uncertain:
        return finish(key, base, "unknown", f"{uncertain}; it was not posted again", deps,
                       event)  # fmt: skip
    base.attempts = attempts
    return record_published(key, base, published, "published", deps, plan_)


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
    live = bool(deadline) and deps.now() < utc(str(deadline))
    if status == "publishing" and live and not redrive:
        raise InProgress(
            f"{key} is being published by another delivery until {deadline}; retry later"
        )
    # An earlier attempt died between claiming and recording, or a person redrives a post
    # that did not go out: ask the platform what is already there before posting.
    deps.records.take_over(key, deps.now(), _deadline(deps))
    found = find_ours(adapter, plan_, trail, deps)
    if found is not None:
        deps.log("warning", "found the post an earlier attempt made; recorded it", {
            "key": str(key), "post_id": found.post_id})  # fmt: skip
        return record_published(key, base, found, "recovered", deps, plan_)
    return None


def _reschedule(
    key: Key, plan_: Plan, base: Outcome, later: Later, deps: Deps, event: Any
) -> dict[str, Any]:
    """Fire again at the time the platform names: a one-time schedule in the campaign's
    functions' group (later.py), unless that is past the post's late_by."""
    error, at = later.error, later.at
    wait = f"the platform asks to wait until {at:%Y-%m-%d %H:%M}Z"
    late = late_reason(key, plan_, at)
    if late is not None and later.asking:  # it may have gone out: a person looks
        reason = f"could not ask whether an earlier attempt posted ({reason_of(error)}); {wait}"
        return finish(key, base, "unknown", f"{reason}, past its late_by", deps, event)
    if late is not None:
        return finish(key, base, "failed", f"{reason_of(error)}; {wait}, so {late}", deps, event)
    if deps.retries is None:
        reason = f"{reason_of(error)}; {wait}, longer than this invocation has left"
        return finish(key, base, "failed", reason, deps, event)
    where = deps.retries.schedule(key.campaign, str(key), event, at)
    reason = f"{reason_of(error)}; {wait}: retried then ({where})"
    deps.records.wait(key, deps.now(), at, reason)
    base.status, base.reason = "rescheduled", reason
    deps.metric("Rescheduled", key.channel)
    deps.log("warning", "rescheduled", {"key": str(key), "at": stamp(at), "schedule": where})
    return base.as_dict()
