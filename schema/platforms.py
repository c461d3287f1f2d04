"""The one table of platform facts: API versions, text limits and how each counts text.

Build-time checks and the run-time adapters both read this table; nothing else in the
project hard-codes a platform limit.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

Counting = Literal["weighted", "graphemes", "graphemes_url23", "codepoints"]


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
    max_bytes: int | None = None  # a second limit, in UTF-8 bytes (Bluesky stores 3000)
    # Media the adapter can post, and how many items in one post; () where it posts none.
    media_kinds: tuple[str, ...] = ()
    max_media: int = 0
    video_alone: bool = False  # a video is the post's only media item
    # What the platform takes, per kind: (kind, MIME types, the most bytes), as its upload
    # documentation says (functions/common/media.py checks each file before any upload).
    media: tuple[tuple[str, tuple[str, ...], int], ...] = ()
    refuses_duplicates: bool = False  # the same text twice from one account is refused
    # How ``ingest`` hears of mentions: "pull" (a documented API it polls on a schedule),
    # "push" (the platform's webhooks, signed); TikTok documents no API to fetch mentions.
    listening: tuple[str, ...] = ()
    listen_base: str = ""  # the API root of public search, where it is not ``api_base``

    @property
    def media_limits(self) -> dict[str, tuple[tuple[str, ...], int]]:
        """kind -> (the MIME types the platform takes, the most bytes)."""
        return {kind: (types, most) for kind, types, most in self.media}


MB = 1_000_000
JPEG, PNG, GIF, WEBP = "image/jpeg", "image/png", "image/gif", "image/webp"
MP4, MOV, WEBM = "video/mp4", "video/quicktime", "video/webm"

PLATFORMS: dict[str, PlatformSpec] = {
    spec.name: spec
    for spec in (
        PlatformSpec(
            "instagram", "Instagram", 2_200, "codepoints", max_hashtags=30,
            media_required=True, api_base="https://graph.facebook.com", api_version="v21.0",
            token_lifetime_days=60, posts_per_day=50, how_counted="characters",
            media_kinds=("image", "video"), max_media=10, listening=("pull", "push"),
            media=(("image", (JPEG,), 8 * MB), ("video", (MP4, MOV), 300 * MB)),
        ),
        PlatformSpec(
            "facebook", "Facebook", 63_206, "codepoints",
            api_base="https://graph.facebook.com", api_version="v21.0",
            token_lifetime_days=60, how_counted="characters", media_kinds=("image", "video"),
            max_media=1, listening=("pull", "push"),
            media=(("image", (JPEG, PNG, GIF, WEBP), 10 * MB), ("video", (MP4, MOV), 1_000 * MB)),
        ),
        PlatformSpec(
            "x", "X", 280, "weighted", api_base="https://api.x.com", api_version="2",
            token_lifetime_days=None, posts_per_day=2_400, refuses_duplicates=True,
            how_counted="weighted characters (a URL counts 23, an emoji 2, CJK 2)",
            listening=("pull", "push"), media_kinds=("image", "video"), max_media=4,
            video_alone=True,
            media=(("image", (JPEG, PNG, GIF, WEBP), 5 * MB), ("video", (MP4, MOV), 512 * MB)),
        ),
        PlatformSpec(
            "linkedin", "LinkedIn", 3_000, "codepoints", api_base="https://api.linkedin.com",
            api_version="202609", refreshable=False, token_lifetime_days=60,
            how_counted="characters", refuses_duplicates=True, listening=("pull",),
            media_kinds=("image", "video"), max_media=20, video_alone=True,
            media=(("image", (JPEG, PNG, GIF), 10 * MB), ("video", (MP4,), 500 * MB)),
        ),
        PlatformSpec(
            "tiktok", "TikTok", 2_200, "codepoints", media_required=True,
            api_base="https://open.tiktokapis.com", api_version="v2", token_lifetime_days=1,
            how_counted="characters", media_kinds=("video",), max_media=1,
            listening=("push",), media=(("video", (MP4, WEBM, MOV), 4_000 * MB),),
        ),
        PlatformSpec(
            "bluesky", "Bluesky", 300, "graphemes", api_base="https://bsky.social",
            api_version="atproto", how_counted="graphemes", max_bytes=3_000,
            listening=("pull",), listen_base="https://public.api.bsky.app",
            media_kinds=("image", "video"), max_media=4, video_alone=True,
            media=(("image", (JPEG, PNG, WEBP), 1 * MB), ("video", (MP4,), 100 * MB)),
        ),
        PlatformSpec(
            "mastodon", "Mastodon", 500, "graphemes_url23", api_base="", api_version="v1",
            refreshable=False, how_counted="characters (a URL counts 23)",
            listening=("pull",), media_kinds=("image", "video"), max_media=4, video_alone=True,
            media=(("image", (JPEG, PNG, GIF, WEBP), 16 * MB), ("video", (MP4, WEBM, MOV), 99 * MB)),
        ),
    )
}  # fmt: skip

URL = re.compile(r"https?://[^\s<>\"']+[^\s<>\"'.,;:!?)\]]", re.IGNORECASE)
HASHTAG = re.compile(r"(?<![\w#])#(\w+)", re.UNICODE)
TCO_LENGTH = 23
_REMOTE_MENTION = re.compile(r"@(\w+)@[\w.-]+\w")

_ZWJ = "\u200d"
_VS = {"\ufe0e", "\ufe0f"}
_SPACING_MARKS = {"\u0e33", "\u0eb3"}  # Thai and Lao AM: letters that attach like marks


def _is_extender(ch: str) -> bool:
    """Extend or SpacingMark in UAX #29: joins the character before it."""
    code = ord(ch)
    return (
        ch in _VS
        or ch == _ZWJ
        or ch in _SPACING_MARKS
        or 0x1F3FB <= code <= 0x1F3FF  # skin tones
        or 0xE0020 <= code <= 0xE007F  # tag sequences (flags of regions)
        or unicodedata.category(ch) in ("Mn", "Me", "Mc")
    )


def _is_regional(ch: str) -> bool:
    return 0x1F1E6 <= ord(ch) <= 0x1F1FF


def _is_control(ch: str) -> bool:
    return ch in "\r\n" or unicodedata.category(ch) in ("Cc", "Zl", "Zp")


_PICTOGRAPHIC = (
    (0x00A9, 0x00A9), (0x00AE, 0x00AE), (0x203C, 0x203C), (0x2049, 0x2049),
    (0x2122, 0x2122), (0x2139, 0x2139), (0x2194, 0x21AA), (0x2300, 0x23FF),
    (0x24C2, 0x24C2), (0x25AA, 0x25FE), (0x2600, 0x27BF), (0x2934, 0x2935),
    (0x2B00, 0x2BFF), (0x3030, 0x3030), (0x303D, 0x303D), (0x3297, 0x3299),
    (0x1F000, 0x1F1E5), (0x1F200, 0x1F3FA), (0x1F400, 0x1FAFF),  # not the skin tones
)  # fmt: skip


def _is_pictographic(ch: str) -> bool:
    """Extended_Pictographic, close enough: what a ZWJ may join into one emoji."""
    code = ord(ch)
    return any(low <= code <= high for low, high in _PICTOGRAPHIC)


def _hangul(ch: str) -> str:
    """Hangul syllable type: L, V, T, LV, LVT, or "" for anything else."""
    code = ord(ch)
    if 0x1100 <= code <= 0x115F or 0xA960 <= code <= 0xA97C:
        return "L"
    if 0x1160 <= code <= 0x11A7 or 0xD7B0 <= code <= 0xD7C6:
        return "V"
    if 0x11A8 <= code <= 0x11FF or 0xD7CB <= code <= 0xD7FB:
        return "T"
    if 0xAC00 <= code <= 0xD7A3:
        return "LV" if (code - 0xAC00) % 28 == 0 else "LVT"
    return ""


_HANGUL_NEXT = {"L": {"L", "V", "LV", "LVT"}, "V": {"V", "T"}, "LV": {"V", "T"}, "T": {"T"},
                "LVT": {"T"}}  # fmt: skip


def _base_end(text: str, i: int) -> int:
    """End of the base of the cluster starting at ``i``: a flag pair, a Hangul syllable
    made of jamo, or one character."""
    n = len(text)
    if _is_regional(text[i]):
        return i + 2 if i + 1 < n and _is_regional(text[i + 1]) else i + 1
    kind, i = _hangul(text[i]), i + 1
    while kind and i < n and _hangul(text[i]) in _HANGUL_NEXT[kind]:
        kind, i = _hangul(text[i]), i + 1
    return i


def graphemes(text: str) -> list[str]:
    """Extended grapheme clusters (UAX #29), without the Unicode tables.

    Handles CRLF and controls, combining and spacing marks, variation selectors, skin
    tones, keycaps, tag flags, ZWJ emoji sequences (a ZWJ joins pictographs only), flag
    pairs and Hangul jamo. Not handled: Prepend characters and Indic conjuncts.
    """
    if text.isascii() and "\r\n" not in text:  # no marks, joiners, emoji or CRLF
        return list(text)
    clusters: list[str] = []
    i, n = 0, len(text)
    while i < n:
        start = i
        if _is_control(text[i]):
            i += 2 if text.startswith("\r\n", i) else 1
            clusters.append(text[start:i])
            continue
        i = _extend(text, start, _base_end(text, i))
        clusters.append(text[start:i])
    return clusters


def _extend(text: str, start: int, i: int) -> int:
    """End of the cluster whose base is ``text[start:i]``: marks, modifiers and ZWJs join
    it, and a ZWJ joins a pictograph to a pictograph (GB11: ExtPict Extend* ZWJ x ExtPict)."""
    ready = i == start + 1 and _is_pictographic(text[start])  # ExtPict Extend* so far
    armed = False  # ... followed by one ZWJ
    while i < len(text):
        ch = text[i]
        if armed and _is_pictographic(ch):
            ready, armed = True, False
        elif ch == _ZWJ:
            ready, armed = False, ready
        elif _is_extender(ch):
            armed = False
            ready = ready and not (ch in _SPACING_MARKS or unicodedata.category(ch) == "Mc")
        else:
            break
        i += 1
    return i


def is_emoji(cluster: str) -> bool:
    first = ord(cluster[0])
    return (
        0x1F000 <= first <= 0x1FAFF  # not beyond: U+20000 on is CJK, not emoji
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
    if text.isascii():  # the common case: every character weighs 1
        return len(text)
    total = 0
    for cluster in graphemes(unicodedata.normalize("NFC", text)):
        total += 2 if is_emoji(cluster) else sum(_x_weight(c) for c in cluster)
    return total


def text_length(platform: str, text: str) -> int:
    """Length of ``text`` the way ``platform`` counts it against its limit."""
    return _length(PLATFORMS[platform].counting, text)


@lru_cache(maxsize=8192)
def _length(counting: Counting, text: str) -> int:
    """Cached: the same text is counted for each channel it goes to."""
    if counting == "weighted":
        return _weighted(text)
    if counting == "graphemes":
        return len(graphemes(text))
    if counting == "graphemes_url23":  # Mastodon: URLs 23, @user@domain counts as @user
        return len(graphemes(_REMOTE_MENTION.sub(r"@\1", URL.sub("x" * TCO_LENGTH, text))))
    return len(text)


def over_limits(platform: str, text: str) -> list[str]:
    """What in ``text`` is over ``platform``'s limits, as "expected ..., found ..." messages."""
    spec = PLATFORMS[platform]
    out = []
    length = text_length(platform, text)
    if length > spec.max_text:
        out.append(f"expected at most {spec.max_text} {spec.how_counted} on {spec.title}, "
                   f"found {length}")  # fmt: skip
    size = len(text.encode("utf-8", "surrogatepass"))
    if spec.max_bytes is not None and size > spec.max_bytes:
        out.append(f"expected at most {spec.max_bytes} bytes of UTF-8 on {spec.title} "
                   f"(an emoji takes 4 to 35), found {size}")  # fmt: skip
    return out


def hashtags(text: str) -> list[str]:
    return ["#" + tag for tag in HASHTAG.findall(text)]


@lru_cache(maxsize=8192)
def emoji_count(text: str) -> int:
    if text.isascii():
        return 0
    return sum(1 for cluster in graphemes(text) if is_emoji(cluster))
