"""What a post's brief asks the provider for, the same for ``socialops generate`` (the
reviewed texts, infra/generate_cmd.py) and for the run-time texts of ``review: none``
(runtime.py): the request (the rule's tone, length, hashtags and variants, the channel, the
language, the occurrence's place in a recurring post's series) and the guardrails'
grounds (the brief, the brand file, the campaign's name and description)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from functions.generate.guardrails import Grounds
from functions.generate.providers import Request


def language(config: Any, rule: Any, locale: str, audiences: Iterable[str]) -> str:
    """What language the text is written in: the rule's, the occurrence's locale, its
    first audience's first locale, else English."""
    if rule.language:
        return str(rule.language)
    if locale:
        return locale
    for name in audiences:
        audience = config.audiences.get(name)
        if audience is not None and audience.locales:
            return str(audience.locales[0])
    return "en"


def request_for(config: Any, post: Any, channel: str, lang: str, occasion: int,
                variants: int | None = None) -> Request:  # fmt: skip
    """The request for one occurrence of ``post`` (which has a brief) on ``channel``."""
    rule = config.campaign.generation[post.generate.rule]
    return Request(
        brand=config.brand, brief=post.generate.brief, channel=channel, locale=lang,
        n=variants or rule.variants, tone=tuple(rule.tone or ()),
        max_chars=rule.length.max if rule.length else None,
        hashtags=(rule.hashtags.min, rule.hashtags.max) if rule.hashtags else None,
        paid=post.paid, occasion=occasion,
    )  # fmt: skip


def grounds_for(config: Any, post: Any) -> Grounds:
    """What a variant of ``post`` may say: its brief, the brand file, the campaign's words."""
    campaign = config.campaign
    return Grounds.of(
        post.generate.brief, config.brand, (campaign.name, campaign.description or "")
    )
