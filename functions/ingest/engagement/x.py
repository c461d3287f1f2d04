"""X (API v2): the engagement of the account's posts and its follower count.

Posts: ``GET /2/tweets?ids=`` (up to 100 ids a request, comma-separated; docs.x.com, "Post
lookup") with the account's user-context token (OAuth 2.0, the one publish uses), asking
``tweet.fields=created_at,public_metrics`` and, for posts under 30 days old,
``non_public_metrics`` too (docs.x.com/x-api/fundamentals/metrics: "Non-public, organic,
and promoted metrics are only available for Posts created within the last 30 days"; a post
older than that asked for them is refused, so the two kinds of post go in separate
requests). Mapped:

- ``public_metrics``: ``like_count`` -> likes, ``retweet_count`` -> shares (reposts; quotes
  not included), ``reply_count`` -> comments, ``quote_count`` -> quotes, ``bookmark_count``
  -> saves, ``impression_count`` -> views;
- ``non_public_metrics``: ``impression_count`` -> views (the owner's count, kept over the
  public one when both come), ``url_link_clicks`` -> clicks (X gives it only for a post
  that holds a link: elsewhere clicks is absent).

Left out: ``user_profile_clicks`` and ``engagements`` (no metric of ours: a profile visit
is not a click on the post's link, and engagements is X's own total of the others);
``organic_metrics`` and ``promoted_metrics`` (the ads split; the totals above hold both).
X gives no reach (unique viewers): it is never in a reading.

A post X no longer has comes back in the answer's ``errors`` (HTTP 200) as a "Not Found
Error" (type ``.../problems/resource-not-found``): DELETED. A post absent from both
``data`` and ``errors`` is taken as gone too, unless the answer holds an error that names
no post (then PENDING, with X's words). A post refused only its non-public fields
("Field Authorization Error", ``not-authorized-for-field``: our clock and X's disagree
near the 30 days) is read again with the public fields only. Any other error X names a
post with (an "Authorization Error", say, for a withheld post) gives PENDING with X's
words, so it is asked again later. A post id that is not digits cannot be X's (X would
refuse the whole request with a 400): DELETED, without asking. Rate limits (429, ``x-rate-limit-reset``) and
a refused token (401) are ``PlatformError`` and stop the account's read-back for the run.

How old a post is: ``Posted.published_at`` against ``reader.extra["now"]()`` when the
caller gives a clock (simulate's virtual one), else the system clock; a post whose time
cannot be read is asked for the public fields only.

Followers: ``GET /2/users/me?user.fields=public_metrics`` -> ``public_metrics.followers_count``
(None when X leaves ``public_metrics`` out).

Recent posts (the backfill, ``recent``): the account's id from ``GET /2/users/me`` (the
token's user, as publish's ``find_existing`` finds it, so the listing is always the
account the token posts as), then its timeline, ``GET /2/users/:id/tweets`` (newest first,
``max_results`` 5 to 100 a page, ``pagination_token``; docs.x.com, "User Posts timeline")
with ``exclude=replies,retweets``, ``tweet.fields=created_at,public_metrics,attachments``
and ``expansions=attachments.media_keys`` (``media.fields=type``). Counts are the
``public_metrics`` mapped as above; the non-public ones are not asked (X refuses them for
a post over 30 days old, and a listing mixes both), so a backfilled post has no clicks and
the public impression count. Media: none without ``attachments.media_keys``; one photo
an image, one video or animated GIF a video, more than one an album; a media key missing
from ``includes.media``, or a type X adds later, leaves it unknown (None).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from functions.common.chunks import batches
from functions.ingest.engagement import DELETED, PENDING, Posted, Reader, Reading, Recent, counts
from functions.ingest.sources import BadPage, as_int, get_json, items_of, utc

LOOKUP_MAX = 100  # ids a GET /2/tweets takes (docs.x.com, Post lookup: "Up to 100")
# non_public_metrics: posts under 30 days old; a day's margin for the clocks' disagreement
PRIVATE_AGE = timedelta(days=29)

PUBLIC = {"like_count": "likes", "retweet_count": "shares", "reply_count": "comments",
          "quote_count": "quotes", "bookmark_count": "saves", "impression_count": "views"}  # fmt: skip
PRIVATE = {"impression_count": "views", "url_link_clicks": "clicks"}

TIMELINE_MIN, TIMELINE_MAX = 5, 100  # max_results of GET /2/users/:id/tweets
MEDIA = {"photo": "image", "video": "video", "animated_gif": "video"}  # X's media types

NOT_FOUND = "resource-not-found"
FIELD_REFUSED = "not-authorized-for-field"


@dataclass
class Lookup:
    """What one ``GET /2/tweets`` said of the ids it was asked."""

    readings: dict[str, Reading] = field(default_factory=dict)
    refused: list[str] = field(default_factory=list)  # only the non-public fields refused


def read(reader: Reader, posts: list[Posted]) -> list[Reading]:
    """One Reading per post given, 100 posts a request at most."""
    found: dict[str, Reading] = {}
    ids: list[str] = []
    for ident in dict.fromkeys(p.post_id for p in posts):
        if ident.isascii() and ident.isdigit():
            ids.append(ident)
        else:  # X would refuse the whole request (400) for it
            found[ident] = Reading(ident, {}, DELETED, "not an X post id (X's are digits)")
    when = {p.post_id: p.published_at for p in posts}
    now = _clock(reader)()
    recent = [i for i in ids if _recent(when[i], now)]
    older = [i for i in ids if not _recent(when[i], now)]
    for chunk in batches(recent, LOOKUP_MAX):
        looked = _lookup(reader, chunk, private=True)
        found.update(looked.readings)
        older.extend(looked.refused)
    for chunk in batches(older, LOOKUP_MAX):
        found.update(_lookup(reader, chunk, private=False).readings)
    return [found[p.post_id] for p in posts]


def followers(reader: Reader) -> int | None:
    """The account's follower count (``GET /2/users/me``, ``public_metrics``)."""
    answer = get_json("x", f"{reader.base}/2/users/me", query={"user.fields": "public_metrics"},
                      bearer=reader.token(), timeout=reader.timeout)  # fmt: skip
    body = answer.body
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, dict):
        raise BadPage(f"x: /2/users/me answered no user object ({type(body).__name__})")
    metrics = data.get("public_metrics")
    if metrics is None:
        return None
    if not isinstance(metrics, dict):
        raise BadPage("x: /2/users/me: 'public_metrics' is not an object")
    count = as_int(metrics.get("followers_count"))
    return count if count is not None and count >= 0 else None


def recent(reader: Reader, limit: int) -> list[Recent]:
    """The account's own latest posts (no replies, no reposts), newest first, at most
    ``limit``, with their public counts, from its timeline."""
    if limit <= 0:
        return []
    me = _user_id(reader)
    query = {"exclude": "replies,retweets", "tweet.fields": "created_at,public_metrics,attachments",
             "expansions": "attachments.media_keys", "media.fields": "type"}  # fmt: skip
    found: dict[str, Recent] = {}
    while len(found) < limit:
        query["max_results"] = str(max(TIMELINE_MIN, min(TIMELINE_MAX, limit - len(found))))
        answer = get_json("x", f"{reader.base}/2/users/{me}/tweets", query=query,
                          bearer=reader.token(), timeout=reader.timeout)  # fmt: skip
        data = items_of(answer.body, "data", "x")
        includes = answer.body.get("includes")
        kinds = {str(m.get("media_key")): m.get("type")
                 for m in items_of(includes if isinstance(includes, dict) else {}, "media", "x")
                 if isinstance(m, dict)}  # fmt: skip
        for item in data:
            post = _listed(reader, item, kinds)
            found.setdefault(post.posted.post_id, post)
        meta = answer.body.get("meta")
        following = meta.get("next_token") if isinstance(meta, dict) else None
        if not data or not isinstance(following, str) or not following:
            break
        query["pagination_token"] = following
    return list(found.values())[:limit]


def _user_id(reader: Reader) -> str:
    """The id of the token's user (``GET /2/users/me``)."""
    answer = get_json("x", f"{reader.base}/2/users/me", bearer=reader.token(),
                      timeout=reader.timeout)  # fmt: skip
    data = answer.body.get("data") if isinstance(answer.body, dict) else None
    ident = data.get("id") if isinstance(data, dict) else None
    if not isinstance(ident, str) or not ident.isascii() or not ident.isdigit():
        raise BadPage("x: /2/users/me answered no user id")
    return ident


def _listed(reader: Reader, item: Any, kinds: dict[str, Any]) -> Recent:
    """One post of the timeline, its counts mapped as ``read`` maps a lookup's."""
    ident = _ident(item)
    public = item.get("public_metrics")
    if not isinstance(public, dict):
        raise BadPage(f"x: post {ident} came without its public_metrics object")
    try:
        created = utc(item.get("created_at"))
    except (ValueError, OverflowError, OSError):
        raise BadPage(f"x: post {ident}: created_at {item.get('created_at')!r} is not a time") from None  # fmt: skip
    handle = str(reader.account.handle).lstrip("@")
    posted = Posted(ident, f"https://x.com/{handle}/status/{ident}", created)
    return Recent(posted, Reading(ident, counts(public, PUBLIC)), str(item.get("text") or ""),
                  _media(item.get("attachments"), kinds))  # fmt: skip


def _media(attachments: Any, kinds: dict[str, Any]) -> str | None:
    """The post's media in the lake's words (MEDIA_KINDS); None when X does not say."""
    keys = attachments.get("media_keys") if isinstance(attachments, dict) else None
    if not keys:
        return "none" if attachments is None or isinstance(attachments, dict) else None
    if not isinstance(keys, list):
        return None
    ours = [MEDIA.get(str(kinds.get(str(key)))) for key in keys]
    if None in ours:
        return None
    return "album" if len(ours) > 1 else ours[0]


def _lookup(reader: Reader, ids: Sequence[str], *, private: bool) -> Lookup:
    fields = "created_at,public_metrics" + (",non_public_metrics" if private else "")
    answer = get_json("x", f"{reader.base}/2/tweets",
                      query={"ids": ",".join(ids), "tweet.fields": fields},
                      bearer=reader.token(), timeout=reader.timeout)  # fmt: skip
    data = items_of(answer.body, "data", "x")
    errors = items_of(answer.body, "errors", "x")
    asked = set(ids)
    out = Lookup()
    for item in data:
        ident = _ident(item)
        if ident not in asked:
            continue
        public = item.get("public_metrics")
        if not isinstance(public, dict):
            raise BadPage(f"x: post {ident} came without its public_metrics object")
        metrics = counts(public, PUBLIC)
        hidden = item.get("non_public_metrics")
        if isinstance(hidden, dict):
            metrics.update(counts(hidden, PRIVATE))  # the owner's impressions over the public
        out.readings[ident] = Reading(ident, metrics)
    unattributed = ""  # an error that names none of the posts asked
    for error in errors:
        if not isinstance(error, dict):
            raise BadPage("x: an item of 'errors' is not an object")
        ident = str(error.get("resource_id") or error.get("value") or "")
        kind = str(error.get("type") or "")
        said = str(error.get("detail") or error.get("title") or kind or "an error")
        if ident not in asked:
            unattributed = unattributed or said
            continue
        if ident in out.readings or ident in out.refused:
            continue
        if kind.endswith(NOT_FOUND) or error.get("title") == "Not Found Error":
            out.readings[ident] = Reading(ident, {}, DELETED, f"X: {said}")
        elif private and kind.endswith(FIELD_REFUSED):
            out.refused.append(ident)
        else:
            out.readings[ident] = Reading(ident, {}, PENDING, f"X: {said}")
    for ident in ids:  # neither in data nor in errors: gone, unless X said something else
        if ident not in out.readings and ident not in out.refused:
            out.readings[ident] = (
                Reading(ident, {}, PENDING, f"X: {unattributed}") if unattributed
                else Reading(ident, {}, DELETED, "X's answer does not hold the post")
            )  # fmt: skip
    return out


def _ident(item: Any) -> str:
    if not isinstance(item, dict) or not isinstance(item.get("id"), str | int):
        raise BadPage("x: an item of 'data' is not a post with an id")
    return str(item["id"])


def _clock(reader: Reader) -> Callable[[], datetime]:
    given = reader.extra.get("now")
    return given if callable(given) else (lambda: datetime.now(UTC))


def _recent(published_at: str, now: datetime) -> bool:
    """Whether X still gives the post's non-public metrics (False when its time is unknown)."""
    try:
        when = datetime.fromisoformat(published_at.strip().replace("Z", "+00:00"))
    except (ValueError, AttributeError):
        return False
    when = when if when.tzinfo else when.replace(tzinfo=UTC)
    return now - when < PRIVATE_AGE
