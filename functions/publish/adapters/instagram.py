"""Instagram (Graph API content publishing): check ``content_publishing_limit``, create
a media container, wait until its ``status_code`` is FINISHED, then ``media_publish``.

The container is the firing's handle: its id is written down (``Trail.keep``) before
``media_publish``, and a container that was published says so (``status_code`` PUBLISHED).
A later delivery asks the container, not the captions: one still FINISHED is published
now (never a second container), one PUBLISHED is looked for among the account's media since
the firing's time, and one EXPIRED or in ERROR published nothing.

Instagram fetches each image or video from its URL itself (there is no upload): the files
are read from the media store and checked against Instagram's types and sizes first
(``read_media``), so a file it would refuse fails before any container is made."""

from __future__ import annotations

from functions.common.platform.errors import PlatformError
from functions.common.platform.tokens import Token
from functions.publish.adapters.base import (
    PostRequest,
    Published,
    Trail,
    Uncertain,
    check_token,
    read_media,
)
from functions.publish.adapters.graph import Graph, account, created_at


class InstagramAdapter(Graph):
    platform = "instagram"

    def publish(self, request: PostRequest, token: Token, trail: Trail | None = None) -> Published:
        check_token(self.platform, token)
        trail = trail or Trail()
        user = account(self.platform, request)
        container = trail.notes.get("container")
        status = self.status_of(container, token) if container else None
        if status == "PUBLISHED":  # an earlier delivery published it: never a second one
            return self._published_from(container or "", request, token, trail)
        if status not in ("FINISHED", "IN_PROGRESS"):
            # Instagram pulls each file from its URL itself: the files are still read and
            # checked first, so that one it would refuse fails here, before any container
            blobs = read_media(self.platform, request, self.media)
            self.check_limit(user, token)
            container = self.create_container(user, request, token, [b.link for b in blobs])
            trail.keep("container", container)  # before media_publish: the firing's handle
        assert container is not None
        self.wait_finished(container, token)
        media = self.post(f"{user}/media_publish", token, creation_id=container)["id"]
        return self.read(str(media), token)

    def status_of(self, container: str, token: Token) -> str:
        return str(self.get(container, token, fields="status_code").get("status_code", ""))

    def check_limit(self, user: str, token: Token) -> None:
        body = self.get(f"{user}/content_publishing_limit", token, fields="quota_usage,config")
        data = (body.get("data") or [{}])[0]
        used = int(data.get("quota_usage", 0))
        total = int((data.get("config") or {}).get("quota_total", self.posts_per_day))
        if used >= total:
            raise PlatformError(
                self.platform, 0, "publishing_limit",
                f"the account used its {total} posts of the last 24 hours",
                retryable=True, retry_after_s=3600.0,
            )  # fmt: skip

    def create_container(self, user: str, request: PostRequest, token: Token,
                         links: list[str] | None = None) -> str:  # fmt: skip
        """The post's container; ``links``: where Instagram fetches each file (a stored
        file's presigned link), in the request's order (default: the URLs it names)."""
        if not request.media:
            raise PlatformError(self.platform, 0, "media_required", "a post needs an image")
        items = [((link or url), kind, alt) for (url, kind, alt), link
                 in zip(request.media, links or [""] * len(request.media), strict=True)]  # fmt: skip
        if len(items) == 1:
            return self._item(user, items[0], token, caption=request.text)
        children = [self._item(user, m, token, is_carousel_item="true") for m in items]
        for child in children:
            self.wait_finished(child, token)
        return str(
            self.post(f"{user}/media", token, media_type="CAROUSEL",
                      children=",".join(children), caption=request.text)["id"]
        )  # fmt: skip

    def _item(self, user: str, media: tuple[str, str, str], token: Token, **form: str) -> str:
        url, kind, alt = media
        if kind == "video":
            form.update(media_type="REELS", video_url=url)
        else:
            form.update(image_url=url)
            if alt:
                form["alt_text"] = alt
        return str(self.post(f"{user}/media", token, **form)["id"])

    def wait_finished(self, container: str, token: Token) -> None:
        for _ in range(self.max_polls):
            status = self.status_of(container, token)
            if status == "FINISHED":
                return
            if status in ("ERROR", "EXPIRED"):
                raise PlatformError(
                    self.platform, 0, f"container_{status.lower()}",
                    f"Instagram could not process the media (container {status})",
                )  # fmt: skip
            self.sleep(self.poll_interval_s)
        raise PlatformError(
            self.platform, 0, "container_timeout", "the media was still processing",
            retryable=True,
        )  # fmt: skip

    def read(self, media: str, token: Token) -> Published:
        body = self.get(media, token, fields="permalink,timestamp")
        return _published(media, body)

    def find_existing(
        self, request: PostRequest, token: Token, trail: Trail | None = None
    ) -> Published | None:
        check_token(self.platform, token)
        trail = trail or Trail()
        container = trail.notes.get("container")
        if container:
            if self.status_of(container, token) != "PUBLISHED":
                return None  # its container was not published: nothing went out
            return self._published_from(container, request, token, trail)
        return self._search(request, token, trail)  # a record older than containers noted

    def _search(self, request: PostRequest, token: Token, trail: Trail) -> Published | None:
        user = account(self.platform, request)
        fields = "id,caption,permalink,timestamp"
        return self.find_ours(f"{user}/media", token, "caption", fields, request.text, trail,
                              lambda item: _published(str(item["id"]), item))  # fmt: skip

    def _published_from(
        self, container: str, request: PostRequest, token: Token, trail: Trail
    ) -> Published:
        found = self._search(request, token, trail)
        if found is None:
            raise Uncertain(
                f"instagram: container {container} of this firing was published, but no "
                "media of the account since then carries its caption (edited or deleted?)"
            )
        return found


def _published(media: str, body: dict[str, str]) -> Published:
    when = created_at(body.get("timestamp"))
    return Published("instagram", media, body.get("permalink", ""), when)
