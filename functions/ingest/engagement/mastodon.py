"""Mastodon: the engagement of the account's statuses and its follower count, on the
account's own server (``reader.base``), with the account's token.

Statuses: ``GET /api/v1/statuses?id[]=...`` ("View multiple statuses", docs.joinmastodon.org
/methods/statuses, "4.3.0 - added"), 20 ids a request at most (the server's
``DEFAULT_STATUSES_LIMIT``: more answer 422). The docs say the answer holds "fewer records
than requested if the requested statuses do not exist": a status left out is DELETED. A
server older than 4.3 has no such route and answers 404: then each status is read with
``GET /api/v1/statuses/:id``, and the reader remembers it
(``reader.extra["mastodon_one_by_one"]``) so its later calls go straight there; a 404
there ("Record not found") is DELETED.

Mapped from the Status entity: ``favourites_count`` -> likes, ``reblogs_count`` -> shares
(boosts), ``replies_count`` -> comments, ``quotes_count`` -> quotes (Mastodon 4.5 and later;
absent on older servers, so absent from the reading). Mastodon counts no views, reach,
saves (bookmarks are private) or clicks: those are never in a reading. The counts are the
ones this server knows: interactions on other servers reach it as they federate.

A rate limit (429, ``X-RateLimit-Reset``) or a refused token (401) is a ``PlatformError``
that stops the account's read-back for the run.

Followers: ``GET /api/v1/accounts/verify_credentials`` -> ``followers_count`` (None when
absent or negative: the account hides it).

Recent statuses (the backfill, ``recent``): the account's id from ``verify_credentials``,
then ``GET /api/v1/accounts/:id/statuses`` ("Get account's statuses") with
``exclude_replies=true`` (Mastodon keeps a reply to the account's own status: a thread),
``exclude_reblogs=true`` and ``limit`` (at most 40, twice the server's default of 20),
newest first, paged with ``max_id`` (the last id of a page) while the server says there
is more (a full page, or a ``rel="next"`` link). A boost (``reblog``) or a direct message
that comes all the same is left out. Counts as ``read`` maps them; the text is the
status's HTML as text; media from ``media_attachments``: none, one ``image`` an image, one
``video`` or ``gifv`` a video, more than one an album (``audio`` or ``unknown``: None).
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Sequence
from typing import Any

from functions.common.chunks import batches
from functions.common.platform.errors import PlatformError
from functions.common.text import html_text
from functions.ingest.engagement import DELETED, Posted, Reader, Reading, Recent, counts
from functions.ingest.sources import BadPage, as_int, get_json, utc

STATUSES_MAX = 20  # ids a GET /api/v1/statuses takes (Api::BaseController)
ONE_BY_ONE = "mastodon_one_by_one"  # reader.extra: the server has no batch route (< 4.3)

TIMELINE_MAX = 40  # statuses a GET /api/v1/accounts/:id/statuses gives (2 x its 20)
MEDIA = {"image": "image", "video": "video", "gifv": "video"}  # Mastodon's attachment types

NAMES = {"favourites_count": "likes", "reblogs_count": "shares", "replies_count": "comments",
         "quotes_count": "quotes"}  # fmt: skip


def read(reader: Reader, posts: list[Posted]) -> list[Reading]:
    """One Reading per status given: 20 a request, or one a request on a server < 4.3."""
    ids = list(dict.fromkeys(p.post_id for p in posts))
    found: dict[str, Reading] = {}
    for chunk in batches(ids, STATUSES_MAX):
        if not reader.extra.get(ONE_BY_ONE):
            try:
                found.update(_many(reader, chunk))
                continue
            except PlatformError as error:
                if error.status != 404:
                    raise
                reader.extra[ONE_BY_ONE] = True  # no GET /api/v1/statuses: before 4.3
        found.update((ident, _one(reader, ident)) for ident in chunk)
    return [found[p.post_id] for p in posts]


def followers(reader: Reader) -> int | None:
    """The account's follower count (``verify_credentials``)."""
    count = as_int(_credentials(reader).get("followers_count"))
    return count if count is not None and count >= 0 else None


def recent(reader: Reader, limit: int) -> list[Recent]:
    """The account's own latest statuses (no replies to others, no boosts), newest first,
    at most ``limit``, with their counts."""
    if limit <= 0:
        return []
    me = _ident(_credentials(reader))
    path = "/api/v1/accounts/" + urllib.parse.quote(me, safe="") + "/statuses"
    found: dict[str, Recent] = {}
    below = ""
    while len(found) < limit:
        asked = min(TIMELINE_MAX, limit - len(found))
        query = [("exclude_replies", "true"), ("exclude_reblogs", "true"), ("limit", str(asked))]
        answer = get_json("mastodon", f"{reader.base}{path}",
                          query=query + ([("max_id", below)] if below else []),
                          bearer=reader.token(), timeout=reader.timeout)  # fmt: skip
        if not isinstance(answer.body, list):
            raise BadPage(f"mastodon: {path} answered a {type(answer.body).__name__}, not a list")
        for status in answer.body:
            below = _ident(status)
            if status.get("reblog") or status.get("visibility") == "direct":
                continue
            found.setdefault(below, _listed(status))
        more = 'rel="next"' in answer.headers.get("link", "")  # names in lower case
        if not answer.body or not (more or len(answer.body) >= asked):
            break
    return list(found.values())[:limit]


def _credentials(reader: Reader) -> dict[str, Any]:
    answer = get_json("mastodon", f"{reader.base}/api/v1/accounts/verify_credentials",
                      bearer=reader.token(), timeout=reader.timeout)  # fmt: skip
    if not isinstance(answer.body, dict):
        raise BadPage(f"mastodon: verify_credentials answered a {type(answer.body).__name__}, "
                      "not an account")  # fmt: skip
    return answer.body


def _listed(status: dict[str, Any]) -> Recent:
    ident = _ident(status)
    try:
        created = utc(status.get("created_at"))
    except (ValueError, OverflowError, OSError):
        raise BadPage(f"mastodon: status {ident}: created_at {status.get('created_at')!r} "
                      "is not a time") from None  # fmt: skip
    posted = Posted(ident, str(status.get("url") or status.get("uri") or ""), created)
    return Recent(posted, Reading(ident, counts(status, NAMES)),
                  html_text(str(status.get("content") or "")).strip(),
                  _media(status.get("media_attachments")))  # fmt: skip


def _media(attachments: Any) -> str | None:
    """The status's media in the lake's words (MEDIA_KINDS); None when it does not say."""
    if not isinstance(attachments, list):
        return None
    if not attachments:
        return "none"
    ours = [MEDIA.get(str(a.get("type"))) if isinstance(a, dict) else None for a in attachments]
    if None in ours:
        return None
    return "album" if len(ours) > 1 else ours[0]


def _many(reader: Reader, ids: Sequence[str]) -> dict[str, Reading]:
    answer = get_json("mastodon", f"{reader.base}/api/v1/statuses",
                      query=[("id[]", i) for i in ids], bearer=reader.token(),
                      timeout=reader.timeout)  # fmt: skip
    if not isinstance(answer.body, list):
        raise BadPage(f"mastodon: /api/v1/statuses answered a {type(answer.body).__name__}, "
                      "not a list")  # fmt: skip
    out: dict[str, Reading] = {}
    for status in answer.body:
        ident = _ident(status)
        if ident in ids:
            out[ident] = Reading(ident, counts(status, NAMES))
    for ident in ids:
        if ident not in out:
            out[ident] = Reading(ident, {}, DELETED, "the server no longer has the status "
                                 "(left out of GET /api/v1/statuses)")  # fmt: skip
    return out


def _one(reader: Reader, ident: str) -> Reading:
    try:
        path = "/api/v1/statuses/" + urllib.parse.quote(ident, safe="")
        answer = get_json("mastodon", f"{reader.base}{path}",
                          bearer=reader.token(), timeout=reader.timeout)  # fmt: skip
    except PlatformError as error:
        if error.status == 404:
            return Reading(ident, {}, DELETED, "the server no longer has the status (404)")
        raise
    if _ident(answer.body) != ident:
        raise BadPage(f"mastodon: {path} answered another status")
    return Reading(ident, counts(answer.body, NAMES))


def _ident(status: Any) -> str:
    if not isinstance(status, dict) or not isinstance(status.get("id"), str | int):
        raise BadPage("mastodon: a status without an id")
    return str(status["id"])
