"""Contract fake of the X API v2: POST /2/tweets, GET /2/users/me and the user's posts,
with the documented problem bodies and x-rate-limit-* headers."""

from __future__ import annotations

import itertools
import time
from typing import Any

from fakes import Fake, Reply, Req, bearer, require

TOKEN = "x-user-token"
USER = "2244994945"


def problem(status: int, title: str, detail: str, **head: str) -> Reply:
    return Reply(status, {"title": title, "detail": detail, "type": "about:blank",
                          "status": status}, head)  # fmt: skip


UNAUTHORIZED = problem(401, "Unauthorized", "Unauthorized")


class XFake(Fake):
    @property
    def errors(self) -> dict[str, Reply]:  # type: ignore[override]
        reset = str(int(time.time()) + 120)
        limits = {"x-rate-limit-limit": "200", "x-rate-limit-remaining": "0"}
        return {
            "rate_limit": problem(429, "Too Many Requests", "Too Many Requests",
                                  **limits, **{"x-rate-limit-reset": reset}),
            "rate_limit_bare": problem(429, "Too Many Requests", "Too Many Requests"),
            "server_error": problem(500, "Internal Server Error", "Internal Server Error"),
            "unavailable": problem(503, "Service Unavailable", "Service Unavailable"),
            "expired": UNAUTHORIZED,
            "revoked": UNAUTHORIZED,
            "duplicate": problem(403, "Forbidden", "You are not allowed to create a Tweet "
                                 "with duplicate content."),
            "legacy_duplicate": Reply(403, {"errors": [{"code": 187,
                                                        "message": "Status is a duplicate."}]}),
        }  # fmt: skip

    def __init__(self) -> None:
        super().__init__()
        self.ids = (str(n) for n in itertools.count(1_860_000_000_000_000_000))
        self.tweets: list[dict[str, Any]] = []
        self.route("POST", r"/2/tweets", self.create)
        self.route("GET", r"/2/users/me", self.me)
        self.route("GET", r"/2/users/(\d+)/tweets", self.timeline)

    def create(self, req: Req) -> Reply:
        bearer(req, TOKEN, UNAUTHORIZED)
        text = req.body.get("text") if isinstance(req.body, dict) else None
        require(req.headers.get("content-type", "").startswith("application/json"),
                problem(415, "Unsupported Media Type", "Use application/json"))  # fmt: skip
        require(bool(text) and len(text) <= 280,
                problem(400, "Invalid Request", "One or more parameters to your request "
                        "was invalid."))  # fmt: skip
        if any(t["text"] == text for t in self.tweets):
            return self.errors["duplicate"]
        tweet = {"id": next(self.ids), "text": text, "created_at": "2026-11-30T09:00:00.000Z"}
        self.tweets.append(tweet)
        return Reply(201, {"data": {"id": tweet["id"], "text": text}})

    def me(self, req: Req) -> Reply:
        bearer(req, TOKEN, UNAUTHORIZED)
        return Reply(body={"data": {"id": USER, "name": "Brand", "username": "brand"}})

    def timeline(self, req: Req) -> Reply:
        bearer(req, TOKEN, UNAUTHORIZED)
        require(req.groups[0] == USER, problem(403, "Forbidden", "Not your timeline"))
        return Reply(body={"data": self.tweets[::-1], "meta": {"result_count": len(self.tweets)}})
