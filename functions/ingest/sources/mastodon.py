"""Mastodon: the account's mentions (``GET /api/v1/notifications?types[]=mention``, with
the token) and the public timeline of each listened hashtag (``GET
/api/v1/timelines/tag/:tag``). Both page forward from the cursor with ``min_id`` (the
page just after it), so each page moves the cursor and nothing is skipped; the first run
starts from the oldest and catches up a bounded number of pages a run."""

from __future__ import annotations

import urllib.parse
from typing import Any

from functions.common.text import html_text
from functions.ingest.sources import (
    Feed,
    Found,
    Malformed,
    Page,
    Source,
    as_int,
    get_json,
    ident_of,
    need,
    newest,
    normalise,
    when,
)  # fmt: skip


def found(status: Any, kind: str) -> Found:
    ident = ident_of(status)
    need(status, ident, "id", "content", "created_at")
    account = status.get("account")
    account = account if isinstance(account, dict) else {}
    created = account.get("created_at")
    return Found(
        id=ident, text=html_text(str(status["content"])).strip(),
        created_at=when(ident, status["created_at"]),
        url=str(status.get("url") or status.get("uri") or ""),
        lang=status.get("language") if isinstance(status.get("language"), str) else None,
        handle=str(account.get("acct") or account.get("username") or ""),
        followers=as_int(account.get("followers_count")),
        author_created_at=when(ident, created) if created else None,
        kind="reply" if status.get("in_reply_to_id") else kind,
    )  # fmt: skip


def from_notification(item: Any) -> Found:
    ident = ident_of(item)
    status = item.get("status") if isinstance(item, dict) else None
    if not isinstance(status, dict):
        raise Malformed(ident, "a mention notification without its status")
    return found(status, "mention")


def feeds(source: Source) -> list[Feed]:
    limit = str(max(1, min(40, source.page_size)))

    def forward(name: str, path: str, query: list[tuple[str, str]], bearer: bool,
                one: Any) -> Feed:  # fmt: skip
        def fetch(state: dict[str, str]) -> Page:
            params = [*query, ("limit", limit)]
            # the first run starts from the oldest (``min_id=0``): each run goes forward
            params.append(("min_id", state.get("since") or "0"))
            answer = get_json("mastodon", f"{source.base}{path}", query=params,
                              bearer=source.token() if bearer else None,
                              timeout=source.timeout)  # fmt: skip
            if not isinstance(answer.body, list):
                from functions.ingest.sources import BadPage

                raise BadPage(f"mastodon: {path} answered a {type(answer.body).__name__}, "
                              "not a list")  # fmt: skip
            raw = answer.body
            top = newest([ident_of(r) for r in raw]) or state.get("since")
            done = len(raw) < int(limit)
            return Page(raw, normalise(raw, one), {"since": top} if top else {}, done,
                        answer.replaced)  # fmt: skip

        return Feed(name, fetch)

    out = [forward("mentions", "/api/v1/notifications", [("types[]", "mention")], True,
                   from_notification)]  # fmt: skip
    for term in source.terms:
        tag = term.strip()
        if tag.startswith("#") and len(tag) > 1 and " " not in tag:
            path = "/api/v1/timelines/tag/" + urllib.parse.quote(tag[1:])
            out.append(forward(f"tag:{tag[1:].lower()}", path, [], False,
                               lambda s: found(s, "tag")))  # fmt: skip
    return out
