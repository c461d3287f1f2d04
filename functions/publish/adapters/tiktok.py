"""TikTok (Content Posting API, direct post): ``creator_info/query`` for the privacy
levels the creator may use, ``video/init`` with ``PULL_FROM_URL``, then ``status/fetch``
until PUBLISH_COMPLETE. Every answer carries ``error.code``; anything but "ok" fails.

TikTok has no idempotency key, but it can be asked. The firing writes down (``Trail.keep``)
that it is about to call ``video/init`` and then the ``publish_id`` it got: a later delivery
asks ``status/fetch`` for that publish_id (complete: that is the post; failed: nothing went
out), and when only the intent was written down (the answer to init was lost), the
account's videos (``POST /v2/video/list/``, scope ``video.list``) since the firing's time
with its title. Where neither can tell, a person decides (``Uncertain``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from functions.common.media import Loader
from functions.common.platform import http
from functions.common.platform.errors import PlatformError, from_response
from functions.common.platform.tokens import Token
from functions.publish.adapters.base import (
    Page,
    PostRequest,
    Published,
    Trail,
    Uncertain,
    check_token,
    search,
    unsupported_media,
)

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
        media: Loader | None = None,
    ) -> None:
        self.media = media  # (url, kind, alt) -> Blob; None: the deployment's store
        from schema.platforms import PLATFORMS

        version = PLATFORMS[self.platform].api_version
        self.api = f"{http.base_url(self.platform, base_url)}/{version}"
        self.root = f"{self.api}/post/publish"
        self.timeout, self.sleep = timeout, sleep
        self.poll_interval_s, self.max_polls = poll_interval_s, max_polls

    def call(self, path: str, token: Token, body: dict, **query: str) -> Any:
        url = path if path.startswith("http") else f"{self.root}/{path}"
        answer = http.call(
            self.platform, "POST", url, bearer=token.access_token, json_body=body,
            query=query or None, timeout=self.timeout,
            headers={"Content-Type": "application/json; charset=UTF-8"},
        )  # fmt: skip
        if (answer.body.get("error") or {}).get("code", "ok") != "ok":
            raise from_response(self.platform, answer.status, answer.headers, answer.body)
        return answer.body.get("data") or {}

    def publish(self, request: PostRequest, token: Token, trail: Trail | None = None) -> Published:
        check_token(self.platform, token)
        trail = trail or Trail()
        if len(request.media) != 1 or request.media[0][1] != "video":
            raise unsupported_media(self.platform)
        earlier = self.find_existing(request, token, trail)  # resumes a publish_id in flight
        if earlier is not None:
            return earlier
        creator = self.call("creator_info/query/", token, {})
        options = creator.get("privacy_level_options") or ["SELF_ONLY"]
        privacy = "PUBLIC_TO_EVERYONE" if "PUBLIC_TO_EVERYONE" in options else options[0]
        trail.keep("init", "sent")  # if init's answer is lost, the video list is asked
        init = self.call("video/init/", token, {
            "post_info": {"title": request.text, "privacy_level": privacy},
            "source_info": {"source": "PULL_FROM_URL", "video_url": request.media[0][0]},
        })  # fmt: skip
        trail.keep("publish_id", str(init["publish_id"]))
        return self.published(request, self.wait(str(init["publish_id"]), token))

    def published(
        self, request: PostRequest, post_id: str, when: datetime | None = None
    ) -> Published:
        handle = request.handle.lstrip("@")
        url = f"https://www.tiktok.com/@{handle}/video/{post_id}"
        return Published(self.platform, post_id, url, when)

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

    def find_existing(
        self, request: PostRequest, token: Token, trail: Trail | None = None
    ) -> Published | None:
        """This firing's video, if an earlier delivery started one (see the module's doc)."""
        check_token(self.platform, token)
        trail = trail or Trail()
        publish_id = trail.notes.get("publish_id")
        if publish_id:
            try:
                return self.published(request, self.wait(publish_id, token))
            except PlatformError as error:
                if error.code == "processing_timeout":
                    raise Uncertain(f"tiktok: publish_id {publish_id} of this firing is still "
                                    "processing; check the account") from error  # fmt: skip
                if error.status != 200:  # not the video's own failure: ask again later
                    raise
                return None  # TikTok says it failed: nothing went out
        if trail.notes.get("init"):
            found = self.listed(request, token, trail)
            if found is None:
                raise Uncertain(
                    "tiktok: an earlier delivery called video/init but lost its answer, and "
                    "no video of the account since then carries this title yet; check the "
                    "account, then redrive this message if nothing was posted"
                )
            return found
        return None

    def listed(self, request: PostRequest, token: Token, trail: Trail) -> Published | None:
        """The account's video with this title since the firing's time (newest first)."""
        body: dict[str, Any] = {"max_count": 20}

        def pages() -> Iterator[Page]:
            while True:
                data = self.call(f"{self.api}/video/list/", token, body,
                                 fields="id,create_time,title,share_url")  # fmt: skip
                yield [(self.published(request, str(v["id"]),
                                       datetime.fromtimestamp(int(v["create_time"]), UTC)),
                        v.get("title", "")) for v in data.get("videos") or []], bool(
                    data.get("has_more"))  # fmt: skip
                body["cursor"] = data.get("cursor")

        return search(self.platform, pages(), request.text, trail)
