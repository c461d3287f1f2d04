"""Bluesky (AT Protocol XRPC): ``com.atproto.server.createSession`` with the handle and
an app password (the account's "token"), then ``com.atproto.repo.putRecord`` of an
``app.bsky.feed.post`` with link, mention and hashtag facets. Mentions are resolved with
``com.atproto.identity.resolveHandle``.

The record key is the firing's own: a TID made from its scheduled time and a hash of its
identity (``record_key``), written with ``swapRecord: null`` ("only if there is none"). A
repeat of the same firing answers ``InvalidSwap`` and can never make a second post, and
``find_existing`` reads that one record (``com.atproto.repo.getRecord``): no search by
text. (``createRecord`` with a fixed key would do too, but the pinned PDS answers a repeat
with a 500, which reads as a transient failure.) Without a firing (``Trail`` with no
scheduled time) the key is a fresh TID and ``find_existing`` lists recent posts."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from functions.common.media import Loader
from functions.common.platform import http
from functions.common.platform.errors import PlatformError
from functions.common.platform.tokens import Token
from functions.publish.adapters.base import (
    PostRequest,
    Published,
    Trail,
    same_text,
    unsupported_media,
)
from functions.publish.adapters.facets import facets

POST = "app.bsky.feed.post"
_B32 = "234567abcdefghijklmnopqrstuvwxyz"  # base32-sortable, as TIDs are written


def tid(micros: int, clock_id: int) -> str:
    """A TID: 53 bits of microseconds since the epoch and a 10-bit clock id, 13 characters."""
    value = ((micros & (2**53 - 1)) << 10) | (clock_id & 1023)
    return "".join(_B32[(value >> (5 * i)) & 31] for i in range(12, -1, -1))


def record_key(idempotency_key: str, scheduled_for: datetime | None) -> str:
    """The firing's record key: its scheduled second, then 20 bits of microseconds and a
    10-bit clock id from a hash of its identity, so that two firings of one second (two
    posts, two locales) get different keys. A fresh TID when there is no firing."""
    if scheduled_for is None:
        return tid(time.time_ns() // 1000, int.from_bytes(hashlib.sha256(
            idempotency_key.encode()).digest()[:2], "big"))  # fmt: skip
    digest = int.from_bytes(hashlib.sha256(idempotency_key.encode()).digest()[:8], "big")
    seconds = int(scheduled_for.timestamp())
    return tid(seconds * 1_000_000 + (digest >> 10) % 1_000_000, digest)


class BlueskyAdapter:
    platform = "bluesky"

    def __init__(
        self,
        base_url: str | None = None,
        *,
        timeout: float = http.TIMEOUT_S,
        media: Loader | None = None,
    ) -> None:
        self.media = media  # (url, kind, alt) -> Blob; None: the deployment's store
        self.base_url, self.timeout = base_url, timeout
        # the clock a new post's record claims as its createdAt (publish sets its own)
        self.now: Callable[[], datetime] = lambda: datetime.now(UTC)
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
            "createdAt": self.now().astimezone(UTC).isoformat().replace("+00:00", "Z"),
        }
        found = facets(request.text, self.resolver(request))
        if found:
            record["facets"] = found
        return record

    def publish(self, request: PostRequest, token: Token, trail: Trail | None = None) -> Published:
        trail = trail or Trail()
        rkey = record_key(request.idempotency_key, trail.scheduled_for)
        record = self.record(request)
        body = {"collection": POST, "rkey": rkey, "record": record, "swapRecord": None}
        try:
            answer = self.authed(
                request, token, "POST", "com.atproto.repo.putRecord", json_body=body
            )
        except PlatformError as error:
            if error.code != "InvalidSwap":
                raise
            found = self.read(request, token, rkey)  # this firing's post is already there
            if found is None:
                raise
            return found
        # the post's time is the createdAt its record claims (Bluesky shows that one)
        when = datetime.fromisoformat(str(record["createdAt"]).replace("Z", "+00:00"))
        return Published(self.platform, answer["uri"], self.url(request, answer["uri"]), when)

    def read(self, request: PostRequest, token: Token, rkey: str) -> Published | None:
        """The post under ``rkey`` in the account's repo, None when there is none."""
        query = {"collection": POST, "rkey": rkey}
        try:
            item = self.authed(request, token, "GET", "com.atproto.repo.getRecord", query=query)
        except PlatformError as error:
            if error.code == "RecordNotFound":
                return None
            raise
        return self._published(request, item)

    def _published(self, request: PostRequest, item: dict[str, Any]) -> Published:
        created = str(item.get("value", {}).get("createdAt", ""))
        when = datetime.fromisoformat(created.replace("Z", "+00:00")) if created else None
        uri = str(item["uri"])
        return Published(self.platform, uri, self.url(request, uri), when)

    def url(self, request: PostRequest, uri: str) -> str:
        return (
            f"https://bsky.app/profile/{request.handle.lstrip('@')}/post/{uri.rsplit('/', 1)[-1]}"
        )

    def find_existing(
        self, request: PostRequest, token: Token, trail: Trail | None = None
    ) -> Published | None:
        trail = trail or Trail()
        if trail.scheduled_for is not None:
            return self.read(request, token, record_key(request.idempotency_key,
                                                        trail.scheduled_for))  # fmt: skip
        query = {"collection": POST, "limit": "25"}
        answer = self.authed(request, token, "GET", "com.atproto.repo.listRecords", query=query)
        found = [self._published(request, item) for item in answer.get("records", [])
                 if same_text(item.get("value", {}).get("text", ""), request.text)]  # fmt: skip
        return trail.first(found)
