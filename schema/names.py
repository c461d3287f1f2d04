"""Near misses: the name a person most likely meant when a value is not one of the choices.

One rule for every enumeration of the language (platforms, weekdays, media and alert types,
actions, kinds, keys, references) and for the command line's own choices:

1. the same name written another way: case, spaces, dashes, dots or underscores
   (``X`` -> ``x``, ``LinkedIn`` -> ``linkedin``, ``Volume-Anomaly`` -> ``volume_anomaly``);
2. a well-known other name (``ALIASES``: ``twitter`` -> ``x``, ``insta`` -> ``instagram``,
   ``monday`` -> ``mon``, ``photo`` -> ``image``), offered only when it is one of the choices;
3. a close spelling (difflib, case-insensitive).

Imported by ``schema`` (time zones, recurrences) and ``infra`` (diagnostics, CLI).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

# Other names people use, by their folded form (see ``fold``): a name is offered only where
# it is one of the choices (the first that is), so one table serves every enumeration.
ALIASES: dict[str, str | tuple[str, ...]] = {
    # platforms
    "twitter": "x", "tweet": "x", "tweets": "x", "xcom": "x", "twittercom": "x",
    "fb": "facebook", "facebookcom": "facebook", "fbcom": "facebook",
    "ig": "instagram", "insta": "instagram", "instagramcom": "instagram",
    "linkedincom": "linkedin", "tiktokcom": "tiktok",
    "bsky": "bluesky", "bskyapp": "bluesky", "bskysocial": "bluesky", "atproto": "bluesky",
    "toot": "mastodon", "toots": "mastodon", "masto": "mastodon", "fediverse": "mastodon",
    # weekdays (audience days; `every:` takes the full names too)
    "monday": "mon", "tuesday": "tue", "wednesday": "wed", "thursday": "thu", "friday": "fri",
    "saturday": "sat", "sunday": "sun",
    # `every:` day words
    "everyday": "daily", "eachday": "daily", "weekday": "weekdays", "monfri": "weekdays",
    "weekend": "weekends", "satsun": "weekends",
    # media types
    "photo": ("image", "media"), "picture": ("image", "media"), "pic": "image", "img": "image", "jpg": "image",
    "jpeg": "image", "png": "image", "gif": "image", "webp": "image",
    "movie": ("video", "media"), "clip": ("video", "media"), "reel": "video", "mp4": "video", "mov": "video",
    # alert types and actions
    "volume": "volume_anomaly", "anomaly": "volume_anomaly", "spike": "volume_anomaly",
    "burst": "volume_anomaly", "negative": "negative_share", "negatives": "negative_share",
    "mood": "sentiment", "polarity": "sentiment",
    "pause": "pause_publishing", "hold": "pause_publishing",
    # generation review
    "yes": "required", "true": "required", "no": "none", "false": "none",
    # goals and budget objectives
    "clickthroughrate": "ctr", "clickthrough": "ctr", "installs": "app_installs",
    "views": "video_views", "follows": "followers",
    # keys
    "tz": "timezone", "zone": "timezone", "caption": "text", "message": "text", "body": "text",
    "copy": "text", "platforms": "channels", "networks": "channels", "schedule": "every",
    "repeat": "every", "recurrence": "every", "recurring": "every", "when": "at",
    "time": "at", "datetime": "at", "image": "media", "images": "media", "video": "media",
    "videos": "media", "alert": ("notify", "alerts"),
}  # fmt: skip

_NOT_ALNUM = re.compile(r"[^0-9a-z]+")


def fold(word: str) -> str:
    """``word`` as compared: lower case, letters and digits only (``Tik-Tok`` -> ``tiktok``)."""
    return _NOT_ALNUM.sub("", word.casefold())


def nearest(word: str, options: Iterable[str], cutoff: float = 0.6) -> str | None:
    """The option ``word`` most likely meant, or None (also when ``word`` is an option)."""
    choices = list(options)
    if word in choices:
        return None
    key = fold(word)
    if key:
        same = [o for o in choices if fold(o) == key]
        if same:
            return same[0]
        alias = ALIASES.get(key, ())
        for meant in (alias,) if isinstance(alias, str) else alias:
            if meant in choices:
                return meant
    lowered = {o.casefold(): o for o in reversed(choices)}  # the first of equal spellings
    close = difflib.get_close_matches(word.casefold(), list(lowered), n=1, cutoff=cutoff)
    return lowered[close[0]] if close else None


def suggestion(word: str, options: Iterable[str], cutoff: float = 0.6) -> str:
    """``"did you mean 'x'? "`` for :func:`nearest`, else an empty string."""
    close = nearest(word, options, cutoff)
    return f"did you mean {close!r}? " if close else ""
