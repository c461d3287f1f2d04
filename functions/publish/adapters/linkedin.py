"""LinkedIn (Posts API): ``POST /rest/posts`` with the ``LinkedIn-Version`` header (YYYYMM,
from the platform table) and ``X-Restli-Protocol-Version: 2.0.0``; the new post's URN comes
back in the ``x-restli-id`` header. Commentary is "little text": reserved characters are
escaped with a backslash. No idempotency key: what an earlier delivery posted is found among
the author's posts, newest first (``sortBy=CREATED``), back to the firing's time."""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Iterator
from datetime import UTC, datetime

from functions.common.media import Loader
from functions.common.platform import http
from functions.common.platform.errors import PlatformError
from functions.common.platform.tokens import Token
from functions.publish.adapters.base import (
    Page,
    PostRequest,
    Published,
    Trail,
    check_token,
    search,
    unsupported_media,
)

_RESERVED = re.compile(r"([\\|{}@\[\]()<>#*_~])")


def little_text(text: str) -> str:
    """Escape the characters the little text format reserves."""
    return _RESERVED.sub(r"\\\1", text)


class LinkedInAdapter:
    platform = "linkedin"

    def __init__(
        self,
        base_url: str | None = None,
        *,
        timeout: float = http.TIMEOUT_S,
        media: Loader | None = None,
    ) -> None:
        self.media = media  # (url, kind, alt) -> Blob; None: the deployment's store
        from schema.platforms import PLATFORMS

        self.root = f"{http.base_url(self.platform, base_url)}/rest"
        self.version = PLATFORMS[self.platform].api_version
        self.timeout = timeout

    def headers(self, **extra: str) -> dict[str, str]:
        return {"LinkedIn-Version": self.version, "X-Restli-Protocol-Version": "2.0.0", **extra}

    def body(self, request: PostRequest, author: str) -> dict:
        body: dict = {
            "author": author,
            "commentary": little_text(request.text),
            "visibility": "PUBLIC",
            "distribution": {"feedDistribution": "MAIN_FEED", "targetEntities": [],
                             "thirdPartyDistributionChannels": []},
            "lifecycleState": "PUBLISHED",
            "isReshareDisabledByAuthor": False,
        }  # fmt: skip
        if request.media:
            raise unsupported_media(self.platform)
        if request.link:
            body["content"] = {"article": {"source": request.link, "title": request.link}}
        return body

    def publish(self, request: PostRequest, token: Token, trail: Trail | None = None) -> Published:
        check_token(self.platform, token)
        author = _author(request)
        answer = http.call(
            self.platform, "POST", f"{self.root}/posts", bearer=token.access_token,
            json_body=self.body(request, author), headers=self.headers(), timeout=self.timeout,
        )  # fmt: skip
        urn = answer.headers.get("x-restli-id")
        if not urn:
            raise PlatformError(self.platform, answer.status, "no_id", "no x-restli-id header")
        return Published(self.platform, urn, _url(urn))

    def find_existing(
        self, request: PostRequest, token: Token, trail: Trail | None = None
    ) -> Published | None:
        check_token(self.platform, token)
        trail = trail or Trail()
        pages = self._pages(_author(request), token)
        return search(self.platform, pages, little_text(request.text), trail)

    def _pages(self, author: str, token: Token, count: int = 50) -> Iterator[Page]:
        """The author's posts, newest first (``sortBy=CREATED``), page by page."""
        start = 0
        while True:
            query = {"author": author, "q": "author", "sortBy": "CREATED",
                     "count": str(count), "start": str(start)}  # fmt: skip
            elements = http.call(
                self.platform, "GET", f"{self.root}/posts", bearer=token.access_token,
                query=query, headers=self.headers(**{"X-RestLi-Method": "FINDER"}),
                timeout=self.timeout,
            ).body  # fmt: skip
            posts = [(_published(e), e.get("commentary", "")) for e in elements.get("elements", [])]
            start += len(posts)
            total = (elements.get("paging") or {}).get("total")
            yield posts, start < total if isinstance(total, int) else len(posts) == count


def _author(request: PostRequest) -> str:
    if not request.account_id or not request.account_id.startswith("urn:li:"):
        raise PlatformError(
            "linkedin", 0, "no_author", "the account id must be an organization or person URN"
        )
    return request.account_id


def _published(post: dict) -> Published:
    created = post.get("createdAt")
    when = (datetime.fromtimestamp(created / 1000, UTC) if isinstance(created, int | float)
            else None)  # fmt: skip
    return Published("linkedin", str(post["id"]), _url(str(post["id"])), when)


def _url(urn: str) -> str:
    return f"https://www.linkedin.com/feed/update/{urllib.parse.quote(urn, safe=':')}/"
