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
from functions.ingest.engagement import DELETED, Posted, Reader, Reading, counts
from functions.ingest.sources import BadPage, as_int, get_json, items_of

BATCH = 25  # URIs per getPosts request, the lexicon's maximum
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


def followers(reader: Reader) -> int | None:
    """The account's follower count (its DID, else its handle)."""
    actor = str(reader.account.id or "") or str(reader.account.handle).lstrip("@")
    answer = get_json("bluesky", f"{_root(reader)}/app.bsky.actor.getProfile",
                      query={"actor": actor}, timeout=reader.timeout)  # fmt: skip
    body: Any = answer.body
    if not isinstance(body, dict):
        raise BadPage(f"bluesky: getProfile: expected a JSON object, found {type(body).__name__}")
    return as_int(body.get("followersCount"))
