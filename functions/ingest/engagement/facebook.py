"""Facebook Pages (Graph API, the version of schema/platforms.py): the engagement of the
Page posts ``publish`` made, and the Page's follower count. Also the Graph helpers that
instagram.py shares (the same API, token and errors).

Requests, each with the Page token as ``access_token``:

- ``GET /{version}/?ids=<post-id>,...&fields=reactions.limit(0).summary(total_count),
  comments.limit(0).summary(total_count),shares``: Graph's multi-id lookup, at most 50 ids a
  request (``MAX_IDS``; more posts, more requests), answered ``{"<post-id>": {...}}``.
  ``reactions`` (every reaction, like, love, haha...) -> likes; ``comments`` -> comments;
  ``shares.count`` -> shares. Graph omits ``shares`` when nobody shared the post: a post
  that answered without it has shares 0 (the field is absent at 0, not unknown).
- ``GET /{version}/{post-id}/insights?metric=post_media_view&period=lifetime``, one per
  post (so a read of n posts makes n + ceil(n / 50) requests): ``post_media_view`` ->
  views, the Page post metric that took the place of ``post_impressions`` (the reference,
  developers.facebook.com/docs/graph-api/reference/insights, deprecates a number of Page
  Insights metrics for all versions by June 15, 2026). Insights may be missing for a new
  post (most metrics update once every 24 hours, and only on Pages with 100 or more
  likes): an empty ``data`` leaves views absent and the reading keeps the other counts
  (never ``PENDING``).
- ``GET /{version}/{page-id}?fields=followers_count``: the followers.
- ``recent`` (the backfill of a brand's first run): ``GET /{version}/{page-id}/
  published_posts?fields=id,message,created_time,permalink_url,attachments{media_type},
  <the lookup's fields>,insights.metric(post_media_view).period(lifetime)&limit=``, newest
  first, Graph's cursor paging (``after``, at most 100 a page) until the limit or the last
  page. The counts are mapped as ``read`` maps them; the views come from the insights edge
  expanded in the listing (field expansion: no request per post; absent where Graph gives
  none yet). The post id, permalink and ``created_time`` are what publish records; the
  message is the text; the first attachment's ``media_type`` is the media (photo -> image,
  video, album; a link's preview card, or no attachment at all, -> none; another kind ->
  None).

Not read: ``clicks`` (``post_clicks`` counts every click anywhere on the post, not link
clicks) and ``reach`` (``post_total_media_view_unique``, the post's unique viewers: left
for when the read-back takes reach from Facebook; the simulated audience has none).

A post Graph no longer has: one missing id fails the whole multi-id request, with code 100
subcode 33 ("Object with ID ... does not exist") or code 803 ("Some of the aliases you
requested do not exist"); the batch is then split in halves until the missing posts stand
alone (a few more requests, only then), and each is ``DELETED``. If every post of a read is
missing, the account itself is read once: when the token cannot see it either, that error
is raised (a token for the wrong Page would otherwise end every post's read-back). Rate
limits (codes 4, 17, 32, 613, 80001; the wait from ``X-Business-Use-Case-Usage`` or
``X-App-Usage``) and token errors (190) propagate as ``PlatformError``; a page that is not
JSON, or not the documented shape, raises ``BadPage``.

The multi-id lookup (``GET /?ids=``) is reported refused from Graph v26.0 on (restfb issue
#1692); when the version in schema/platforms.py gets there, ``nodes`` must become a batch
request (``POST /?batch=``, also 50 a request).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from functions.common.chunks import batches
from functions.common.platform.errors import PlatformError
from functions.ingest.engagement import DELETED, Posted, Reader, Reading, Recent, counts
from functions.ingest.sources import BadPage, as_int, get_json, utc
from schema.platforms import PLATFORMS

MAX_IDS = 50  # ids one multi-id lookup takes (Graph API v2.2 on: "max. 50 ids")
FIELDS = "reactions.limit(0).summary(total_count),comments.limit(0).summary(total_count),shares"
VIEWS = "post_media_view"
NOT_FOUND = ("100/33", "803")  # the object does not exist (any more); an alias does not
LIST_MAX = 100  # items a page of a listing edge (``limit``) gives at most
LISTING = "published_posts"
RECENT_FIELDS = (f"id,message,created_time,permalink_url,attachments{{media_type}},{FIELDS},"
                 f"insights.metric({VIEWS}).period(lifetime)")  # fmt: skip
# a Page post's attachment (StoryAttachment ``media_type``) -> MEDIA_KINDS; a link post's
# preview card is no media of its own
ATTACHMENTS = {"photo": "image", "video": "video", "album": "album", "link": "none"}


# ---- Graph helpers (instagram.py uses them too) -----------------------------------------


def get(reader: Reader, path: str, query: dict[str, str]) -> dict[str, Any]:
    """``GET {base}/{version}/{path}`` with the account's token; the JSON object answered."""
    version = PLATFORMS[reader.platform].api_version
    answer = get_json(reader.platform, f"{reader.base.rstrip('/')}/{version}/{path}",
                      query={**query, "access_token": reader.token()},
                      timeout=reader.timeout)  # fmt: skip
    if not isinstance(answer.body, dict):
        raise BadPage(f"{reader.platform}: /{path} answered a {type(answer.body).__name__}, "
                      "not an object")  # fmt: skip
    return answer.body


def not_found(error: PlatformError) -> bool:
    """Whether Graph said the object is not there: deleted, or never was."""
    return error.code in NOT_FOUND


def why(error: PlatformError) -> str:
    """A not-found error in words, for the reading's detail."""
    if error.code == "803":
        return "Graph does not know the id (code 803)"
    return "Graph says the object does not exist (code 100, subcode 33)"


def nodes(
    reader: Reader, ids: Sequence[str], fields: str
) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """The ``fields`` of each id (multi-id lookups of at most ``MAX_IDS``), and why each id
    Graph no longer has is gone."""
    unique = list(dict.fromkeys(ids))
    found: dict[str, dict[str, Any]] = {}
    gone: dict[str, str] = {}
    for chunk in batches(unique, MAX_IDS):
        _lookup(reader, chunk, fields, found, gone)
    if unique and len(gone) == len(unique) and reader.account.id:
        # every post missing: make sure the token still sees the account (raises if not)
        get(reader, str(reader.account.id), {"fields": "id"})
    return found, gone


def _lookup(
    reader: Reader, ids: list[str], fields: str, found: dict[str, dict[str, Any]],
    gone: dict[str, str],
) -> None:  # fmt: skip
    try:
        body = get(reader, "", {"ids": ",".join(ids), "fields": fields})
    except PlatformError as error:
        if not not_found(error):
            raise
        if len(ids) == 1:
            gone[ids[0]] = why(error)
            return
        half = len(ids) // 2  # one missing id fails the request: find which
        _lookup(reader, ids[:half], fields, found, gone)
        _lookup(reader, ids[half:], fields, found, gone)
        return
    for ident in ids:
        node = body.get(ident)
        if node is None:
            gone[ident] = "absent from Graph's answer"
        elif isinstance(node, dict):
            found[ident] = node
        else:
            raise BadPage(f"{reader.platform}: the answer for {ident} is not an object")


def insights(reader: Reader, ident: str, metrics: Sequence[str], **query: str) -> dict[str, int]:
    """``GET /{ident}/insights?metric=...``: each metric's latest value (``values[-1].value``,
    or ``total_value.value``); an empty ``data`` (no insights yet) gives ``{}``."""
    body = get(reader, f"{ident}/insights", {"metric": ",".join(metrics), **query})
    return insight_values(reader, ident, body)


def insight_values(reader: Reader, ident: str, body: dict[str, Any]) -> dict[str, int]:
    """The values of an insights answer (the edge read alone, or expanded as a field of a
    listed node): each metric's latest value; an empty ``data`` gives ``{}``."""
    data = body.get("data")
    if not isinstance(data, list):
        raise BadPage(f"{reader.platform}: {ident}/insights has no 'data' list")
    out: dict[str, int] = {}
    for item in data:
        if not isinstance(item, dict):
            raise BadPage(f"{reader.platform}: an insight of {ident} is not an object")
        values, total = item.get("values"), item.get("total_value")
        value = None
        if isinstance(values, list) and values and isinstance(values[-1], dict):
            value = values[-1].get("value")
        elif isinstance(total, dict):
            value = total.get("value")
        name, count = item.get("name"), as_int(value)
        if isinstance(name, str) and count is not None:
            out[name] = count
    return out


def account_followers(reader: Reader) -> int | None:
    """``GET /{account-id}?fields=followers_count`` (a Page or an IG user)."""
    if not reader.account.id:
        raise PlatformError(reader.platform, 0, "no_account_id", "the account has no platform id")
    return as_int(get(reader, str(reader.account.id), {"fields": "followers_count"}).get("followers_count"))  # fmt: skip


def listing(reader: Reader, edge: str, fields: str, limit: int) -> list[dict[str, Any]]:
    """The account's ``edge`` (``GET /{account-id}/{edge}?fields=...``), in Graph's order,
    page by page (cursor ``after``, ``LIST_MAX`` a page at most) until ``limit`` items or
    the last page (one without ``paging.next``)."""
    if limit <= 0:
        return []
    if not reader.account.id:
        raise PlatformError(reader.platform, 0, "no_account_id", "the account has no platform id")
    path = f"{reader.account.id}/{edge}"
    items: list[dict[str, Any]] = []
    query = {"fields": fields, "limit": str(min(limit, LIST_MAX))}
    while len(items) < limit:
        body = get(reader, path, query)
        data = body.get("data")
        if not isinstance(data, list) or not all(isinstance(i, dict) for i in data):
            raise BadPage(f"{reader.platform}: /{edge} has no 'data' list of objects")
        items.extend(data)
        paging = body.get("paging")
        cursors = paging.get("cursors") if isinstance(paging, dict) else None
        after = cursors.get("after") if isinstance(cursors, dict) else None
        if not data or not (isinstance(paging, dict) and paging.get("next")) or not after:
            break
        query = {**query, "after": str(after), "limit": str(min(limit - len(items), LIST_MAX))}
    return items[:limit]


def listed(reader: Reader, node: dict[str, Any], time: str) -> tuple[str, str]:
    """A listed node's id and its ``time`` field (a Graph time) in ISO 8601 UTC; BadPage
    when it lacks either."""
    ident = node.get("id")
    if not isinstance(ident, str) or not ident:
        raise BadPage(f"{reader.platform}: a listed item has no id")
    try:
        return ident, utc(node.get(time))
    except ValueError:
        raise BadPage(f"{reader.platform}: {ident} has no {time}") from None


def newest_first(recent: list[Recent]) -> list[Recent]:
    """``recent`` newest first (the platform's own order where times are equal)."""
    return sorted(recent, key=lambda r: r.posted.published_at, reverse=True)


def readings(
    posts: Sequence[Posted], found: dict[str, dict[str, Any]], gone: dict[str, str],
    metrics: Callable[[dict[str, Any]], dict[str, int]], insight: dict[str, dict[str, int]],
) -> list[Reading]:  # fmt: skip
    """One Reading per post, in order: ``metrics`` of its node with its ``insight`` counts,
    or DELETED with why Graph no longer has it."""
    out = []
    for post in posts:
        node = found.get(post.post_id)
        if node is None or post.post_id in gone:
            out.append(Reading(post.post_id, {}, DELETED, gone.get(post.post_id, "not found")))
        else:
            out.append(Reading(post.post_id, {**metrics(node), **insight.get(post.post_id, {})}))
    return out


# ---- Facebook Pages ---------------------------------------------------------------------


def _total(node: dict[str, Any], edge: str) -> Any:
    value = node.get(edge)
    summary = value.get("summary") if isinstance(value, dict) else None
    return summary.get("total_count") if isinstance(summary, dict) else None


def _shares(node: dict[str, Any]) -> Any:
    shares = node.get("shares")
    if shares is None:
        return 0  # Graph omits ``shares`` when nobody shared the post
    return shares.get("count") if isinstance(shares, dict) else None


def read(reader: Reader, posts: list[Posted]) -> list[Reading]:
    """The counts of each Page post: likes (all reactions), comments, shares, and views
    once the post has insights (absent until then)."""
    found, gone = nodes(reader, [p.post_id for p in posts], FIELDS)
    views: dict[str, dict[str, int]] = {}
    for ident in found:
        try:
            views[ident] = counts(insights(reader, ident, [VIEWS], period="lifetime"),
                                  {VIEWS: "views"})  # fmt: skip
        except PlatformError as error:
            if not not_found(error):
                raise
            gone[ident] = why(error)
    return readings(posts, found, gone, _counts, views)


def _counts(node: dict[str, Any]) -> dict[str, int]:
    values = {"reactions": _total(node, "reactions"), "comments": _total(node, "comments"),
              "shares": _shares(node)}  # fmt: skip
    return counts(values, {"reactions": "likes", "comments": "comments", "shares": "shares"})


def followers(reader: Reader) -> int | None:
    """The Page's ``followers_count``."""
    return account_followers(reader)


def recent(reader: Reader, limit: int) -> list[Recent]:
    """The Page's latest posts, newest first, at most ``limit``: likes, comments and shares
    as ``read`` maps them, views from the insights expanded in the listing (absent where
    Graph gives none yet), the message, and the first attachment's kind."""
    out = []
    for node in listing(reader, LISTING, RECENT_FIELDS, limit):
        ident, when = listed(reader, node, "created_time")
        posted = Posted(ident, str(node.get("permalink_url") or f"https://www.facebook.com/{ident}"),
                        when)  # fmt: skip
        views: dict[str, int] = {}
        edge = node.get("insights")
        if edge is not None:
            if not isinstance(edge, dict):
                raise BadPage(f"facebook: the insights of {posted.post_id} are not an object")
            views = insight_values(reader, posted.post_id, edge)
        metrics = {**_counts(node), **counts(views, {VIEWS: "views"})}
        message = node.get("message")
        out.append(Recent(posted, Reading(posted.post_id, metrics),
                          message if isinstance(message, str) else "", _media(node)))  # fmt: skip
    return newest_first(out)


def _media(node: dict[str, Any]) -> str | None:
    """The post's media: its first attachment's ``media_type`` in our words; "none" for a
    post without attachments (Graph leaves the field out); None for a kind we do not map."""
    attachments = node.get("attachments")
    if attachments is None:
        return "none"
    data = attachments.get("data") if isinstance(attachments, dict) else None
    if not isinstance(data, list):
        return None
    if not data:
        return "none"
    kind = data[0].get("media_type") if isinstance(data[0], dict) else None
    return ATTACHMENTS.get(kind) if isinstance(kind, str) else None
