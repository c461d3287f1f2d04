"""Contract fake of TikTok's Content Posting API (direct post): every answer carries
``error.code`` ("ok" on success) and a log_id. ``video/init`` takes ``PULL_FROM_URL`` (an
https URL: TikTok fetches it, the video is out at once) and ``FILE_UPLOAD`` (``video_size``,
``chunk_size``, ``total_chunk_count`` checked against the media transfer guide's rules,
``chunk_limits``), which answers an ``upload_url`` here (``PUT /upload/video/?upload_id=
&upload_token=``) taking the chunks in order: Content-Type video/mp4, video/quicktime or
video/webm, the same for every chunk; ``Content-Range: bytes first-last/total`` with the
chunk the declared sizes make next (else 416) and as many bytes as it says (else 400); 206
for each chunk but the last, 201 for the last. Only then is the video out (``published``,
its bytes in ``video(publish_id)``); until then ``status/fetch`` says PROCESSING_UPLOAD with
the ``uploaded_bytes`` so far, then after ``polls`` more PUBLISH_COMPLETE, or FAILED with
``fail_reason`` when one is set (nothing goes out). ``lose_upload_answer_next`` keeps a
chunk and answers 504. Also the OAuth v2 refresh of
a user token (POST /v2/oauth/token/, grant_type=refresh_token; refresh tokens rotate), whose
errors are OAuth's flat ``{"error", "error_description", "log_id"}``. And what the engagement
read-back calls (functions/ingest/engagement/tiktok.py): the Display API's
``POST /v2/video/query/`` (the account's videos by id, at most 20, counts from the
``engagement`` hook) and ``GET /v2/user/info/`` (``follower_count`` from the ``followers``
hook); ``delete(video_id)`` deletes a video (left out of the query and the list from then).
``POST /v2/video/list/`` (the user's public videos, newest first; ``max_count`` up to 20, at
most ``page_size`` answered; ``cursor`` a time in milliseconds, ``has_more``) answers the
same fields, counts included, for publish's search and the backfill; the caption is the
``title`` and the ``video_description``, the ``share_url`` carries TikTok's tracking query.

A contract fake used by the tests and, as a local peer, by ``socialops simulate``."""

from __future__ import annotations

import itertools
import re
import secrets
from datetime import UTC, datetime
from typing import Any, ClassVar

from infra.peers import Fake, Reply, Req, bearer, credential, form, require
from infra.peers.mentions import PAGE_SIZE

TOKEN = "act.tiktok-token"
REFRESH = "rft.tiktok-refresh-token"
CLIENT_KEY, CLIENT_SECRET = "tiktok-client-key", "tiktok-client-secret"  # to check, if given
OPEN_ID = "tiktok-open-id-brand"
SCOPE = "user.info.basic,video.publish"
ACCESS_TTL_S, REFRESH_TTL_S = 86400, 31536000
LOG_ID = "20261130090000ABCDEF"
OPTIONS = ["PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "SELF_ONLY"]
P = "/v2/post/publish"
UPLOAD = "/upload/video/"  # the upload_url's path (TikTok's is on open-upload.tiktokapis.com)
VIDEO_TYPES = ("video/mp4", "video/quicktime", "video/webm")
# The media transfer guide's chunk rules, read strictly ("5 MB" as 5 MiB, "64 MB" and
# "128 MB" as millions of bytes): the smallest chunk (a smaller video goes whole), the
# largest chunk (a larger video goes in several), the largest final chunk, the most chunks
CHUNK_LIMITS = (5 * 1024 * 1024, 64_000_000, 128_000_000, 1000)
RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+)")
# the Display API's counts of a video -> our metric names (what the engagement hook answers)
COUNTS = {"like_count": "likes", "comment_count": "comments", "share_count": "shares",
          "view_count": "views"}  # fmt: skip


def answer(data: Any = None, code: str = "ok", message: str = "", status: int = 200) -> Reply:
    error = {"code": code, "message": message, "log_id": LOG_ID}
    return Reply(status, {"data": data or {}, "error": error})


INVALID = answer(None, "access_token_invalid", "The access token is invalid or not found "
                 "in the request.", 401)  # fmt: skip


def oauth_error(error: str, description: str, status: int = 400) -> Reply:
    return Reply(status, {"error": error, "error_description": description, "log_id": LOG_ID})


MALFORMED = oauth_error("invalid_request", "The request parameters are malformed.")


class TikTokFake(Fake):
    errors: ClassVar[dict[str, Reply]] = {
        "expired": INVALID,
        "revoked": INVALID,
        "scope": answer(None, "scope_not_authorized", "The user did not authorize the scope "
                        "required for completing this request.", 401),
        "rate_limit_bare": answer(None, "rate_limit_exceeded", "API rate limit was exceeded, "
                                  "please try again later.", 429),
        "rate_limit": Reply(429, answer(None, "rate_limit_exceeded", "").body,
                            {"Retry-After": "60"}),
        "spam": answer(None, "spam_risk_too_many_posts", "The daily post cap from the API "
                       "is reached for the current user.", 403),
        "server_error": answer(None, "internal_error", "Something went wrong.", 500),
    }  # fmt: skip

    def __init__(
        self,
        polls_until_complete: int = 2,
        *,
        token: str = TOKEN,
        refresh_token: str = REFRESH,
        client_key: str | None = None,  # None: any client key (and secret) is taken
        client_secret: str | None = None,
        open_id: str = OPEN_ID,
        chunk_limits: tuple[int, int, int, int] = CHUNK_LIMITS,  # smaller in tests
        fail_reason: str | None = None,  # processing ends FAILED with it: nothing goes out
    ) -> None:
        super().__init__()
        self.chunk_limits, self.fail_reason = chunk_limits, fail_reason
        self.lost_uploads = 0  # chunks to keep but answer 504 (``lose_upload_answer_next``)
        self.token, self.refresh_token, self.open_id = token, refresh_token, open_id
        self.client_key, self.client_secret = client_key, client_secret
        self.tokens = {token}  # access tokens still valid: a refresh keeps the old ones
        self.issued = itertools.count(1)
        self.ids = itertools.count(7_400_000_000_000_000_000)
        self.jobs: dict[str, dict[str, Any]] = {}
        # posts accepted for publishing: TikTok publishes them whether or not anyone polls
        self.published: list[dict[str, Any]] = []
        self.polls = polls_until_complete
        self.page_size = PAGE_SIZE
        self.route("POST", r"/v2/oauth/token/", self.refresh)
        self.route("POST", P + r"/creator_info/query/", self.creator)
        self.route("POST", P + r"/video/init/", self.init)
        self.route("POST", P + r"/status/fetch/", self.status)
        self.route("PUT", UPLOAD, self.upload)
        self.route("POST", r"/v2/video/list/", self.videos)
        self.route("POST", r"/v2/video/query/", self.query)
        self.route("GET", r"/v2/user/info/", self.user_info)
        self.deleted: set[str] = set()  # video ids deleted since (``delete``)

    def refresh(self, req: Req) -> Reply:
        """``POST /v2/oauth/token/`` (form: client_key, client_secret,
        grant_type=refresh_token, refresh_token): a new access and refresh token."""
        body = form(req)
        require(body is not None, MALFORMED)
        assert body is not None
        names = ("client_key", "client_secret", "grant_type", "refresh_token")
        require(all(body.get(name) for name in names), MALFORMED)
        require(credential(body["client_key"], self.client_key)
                and credential(body["client_secret"], self.client_secret),
                oauth_error("invalid_client", "Client key or secret is invalid.", 401))  # fmt: skip
        require(
            body["grant_type"] == "refresh_token",
            oauth_error("unsupported_grant_type", "The grant type is not supported."),
        )
        with self.lock:
            require(
                body["refresh_token"] == self.refresh_token,
                oauth_error("invalid_grant", "Refresh token is invalid or expired."),
            )
            n = next(self.issued)
            self.token, self.refresh_token = f"{self.token}-r{n}", f"{self.refresh_token}-r{n}"
            self.tokens.add(self.token)
            return Reply(body={"access_token": self.token, "expires_in": ACCESS_TTL_S,
                               "open_id": self.open_id, "refresh_expires_in": REFRESH_TTL_S,
                               "refresh_token": self.refresh_token, "scope": SCOPE,
                               "token_type": "Bearer"})  # fmt: skip

    def check(self, req: Req) -> None:
        bearer(req, self.tokens, INVALID)
        require(
            req.headers.get("content-type", "").startswith("application/json"),
            answer(None, "invalid_params", "Content-Type must be application/json", 400),
        )

    def creator(self, req: Req) -> Reply:
        self.check(req)
        return answer({"creator_username": "brand", "creator_nickname": "Brand",
                       "privacy_level_options": OPTIONS, "comment_disabled": False,
                       "duet_disabled": False, "stitch_disabled": True,
                       "max_video_post_duration_sec": 600})  # fmt: skip

    def init(self, req: Req) -> Reply:
        self.check(req)
        post, source = req.body.get("post_info", {}), req.body.get("source_info", {})
        bad = answer(None, "invalid_params", "Invalid parameters", 400)
        require(
            post.get("privacy_level") in OPTIONS,
            answer(None, "privacy_level_option_mismatch", "privacy_level", 400),
        )
        require(len(post.get("title", "")) <= 2200, bad)
        kind = source.get("source")
        require(kind in ("PULL_FROM_URL", "FILE_UPLOAD"), bad)
        job: dict[str, Any] = {"polls": self.polls, "post": str(next(self.ids)),
                               "title": post.get("title", ""), "source": kind,
                               "fail_reason": self.fail_reason}  # fmt: skip
        if kind == "PULL_FROM_URL":
            require("video_url" in source, bad)
            require(
                source["video_url"].startswith("https://"),
                answer(None, "url_ownership_unverified", "Verify the URL's domain", 403),
            )
            publish_id = f"v_pub_url~v2.{next(self.ids)}"
            job["video_url"] = source["video_url"]
            with self.lock:
                self.jobs[publish_id] = job
                self._out(publish_id, job)  # TikTok fetches the file itself
            return answer({"publish_id": publish_id})
        sizes = [source.get(k) for k in ("video_size", "chunk_size", "total_chunk_count")]
        require(self._chunks_ok(*sizes), answer(None, "invalid_params", "video_size, "
                "chunk_size and total_chunk_count break the chunk rules", 400))  # fmt: skip
        publish_id = f"v_pub_file~v2.{next(self.ids)}"
        upload_id, upload_token = str(next(self.ids)), secrets.token_hex(8)
        job.update(size=sizes[0], chunk=sizes[1], count=sizes[2], data=bytearray(), mime="",
                   upload_id=upload_id, upload_token=upload_token)  # fmt: skip
        with self.lock:
            self.jobs[publish_id] = job
        url = f"{self.url}{UPLOAD}?upload_id={upload_id}&upload_token={upload_token}"
        return answer({"publish_id": publish_id, "upload_url": url})

    def _chunks_ok(self, size: Any, chunk: Any, count: Any) -> bool:
        """The media transfer guide's rules: ``count`` is ``size // chunk``; chunks of the
        smallest to the largest size, the last one taking the remainder (at most the largest
        final chunk); a video under the smallest chunk goes whole; one over the largest
        chunk goes in several; at most so many chunks."""
        least, most, final_most, most_chunks = self.chunk_limits
        if not all(type(v) is int and v > 0 for v in (size, chunk, count)):
            return False
        if size < least:
            return bool(chunk == size and count == 1)
        final = size - (count - 1) * chunk
        return bool(least <= chunk <= most and count == size // chunk
                    and count <= most_chunks and final <= final_most
                    and (size <= most or count > 1))  # fmt: skip

    def _out(self, publish_id: str, job: dict[str, Any]) -> None:
        """The video goes out (unless processing fails): the list and the query hold it
        from now, whether or not anyone asks its status. Called with the lock held."""
        if job["fail_reason"]:
            return
        # the list's cursor is a time in milliseconds: no two videos share one here
        last = max((v["created_ms"] for v in self.published), default=0)
        created = max(int(self.now().timestamp() * 1000), last + 1)
        self.published.append({"publish_id": publish_id, "post_id": job["post"],
                               "title": job["title"], "source": job["source"],
                               "video_url": job.get("video_url", ""), "created_ms": created,
                               "create_time": created // 1000})  # fmt: skip

    def upload(self, req: Req) -> Reply:
        """``PUT <upload_url>``: the next chunk of a FILE_UPLOAD video (see the module's
        doc); 206 while chunks are missing, 201 once the video is whole."""
        with self.lock:
            job = next((j for j in self.jobs.values() if j.get("upload_id")
                        == req.query.get("upload_id")), None)  # fmt: skip
            require(job is not None and req.query.get("upload_token") == job["upload_token"],
                    answer(None, "invalid_params", "upload_url not found", 404))  # fmt: skip
            assert job is not None
            mime = req.headers.get("content-type", "")
            require(mime in VIDEO_TYPES and job["mime"] in ("", mime),
                    answer(None, "invalid_params", f"Content-Type {mime!r}", 415))  # fmt: skip
            have, size, chunk, count = len(job["data"]), job["size"], job["chunk"], job["count"]
            index = have // chunk
            length = size - have if index == count - 1 else chunk
            wanted = f"bytes {have}-{have + length - 1}/{size}"
            given = RANGE.fullmatch(req.headers.get("content-range", ""))
            require(have < size and given is not None and given.group(0) == wanted,
                    answer(None, "invalid_params", f"Content-Range: expected {wanted}", 416))  # fmt: skip
            require(req.headers.get("content-length") == str(len(req.raw)) == str(length),
                    answer(None, "invalid_params", f"a chunk of {length} bytes", 400))  # fmt: skip
            job["mime"] = mime
            job["data"] += req.raw
            if len(job["data"]) < size:
                return Reply(206, {})
            publish_id = next(p for p, j in self.jobs.items() if j is job)
            self._out(publish_id, job)
            return Reply(201, {})

    def answer(self, req: Req) -> Reply:
        reply = super().answer(req)
        with self.lock:
            if req.method == "PUT" and reply.status in (201, 206) and self.lost_uploads:
                self.lost_uploads -= 1  # the chunk is kept; its answer does not arrive
                return Reply(504, {"error": "Gateway Timeout"})
        return reply

    def lose_upload_answer_next(self, times: int = 1) -> None:
        """Keep the next ``times`` chunks, then answer 504 as a gateway that timed out."""
        with self.lock:
            self.lost_uploads += times

    def video(self, publish_id: str) -> bytes:
        """The bytes a FILE_UPLOAD publish_id received, in order."""
        with self.lock:
            return bytes(self.jobs[publish_id].get("data", b""))

    def status(self, req: Req) -> Reply:
        self.check(req)
        with self.lock:
            job = self.jobs.get(req.body.get("publish_id", ""))
            require(job is not None, answer(None, "invalid_publish_id", "publish_id", 400))
            assert job is not None
            if job["source"] == "FILE_UPLOAD":
                moved = {"uploaded_bytes": len(job["data"])}
                if len(job["data"]) < job["size"]:  # still waiting for chunks
                    return answer({"status": "PROCESSING_UPLOAD", **moved})
                waiting = "PROCESSING_UPLOAD"
            else:
                moved, waiting = {"downloaded_bytes": 1024}, "PROCESSING_DOWNLOAD"
            job["polls"] -= 1
            if job["polls"] >= 0:
                return answer({"status": waiting, **moved})
            if job["fail_reason"]:
                return answer({"status": "FAILED", "fail_reason": job["fail_reason"], **moved})
            return answer({"status": "PUBLISH_COMPLETE",
                           "publicaly_available_post_id": [job["post"]], **moved})  # fmt: skip

    def videos(self, req: Req) -> Reply:
        """``POST /v2/video/list/?fields=...`` (Display API, scope video.list): the user's
        public videos, newest first, with the fields asked for (counts from the
        ``engagement`` hook); ``max_count`` (at most 20) and ``cursor`` (a time in
        milliseconds: the videos before it; the answer's ``cursor`` is the last one's)."""
        self.check(req)
        fields = set(req.query.get("fields", "").split(",")) - {""}
        require(bool(fields), answer(None, "invalid_params", "fields is required", 400))
        count, cursor = req.body.get("max_count", 10), req.body.get("cursor")
        require(isinstance(count, int) and 1 <= count <= 20,
                answer(None, "invalid_params", "max_count", 400))  # fmt: skip
        with self.lock:  # published whether or not anyone polled its status
            done = [v for v in self.published if v["post_id"] not in self.deleted]
        done.sort(key=lambda v: v["created_ms"], reverse=True)
        if isinstance(cursor, int):
            done = [v for v in done if v["created_ms"] < cursor]
        size = min(count, self.page_size)
        page = done[:size]
        more = len(done) > size
        next_cursor = page[-1]["created_ms"] if page else 0
        return answer({"videos": [self._video(item, fields) for item in page],
                       "cursor": next_cursor, "has_more": more})  # fmt: skip

    def _video(self, item: dict[str, Any], fields: set[str]) -> dict[str, Any]:
        """A video as the Display API answers it: the ``fields`` asked for, its counts from
        the ``engagement`` hook (asked only when a count is), its caption as description."""
        ident = item["post_id"]
        full = {"id": ident, "create_time": item["create_time"], "title": item["title"],
                "video_description": item["title"],
                "share_url": f"https://www.tiktok.com/@brand/video/{ident}"
                             "?utm_campaign=tt4d_open_api&utm_source=tiktok-client-key"}  # fmt: skip
        if fields & set(COUNTS):
            when = datetime.fromtimestamp(item["create_time"], UTC)
            got = self.engagement(ident, when, item["title"])
            full.update({theirs: got.get(ours, 0) for theirs, ours in COUNTS.items()})
        return {k: v for k, v in full.items() if k in fields}

    # ---- engagement read-back ---------------------------------------------------------

    def delete(self, post_id: str) -> None:
        """Delete the video ``post_id`` as its creator would: the video query and list
        leave it out from then on."""
        with self.lock:
            self.deleted.add(post_id)

    def query(self, req: Req) -> Reply:
        """``POST /v2/video/query/?fields=...`` (Display API, scope video.list), body
        ``{"filters": {"video_ids": [...]}}`` (1 to 20 ids): the account's videos among them,
        with the fields asked for; an id that is not one of its videos is left out."""
        self.check(req)
        fields = set(req.query.get("fields", "").split(",")) - {""}
        require(bool(fields), answer(None, "invalid_params", "fields is required", 400))
        filters = req.body.get("filters") if isinstance(req.body, dict) else None
        ids = filters.get("video_ids") if isinstance(filters, dict) else None
        require(isinstance(ids, list) and 1 <= len(ids) <= 20
                and all(isinstance(i, str) for i in ids),
                answer(None, "invalid_params", "filters.video_ids: 1 to 20 ids", 400))  # fmt: skip
        assert isinstance(ids, list)
        with self.lock:
            mine = {v["post_id"]: v for v in self.published if v["post_id"] not in self.deleted}
        videos = [self._video(mine[i], fields) for i in dict.fromkeys(ids) if i in mine]
        return answer({"videos": videos})

    def user_info(self, req: Req) -> Reply:
        """``GET /v2/user/info/?fields=...`` (follower_count needs scope user.info.stats):
        the user's fields asked for, in ``data.user``."""
        bearer(req, self.tokens, INVALID)
        fields = set(req.query.get("fields", "").split(",")) - {""}
        require(bool(fields), answer(None, "invalid_params", "fields is required", 400))
        with self.lock:
            count = sum(1 for v in self.published if v["post_id"] not in self.deleted)
        full = {"open_id": self.open_id, "display_name": "Brand", "username": "brand",
                "follower_count": self.followers(self.now()), "following_count": 0,
                "video_count": count}  # fmt: skip
        return answer({"user": {k: v for k, v in full.items() if k in fields}})

    def posts_made(self) -> int:
        """How many posts this fake holds: what really went out."""
        return len(self.published)
