"""Instagram (Graph API with Facebook Login, the version of schema/platforms.py): the
engagement of the media ``publish`` made, and the account's follower count. The Graph
helpers (multi-id lookup, insights, the not-found errors) are facebook.py's.

Requests, each with the account's token as ``access_token``:

- ``GET /{version}/?ids=<media-id>,...&fields=like_count,comments_count,media_product_type,
  media_type``: Graph's multi-id lookup, at most 50 ids a request; ``like_count`` -> likes,
  ``comments_count`` -> comments, both there at once.
- ``GET /{version}/{media-id}/insights?metric=views,reach,saved,shares``, one per media
  (developers.facebook.com/docs/instagram-platform/reference/instagram-media/insights):
  ``views`` -> views (``impressions`` and ``plays`` are gone since April 2025), ``reach``
  -> reach, ``saved`` -> saves, ``shares`` -> shares. A story (``media_product_type``
  STORY) has no ``saved``: only views, reach and shares are asked for it.
- ``GET /{version}/{ig-user-id}?fields=followers_count``: the followers.
- ``recent`` (the backfill of a brand's first run): ``GET /{version}/{ig-user-id}/media?
  fields=id,caption,media_type,media_product_type,timestamp,permalink,like_count,
  comments_count&limit=``, newest first, cursor paging until the limit or the last page
  (stories are not listed there); likes and comments as ``read`` maps them, then each
  listed media's insights as ``read`` asks them (one request a media: at most ``limit``),
  absent while they lag. Not expanded in the listing: one media whose insights Graph
  refuses would fail the whole page. The media's kind: CAROUSEL_ALBUM -> album, VIDEO or
  product REELS -> video, IMAGE -> image.

Insights lag up to 48 hours after posting, and Graph then answers an empty ``data`` (never
0): those metrics are left out and the reading keeps likes and comments (status ok, never
``PENDING``). A story with fewer than 5 accounts reached answers code 10 ("Not enough
viewers for the media to show insights", as documented): its insights are left out too.
Code 10 on any other media is the missing ``instagram_manage_insights`` permission and
propagates. Insights do not exist for the children of an album; ``publish`` records the
album, which has them.

Deleted media: the multi-id lookup fails with code 100 subcode 33 ("Object with ID ... does
not exist") or 803; the batch is split until the missing media stand alone, and each is
``DELETED`` (facebook.py, ``nodes``). Rate limits (codes 4, 17, 32, 613, 80002, with the
wait from Meta's usage headers) and token errors propagate as ``PlatformError``; a page that
is not JSON raises ``BadPage``.

Left out: ``total_interactions`` (the sum of what is read), ``clicks`` and ``quotes``
(Instagram has neither for media).
"""

from __future__ import annotations

from typing import Any

from functions.common.platform.errors import PlatformError
from functions.ingest.engagement import Posted, Reader, Reading, Recent, counts
from functions.ingest.engagement.facebook import (
    account_followers,
    insights,
    listed,
    listing,
    newest_first,
    nodes,
    not_found,
    readings,
    why,
)

FIELDS = "like_count,comments_count,media_product_type,media_type"
RECENT_FIELDS = ("id,caption,media_type,media_product_type,timestamp,permalink,like_count,"
                 "comments_count")  # fmt: skip
MEDIA = {"IMAGE": "image", "VIDEO": "video", "CAROUSEL_ALBUM": "album"}  # media_type -> ours
NODE_NAMES = {"like_count": "likes", "comments_count": "comments"}
INSIGHT_NAMES = {"views": "views", "reach": "reach", "saved": "saves", "shares": "shares"}
STORY_METRICS = ("views", "reach", "shares")  # a story has no ``saved``
NOT_ENOUGH_VIEWERS = "10"  # a story under 5 accounts reached: no insights


def _metrics_of(node: dict[str, Any]) -> tuple[str, ...]:
    if node.get("media_product_type") == "STORY":
        return STORY_METRICS
    return tuple(INSIGHT_NAMES)


def read(reader: Reader, posts: list[Posted]) -> list[Reading]:
    """The counts of each media: likes and comments, and views, reach, saves and shares
    once its insights are there (absent until then)."""
    found, gone = nodes(reader, [p.post_id for p in posts], FIELDS)
    extra = _insights(reader, found, gone)
    return readings(posts, found, gone, lambda media: counts(media, NODE_NAMES), extra)


def _insights(
    reader: Reader, found: dict[str, dict[str, Any]], gone: dict[str, str]
) -> dict[str, dict[str, int]]:
    """The insight metrics of each media of ``found`` (one request each); a media Graph
    no longer has is put in ``gone`` instead."""
    extra: dict[str, dict[str, int]] = {}
    for ident, node in found.items():
        try:
            values = insights(reader, ident, _metrics_of(node))
        except PlatformError as error:
            if not_found(error):
                gone[ident] = why(error)
                continue
            story = node.get("media_product_type") == "STORY"
            if not (story and error.code == NOT_ENOUGH_VIEWERS):
                raise
            values = {}
        extra[ident] = counts(values, INSIGHT_NAMES)
    return extra


def followers(reader: Reader) -> int | None:
    """The IG user's ``followers_count``."""
    return account_followers(reader)


def recent(reader: Reader, limit: int) -> list[Recent]:
    """The account's latest media, newest first, at most ``limit``: likes and comments from
    the listing, views, reach, saves and shares from each media's insights (absent while
    they lag), the caption and the media's kind. A media deleted between the listing and
    its insights is left out."""
    found: dict[str, dict[str, Any]] = {}
    when: dict[str, str] = {}
    for node in listing(reader, "media", RECENT_FIELDS, limit):
        ident, when[ident] = listed(reader, node, "timestamp")
        found[ident] = node
    gone: dict[str, str] = {}
    extra = _insights(reader, found, gone)
    out = []
    for ident, node in found.items():
        if ident in gone:
            continue
        posted = Posted(ident, str(node.get("permalink") or ""), when[ident])
        metrics = {**counts(node, NODE_NAMES), **extra.get(ident, {})}
        caption = node.get("caption")
        out.append(Recent(posted, Reading(ident, metrics),
                          caption if isinstance(caption, str) else "", _media(node)))  # fmt: skip
    return newest_first(out)


def _media(node: dict[str, Any]) -> str | None:
    if node.get("media_product_type") == "REELS":
        return "video"
    kind = node.get("media_type")
    return MEDIA.get(kind) if isinstance(kind, str) else None
