"""Bluesky (AT Protocol XRPC): ``com.atproto.server.createSession`` with the handle and
an app password (the account's "token"), then ``com.atproto.repo.createRecord`` of an
``app.bsky.feed.post`` with link, mention and hashtag facets. Mentions are resolved with
``com.atproto.identity.resolveHandle``. No idempotency key: ``find_existing`` lists the
account's recent posts (``com.atproto.repo.listRecords``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from functions.publish.adapters import http
from functions.publish.adapters.base import (
    PlatformError,
    PostRequest,
    Published,
    Token,
    same_text,
    unsupported_media,
)
from functions.publish.adapters.facets import facets

POST = "app.bsky.feed.post"


class BlueskyAdapter:
    platform = "bluesky"

    def __init__(self, base_url: str | None = None, *, timeout: float = http.TIMEOUT_S) -> None:
        self.base_url, self.timeout = base_url, timeout
        # createSession is rate-limited (30 per 5 minutes): keep one per account
        self.sessions: dict[tuple[str, str], tuple[str, str]] = {}

    def root(self, request: PostRequest) -> str:
        return http.base_url(self.platform, self.base_url or request.instance) + "/xrpc"

    def xrpc(self, request: PostRequest, method: str, nsid: str, **kw: Any) -> Any:
        url = f"{self.root(request)}/{nsid}"
        return http.call(self.platform, method, url, timeout=self.timeout, **kw).body

    def session(self, request: PostRequest, token: Token) -> tuple[str, str]:
        """(access JWT, DID) for the account; ``token`` holds its app password."""
        key = (request.handle.lstrip("@"), token.access_token)
        if key not in self.sessions:
            body = {"identifier": key[0], "password": key[1]}
            answer = self.xrpc(request, "POST", "com.atproto.server.createSession", json_body=body)
            self.sessions[key] = answer["accessJwt"], answer["did"]
        return self.sessions[key]

    def authed(self, request: PostRequest, token: Token, method: str, nsid: str, **kw: Any) -> Any:
        """An XRPC call with the session's JWT; a new session once if the JWT expired."""
        for attempt in (1, 2):
            jwt, did = self.session(request, token)
            if "json_body" in kw:
                kw["json_body"]["repo"] = did
            else:
                kw["query"]["repo"] = did
            try:
                return self.xrpc(request, method, nsid, bearer=jwt, **kw)
            except PlatformError as error:
                if error.code != "ExpiredToken" or attempt == 2:
                    raise
                self.sessions.pop((request.handle.lstrip("@"), token.access_token), None)
        raise AssertionError("unreachable")

    def resolver(self, request: PostRequest) -> Callable[[str], str | None]:
        def resolve(handle: str) -> str | None:
            try:
                answer = self.xrpc(
                    request, "GET", "com.atproto.identity.resolveHandle", query={"handle": handle}
                )
            except PlatformError as error:
                if error.retryable or error.auth:
                    raise
                return None
            return answer.get("did")

        return resolve

    def record(self, request: PostRequest) -> dict:
        if request.media:
            raise unsupported_media(self.platform)
        record: dict = {
            "$type": POST,
            "text": request.text,
            "createdAt": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        }
        found = facets(request.text, self.resolver(request))
        if found:
            record["facets"] = found
        return record

    def publish(self, request: PostRequest, token: Token) -> Published:
        body = {"collection": POST, "record": self.record(request)}
        answer = self.authed(
            request, token, "POST", "com.atproto.repo.createRecord", json_body=body
        )
        return Published(self.platform, answer["uri"], self.url(request, answer["uri"]))

    def url(self, request: PostRequest, uri: str) -> str:
        return (
            f"https://bsky.app/profile/{request.handle.lstrip('@')}/post/{uri.rsplit('/', 1)[-1]}"
        )

    def find_existing(self, request: PostRequest, token: Token) -> Published | None:
        query = {"collection": POST, "limit": "25"}
        answer = self.authed(request, token, "GET", "com.atproto.repo.listRecords", query=query)
        for item in answer.get("records", []):
            record = item.get("value", {})
            if same_text(record.get("text", ""), request.text):
                when = datetime.fromisoformat(record["createdAt"].replace("Z", "+00:00"))
                return Published(self.platform, item["uri"], self.url(request, item["uri"]), when)
        return None
