"""Meta's Graph API, shared by Instagram and Facebook Pages: versioned URLs, the token as
the ``access_token`` parameter, and reading back a post's permalink."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from functions.common.platform import http
from functions.common.platform.errors import PlatformError
from functions.common.platform.tokens import Token
from functions.publish.adapters.base import Page, Polling, PostRequest, Published, Trail, search


class Graph(Polling):
    platform = "facebook"
    POLL_S = 2.0

    def __init__(self, base_url: str | None = None, **options: Any) -> None:
        super().__init__(**options)
        from schema.platforms import PLATFORMS

        self.root = (
            f"{http.base_url(self.platform, base_url)}/{PLATFORMS[self.platform].api_version}"
        )
        self.posts_per_day = PLATFORMS[self.platform].posts_per_day or 25

    def get(self, path: str, token: Token, **query: str) -> Any:
        query["access_token"] = token.access_token
        url = f"{self.root}/{path}"
        return http.call(self.platform, "GET", url, query=query, timeout=self.timeout).body

    def post(self, path: str, token: Token, **form: str) -> Any:
        form["access_token"] = token.access_token
        url = f"{self.root}/{path}"
        return http.call(self.platform, "POST", url, form=form, timeout=self.timeout).body

    def find_ours(
        self, edge: str, token: Token, text_field: str, fields: str, text: str, trail: Trail,
        published: Callable[[dict[str, Any]], Published],
    ) -> Published | None:  # fmt: skip
        """The item of ``edge`` with ``text`` in ``text_field`` that this firing may take:
        posted since the firing's time (``since``, every page), so that last week's post of
        the same text is never taken for this week's."""
        query = {"fields": fields, "limit": "100"}
        if trail.floor is not None:
            query["since"] = str(int(trail.floor.timestamp()))

        def pages() -> Iterator[Page]:
            while True:
                body = self.get(edge, token, **query)
                posts = [(published(dict(item)), item.get(text_field, ""))
                         for item in body.get("data", [])]  # fmt: skip
                paging = body.get("paging") or {}
                after = (paging.get("cursors") or {}).get("after")
                yield posts, bool(paging.get("next") and after)
                query["after"] = str(after)

        return search(self.platform, pages(), text, trail)


def created_at(stamp: str | None) -> datetime | None:
    """A Graph time (2024-05-01T09:00:00+0000), or None when the answer has none."""
    return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S%z") if stamp else None


def account(platform: str, request: PostRequest) -> str:
    if not request.account_id:
        raise PlatformError(platform, 0, "no_account_id", "the account has no platform id")
    return request.account_id
