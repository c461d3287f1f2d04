"""Contract fake of LinkedIn's Posts API (/rest/posts, versioned by the LinkedIn-Version
header, Rest.li 2.0.0): the id in x-restli-id, the documented error bodies. Also what the
engagement read-back calls (functions/ingest/engagement/linkedin.py): social action
summaries (``GET /rest/socialActions/{urn}`` and its batch, ``?ids=List(...)``), the
organization's lifetime share statistics (``GET /rest/organizationalEntityShareStatistics``
with ``shares=List(...)`` or ``ugcPosts=List(...)``) and its follower count
(``GET /rest/networkSizes/{org}?edgeType=COMPANY_FOLLOWED_BY_MEMBER``), with counts from
the ``engagement`` and ``followers`` hooks; ``delete(urn)`` deletes a post (404 from then).
The author's posts (``GET /rest/posts?q=author&author=``, a FINDER: ``sortBy=CREATED``,
``start``, ``count`` up to 100, at most ``page_size`` answered, ``paging.total``) are what
the backfill lists; each post has ``createdAt`` and ``publishedAt`` (epoch milliseconds) and
the ``content`` it was created with.

Media (``/rest/images`` and ``/rest/videos``, the Images and Videos APIs): ``initializeUpload``
for the organization as owner (any other is 403), answering upload URLs on this fake's own
address (``PUT /dms-uploads/...``, with the bearer token, as LinkedIn's are on another host
than the API): an image in one PUT, a video in parts of ``part_size`` bytes (LinkedIn's
4 MiB; a test makes it small), each PUT exactly its ``firstByte``-``lastByte`` and answered
with an ``ETag``. ``finalizeUpload`` takes the video, its ``uploadToken`` and the parts' ETags
in order (``uploadedPartIds``); the video is then PROCESSING for ``processing_polls`` reads
of ``GET /rest/videos/{urn}`` and AVAILABLE (PROCESSING_FAILED when ``fail_processing``).
A post whose ``content.media`` or ``content.multiImage`` (2 to 20 images) names an image or
a video this fake does not hold, or one not AVAILABLE, is refused (documents are not
checked: this fake has no Documents API); ``add_asset`` holds one made elsewhere.
``uploaded`` keeps each asset's bytes as they arrived.

A contract fake used by the tests and, as a local peer, by ``socialops simulate``."""

from __future__ import annotations

import hashlib
import itertools
import re
import urllib.parse
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from functions.common.media import sniff
from infra.peers import Fake, Refused, Reply, Req, bearer, require
from infra.peers.mentions import PAGE_SIZE, Mention, utc

TOKEN = "li-token"
ORG = "urn:li:organization:5515715"
VERSION = "202609"  # LinkedIn-Version (YYYYMM): as schema/platforms.py
PART_SIZE = 4 * 1024 * 1024  # the Videos API's parts (the last one shorter)
IMAGE_TYPES = {"image/jpeg", "image/png", "image/gif"}  # what the Images API processes


@dataclass
class Asset:
    """An image or a video of the Images or Videos API, from ``initializeUpload`` on."""

    urn: str
    owner: str
    ranges: list[tuple[int, int]]  # each upload URL's (firstByte, lastByte)
    token: str = ""  # the video's uploadToken ("" for one part, as documented)
    status: str = "WAITING_UPLOAD"
    parts: dict[int, bytes] = field(default_factory=dict)
    etags: dict[int, str] = field(default_factory=dict)
    polls: int = 0  # reads left while PROCESSING

    @property
    def kind(self) -> str:
        return self.urn.split(":")[2]  # "image" | "video"


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
        self.route("GET", r"/rest/socialActions", self.social_batch)
        self.route("GET", r"/rest/socialActions/([^/]+)", self.social_one)
        self.route("GET", r"/rest/organizationalEntityShareStatistics", self.share_statistics)
        self.route("GET", r"/rest/networkSizes/([^/]+)", self.network_size)
        self.deleted: set[str] = set()  # URNs of posts deleted since (``delete``)
        self.mentions: list[Mention] = []
        self.seeded: list[dict[str, Any]] = []  # a post made before (not by publish)
        self.comment_ids = itertools.count(7_200_000_000_000_000_000)
        self.page_size = PAGE_SIZE
        self.route("POST", r"/rest/images", self.images)
        self.route("GET", r"/rest/images/([^/]+)", self.read_asset)
        self.route("POST", r"/rest/videos", self.videos)
        self.route("GET", r"/rest/videos/([^/]+)", self.read_asset)
        self.route("PUT", r"/dms-uploads/([^/]+)/uploaded(?:Image|Video)/(\d+)", self.upload)
        self.assets: dict[str, Asset] = {}
        self.uploaded: dict[str, bytes] = {}  # asset URN -> its bytes, as they arrived
        self.asset_ids = itertools.count(1)
        self.part_size = PART_SIZE
        self.processing_polls = 2  # reads of a finalized video that answer PROCESSING
        self.fail_processing = False  # a finalized video ends PROCESSING_FAILED

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
        self.check_content(body.get("content"), body["author"])
        if any(p["commentary"] == body["commentary"] for p in self.posts):
            return self.errors["duplicate"]
        created = int(self.now().timestamp() * 1000)
        post = {**body, "id": next(self.ids), "createdAt": created, "publishedAt": created,
                "lastModifiedAt": created}  # fmt: skip
        self.posts.append(post)
        return Reply(201, {}, {"x-restli-id": post["id"]})

    def find(self, req: Req) -> Reply:
        self.check(req)
        require(req.headers.get("x-restli-method") == "FINDER" and req.query.get("q") == "author",
                error(400, "Finder method is required"))  # fmt: skip
        mine = [p for p in self.seeded + self.posts
                if p["author"] == req.query.get("author") and p["id"] not in self.deleted]  # fmt: skip
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

    # ---- media: the Images and Videos APIs --------------------------------------------

    def add_asset(self, urn: str, status: str = "AVAILABLE") -> None:
        """Hold the image or video ``urn`` of the organization (made elsewhere)."""
        with self.lock:
            self.assets[urn] = Asset(urn, self.org, [], status=status)

    def check_content(self, content: Any, author: str) -> None:
        """Refuse a post whose media this fake does not hold for ``author`` AVAILABLE."""
        if not isinstance(content, dict):
            return
        if "media" in content:
            urn = (content["media"] or {}).get("id")
            if not str(urn).startswith("urn:li:document:"):
                self.ready(urn, author, ("image", "video"), "/content/media/id")
        if "multiImage" in content:
            images = (content["multiImage"] or {}).get("images")
            if not (isinstance(images, list) and 2 <= len(images) <= 20):
                raise Refused(error(422, "/content/multiImage/images :: a MultiImage post "
                                    "holds 2 to 20 images"))  # fmt: skip
            for n, image in enumerate(images):
                self.ready((image or {}).get("id"), author, ("image",),
                           f"/content/multiImage/images/{n}/id")  # fmt: skip

    def ready(self, urn: Any, author: str, kinds: tuple[str, ...], where: str) -> None:
        with self.lock:
            asset = self.assets.get(urn) if isinstance(urn, str) else None
        require(asset is not None and asset.kind in kinds,
                error(422, f"{where} :: {urn} is not an {' or '.join(kinds)} URN LinkedIn "
                      "holds"))  # fmt: skip
        assert asset is not None
        require(asset.owner == author,
                error(403, f"{urn} is not owned by {author}", "ACCESS_DENIED"))  # fmt: skip
        require(asset.status == "AVAILABLE",
                error(400, f"{where} :: {urn} is {asset.status}, not AVAILABLE"))  # fmt: skip

    def initialize(self, req: Req, kind: str) -> tuple[Asset, dict[str, Any]]:
        """A new asset for ``initializeUploadRequest``; the request's fields."""
        self.check(req)
        require(req.query.get("action") == "initializeUpload",
                error(400, f"Unsupported action {req.query.get('action')}"))  # fmt: skip
        ask = req.body.get("initializeUploadRequest") if isinstance(req.body, dict) else None
        require(isinstance(ask, dict) and "owner" in ask,
                error(422, "/initializeUploadRequest/owner :: field is required but not "
                      "found"))  # fmt: skip
        assert isinstance(ask, dict)
        require(ask["owner"] == self.org,
                error(403, f"Not enough permissions to upload {kind}s for {ask['owner']}",
                      "ACCESS_DENIED"))  # fmt: skip
        prefix = {"image": "D4E10AQ", "video": "D5610AQ"}[kind]
        with self.lock:
            urn = f"urn:li:{kind}:{prefix}{next(self.asset_ids):011d}"
        return Asset(urn, ask["owner"], []), ask

    def upload_url(self, urn: str, n: int) -> str:
        kind = urn.split(":")[2]
        return (f"{self.url}/dms-uploads/{urn.rsplit(':', 1)[1]}/uploaded{kind.title()}/{n}"
                "?ca=vector_feedshare&cn=uploads")  # fmt: skip

    def expires(self) -> int:
        return int((self.now() + timedelta(days=1)).timestamp() * 1000)

    def images(self, req: Req) -> Reply:
        """``POST /rest/images?action=initializeUpload``: the image URN and its upload URL."""
        asset, _ = self.initialize(req, "image")
        with self.lock:
            self.assets[asset.urn] = asset
        return Reply(body={"value": {"uploadUrlExpiresAt": self.expires(),
                                     "uploadUrl": self.upload_url(asset.urn, 0),
                                     "image": asset.urn}})  # fmt: skip

    def videos(self, req: Req) -> Reply:
        """``POST /rest/videos?action=initializeUpload`` (the parts to PUT) or
        ``?action=finalizeUpload`` (the parts' ETags in order)."""
        if req.query.get("action") == "finalizeUpload":
            return self.finalize(req)
        asset, ask = self.initialize(req, "video")
        size = ask.get("fileSizeBytes")
        if not (isinstance(size, int) and not isinstance(size, bool) and size > 0):
            raise Refused(error(422, "/initializeUploadRequest/fileSizeBytes :: a positive "
                                "size in bytes is required"))  # fmt: skip
        asset.ranges = [(first, min(first + self.part_size, size) - 1)
                        for first in range(0, size, self.part_size)]  # fmt: skip
        asset.token = "" if len(asset.ranges) == 1 else hashlib.sha256(asset.urn.encode()).hexdigest()[:24]  # fmt: skip
        with self.lock:
            self.assets[asset.urn] = asset
        parts = [{"uploadUrl": self.upload_url(asset.urn, n), "firstByte": first,
                  "lastByte": last} for n, (first, last) in enumerate(asset.ranges)]  # fmt: skip
        return Reply(body={"value": {"uploadUrlsExpireAt": self.expires(), "video": asset.urn,
                                     "uploadInstructions": parts,
                                     "uploadToken": asset.token}})  # fmt: skip

    def upload(self, req: Req) -> Reply:
        """``PUT`` an image, or one part of a video, to the URL initializeUpload gave."""
        bearer(req, self.token, error(401, "Invalid access token", "INVALID_ACCESS_TOKEN"))
        with self.lock:
            found = [a for a in self.assets.values() if a.urn.endswith(":" + req.groups[0])]
        require(bool(found), error(404, "Upload URL not found"))
        asset, n = found[0], int(req.groups[1])
        require(asset.status == "WAITING_UPLOAD",
                error(400, f"{asset.urn} is {asset.status}: its upload is over"))  # fmt: skip
        if asset.kind == "image":
            require(n == 0 and bool(req.raw), error(400, "The image upload is empty"))
            with self.lock:
                self.uploaded[asset.urn] = req.raw
                asset.status = ("AVAILABLE" if sniff(req.raw[:16]) in IMAGE_TYPES
                                else "PROCESSING_FAILED")  # fmt: skip
            return Reply(201, raw=b"")
        require(n < len(asset.ranges), error(404, "Upload URL not found"))
        first, last = asset.ranges[n]
        require(len(req.raw) == last - first + 1,
                error(400, f"Part {n} must be bytes {first}-{last} ({last - first + 1} bytes), "
                      f"not {len(req.raw)} bytes"))  # fmt: skip
        etag = "/ambry-video/signedId/" + hashlib.sha256(asset.urn.encode() + bytes([n % 256]) + req.raw).hexdigest()[:32]  # fmt: skip
        with self.lock:
            asset.parts[n], asset.etags[n] = req.raw, etag
        return Reply(200, raw=b"", headers={"ETag": etag})

    def finalize(self, req: Req) -> Reply:
        """``POST /rest/videos?action=finalizeUpload``: every part PUT, the token and the
        parts' ETags in order; the video is then processed."""
        self.check(req)
        ask = req.body.get("finalizeUploadRequest") if isinstance(req.body, dict) else None
        require(isinstance(ask, dict), error(422, "/finalizeUploadRequest :: field is "
                                             "required but not found"))  # fmt: skip
        assert isinstance(ask, dict)
        with self.lock:
            asset = self.assets.get(str(ask.get("video")))
        require(asset is not None and asset.kind == "video",
                error(404, f"Video {ask.get('video')} not found"))  # fmt: skip
        assert asset is not None
        require(asset.status == "WAITING_UPLOAD",
                error(400, f"{asset.urn} is {asset.status}: it was finalized"))  # fmt: skip
        require(ask.get("uploadToken", None) == asset.token, error(400, "Invalid uploadToken"))
        missing = [n for n in range(len(asset.ranges)) if n not in asset.parts]
        require(not missing, error(400, f"Parts {missing} of {asset.urn} were not uploaded"))
        etags = [asset.etags[n] for n in range(len(asset.ranges))]
        require(ask.get("uploadedPartIds") == etags,
                error(400, "uploadedPartIds must be the ETags of the uploaded parts, in "
                      "order"))  # fmt: skip
        with self.lock:
            self.uploaded[asset.urn] = b"".join(asset.parts[n] for n in range(len(etags)))
            asset.status, asset.polls = "PROCESSING", self.processing_polls
            if not asset.polls:
                self.settle(asset)
        return Reply(200, {})

    def settle(self, asset: Asset) -> None:
        """The end of a video's processing (under the lock)."""
        asset.status = "PROCESSING_FAILED" if self.fail_processing else "AVAILABLE"

    def read_asset(self, req: Req) -> Reply:
        """``GET /rest/images/{urn}`` or ``GET /rest/videos/{urn}``: its ``status``."""
        self.check(req)
        urn = urllib.parse.unquote(req.groups[0])
        kind = "video" if req.path.startswith("/rest/videos/") else "image"
        with self.lock:
            asset = self.assets.get(urn)
            if asset is not None and asset.status == "PROCESSING":
                if asset.polls > 0:
                    asset.polls -= 1  # this read still answers PROCESSING
                else:
                    self.settle(asset)
            status = asset.status if asset is not None else ""
        if asset is None or asset.kind != kind:
            return error(404, f"{kind.title()} {urn} not found")
        return Reply(body={"id": urn, "owner": asset.owner, "status": status})

    # ---- engagement read-back ---------------------------------------------------------

    def delete(self, post_id: str) -> None:
        """Delete the post ``post_id`` (a URN) as its author would: LinkedIn answers 404 for
        it from then on, and the author's post list leaves it out."""
        with self.lock:
            self.deleted.add(post_id)

    def _live(self, urn: str) -> dict[str, Any] | None:
        with self.lock:
            found = [p for p in self.seeded + self.posts if p["id"] == urn]
            return found[0] if found and urn not in self.deleted else None

    def _counts(self, post: dict[str, Any]) -> dict[str, int]:
        created = post.get("createdAt")
        when = (datetime.fromtimestamp(created / 1000, UTC) if isinstance(created, int)
                else self.now())  # fmt: skip
        return self.engagement(post["id"], when, str(post.get("commentary", "")))

    def _summary(self, post: dict[str, Any]) -> dict[str, Any]:
        """A social action summary, as ``GET /rest/socialActions/{urn}`` answers it."""
        counts = self._counts(post)
        likes, comments = counts.get("likes", 0), counts.get("comments", 0)
        return {"target": post["id"],
                "likesSummary": {"selectedLikes": [], "likedByCurrentUser": False,
                                 "totalLikes": likes, "aggregatedTotalLikes": likes},
                "commentsSummary": {"selectedComments": [], "totalFirstLevelComments": comments,
                                    "aggregatedTotalComments": comments}}  # fmt: skip

    def social_one(self, req: Req) -> Reply:
        """``GET /rest/socialActions/{urn}``: the post's like and comment summary; 404 for a
        post that is not there (deleted)."""
        self.check(req)
        urn = urllib.parse.unquote(req.groups[0])
        post = self._live(urn)
        if post is None:
            return error(404, f"Not found: {urn}")
        return Reply(body=self._summary(post))

    def social_batch(self, req: Req) -> Reply:
        """``GET /rest/socialActions?ids=List(urn,...)`` (Rest.li BATCH_GET): ``results``
        keyed by URN, and each URN that is not there in ``errors`` with its 404."""
        self.check(req)
        urns = _rest_list(req.query.get("ids", ""))
        require(bool(urns), error(400, "ids must be a List of URNs"))
        results: dict[str, Any] = {}
        errors: dict[str, Any] = {}
        for urn in urns:
            post = self._live(urn)
            if post is None:
                errors[urn] = {"status": 404, "message": f"Not found: {urn}"}
            else:
                results[urn] = self._summary(post)
        statuses = {urn: 200 if urn in results else 404 for urn in urns}
        return Reply(body={"results": results, "statuses": statuses, "errors": errors})

    def share_statistics(self, req: Req) -> Reply:
        """``GET /rest/organizationalEntityShareStatistics?q=organizationalEntity`` with
        ``shares=List(...)`` or ``ugcPosts=List(...)``: lifetime organic statistics per post.
        As documented, a post with no actions or impressions is left out of ``elements``
        (its counts are all 0), and so is one that is not there."""
        self.check(req)
        require(req.query.get("q") == "organizationalEntity",
                error(400, "q=organizationalEntity is required"))  # fmt: skip
        require(req.query.get("organizationalEntity") == self.org,
                error(403, "Not an admin of the organization", "ACCESS_DENIED"))  # fmt: skip
        wanted = [("share", urn) for urn in _rest_list(req.query.get("shares", ""))]
        wanted += [("ugcPost", urn) for urn in _rest_list(req.query.get("ugcPosts", ""))]
        require(bool(wanted), error(400, "shares or ugcPosts is required"))
        elements: list[dict[str, Any]] = []
        for kind, urn in wanted:
            post = self._live(urn)
            if post is None:
                continue
            counts = self._counts(post)
            stats = {"impressionCount": counts.get("views", 0),
                     "uniqueImpressionsCount": counts.get("reach", 0),
                     "clickCount": counts.get("clicks", 0), "shareCount": counts.get("shares", 0),
                     "likeCount": counts.get("likes", 0),
                     "commentCount": counts.get("comments", 0)}  # fmt: skip
            if not any(stats.values()):
                continue
            acted = stats["clickCount"] + stats["likeCount"] + stats["commentCount"]
            acted += stats["shareCount"]
            shown = stats["impressionCount"]
            elements.append({"organizationalEntity": self.org, kind: urn,
                             "totalShareStatistics": {**stats, "engagement":
                                                      acted / shown if shown else 0.0}})  # fmt: skip
        return Reply(body={"elements": elements, "paging": {"count": 10, "start": 0, "links": []}})

    def network_size(self, req: Req) -> Reply:
        """``GET /rest/networkSizes/{org}?edgeType=COMPANY_FOLLOWED_BY_MEMBER``: the
        organization's follower count in ``firstDegreeSize``."""
        self.check(req)
        require(req.query.get("edgeType") == "COMPANY_FOLLOWED_BY_MEMBER",
                error(400, "edgeType must be COMPANY_FOLLOWED_BY_MEMBER"))  # fmt: skip
        require(urllib.parse.unquote(req.groups[0]) == self.org,
                error(403, "Not an admin of the organization", "ACCESS_DENIED"))  # fmt: skip
        return Reply(body={"firstDegreeSize": self.followers(self.now())})

    def posts_made(self) -> int:
        """How many posts this fake holds: what really went out."""
        return len(self.posts)


def _rest_list(value: str) -> list[str]:
    """The items of a Rest.li 2.0 ``List(a,b)`` query value (already URL-decoded)."""
    if not (value.startswith("List(") and value.endswith(")")):
        return []
    return [item for item in value[5:-1].split(",") if item]
