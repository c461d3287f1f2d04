"""Mastodon: ``POST /api/v1/statuses`` with an ``Idempotency-Key`` header (the server
keeps it for an hour, so a retry within the hour returns the same status). Beyond the
hour (a redrive from the dead-letter queue) ``find_existing`` reads the account's statuses,
newest first, back to the firing's time: last week's status of the same text is not ours.

Media: each file is read and checked first (``read_media``: nothing is uploaded when one
is refused), then uploaded to ``POST /api/v2/media`` (multipart: ``file``, and its alt
text as ``description``), which answers 200 with the attachment (its ``url`` set) or 202
while the server still processes it (``url`` null; a video, a large file): then
``GET /api/v1/media/:id`` is asked every ``poll_interval_s`` (through ``sleep``) until it
answers 200 with the ``url`` (206 while processing), at most ``max_polls`` times (then a
retryable ``processing_timeout``). The status then names them in ``media_ids``: up to 4
attachments, a video alone. Uploads come before the status: a retry uploads again (an
attachment no status names is removed by the server) but posts under the same
Idempotency-Key, so it never posts twice."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from functions.common import media
from functions.common.media import Blob
from functions.common.platform import http
from functions.common.platform.errors import PlatformError
from functions.common.platform.tokens import Token
from functions.common.text import html_text
from functions.publish.adapters.base import (
    Page,
    Polling,
    PostRequest,
    Published,
    Trail,
    check_token,
    read_media,
    search,
)

MAX_ATTACHMENTS = 4  # Mastodon's max_media_attachments


class MastodonAdapter(Polling):
    platform = "mastodon"
    POLL_S = 2.0

    def __init__(self, base_url: str | None = None, **options: Any) -> None:
        super().__init__(**options)
        self.base_url = base_url

    def server(self, request: PostRequest) -> str:
        server = self.base_url or request.instance
        if not server:
            raise PlatformError(self.platform, 0, "no_instance", "the account names no server")
        return server.rstrip("/")

    def root(self, request: PostRequest) -> str:
        return self.server(request) + "/api/v1"

    def publish(self, request: PostRequest, token: Token, trail: Trail | None = None) -> Published:
        check_token(self.platform, token)
        items = read_media(self.platform, request, self.media)  # all of them, before any upload
        body: dict[str, Any] = {"status": request.text, "visibility": "public"}
        if items:
            body["media_ids"] = self.attach(request, token, items)
        answer = http.call(
            self.platform, "POST", f"{self.root(request)}/statuses", bearer=token.access_token,
            json_body=body, headers={"Idempotency-Key": request.idempotency_key},
            timeout=self.timeout,
        )  # fmt: skip
        return _published(answer.body)

    def attach(self, request: PostRequest, token: Token, items: list[Blob]) -> list[str]:
        """The attachment ids of ``items``, each uploaded and processed."""
        if len(items) > 1 and any(item.kind == "video" for item in items):
            raise media.refused(self.platform, media.MediaError(
                "Mastodon takes a video alone in a status, with no other media"))  # fmt: skip
        if len(items) > MAX_ATTACHMENTS:
            raise media.refused(self.platform, media.MediaError(
                f"Mastodon takes up to {MAX_ATTACHMENTS} attachments in a status, not "
                f"{len(items)}"))  # fmt: skip
        return [self.upload(request, token, item) for item in items]

    def upload(self, request: PostRequest, token: Token, item: Blob) -> str:
        """``POST /api/v2/media``; the attachment's id once the server has processed it."""
        fields = {"description": item.alt} if item.alt else {}
        data, content_type = http.multipart(fields, {"file": (item.filename, item.mime, item.data)})
        answer = http.send(
            self.platform, "POST", f"{self.server(request)}/api/v2/media", data, content_type,
            bearer=token.access_token, timeout=self.timeout,
        )  # fmt: skip
        attachment = _attachment(answer.body)
        if answer.status != 200 or not attachment.get("url"):  # 202: still processing
            self.processed(request, token, str(attachment["id"]))
        return str(attachment["id"])

    def processed(self, request: PostRequest, token: Token, media_id: str) -> None:
        """Wait until ``GET /api/v1/media/:id`` answers 200 with the attachment's url."""
        for _ in range(self.max_polls):
            self.sleep(self.poll_interval_s)
            try:
                answer = http.call(
                    self.platform, "GET", f"{self.root(request)}/media/{media_id}",
                    bearer=token.access_token, timeout=self.timeout,
                )  # fmt: skip
            except PlatformError as error:
                if error.status != 422:
                    raise
                raise PlatformError(self.platform, 422, "media_failed",
                                    "Mastodon could not process the media file") from None  # fmt: skip
            if answer.status == 200 and _attachment(answer.body).get("url"):
                return
        raise PlatformError(
            self.platform, 0, "processing_timeout", "the media was still processing",
            retryable=True,
        )  # fmt: skip

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


def _attachment(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict) or "id" not in body:
        # a 2xx whose body is not an attachment (cut off by a proxy): upload again
        raise PlatformError(
            "mastodon", 200, "malformed", "the answer was not a media attachment", retryable=True
        )
    return body


def _published(status: Any) -> Published:
    if not isinstance(status, dict) or not {"id", "created_at"} <= status.keys():
        # A 200 whose body is not a status (cut off by a proxy, an HTML page): the status
        # may exist, so a retry under the same Idempotency-Key is the safe way to know.
        raise PlatformError(
            "mastodon", 200, "malformed", "the answer was not a status", retryable=True
        )
    when = datetime.fromisoformat(status["created_at"].replace("Z", "+00:00"))
    return Published("mastodon", str(status["id"]), status.get("url") or status["uri"], when)
