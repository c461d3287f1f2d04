"""Contract fake of TikTok's Content Posting API (direct post, PULL_FROM_URL): every
answer carries ``error.code`` ("ok" on success) and a log_id."""

from __future__ import annotations

import itertools
from typing import Any, ClassVar

from fakes import Fake, Reply, Req, bearer, require

TOKEN = "act.tiktok-token"
OPTIONS = ["PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "SELF_ONLY"]
P = "/v2/post/publish"


def answer(data: Any = None, code: str = "ok", message: str = "", status: int = 200) -> Reply:
    error = {"code": code, "message": message, "log_id": "20261130090000ABCDEF"}
    return Reply(status, {"data": data or {}, "error": error})


INVALID = answer(None, "access_token_invalid", "The access token is invalid or not found "
                 "in the request.", 401)  # fmt: skip


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

    def __init__(self, polls_until_complete: int = 2) -> None:
        super().__init__()
        self.ids = itertools.count(7_400_000_000_000_000_000)
        self.jobs: dict[str, dict[str, Any]] = {}
        self.polls = polls_until_complete
        self.route("POST", P + r"/creator_info/query/", self.creator)
        self.route("POST", P + r"/video/init/", self.init)
        self.route("POST", P + r"/status/fetch/", self.status)

    def check(self, req: Req) -> None:
        bearer(req, TOKEN, INVALID)
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
        require(source.get("source") == "PULL_FROM_URL" and "video_url" in source, bad)
        require(
            source["video_url"].startswith("https://"),
            answer(None, "url_ownership_unverified", "Verify the URL's domain", 403),
        )
        publish_id = f"v_pub_url~v2.{next(self.ids)}"
        self.jobs[publish_id] = {"polls": self.polls, "post": str(next(self.ids))}
        return answer({"publish_id": publish_id})

    def status(self, req: Req) -> Reply:
        self.check(req)
        job = self.jobs.get(req.body.get("publish_id", ""))
        require(job is not None, answer(None, "invalid_publish_id", "publish_id", 400))
        assert job is not None
        job["polls"] -= 1
        if job["polls"] >= 0:
            return answer({"status": "PROCESSING_DOWNLOAD", "downloaded_bytes": 1024})
        return answer({"status": "PUBLISH_COMPLETE", "publicaly_available_post_id": [job["post"]]})
