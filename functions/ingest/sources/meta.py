"""Facebook and Instagram (Graph API): the posts that tag the Page (``GET
/{page-id}/tagged``, ``since`` and ``after`` cursors) and the Instagram media the account
is tagged in (``GET /{ig-user-id}/tags``, newest first, ``after`` cursors). Comments on the
brand's own posts arrive by webhook (the ``feed`` and ``comments`` fields: webhooks.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from functions.ingest.sources import (
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
