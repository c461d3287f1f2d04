"""What a Scheduler event asks ``publish`` for, checked against today's config: the post
still exists as scheduled (campaign, post, channel, window, and for a fixed local time the
same UTC instant under today's time zone rules), the brand is not paused, the text exists;
and how late it may still go out (``late_by``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from functions.common import config as configs
from functions.common.errors import EventError, require, scheduled_time
from functions.common.pause import paused
from functions.common.placement import PLACED_KEY, superseded
from functions.publish.adapters.base import PostRequest
from functions.publish.records import Key
from schema.types import duration_seconds

if TYPE_CHECKING:
    from functions.publish.service import Deps

FUNCTION = "publish"


def utc(text: str) -> datetime:
    return scheduled_time(FUNCTION, text)


def stamp(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def key_of(event: Any) -> Key:
    fields = require(FUNCTION, event, ("campaign", "post", "channel", "scheduled_for"))
    locale = event.get("locale") or ""
    if not isinstance(locale, str):
        raise EventError(f"{FUNCTION}: locale must be a string")
    utc(fields["scheduled_for"])
    placed_of(event)
    return Key(fields["campaign"], fields["post"], fields["channel"], locale,
               fields["scheduled_for"])  # fmt: skip


def placed_of(event: Any) -> str:
    """The placement a placed firing of an ``at: auto`` occurrence carries (its UTC time,
    functions/common/placement.py); "" for any other firing."""
    placed = event.get(PLACED_KEY) or ""
    if not isinstance(placed, str):
        raise EventError(f"{FUNCTION}: {PLACED_KEY} must be a string")
    if placed:
        utc(placed)
    return placed


# ---- what the event asks for, checked against today's config -----------------------


@dataclass(frozen=True)
class Plan:
    """A post that is due: the account to use and the request to send."""

    brand: str
    secret: str
    request: PostRequest
    late_by: str = "6h"  # after its time + late_by it is not sent (a duration)
    due: str = ""  # the UTC time it is meant to go out: its placement's, else its own
    # an ``at: auto`` occurrence's placement, as the firing has it ("": the fallback); None
    # for any other post (Records.claim)
    placement: str | None = None


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


def approved(config: Any, key: Key, when: datetime) -> Any:
    """The generated text approved for this occurrence (a merged ``generated`` file, compiled
    into the config: ``ApprovedText``, with its image if one was drawn), or None."""
    for text in config.texts:
        if (text.post, text.channel, text.locale or "") == (key.post, key.channel, key.locale or "") \
                and utc(text.scheduled_for) == when:  # fmt: skip
            return text
    return None


def written_now(key: Key, deps: Deps) -> str:
    """``review: none``: the occurrence's text from ``generate`` (functions/generate/
    runtime.py: written once, guardrails only), or held with generate's reason."""
    if deps.write_text is None:
        raise NotDue("held", f"post {key.post!r} is generated at run time (review: none), "
                     "and this deployment cannot reach the generate function")  # fmt: skip
    try:
        answer = deps.write_text(key)
    except Exception as error:  # the invocation itself failed: a person redrives it
        raise NotDue("held", f"post {key.post!r}: run-time generation failed "
                     f"({type(error).__name__}: {error}); redrive once generate works") from None  # fmt: skip
    if not answer.get("text"):
        raise NotDue("held", f"post {key.post!r}: no text written at run time: "
                     f"{answer.get('reason') or answer.get('error') or 'no reason given'}")  # fmt: skip
    return str(answer["text"])


class NotDue(Exception):
    """The event does not lead to a post: ``status`` and ``reason`` say why."""

    def __init__(self, status: str, reason: str) -> None:
        super().__init__(reason)
        self.status, self.reason = status, reason


def plan(key: Key, deps: Deps, placed: str = "") -> Plan:
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
    auto = post.at == "auto"
    if placed and not auto:
        raise NotDue("skipped", f"post {key.post!r} is no longer 'at: auto' (it was placed "
                     f"at {placed}); its own schedule posts it")  # fmt: skip
    if auto:
        moved = superseded(placed, deps.records.get(key))
        if moved is not None:
            raise NotDue("moved", moved)
    when = utc(placed or key.scheduled_for)
    tz = ZoneInfo(campaign.timezone)
    start = campaign.window.start.replace(tzinfo=tz)
    end = campaign.window.end.replace(tzinfo=tz)
    if not start <= when < end:
        raise NotDue(
            "skipped",
            f"{stamp(when)} is outside the campaign window ({campaign.window.start} to "
            f"{campaign.window.end} {campaign.timezone})",
        )
    if isinstance(post.at, datetime):
        local = post.at.replace(tzinfo=None)
        here = zones(config, post)
        if not any(when.astimezone(ZoneInfo(z)).replace(tzinfo=None) == local for z in here):
            now_utc = [f"{stamp(local.replace(tzinfo=ZoneInfo(z)))} in {z}" for z in here]
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
    text, declared = render(post, key.channel, key.locale)
    media = [(str(m.url), m.type, m.alt or "") for m in declared]
    if text is None:
        found = approved(config, key, when)
        if found is not None:
            text = str(found.text)
            # its image stands for the post's media on this channel (the brief asked for one)
            media = [tuple(m) for m in found.media] or media
    if text is None and post.generate and campaign.generation[post.generate.rule].review == "none":
        text = written_now(key, deps)
    if text is None:
        raise NotDue(
            "held",
            f"post {key.post!r} has no approved generated text for {key.channel}"
            f"{f' ({key.locale})' if key.locale else ''} at {key.scheduled_for}: run "
            f"`socialops generate --campaign {key.campaign} --post {key.post}` and merge "
            "the pull request it opens",
        )
    request = PostRequest(
        text=text,
        idempotency_key=key.idempotency_key,
        handle=account.handle,
        account_id=account.id,
        instance=str(account.instance) if account.instance else None,
        media=tuple((str(url), str(kind), str(alt)) for url, kind, alt in media),
    )
    return Plan(config.brand.name, account.secret, request, late_by, stamp(when),
                placed if auto else None)  # fmt: skip


def media_kind(request: PostRequest) -> str:
    """What the post carried, in the lake's words (functions/ingest/engagement MEDIA_KINDS):
    none, image, video, or album (more than one item)."""
    if not request.media:
        return "none"
    if len(request.media) > 1:
        return "album"
    return "video" if request.media[0][1] == "video" else "image"


def late_reason(key: Key, plan_: Plan, at: datetime) -> str | None:
    """Why posting at ``at`` is too late for this post (None: it is not)."""
    due = plan_.due or key.scheduled_for
    late = at - utc(due)
    if late <= timedelta(seconds=duration_seconds(plan_.late_by)):
        return None
    return too_late(due, late, plan_.late_by)


def too_late(due: str, late: timedelta, late_by: str) -> str:
    hours = late.total_seconds() / 3600
    return (
        f"it would go out {hours:.1f} h after its time ({due}), more than its "
        f"late_by of {late_by}: not sent late; post it by hand, or raise late_by and redrive"
    )
