"""Posting with retries (step 4 of service.py): transient refusals are retried with backoff
that honours Retry-After and rate-limit reset headers, within the invocation's time; what
an earlier attempt may have posted is asked of the platform through the firing's Trail,
never found by its text alone; a wait past the invocation becomes ``Later``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from functions.common.platform.errors import PlatformError
from functions.common.platform.tokens import TokenError
from functions.publish.adapters.base import Adapter, Published, Trail, Uncertain
from functions.publish.due import Plan, utc
from functions.publish.later import Later, retry_time
from functions.publish.outcome import reason_of
from functions.publish.records import Key, notes_of

if TYPE_CHECKING:
    from functions.publish.service import Deps


MAX_ATTEMPTS = 5
BACKOFF_BASE_S = 2.0
BACKOFF_CAP_S = 30.0
SAFETY_MARGIN_S = 10.0  # time kept to record the outcome after the last attempt
DUPLICATE_CODES = {"187", "duplicate", "DUPLICATE_POST"}
# Platforms whose retry within an invocation cannot post twice: Mastodon keeps the
# Idempotency-Key for about an hour (a later redrive asks the platform like the others).
SAFE_TO_REPEAT = ("mastodon",)


class GaveUp(Exception):
    """Posting failed for good after ``attempts`` tries; ``error`` is the last refusal."""

    def __init__(self, error: PlatformError, attempts: int) -> None:
        super().__init__(str(error))
        self.error, self.attempts = error, attempts


def _backoff(attempt: int, error: PlatformError, deps: Deps) -> float:
    if error.retry_after_s is not None:
        return error.retry_after_s + deps.jitter.uniform(0, 1)
    return deps.jitter.uniform(0, min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2**attempt))


def trail_of(key: Key, previous: dict[str, Any] | None, deps: Deps, account: str) -> Trail:
    """The firing's trail: its post is no older than its scheduled time and its first
    claim; the notes earlier deliveries wrote; a post found is taken only if no other
    firing owns it (the same text may have gone out for another time zone or locale)."""
    scheduled = utc(key.scheduled_for)
    first = (previous or {}).get("first_claimed_at") or (previous or {}).get("claimed_at")
    since = max(scheduled, utc(str(first)) if first else deps.now())

    def take(post_id: str) -> bool:
        owner = deps.records.own(key, post_id, account)
        if owner != str(key):
            deps.log("info", "a post with the same text belongs to another firing", {
                "key": str(key), "owner": owner, "post_id": post_id})  # fmt: skip
        return owner == str(key)

    return Trail(since=since, scheduled_for=scheduled, notes=notes_of(previous),
                 save=lambda name, value: deps.records.note(key, name, value), take=take)  # fmt: skip


def find_ours(adapter: Adapter, plan_: Plan, trail: Trail, deps: Deps) -> Published | None:
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
                    f"({reason_of(error)})"
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
            deps.records.own(key, published.post_id, plan_.request.account)
            return published, attempt
        except PlatformError as error:
            if error.code in DUPLICATE_CODES and token is not None:
                found = find_ours(adapter, plan_, trail, deps)
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
                found = find_ours(adapter, plan_, trail, deps)
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
