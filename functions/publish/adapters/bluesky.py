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
scheduled time) the key is a fresh TID and ``find_existing`` lists recent posts.

Media: each file is read and checked first (``read_media``: nothing is uploaded when one
is refused), then sent to ``com.atproto.repo.uploadBlob`` (its bytes, its Content-Type),
whose blob the record embeds: ``app.bsky.embed.images`` (up to 4, each with its alt text
and, when its header tells its size, an ``aspectRatio``) or ``app.bsky.embed.video`` (one
video alone, its alt text and aspect ratio likewise). The upload comes before the record:
a repeat uploads again (the same bytes make the same blob; one no record references is
dropped by the PDS) but its putRecord still answers ``InvalidSwap``, so it never posts
twice. A video is uploaded as any blob is (the documented "simple method"), not through
the video service (``app.bsky.video.uploadVideo`` on video.bsky.app with a service token):
Bluesky starts processing it when the post appears in the firehose, so the post shows
without its video for some seconds."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from functions.common import media
from functions.common.media import Blob, Loader
from functions.common.platform import http
from functions.common.platform.errors import PlatformError
from functions.common.platform.tokens import Token
from functions.publish.adapters.base import (
    PostRequest,
    Published,
    Trail,
    read_media,
    same_text,
)
from functions.publish.adapters.facets import facets

POST = "app.bsky.feed.post"
IMAGES, VIDEO = "app.bsky.embed.images", "app.bsky.embed.video"
MAX_IMAGES = 4  # app.bsky.embed.images' maxLength
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
        """An XRPC call on the account's repo (``repo`` set to its DID), with the session."""

        def call(jwt: str, did: str) -> Any:
            if "json_body" in kw:
                kw["json_body"]["repo"] = did
            else:
                kw["query"]["repo"] = did
            return self.xrpc(request, method, nsid, bearer=jwt, **kw)

        return self.signed_in(request, token, call)

    def signed_in(self, request: PostRequest, token: Token, call: Callable[[str, str], Any]) -> Any:
        """``call(access JWT, DID)``; a new session once if the JWT expired."""
        for attempt in (1, 2):
            jwt, did = self.session(request, token)
            try:
                return call(jwt, did)
            except PlatformError as error:
                if error.code != "ExpiredToken" or attempt == 2:
                    raise
                self.sessions.pop((request.handle.lstrip("@"), token.access_token), None)
        raise AssertionError("unreachable")

    def upload(self, request: PostRequest, token: Token, item: Blob) -> dict[str, Any]:
        """``com.atproto.repo.uploadBlob``: the file's bytes; the blob a record embeds."""
        url = f"{self.root(request)}/com.atproto.repo.uploadBlob"

        def call(jwt: str, did: str) -> Any:
            return http.send(self.platform, "POST", url, item.data, item.mime, bearer=jwt,
                             timeout=self.timeout).body  # fmt: skip

        answer = self.signed_in(request, token, call)
        blob = answer.get("blob") if isinstance(answer, dict) else None
        if not isinstance(blob, dict) or "ref" not in blob:
            # a 200 without a blob (cut off by a proxy): uploading again is harmless
            raise PlatformError(self.platform, 200, "malformed", "the answer was not a blob",
                                retryable=True)  # fmt: skip
        return blob

    def embed(self, request: PostRequest, token: Token, items: list[Blob]) -> dict[str, Any]:
        """The record's embed of ``items``, each uploaded: images, or one video."""
        if any(item.kind == "video" for item in items) and len(items) > 1:
            raise media.refused(self.platform, media.MediaError(
                "Bluesky takes one video alone in a post, with no other media"))  # fmt: skip
        if len(items) > MAX_IMAGES:
            raise media.refused(self.platform, media.MediaError(
                f"Bluesky takes up to {MAX_IMAGES} images in a post, not {len(items)}"))  # fmt: skip
        blobs = [self.upload(request, token, item) for item in items]
        shapes = [_aspect(item) for item in items]
        if items[0].kind == "video":
            video: dict[str, Any] = {"$type": VIDEO, "video": blobs[0]}
            if items[0].alt:
                video["alt"] = items[0].alt
            if shapes[0]:
                video["aspectRatio"] = shapes[0]
            return video
        images = [{"alt": item.alt, "image": blob, **({"aspectRatio": shape} if shape else {})}
                  for item, blob, shape in zip(items, blobs, shapes, strict=True)]  # fmt: skip
        return {"$type": IMAGES, "images": images}

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
        items = read_media(self.platform, request, self.media)  # all of them, before any upload
        record = self.record(request)
        if items:
            record["embed"] = self.embed(request, token, items)
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


def _aspect(item: Blob) -> dict[str, int] | None:
    """``app.bsky.embed.defs#aspectRatio`` of a file whose header tells its size."""
    size = media.dimensions(item)
    return None if size is None else {"width": size[0], "height": size[1]}
