"""``review: none``: the text of one occurrence written at run time, when ``publish`` is about
to post it (ARCHITECTURE.md 9). A brand that sets ``review: none`` on a generation rule opts
out of the pull request: no person reads these texts first, so the guardrails are all that
stands between the provider and the platform, and every text is logged with its prompt,
provider and model.

``publish`` invokes ``generate`` synchronously with the occurrence (campaign, post, channel,
locale, scheduled_for) when it has no approved text for a post whose rule says
``review: none``. The text is written once per occurrence: it is stored in the publish
records table (``pk = generated#<campaign>#<post>``, ``sk = <channel>#<locale|->#<time>``)
on condition that none is there, so a retried or concurrent delivery posts the same text,
and a later invocation returns the stored one. On a platform that refuses the same text
twice, the texts already stored for the post on that channel are not chosen again. No
forecast ranks them (the function carries no model stack): the first variant that passes.
Nothing passes, or the provider fails: no text, and the reason, which publish holds the
post with.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from functions.common import config
from functions.common.errors import EventError, require, scheduled_time
from functions.common.items import plain
from schema.platforms import PLATFORMS

FUNCTION = "generate"
ENV = ("PUBLISH_RECORDS_TABLE",)
RESERVE_S = 10.0  # of the invocation's time, kept for storing the text and answering
PREFIX = "generated#"


def _quiet(level: str, message: str, extra: Mapping[str, Any]) -> None:
    pass


@dataclass
class Deps:
    dynamodb: Any  # low-level client
    records_table: str  # PUBLISH_RECORDS_TABLE
    secrets: Any = None  # Secrets Manager client (the OpenAI key), made when first needed
    provider: Callable[[Any], tuple[Any, str]] | None = None  # default: from the environment
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    log: Callable[[str, str, Mapping[str, Any]], None] = _quiet
    remaining_s: Callable[[], float] = field(default=lambda: math.inf)


@dataclass(frozen=True)
class Occurrence:
    campaign: str
    post: str
    channel: str
    locale: str
    scheduled_for: str  # UTC, as the schedule's payload says it

    @classmethod
    def of(cls, event: Mapping[str, Any]) -> Occurrence:
        fields = require(FUNCTION, event, ("campaign", "post", "channel", "scheduled_for"))
        locale = event.get("locale") or ""
        if not isinstance(locale, str):
            raise EventError(f"{FUNCTION}: locale must be a string, found {type(locale).__name__}")
        return cls(fields["campaign"], fields["post"], fields["channel"], locale,
                   fields["scheduled_for"])  # fmt: skip

    @property
    def key(self) -> dict[str, Any]:
        return {"pk": {"S": f"{PREFIX}{self.campaign}#{self.post}"},
                "sk": {"S": f"{self.channel}#{self.locale or '-'}#{self.scheduled_for}"}}  # fmt: skip

    def when(self) -> datetime:
        return scheduled_time(FUNCTION, self.scheduled_for)


def _stored(deps: Deps, occurrence: Occurrence) -> dict[str, Any] | None:
    found = deps.dynamodb.get_item(TableName=deps.records_table, Key=occurrence.key,
                                   ConsistentRead=True).get("Item")  # fmt: skip
    return {k: plain(v) for k, v in found.items()} if found else None


def _taken(deps: Deps, occurrence: Occurrence) -> set[str]:
    """The texts already stored for the post on the occurrence's channel."""
    taken: set[str] = set()
    kwargs: dict[str, Any] = {
        "TableName": deps.records_table, "ConsistentRead": True,
        "KeyConditionExpression": "pk = :pk AND begins_with(sk, :channel)",
        "ExpressionAttributeValues": {":pk": occurrence.key["pk"],
                                      ":channel": {"S": f"{occurrence.channel}#"}},
    }  # fmt: skip
    while True:
        page = deps.dynamodb.query(**kwargs)
        taken |= {str(plain(i["text"])) for i in page.get("Items", []) if "text" in i}
        if "LastEvaluatedKey" not in page:
            return taken
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _occasion(campaign: Any, when: datetime) -> int:
    """The occurrence's place in a recurring post's series: days since the campaign began
    (the CLI counts occurrences; here the compiled list is not at hand)."""
    start = campaign.window.start.date()
    return max(0, (when.date() - start).days)


@dataclass(frozen=True)
class Target:
    """An occurrence checked against the compiled config: its post has a brief whose rule
    says ``review: none``."""

    occurrence: Occurrence
    when: datetime
    loaded: Any  # the campaign's RuntimeConfig
    post: Any
    rule: Any


def target(event: Mapping[str, Any]) -> Target:
    """The event's occurrence, or EventError saying why it is not one to write now."""
    occurrence = Occurrence.of(event)
    when = occurrence.when()
    loaded = config.load(occurrence.campaign)
    campaign = loaded.campaign
    post = next((p for p in campaign.posts if p.id == occurrence.post), None)
    if post is None or post.generate is None:
        raise EventError(f"{FUNCTION}: campaign {campaign.name!r} has no post {occurrence.post!r} "
                         "with a generate brief")  # fmt: skip
    rule = campaign.generation[post.generate.rule]
    if rule.review != "none":
        raise EventError(f"{FUNCTION}: post {post.id!r} is reviewed (rule {post.generate.rule!r}, "
                         "review: required): its texts come from `socialops generate` and a "
                         "merged pull request, not at run time")  # fmt: skip
    return Target(occurrence, when, loaded, post, rule)


def write(event: Mapping[str, Any] | Target, deps: Deps) -> dict[str, Any]:
    """The occurrence's text, written now or read back (see the module); JSON-able."""
    from functions.generate.briefs import grounds_for, language, request_for
    from functions.generate.drafting import provider_from_env
    from functions.generate.providers import messages
    from functions.generate.variants import write as write_variants

    found = event if isinstance(event, Target) else target(event)
    occurrence, when, loaded, post, rule = (found.occurrence, found.when, found.loaded,
                                            found.post, found.rule)  # fmt: skip
    campaign = loaded.campaign
    answer: dict[str, Any] = {"campaign": campaign.name, "post": post.id,
                              "channel": occurrence.channel, "locale": occurrence.locale,
                              "scheduled_for": occurrence.scheduled_for}  # fmt: skip
    stored = _stored(deps, occurrence)
    if stored is not None:
        return {**answer, "text": stored["text"], "by": stored.get("by", ""), "stored": "exists"}
    audiences = post.audiences or campaign.audiences
    request = request_for(loaded, post, occurrence.channel,
                          language(loaded, rule, occurrence.locale, audiences),
                          _occasion(campaign, when))  # fmt: skip
    provider, offline_why = (deps.provider or provider_from_env)(deps)
    written = write_variants(request, provider, grounds_for(loaded, post),
                             deadline_s=max(0.0, deps.remaining_s() - RESERVE_S))  # fmt: skip
    taken = _taken(deps, occurrence) if PLATFORMS[occurrence.channel].refuses_duplicates else set()
    fresh = [v for v in written.kept if v.text not in taken]
    by = f"{written.provider}/{written.model or getattr(provider, 'model', '')}"
    record = {**answer, "by": by, "offline": offline_why, "attempts": written.attempts,
              "prompt": messages(request),
              "refused": [{"text": v.text, "refusals": [f"{r.code} {r.reason}" for r in v.refusals]}
                          for v in written.dropped]}  # fmt: skip
    if not fresh:
        reason = ("every passing text was posted on this channel before, which refuses a "
                  "text twice" if written.kept else written.none_passed)  # fmt: skip
        deps.log("warning", f"{FUNCTION}: no run-time text", {**record, "reason": reason})
        return {**answer, "text": None, "by": by, "reason": reason}
    text = fresh[0].text
    deps.log("info", f"{FUNCTION}: run-time text written", {**record, "text": text})
    try:
        deps.dynamodb.put_item(
            TableName=deps.records_table,
            Item={**occurrence.key, "text": {"S": text}, "by": {"S": by},
                  "written_at": {"S": deps.now().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}},
            ConditionExpression="attribute_not_exists(pk)",
        )  # fmt: skip
    except deps.dynamodb.exceptions.ConditionalCheckFailedException:
        stored = _stored(deps, occurrence) or {}  # a concurrent invocation stored first
        return {
            **answer,
            "text": stored.get("text"),
            "by": stored.get("by", ""),
            "stored": "exists",
        }
    return {**answer, "text": text, "by": by, "stored": "written"}


_deps: Deps | None = None


def use(deps: Deps | None) -> None:
    """Run with these dependencies (simulate, tests); None: build them from the env."""
    global _deps
    _deps = deps


def handle(event: Mapping[str, Any], context: Any, logger: Any) -> dict[str, Any]:
    """The handler's run-time path: dependencies from the environment on the first call."""
    global _deps
    import boto3

    from functions.common import runtime

    found = target(event)  # the event and the config first, then the environment
    if _deps is None:
        _deps = Deps(boto3.client("dynamodb"), runtime.env(FUNCTION, "PUBLISH_RECORDS_TABLE"),
                     log=runtime.log_to(logger))  # fmt: skip
    _deps.remaining_s = lambda: context.get_remaining_time_in_millis() / 1000.0
    return write(found, _deps)
