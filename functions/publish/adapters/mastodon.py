"""Mastodon: ``POST /api/v1/statuses`` with an ``Idempotency-Key`` header (the server
keeps it for an hour, so a retry within the hour returns the same status). Beyond the
hour (a redrive from the dead-letter queue) ``find_existing`` reads the account's statuses,
newest first, back to the firing's time: last week's status of the same text is not ours."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from functions.common.media import Loader
from functions.common.platform import http
from functions.common.platform.errors import PlatformError
from functions.common.platform.tokens import Token
from functions.common.text import html_text
from functions.publish.adapters.base import (
    Page,
    PostRequest,
    Published,
    Trail,
    check_token,
    search,
    unsupported_media,
)


class MastodonAdapter:
    platform = "mastodon"

    def __init__(
        self,
        base_url: str | None = None,
        *,
        timeout: float = http.TIMEOUT_S,
        media: Loader | None = None,
    ) -> None:
        self.media = media  # (url, kind, alt) -> Blob; None: the deployment's store
        self.base_url, self.timeout = base_url, timeout

    def root(self, request: PostRequest) -> str:
        server = self.base_url or request.instance
        if not server:
            raise PlatformError(self.platform, 0, "no_instance", "the account names no server")
        return server.rstrip("/") + "/api/v1"

    def publish(self, request: PostRequest, token: Token, trail: Trail | None = None) -> Published:
        check_token(self.platform, token)
        if request.media:
            raise unsupported_media(self.platform)
        answer = http.call(
            self.platform, "POST", f"{self.root(request)}/statuses", bearer=token.access_token,
            json_body={"status": request.text, "visibility": "public"},
            headers={"Idempotency-Key": request.idempotency_key}, timeout=self.timeout,
        )  # fmt: skip
        return _published(answer.body)

    def find_existing(
        self, request: PostRequest, token: Token, trail: Trail | None = None
    ) -> Published | None:
        check_token(self.platform, token)
        trail = trail or Trail()
        root = self.root(request)
        me = self._get(f"{root}/accounts/verify_credentials", token)["id"]
        query = {"limit": "40"}

        def pages() -> Iterator[Page]:  # until an empty page (Mastodon pages by max_id)
            while True:
                page = self._get(f"{root}/accounts/{me}/statuses", token, **query)
                statuses = page if isinstance(page, list) else []
                posts = [(_published(s), html_text(s.get("content", ""))) for s in statuses]
                yield posts, True
                if posts:
                    query["max_id"] = posts[-1][0].post_id

        return search(self.platform, pages(), request.text, trail)

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
