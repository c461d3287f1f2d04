"""X (API v2): ``POST /2/tweets`` with an OAuth 2.0 user-context token.

Media needs the separate media upload (not done yet), so a request with media is refused
rather than posted without it. X has no idempotency key: ``find_existing`` reads the
account's own posts since the firing's time (``GET /2/users/me``, ``GET
/2/users/{id}/tweets`` with ``start_time``, every page), so last week's post of the same text
is never taken for this week's.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from functions.common.media import Loader
from functions.common.platform import http
from functions.common.platform.tokens import Token
from functions.publish.adapters.base import (
    Page,
    PostRequest,
    Published,
    Trail,
    check_token,
    search,
    unsupported_media,
    utc_stamp,
)


class XAdapter:
    platform = "x"

    def __init__(
        self,
        base_url: str | None = None,
        *,
        timeout: float = http.TIMEOUT_S,
        media: Loader | None = None,
    ) -> None:
        self.media = media  # (url, kind, alt) -> Blob; None: the deployment's store
        from schema.platforms import PLATFORMS

        version = PLATFORMS[self.platform].api_version
        self.root = f"{http.base_url(self.platform, base_url)}/{version}"
        self.timeout = timeout

    def publish(self, request: PostRequest, token: Token, trail: Trail | None = None) -> Published:
        check_token(self.platform, token)
        if request.media:
            raise unsupported_media(self.platform)
        answer = http.call(
            self.platform, "POST", f"{self.root}/tweets", bearer=token.access_token,
            json_body={"text": request.text}, timeout=self.timeout,
        )  # fmt: skip
        post_id = str(answer.body["data"]["id"])
        return Published(self.platform, post_id, self.url(request, post_id))

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
