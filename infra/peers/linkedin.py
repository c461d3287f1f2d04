"""Contract fake of LinkedIn's Posts API (/rest/posts, versioned by the LinkedIn-Version
header, Rest.li 2.0.0): the id in x-restli-id, the documented error bodies.

A contract fake used by the tests and, as a local peer, by ``socialops simulate``."""

from __future__ import annotations

import itertools
import re
import urllib.parse
from datetime import datetime
from typing import Any, ClassVar

from infra.peers import Fake, Reply, Req, bearer, require
from infra.peers.mentions import PAGE_SIZE, Mention, utc

TOKEN = "li-token"
ORG = "urn:li:organization:5515715"
VERSION = "202411"


def error(status: int, message: str, code: str | None = None, **head: str) -> Reply:
    body: dict[str, Any] = {"status": status, "message": message}
    if code:
        body.update(code=code, serviceErrorCode=65600 if status == 401 else 100)
    return Reply(status, body, head)


class LinkedInFake(Fake):
    errors: ClassVar[dict[str, Reply]] = {
        "expired": error(401, "The token used in the request has expired", "EXPIRED_ACCESS_TOKEN"),
        "revoked": error(401, "The token used in the request has been revoked by the user",
                         "REVOKED_ACCESS_TOKEN"),
        "forbidden": error(403, "Not enough permissions to access: partnerApiPostsExternal"
                           ".CREATE.20241101", "ACCESS_DENIED"),
        "rate_limit": error(429, "Resource level throttle APPLICATION DAY limit for calls to "
                            "this resource is reached.", **{"Retry-After": "3600"}),
        "rate_limit_bare": error(429, "Resource level throttle APPLICATION DAY limit for calls "
                                 "to this resource is reached."),
        "server_error": error(500, "Internal Server Error"),
        "duplicate": error(422, "Content is a duplicate of urn:li:share:7000000000000000001"),
    }  # fmt: skip

    def __init__(self, *, token: str = TOKEN, org: str = ORG) -> None:
        super().__init__()
        self.token, self.org = token, org
        self.ids = (f"urn:li:share:{n}" for n in itertools.count(7_100_000_000_000_000_000))
        self.posts: list[dict[str, Any]] = []
        self.route("POST", r"/rest/posts", self.create)
        self.route("GET", r"/rest/posts", self.find)
        self.route("GET", r"/rest/socialActions/([^/]+)/comments", self.comments)
        self.mentions: list[Mention] = []
        self.seeded: list[dict[str, Any]] = []  # a post made before (not by publish)
        self.comment_ids = itertools.count(7_200_000_000_000_000_000)
        self.page_size = PAGE_SIZE

    def check(self, req: Req) -> None:
        bearer(req, self.token, error(401, "Invalid access token", "INVALID_ACCESS_TOKEN"))
        version = req.headers.get("linkedin-version", "")
        require(bool(version), error(400, "A version must be present. Please specify a "
                                     "version by adding the LinkedIn-Version header.",
                                     "VERSION_MISSING"))  # fmt: skip
        require(
            bool(re.fullmatch(r"\d{6}", version)) and version == VERSION,
            error(426, f"Requested version {version} is not active", "NONEXISTENT_VERSION"),
        )
        require(req.headers.get("x-restli-protocol-version") == "2.0.0",
                error(400, "Rest.li protocol version 2.0.0 is required"))  # fmt: skip

    def create(self, req: Req) -> Reply:
        self.check(req)
        body = req.body
        for name in ("author", "commentary", "visibility", "distribution", "lifecycleState"):
            require(name in body, error(422, f"/{name} :: field is required but not found"))
        require(
            body["author"] == self.org, error(403, "Not an admin of the author", "ACCESS_DENIED")
        )
        require(body["lifecycleState"] == "PUBLISHED", error(422, "/lifecycleState invalid"))
        if any(p["commentary"] == body["commentary"] for p in self.posts):
            return self.errors["duplicate"]
        created = int(self.now().timestamp() * 1000)
        post = {**body, "id": next(self.ids), "createdAt": created, "lastModifiedAt": created}
        self.posts.append(post)
        return Reply(201, {}, {"x-restli-id": post["id"]})

    def find(self, req: Req) -> Reply:
        self.check(req)
        require(req.headers.get("x-restli-method") == "FINDER" and req.query.get("q") == "author",
                error(400, "Finder method is required"))  # fmt: skip
        mine = [p for p in self.seeded + self.posts if p["author"] == req.query.get("author")]
        if req.query.get("sortBy") == "CREATED":
            mine.sort(key=lambda p: p.get("createdAt", 0))
        start, count = req.query.get("start", "0"), req.query.get("count", "10")
        require(start.isdigit() and count.isdigit() and 1 <= int(count) <= 100,
                error(400, "Invalid start or count"))  # fmt: skip
        at, size = int(start), min(int(count), self.page_size)
        page = mine[::-1][at : at + size]
        return Reply(body={"elements": page, "paging": {"count": size, "start": at,
                                                          "total": len(mine)}})  # fmt: skip

    def add_mention(
        self, text: str, created_at: datetime, *, author_handle: str = "urn:li:person:fan",
        lang: str | None = None, followers: int = 10, author_created_at: datetime | None = None,
    ) -> str:  # fmt: skip
        """A comment on the organization's latest post (one is made when it has none);
        the comment's URN."""
        with self.lock:
            if not any(p["author"] == self.org for p in self.posts + self.seeded):
                self.seeded.append({"id": next(self.ids), "author": self.org,
                                   "commentary": "Our latest news", "visibility": "PUBLIC",
                                   "lifecycleState": "PUBLISHED"})  # fmt: skip
            post = [p for p in self.seeded + self.posts if p["author"] == self.org][-1]["id"]
            number = next(self.comment_ids)
            activity = post.replace("urn:li:share:", "urn:li:activity:")
            urn = f"urn:li:comment:({activity},{number})"
            self.mentions.append(
                Mention(
                    urn,
                    text,
                    utc(created_at),
                    author_handle,
                    lang,
                    followers,
                    author_created_at,
                    {"post": post, "number": str(number)},
                )
            )
        return urn

    def comments(self, req: Req) -> Reply:
        """``GET /rest/socialActions/{urn}/comments``: ``start``, ``count`` (at most
        ``page_size``)."""
        self.check(req)
        target = urllib.parse.unquote(req.groups[0])
        start = int(req.query.get("start") or 0)
        count = max(1, min(int(req.query.get("count") or 10), self.page_size))
        with self.lock:
            hits = [m for m in self.mentions if m.extra["post"] == target]
        hits.sort(key=lambda m: m.created_at, reverse=True)
        page = hits[start : start + count]
        elements = [{"actor": m.handle, "id": m.extra["number"], "$URN": m.id, "object": target,
                     "message": {"text": m.text, "attributes": []},
                     "created": {"actor": m.handle, "time": int(m.created_at.timestamp() * 1000)},
                     "lastModified": {"actor": m.handle,
                                      "time": int(m.created_at.timestamp() * 1000)}}
                    for m in page]  # fmt: skip
        return Reply(
            body={
                "elements": elements,
                "paging": {"start": start, "count": count, "total": len(hits)},
            }
        )

    def posts_made(self) -> int:
        """How many posts this fake holds: what really went out."""
        return len(self.posts)
