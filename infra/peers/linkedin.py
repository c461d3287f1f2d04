"""Contract fake of LinkedIn's Posts API (/rest/posts, versioned by the LinkedIn-Version
header, Rest.li 2.0.0): the id in x-restli-id, the documented error bodies.

A contract fake used by the tests and, as a local peer, by ``socialops simulate``."""

from __future__ import annotations

import itertools
import re
from typing import Any, ClassVar

from infra.peers import Fake, Reply, Req, bearer, require

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
        post = {**body, "id": next(self.ids)}
        self.posts.append(post)
        return Reply(201, {}, {"x-restli-id": post["id"]})

    def find(self, req: Req) -> Reply:
        self.check(req)
        require(req.headers.get("x-restli-method") == "FINDER" and req.query.get("q") == "author",
                error(400, "Finder method is required"))  # fmt: skip
        mine = [p for p in self.posts if p["author"] == req.query.get("author")]
        return Reply(body={"elements": mine[::-1], "paging": {"count": len(mine), "start": 0}})

    def posts_made(self) -> int:
        """How many posts this fake holds: what really went out."""
        return len(self.posts)
