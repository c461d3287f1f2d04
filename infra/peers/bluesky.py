"""A small fake of a Bluesky PDS's XRPC methods (createSession, resolveHandle,
createRecord, listRecords). The real-PDS tests (tests/peers/bluesky) are still to do.

A contract fake used by the tests and, as a local peer, by ``socialops simulate``."""

from __future__ import annotations

import itertools
import time
from typing import Any

from infra.peers import Fake, Reply, Req, require

HANDLE, PASSWORD, DID = "brand.test", "app-pass-word-1234", "did:plc:brand000000000000000000"
KNOWN = {"alice.test": "did:plc:alice000000000000000000", HANDLE: DID}
JWT = "jwt-access"


def xrpc_error(status: int, error: str, message: str, **head: str) -> Reply:
    return Reply(status, {"error": error, "message": message}, head)


class BlueskyFake(Fake):
    @property
    def errors(self) -> dict[str, Reply]:  # type: ignore[override]
        reset = str(int(time.time()) + 300)
        limits = {"ratelimit-limit": "30", "ratelimit-remaining": "0", "ratelimit-reset": reset}
        return {
            "expired": xrpc_error(400, "ExpiredToken", "Token has expired"),
            "revoked": xrpc_error(400, "InvalidToken", "Token could not be verified"),
            "rate_limit": xrpc_error(429, "RateLimitExceeded", "Rate Limit Exceeded", **limits),
            "server_error": xrpc_error(500, "InternalServerError", "Internal Server Error"),
        }

    def __init__(self, *, handle: str = HANDLE, password: str = PASSWORD, did: str = DID) -> None:
        super().__init__()
        self.handle, self.password, self.did = handle, password, did
        self.known = {**KNOWN, handle: did}  # handle -> DID, as resolveHandle answers
        self.rkeys = (f"3l{n:011d}" for n in itertools.count(1))
        self.records: list[dict[str, Any]] = []
        x = "/xrpc/"
        self.route("POST", x + "com.atproto.server.createSession", self.session)
        self.route("GET", x + "com.atproto.identity.resolveHandle", self.resolve)
        self.route("POST", x + "com.atproto.repo.createRecord", self.create)
        self.route("GET", x + "com.atproto.repo.listRecords", self.list)

    def session(self, req: Req) -> Reply:
        ok = (req.body.get("identifier") in (self.handle, self.did)
              and req.body.get("password") == self.password)  # fmt: skip
        require(ok, xrpc_error(401, "AuthenticationRequired", "Invalid identifier or password"))
        return Reply(body={"accessJwt": JWT, "refreshJwt": "jwt-refresh", "handle": self.handle,
                           "did": self.did, "active": True})  # fmt: skip

    def resolve(self, req: Req) -> Reply:
        did = self.known.get(req.query.get("handle", ""))
        require(did is not None, xrpc_error(400, "InvalidRequest", "Unable to resolve handle"))
        return Reply(body={"did": did})

    def create(self, req: Req) -> Reply:
        require(
            req.headers.get("authorization") == f"Bearer {JWT}",
            xrpc_error(401, "AuthenticationRequired", "Authentication Required"),
        )
        record = req.body.get("record", {})
        ok = (req.body.get("repo") == self.did and req.body.get("collection") == "app.bsky.feed.post"
              and record.get("$type") == "app.bsky.feed.post" and "createdAt" in record
              and len(record.get("text", "").encode()) <= 3000)  # fmt: skip
        require(ok, xrpc_error(400, "InvalidRequest", "Invalid app.bsky.feed.post record"))
        uri = f"at://{self.did}/app.bsky.feed.post/{next(self.rkeys)}"
        self.records.append({"uri": uri, "cid": "bafyrei" + "a" * 52, "value": record})
        return Reply(body={"uri": uri, "cid": "bafyrei" + "a" * 52})

    def list(self, req: Req) -> Reply:
        require(
            req.query.get("repo") == self.did,
            xrpc_error(400, "InvalidRequest", "Could not find repo"),
        )
        return Reply(body={"records": self.records[::-1]})

    def posts_made(self) -> int:
        """How many posts this fake holds: what really went out."""
        return len(self.records)
