"""A post text's problems against its platform's limits and its brand's style guide: what
``validate`` reports for hand-written text and what every generated variant must pass
(functions/generate), in one place."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from schema.brand import Brand
from schema.platforms import PLATFORMS, emoji_count, hashtags, over_limits


@lru_cache(maxsize=1024)
def term_pattern(term: str) -> re.Pattern[str]:
    """``term`` as a whole word or phrase, any case."""
    return re.compile(rf"(?<!\w){re.escape(term)}(?!\w)", re.IGNORECASE)


def text_problems(
    channel: str, text: str, paid: bool, brand: Brand | None
) -> Iterator[tuple[str, str]]:
    """(code, message) for each problem: E501 over a limit, E502 too many hashtags, E504 a
    banned hashtag or term, E505 emoji, E503 a paid post without its disclosure, W501 a
    required hashtag missing (a warning). ``brand`` None: the platform's rules only."""
    spec = PLATFORMS[channel]
    for message in over_limits(channel, text):
        yield "E501", message
    tags = hashtags(text)
    if spec.max_hashtags is not None and len(tags) > spec.max_hashtags:
        yield (
            "E502",
            f"expected at most {spec.max_hashtags} hashtags on {spec.title}, found {len(tags)}",
        )
    if brand is None:
        return
    style = brand.style
    if style.hashtags.max is not None and len(tags) > style.hashtags.max:
        yield "E502", (f"expected at most {style.hashtags.max} hashtags (brand style), "
                       f"found {len(tags)}")  # fmt: skip
    lowered = {t.lower() for t in tags}
    for tag in style.hashtags.banned:
        if tag.lower() in lowered:
            yield "E504", f"expected no banned hashtag (brand style), found {tag!r}"
    missing = [t for t in style.hashtags.required if t.lower() not in lowered]
    if missing:
        yield "W501", f"expected the brand's required hashtags, found none of {', '.join(missing)}"
    for term in style.banned_terms:
        if term_pattern(term).search(text):
            yield "E504", f"expected no banned term (brand style), found {term!r}"
    emoji = emoji_count(text)
    if emoji and not style.emoji.allowed:
        yield "E505", f"expected no emoji (brand style), found {emoji}"
    elif style.emoji.max_per_post is not None and emoji > style.emoji.max_per_post:
        yield "E505", (f"expected at most {style.emoji.max_per_post} emoji (brand style), "
                       f"found {emoji}")  # fmt: skip
    if paid and not any(term_pattern(d).search(text) for d in style.disclosures.paid):
        yield "E503", (f"expected a paid-post disclosure ({' or '.join(style.disclosures.paid)})"
                       ", found none")  # fmt: skip
