"""LinkedIn: comments on the organization's latest posts (``GET /rest/posts?q=author``,
then ``GET /rest/socialActions/{post-urn}/comments``), with the versioned Rest.li headers.

Each post's comments come newest first, ``start``/``count`` paged: a run reads a post's
pages until it meets a comment no newer than the cursor (``since``, the newest comment
time seen), the end of the list (``paging.total``, or a short page when the answer gives
no total) or an empty page, so a busy post loses no comment between two runs. The cursor
moves only once every post has been read."""

from __future__ import annotations

import urllib.parse
from typing import Any

from functions.ingest.sources import (
    Feed,
    Found,
    Malformed,
    Page,
    Source,
    get_json,
    items_of,
    need,
    newest,
    normalise,
    when,
)  # fmt: skip
from schema.platforms import PLATFORMS

POSTS = 10  # the latest posts whose comments are read


def _ms(item: Any) -> str:
    created = item.get("created") if isinstance(item, dict) else None
    value = created.get("time") if isinstance(created, dict) else None
    return f"{value:015d}" if isinstance(value, int) and not isinstance(value, bool) else ""


def comment(item: Any) -> Found:
    ident = str(item.get("$URN") or item.get("id") or "") if isinstance(item, dict) else ""
    need(item, ident, "actor")
    message = item.get("message")
    text = message.get("text") if isinstance(message, dict) else None
    if not isinstance(text, str) or not _ms(item):
        raise Malformed(ident, "lacks message.text or created.time")
    post = str(item.get("object") or "")
    return Found(
        id=ident, text=text, created_at=when(ident, int(_ms(item))),
        url=f"https://www.linkedin.com/feed/update/{post}", lang=None,
        handle=str(item["actor"]), kind="comment",
    )  # fmt: skip


def feeds(source: Source) -> list[Feed]:
    org = source.account.id
    if not org:
        raise Malformed("", "the linkedin account names no organization URN (id)")
    headers = {"LinkedIn-Version": PLATFORMS["linkedin"].api_version,
               "X-Restli-Protocol-Version": "2.0.0"}  # fmt: skip

    def fetch(state: dict[str, str]) -> Page:
        token = source.token()
        since = state.get("since")
        posts = get_json("linkedin", f"{source.base}/rest/posts",
                         query={"q": "author", "author": org, "count": str(POSTS)},
                         bearer=token, headers={**headers, "X-RestLi-Method": "FINDER"},
                         timeout=source.timeout)  # fmt: skip
        raw: list[Any] = []
        replaced = posts.replaced
        for post in items_of(posts.body, "elements", "linkedin")[:POSTS]:
            urn = post.get("id") if isinstance(post, dict) else None
            if not isinstance(urn, str):
                continue
            path = "/rest/socialActions/" + urllib.parse.quote(urn, safe="") + "/comments"
            start = 0
            while True:
                answer = get_json("linkedin", source.base + path, bearer=token,
                                  headers=headers, timeout=source.timeout,
                                  query={"start": str(start), "count": str(source.page_size)})  # fmt: skip
                replaced += answer.replaced
                page = items_of(answer.body, "elements", "linkedin")
                raw += page
                start += len(page)
                paging = answer.body.get("paging")
                total = paging.get("total") if isinstance(paging, dict) else None
                if not isinstance(total, int) or isinstance(total, bool):
                    total = None
                if (not page or (total is not None and start >= total)
                        or (total is None and len(page) < source.page_size)
                        or (since and any(_ms(r) and _ms(r) <= since for r in page))):  # fmt: skip
                    break
        raw = [r for r in raw if not since or not _ms(r) or _ms(r) > since]
        top = newest([_ms(r) for r in raw], lambda v: v) or since
        return Page(raw, normalise(raw, comment), {"since": top} if top else {}, True, replaced)

    return [Feed("comments", fetch)]
