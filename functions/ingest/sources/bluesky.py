"""Bluesky: ``app.bsky.feed.searchPosts`` on the public AppView (no token), one feed per
listening term, ``sort=latest``, newest first with a ``cursor``; ``since`` bounds a sweep
to what is newer than the last one (by ``indexedAt``)."""

from __future__ import annotations

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
    sweep,
    when,
)  # fmt: skip


def _time_key(value: str) -> str:
    return value


def _uri(post: Any) -> str:
    return str(post.get("uri", "")) if isinstance(post, dict) else ""


def found(post: Any) -> Found:
    ident = str(post.get("uri", "")) if isinstance(post, dict) else ""
    need(post, ident, "uri", "indexedAt")
    record = post.get("record")
    author = post.get("author")
    if not isinstance(record, dict) or not isinstance(author, dict):
        raise Malformed(ident, "lacks record or author")
    need(record, ident, "text", "createdAt")
    langs = record.get("langs")
    handle = str(author.get("handle") or author.get("did") or "")
    rkey = ident.rsplit("/", 1)[-1]
    created = author.get("createdAt")
    return Found(
        id=ident, text=str(record["text"]), created_at=when(ident, record["createdAt"]),
        url=f"https://bsky.app/profile/{handle}/post/{rkey}",
        lang=langs[0] if isinstance(langs, list) and langs and isinstance(langs[0], str)
        else None, handle=handle,
        followers=author.get("followersCount") if isinstance(author.get("followersCount"), int)
        else None,
        author_created_at=when(ident, created) if created else None,
        kind="reply" if record.get("reply") else "mention",
    )  # fmt: skip


def feeds(source: Source) -> list[Feed]:
    def feed(term: str) -> Feed:
        def fetch(state: dict[str, str]) -> Page:
            params = {"q": term, "sort": "latest", "limit": str(max(1, min(100, source.page_size)))}
            if state.get("since"):
                params["since"] = state["since"]
            if state.get("page"):
                params["cursor"] = state["page"]
            answer = get_json("bluesky", f"{source.base}/xrpc/app.bsky.feed.searchPosts",
                              query=params, timeout=source.timeout)  # fmt: skip
            raw = items_of(answer.body, "posts", "bluesky")
            since = state.get("since")

            def indexed(post: Any) -> str:
                value = post.get("indexedAt") if isinstance(post, dict) else None
                try:
                    return when("", value)
                except Malformed:
                    return ""

            # ``since`` is inclusive (and to the second here): what the last sweep ended on
            # comes again. The posts of that second it took are in ``edge``: skipped; one
            # indexed later in the same second is new, and taken.
            edge = set(state.get("edge", "").split())
            raw = [p for p in raw if not since or not indexed(p) or indexed(p) > since
                   or (indexed(p) == since and _uri(p) not in edge)]  # fmt: skip
            top = newest([indexed(p) for p in raw], _time_key)
            cursor = answer.body.get("cursor") if raw else None
            after_state, done = sweep(state, top, cursor if isinstance(cursor, str) else None,
                                      _time_key)  # fmt: skip
            # the posts at the newest mark of the sweep, carried to the next sweep's edge
            mark = after_state.get("top") or after_state.get("since")
            at_mark = {_uri(p) for p in raw if indexed(p) == mark}
            if mark and mark in (state.get("top"), state.get("since")):
                at_mark |= set(state.get("top_edge" if "page" in state else "edge", "").split())
            if at_mark and mark:
                after_state["top_edge" if not done else "edge"] = " ".join(sorted(at_mark))
            if not done and state.get("edge"):
                after_state["edge"] = state["edge"]  # still the sweep's lower bound
            return Page(raw, normalise(raw, found), after_state, done, answer.replaced)

        return Feed(f"search:{term}", fetch)

    return [feed(term) for term in source.terms]
