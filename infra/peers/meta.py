"""Contract fake of Meta's Graph API (v21.0): Instagram content publishing and Facebook
Page posts, with the documented OAuthException bodies and usage headers, and the exchange
of a long-lived user token for a new one (``GET /oauth/access_token``, fb_exchange_token).

A contract fake used by the tests and, as a local peer, by ``socialops simulate``."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime
from typing import Any

from infra.peers import Fake, Refused, Reply, Req, Route, credential, require
from infra.peers.mentions import PAGE_SIZE, Mention, number, utc
from infra.peers.mentions import graph_time as stamp

TOKEN = "meta-token"
IG_USER = "17841400000000001"
PAGE = "100000000000001"
APP_ID, APP_SECRET = "meta-app-id", "meta-app-secret"  # to give GraphFake when it must check
V = "/v21.0"
LONG_LIVED_S = 5183944  # what Meta answers for a new long-lived user token (about 60 days)


def oauth(
    status: int, code: int, message: str, sub: int | None = None, head: dict[str, str] | None = None
) -> Reply:
    error: dict[str, Any] = {"message": message, "type": "OAuthException", "code": code,
                             "fbtrace_id": "AbCdEf"}  # fmt: skip
    if sub is not None:
        error["error_subcode"] = sub
    return Reply(status, {"error": error}, head or {})


INVALID_TOKEN = oauth(400, 190, "Invalid OAuth access token.")


def usage(page: str) -> str:
    return json.dumps({page: [{"type": "pages", "call_count": 100, "total_cputime": 30,
                               "total_time": 40, "estimated_time_to_regain_access": 5}]})  # fmt: skip


def graph_time() -> str:
    """Now, as the Graph API writes times (2026-11-30T09:00:00+0000)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


class GraphFake(Fake):
    @property
    def errors(self) -> dict[str, Reply]:  # type: ignore[override]
        return {
            "expired": oauth(400, 190, "Error validating access token: Session has expired", 463),
            "revoked": oauth(400, 190, "The user has not authorized application", 458),
            "rate_limit": oauth(400, 32, "Page request limit reached", head={
                "x-business-use-case-usage": usage(self.page)}),
            "rate_limit_bare": oauth(400, 4, "Application request limit reached", head={
                "x-app-usage": json.dumps({"call_count": 100, "total_time": 20,
                                           "total_cputime": 9})}),
            "too_many": Reply(429, {}),
            "server_error": Reply(500, {"error": {"message": "Service temporarily unavailable",
                                                  "type": "OAuthException", "code": 2,
                                                  "is_transient": True}}),
            "blocked": oauth(400, 368, "The action attempted has been deemed abusive"),
        }  # fmt: skip

    def __init__(
        self,
        polls_until_finished: int = 2,
        quota_usage: int = 0,
        *,
        token: str = TOKEN,
        ig_user: str = IG_USER,
        page: str = PAGE,
        app_id: str | None = None,  # None: any app id (and secret) is taken
        app_secret: str | None = None,
    ) -> None:
        super().__init__()
        self.token, self.ig_user, self.page = token, ig_user, page
        self.app_id, self.app_secret = app_id, app_secret
        self.tokens = {token}  # every token still valid: an exchange keeps the old one
        self.issued = itertools.count(1)
        self.ids = (str(n) for n in itertools.count(90_000_000_000))
        self.containers: dict[str, dict[str, Any]] = {}
        self.media: dict[str, dict[str, str]] = {}  # published, by id: IG media and FB posts
        self.polls, self.quota_usage = polls_until_finished, quota_usage
        self.mentions: dict[str, list[Mention]] = {"facebook": [], "instagram": []}
        self.page_size = PAGE_SIZE
        self.route("GET", V + r"/oauth/access_token", self.exchange)
        for method, path, function in (
            ("GET", r"/(\d+)/content_publishing_limit", self.limit),
            ("POST", r"/(\d+)/media", self.create),
            ("GET", r"/(\d+)/media", self.list_media),
            ("POST", r"/(\d+)/media_publish", self.publish),
            ("POST", r"/(\d+)/feed", self.feed),
            ("POST", r"/(\d+)/photos", self.photo),
            ("GET", r"/(\d+)/posts", self.list_posts),
            ("GET", r"/(\d+)/tagged", self.tagged),
            ("GET", r"/(\d+)/tags", self.tags),
            ("GET", r"/([\d_]+)", self.read),
        ):
            self.route(method, V + path, self.authed(function))

    def authed(self, function: Route) -> Route:
        def checked(req: Req) -> Reply:
            given = req.query.get("access_token") or (
                req.body.get("access_token") if isinstance(req.body, dict) else None
            )
            require(given in self.tokens, INVALID_TOKEN)
            return function(req)

        return checked

    def exchange(self, req: Req) -> Reply:
        """``GET /oauth/access_token?grant_type=fb_exchange_token&client_id=&client_secret=
        &fb_exchange_token=``: a new long-lived user token for a valid one."""
        query = req.query
        require(bool(query.get("client_id")), oauth(400, 101, "Missing client_id parameter."))
        require(
            credential(query.get("client_id"), self.app_id),
            oauth(400, 101, "Error validating application. Invalid application ID."),
        )
        require(
            credential(query.get("client_secret"), self.app_secret),
            oauth(400, 1, "Error validating client secret."),
        )
        require(
            query.get("grant_type") == "fb_exchange_token" and "fb_exchange_token" in query,
            oauth(400, 100, "Missing or invalid grant_type or fb_exchange_token parameter"),
        )
        old = query["fb_exchange_token"]
        require(old in self.tokens, INVALID_TOKEN)
        with self.lock:
            self.token = f"{old}-r{next(self.issued)}"
            self.tokens.add(self.token)
        return Reply(body={"access_token": self.token, "token_type": "bearer",
                           "expires_in": LONG_LIVED_S})  # fmt: skip

    def limit(self, req: Req) -> Reply:
        require(req.groups[0] == self.ig_user, oauth(400, 100, "Unsupported get request"))
        config = {"quota_total": 50, "quota_duration": 86400}
        return Reply(body={"data": [{"quota_usage": self.quota_usage, "config": config}]})

    def create(self, req: Req) -> Reply:
        form = req.body
        kinds = ("image_url" in form, "video_url" in form, form.get("media_type") == "CAROUSEL")
        require(sum(kinds) == 1, oauth(400, 100, "The parameter image_url is required", 2207007))
        if kinds[2]:
            for child in form["children"].split(","):
                require(child in self.containers, oauth(400, 100, "Invalid children"))
        container = next(self.ids)
        self.containers[container] = {"polls": self.polls, "caption": form.get("caption", "")}
        return Reply(body={"id": container})

    def publish(self, req: Req) -> Reply:
        if self.quota_usage >= 50:
            raise Refused(oauth(400, 9, "Application request limit reached", 2207042))
        container = self.containers.get(req.body.get("creation_id", ""))
        require(container is not None, oauth(400, 100, "Invalid creation_id"))
        assert container is not None
        require(container["polls"] <= 0, oauth(400, 9007, "Media ID is not available", 2207027))
        return Reply(body={"id": self.add(container["caption"], "https://www.instagram.com/p/X")})

    def add(self, text: str, url: str) -> str:
        media = next(self.ids)
        self.media[media] = {"id": media, "caption": text, "message": text,
                             "permalink": url + media, "permalink_url": url + media,
                             "timestamp": graph_time(), "created_time": graph_time()}  # fmt: skip
        self.quota_usage += 1
        return media

    def read(self, req: Req) -> Reply:
        item = req.groups[0]
        if item in self.containers:
            container = self.containers[item]
            container["polls"] -= 1
            status = "FINISHED" if container["polls"] < 0 else "IN_PROGRESS"
            return Reply(body={"id": item, "status_code": status})
        require(item in self.media, oauth(400, 100, "Object does not exist"))
        return Reply(body=self.media[item])

    def feed(self, req: Req) -> Reply:
        page = self.page
        require(req.groups[0] == page, oauth(400, 100, "Unsupported post request"))
        require(bool(req.body.get("message") or req.body.get("link")),
                oauth(400, 100, "Missing message or attachment"))  # fmt: skip
        post = self.add(req.body.get("message", ""), f"https://www.facebook.com/{page}/posts/")
        self.media[f"{page}_{post}"] = {**self.media.pop(post), "id": f"{page}_{post}"}
        return Reply(body={"id": f"{page}_{post}"})

    def photo(self, req: Req) -> Reply:
        require(req.groups[0] == self.page and "url" in req.body, oauth(400, 324, "Missing image"))
        url = f"https://www.facebook.com/{self.page}/posts/"
        post = self.add(req.body.get("caption", ""), url)
        return Reply(body={"id": "photo" + post, "post_id": post})

    def list_media(self, req: Req) -> Reply:
        return Reply(body={"data": list(self.media.values())})

    list_posts = list_media

    def add_mention(
        self, text: str, created_at: datetime, *, platform: str = "facebook",
        author_handle: str = "Fan", lang: str | None = None, followers: int = 10,
        author_created_at: datetime | None = None,
    ) -> str:  # fmt: skip
        """A post that tags the Page (``platform="facebook"``) or media that tags the
        Instagram account (``"instagram"``); its id. Graph gives no language or followers."""
        with self.lock:
            ident = next(self.ids)
            if platform == "facebook":
                ident = f"{number(author_handle, 15)}_{ident}"
            self.mentions[platform].append(
                Mention(
                    ident, text, utc(created_at), author_handle, lang, followers, author_created_at
                )
            )
        return ident

    def _paged(self, req: Req, items: list[Any]) -> Reply:
        """Graph cursor paging: ``limit`` (at most ``page_size``), ``after``; ``next`` only
        when there is more."""
        limit = req.query.get("limit", "25")
        require(limit.isdigit(), oauth(400, 100, "(#100) limit must be an integer"))
        size = max(1, min(int(limit), self.page_size))
        after = req.query.get("after", "")
        start = int(after[1:]) if after.startswith("a") and after[1:].isdigit() else 0
        page = items[start : start + size]
        paging: dict[str, Any] = {"cursors": {"before": f"a{start}", "after": f"a{start + size}"}}
        if start + size < len(items):
            paging["next"] = f"{self.url}{req.path}?after=a{start + size}&limit={size}"
        return Reply(body={"data": page, "paging": paging})

    def tagged(self, req: Req) -> Reply:
        """``GET /{page-id}/tagged``: posts that tag the Page, newest first; ``since``
        (unix seconds, inclusive)."""
        require(req.groups[0] == self.page, oauth(400, 100, "Unsupported get request"))
        since = req.query.get("since", "")
        with self.lock:
            hits = [m for m in self.mentions["facebook"]
                    if not since or m.created_at.timestamp() >= int(since)]  # fmt: skip
        hits.sort(key=lambda m: (m.created_at, m.id), reverse=True)
        return self._paged(req, [{"id": m.id, "message": m.text,
                                  "created_time": stamp(m.created_at),
                                  "permalink_url": f"https://www.facebook.com/{m.id}",
                                  "from": {"id": str(number(m.handle, 15)),
                                           "name": m.handle}} for m in hits])  # fmt: skip

    def tags(self, req: Req) -> Reply:
        """``GET /{ig-user-id}/tags``: media the account is tagged in, newest first."""
        require(req.groups[0] == self.ig_user, oauth(400, 100, "Unsupported get request"))
        with self.lock:
            hits = sorted(self.mentions["instagram"], key=lambda m: (m.created_at, m.id),
                          reverse=True)  # fmt: skip
        return self._paged(req, [{"id": m.id, "caption": m.text, "media_type": "IMAGE",
                                  "timestamp": stamp(m.created_at), "username": m.handle,
                                  "permalink": f"https://www.instagram.com/p/{m.id}/"}
                                 for m in hits])  # fmt: skip

    def posts_made(self) -> int:
        """How many posts this fake holds: what really went out."""
        return len(self.media)
