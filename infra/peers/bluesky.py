"""A small fake of a Bluesky PDS's XRPC methods (createSession, resolveHandle,
uploadBlob, createRecord, putRecord with ``swapRecord``, getRecord, listRecords,
searchPosts). The real PDS (tests/peers/bluesky) checks the same contract in
test_bluesky_peer.py and test_media_bluesky.py.

``com.atproto.repo.uploadBlob`` takes the raw bytes (auth, a Content-Type and a body
required; at most ``blob_limit`` bytes, else 413 ``PayloadTooLarge``) and answers the blob
(``{"$type": "blob", "ref": {"$link": <CID>}, "mimeType", "size"}``, its CID the PDS's:
CIDv1, raw, sha256); ``blobs`` keeps each one's type and bytes, ``uploads`` the CIDs in
the order sent. A record's ``app.bsky.embed.images`` (1 to 4, each with ``alt``) or
``app.bsky.embed.video`` is refused as the PDS refuses it: a blob never uploaded
(``BlobNotFound``), one whose type or size differ from the upload's (``InvalidMimeType``,
``InvalidSize``), an image that is not ``image/*`` or over 1,000,000 bytes, a video not
``video/mp4`` or over 100,000,000 bytes, an ``aspectRatio`` that is not two integers of at
least 1 (``InvalidRequest``).

It also answers, as the AppView does (the PDS peer runs none), what the engagement
read-back calls (functions/ingest/engagement/bluesky.py): ``app.bsky.feed.getPosts``
(``uris`` repeated, 1 to 25; the account's posts with their counts from the ``engagement``
hook, a URI it does not have left out) and ``app.bsky.actor.getProfile`` (``followersCount``
from the ``followers`` hook), and the backfill's ``app.bsky.feed.getAuthorFeed`` (``actor``
the account's DID or handle; ``filter`` ``posts_with_replies``, the default, or
``posts_no_replies``; ``limit`` 1 to 100; ``cursor``): the account's posts and reposts,
newest first, a repost with its ``reason`` (``reasonRepost``). Post views carry the
record's ``embed`` as its view (``app.bsky.embed.images#view``...). ``delete(uri)``
deletes a post as ``deleteRecord`` would; ``add_post`` and ``add_repost`` put on the
account what publish did not make (a reply, a post with images or a video, a repost).

A contract fake used by the tests and, as a local peer, by ``socialops simulate``."""

from __future__ import annotations

import base64
import hashlib
import itertools
import re
import threading
import time
import urllib.parse
from datetime import datetime
from http.server import BaseHTTPRequestHandler
from typing import Any

from infra.peers import Fake, Refused, Reply, Req, require
from infra.peers.mentions import PAGE_SIZE, Mention, iso_ms, number, utc

HANDLE, PASSWORD, DID = "brand.test", "app-pass-word-1234", "did:plc:brand000000000000000000"
KNOWN = {"alice.test": "did:plc:alice000000000000000000", HANDLE: DID}
JWT = "jwt-access"
TID = re.compile(r"[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}")
IMAGE_MAX, VIDEO_MAX = 1_000_000, 100_000_000  # app.bsky.embed.images' and .video's maxSize


def blob_cid(data: bytes) -> str:
    """The CID a PDS gives a blob: CIDv1, raw codec, sha256, in base32 ("bafkrei...")."""
    raw = bytes([0x01, 0x55, 0x12, 0x20]) + hashlib.sha256(data).digest()
    return "b" + base64.b32encode(raw).decode().lower().rstrip("=")


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
        self.route("POST", x + "com.atproto.repo.uploadBlob", self.upload)
        self.blobs: dict[str, tuple[str, bytes]] = {}  # CID -> (type, bytes) uploaded
        self.uploads: list[str] = []  # the CID of each upload, in order (repeats too)
        self.blob_limit = VIDEO_MAX  # the most bytes one upload takes (the PDS's setting)
        self.route("POST", x + "com.atproto.repo.createRecord", self.create)
        self.route("POST", x + "com.atproto.repo.putRecord", self.put)
        self.route("GET", x + "com.atproto.repo.getRecord", self.get)
        self.route("GET", x + "com.atproto.repo.listRecords", self.list)
        self.route("GET", x + "app.bsky.feed.searchPosts", self.search)
        self.route("GET", x + "app.bsky.feed.getPosts", self.get_posts)
        self.route("GET", x + "app.bsky.actor.getProfile", self.profile)
        self.route("GET", x + "app.bsky.feed.getAuthorFeed", self.author_feed)
        self.reposts: list[dict[str, Any]] = []  # the account's reposts (``add_repost``)
        self.removed: list[dict[str, Any]] = []  # records deleted since (``delete``)
        self.asked: list[tuple[str, ...]] = []  # the ``uris`` of each getPosts, in order
        self.mentions: list[Mention] = []
        self.page_size = PAGE_SIZE
        self.post_keys = (f"3m{n:011d}" for n in itertools.count(1))

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

    def _authed(self, req: Req) -> None:
        require(
            req.headers.get("authorization") == f"Bearer {JWT}",
            xrpc_error(401, "AuthenticationRequired", "Authentication Required"),
        )

    def upload(self, req: Req) -> Reply:
        """``com.atproto.repo.uploadBlob``: the body's bytes, of the request's type."""
        self._authed(req)
        mime = req.headers.get("content-type", "").split(";")[0].strip()
        require(bool(mime), xrpc_error(400, "InvalidRequest", "Request encoding (Content-Type) "
                                       "required but not provided"))  # fmt: skip
        require(bool(req.raw), xrpc_error(400, "InvalidRequest", "Request body is required"))
        require(len(req.raw) <= self.blob_limit,
                xrpc_error(413, "PayloadTooLarge", "request entity too large"))  # fmt: skip
        cid = blob_cid(req.raw)
        with self.lock:
            self.blobs[cid] = mime, req.raw
            self.uploads.append(cid)
        return Reply(body={"blob": {"$type": "blob", "ref": {"$link": cid}, "mimeType": mime,
                                    "size": len(req.raw)}})  # fmt: skip

    def _embedded(self, embed: Any) -> None:
        """Refuse an embed of images or a video as the PDS does (see the module's doc)."""

        def invalid(message: str) -> Reply:
            return xrpc_error(400, "InvalidRequest", f"Invalid app.bsky.feed.post record: {message}")  # fmt: skip

        def blob(ref: Any, where: str, accept: str, most: int) -> None:
            ok = isinstance(ref, dict) and ref.get("$type") == "blob" and isinstance(
                ref.get("ref"), dict) and isinstance(ref.get("size"), int)  # fmt: skip
            require(ok, invalid(f"{where} should be a blob ref"))
            cid = str(ref["ref"].get("$link", ""))
            with self.lock:
                held = self.blobs.get(cid)
            if held is None:
                raise Refused(xrpc_error(400, "BlobNotFound", f"Could not find blob: {cid}"))
            mime, data = held
            require(ref.get("mimeType") == mime, xrpc_error(400, "InvalidMimeType",
                    f"Referenced Mimetype does not match stored blob. Expected: {mime}, "
                    f"Got: {ref.get('mimeType')}"))  # fmt: skip
            require(ref["size"] == len(data), xrpc_error(400, "InvalidSize",
                    f"Referenced Size does not match stored blob. Expected: {len(data)}, "
                    f"Got: {ref['size']}"))  # fmt: skip
            require(mime.startswith(accept), invalid(f"{where} has the wrong type ({mime})"))
            require(len(data) <= most, invalid(f"{where} is too big ({len(data)} > {most})"))

        def aspect(value: Any, where: str) -> None:
            ok = value is None or (isinstance(value, dict) and all(
                isinstance(value.get(k), int) and value[k] >= 1 for k in ("width", "height")))  # fmt: skip
            require(ok, invalid(f"{where}/aspectRatio must be a width and a height of 1 or more"))

        if not isinstance(embed, dict):
            return
        if embed.get("$type") == "app.bsky.embed.images":
            given = embed.get("images")
            images: list[Any] = given if isinstance(given, list) else []
            require(1 <= len(images) <= 4,
                    invalid("embed/images must hold 1 to 4 images"))  # fmt: skip
            for n, image in enumerate(images):
                where = f"embed/images/{n}"
                require(isinstance(image, dict) and isinstance(image.get("alt"), str),
                        invalid(f'{where} must have the property "alt"'))  # fmt: skip
                blob(image.get("image"), f"{where}/image", "image/", IMAGE_MAX)
                aspect(image.get("aspectRatio"), where)
        elif embed.get("$type") == "app.bsky.embed.video":
            blob(embed.get("video"), "embed/video", "video/mp4", VIDEO_MAX)
            require(isinstance(embed.get("alt", ""), str), invalid("embed/alt must be a string"))
            aspect(embed.get("aspectRatio"), "embed")

    def _checked(self, req: Req) -> dict[str, Any]:
        """The post record of a write, refused as the PDS refuses it."""
        self._authed(req)
        record = req.body.get("record", {})
        ok = (req.body.get("repo") == self.did and req.body.get("collection") == "app.bsky.feed.post"
              and record.get("$type") == "app.bsky.feed.post" and "createdAt" in record
              and len(record.get("text", "").encode()) <= 3000)  # fmt: skip
        require(ok, xrpc_error(400, "InvalidRequest", "Invalid app.bsky.feed.post record"))
        self._embedded(record.get("embed"))
        return dict(record)

    def _stored(self, rkey: str, record: dict[str, Any]) -> Reply:
        uri = f"at://{self.did}/app.bsky.feed.post/{rkey}"
        self.records.append({"uri": uri, "cid": "bafyrei" + "a" * 52, "value": record})
        return Reply(body={"uri": uri, "cid": "bafyrei" + "a" * 52})

    def create(self, req: Req) -> Reply:
        return self._stored(next(self.rkeys), self._checked(req))

    def put(self, req: Req) -> Reply:
        """``putRecord``: ``swapRecord: null`` writes only where there is no record yet
        (else 400 InvalidSwap); without it a record there is replaced."""
        record, rkey = self._checked(req), str(req.body.get("rkey", ""))
        require(bool(TID.fullmatch(rkey)), xrpc_error(400, "InvalidRequest", "Invalid rkey"))
        with self.lock:
            there = [r for r in self.records if r["uri"].endswith(f"/{rkey}")]
            if there and "swapRecord" in req.body and req.body["swapRecord"] is None:
                raise Refused(xrpc_error(400, "InvalidSwap", "Record was at " + there[0]["cid"]))
            self.records = [r for r in self.records if r not in there]
            return self._stored(rkey, record)

    def get(self, req: Req) -> Reply:
        require(
            req.query.get("repo") in (self.did, self.handle),
            xrpc_error(400, "InvalidRequest", "Could not find repo"),
        )
        rkey = req.query.get("rkey", "")
        with self.lock:
            there = [r for r in self.records if r["uri"].endswith(f"/{rkey}")]
        require(bool(there), xrpc_error(400, "RecordNotFound", f"Could not locate record: {rkey}"))
        return Reply(body=there[0])

    def list(self, req: Req) -> Reply:
        require(
            req.query.get("repo") == self.did,
            xrpc_error(400, "InvalidRequest", "Could not find repo"),
        )
        return Reply(body={"records": self.records[::-1]})

    def add_mention(
        self, text: str, created_at: datetime, *, author_handle: str = "fan.test",
        lang: str | None = "en", followers: int = 10, author_created_at: datetime | None = None,
        indexed_at: datetime | None = None,
    ) -> str:  # fmt: skip
        """A post by someone else that searchPosts finds; its at:// URI."""
        did = f"did:plc:{number(author_handle, 24):024d}"
        with self.lock:
            uri = f"at://{did}/app.bsky.feed.post/{next(self.post_keys)}"
            self.mentions.append(
                Mention(
                    uri,
                    text,
                    utc(created_at),
                    author_handle,
                    lang,
                    followers,
                    author_created_at,
                    {"did": did, "indexed": utc(indexed_at or created_at)},
                )
            )
        return uri

    def search(self, req: Req) -> Reply:
        """``app.bsky.feed.searchPosts`` (public): ``q``, ``sort=latest``, ``since``
        (inclusive, by indexedAt), ``limit`` (1 to 100; at most ``page_size`` served),
        ``cursor``."""
        q = req.query.get("q", "").strip().lower()
        require(bool(q), xrpc_error(400, "InvalidRequest", "Error: Params must have the "
                                    "property \"q\""))  # fmt: skip
        limit = req.query.get("limit", "25")
        require(limit.isdigit() and 1 <= int(limit) <= 100,
                xrpc_error(400, "InvalidRequest", "limit must be between 1 and 100"))  # fmt: skip
        since = req.query.get("since", "")
        floor = datetime.fromisoformat(since.replace("Z", "+00:00")) if since else None
        start = int(req.query.get("cursor") or 0)
        with self.lock:
            hits = [m for m in self.mentions if q in m.text.lower()
                    and (floor is None or m.extra["indexed"] >= floor)]  # fmt: skip
        hits.sort(key=lambda m: (m.extra["indexed"], m.id), reverse=True)
        size = min(int(limit), self.page_size)
        page = hits[start : start + size]
        posts = [{"uri": m.id, "cid": "bafyrei" + "b" * 52,
                  "author": {"did": m.extra["did"], "handle": m.handle,
                             "displayName": m.handle.split(".")[0].title(),
                             "createdAt": iso_ms(m.author_since)},
                  "record": {"$type": "app.bsky.feed.post", "text": m.text,
                             "createdAt": iso_ms(m.created_at),
                             **({"langs": [m.lang]} if m.lang else {})},
                  "replyCount": 0, "repostCount": 0, "likeCount": 0, "quoteCount": 0,
                  "indexedAt": iso_ms(m.extra["indexed"]), "labels": []}
                 for m in page]  # fmt: skip
        body: dict[str, Any] = {"posts": posts}
        if start + size < len(hits):
            body["cursor"] = str(start + size)
        return Reply(body=body)

    # ---- engagement read-back (AppView) ------------------------------------------------

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        """The base handler, keeping each request's raw query string (``self.raw``, per
        thread): XRPC arrays repeat their parameter (``uris=a&uris=b``), which ``Req.query``
        (one value per name) cannot hold."""
        base = super()._handler()
        raw = self.raw = threading.local()

        class Handler(base):  # type: ignore[valid-type,misc]
            def handle_one(self) -> None:
                raw.query = urllib.parse.urlsplit(self.path).query
                super().handle_one()

            do_GET = do_POST = handle_one

        return Handler

    def _all(self, name: str) -> tuple[str, ...]:
        """Every value of the query parameter ``name`` of the request being answered."""
        query = getattr(self.raw, "query", "")
        pairs = urllib.parse.parse_qsl(query, keep_blank_values=True)
        return tuple(value for key, value in pairs if key == name)

    def delete(self, post_id: str) -> None:
        """Delete the post ``post_id`` (its at:// URI) as ``deleteRecord`` would: the repo
        and the AppView no longer have it."""
        with self.lock:
            gone = [r for r in self.records if r["uri"] == post_id]
            self.records = [r for r in self.records if r["uri"] != post_id]
            self.removed.extend(gone)

    def get_posts(self, req: Req) -> Reply:
        """``app.bsky.feed.getPosts`` (AppView, public): ``uris`` (1 to 25 at:// URIs) ->
        ``posts``, the post views of those it has, in the order asked; counts from the
        ``engagement`` hook (0 where it says nothing). No views: Bluesky counts none."""
        uris = self._all("uris")
        with self.lock:
            self.asked.append(uris)
        require(1 <= len(uris) <= 25,
                xrpc_error(400, "InvalidRequest", "uris must hold 1 to 25 items"))  # fmt: skip
        require(all(u.startswith("at://") for u in uris),
                xrpc_error(400, "InvalidRequest", "uris must be at-uris"))  # fmt: skip
        with self.lock:
            held = {r["uri"]: r for r in self.records}
        posts = [self._view(held[uri]) for uri in dict.fromkeys(uris) if uri in held]
        return Reply(body={"posts": posts})

    def _view(self, record: dict[str, Any]) -> dict[str, Any]:
        """The AppView's post view of one of the account's records: its counts from the
        ``engagement`` hook (0 where it says nothing; no views: Bluesky counts none), its
        embed as the embed's view."""
        value = record["value"]
        when = _when(value.get("createdAt")) or self.now()
        got = self.engagement(record["uri"], when, str(value.get("text", "")))
        view = {"uri": record["uri"], "cid": record["cid"],
                "author": {"did": self.did, "handle": self.handle,
                           "displayName": self.handle.split(".")[0].title()},
                "record": value, "replyCount": got.get("comments", 0),
                "repostCount": got.get("shares", 0), "likeCount": got.get("likes", 0),
                "quoteCount": got.get("quotes", 0), "bookmarkCount": got.get("saves", 0),
                "indexedAt": iso_ms(when), "labels": []}  # fmt: skip
        if isinstance(value.get("embed"), dict):
            view["embed"] = _embed_view(value["embed"])
        return view

    def add_post(
        self, text: str, created_at: datetime | None = None, *, reply_to: str | None = None,
        embed: dict[str, Any] | None = None,
    ) -> str:  # fmt: skip
        """A post of the account's own that publish did not make (its at:// URI): a reply
        to the post ``reply_to``, one with ``embed`` (the record's, e.g. ``{"$type":
        "app.bsky.embed.images", "images": [...]}``); at ``created_at`` (else now)."""
        record: dict[str, Any] = {"$type": "app.bsky.feed.post", "text": text,
                                  "createdAt": iso_ms(utc(created_at or self.now()))}  # fmt: skip
        if reply_to:
            ref = {"uri": reply_to, "cid": "bafyrei" + "c" * 52}
            record["reply"] = {"root": ref, "parent": ref}
        if embed is not None:
            record["embed"] = embed
        with self.lock:
            return str(self._stored(next(self.rkeys), record).body["uri"])

    def add_repost(self, subject: str, created_at: datetime | None = None) -> None:
        """The account reposts someone else's post ``subject`` (an at:// URI)."""
        with self.lock:
            self.reposts.append({"subject": subject, "at": utc(created_at or self.now())})

    def author_feed(self, req: Req) -> Reply:
        """``app.bsky.feed.getAuthorFeed`` (AppView, public): the account's posts and
        reposts, newest first, ``filter``, ``limit``, ``cursor`` (an offset here)."""
        actor, wanted = req.query.get("actor", ""), req.query.get("filter", "posts_with_replies")
        require(actor in (self.did, self.handle),
                xrpc_error(400, "InvalidRequest", "Profile not found"))  # fmt: skip
        require(wanted in ("posts_with_replies", "posts_no_replies"),
                xrpc_error(400, "InvalidRequest", f"this fake serves no filter {wanted!r}"))  # fmt: skip
        limit, start = req.query.get("limit", "50"), req.query.get("cursor", "0")
        require(limit.isdigit() and 1 <= int(limit) <= 100,
                xrpc_error(400, "InvalidRequest", "limit must be between 1 and 100"))  # fmt: skip
        require(start.isdigit(), xrpc_error(400, "InvalidRequest", "malformed cursor"))
        with self.lock:
            records, reposts = list(self.records), list(self.reposts)
        items: list[tuple[datetime, dict[str, Any]]] = [
            (_when(r["value"].get("createdAt")) or self.now(), {"post": self._view(r)})
            for r in records if not (wanted == "posts_no_replies" and r["value"].get("reply"))]  # fmt: skip
        for repost in reposts:
            author = f"did:plc:{number(repost['subject'], 24):024d}"
            view = {"uri": repost["subject"], "cid": "bafyrei" + "d" * 52,
                    "author": {"did": author, "handle": "someone.test"},
                    "record": {"$type": "app.bsky.feed.post", "text": "someone else's post",
                               "createdAt": iso_ms(repost["at"])},
                    "replyCount": 0, "repostCount": 1, "likeCount": 0, "quoteCount": 0,
                    "indexedAt": iso_ms(repost["at"]), "labels": []}  # fmt: skip
            reason = {"$type": "app.bsky.feed.defs#reasonRepost",
                      "by": {"did": self.did, "handle": self.handle},
                      "indexedAt": iso_ms(repost["at"])}  # fmt: skip
            items.append((repost["at"], {"post": view, "reason": reason}))
        items.sort(key=lambda pair: pair[0], reverse=True)
        at, size = int(start), min(int(limit), self.page_size)
        body: dict[str, Any] = {"feed": [item for _, item in items[at : at + size]]}
        if at + size < len(items):
            body["cursor"] = str(at + size)
        return Reply(body=body)

    def profile(self, req: Req) -> Reply:
        """``app.bsky.actor.getProfile?actor=<did or handle>`` (AppView, public): the
        account's detailed profile, ``followersCount`` included."""
        actor = req.query.get("actor", "")
        require(actor in (self.did, self.handle),
                xrpc_error(400, "InvalidRequest", "Profile not found"))  # fmt: skip
        with self.lock:
            posts = len(self.records)
        return Reply(body={"did": self.did, "handle": self.handle,
                           "displayName": self.handle.split(".")[0].title(),
                           "followersCount": self.followers(self.now()), "followsCount": 0,
                           "postsCount": posts, "indexedAt": iso_ms(self.now()),
                           "labels": []})  # fmt: skip

    def posts_made(self) -> int:
        """How many posts this fake holds: what really went out (deleted ones too)."""
        return len(self.records) + len(self.removed)


def _embed_view(embed: dict[str, Any]) -> dict[str, Any]:
    """A record's embed as the AppView serves it (``<$type>#view``, images with their
    CDN links, the media of a quote with media likewise)."""
    kind = str(embed.get("$type", ""))
    view: dict[str, Any] = {"$type": f"{kind}#view"}
    if kind == "app.bsky.embed.images":
        view["images"] = [{"thumb": f"https://cdn.test/img/{n}@jpeg", "fullsize":
                           f"https://cdn.test/img/{n}@jpeg", "alt": str(image.get("alt", ""))}
                          for n, image in enumerate(embed.get("images", []))]  # fmt: skip
    elif kind == "app.bsky.embed.video":
        view.update(cid="bafyrei" + "v" * 52, playlist="https://video.test/playlist.m3u8")
    elif kind == "app.bsky.embed.external":
        view["external"] = dict(embed.get("external", {}))
    elif kind == "app.bsky.embed.record":
        view["record"] = {"$type": "app.bsky.embed.record#viewRecord",
                          **dict(embed.get("record", {}))}  # fmt: skip
    elif kind == "app.bsky.embed.recordWithMedia":
        view["record"] = _embed_view({"$type": "app.bsky.embed.record",
                                      "record": dict(embed.get("record", {}))})  # fmt: skip
        view["media"] = _embed_view(dict(embed.get("media", {})))
    return view


def _when(created: Any) -> datetime | None:
    """A record's ``createdAt`` as a UTC time (None when there is none)."""
    return utc(datetime.fromisoformat(str(created).replace("Z", "+00:00"))) if created else None
