"""A small fake of Mastodon's statuses API, honouring Idempotency-Key as Mastodon does
(the same key within an hour returns the same status). The real peer, mastodon-mock, is
used by test_mastodon_peer.py.

A contract fake used by the tests and, as a local peer, by ``socialops simulate``."""

from __future__ import annotations

import html
import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from infra.peers import Fake, Reply, Req, bearer, require

TOKEN = "masto-token"
ACCOUNT = "109000000000000001"
INVALID = Reply(401, {"error": "The access token is invalid"})


def mastodon_time() -> str:
    """Now, as Mastodon writes times (2026-11-30T09:00:00.000Z)."""
    now = datetime.now(UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


class MastodonFake(Fake):
    @property
    def errors(self) -> dict[str, Reply]:  # type: ignore[override]
        reset = (datetime.now(UTC) + timedelta(minutes=5)).isoformat().replace("+00:00", "Z")
        limits = {"X-RateLimit-Limit": "300", "X-RateLimit-Remaining": "0",
                  "X-RateLimit-Reset": reset}  # fmt: skip
        return {
            "expired": INVALID,
            "revoked": INVALID,
            "rate_limit": Reply(429, {"error": "Too many requests"}, limits),
            "rate_limit_bare": Reply(429, {"error": "Too many requests"}),
            "server_error": Reply(500, {"error": "We're sorry, but something went wrong"}),
            "invalid": Reply(422, {"error": "Validation failed: Text can't be blank"}),
        }

    def __init__(self, *, token: str = TOKEN, account: str = ACCOUNT) -> None:
        super().__init__()
        self.token, self.account = token, account
        self.ids = (str(n) for n in itertools.count(113_000_000_000_000_001))
        self.statuses: list[dict[str, Any]] = []
        self.by_key: dict[str, dict[str, Any]] = {}
        self.route("POST", r"/api/v1/statuses", self.create)
        self.route("GET", r"/api/v1/accounts/verify_credentials", self.me)
        self.route("GET", r"/api/v1/accounts/(\d+)/statuses", self.timeline)

    def create(self, req: Req) -> Reply:
        bearer(req, self.token, INVALID)
        key = req.headers.get("idempotency-key")
        if key in self.by_key:
            return Reply(body=self.by_key[key])
        text = req.body.get("status", "")
        require(bool(text), self.errors["invalid"])
        status_id = next(self.ids)
        status = {"id": status_id, "created_at": mastodon_time(),
                  "uri": f"https://social.test/users/brand/statuses/{status_id}",
                  "url": f"https://social.test/@brand/{status_id}",
                  "visibility": req.body.get("visibility", "public"),
                  "content": "<p>" + html.escape(text).replace("\n", "<br />") + "</p>"}  # fmt: skip
        self.statuses.append(status)
        if key:
            self.by_key[key] = status
        return Reply(body=status)

    def me(self, req: Req) -> Reply:
        bearer(req, self.token, INVALID)
        return Reply(body={"id": self.account, "username": "brand", "acct": "brand"})

    def timeline(self, req: Req) -> Reply:
        bearer(req, self.token, INVALID)
        return Reply(body=self.statuses[::-1] if req.groups[0] == self.account else [])

    def posts_made(self) -> int:
        """How many posts this fake holds: what really went out."""
        return len(self.statuses)
