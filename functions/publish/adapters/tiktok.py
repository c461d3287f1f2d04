"""TikTok (Content Posting API, direct post): ``creator_info/query`` for the privacy
levels the creator may use, ``video/init`` with ``PULL_FROM_URL``, then ``status/fetch``
until PUBLISH_COMPLETE. Every answer carries ``error.code``; anything but "ok" fails.

TikTok has no idempotency key and this API lists no posts: ``find_existing`` relies on
the record kept by ``publish`` and returns None.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from functions.publish.adapters import http
from functions.publish.adapters.base import (
    PlatformError,
    PostRequest,
    Published,
    Token,
    check_token,
    unsupported_media,
)
from functions.publish.adapters.errors import from_response

_PENDING = {"PROCESSING_DOWNLOAD", "PROCESSING_UPLOAD", "SEND_TO_USER_INBOX"}


class TikTokAdapter:
    platform = "tiktok"

    def __init__(
        self,
        base_url: str | None = None,
        *,
        timeout: float = http.TIMEOUT_S,
        sleep: Callable[[float], None] = time.sleep,
        poll_interval_s: float = 5.0,
        max_polls: int = 60,
    ) -> None:
        from schema.platforms import PLATFORMS

        version = PLATFORMS[self.platform].api_version
        self.root = f"{http.base_url(self.platform, base_url)}/{version}/post/publish"
        self.timeout, self.sleep = timeout, sleep
        self.poll_interval_s, self.max_polls = poll_interval_s, max_polls

    def call(self, path: str, token: Token, body: dict) -> Any:
        answer = http.call(
            self.platform, "POST", f"{self.root}/{path}", bearer=token.access_token,
            json_body=body, timeout=self.timeout,
            headers={"Content-Type": "application/json; charset=UTF-8"},
        )  # fmt: skip
        if (answer.body.get("error") or {}).get("code", "ok") != "ok":
            raise from_response(self.platform, answer.status, answer.headers, answer.body)
        return answer.body.get("data") or {}

    def publish(self, request: PostRequest, token: Token) -> Published:
        check_token(self.platform, token)
        if len(request.media) != 1 or request.media[0][1] != "video":
            raise unsupported_media(self.platform)
        creator = self.call("creator_info/query/", token, {})
        options = creator.get("privacy_level_options") or ["SELF_ONLY"]
        privacy = "PUBLIC_TO_EVERYONE" if "PUBLIC_TO_EVERYONE" in options else options[0]
        init = self.call("video/init/", token, {
            "post_info": {"title": request.text, "privacy_level": privacy},
            "source_info": {"source": "PULL_FROM_URL", "video_url": request.media[0][0]},
        })  # fmt: skip
        post_id = self.wait(str(init["publish_id"]), token)
        handle = request.handle.lstrip("@")
        return Published(
            self.platform, post_id, f"https://www.tiktok.com/@{handle}/video/{post_id}"
        )

    def wait(self, publish_id: str, token: Token) -> str:
        """The public post id once PUBLISH_COMPLETE (the publish id if not public yet)."""
        for _ in range(self.max_polls):
            data = self.call("status/fetch/", token, {"publish_id": publish_id})
            status = data.get("status")
            if status == "PUBLISH_COMPLETE":
                ids = data.get("publicaly_available_post_id") or [publish_id]
                return str(ids[0])
            if status == "FAILED":
                raise PlatformError(
                    self.platform, 200, str(data.get("fail_reason", "failed")),
                    f"TikTok could not publish the video ({data.get('fail_reason')})",
                )  # fmt: skip
            if status not in _PENDING:
                raise PlatformError(self.platform, 200, str(status), "unknown publish status")
            self.sleep(self.poll_interval_s)
        raise PlatformError(
            self.platform, 0, "processing_timeout", "the video was still processing",
            retryable=True,
        )  # fmt: skip

    def find_existing(self, request: PostRequest, token: Token) -> Published | None:
        return None
