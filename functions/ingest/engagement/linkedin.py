"""LinkedIn: the engagement of the posts ``publish`` made (their URNs), through the
versioned REST API (``LinkedIn-Version`` from schema/platforms.py,
``X-Restli-Protocol-Version: 2.0.0``).

- Likes and comments, for every post: the social action summaries, a Rest.li BATCH_GET
  (``GET /rest/socialActions?ids=List(urn,...)``, the URNs URL-encoded inside ``List()``):
  ``likesSummary.totalLikes`` -> likes, ``commentsSummary.aggregatedTotalComments`` ->
  comments (replies to comments included). A URN the answer puts in ``errors`` with 404, or
  leaves out of ``results``, is a post LinkedIn no longer has: deleted. Any other error of
  one URN is raised as the platform's error.
- Views, reach, clicks and shares, for an organization's posts (the account id is an
  ``urn:li:organization:`` URN): the lifetime organic statistics,
  ``GET /rest/organizationalEntityShareStatistics?q=organizationalEntity&
  organizationalEntity={org}&shares=List(...)`` (``ugcPosts=List(...)`` for ugcPost URNs):
  ``totalShareStatistics`` ``impressionCount`` -> views, ``uniqueImpressionsCount`` ->
  reach, ``clickCount`` -> clicks, ``shareCount`` -> shares (``likeCount`` and
  ``commentCount`` only where the social actions gave none). Organic only: sponsored
  activity is not counted there. LinkedIn's Organization Share Statistics page says that a
  post with no actions or impressions is left out of ``elements`` and has counts of 0: such
  a post gets 0 views, reach, clicks and shares, unless its social actions show likes or
  comments (then the statistics evidently lag and those four metrics are left out). The
  statistics cover the last 12 months only, far more than the read-back's 7 days. Needs
  ``rw_organization_admin``; the social actions need ``r_organization_social``.
- A member's (``urn:li:person:``) posts get only likes and comments, and only with a token
  that holds ``r_member_social``, which LinkedIn grants to select developers (without it the
  403 is raised as an auth error). Their views and reach are in the Member Post Statistics
  API (``/rest/memberCreatorPostAnalytics``, scope ``r_member_postAnalytics``, a separate
  review): not read here.
- Quotes and saves: LinkedIn's APIs give neither for organization posts; never present.

``recent`` (the backfill of a brand's first run): the author's posts,
``GET /rest/posts?author={urn}&q=author&sortBy=CREATED&count=&start=`` (a Rest.li FINDER:
``X-RestLi-Method: FINDER``; at most 100 a page), newest first, page by page until the
limit or the last page (``paging.total``, or a page shorter than asked), then their counts
read as ``read`` reads them (the same batches); a post deleted in between is left out, and
so is one whose ``lifecycleState`` is not PUBLISHED. Its time: ``publishedAt``, else
``createdAt``; its text: the commentary with the little text format undone
(``{hashtag|\\#|word}`` -> #word, ``@[Name](urn)`` -> Name, backslash escapes); its media:
``content.media`` an image or a video URN -> image or video, ``multiImage`` -> album, an
article, a poll or no content -> none, anything else (a document, a carousel) -> None. Same
scopes as the counts: ``r_organization_social`` for an organization.

``followers``: an organization's follower count,
``GET /rest/networkSizes/{org}?edgeType=COMPANY_FOLLOWED_BY_MEMBER`` -> ``firstDegreeSize``;
None for a person, whose follower count no endpoint of the publishing scopes gives.

Batches: LinkedIn documents no maximum of URNs per BATCH_GET or per ``List()`` of the
statistics; the URNs go in the URL, so ``BATCH`` (20) per request keeps it short.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Iterable, Sequence
from typing import Any

from functions.common.chunks import batches
from functions.common.platform.errors import PlatformError, from_response
from functions.ingest.engagement import DELETED, Posted, Reader, Reading, Recent, counts
from functions.ingest.sources import BadPage, as_int, get_json, utc
from schema.platforms import PLATFORMS

BATCH = 20  # URNs per request (see the module's doc)
ORG = "urn:li:organization:"

SOCIAL = {"totalLikes": "likes", "aggregatedTotalComments": "comments"}
STATISTICS = {"impressionCount": "views", "uniqueImpressionsCount": "reach",
              "clickCount": "clicks", "shareCount": "shares"}  # fmt: skip
STATISTICS_ALSO = {"likeCount": "likes", "commentCount": "comments"}  # where social gave none
KINDS = {"urn:li:share:": ("shares", "share"), "urn:li:ugcPost:": ("ugcPosts", "ugcPost")}
LIST_MAX = 100  # posts a page of the author finder gives at most (``count``)
MEDIA = {"urn:li:image:": "image", "urn:li:video:": "video"}  # content.media.id -> ours
# little text (the commentary's format): {hashtag|\#|word}, @[Name](urn:li:...), \-escapes
HASHTAG = re.compile(r"\{hashtag\|\\#\|([^}]*)\}")
MENTION = re.compile(r"@\[([^\]]*)\]\(urn:li:[^)]*\)")
ESCAPED = re.compile(r"\\([\\|{}@\[\]()<>#*_~])")


def _headers() -> dict[str, str]:
    return {"LinkedIn-Version": PLATFORMS["linkedin"].api_version,
            "X-Restli-Protocol-Version": "2.0.0"}  # fmt: skip


def _list(urns: Iterable[str]) -> str:
    """A Rest.li 2.0 ``List(...)``: each URN URL-encoded, the syntax itself not."""
    return "List(" + ",".join(urllib.parse.quote(urn, safe="") for urn in urns) + ")"


def _object(body: Any, what: str) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise BadPage(f"linkedin: {what}: expected a JSON object, found {type(body).__name__}")
    return body


def _summary(value: Any, urn: str) -> dict[str, int]:
    """likes and comments from one social action summary."""
    item = _object(value, f"socialActions of {urn}")
    flat: dict[str, Any] = {}
    for name in ("likesSummary", "commentsSummary"):
        part = item.get(name)
        if part is not None and not isinstance(part, dict):
            raise BadPage(f"linkedin: socialActions of {urn}: {name} is not an object")
        flat.update(part or {})
    return counts(flat, SOCIAL)


def _social(reader: Reader, token: str, urns: Sequence[str]) -> dict[str, dict[str, int] | None]:
    """Each URN's likes and comments; None for a post LinkedIn does not have (404)."""
    url = f"{reader.base}/rest/socialActions?ids={_list(urns)}"
    body = _object(get_json("linkedin", url, bearer=token, headers=_headers(),
                            timeout=reader.timeout).body, "socialActions")  # fmt: skip
    results, errors = body.get("results") or {}, body.get("errors") or {}
    if not isinstance(results, dict) or not isinstance(errors, dict):
        raise BadPage("linkedin: socialActions: results or errors is not an object")
    # keys come back as sent or URL-encoded: compare them decoded
    results = {urllib.parse.unquote(k): v for k, v in results.items()}
    errors = {urllib.parse.unquote(k): v for k, v in errors.items()}
    found: dict[str, dict[str, int] | None] = {}
    for urn in urns:
        if urn in results:
            found[urn] = _summary(results[urn], urn)
            continue
        failed = errors.get(urn)
        status = as_int(failed.get("status")) if isinstance(failed, dict) else None
        if status is not None and status != 404:
            raise from_response("linkedin", status, {}, failed)
        found[urn] = None  # 404, or absent from the answer: LinkedIn no longer has it
    return found


def _statistics(reader: Reader, token: str, org: str, urns: Sequence[str]) -> dict[str, Any]:
    """``totalShareStatistics`` by URN, for the URNs LinkedIn has statistics of."""
    found: dict[str, Any] = {}
    for prefix, (param, field) in KINDS.items():
        mine = [urn for urn in urns if urn.startswith(prefix)]
        if not mine:
            continue
        url = (
            f"{reader.base}/rest/organizationalEntityShareStatistics?q=organizationalEntity"
            f"&organizationalEntity={urllib.parse.quote(org, safe='')}&{param}={_list(mine)}"
        )
        body = _object(get_json("linkedin", url, bearer=token, headers=_headers(),
                                timeout=reader.timeout).body, "share statistics")  # fmt: skip
        elements = body.get("elements")
        if not isinstance(elements, list):
            raise BadPage("linkedin: share statistics: elements is not a list")
        for element in elements:
            item = _object(element, "share statistics element")
            stats = item.get("totalShareStatistics")
            urn = item.get(field)
            if not isinstance(urn, str) or not isinstance(stats, dict):
                raise BadPage(f"linkedin: share statistics element lacks {field} or "
                              "totalShareStatistics")  # fmt: skip
            found[urn] = stats
    return found


def read(reader: Reader, posts: list[Posted]) -> list[Reading]:
    """One Reading per post: likes and comments always; views, reach, clicks and shares
    for an organization's posts (see the module's doc); DELETED for a post LinkedIn no
    longer has. No PENDING: a post with no statistics yet has 0 or leaves them out."""
    if not posts:
        return []
    token = reader.token()
    org = reader.account.id if str(reader.account.id or "").startswith(ORG) else None
    urns = list(dict.fromkeys(post.post_id for post in posts))
    social: dict[str, dict[str, int] | None] = {}
    stats: dict[str, Any] = {}
    for chunk in batches(urns, BATCH):
        found = _social(reader, token, chunk)
        social.update(found)
        alive = [urn for urn in chunk if found[urn] is not None]
        if org and alive:
            stats.update(_statistics(reader, token, org, alive))
    readings: list[Reading] = []
    for post in posts:
        actions = social[post.post_id]
        if actions is None:
            readings.append(Reading(post.post_id, {}, DELETED, "LinkedIn answers 404: the "
                                    "post was deleted"))  # fmt: skip
            continue
        metrics = dict(actions)
        if org and any(post.post_id.startswith(prefix) for prefix in KINDS):
            given = stats.get(post.post_id)
            if given is not None:
                metrics.update(counts(given, STATISTICS))
                also = counts(given, STATISTICS_ALSO)
                metrics.update({k: v for k, v in also.items() if k not in metrics})
            elif not any(actions.values()):
                # documented: a post with no actions or impressions is left out, its counts 0
                metrics.update({ours: 0 for ours in STATISTICS.values()})
        readings.append(Reading(post.post_id, metrics))
    return readings


def followers(reader: Reader) -> int | None:
    """The organization's follower count; None for a member account (see the module)."""
    org = str(reader.account.id or "")
    if not org.startswith(ORG):
        return None
    url = f"{reader.base}/rest/networkSizes/{urllib.parse.quote(org, safe='')}"
    body = _object(get_json("linkedin", url, query={"edgeType": "COMPANY_FOLLOWED_BY_MEMBER"},
                            bearer=reader.token(), headers=_headers(),
                            timeout=reader.timeout).body, "networkSizes")  # fmt: skip
    size = as_int(body.get("firstDegreeSize"))
    if size is None:
        raise BadPage("linkedin: networkSizes has no firstDegreeSize")
    return size


def recent(reader: Reader, limit: int) -> list[Recent]:
    """The author's latest posts, newest first, at most ``limit``, with the counts ``read``
    gives them (a post deleted between the listing and its counts is left out), the
    commentary as plain text and the media's kind."""
    author = str(reader.account.id or "")
    if not author.startswith("urn:li:"):
        raise PlatformError("linkedin", 0, "no_author",
                            "the account id must be an organization or person URN")  # fmt: skip
    if limit <= 0:
        return []
    token = reader.token()
    found: dict[str, tuple[Posted, dict[str, Any]]] = {}
    start = 0
    while len(found) < limit:
        count = min(limit - len(found), LIST_MAX)
        query = {"author": author, "q": "author", "sortBy": "CREATED", "count": str(count),
                 "start": str(start)}  # fmt: skip
        body = _object(get_json("linkedin", f"{reader.base}/rest/posts", query=query,
                                bearer=token, headers={**_headers(), "X-RestLi-Method": "FINDER"},
                                timeout=reader.timeout).body, "posts")  # fmt: skip
        elements, paging = body.get("elements"), body.get("paging")
        if not isinstance(elements, list):
            raise BadPage("linkedin: posts: elements is not a list")
        for element in elements:
            post = _object(element, "a post")
            if str(post.get("lifecycleState") or "PUBLISHED").startswith("PUBLISHED"):
                posted = _posted(post)
                found.setdefault(posted.post_id, (posted, post))
        start += len(elements)
        total = paging.get("total") if isinstance(paging, dict) else None
        more = start < total if isinstance(total, int) else len(elements) == count
        if not elements or not more:
            break
    chosen = list(found.values())[:limit]
    counted = {r.post_id: r for r in read(reader, [posted for posted, _ in chosen])}
    out = [Recent(posted, counted[posted.post_id], _plain(post.get("commentary")), _media(post))
           for posted, post in chosen if counted[posted.post_id].status != DELETED]  # fmt: skip
    return sorted(out, key=lambda r: r.posted.published_at, reverse=True)


def _posted(post: dict[str, Any]) -> Posted:
    """A listed post as publish records it: its URN, its feed URL (the form
    functions/publish/adapters/linkedin.py records) and when it was published
    (``publishedAt``, else ``createdAt``, epoch milliseconds)."""
    urn = post.get("id")
    if not isinstance(urn, str) or not urn.startswith("urn:li:"):
        raise BadPage("linkedin: posts: a post has no URN id")
    stamp = next((v for v in (post.get("publishedAt"), post.get("createdAt"))
                  if as_int(v) is not None), None)  # fmt: skip
    if stamp is None:
        raise BadPage(f"linkedin: posts: {urn} has neither publishedAt nor createdAt")
    url = f"https://www.linkedin.com/feed/update/{urllib.parse.quote(urn, safe=':')}/"
    return Posted(urn, url, utc(stamp))


def _plain(commentary: Any) -> str:
    """A post's commentary (little text) as plain text: hashtag and mention templates as
    their text, reserved characters unescaped."""
    if not isinstance(commentary, str):
        return ""
    text = HASHTAG.sub(r"#\1", commentary)
    text = MENTION.sub(r"\1", text)
    return ESCAPED.sub(r"\1", text)


def _media(post: dict[str, Any]) -> str | None:
    """The post's media in our words: none (text, an article link, a poll), an image, a
    video, an album (multiImage); None for what we do not map (a document, a carousel)."""
    content = post.get("content")
    if content is None:
        return "none"
    if not isinstance(content, dict):
        return None
    if "multiImage" in content:
        return "album"
    media = content.get("media")
    if isinstance(media, dict):
        ident = str(media.get("id") or "")
        return next((ours for prefix, ours in MEDIA.items() if ident.startswith(prefix)), None)
    if "article" in content or "poll" in content:
        return "none"
    return None
