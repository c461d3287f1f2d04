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

A contract fake used by the tests and, as a local peer, by ``socialops simulate``."""

from __future__ import annotations

import itertools
import re
import urllib.parse
from datetime import UTC, datetime
from typing import Any, ClassVar

from infra.peers import Fake, Reply, Req, bearer, require
from infra.peers.mentions import PAGE_SIZE, Mention, utc

TOKEN = "li-token"
ORG = "urn:li:organization:5515715"
VERSION = "202609"  # LinkedIn-Version (YYYYMM): as schema/platforms.py


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
