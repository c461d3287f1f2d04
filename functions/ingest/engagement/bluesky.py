"""Bluesky: the engagement of the posts ``publish`` made (their at:// URIs), from an
AppView: counts are the AppView's aggregation of the network, which a PDS does not keep.

- ``app.bsky.feed.getPosts?uris=...`` (the parameter repeated, at most 25 URIs a request,
  as the lexicon says): each post view's ``likeCount`` -> likes, ``repostCount`` -> shares,
  ``replyCount`` -> comments, ``quoteCount`` -> quotes and ``bookmarkCount`` -> saves (the
  AppView's count of private bookmarks, in the post view since September 2025; absent from
  an older AppView, and then absent here). Bluesky counts no views, reach or clicks: never
  present. A URI left out of the answer is a post the AppView no longer has: deleted (or
  taken down). No PENDING: the AppView indexes a post within seconds.
- ``followers``: ``app.bsky.actor.getProfile?actor=<DID, else handle>`` -> ``followersCount``.
- ``recent`` (the backfill): ``app.bsky.feed.getAuthorFeed?actor=<DID, else handle>`` with
  ``filter=posts_no_replies``, ``limit`` (1 to 100) and ``cursor``, newest first: each
  item's post view counted as ``getPosts``'s; an item with a ``reason`` is a repost (or a
  pin) and is left out, and so is a reply that comes all the same. The text is the record's
  ``text``, the time its ``createdAt`` (what the client claimed, as ``publish`` records it;
  ``indexedAt`` where it is not a time). Media from the post view's ``embed``: images one
  image or an album, a video a video, a quote or a link card none, the media of a quote
  with media; no embed: none; an embed of another kind: unknown (None).

Both are public AppView queries: no token is sent (so no session is made: createSession is
limited to 30 calls per 5 minutes). The AppView's root is ``reader.extra["appview"]`` when
given, else ``reader.base``: ingest's reader has the public AppView
(``https://public.api.bsky.app``, ``listen_base`` in schema/platforms.py) or a configured
peer there, not the PDS (``api_base``, where ``publish`` writes).

Tested against the contract fake (infra/peers/bluesky.py) only: the local PDS peer
(tests/peers/bluesky) runs no AppView.
"""

from __future__ import annotations

from typing import Any

from functions.common.chunks import batches
from functions.ingest.engagement import DELETED, Posted, Reader, Reading, Recent, counts
from functions.ingest.sources import BadPage, as_int, get_json, items_of, utc

BATCH = 25  # URIs per getPosts request, the lexicon's maximum
FEED_MAX = 100  # items per getAuthorFeed request, the lexicon's maximum
IMAGES, VIDEO = "app.bsky.embed.images", "app.bsky.embed.video"
NO_MEDIA = ("app.bsky.embed.record", "app.bsky.embed.external")  # a quote, a link card
WITH_MEDIA = "app.bsky.embed.recordWithMedia"  # a quote with images or a video of its own
NAMES = {"likeCount": "likes", "repostCount": "shares", "replyCount": "comments",
         "quoteCount": "quotes", "bookmarkCount": "saves"}  # fmt: skip


def _root(reader: Reader) -> str:
    return str(reader.extra.get("appview") or reader.base).rstrip("/") + "/xrpc"


def _posts(reader: Reader, uris: list[str]) -> dict[str, dict[str, int]]:
    answer = get_json("bluesky", f"{_root(reader)}/app.bsky.feed.getPosts",
                      query=[("uris", uri) for uri in uris], timeout=reader.timeout)  # fmt: skip
    found: dict[str, dict[str, int]] = {}
    for post in items_of(answer.body, "posts", "bluesky"):
        uri = post.get("uri") if isinstance(post, dict) else None
        if not isinstance(uri, str):
            raise BadPage("bluesky: getPosts: a post view lacks its uri")
        assert isinstance(post, dict)
        found[uri] = counts(post, NAMES)
    return found


def read(reader: Reader, posts: list[Posted]) -> list[Reading]:
    """One Reading per post: likes, shares, comments, quotes (and saves where the AppView
    counts bookmarks); DELETED for a post the AppView no longer has."""
    uris = list(dict.fromkeys(post.post_id for post in posts))
    found: dict[str, dict[str, int]] = {}
    for chunk in batches(uris, BATCH):
        found.update(_posts(reader, chunk))
    return [Reading(post.post_id, found[post.post_id]) if post.post_id in found
            else Reading(post.post_id, {}, DELETED, "the AppView no longer has the post "
                         "(deleted or taken down)")
            for post in posts]  # fmt: skip


def _actor(reader: Reader) -> str:
    return str(reader.account.id or "") or str(reader.account.handle).lstrip("@")


def followers(reader: Reader) -> int | None:
    """The account's follower count (its DID, else its handle)."""
    actor = _actor(reader)
    answer = get_json("bluesky", f"{_root(reader)}/app.bsky.actor.getProfile",
                      query={"actor": actor}, timeout=reader.timeout)  # fmt: skip
    body: Any = answer.body
    if not isinstance(body, dict):
        raise BadPage(f"bluesky: getProfile: expected a JSON object, found {type(body).__name__}")
    return as_int(body.get("followersCount"))


def recent(reader: Reader, limit: int) -> list[Recent]:
    """The account's own latest posts (no replies, no reposts), newest first, at most
    ``limit``, with the AppView's counts."""
    if limit <= 0:
        return []
    query = {"actor": _actor(reader), "filter": "posts_no_replies"}
    found: dict[str, Recent] = {}
    while len(found) < limit:
        query["limit"] = str(min(FEED_MAX, limit - len(found)))
        answer = get_json("bluesky", f"{_root(reader)}/app.bsky.feed.getAuthorFeed",
                          query=query, timeout=reader.timeout)  # fmt: skip
        feed = items_of(answer.body, "feed", "bluesky")
        for item in feed:
            if not isinstance(item, dict) or not isinstance(item.get("post"), dict):
                raise BadPage("bluesky: getAuthorFeed: an item without its post view")
            record = item["post"].get("record")
            if item.get("reason") is not None or (isinstance(record, dict) and record.get("reply")):
                continue  # a repost (or a pin), or a reply
            post = _listed(reader, item["post"])
            found.setdefault(post.posted.post_id, post)
        cursor = answer.body.get("cursor")
        if not feed or not isinstance(cursor, str) or not cursor:
            break
        query["cursor"] = cursor
    return list(found.values())[:limit]


def _listed(reader: Reader, view: dict[str, Any]) -> Recent:
    uri = view.get("uri")
    if not isinstance(uri, str) or not uri.startswith("at://"):
        raise BadPage("bluesky: getAuthorFeed: a post view lacks its uri")
    record = view.get("record")
    record = record if isinstance(record, dict) else {}
    try:
        created = utc(record.get("createdAt"))
    except (ValueError, OverflowError, OSError):
        try:
            created = utc(view.get("indexedAt"))
        except (ValueError, OverflowError, OSError):
            raise BadPage(f"bluesky: getAuthorFeed: post {uri} has no time") from None
    handle = str(reader.account.handle).lstrip("@")
    url = f"https://bsky.app/profile/{handle}/post/{uri.rsplit('/', 1)[-1]}"
    embed = view.get("embed", record.get("embed"))
    return Recent(Posted(uri, url, created), Reading(uri, counts(view, NAMES)),
                  str(record.get("text") or ""), _media(embed))  # fmt: skip


def _media(embed: Any) -> str | None:
    """The post's media in the lake's words (MEDIA_KINDS), from its embed (the view's
    ``<type>#view`` or the record's ``<type>``); None when it does not say."""
    if embed is None:
        return "none"
    if not isinstance(embed, dict):
        return None
    kind = str(embed.get("$type") or "").removesuffix("#view")
    if kind == IMAGES:
        images = embed.get("images")
        if not isinstance(images, list) or not images:
            return None
        return "album" if len(images) > 1 else "image"
    if kind == VIDEO:
        return "video"
    if kind in NO_MEDIA:
        return "none"
    if kind == WITH_MEDIA:
        return _media(embed.get("media"))
    return None
