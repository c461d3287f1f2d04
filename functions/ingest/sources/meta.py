"""Facebook and Instagram (Graph API): the posts that tag the Page (``GET
/{page-id}/tagged``, ``since`` and ``after`` cursors) and the Instagram media the account
is tagged in (``GET /{ig-user-id}/tags``, newest first, ``after`` cursors). Comments on the
brand's own posts arrive by webhook (the ``feed`` and ``comments`` fields: webhooks.py).

Instagram caption and comment @mentions arrive by webhook too (the ``mentions`` field), as
ids only; ``mentioned`` reads one on the IG User node with field expansion, as Meta
documents (IG User Mentioned Media / Mentioned Comment):
``GET /{ig-user-id}?fields=mentioned_media.media_id(<media-id>){id,caption,timestamp,
username,permalink}`` or ``fields=mentioned_comment.comment_id(<comment-id>){id,text,
timestamp,username,media{id,permalink}}`` with the account's token, which answers
``{"mentioned_media": {...}, "id": "<ig-user-id>"}`` (likewise ``mentioned_comment``)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from functions.ingest.sources import (
    Answer,
    Feed,
    Found,
    Malformed,
    Page,
    Source,
    get_json,
    ident_of,
    items_of,
    need,
    newest,
    normalise,
    sweep,
    when,
)  # fmt: skip
from schema.platforms import PLATFORMS


def _key(value: str) -> str:
    return value


def tagged_post(item: Any) -> Found:
    ident = ident_of(item)
    need(item, ident, "id", "message", "created_time")
    author = item.get("from") if isinstance(item.get("from"), dict) else {}
    return Found(
        id=ident, text=str(item["message"]), created_at=when(ident, item["created_time"]),
        url=str(item.get("permalink_url") or f"https://www.facebook.com/{ident}"),
        lang=None, handle=str(author.get("name") or author.get("id") or ""), kind="tag",
    )  # fmt: skip


def tagged_media(item: Any) -> Found:
    ident = ident_of(item)
    need(item, ident, "id", "caption", "timestamp")
    return Found(
        id=ident, text=str(item["caption"]), created_at=when(ident, item["timestamp"]),
        url=str(item.get("permalink") or ""), lang=None, handle=str(item.get("username") or ""),
        kind="tag",
    )  # fmt: skip


MENTIONED_MEDIA = "id,caption,timestamp,username,permalink"
MENTIONED_COMMENT = "id,text,timestamp,username,media{id,permalink}"


def mentioned_comment(item: Any, ident: str) -> Found:
    """A ``mentioned_comment`` (IG Comment): its author, text, time and media's permalink."""
    need(item, ident, "text", "timestamp")
    media = item.get("media") if isinstance(item.get("media"), dict) else {}
    return Found(
        id=ident, text=str(item["text"]), created_at=when(ident, item["timestamp"]),
        url=str(media.get("permalink") or ""), lang=None, handle=str(item.get("username") or ""),
    )  # fmt: skip


def mentioned(source: Source, media_id: str, comment_id: str = "") -> tuple[Answer, Found | Malformed]:  # fmt: skip
    """Read the caption (``media_id``) or comment (``comment_id``) in which the Instagram
    account was @mentioned: the answer and the mention (kind ``mention``), or why it is not
    one. ``PlatformError`` for Graph's errors (an id that is gone: code 100, subcode 33),
    ``BadPage`` for an answer that is not JSON."""
    version = PLATFORMS[source.platform].api_version
    if comment_id:
        edge, ident, fields = "mentioned_comment", comment_id, f"comment_id({comment_id}){{{MENTIONED_COMMENT}}}"  # fmt: skip
    else:
        edge, ident, fields = "mentioned_media", media_id, f"media_id({media_id}){{{MENTIONED_MEDIA}}}"  # fmt: skip
    answer = get_json(source.platform, f"{source.base}/{version}/{source.account.id}",
                      query={"fields": f"{edge}.{fields}", "access_token": source.token()},
                      timeout=source.timeout)  # fmt: skip
    item = answer.body.get(edge) if isinstance(answer.body, dict) else None
    try:
        if comment_id:
            return answer, mentioned_comment(item, ident)
        return answer, replace(tagged_media(item), kind="mention")
    except Malformed as bad:
        return answer, bad


def _stamp_of(item: Any, name: str) -> str:
    try:
        return when("", item.get(name)) if isinstance(item, dict) else ""
    except Malformed:
        return ""


def feeds(source: Source) -> list[Feed]:
    version = PLATFORMS[source.platform].api_version
    account = source.account.id
    if not account:
        raise Malformed("", f"the {source.platform} account names no id (page or IG user id)")
    root = f"{source.base}/{version}/{account}"
    limit = str(max(1, min(100, source.page_size)))

    def graph(kind: str, fields: str, stamp: str, one: Any, with_since: bool) -> Feed:
        def fetch(state: dict[str, str]) -> Page:
            params = {"fields": fields, "limit": limit, "access_token": source.token()}
            since = state.get("since")
            if since and with_since:
                unix = int(datetime.fromisoformat(since.replace("Z", "+00:00")).timestamp())
                params["since"] = str(unix)
            if state.get("page"):
                params["after"] = state["page"]
            answer = get_json(source.platform, f"{root}/{kind}", query=params,
                              timeout=source.timeout)  # fmt: skip
            raw = items_of(answer.body, "data", source.platform)
            older = [r for r in raw if since and _stamp_of(r, stamp) and
                     _stamp_of(r, stamp) <= since]  # fmt: skip
            raw = [r for r in raw if r not in older]
            paging = answer.body.get("paging") if isinstance(answer.body, dict) else None
            paging = paging if isinstance(paging, dict) else {}
            cursors: dict[str, Any] = (
                paging["cursors"] if isinstance(paging.get("cursors"), dict) else {}
            )
            more = paging.get("next") and cursors.get("after") and not older and raw
            top = newest([_stamp_of(r, stamp) for r in raw], _key)
            state_after, done = sweep(state, top, str(cursors["after"]) if more else None, _key)
            return Page(raw, normalise(raw, one), state_after, done, answer.replaced)

        return Feed(kind, fetch)

    if source.platform == "facebook":
        return [graph("tagged", "id,message,created_time,permalink_url,from", "created_time",
                      tagged_post, True)]  # fmt: skip
    return [graph("tags", "id,caption,timestamp,permalink,username,media_type", "timestamp",
                  tagged_media, False)]  # fmt: skip
