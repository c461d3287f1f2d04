"""X (API v2): ``POST /2/tweets`` with an OAuth 2.0 user-context token.

Media needs the separate media upload (not done yet), so a request with media is refused
rather than posted without it. X has no idempotency key: ``find_existing`` reads the
account's own posts since the firing's time (``GET /2/users/me``, ``GET
/2/users/{id}/tweets`` with ``start_time``, every page), so last week's post of the same text
is never taken for this week's.
"""

from __future__ import annotations

from datetime import datetime

from functions.publish.adapters import http
from functions.publish.adapters.base import (
    MAX_PAGES,
    PostRequest,
    Published,
    Token,
    Trail,
    check_token,
    same_text,
    searched_too_far,
    unsupported_media,
    utc_stamp,
)


class XAdapter:
    platform = "x"

    def __init__(self, base_url: str | None = None, *, timeout: float = http.TIMEOUT_S) -> None:
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
        me = self._get("users/me", token)["data"]["id"]
        query = {"max_results": "100", "tweet.fields": "created_at"}
        if trail.floor is not None:
            query["start_time"] = utc_stamp(trail.floor)
        for _ in range(MAX_PAGES):
            page = self._get(f"users/{me}/tweets", token, query)
            found = [
                Published(self.platform, t["id"], self.url(request, t["id"]),
                          datetime.fromisoformat(t["created_at"].replace("Z", "+00:00")))
                for t in page.get("data", []) if same_text(t.get("text", ""), request.text)
            ]  # fmt: skip
            hit = trail.first(found)
            following = (page.get("meta") or {}).get("next_token")
            if hit is not None or not following or trail.floor is None:
                return hit
            query["pagination_token"] = following
        raise searched_too_far(self.platform, trail)

    def _get(self, path: str, token: Token, query: dict[str, str] | None = None) -> dict:
        return http.call(
            self.platform, "GET", f"{self.root}/{path}", bearer=token.access_token,
            query=query, timeout=self.timeout,
        ).body  # fmt: skip
