"""Contract fake of the X API v2: POST /2/tweets, GET /2/users/me and the user's posts,
with the documented problem bodies and x-rate-limit-* headers, and the OAuth 2.0 refresh
of a user token (POST /2/oauth2/token, grant_type=refresh_token; refresh tokens rotate).

Engagement read-back: ``GET /2/tweets?ids=`` (1 to 100 ids) answers each post's
``public_metrics`` (like, retweet, reply, quote, bookmark and impression counts) and, for
``non_public_metrics``, its ``impression_count``, ``user_profile_clicks`` and, when the post
holds a link, ``url_link_clicks``: only for posts under 30 days old (by the fake's clock);
an older post asked for them is left out of ``data`` with a "Field Authorization Error"
(``not-authorized-for-field``), as X answers. A post that is gone (``delete(post_id)``)
or never was comes back in ``errors`` as a "Not Found Error" (``resource-not-found``),
with HTTP 200. ``GET /2/users/me?user.fields=public_metrics`` adds the account's
``public_metrics`` (``followers_count`` from ``followers(now)``).

The account's timeline, ``GET /2/users/:id/tweets`` (publish's find-ours, the read-back's
backfill): newest first, with ``exclude`` (``replies``, ``retweets``), ``tweet.fields``
(``created_at``, ``public_metrics`` as the lookup gives them, ``attachments``) and
``expansions=attachments.media_keys`` (``includes.media`` with each key's ``type``).
``add_post`` puts on the account a post publish did not make: a reply, a retweet, one
with media.

Media upload (docs.x.com/x-api/media), as publish's adapter uses it: ``POST
/2/media/upload/initialize`` (JSON ``media_type``, ``total_bytes``, ``media_category``:
``tweet_image`` takes JPEG, PNG, WebP, BMP or TIFF up to 5 MB, ``tweet_gif`` a GIF up to
15 MB, ``tweet_video`` MP4 or MOV up to 512 MB), ``POST /2/media/upload/{id}/append``
(multipart ``segment_index`` 0 to 999 and the ``media`` bytes, at most 5 MB; a segment may be
sent again, one past the next is refused), ``POST /2/media/upload/{id}/finalize`` (refused
unless the segments add up to ``total_bytes``), ``GET /2/media/upload?command=STATUS
&media_id=`` and ``POST /2/media/metadata`` (``metadata.alt_text.text``, 1 to 1,000
characters). An image is ready at FINALIZE (no ``processing_info``); a GIF or a video
answers the states of ``processing`` (FINALIZE the first, each STATUS the next, the last
kept; ``pending``, ``in_progress``, then ``succeeded`` or ``failed`` with X's
``InvalidMedia`` error), ``check_after_secs`` apart. ``POST /2/tweets`` takes
``media.media_ids`` (1 to 4 of this fake's uploads, each finalized and processed; a video or
a GIF alone), and "Your media IDs are invalid." otherwise. ``uploads`` keeps every upload
(its bytes as they arrived, its alt text), and each post made with media names its
``media_ids`` and its media types.

A contract fake used by the tests and, as a local peer, by ``socialops simulate``."""

from __future__ import annotations

import base64
import binascii
import itertools
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from infra.peers import Fake, Part, Refused, Reply, Req, bearer, credential, form, require
from infra.peers.mentions import PAGE_SIZE, Mention, contains, iso_ms, utc, x_terms

TOKEN = "x-user-token"
REFRESH = "x-refresh-token"
CLIENT_ID = "x-client-id"  # a client id to give XFake when it must check the one sent
USER = "2244994945"
SCOPE = "tweet.read tweet.write users.read offline.access"
ACCESS_TTL_S = 7200


def problem(status: int, title: str, detail: str, **head: str) -> Reply:
    return Reply(status, {"title": title, "detail": detail, "type": "about:blank",
                          "status": status}, head)  # fmt: skip


def oauth_error(status: int, error: str, description: str) -> Reply:
    return Reply(status, {"error": error, "error_description": description})


UNAUTHORIZED = problem(401, "Unauthorized", "Unauthorized")
INVALID = problem(400, "Invalid Request", "One or more parameters to your request was invalid.")
LOOKUP_MAX = 100  # ids a GET /2/tweets takes
PRIVATE_DAYS = 30  # non_public_metrics: posts created in the last 30 days only
LINK = re.compile(r"https?://", re.IGNORECASE)
PROBLEMS = "https://api.twitter.com/2/problems/"
INVALID_REFRESH = oauth_error(400, "invalid_request", "Value passed for the token was invalid.")
MB = 1024 * 1024
# The media upload: each media_category's types and most bytes, and the media type the
# timeline names its posts' media by (with the media key's prefix).
CATEGORIES = {
    "tweet_image": (("image/jpeg", "image/png", "image/webp", "image/bmp", "image/pjpeg",
                     "image/tiff"), 5 * MB),
    "tweet_gif": (("image/gif",), 15 * MB),
    "tweet_video": (("video/mp4", "video/quicktime"), 512 * MB),
}  # fmt: skip
KINDS = {"tweet_image": ("photo", "3"), "tweet_gif": ("animated_gif", "16"),
         "tweet_video": ("video", "7")}  # fmt: skip
SEGMENT_MAX = 5 * MB  # one APPEND's bytes
SEGMENTS = 1000  # segment_index 0 to 999
ALT_MAX = 1000
MEDIA_TTL_S = 86400
MEDIA_MAX = 4  # media ids a post takes (photos; a video or a GIF alone)


def invalid(message: str, **parameters: list[str]) -> Reply:
    """X's 400 for a request it will not take, naming the parameter and the problem."""
    return Reply(400, {"errors": [{"parameters": parameters, "message": message}],
                       "title": "Invalid Request",
                       "detail": "One or more parameters to your request was invalid.",
                       "type": PROBLEMS + "invalid-request"})  # fmt: skip


@dataclass
class Upload:
    """A media upload the fake holds: what arrived, and where X's processing of it stands."""

    id: str
    media_type: str
    category: str
    total_bytes: int
    segments: list[bytes] = field(default_factory=list)
    finalized: bool = False
    states: list[str] = field(default_factory=list)  # the processing states still to answer
    alt_text: str | None = None

    @property
    def data(self) -> bytes:
        return b"".join(self.segments)

    @property
    def kind(self) -> str:
        return KINDS[self.category][0]

    @property
    def key(self) -> str:
        return f"{KINDS[self.category][1]}_{self.id}"

    @property
    def ready(self) -> bool:
        """Finalized and processed (an image needs no processing): a post may name it."""
        return self.finalized and (not self.states or self.states[0] == "succeeded")


def x_time(now: datetime | None = None) -> str:
    """Now, as X writes times (2026-11-30T09:00:00.000Z)."""
    now = now or datetime.now(UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def basic_client_id(req: Req) -> str | None:
    """The client id of a confidential client's ``Authorization: Basic`` header."""
    given = req.headers.get("authorization", "")
    if not given.startswith("Basic "):
        return None
    try:
        return base64.b64decode(given.removeprefix("Basic ")).decode().partition(":")[0]
    except (binascii.Error, UnicodeDecodeError):
        return ""


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

    def __init__(
        self,
        *,
        token: str = TOKEN,
        user: str = USER,
        refresh_token: str = REFRESH,
        client_id: str | None = None,  # None: any client id
        processing: tuple[str, ...] = ("pending", "succeeded"),  # a GIF's or video's states
    ) -> None:
        super().__init__()
        self.token, self.user, self.client_id = token, user, client_id
        self.processing, self.check_after_secs = processing, 1
        self.uploads: dict[str, Upload] = {}
        self.media_ids = (str(n) for n in itertools.count(1_870_000_000_000_000_000))
        self.tokens = {token}  # access tokens still valid: a refresh keeps the old ones
        self.refresh_token = refresh_token  # the only valid one: each refresh rotates it
        self.issued = itertools.count(1)
        self.ids = (str(n) for n in itertools.count(1_860_000_000_000_000_000))
        self.tweets: list[dict[str, Any]] = []
        self.route("POST", r"/2/oauth2/token", self.refresh)
        self.route("POST", r"/2/tweets", self.create)
        self.route("POST", r"/2/media/upload/initialize", self.initialize)
        self.route("POST", r"/2/media/upload/(\d+)/append", self.append)
        self.route("POST", r"/2/media/upload/(\d+)/finalize", self.finalize)
        self.route("GET", r"/2/media/upload", self.upload_status)
        self.route("POST", r"/2/media/metadata", self.metadata)
        self.route("GET", r"/2/tweets", self.lookup)
        self.route("GET", r"/2/users/me", self.me)
        self.route("GET", r"/2/users/(\d+)/tweets", self.timeline)
        self.route("GET", r"/2/tweets/search/recent", self.search)
        self.mentions: list[Mention] = []
        self.page_size = PAGE_SIZE

    def refresh(self, req: Req) -> Reply:
        """``POST /2/oauth2/token`` (form: grant_type=refresh_token, refresh_token,
        client_id for a public client, or Basic auth for a confidential one)."""
        body = form(req)
        require(body is not None, oauth_error(400, "invalid_request",
                                              "Content-Type must be "
                                              "application/x-www-form-urlencoded."))  # fmt: skip
        assert body is not None
        client = basic_client_id(req) or body.get("client_id")
        require(bool(client), oauth_error(400, "invalid_request",
                                          "Missing required parameter [client_id]."))  # fmt: skip
        require(
            credential(client, self.client_id),
            oauth_error(401, "unauthorized_client", "Missing valid authorization header"),
        )
        require(body.get("grant_type") == "refresh_token",
                oauth_error(400, "invalid_request", "Value passed for the grant_type was "
                            "invalid."))  # fmt: skip
        with self.lock:
            require(body.get("refresh_token") == self.refresh_token, INVALID_REFRESH)
            n = next(self.issued)
            self.token, self.refresh_token = f"{self.token}-r{n}", f"{self.refresh_token}-r{n}"
            self.tokens.add(self.token)
            return Reply(body={"token_type": "bearer", "expires_in": ACCESS_TTL_S,
                               "access_token": self.token, "scope": SCOPE,
                               "refresh_token": self.refresh_token})  # fmt: skip

    def create(self, req: Req) -> Reply:
        bearer(req, self.tokens, UNAUTHORIZED)
        given = req.body.get("text") if isinstance(req.body, dict) else None
        text = given if isinstance(given, str) else ""
        require(req.headers.get("content-type", "").startswith("application/json"),
                problem(415, "Unsupported Media Type", "Use application/json"))  # fmt: skip
        ids = self._attached(req.body.get("media") if isinstance(req.body, dict) else None)
        require((bool(text) or bool(ids)) and len(text) <= 280,
                problem(400, "Invalid Request", "One or more parameters to your request "
                        "was invalid."))  # fmt: skip
        if any(t["text"] == text for t in self.tweets):
            return self.errors["duplicate"]
        tweet: dict[str, Any] = {"id": next(self.ids), "text": text,
                                 "created_at": x_time(self.now())}  # fmt: skip
        if ids:
            with self.lock:
                tweet.update(media_ids=ids, media=tuple(self.uploads[i].kind for i in ids))
        self.tweets.append(tweet)
        return Reply(201, {"data": {"id": tweet["id"], "text": text}})

    def _attached(self, media: Any) -> list[str]:
        """The ``media.media_ids`` of a new post: each one of this fake's uploads, finalized
        and processed; up to 4 photos, or one video or GIF alone (X's 400 otherwise)."""
        if media is None:
            return []
        ids = media.get("media_ids") if isinstance(media, dict) else None
        require(isinstance(ids, list) and 0 < len(ids) <= MEDIA_MAX and all(
            isinstance(i, str) and i.isdigit() for i in ids), invalid(
            f"media.media_ids must hold 1 to {MEDIA_MAX} media ids", **{"media.media_ids": []}))  # fmt: skip
        assert isinstance(ids, list)
        with self.lock:
            held = [self.uploads.get(i) for i in ids]
        bad = [i for i, upload in zip(ids, held, strict=True) if upload is None or not upload.ready]
        require(not bad, invalid("Your media IDs are invalid.", **{"media.media_ids": bad}))
        kinds = [upload.kind for upload in held if upload is not None]
        require(len(kinds) == 1 or set(kinds) == {"photo"},
                invalid("A video or an animated GIF must be the post's only media.",
                        **{"media.media_ids": ids}))  # fmt: skip
        return list(ids)

    # ---- media upload ---------------------------------------------------------------

    def initialize(self, req: Req) -> Reply:
        """``POST /2/media/upload/initialize``: a new upload of ``total_bytes`` of
        ``media_type`` for ``media_category`` (``tweet_image`` when not given)."""
        bearer(req, self.tokens, UNAUTHORIZED)
        require(req.headers.get("content-type", "").startswith("application/json")
                and isinstance(req.body, dict),
                problem(415, "Unsupported Media Type", "Use application/json"))  # fmt: skip
        mime, size = req.body.get("media_type"), req.body.get("total_bytes")
        kind = req.body.get("media_category", "tweet_image")
        require(kind in CATEGORIES, invalid(f"media_category must be one of "
                                            f"{', '.join(CATEGORIES)}", media_category=[str(kind)]))  # fmt: skip
        types, most = CATEGORIES[kind]
        require(mime in types, invalid(f"media_type {mime} is not allowed for {kind}",
                                       media_type=[str(mime)]))  # fmt: skip
        require(isinstance(size, int) and 0 < size <= most,
                invalid(f"total_bytes must be 1 to {most} for {kind}",
                        total_bytes=[str(size)]))  # fmt: skip
        assert isinstance(size, int)
        with self.lock:
            upload = Upload(next(self.media_ids), str(mime), kind, size)
            self.uploads[upload.id] = upload
        return Reply(body={"data": {"id": upload.id, "media_key": upload.key,
                                    "expires_after_secs": MEDIA_TTL_S}})  # fmt: skip

    def _upload(self, ident: str) -> Upload:
        with self.lock:
            upload = self.uploads.get(ident)
        require(upload is not None, invalid(f"Media id {ident} was not found.", id=[ident]))
        assert upload is not None
        return upload

    def append(self, req: Req) -> Reply:
        """``POST /2/media/upload/{id}/append``: multipart ``segment_index`` and ``media``;
        the segments in order (one sent again replaces it)."""
        bearer(req, self.tokens, UNAUTHORIZED)
        upload = self._upload(req.groups[0])
        fields = req.body if isinstance(req.body, dict) else {}
        require(req.headers.get("content-type", "").startswith("multipart/form-data"),
                invalid("The media must be sent as multipart/form-data.", media=[]))  # fmt: skip
        part, index = fields.get("media"), fields.get("segment_index")
        require(isinstance(part, Part) and bool(part.data), invalid("media is required.", media=[]))
        require(isinstance(index, str) and index.isdigit() and int(index) < SEGMENTS,
                invalid(f"segment_index must be 0 to {SEGMENTS - 1}.",
                        segment_index=[str(index)]))  # fmt: skip
        assert isinstance(part, Part) and isinstance(index, str)
        require(len(part.data) <= SEGMENT_MAX, invalid(f"A segment is at most {SEGMENT_MAX} "
                                                       "bytes.", media=[]))  # fmt: skip
        with self.lock:
            at, sent = int(index), len(upload.segments)
            require(not upload.finalized, invalid("The upload is already finalized.",
                                                  id=[upload.id]))  # fmt: skip
            require(at <= sent, invalid(f"Segments go in order: the next is segment_index "
                                        f"{sent}, not {at}.", segment_index=[index]))  # fmt: skip
            if at == sent:
                upload.segments.append(part.data)
            else:
                upload.segments[at] = part.data
        return Reply(body={"data": {"expires_at": int(time.time()) + MEDIA_TTL_S}})

    def finalize(self, req: Req) -> Reply:
        """``POST /2/media/upload/{id}/finalize``: the upload is whole; a GIF or a video
        starts processing (the first of ``processing``)."""
        bearer(req, self.tokens, UNAUTHORIZED)
        upload = self._upload(req.groups[0])
        with self.lock:
            if not upload.finalized:
                require(sum(map(len, upload.segments)) == upload.total_bytes,
                        invalid("Segments do not add up to provided total file size.",
                                id=[upload.id]))  # fmt: skip
                upload.finalized = True
                if upload.category != "tweet_image":
                    upload.states = list(self.processing) or ["succeeded"]
            return Reply(body={"data": self._media_data(upload)})

    def upload_status(self, req: Req) -> Reply:
        """``GET /2/media/upload?command=STATUS&media_id=``: where processing stands (it
        moves on one state per call)."""
        bearer(req, self.tokens, UNAUTHORIZED)
        require(req.query.get("command", "STATUS") == "STATUS",
                invalid("command must be STATUS.", command=[req.query.get("command", "")]))  # fmt: skip
        upload = self._upload(req.query.get("media_id", ""))
        with self.lock:
            require(upload.finalized, invalid("The upload is not finalized.", id=[upload.id]))
            if len(upload.states) > 1:
                upload.states.pop(0)
            return Reply(body={"data": self._media_data(upload)})

    def _media_data(self, upload: Upload) -> dict[str, Any]:
        data: dict[str, Any] = {"id": upload.id, "media_key": upload.key,
                                "size": upload.total_bytes, "expires_after_secs": MEDIA_TTL_S}  # fmt: skip
        if upload.states:
            state = upload.states[0]
            info: dict[str, Any] = {"state": state}
            if state in ("pending", "in_progress"):
                info.update(check_after_secs=self.check_after_secs,
                            progress_percent=0 if state == "pending" else 50)  # fmt: skip
            elif state == "succeeded":
                info["progress_percent"] = 100
            else:
                info["error"] = {"code": 1, "name": "InvalidMedia",
                                 "message": "Unsupported video format"}  # fmt: skip
            data["processing_info"] = info
        return data

    def metadata(self, req: Req) -> Reply:
        """``POST /2/media/metadata``: ``{"id", "metadata": {"alt_text": {"text"}}}``."""
        bearer(req, self.tokens, UNAUTHORIZED)
        require(req.headers.get("content-type", "").startswith("application/json")
                and isinstance(req.body, dict),
                problem(415, "Unsupported Media Type", "Use application/json"))  # fmt: skip
        ident, meta = req.body.get("id"), req.body.get("metadata")
        require(isinstance(ident, str) and isinstance(meta, dict),
                invalid("id and metadata are required.", id=[str(ident)]))  # fmt: skip
        assert isinstance(ident, str) and isinstance(meta, dict)
        upload = self._upload(ident)
        alt = (meta.get("alt_text") or {}).get("text")
        require(isinstance(alt, str) and 0 < len(alt) <= ALT_MAX,
                invalid(f"metadata.alt_text.text must be 1 to {ALT_MAX} characters.",
                        **{"metadata.alt_text.text": []}))  # fmt: skip
        with self.lock:
            require(upload.finalized, invalid("The upload is not finalized.", id=[ident]))
            upload.alt_text = str(alt)
        return Reply(body={"data": {"id": ident,
                                    "associated_metadata": {"alt_text": {"text": alt}}}})  # fmt: skip

    def me(self, req: Req) -> Reply:
        bearer(req, self.tokens, UNAUTHORIZED)
        user: dict[str, Any] = {"id": self.user, "name": "Brand", "username": "brand"}
        if "public_metrics" in req.query.get("user.fields", "").split(","):
            with self.lock:
                made = len(self.tweets)
            user["public_metrics"] = {"followers_count": self.followers(self.now()),
                                      "following_count": 0, "tweet_count": made,
                                      "listed_count": 0}  # fmt: skip
        return Reply(body={"data": user})

    def delete(self, post_id: str) -> None:
        """The post is gone from X (its author deleted it): lookups answer Not Found."""
        with self.lock:
            self.tweets = [t for t in self.tweets if t["id"] != post_id]

    def lookup(self, req: Req) -> Reply:
        """``GET /2/tweets?ids=`` (comma-separated, 1 to 100) with ``tweet.fields``:
        ``public_metrics``, ``non_public_metrics`` (the owner's posts under 30 days old),
        ``created_at``. Found posts in ``data``, in the order asked; the others in
        ``errors`` (HTTP 200)."""
        bearer(req, self.tokens, UNAUTHORIZED)
        ids = [i for i in req.query.get("ids", "").split(",") if i]
        require(0 < len(ids) <= LOOKUP_MAX and all(i.isdigit() for i in ids), INVALID)
        fields = set(req.query.get("tweet.fields", "").split(","))
        now = self.now()
        with self.lock:
            held = {t["id"]: dict(t) for t in self.tweets}
        data: list[dict[str, Any]] = []
        errors: list[dict[str, Any]] = []
        for ident in dict.fromkeys(ids):
            tweet = held.get(ident)
            if tweet is None:
                errors.append({"value": ident, "detail": f"Could not find tweet with ids: "
                               f"[{ident}].", "title": "Not Found Error",
                               "resource_type": "tweet", "parameter": "ids",
                               "resource_id": ident,
                               "type": PROBLEMS + "resource-not-found"})  # fmt: skip
                continue
            created = datetime.fromisoformat(tweet["created_at"].replace("Z", "+00:00"))
            if "non_public_metrics" in fields and now - created > timedelta(days=PRIVATE_DAYS):
                field = "non_public_metrics.impression_count"
                errors.append({"value": ident, "detail": f"Sorry, you are not authorized to "
                               f"access '{field}' on the Tweet with ids : [{ident}].",
                               "title": "Field Authorization Error", "resource_type": "tweet",
                               "field": field, "parameter": "ids", "resource_id": ident,
                               "section": "data",
                               "type": PROBLEMS + "not-authorized-for-field"})  # fmt: skip
                continue
            data.append(self._looked_up(tweet, created, fields))
        body: dict[str, Any] = {}
        if data:
            body["data"] = data
        if errors:
            body["errors"] = errors
        return Reply(body=body)

    def _looked_up(self, tweet: dict[str, Any], created: datetime,
                   fields: set[str]) -> dict[str, Any]:  # fmt: skip
        """One post as the lookup serves it, its counts from the ``engagement`` hook."""
        item: dict[str, Any] = {"id": tweet["id"], "text": tweet["text"],
                                "edit_history_tweet_ids": [tweet["id"]]}  # fmt: skip
        if "created_at" in fields:
            item["created_at"] = tweet["created_at"]
        if not fields & {"public_metrics", "non_public_metrics"}:
            return item
        got = self.engagement(tweet["id"], created, tweet["text"])
        if "public_metrics" in fields:
            item["public_metrics"] = {"retweet_count": got.get("shares", 0),
                                      "reply_count": got.get("comments", 0),
                                      "like_count": got.get("likes", 0),
                                      "quote_count": got.get("quotes", 0),
                                      "bookmark_count": got.get("saves", 0),
                                      "impression_count": got.get("views", 0)}  # fmt: skip
        if "non_public_metrics" in fields:
            private = {"impression_count": got.get("views", 0), "user_profile_clicks": 0}
            if LINK.search(tweet["text"]):  # X counts link clicks only on a post with a link
                private["url_link_clicks"] = got.get("clicks", 0)
            item["non_public_metrics"] = private
        return item

    def timeline(self, req: Req) -> Reply:
        """``GET /2/users/:id/tweets``: newest first, ``start_time`` (inclusive),
        ``max_results`` (5 to 100; at most ``page_size`` served), ``pagination_token``."""
        bearer(req, self.tokens, UNAUTHORIZED)
        require(req.groups[0] == self.user, problem(403, "Forbidden", "Not your timeline"))
        bad = problem(400, "Invalid Request", "One or more parameters to your request was "
                      "invalid.")  # fmt: skip
        wanted, start = req.query.get("max_results", "10"), req.query.get("start_time", "")
        require(wanted.isdigit() and 5 <= int(wanted) <= 100, bad)
        try:
            floor = datetime.fromisoformat(start.replace("Z", "+00:00")) if start else None
        except ValueError:
            raise Refused(bad) from None
        offset = req.query.get("pagination_token", "p0")
        require(offset.startswith("p") and offset[1:].isdigit(), bad)
        excluded = set(filter(None, req.query.get("exclude", "").split(",")))
        require(excluded <= {"replies", "retweets"}, bad)
        fields = set(req.query.get("tweet.fields", "").split(","))
        expansions = set(req.query.get("expansions", "").split(","))
        with self.lock:
            hits = [t for t in self.tweets[::-1] if floor is None or datetime.fromisoformat(
                t["created_at"].replace("Z", "+00:00")) >= floor]  # fmt: skip
        hits.sort(key=lambda t: str(t["created_at"]), reverse=True)  # newest first (stable)
        hits = [t for t in hits if not ("replies" in excluded and t.get("reply_to"))
                and not ("retweets" in excluded and t.get("retweet_of"))]  # fmt: skip
        at, size = int(offset[1:]), min(int(wanted), self.page_size)
        page = hits[at : at + size]
        meta: dict[str, Any] = {"result_count": len(page)}
        if at + size < len(hits):
            meta["next_token"] = f"p{at + size}"
        if not page:
            return Reply(body={"meta": meta})
        body: dict[str, Any] = {"data": [self._listed(t, fields) for t in page], "meta": meta}
        media = [{"media_key": key, "type": kind} for t in page
                 for key, kind in zip(self._media_keys(t), t.get("media", ()), strict=True)]  # fmt: skip
        if "attachments.media_keys" in expansions and media:
            body["includes"] = {"media": media}
        return Reply(body=body)

    def _listed(self, tweet: dict[str, Any], fields: set[str]) -> dict[str, Any]:
        """One post as the timeline serves it: the lookup's fields, ``attachments`` (when
        it has media) and what makes it a reply or a retweet."""
        created = datetime.fromisoformat(tweet["created_at"].replace("Z", "+00:00"))
        item = self._looked_up(tweet, created, fields & {"created_at", "public_metrics"})
        if tweet.get("retweet_of"):
            item["referenced_tweets"] = [{"type": "retweeted", "id": tweet["retweet_of"]}]
        if tweet.get("reply_to"):
            item["in_reply_to_user_id"] = tweet["reply_to"]
        if "attachments" in fields and tweet.get("media"):
            item["attachments"] = {"media_keys": self._media_keys(tweet)}
        return item

    @staticmethod
    def _media_keys(tweet: dict[str, Any]) -> list[str]:
        return [f"3_{tweet['id']}{n}" for n in range(len(tweet.get("media", ())))]

    def add_post(
        self, text: str, created_at: datetime | None = None, *, reply_to: str | None = None,
        retweet_of: str | None = None, media: tuple[str, ...] = (),
    ) -> str:  # fmt: skip
        """A post of the account's own that publish did not make (its id): a reply to the
        user ``reply_to``, a retweet of the post ``retweet_of``, or one with ``media``
        (X's types: ``photo``, ``video``, ``animated_gif``); at ``created_at`` (else now)."""
        with self.lock:
            tweet = {"id": next(self.ids), "text": text,
                     "created_at": x_time(created_at or self.now()), "reply_to": reply_to,
                     "retweet_of": retweet_of, "media": tuple(media)}  # fmt: skip
            self.tweets.append(tweet)
        return str(tweet["id"])

    def add_mention(
        self, text: str, created_at: datetime, *, author_handle: str = "fan",
        lang: str | None = "en", followers: int = 10, author_created_at: datetime | None = None,
        reply_to: str | None = None,
    ) -> str:  # fmt: skip
        """A post by someone else that search finds; its id (ids grow with each post)."""
        with self.lock:
            ident = next(self.ids)
            self.mentions.append(Mention(ident, text, utc(created_at), author_handle, lang,
                                         followers, author_created_at,
                                         {"reply_to": reply_to}))  # fmt: skip
        return ident

    def search(self, req: Req) -> Reply:
        """``GET /2/tweets/search/recent``: newest first, ``since_id``, ``max_results``
        (10 to 100; the fake serves at most ``page_size``), ``next_token``."""
        bearer(req, self.tokens, UNAUTHORIZED)
        query = req.query.get("query", "")
        wanted = req.query.get("max_results", "10")
        bad = problem(400, "Invalid Request", "One or more parameters to your request was "
                      "invalid.")  # fmt: skip
        require(bool(query) and wanted.isdigit() and 10 <= int(wanted) <= 100, bad)
        terms = x_terms(query)
        since = int(req.query.get("since_id") or 0)
        below = req.query.get("next_token", "")
        require(below == "" or (below.startswith("n") and below[1:].isdigit()), bad)
        with self.lock:
            hits = [m for m in self.mentions if contains(m.text, terms) and int(m.id) > since
                    and (not below or int(m.id) < int(below[1:]))]  # fmt: skip
        hits.sort(key=lambda m: int(m.id), reverse=True)
        size = min(int(wanted), self.page_size)
        page, rest = hits[:size], hits[size:]
        fields = set(req.query.get("tweet.fields", "").split(","))
        data = []
        for m in page:
            item: dict[str, Any] = {"id": m.id, "text": m.text, "edit_history_tweet_ids": [m.id]}
            if "created_at" in fields:
                item["created_at"] = iso_ms(m.created_at)
            if "lang" in fields and m.lang:
                item["lang"] = m.lang
            if "author_id" in fields or req.query.get("expansions") == "author_id":
                item["author_id"] = self._user_id(m.handle)
            if "in_reply_to_user_id" in fields and m.extra.get("reply_to"):
                item["in_reply_to_user_id"] = self.user
            data.append(item)
        body: dict[str, Any] = {"meta": {"result_count": len(page)}}
        if page:
            body["data"] = data
            body["meta"].update(newest_id=page[0].id, oldest_id=page[-1].id)
            if req.query.get("expansions") == "author_id":
                users = {}
                for m in page:
                    users[m.handle] = {"id": self._user_id(m.handle), "username": m.handle,
                                       "name": m.handle.title(),
                                       "created_at": iso_ms(m.author_since),
                                       "public_metrics": {"followers_count": m.followers,
                                                          "following_count": 1,
                                                          "tweet_count": 1,
                                                          "listed_count": 0}}  # fmt: skip
                body["includes"] = {"users": list(users.values())}
        if rest:
            body["meta"]["next_token"] = "n" + page[-1].id
        return Reply(body=body)

    @staticmethod
    def _user_id(handle: str) -> str:
        return str(1_000_000 + sum(ord(c) * 31**i for i, c in enumerate(handle)) % 10**9)

    def posts_made(self) -> int:
        """How many posts this fake holds: what really went out."""
        return len(self.tweets)
