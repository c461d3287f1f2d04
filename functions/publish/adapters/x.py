"""X (API v2): ``POST /2/tweets`` with an OAuth 2.0 user-context token.

Media goes up first through the v2 media upload (docs.x.com/x-api/media): each file is read
and checked (``read_media``), then ``POST /2/media/upload/initialize`` (JSON: media_type,
total_bytes, media_category ``tweet_image``, ``tweet_gif`` or ``tweet_video``), ``POST
/2/media/upload/{id}/append`` for each segment in order (multipart: ``segment_index`` from 0,
the bytes as ``media``; 4 MB segments, so most images go in one), ``POST
/2/media/upload/{id}/finalize``; while the answer's ``processing_info.state`` is pending or
in_progress (videos and GIFs), ``GET /2/media/upload?command=STATUS&media_id=`` again after
its ``check_after_secs``, until succeeded (failed: the post fails, not retried; still
processing after ``max_polls``: ``processing_timeout``, retried). An image's alt text is
set with ``POST /2/media/metadata`` (``metadata.alt_text.text``, at most 1,000 characters).
The post then names the uploads in ``media.media_ids``: up to 4 images, or one video or
animated GIF alone (anything else is refused before any upload).

Uploading comes before the post and posts nothing: a retry uploads again (the earlier
uploads expire unused) but never posts twice. X has no idempotency key: ``find_existing``
reads the account's own posts since the firing's time (``GET /2/users/me``, ``GET
/2/users/{id}/tweets`` with ``start_time``, every page), so last week's post of the same text
is never taken for this week's.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from functions.common import media
from functions.common.media import Blob
from functions.common.platform import http
from functions.common.platform.errors import PlatformError
from functions.common.platform.tokens import Token
from functions.publish.adapters.base import (
    Page,
    Polling,
    PostRequest,
    Published,
    Trail,
    check_token,
    read_media,
    search,
    utc_stamp,
)

SEGMENT_BYTES = 4 * 1024 * 1024  # one APPEND's bytes (X takes segments of up to 5 MB)
MAX_IMAGES = 4  # a post's images; a video or an animated GIF goes alone
ALT_MAX = 1_000  # characters of alt text X keeps
PENDING = ("pending", "in_progress")


def category(item: Blob) -> str:
    """The media_category X enforces its limits by: an animated GIF is its own kind."""
    if item.kind == "video":
        return "tweet_video"
    return "tweet_gif" if item.mime == "image/gif" else "tweet_image"


class XAdapter(Polling):
    platform = "x"
    POLL_S = 5.0  # between STATUS calls when X names no check_after_secs

    def __init__(self, base_url: str | None = None, **options: Any) -> None:
        super().__init__(**options)
        from schema.platforms import PLATFORMS

        version = PLATFORMS[self.platform].api_version
        self.root = f"{http.base_url(self.platform, base_url)}/{version}"

    def publish(self, request: PostRequest, token: Token, trail: Trail | None = None) -> Published:
        check_token(self.platform, token)
        items = read_media(self.platform, request, self.media)  # every file, before any upload
        self.fits(items)
        body: dict[str, Any] = {"text": request.text}
        if items:
            body["media"] = {"media_ids": [self.upload(item, token) for item in items]}
        answer = http.call(
            self.platform, "POST", f"{self.root}/tweets", bearer=token.access_token,
            json_body=body, timeout=self.timeout,
        )  # fmt: skip
        post_id = str(answer.body["data"]["id"])
        return Published(self.platform, post_id, self.url(request, post_id))

    def fits(self, items: list[Blob]) -> None:
        """Refuse, before any upload, media X would not take together on one post."""
        alone = [i for i in items if category(i) != "tweet_image"]
        if alone and len(items) > 1:
            raise media.refused(self.platform, media.MediaError(
                f"X takes a video or an animated GIF alone, not with {len(items) - 1} other "
                f"media item(s) ({alone[0].source})"))  # fmt: skip
        if len(items) > MAX_IMAGES:
            raise media.refused(self.platform, media.MediaError(
                f"X takes up to {MAX_IMAGES} images on a post, not {len(items)}"))  # fmt: skip

    def upload(self, item: Blob, token: Token) -> str:
        """One file through initialize, append, finalize (and STATUS while X processes it),
        with its alt text: its media id, ready to be posted."""
        init = self._call("POST", "media/upload/initialize", token, {
            "media_type": item.mime, "total_bytes": item.size, "media_category": category(item),
        })  # fmt: skip
        media_id = str(init["data"]["id"])
        for index, part in enumerate(item.chunks(SEGMENT_BYTES)):
            body, content_type = http.multipart({"segment_index": str(index)},
                                                {"media": (item.filename, item.mime, part)})  # fmt: skip
            http.send(self.platform, "POST", f"{self.root}/media/upload/{media_id}/append", body,
                      content_type, bearer=token.access_token, timeout=self.upload_timeout)  # fmt: skip
        done = self._call("POST", f"media/upload/{media_id}/finalize", token)
        self.wait_processed(media_id, (done.get("data") or {}).get("processing_info"), token)
        if item.alt and item.kind == "image":  # X takes alt text on images and GIFs
            self._call("POST", "media/metadata", token, {
                "id": media_id, "metadata": {"alt_text": {"text": item.alt[:ALT_MAX]}}})  # fmt: skip
        return media_id

    def wait_processed(self, media_id: str, info: dict[str, Any] | None, token: Token) -> None:
        """Until X has processed the upload: no ``processing_info`` (an image) or
        succeeded. At most ``max_polls`` STATUS calls, each after ``check_after_secs``."""
        for polls in range(self.max_polls + 1):
            state = (info or {}).get("state", "succeeded")
            if state == "succeeded":
                return
            if state not in PENDING:
                error = (info or {}).get("error") or {}
                said = error.get("message") or error.get("name") or state
                raise PlatformError(self.platform, 200, "processing_failed",
                                    f"X could not process the media ({said})")  # fmt: skip
            if polls == self.max_polls:
                break
            self.sleep(float((info or {}).get("check_after_secs") or self.poll_interval_s))
            status = self._get("media/upload", token, {"command": "STATUS", "media_id": media_id})
            info = (status.get("data") or {}).get("processing_info")
        raise PlatformError(
            self.platform, 0, "processing_timeout", "X was still processing the media",
            retryable=True,
        )  # fmt: skip

    def url(self, request: PostRequest, post_id: str) -> str:
        return f"https://x.com/{request.handle.lstrip('@')}/status/{post_id}"

    def find_existing(
        self, request: PostRequest, token: Token, trail: Trail | None = None
    ) -> Published | None:
        check_token(self.platform, token)
        trail = trail or Trail()
        return search(self.platform, self._pages(request, token, trail), request.text, trail)

    def _pages(self, request: PostRequest, token: Token, trail: Trail) -> Iterator[Page]:
        me = self._get("users/me", token)["data"]["id"]
        query = {"max_results": "100", "tweet.fields": "created_at"}
        if trail.floor is not None:
            query["start_time"] = utc_stamp(trail.floor)
        while True:
            page = self._get(f"users/{me}/tweets", token, query)
            posts = [(Published(self.platform, t["id"], self.url(request, t["id"]),
                                datetime.fromisoformat(t["created_at"].replace("Z", "+00:00"))),
                      t.get("text", "")) for t in page.get("data", [])]  # fmt: skip
            following = (page.get("meta") or {}).get("next_token")
            yield posts, bool(following)
            query["pagination_token"] = str(following)

    def _get(self, path: str, token: Token, query: dict[str, str] | None = None) -> dict:
        return http.call(
            self.platform, "GET", f"{self.root}/{path}", bearer=token.access_token,
            query=query, timeout=self.timeout,
        ).body  # fmt: skip

    def _call(self, method: str, path: str, token: Token, body: Any = None) -> dict:
        return http.call(
            self.platform, method, f"{self.root}/{path}", bearer=token.access_token,
            json_body=body, timeout=self.timeout,
        ).body  # fmt: skip
