"""Contract fake of Meta's Graph API (v21.0): Instagram content publishing and Facebook
Page posts, with the documented OAuthException bodies and usage headers, and the exchange
of a long-lived user token for a new one (``GET /oauth/access_token``, fb_exchange_token).

Listening: the posts that tag the Page (``/{page-id}/tagged``), the media that tag the
Instagram account (``/{ig-user-id}/tags``), and the caption and comment @mentions that an
Instagram ``mentions`` webhook names by id, read on the IG User node with field expansion:
``GET /{ig-user-id}?fields=mentioned_media.media_id(<id>){<IG Media fields>}`` and
``mentioned_comment.comment_id(<id>){<IG Comment fields>}`` (answered as
``{"mentioned_media": {...}, "id": "<ig-user-id>"}``). ``fields`` is parsed as Graph does
(names, ``.modifier(value)``, nested ``{...}``): a syntax error answers code 2500, a field
the node does not have code 100, an id that is not (or no longer) there code 100 subcode 33.

Engagement read-back (functions/ingest/engagement/facebook.py and instagram.py), on the
posts and media this fake published, with counts from the ``engagement`` hook (our metric
names; 0 for a metric Graph gives that the hook did not set) and followers from the
``followers`` hook:

- ``GET /?ids=a,b&fields=...``: the multi-id lookup, at most 50 ids (code 100 beyond),
  answered ``{"a": {...}, "b": {...}}``. A Page post (``Post``) has ``reactions`` and
  ``comments`` (edges answered ``{"data": [], "summary": {"total_count": n}}`` with
  ``.summary(total_count)``; the fake lists no single reaction or comment) and ``shares``
  (``{"count": n}``, absent when nobody shared, as Graph omits it); an IG Media has
  ``like_count``, ``comments_count``, ``media_type`` and ``media_product_type``. An id the
  fake published and then ``delete``d fails the whole request with code 100 subcode 33; an
  id it never had, code 803 ("Some of the aliases you requested do not exist").
- ``GET /{media-id}/insights?metric=views,reach,saved,shares``: lifetime values; a metric
  the media's product type lacks (``saved`` on a story, ``impressions`` since 2025) is code
  100; a story with fewer than 5 accounts reached answers code 10 ("Not enough viewers").
- ``GET /{post-id}/insights?metric=post_media_view``: the Page post's views (the metric
  that replaced ``post_impressions``); other metric names are refused as invalid.
- Insights are ``{"data": []}`` until ``insights_lag`` has passed since the post went out
  (Meta's insights lag up to 48 hours; none by default).
- ``GET /{page-id}?fields=followers_count`` and ``GET /{ig-user-id}?fields=
  followers_count``.
- The listings (the backfill's ``recent``, and publish's search for what an earlier
  delivery posted): ``GET /{page-id}/published_posts`` and ``/{page-id}/posts`` (the Page's
  posts) and ``GET /{ig-user-id}/media`` (its media; stories are not listed), newest first,
  ``since`` (unix seconds), cursor paging (``limit``, at most ``page_size``; ``after``;
  ``paging.next`` while there is more). Each item is the node with the ``fields`` asked
  for, as the multi-id lookup answers it; a Page post also has ``attachments`` (its photo or
  link: ``{"data": [{"media_type": "photo"}]}``, left out for text alone) and the
  ``insights`` edge expanded as a field (``insights.metric(post_media_view)
  .period(lifetime)``, left out while the insights lag).

Page photos and videos as publish uploads them (``photos`` and ``videos`` keep each upload:
its bytes as they arrived, its caption or description, its Page post):

- ``POST /{page-id}/photos``: a photo by ``url``, or uploaded as the multipart file
  ``source`` (an image, at most 10 MB), with its ``caption``; answers the photo's ``id``
  and its Page post's ``post_id``.
- ``POST /{page-id}/videos``, the resumable upload (developers.facebook.com/docs/graph-api/
  video-uploads): ``upload_phase=start`` with ``file_size`` answers ``upload_session_id``,
  ``video_id`` and the first chunk's ``start_offset`` and ``end_offset`` (chunks of
  ``video_chunk`` bytes); ``transfer`` takes the multipart ``video_file_chunk`` of exactly
  those bytes at exactly that ``start_offset`` (code 100 otherwise) and answers the next
  offsets (equal when all has arrived); ``finish`` (refused until every byte has arrived)
  takes the ``description`` and publishes the video once processed. Each ``GET
  /{video-id}`` after that answers the next of ``video_states`` in ``status.video_status``
  (``processing``, then ``ready`` or ``error``; the last kept); at ``ready`` the Page post
  is made (a ``video`` attachment) and the video has its ``post_id``.

A contract fake used by the tests and, as a local peer, by ``socialops simulate``."""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from infra.peers import Fake, Part, Refused, Reply, Req, Route, credential, require
from infra.peers.mentions import PAGE_SIZE, Mention, number, utc
from infra.peers.mentions import graph_time as stamp

TOKEN = "meta-token"
IG_USER = "17841400000000001"
PAGE = "100000000000001"
APP_ID, APP_SECRET = "meta-app-id", "meta-app-secret"  # to give GraphFake when it must check
V = "/v21.0"
LONG_LIVED_S = 5183944  # what Meta answers for a new long-lived user token (about 60 days)
PHOTO_MAX = 10 * 1024 * 1024  # a Page photo's bytes
VIDEO_MAX = 10 * 1024**3  # a resumable video upload's bytes (10 GB)


def oauth(
    status: int, code: int, message: str, sub: int | None = None, head: dict[str, str] | None = None,
    kind: str = "OAuthException",
) -> Reply:  # fmt: skip
    error: dict[str, Any] = {"message": message, "type": kind, "code": code,
                             "fbtrace_id": "AbCdEf"}  # fmt: skip
    if sub is not None:
        error["error_subcode"] = sub
    return Reply(status, {"error": error}, head or {})


INVALID_TOKEN = oauth(400, 190, "Invalid OAuth access token.")
MAX_IDS = 50  # ids a multi-id lookup (GET /?ids=) takes


def no_object(ident: str, kind: str = "IGApiException") -> Reply:
    """What Graph answers for an id that does not exist (or no longer: a deleted comment,
    post or media)."""
    return oauth(400, 100, f"Unsupported get request. Object with ID '{ident}' does not exist, "
                 "cannot be loaded due to missing permissions, or does not support this "
                 "operation", 33, kind=kind)  # fmt: skip


# ---- the ``fields`` parameter: a,b.modifier(value){c,d{e}} -------------------------------

NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass
class Field:
    name: str
    params: dict[str, str]  # .modifier(value)
    sub: list[Field] | None  # {...}; None when not expanded


class FieldsSyntax(ValueError):
    def __init__(self, text: str, at: int, expected: str) -> None:
        super().__init__(f'Syntax error "Expected {expected}." at character {at}: {text}')


def graph_fields(text: str) -> list[Field]:
    """Parse a Graph API ``fields`` value; ``FieldsSyntax`` where it is not one."""
    fields, at = _fields(text, 0)
    if at != len(text):
        raise FieldsSyntax(text, at, "end of string")
    return fields


def _fields(text: str, at: int) -> tuple[list[Field], int]:
    out = []
    while True:
        field, at = _field(text, at)
        out.append(field)
        if at < len(text) and text[at] == ",":
            at += 1
            continue
        return out, at


def _field(text: str, at: int) -> tuple[Field, int]:
    found = NAME.match(text, at)
    if not found:
        raise FieldsSyntax(text, at, "a field name")
    name, at, params = found.group(), found.end(), {}
    while at < len(text) and text[at] == ".":
        modifier = NAME.match(text, at + 1)
        if not modifier or text[modifier.end() : modifier.end() + 1] != "(":
            raise FieldsSyntax(text, at + 1, "a modifier and its value: .name(value)")
        close = text.find(")", modifier.end())
        if close < 0:
            raise FieldsSyntax(text, len(text), '")"')
        params[modifier.group()] = text[modifier.end() + 1 : close]
        at = close + 1
    sub = None
    if at < len(text) and text[at] == "{":
        sub, at = _fields(text, at + 1)
        if text[at : at + 1] != "}":
            raise FieldsSyntax(text, at, '"}"')
        at += 1
    return Field(name, params, sub), at


# A node of the graph: its type's name, its fields (a value, or a function of the requested
# field giving a node: an edge) and the fields answered when none are asked for.
@dataclass
class Node:
    kind: str
    values: Mapping[str, Any]
    default: Sequence[str] = ("id",)


def project(node: Node, fields: list[Field] | None) -> dict[str, Any]:
    """The requested fields of ``node`` as Graph answers them (absent values left out)."""
    out: dict[str, Any] = {}
    for field in fields if fields is not None else [Field(n, {}, None) for n in node.default]:
        if field.name not in node.values:
            raise Refused(oauth(400, 100, f"(#100) Tried accessing nonexisting field "
                                          f"({field.name}) on node type ({node.kind})"))  # fmt: skip
        value = node.values[field.name]
        edge = callable(value)  # a function of the field: an edge, answering its own fields
        if edge:
            value = value(field)
        if value is None:
            continue  # Graph leaves out what a node does not have (an empty edge too)
        if isinstance(value, Node):
            value = project(value, field.sub)
        elif field.sub is not None and not edge:
            raise Refused(oauth(400, 100, f"(#100) Field {field.name} on node type "
                                          f"({node.kind}) has no fields to expand"))  # fmt: skip
        out[field.name] = value
    return out


def usage(page: str) -> str:
    return json.dumps({page: [{"type": "pages", "call_count": 100, "total_cputime": 30,
                               "total_time": 40, "estimated_time_to_regain_access": 5}]})  # fmt: skip


def graph_time(now: datetime | None = None) -> str:
    """Now, as the Graph API writes times (2026-11-30T09:00:00+0000)."""
    return (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%S+0000")


@dataclass
class Made:
    """A post or media the fake published: what the read-back endpoints answer about."""

    platform: str  # instagram | facebook
    when: datetime
    text: str
    media_type: str = "IMAGE"  # IG: IMAGE, VIDEO, CAROUSEL_ALBUM
    product: str = "FEED"  # IG media_product_type: FEED, REELS, STORY
    attachment: str | None = None  # a Page post's attachment media_type: photo, link; None: text


# IG Media insights (developers.facebook.com/docs/instagram-platform/reference/instagram-
# media/insights): Graph's metric -> our name, by media product type; total_interactions is
# likes, comments, saves and shares together.
IG_INSIGHTS = {"views": "views", "reach": "reach", "saved": "saves", "shares": "shares",
               "likes": "likes", "comments": "comments"}  # fmt: skip
IG_BY_PRODUCT = {
    "FEED": ("views", "reach", "saved", "shares", "likes", "comments", "total_interactions"),
    "REELS": ("views", "reach", "saved", "shares", "likes", "comments", "total_interactions"),
    "STORY": ("views", "reach", "shares", "replies", "navigation", "total_interactions"),
}
FB_INSIGHTS = {"post_media_view": "views"}  # Page post views (post_impressions is gone)
TITLES = {"views": "Views", "reach": "Accounts reached", "saved": "Saved", "shares": "Shares",
          "likes": "Likes", "comments": "Comments", "replies": "Replies",
          "navigation": "Navigation", "total_interactions": "Interactions",
          "post_media_view": "Lifetime Post Media Views"}  # fmt: skip


def insight(ident: str, name: str, value: int) -> dict[str, Any]:
    """One metric as the insights edges answer it (lifetime)."""
    return {"name": name, "period": "lifetime", "values": [{"value": value}],
            "title": TITLES.get(name, name), "description": f"{TITLES.get(name, name)}.",
            "id": f"{ident}/insights/{name}/lifetime"}  # fmt: skip


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
        ig_handle: str = "brand",  # the Instagram account's username (captions lose its @)
        video_states: tuple[str, ...] = ("processing", "ready"),  # a video's, read by read
    ) -> None:
        super().__init__()
        self.video_states, self.video_chunk = video_states, 1024 * 1024
        self.photos: dict[str, dict[str, Any]] = {}  # uploaded, by photo id
        self.videos: dict[str, dict[str, Any]] = {}  # uploaded, by video id
        self.token, self.ig_user, self.page, self.ig_handle = token, ig_user, page, ig_handle
        self.app_id, self.app_secret = app_id, app_secret
        self.tokens = {token}  # every token still valid: an exchange keeps the old one
        self.issued = itertools.count(1)
        self.ids = (str(n) for n in itertools.count(90_000_000_000))
        self.containers: dict[str, dict[str, Any]] = {}
        self.media: dict[str, dict[str, str]] = {}  # published, by id: IG media and FB posts
        self.polls, self.quota_usage = polls_until_finished, quota_usage
        self.mentions: dict[str, list[Mention]] = {"facebook": [], "instagram": []}
        self.page_size = PAGE_SIZE
        self.made: dict[str, Made] = {}  # what read-back reads, by post or media id
        self.gone: set[str] = set()  # published, then deleted
        self.insights_lag = timedelta(0)  # insights are empty until this long after posting
        self.route("GET", V + r"/oauth/access_token", self.exchange)
        for method, path, function in (
            ("GET", r"/", self.by_ids),
            ("GET", r"/([\d_]+)/insights", self.insights),
            ("GET", r"/(\d+)/content_publishing_limit", self.limit),
            ("POST", r"/(\d+)/media", self.create),
            ("GET", r"/(\d+)/media", self.list_media),
            ("POST", r"/(\d+)/media_publish", self.publish),
            ("POST", r"/(\d+)/feed", self.feed),
            ("POST", r"/(\d+)/photos", self.photo),
            ("POST", r"/(\d+)/videos", self.video_upload),
            ("GET", r"/(\d+)/posts", self.list_posts),
            ("GET", r"/(\d+)/published_posts", self.list_posts),
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
        kind = form.get("media_type", "")
        media_type = "CAROUSEL_ALBUM" if kinds[2] else "VIDEO" if kinds[1] else "IMAGE"
        product = {"REELS": "REELS", "STORIES": "STORY"}.get(kind, "FEED")
        self.containers[container] = {"polls": self.polls, "caption": form.get("caption", ""),
                                      "media_type": media_type, "product": product}  # fmt: skip
        return Reply(body={"id": container})

    def publish(self, req: Req) -> Reply:
        if self.quota_usage >= 50:
            raise Refused(oauth(400, 9, "Application request limit reached", 2207042))
        container = self.containers.get(req.body.get("creation_id", ""))
        require(container is not None, oauth(400, 100, "Invalid creation_id"))
        assert container is not None
        require(container["polls"] <= 0, oauth(400, 9007, "Media ID is not available", 2207027))
        require("published" not in container,
                oauth(400, 9007, "The media has already been published", 2207008))  # fmt: skip
        container["published"] = self.add(container["caption"], "https://www.instagram.com/p/X",
                                          made=Made("instagram", self.now(), container["caption"],
                                                    container.get("media_type", "IMAGE"),
                                                    container.get("product", "FEED")))  # fmt: skip
        return Reply(body={"id": container["published"]})

    def add(self, text: str, url: str, made: Made | None = None, prefix: str = "") -> str:
        """Publish: its id (``prefix`` and a new number; the permalink ends in the number)."""
        number = next(self.ids)
        media, made = prefix + number, made or Made("facebook", self.now(), text)
        now = graph_time(made.when)
        self.media[media] = {"id": media, "caption": text, "message": text,
                             "permalink": url + number, "permalink_url": url + number,
                             "timestamp": now, "created_time": now}  # fmt: skip
        self.made[media] = made
        self.quota_usage += 1
        return media

    def delete(self, post_id: str) -> None:
        """The brand deleted the post or media: Graph answers code 100 subcode 33 for it."""
        with self.lock:
            if post_id not in self.made:
                raise KeyError(f"the fake never published {post_id}")
            del self.made[post_id]
            self.media.pop(post_id, None)
            self.gone.add(post_id)

    def read(self, req: Req) -> Reply:
        item = req.groups[0]
        if item == self.ig_user:
            return self.ig_user_node(req)
        if item in self.gone:
            raise Refused(no_object(item, self._exception(item)))
        if item == self.page:
            return Reply(body={**project(self._page_node(), self._fields(req)), "id": item})
        if item in self.videos:
            return Reply(body={**project(self._video_node(item), self._fields(req)), "id": item})
        if item in self.containers:
            container = self.containers[item]
            container["polls"] -= 1
            status = "FINISHED" if container["polls"] < 0 else "IN_PROGRESS"
            status = "PUBLISHED" if "published" in container else status
            return Reply(body={"id": item, "status_code": status})
        require(item in self.media, oauth(400, 100, "Object does not exist"))
        return Reply(body=self.media[item])

    def feed(self, req: Req) -> Reply:
        page = self.page
        require(req.groups[0] == page, oauth(400, 100, "Unsupported post request"))
        require(bool(req.body.get("message") or req.body.get("link")),
                oauth(400, 100, "Missing message or attachment"))  # fmt: skip
        text = req.body.get("message", "")
        post = self.add(text, f"https://www.facebook.com/{page}/posts/", prefix=f"{page}_",
                        made=Made("facebook", self.now(), text,
                                  attachment="link" if req.body.get("link") else None))  # fmt: skip
        return Reply(body={"id": post})

    def photo(self, req: Req) -> Reply:
        """``POST /{page-id}/photos``: a photo by ``url`` or as the multipart file ``source``,
        with its ``caption``; the photo's id and its Page post's (``post_id``,
        ``{page-id}_{post-id}`` as Graph gives it)."""
        body = req.body if isinstance(req.body, dict) else {}
        source = body.get("source")
        given = isinstance(source, Part) or isinstance(body.get("url"), str)
        require(req.groups[0] == self.page and given, oauth(400, 324, "Missing image"))
        if isinstance(source, Part):
            require(source.content_type.startswith("image/") and bool(source.data),
                    oauth(400, 324, "(#324) Requires upload file"))  # fmt: skip
            require(len(source.data) <= PHOTO_MAX,
                    oauth(400, 100, f"(#100) The photo is larger than {PHOTO_MAX} bytes"))  # fmt: skip
        caption = body.get("caption", "")
        text = caption if isinstance(caption, str) else ""
        url = f"https://www.facebook.com/{self.page}/posts/"
        post = self.add(
            text,
            url,
            prefix=f"{self.page}_",
            made=Made("facebook", self.now(), text, attachment="photo"),
        )
        photo = "photo" + post.split("_")[-1]
        with self.lock:
            self.photos[photo] = {"post_id": post, "caption": text, "url": body.get("url"),
                                  "data": source.data if isinstance(source, Part) else None,
                                  "content_type": source.content_type
                                  if isinstance(source, Part) else None}  # fmt: skip
        return Reply(body={"id": photo, "post_id": post})

    def video_upload(self, req: Req) -> Reply:
        """``POST /{page-id}/videos``: the resumable upload, by ``upload_phase``."""
        require(req.groups[0] == self.page, oauth(400, 100, "Unsupported post request"))
        body = req.body if isinstance(req.body, dict) else {}
        phase = body.get("upload_phase")
        if phase == "start":
            size = body.get("file_size", "")
            require(isinstance(size, str) and size.isdigit() and 0 < int(size) <= VIDEO_MAX,
                    oauth(400, 100, "(#100) file_size must be a positive number of bytes, "
                                    f"at most {VIDEO_MAX}"))  # fmt: skip
            with self.lock:
                video, session = next(self.ids), next(self.ids)
                self.videos[video] = {"session": session, "size": int(size), "data": bytearray(),
                                      "status": "uploading", "states": [], "description": "",
                                      "post_id": None, "when": self.now()}  # fmt: skip
            return Reply(body={"upload_session_id": session, "video_id": video,
                               "start_offset": "0",
                               "end_offset": str(min(self.video_chunk, int(size)))})  # fmt: skip
        require(phase in ("transfer", "finish"),
                oauth(400, 100, "(#100) upload_phase must be start, transfer or finish"))  # fmt: skip
        with self.lock:
            found = [(v, held) for v, held in self.videos.items()
                     if held["session"] == body.get("upload_session_id")]  # fmt: skip
            require(bool(found), oauth(400, 100, "(#100) Invalid upload_session_id"))
            video, held = found[0]
            require(held["status"] == "uploading",
                    oauth(400, 100, "(#100) The upload session is already finished"))  # fmt: skip
            have, size = len(held["data"]), held["size"]
            if phase == "transfer":
                return self._transfer(body, held, have, size)
            require(have == size, oauth(400, 100, f"(#100) The upload is incomplete: {have} of "
                                                  f"{size} bytes arrived"))  # fmt: skip
            description = body.get("description", "")
            held.update(status="processing", states=list(self.video_states) or ["ready"],
                        description=description if isinstance(description, str) else "")  # fmt: skip
        return Reply(body={"success": True})

    def _transfer(self, body: dict[str, Any], held: dict[str, Any], have: int, size: int) -> Reply:
        """One chunk: exactly the bytes asked for, at the offset asked for."""
        at, chunk = body.get("start_offset"), body.get("video_file_chunk")
        require(at == str(have), oauth(400, 100, f"(#100) start_offset must be {have}"))
        want = min(self.video_chunk, size - have)
        require(isinstance(chunk, Part) and len(chunk.data) == want,
                oauth(400, 100, f"(#100) video_file_chunk must hold bytes {have} to "
                                f"{have + want}"))  # fmt: skip
        assert isinstance(chunk, Part)
        held["data"] += chunk.data
        have += want
        return Reply(body={"start_offset": str(have),
                           "end_offset": str(min(have + self.video_chunk, size))})  # fmt: skip

    def _video_node(self, video: str) -> Node:
        """A video as ``GET /{video-id}`` answers it; each read moves its processing on to
        the next of its states, and at ``ready`` its Page post is made."""
        with self.lock:
            held, states = self.videos[video], self.videos[video]["states"]
            if states:
                held["status"] = states.pop(0) if len(states) > 1 else states[0]
            if held["status"] == "ready" and held["post_id"] is None:
                text = held["description"]
                held["post_id"] = self.add(text, f"https://www.facebook.com/{self.page}/posts/",
                                           prefix=f"{self.page}_", made=Made(
                                               "facebook", self.now(), text, attachment="video"))  # fmt: skip
        status = held["status"]
        uploaded = "in_progress" if status == "uploading" else "complete"
        processed = {"uploading": "not_started", "processing": "in_progress",
                     "ready": "complete"}.get(status, "error")  # fmt: skip
        published = held["post_id"] is not None
        return Node("Video", {
            "id": video, "description": held["description"], "published": published,
            "created_time": graph_time(held["when"]), "post_id": held["post_id"],
            "permalink_url": f"/{self.page}/videos/{video}/",
            "status": {"video_status": status, "uploading_phase": {"status": uploaded},
                       "processing_phase": {"status": processed},
                       "publishing_phase": {"status": "complete" if published else "not_started",
                                            "publish_status": "published" if published
                                            else "not_published"}},
        })  # fmt: skip

    def list_media(self, req: Req) -> Reply:
        """``GET /{ig-user-id}/media``: the account's media (stories are not listed)."""
        require(req.groups[0] == self.ig_user, oauth(400, 100, "Unsupported get request"))
        return self._listing(req, "instagram")

    def list_posts(self, req: Req) -> Reply:
        """``GET /{page-id}/posts`` and ``/{page-id}/published_posts``: the Page's posts."""
        require(req.groups[0] == self.page, oauth(400, 100, "Unsupported get request"))
        return self._listing(req, "facebook")

    def _listing(self, req: Req, platform: str) -> Reply:
        """What the fake published on ``platform``, newest first, each node with the
        ``fields`` asked for (counts from the ``engagement`` hook, as the read-back
        endpoints answer them); ``since`` (unix seconds, inclusive); cursor paging."""
        since = req.query.get("since", "")
        require(not since or since.isdigit(), oauth(400, 100, "(#100) since must be a time"))
        fields = self._fields(req)
        with self.lock:
            mine = [(i, m) for i, m in self.made.items() if m.platform == platform and (
                not since or m.when.timestamp() >= int(since))][::-1]  # fmt: skip
        mine.sort(key=lambda item: item[1].when, reverse=True)  # stable: later made first
        node = self._media_of if platform == "instagram" else self._post_node
        return self._paged(req, [{**project(node(i, m), fields), "id": i} for i, m in mine])

    def add_mention(
        self, text: str, created_at: datetime, *, platform: str = "facebook",
        author_handle: str = "Fan", lang: str | None = None, followers: int = 10,
        author_created_at: datetime | None = None, mentioned_in: str = "tag",
    ) -> str:  # fmt: skip
        """A post that tags the Page (``platform="facebook"``) or, on ``"instagram"``, media
        that tags the account (``mentioned_in="tag"``: served by ``/tags``), media whose
        caption @mentions it (``"caption"``) or a comment that @mentions it on someone's
        media (``"comment"``); its id (the comment's for a comment). Caption and comment
        mentions are found only by id, as Meta's ``mentions`` webhook names them:
        ``mention_ids(id)`` is that webhook's ``value``. Graph gives no language or
        followers."""
        if mentioned_in not in ("tag", "caption", "comment"):
            raise ValueError(f"mentioned_in: tag, caption or comment, not {mentioned_in!r}")
        with self.lock:
            ident = next(self.ids)
            if platform == "facebook":
                ident = f"{number(author_handle, 15)}_{ident}"
            extra = {"in": mentioned_in, "media_id": ident}
            if mentioned_in == "comment":
                extra["media_id"], ident = ident, next(self.ids)
            self.mentions[platform].append(Mention(ident, text, utc(created_at), author_handle,
                                                   lang, followers, author_created_at, extra))  # fmt: skip
        return ident

    def mention_ids(self, ident: str) -> dict[str, str]:
        """The ``value`` of the Instagram ``mentions`` webhook change for a caption or
        comment mention: ``media_id``, and ``comment_id`` for a comment."""
        with self.lock:
            [mention] = [m for m in self.mentions["instagram"] if m.id == ident]
        value = {"media_id": mention.extra["media_id"]}
        if mention.extra["in"] == "comment":
            value["comment_id"] = mention.id
        return value

    def remove_mention(self, ident: str) -> None:
        """The author deleted the post, media or comment: Graph no longer finds it."""
        with self.lock:
            for platform, mentions in self.mentions.items():
                self.mentions[platform] = [m for m in mentions if m.id != ident]

    def _mentioned(self, mentioned_in: str, ident: str) -> Mention:
        with self.lock:
            found = [m for m in self.mentions["instagram"]
                     if m.id == ident and m.extra.get("in") == mentioned_in]  # fmt: skip
        if not found:
            raise Refused(no_object(ident))
        return found[0]

    def _media_node(self, m: Mention) -> Node:
        """The IG Media of a caption mention, or the one a mentioning comment is on (someone
        else's: its caption does not mention the account)."""
        caption = m.extra.get("in") == "caption"
        text = m.text.replace(f"@{self.ig_handle}", self.ig_handle)  # Graph drops that @
        media = m.extra["media_id"]
        return Node("IGMedia", {
            "id": media, "caption": text if caption else "a post by someone else",
            "timestamp": stamp(m.created_at), "username": m.handle if caption else "someone",
            "permalink": f"https://www.instagram.com/p/{media}/", "media_type": "IMAGE",
            "media_product_type": "FEED", "media_url": f"https://cdn.example/{media}.jpg",
            "comments_count": 1 if not caption else 0, "like_count": 0, "owner": None,
            "comments": None,
        })  # fmt: skip

    def _edge(self, mentioned_in: str, param: str) -> Callable[[Field], Node]:
        def node(field: Field) -> Node:
            ident = field.params.get(param)
            if not ident:
                raise Refused(oauth(400, 100, f"(#100) The parameter {param} is required"))
            m = self._mentioned(mentioned_in, ident)
            if mentioned_in == "caption":
                return self._media_node(m)
            return Node("IGComment", {
                "id": m.id, "text": m.text, "timestamp": stamp(m.created_at),
                "username": m.handle, "like_count": 0, "media": self._media_node(m),
                "from": {"id": str(number(m.handle, 17)), "username": m.handle},
                "hidden": False, "parent_id": None,
            }, ("id", "text", "timestamp"))  # fmt: skip

        return node

    def ig_user_node(self, req: Req) -> Reply:
        """``GET /{ig-user-id}?fields=...``: the account, with the ``mentioned_comment`` and
        ``mentioned_media`` edges a ``mentions`` webhook's ids are read through."""
        try:
            fields = graph_fields(req.query.get("fields", "id"))
        except FieldsSyntax as error:
            raise Refused(oauth(400, 2500, str(error))) from None
        return Reply(body={**project(self._ig_user_node(), fields), "id": self.ig_user})

    def _ig_user_node(self) -> Node:
        return Node("IGUser", {
            "id": self.ig_user, "username": self.ig_handle,
            "followers_count": self.followers(self.now()),
            "mentioned_comment": self._edge("comment", "comment_id"),
            "mentioned_media": self._edge("caption", "media_id"),
        })  # fmt: skip

    # ---- engagement read-back -----------------------------------------------------------

    def _fields(self, req: Req) -> list[Field] | None:
        text = req.query.get("fields")
        try:
            return graph_fields(text) if text else None
        except FieldsSyntax as error:
            raise Refused(oauth(400, 2500, str(error))) from None

    def _exception(self, item: str) -> str:
        """The error type Graph names: IG nodes answer IGApiException."""
        return "GraphMethodException" if "_" in item else "IGApiException"

    def _page_node(self) -> Node:
        return Node("Page", {"id": self.page, "followers_count": self.followers(self.now())})

    def _counts(self, item: str, made: Made) -> dict[str, int]:
        counts = self.engagement(item, made.when, made.text)
        return {k: int(v) for k, v in counts.items()}

    def _post_node(self, item: str, made: Made) -> Node:
        counts = self._counts(item, made)
        shares = counts.get("shares", 0)
        return Node("Post", {
            "id": item, "message": made.text, "created_time": stamp(made.when),
            "permalink_url": self.media[item]["permalink_url"], "from": {"id": self.page},
            "reactions": self._summary(counts.get("likes", 0), {"viewer_reaction": "NONE"}),
            "comments": self._summary(counts.get("comments", 0),
                                      {"order": "ranked", "can_comment": True}),
            "shares": {"count": shares} if shares else None,  # Graph omits it at 0
            "attachments": self._attachments(made), "insights": self._insights_edge(item, made),
        }, ("id", "message", "created_time"))  # fmt: skip

    @staticmethod
    def _attachments(made: Made) -> Callable[[Field], dict[str, Any]] | None:
        """A Page post's ``attachments`` edge: its one attachment (``media_type`` photo for a
        photo post, link for a link post); None (left out, as Graph does) for text alone."""
        if made.attachment is None:
            return None
        node = Node("StoryAttachment", {"media_type": made.attachment, "type": made.attachment,
                                        "title": made.text[:80]}, ("media_type",))  # fmt: skip

        def edge(field: Field) -> dict[str, Any]:
            return {"data": [project(node, field.sub)]}

        return edge

    def _media_of(self, item: str, made: Made) -> Node:
        counts = self._counts(item, made)
        return Node("IGMedia", {
            "id": item, "caption": made.text, "timestamp": stamp(made.when),
            "permalink": self.media[item]["permalink"], "username": self.ig_handle,
            "media_type": made.media_type, "media_product_type": made.product,
            "like_count": counts.get("likes", 0), "comments_count": counts.get("comments", 0),
        })  # fmt: skip

    @staticmethod
    def _summary(count: int, extra: dict[str, Any]) -> Callable[[Field], dict[str, Any]]:
        """A counted edge (``reactions``, ``comments``): with ``.summary(total_count)`` its
        total, with ``.summary(true)`` the total and the edge's other summary fields. The
        fake lists no single reaction or comment (``data`` stays empty)."""

        def edge(field: Field) -> dict[str, Any]:
            out: dict[str, Any] = {"data": []}
            asked = field.params.get("summary", "")
            if asked in ("true", "1"):
                out["summary"] = {"total_count": count, **extra}
            elif asked:
                names = set(asked.split(","))
                out["summary"] = {k: v for k, v in {"total_count": count, **extra}.items()
                                  if k in names}  # fmt: skip
            return out

        return edge

    def _node(self, item: str) -> Node | None:
        if item == self.ig_user:
            return self._ig_user_node()
        if item == self.page:
            return self._page_node()
        made = self.made.get(item)
        if made is None:
            return None
        return self._media_of(item, made) if made.platform == "instagram" else self._post_node(
            item, made)  # fmt: skip

    def by_ids(self, req: Req) -> Reply:
        """``GET /?ids=a,b&fields=...``: each node, keyed by its id; any id deleted or
        unknown fails the whole request."""
        ids = [i for i in req.query.get("ids", "").split(",") if i]
        require(bool(ids), oauth(400, 100, "(#100) Missing 'ids' parameter"))
        require(len(ids) <= MAX_IDS, oauth(400, 100, f"(#100) Too many IDs. Maximum: {MAX_IDS}."))
        fields = self._fields(req)
        with self.lock:
            gone = [i for i in ids if i in self.gone]
            nodes = {i: self._node(i) for i in ids if i not in self.gone}
        if gone:
            raise Refused(no_object(gone[0], self._exception(gone[0])))
        unknown = [i for i, node in nodes.items() if node is None]
        if unknown:
            raise Refused(oauth(404, 803, "(#803) Some of the aliases you requested do not "
                                          f"exist: {','.join(unknown)}"))  # fmt: skip
        return Reply(body={i: {**project(node, fields), "id": i} for i, node in nodes.items()
                           if node is not None})  # fmt: skip

    def insights(self, req: Req) -> Reply:
        """``GET /{media-id}/insights`` and ``/{post-id}/insights``: ``metric`` (comma
        separated), lifetime values."""
        item = req.groups[0]
        with self.lock:
            made = self.made.get(item)
        if made is None:
            raise Refused(no_object(item, self._exception(item)))
        names = [m for m in req.query.get("metric", "").split(",") if m]
        return Reply(body={"data": self._insight_data(item, made, names,
                                                      req.query.get("period", "lifetime"))})  # fmt: skip

    def _insight_data(self, item: str, made: Made, names: list[str], period: str) -> list[Any]:
        """The ``data`` of the insights edge of ``item`` for the metrics ``names``: empty
        while the insights lag; Graph's error (``Refused``) for a metric it refuses."""
        if made.platform == "facebook":
            require(bool(names), oauth(400, 3001, "Invalid query", 1504028))
            for name in names:
                require(
                    name in FB_INSIGHTS,
                    oauth(400, 100, "(#100) The value must be a valid insights metric"),
                )
        else:
            require(bool(names), oauth(400, 100, "(#100) The parameter metric is required"))
            for name in names:
                require(name in IG_BY_PRODUCT[made.product], oauth(
                    400, 100, f"(#100) The Media Insights API does not support the {name} "
                              "metric for this media product type."))  # fmt: skip
        if period != "lifetime" or self.now() - made.when < self.insights_lag:
            return []
        counts = self._counts(item, made)
        if made.platform == "instagram" and made.product == "STORY" and counts.get("reach", 0) < 5:
            raise Refused(oauth(400, 10, "(#10) Not enough viewers for the media to show "
                                         "insights"))  # fmt: skip
        values = {**{theirs: counts.get(ours, 0) for theirs, ours in IG_INSIGHTS.items()},
                  **{theirs: counts.get(ours, 0) for theirs, ours in FB_INSIGHTS.items()}}  # fmt: skip
        values["total_interactions"] = sum(counts.get(k, 0) for k in
                                           ("likes", "comments", "saves", "shares"))  # fmt: skip
        return [insight(item, name, values.get(name, 0)) for name in names]

    def _insights_edge(self, item: str, made: Made) -> Callable[[Field], dict[str, Any] | None]:
        """The ``insights`` edge of a post expanded as a field,
        ``insights.metric(a,b).period(lifetime)``: as the edge answers alone, left out (as
        Graph leaves out an empty edge) while the insights lag."""

        def edge(field: Field) -> dict[str, Any] | None:
            names = [m for m in field.params.get("metric", "").split(",") if m]
            data = self._insight_data(item, made, names, field.params.get("period", "lifetime"))
            return {"data": data} if data else None

        return edge

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
            hits = sorted([m for m in self.mentions["instagram"] if m.extra.get("in", "tag") ==
                           "tag"], key=lambda m: (m.created_at, m.id), reverse=True)  # fmt: skip
        return self._paged(req, [{"id": m.id, "caption": m.text, "media_type": "IMAGE",
                                  "timestamp": stamp(m.created_at), "username": m.handle,
                                  "permalink": f"https://www.instagram.com/p/{m.id}/"}
                                 for m in hits])  # fmt: skip

    def posts_made(self) -> int:
        """How many posts this fake holds: what really went out."""
        return len(self.media)
