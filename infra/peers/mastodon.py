"""A small fake of Mastodon's statuses API, honouring Idempotency-Key as Mastodon does
(the same key within an hour returns the same status; later it is forgotten). The real peer, mastodon-mock, is
used by test_mastodon_peer.py.

Engagement read-back: ``GET /api/v1/statuses/:id`` and, on a server of 4.3 or later
(``version``), ``GET /api/v1/statuses?id[]=`` (at most 20 ids, else 422; statuses that are
gone are left out) serve the account's statuses with ``replies_count``, ``reblogs_count``,
``favourites_count`` and, from 4.5, ``quotes_count``, filled from the ``engagement`` hook;
a server before 4.3 answers 404 to the batch route, as it has none. ``delete(status_id)``
removes a status: ``GET /api/v1/statuses/:id`` then answers 404 ``Record not found``.
``GET /api/v1/accounts/verify_credentials`` gives ``followers_count`` from ``followers``.

The account's statuses, ``GET /api/v1/accounts/:id/statuses`` (publish's find-ours, the
read-back's backfill): newest first in Mastodon's pages, with ``exclude_replies`` (a reply
to another account's status is left out, one to the account's own kept, as Mastodon does)
and ``exclude_reblogs``, to the account's own token its direct messages too (as
Mastodon's ``AccountStatusesFilter`` shows an author); each status with its counts,
``in_reply_to_id``, ``reblog`` and ``media_attachments``. ``add_status`` puts on the account a status publish did not make:
a reply, a boost, one with media, a direct message.

Media: ``POST /api/v2/media`` (multipart: ``file``, ``description``; the account's token)
answers an image with its attachment at once (200, ``url`` set) and a video (``background``
types) with 202 and ``url`` null, as Mastodon 4 does; ``GET /api/v1/media/:id`` then
answers 206 ``processing_polls`` times, then 200 with the url. Refused as Mastodon refuses
them (422): no ``file``, a type it does not take, a file over its limit (16 MB an image,
99 MB a video), a description over 1,500 characters. ``files`` keeps each upload's
``Part`` (file name, type, bytes) by attachment id. ``POST /api/v1/statuses`` with
``media_ids`` refuses (422) an id that is not the account's or is already attached, more
than 4, a video with anything else, and one still processing ("not finished processing");
the status then carries its ``media_attachments``.

A contract fake used by the tests and, as a local peer, by ``socialops simulate``."""

from __future__ import annotations

import html
import itertools
import re
import threading
import urllib.parse
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from typing import Any

from infra.peers import Fake, Part, Refused, Reply, Req, bearer, require
from infra.peers.mentions import PAGE_SIZE, Mention, iso_ms, number, utc

TOKEN = "masto-token"
ACCOUNT = "109000000000000001"
INVALID = Reply(401, {"error": "The access token is invalid"})
NOT_FOUND = Reply(404, {"error": "Record not found"})
STATUSES_MAX = 20  # ids a GET /api/v1/statuses takes (Api::BaseController's 20)


IDEMPOTENCY_TTL = timedelta(hours=1)  # how long Mastodon remembers an Idempotency-Key
MB = 1024 * 1024
# what Mastodon 4 takes: MIME type -> (attachment type, the most bytes)
MEDIA_TYPES = {"image/jpeg": ("image", 16 * MB), "image/png": ("image", 16 * MB),
               "image/webp": ("image", 16 * MB), "image/gif": ("gifv", 16 * MB),
               "video/mp4": ("video", 99 * MB), "video/webm": ("video", 99 * MB),
               "video/quicktime": ("video", 99 * MB)}  # fmt: skip
DESCRIPTION_MAX = 1_500  # MediaAttachment::MAX_DESCRIPTION_LENGTH
MEDIA_MAX = 4  # max_media_attachments


def unprocessable(message: str) -> Reply:
    return Reply(422, {"error": message})


def mastodon_time(now: datetime | None = None) -> str:
    """Now, as Mastodon writes times (2026-11-30T09:00:00.000Z)."""
    now = now or datetime.now(UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


class MastodonFake(Fake):
    @property
    def errors(self) -> dict[str, Reply]:  # type: ignore[override]
        reset = (datetime.now(UTC) + timedelta(minutes=5)).isoformat().replace("+00:00", "Z")
        limits = {"X-RateLimit-Limit": "300", "X-RateLimit-Remaining": "0",
                  "X-RateLimit-Reset": reset}  # fmt: skip
        return {
            "expired": INVALID,
            "revoked": INVALID,
            "rate_limit": Reply(429, {"error": "Too many requests"}, limits),
            "rate_limit_bare": Reply(429, {"error": "Too many requests"}),
            "server_error": Reply(500, {"error": "We're sorry, but something went wrong"}),
            "invalid": Reply(422, {"error": "Validation failed: Text can't be blank"}),
        }

    def __init__(
        self, *, token: str = TOKEN, account: str = ACCOUNT, handle: str = "brand",
        version: tuple[int, int] = (4, 5),
    ) -> None:  # fmt: skip
        super().__init__()
        self.token, self.account, self.handle = token, account, handle
        self.version = version  # the server's Mastodon version (what its API has)
        self.mentions: list[Mention] = []
        self.notifications: list[dict[str, Any]] = []
        self.notification_ids = (str(n) for n in itertools.count(500_001))
        self.page_size = PAGE_SIZE
        self.ids = (str(n) for n in itertools.count(113_000_000_000_000_001))
        self.statuses: list[dict[str, Any]] = []
        self.texts: dict[str, str] = {}  # each status's text as posted (for ``engagement``)
        self.asked: list[list[str]] = []  # the ids of each GET /api/v1/statuses, in order
        self.by_key: dict[str, tuple[datetime, dict[str, Any]]] = {}
        self.route("POST", r"/api/v1/statuses", self.create)
        self.route("POST", r"/api/v2/media", self.upload)
        self.route("GET", r"/api/v1/media/(\d+)", self.media_one)
        self.media_ids = (str(n) for n in itertools.count(114_000_000_000_000_001))
        self.media: dict[str, dict[str, Any]] = {}  # attachment id -> the attachment
        self.files: dict[str, Part] = {}  # attachment id -> the file uploaded
        self.pending: dict[str, int] = {}  # attachment id -> polls still answered 206
        self.attached: dict[str, str] = {}  # attachment id -> the status it is part of
        self.processing_polls = 2  # 206 answers before an attachment in the background is done
        self.background = {"video", "gifv", "audio"}  # processed after the upload's answer (202)
        if version >= (4, 3):  # GET /api/v1/statuses: "4.3.0 - added"
            self.route("GET", r"/api/v1/statuses", self.many)
        self.route("GET", r"/api/v1/statuses/(\d+)", self.one)
        self.route("GET", r"/api/v1/accounts/verify_credentials", self.me)
        self.route("GET", r"/api/v1/accounts/(\d+)/statuses", self.timeline)
        self.route("GET", r"/api/v1/notifications", self.notified)
        self.route("GET", r"/api/v1/timelines/tag/([^/]+)", self.tagged)

    def create(self, req: Req) -> Reply:
        bearer(req, self.token, INVALID)
        key, now = req.headers.get("idempotency-key"), self.now()
        if key in self.by_key and now - self.by_key[key][0] < IDEMPOTENCY_TTL:
            return Reply(body=self.by_key[key][1])
        text = req.body.get("status", "")
        attachments = self._attachments(req.body.get("media_ids") or [])
        require(bool(text) or bool(attachments), self.errors["invalid"])
        status_id = next(self.ids)
        status = {"id": status_id, "created_at": mastodon_time(now),
                  "uri": f"https://social.test/users/brand/statuses/{status_id}",
                  "url": f"https://social.test/@brand/{status_id}",
                  "visibility": req.body.get("visibility", "public"),
                  "content": "<p>" + html.escape(text).replace("\n", "<br />") + "</p>",
                  "media_attachments": attachments}  # fmt: skip
        with self.lock:
            self.attached.update((a["id"], status_id) for a in attachments)
        self.statuses.append(status)
        self.texts[status_id] = text
        if key:
            self.by_key[key] = now, status
        return Reply(body=status)

    def _attachments(self, ids: Any) -> list[dict[str, Any]]:
        """The attachments a new status names, refused as Mastodon's PostStatusService
        refuses them."""
        ids = [str(i) for i in (ids if isinstance(ids, list) else [ids])]
        require(len(ids) <= MEDIA_MAX,
                unprocessable(f"Cannot attach more than {MEDIA_MAX} files"))  # fmt: skip
        with self.lock:
            missing = [i for i in ids if i not in self.media or i in self.attached]
            found = [dict(self.media[i]) for i in ids if i not in missing]
            busy = [i for i in ids if self.pending.get(i, 0) > 0]
        require(not missing, unprocessable(f"Media {', '.join(missing)} not found or already "
                                           "attached to another post"))  # fmt: skip
        require(len(found) <= 1 or not any(a["type"] in ("video", "audio") for a in found),
                unprocessable("Cannot attach a video to a post that already contains images"))  # fmt: skip
        require(not busy, unprocessable("Cannot attach files that have not finished "
                                        "processing. Try again in a moment!"))  # fmt: skip
        return found

    def upload(self, req: Req) -> Reply:
        """``POST /api/v2/media``: 200 with the attachment, or 202 (``url`` null) while it
        is processed in the background."""
        bearer(req, self.token, INVALID)
        form = req.body if isinstance(req.body, dict) else {}
        file = form.get("file")
        if not isinstance(file, Part) or not file.data:
            raise Refused(unprocessable("Validation failed: File can't be blank"))
        kind, most = MEDIA_TYPES.get(file.content_type, ("", 0))
        require(bool(kind), unprocessable("Validation failed: File content type is invalid, "
                                          "File is invalid"))  # fmt: skip
        require(len(file.data) <= most, unprocessable(
            f"Validation failed: File file size must be less than {most // MB} MB"))  # fmt: skip
        description = form.get("description")
        description = description if isinstance(description, str) and description else None
        require(len(description or "") <= DESCRIPTION_MAX, unprocessable(
            f"Validation failed: Description is too long (maximum is {DESCRIPTION_MAX} "
            "characters)"))  # fmt: skip
        with self.lock:
            media_id = next(self.media_ids)
            url = f"https://files.social.test/media_attachments/{media_id}/original/{file.filename}"
            self.media[media_id] = {"id": media_id, "type": kind, "url": url,
                                    "preview_url": url, "remote_url": None, "meta": {},
                                    "description": description, "blurhash": None}  # fmt: skip
            self.files[media_id] = file
            later = kind in self.background and self.processing_polls > 0
            if later:
                self.pending[media_id] = self.processing_polls
            return Reply(202 if later else 200, self._attachment(media_id))

    def _attachment(self, media_id: str) -> dict[str, Any]:
        """The attachment as served: its ``url`` null while it is processed."""
        shown = dict(self.media[media_id])
        if self.pending.get(media_id, 0) > 0:
            shown["url"] = None
        return shown

    def media_one(self, req: Req) -> Reply:
        """``GET /api/v1/media/:id``: 206 while processing, then 200 with the url."""
        bearer(req, self.token, INVALID)
        media_id = req.groups[0]
        with self.lock:
            require(media_id in self.media, NOT_FOUND)
            shown = self._attachment(media_id)
            if self.pending.get(media_id, 0) > 0:
                self.pending[media_id] -= 1
                return Reply(206, shown)
            return Reply(200, shown)

    def me(self, req: Req) -> Reply:
        bearer(req, self.token, INVALID)
        with self.lock:
            made = len(self.statuses)
        return Reply(body={"id": self.account, "username": "brand", "acct": "brand",
                           "followers_count": self.followers(self.now()),
                           "following_count": 0, "statuses_count": made})  # fmt: skip

    def timeline(self, req: Req) -> Reply:
        """The account's statuses, newest first, in Mastodon's pages (``max_id``...);
        ``exclude_replies``, ``exclude_reblogs`` (Mastodon's booleans: true, 1...)."""
        bearer(req, self.token, INVALID)
        yes = ("1", "true", "t", "on")
        no_replies = req.query.get("exclude_replies", "").lower() in yes
        no_reblogs = req.query.get("exclude_reblogs", "").lower() in yes
        with self.lock:
            mine = list(self.statuses) if req.groups[0] == self.account else []
            own = {s["id"] for s in mine}
        # the account's own token sees all its statuses, direct messages too (Mastodon's
        # AccountStatusesFilter for the author)
        kept = [s for s in mine if not (no_reblogs and s.get("reblog"))
                and not (no_replies and s.get("in_reply_to_id")
                         and s["in_reply_to_id"] not in own)]  # fmt: skip
        page, head = self._page(req, [(s["id"], s) for s in kept])
        return Reply(body=[self._counted(s) for s in page], headers=head)

    def add_status(
        self, text: str, *, reply_to: str | None = None, reblog_of: str | None = None,
        media: tuple[str, ...] = (), visibility: str = "public",
    ) -> str:  # fmt: skip
        """A status of the account's own that publish did not make (its id), now on the
        fake's clock: a reply to the status ``reply_to`` (another account's, unless it is
        one of the account's own), a boost of ``reblog_of``, one with ``media`` (Mastodon's
        attachment types: ``image``, ``video``, ``gifv``, ``audio``, ``unknown``)."""
        with self.lock:
            status_id = next(self.ids)
            boosted = {"id": reblog_of, "content": "<p>someone else's status</p>"} if reblog_of else None  # fmt: skip
            self.statuses.append({
                "id": status_id, "created_at": mastodon_time(self.now()),
                "uri": f"https://social.test/users/brand/statuses/{status_id}",
                "url": f"https://social.test/@brand/{status_id}", "visibility": visibility,
                "content": "" if boosted else f"<p>{html.escape(text)}</p>",
                "in_reply_to_id": reply_to, "reblog": boosted,
                "media_attachments": [{"id": f"{status_id}{n}", "type": kind,
                                       "url": f"https://social.test/media/{status_id}{n}"}
                                      for n, kind in enumerate(media)],
            })  # fmt: skip
            self.texts[status_id] = text
        return status_id

    def delete(self, status_id: str) -> None:
        """The status is gone (its author deleted it): reading it answers 404."""
        with self.lock:
            self.statuses = [s for s in self.statuses if s["id"] != status_id]

    def one(self, req: Req) -> Reply:
        """``GET /api/v1/statuses/:id``: 404 for a status that is gone, or not visible
        without the account's token (private, direct)."""
        with self.lock:
            found = [s for s in self.statuses if s["id"] == req.groups[0] and self._sees(req, s)]
        return Reply(body=self._counted(found[0])) if found else NOT_FOUND

    def many(self, req: Req) -> Reply:
        """``GET /api/v1/statuses?id[]=...`` (4.3+): the statuses found, in the order
        asked; those that do not exist (or may not be seen) are left out; more than 20
        ids is a 422."""
        ids = list(dict.fromkeys(urllib.parse.parse_qs(self.queries.raw).get("id[]", [])))
        require(len(ids) <= STATUSES_MAX, Reply(422, {"error": "Validation failed"}))
        with self.lock:
            self.asked.append(ids)
            held = {s["id"]: s for s in self.statuses if self._sees(req, s)}
        return Reply(body=[self._counted(held[i]) for i in ids if i in held])

    def _sees(self, req: Req, status: dict[str, Any]) -> bool:
        """Whether the request may see the status: public and unlisted ones need no token
        (Mastodon reads an unknown token as none: ``authorize_if_got_token!``); the
        others need the account's."""
        given = req.headers.get("authorization", "")
        return status.get("visibility") in ("public", "unlisted") or given == f"Bearer {self.token}"

    def _counted(self, status: dict[str, Any]) -> dict[str, Any]:
        """The status with its counts, as Mastodon serializes it (``quotes_count`` from
        4.5); counts from the ``engagement`` hook, 0 where it says nothing."""
        created = datetime.fromisoformat(status["created_at"].replace("Z", "+00:00"))
        got = self.engagement(status["id"], created, self.texts.get(status["id"], ""))
        out = {"in_reply_to_id": None, "reblog": None, "media_attachments": [], **status,
               "replies_count": got.get("comments", 0),
               "reblogs_count": got.get("shares", 0),
               "favourites_count": got.get("likes", 0)}  # fmt: skip
        if self.version >= (4, 5):
            out["quotes_count"] = got.get("quotes", 0)
        return out

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        """The base handler, keeping each request's raw query string for the routes that
        take a repeated parameter (``id[]``): the base parses the query into a dict."""
        base = super()._handler()
        queries = self.queries = threading.local()  # one per request thread

        class Handler(base):  # type: ignore[misc, valid-type]
            def handle_one(self) -> None:
                queries.raw = urllib.parse.urlsplit(self.path).query
                super().handle_one()

            do_GET = do_POST = handle_one

        return Handler

    def add_mention(
        self, text: str, created_at: datetime, *, author_handle: str = "fan@social.test",
        lang: str | None = "en", followers: int = 10, author_created_at: datetime | None = None,
    ) -> str:  # fmt: skip
        """A public status by someone else: in the timelines of its hashtags, and a mention
        notification of the brand's account when it names ``@handle``; its status id."""
        with self.lock:
            ident = next(self.ids)
            mention = Mention(ident, text, utc(created_at), author_handle, lang, followers,
                              author_created_at)  # fmt: skip
            self.mentions.append(mention)
            if re.search(rf"@{re.escape(self.handle)}(?![\w.])", text, re.IGNORECASE):
                self.notifications.append({"id": next(self.notification_ids),
                                           "mention": mention})  # fmt: skip
        return ident

    def _status(self, m: Mention) -> dict[str, Any]:
        user = m.handle.split("@")[0]
        return {"id": m.id, "created_at": iso_ms(m.created_at), "in_reply_to_id": None,
                "visibility": "public", "language": m.lang,
                "uri": f"https://social.test/users/{user}/statuses/{m.id}",
                "url": f"https://social.test/@{user}/{m.id}",
                "content": "<p>" + html.escape(m.text).replace("\n", "<br />") + "</p>",
                "account": {"id": str(number(m.handle, 17)), "username": user,
                            "acct": m.handle, "followers_count": m.followers,
                            "created_at": iso_ms(m.author_since)}}  # fmt: skip

    def _page(self, req: Req, items: list[tuple[str, Any]]) -> tuple[list[Any], dict[str, str]]:
        """Mastodon's paging: ``max_id``, ``since_id`` (the newest after it), ``min_id``
        (the page just after it), ``limit``; newest first, with a Link header."""
        limit = req.query.get("limit", "20")
        require(limit.isdigit(), Reply(400, {"error": "limit must be a number"}))
        size = max(1, min(int(limit), 80, self.page_size))
        q = req.query
        chosen = [(i, x) for i, x in items
                  if (not q.get("max_id") or int(i) < int(q["max_id"]))
                  and (not q.get("since_id") or int(i) > int(q["since_id"]))
                  and (not q.get("min_id") or int(i) > int(q["min_id"]))]  # fmt: skip
        chosen.sort(key=lambda p: int(p[0]))
        page = chosen[:size] if q.get("min_id") else chosen[-size:]
        page.reverse()
        head = {}
        if page:
            url = f"{self.url}{req.path}"
            head["Link"] = (f'<{url}?max_id={page[-1][0]}>; rel="next", '
                            f'<{url}?min_id={page[0][0]}>; rel="prev"')  # fmt: skip
        return [x for _, x in page], head

    def notified(self, req: Req) -> Reply:
        bearer(req, self.token, INVALID)
        wanted = req.query.get("types[]")
        with self.lock:
            items = [(n["id"], n) for n in self.notifications if wanted in (None, "mention")]
        page, head = self._page(req, items)
        body = [{"id": n["id"], "type": "mention", "created_at": iso_ms(n["mention"].created_at),
                 "account": self._status(n["mention"])["account"],
                 "status": self._status(n["mention"])} for n in page]  # fmt: skip
        return Reply(body=body, headers=head)

    def tagged(self, req: Req) -> Reply:
        tag = req.groups[0].lower()
        with self.lock:
            items = [(m.id, m) for m in self.mentions
                     if tag in (t.lower() for t in re.findall(r"#(\w+)", m.text))]  # fmt: skip
        page, head = self._page(req, items)
        return Reply(body=[self._status(m) for m in page], headers=head)

    def posts_made(self) -> int:
        """How many posts this fake holds: what really went out."""
        return len(self.statuses)
