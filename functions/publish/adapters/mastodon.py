"""Mastodon: ``POST /api/v1/statuses`` with an ``Idempotency-Key`` header (the server
keeps it for an hour, so a retry within the hour returns the same status). Beyond the
hour ``find_existing`` reads the account's recent statuses."""

from __future__ import annotations

import html
import re
from datetime import datetime
from typing import Any

from functions.publish.adapters import http
from functions.publish.adapters.base import (
    PlatformError,
    PostRequest,
    Published,
    Token,
    check_token,
    same_text,
    unsupported_media,
)

_BREAK = re.compile(r"<br\s*/?>|</p>\s*<p>")
_TAG = re.compile(r"<[^>]+>")


def plain(content: str) -> str:
    """A status's HTML content as text."""
    return html.unescape(_TAG.sub("", _BREAK.sub("\n", content)))


class MastodonAdapter:
    platform = "mastodon"

    def __init__(self, base_url: str | None = None, *, timeout: float = http.TIMEOUT_S) -> None:
        self.base_url, self.timeout = base_url, timeout

    def root(self, request: PostRequest) -> str:
        server = self.base_url or request.instance
        if not server:
            raise PlatformError(self.platform, 0, "no_instance", "the account names no server")
        return server.rstrip("/") + "/api/v1"

    def publish(self, request: PostRequest, token: Token) -> Published:
        check_token(self.platform, token)
        if request.media:
            raise unsupported_media(self.platform)
        answer = http.call(
            self.platform, "POST", f"{self.root(request)}/statuses", bearer=token.access_token,
            json_body={"status": request.text, "visibility": "public"},
            headers={"Idempotency-Key": request.idempotency_key}, timeout=self.timeout,
        )  # fmt: skip
        return _published(answer.body)

    def find_existing(self, request: PostRequest, token: Token) -> Published | None:
        check_token(self.platform, token)
        root = self.root(request)
        me = self._get(f"{root}/accounts/verify_credentials", token)["id"]
        for status in self._get(f"{root}/accounts/{me}/statuses", token, limit="20"):
            if same_text(plain(status.get("content", "")), request.text):
                return _published(status)
        return None

    def _get(self, url: str, token: Token, **query: str) -> Any:
        return http.call(
            self.platform, "GET", url, bearer=token.access_token, query=query or None,
            timeout=self.timeout,
        ).body  # fmt: skip


def _published(status: Any) -> Published:
    if not isinstance(status, dict) or not {"id", "created_at"} <= status.keys():
        # A 200 whose body is not a status (cut off by a proxy, an HTML page): the status
        # may exist, so a retry under the same Idempotency-Key is the safe way to know.
        raise PlatformError(
            "mastodon", 200, "malformed", "the answer was not a status", retryable=True
        )
    when = datetime.fromisoformat(status["created_at"].replace("Z", "+00:00"))
    return Published("mastodon", str(status["id"]), status.get("url") or status["uri"], when)
