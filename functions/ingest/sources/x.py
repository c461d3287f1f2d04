"""X: ``GET /2/tweets/search/recent`` (the last 7 days), newest first, ``since_id`` and
``next_token``; the authors come as the ``author_id`` expansion."""

from __future__ import annotations

from typing import Any

from functions.ingest.sources import (
    Feed,
    Found,
    Page,
    Source,
    after,
    as_int,
    get_json,
    ident_of,
    items_of,
    need,
    newest,
    normalise,
    sweep,
    when,
)  # fmt: skip

MAX_QUERY = 512  # X's limit on a query's length (Basic and Pro access)


def query_of(terms: list[str] | tuple[str, ...]) -> str:
    """The listening terms as one X query: hashtags and @handles as operators, the rest
    as exact phrases; retweets left out (they repeat a post)."""
    parts = []
    for term in terms:
        term = term.strip()
        if term[:1] in "#@" and " " not in term:
            parts.append(term)
        else:
            parts.append('"' + term.replace('"', "") + '"')
    query = "(" + " OR ".join(parts) + ") -is:retweet"
    return query[:MAX_QUERY]


def found(item: Any, users: dict[str, Any]) -> Found:
    ident = ident_of(item)
    need(item, ident, "id", "text", "created_at")
    author = users.get(str(item.get("author_id")), {})
    author = author if isinstance(author, dict) else {}
    handle = str(author.get("username") or item.get("author_id") or "")
    metrics = author.get("public_metrics") if isinstance(author.get("public_metrics"), dict) else {}
    created = author.get("created_at")
    return Found(
        id=ident, text=str(item["text"]), created_at=when(ident, item["created_at"]),
        url=f"https://x.com/{handle or 'i'}/status/{ident}",
        lang=item.get("lang") if isinstance(item.get("lang"), str) else None, handle=handle,
        followers=as_int((metrics or {}).get("followers_count")),
        author_created_at=when(ident, created) if created else None,
        kind="reply" if item.get("in_reply_to_user_id") else "mention",
    )  # fmt: skip


def feeds(source: Source) -> list[Feed]:
    query = query_of(list(source.terms))

    def fetch(state: dict[str, str]) -> Page:
        params = {"query": query, "max_results": str(max(10, min(100, source.page_size))),
                  "tweet.fields": "created_at,lang,author_id,in_reply_to_user_id",
                  "expansions": "author_id", "user.fields": "created_at,public_metrics"}  # fmt: skip
        if state.get("since"):
            params["since_id"] = state["since"]
        if state.get("page"):
            params["next_token"] = state["page"]
        answer = get_json("x", f"{source.base}/2/tweets/search/recent", query=params,
                          bearer=source.token(), timeout=source.timeout)  # fmt: skip
        raw = items_of(answer.body, "data", "x")
        includes = answer.body.get("includes") or {}
        users = {str(u.get("id")): u for u in items_of(includes, "users", "x")
                 if isinstance(u, dict)}  # fmt: skip
        meta = answer.body.get("meta") if isinstance(answer.body.get("meta"), dict) else {}
        raw = [r for r in raw if not isinstance(r, dict) or after(state.get("since"),
                                                                  ident_of(r) or "0")]  # fmt: skip
        top = newest([ident_of(r) for r in raw])
        next_page = meta.get("next_token") if raw else None
        after_state, done = sweep(state, top, next_page if isinstance(next_page, str) else None)
        return Page(raw, normalise(raw, lambda r: found(r, users)), after_state, done,
                    answer.replaced)  # fmt: skip

    return [Feed("search", fetch)]
