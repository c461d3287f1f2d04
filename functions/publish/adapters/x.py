"""X (API v2): ``POST /2/tweets`` with an OAuth 2.0 user-context token.

Media needs the separate media upload (not done yet), so a request with media is refused
rather than posted without it. X has no idempotency key: ``find_existing`` reads the
account's recent posts (``GET /2/users/me``, ``GET /2/users/{id}/tweets``).
"""

from __future__ import annotations

from datetime import datetime

from functions.publish.adapters import http
from functions.publish.adapters.base import (
    PostRequest,
    Published,
    Token,
    check_token,
    same_text,
    unsupported_media,
)


class XAdapter:
    platform = "x"

    def __init__(self, base_url: str | None = None, *, timeout: float = http.TIMEOUT_S) -> None:
        from schema.platforms import PLATFORMS

        version = PLATFORMS[self.platform].api_version
        self.root = f"{http.base_url(self.platform, base_url)}/{version}"
        self.timeout = timeout

    def publish(self, request: PostRequest, token: Token) -> Published:
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

    def find_existing(self, request: PostRequest, token: Token) -> Published | None:
        check_token(self.platform, token)
        me = self._get("users/me", token)["data"]["id"]
        query = {"max_results": "20", "tweet.fields": "created_at"}
        for tweet in self._get(f"users/{me}/tweets", token, query).get("data", []):
            if same_text(tweet.get("text", ""), request.text):
                when = datetime.fromisoformat(tweet["created_at"].replace("Z", "+00:00"))
                return Published(self.platform, tweet["id"], self.url(request, tweet["id"]), when)
        return None

    def _get(self, path: str, token: Token, query: dict[str, str] | None = None) -> dict:
        return http.call(
            self.platform, "GET", f"{self.root}/{path}", bearer=token.access_token,
            query=query, timeout=self.timeout,
        ).body  # fmt: skip
