"""The one table of platform facts: API versions, text limits and how each counts text.

Build-time checks and the run-time adapters both read this table; nothing else in the
project hard-codes a platform limit.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

Counting = Literal["weighted", "graphemes", "codepoints_url23", "codepoints"]


@dataclass(frozen=True)
class PlatformSpec:
    name: str
    title: str
    max_text: int
    counting: Counting
    max_hashtags: int | None = None
    media_required: bool = False
    api_base: str = ""
    api_version: str = ""
    # The token kind decides refresh: None means it cannot be refreshed and must be
    # replaced by a person before ``token_lifetime_days``.
    refreshable: bool = True
    token_lifetime_days: int | None = None
    posts_per_day: int | None = None
    how_counted: str = ""


PLATFORMS: dict[str, PlatformSpec] = {
    spec.name: spec
    for spec in (
        PlatformSpec(
            "instagram", "Instagram", 2_200, "codepoints", max_hashtags=30,
            media_required=True, api_base="https://graph.facebook.com", api_version="v21.0",
            token_lifetime_days=60, posts_per_day=50, how_counted="characters",
        ),
        PlatformSpec(
            "facebook", "Facebook", 63_206, "codepoints",
            api_base="https://graph.facebook.com", api_version="v21.0",
            token_lifetime_days=60, how_counted="characters",
        ),
        PlatformSpec(
            "x", "X", 280, "weighted", api_base="https://api.x.com", api_version="2",
            token_lifetime_days=None, posts_per_day=2_400,
            how_counted="weighted characters (a URL counts 23, an emoji 2, CJK 2)",
        ),
        PlatformSpec(
            "linkedin", "LinkedIn", 3_000, "codepoints", api_base="https://api.linkedin.com",
            api_version="202411", refreshable=False, token_lifetime_days=60,
            how_counted="characters",
        ),
        PlatformSpec(
            "tiktok", "TikTok", 2_200, "codepoints", media_required=True,
            api_base="https://open.tiktokapis.com", api_version="v2", token_lifetime_days=1,
            how_counted="characters",
        ),
        PlatformSpec(
            "bluesky", "Bluesky", 300, "graphemes", api_base="https://bsky.social",
            api_version="atproto", how_counted="graphemes",
        ),
        PlatformSpec(
            "mastodon", "Mastodon", 500, "codepoints_url23", api_base="", api_version="v1",
            refreshable=False, how_counted="characters (a URL counts 23)",
        ),
    )
}  # fmt: skip

URL = re.compile(r"https?://[^\s<>\"']+[^\s<>\"'.,;:!?)\]]", re.IGNORECASE)
HASHTAG = re.compile(r"(?<![\w#])#(\w+)", re.UNICODE)
TCO_LENGTH = 23
_REMOTE_MENTION = re.compile(r"@(\w+)@[\w.-]+\w")

_ZWJ = "\u200d"
_VS = {"\ufe0e", "\ufe0f"}


def _is_extender(ch: str) -> bool:
    code = ord(ch)
    return (
        ch in _VS
        or 0x1F3FB <= code <= 0x1F3FF  # skin tones
        or 0xE0020 <= code <= 0xE007F  # tag sequences (flags of regions)
        or code == 0x20E3  # keycap
        or unicodedata.category(ch) in ("Mn", "Me", "Mc")
    )


def _is_regional(ch: str) -> bool:
    return 0x1F1E6 <= ord(ch) <= 0x1F1FF


def graphemes(text: str) -> list[str]:
    """Extended grapheme clusters, close enough to UAX #29 for social text.

    Handles combining marks, variation selectors, skin tones, keycaps, ZWJ emoji
    sequences, flag pairs and CRLF.
    """
    clusters: list[str] = []
    i, n = 0, len(text)
    while i < n:
        start = i
        if text.startswith("\r\n", i):
            clusters.append("\r\n")
            i += 2
            continue
        if _is_regional(text[i]) and i + 1 < n and _is_regional(text[i + 1]):
            i += 2
        else:
            i += 1
        while i < n:
            if _is_extender(text[i]):
                i += 1
            elif text[i] == _ZWJ and i + 1 < n:
                i += 2
            else:
                break
        clusters.append(text[start:i])
    return clusters


def is_emoji(cluster: str) -> bool:
    first = ord(cluster[0])
    return (
        first >= 0x1F000
        or 0x2600 <= first <= 0x27BF
        or 0x2B00 <= first <= 0x2BFF
        or (len(cluster) > 1 and ("\ufe0f" in cluster or "\u20e3" in cluster))
    )


def _x_weight(ch: str) -> int:
    code = ord(ch)
    light = (
        code <= 0x10FF
        or 0x2000 <= code <= 0x200D
        or 0x2010 <= code <= 0x201F
        or 0x2032 <= code <= 0x2037
    )
    return 1 if light else 2


def _weighted(text: str) -> int:
    """twitter-text v3: URLs count 23, emoji 2, CJK 2, Latin 1."""
    total, last = 0, 0
    for match in URL.finditer(text):
        total += _weighted_plain(text[last : match.start()]) + TCO_LENGTH
        last = match.end()
    return total + _weighted_plain(text[last:])


def _weighted_plain(text: str) -> int:
    total = 0
    for cluster in graphemes(unicodedata.normalize("NFC", text)):
        total += 2 if is_emoji(cluster) else sum(_x_weight(c) for c in cluster)
    return total


def text_length(platform: str, text: str) -> int:
    """Length of ``text`` the way ``platform`` counts it against its limit."""
    counting = PLATFORMS[platform].counting
    if counting == "weighted":
        return _weighted(text)
    if counting == "graphemes":
        return len(graphemes(text))
    if counting == "codepoints_url23":  # Mastodon: URLs 23, @user@domain counts as @user
        return len(_REMOTE_MENTION.sub(r"@\1", URL.sub("x" * TCO_LENGTH, text)))
    return len(text)


def hashtags(text: str) -> list[str]:
    return ["#" + tag for tag in HASHTAG.findall(text)]


def emoji_count(text: str) -> int:
    return sum(1 for cluster in graphemes(text) if is_emoji(cluster))
