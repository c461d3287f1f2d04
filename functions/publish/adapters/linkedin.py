"""LinkedIn (Posts API): ``POST /rest/posts`` with the ``LinkedIn-Version`` header (YYYYMM,
from the platform table) and ``X-Restli-Protocol-Version: 2.0.0``; the new post's URN comes
back in the ``x-restli-id`` header. Commentary is "little text": reserved characters are
escaped with a backslash. No idempotency key: what an earlier delivery posted is found among
the author's posts, newest first (``sortBy=CREATED``), back to the firing's time.

Media is uploaded before the post, owned by the author. Every file is read and checked
first (``read_media``), and the items' mix too: a post LinkedIn would refuse uploads nothing.

- An image: ``POST /rest/images?action=initializeUpload`` (``initializeUploadRequest.owner``)
  answers the image URN and an ``uploadUrl`` (another host than the API), to which the bytes
  are PUT with the bearer token. One image is the post's ``content.media`` (``id`` and
  ``altText``); 2 to 20 are ``content.multiImage.images``, in the order given.
- A video, alone: ``POST /rest/videos?action=initializeUpload`` (owner, ``fileSizeBytes``)
  answers the video URN, an ``uploadToken`` and ``uploadInstructions``: each part's bytes
  (``firstByte`` to ``lastByte``) are PUT to its ``uploadUrl``, and the ``ETag`` of each
  answer is kept; ``POST /rest/videos?action=finalizeUpload`` with the video, the token and
  the ETags in order (``uploadedPartIds``); then ``GET /rest/videos/{urn}`` until its
  ``status`` is AVAILABLE (PROCESSING_FAILED fails the post). The post's ``content.media``
  is the video URN with a ``title``.

An asset that was uploaded and never posted (a retry uploads again) is harmless: only the
post itself must not go out twice. A video still processing when the polls run out is a
retryable ``processing_timeout``; the firing wrote down (``Trail.keep``) the video it
finalized, so the next delivery waits for that one instead of uploading the file again."""

from __future__ import annotations

import hashlib
import re
import urllib.parse
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

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
)

_RESERVED = re.compile(r"([\\|{}@\[\]()<>#*_~])")
MAX_IMAGES = 20  # a MultiImage post holds 2 to 20 images
_PENDING = {"PROCESSING", "WAITING_UPLOAD"}


def little_text(text: str) -> str:
    """Escape the characters the little text format reserves."""
    return _RESERVED.sub(r"\\\1", text)


class LinkedInAdapter(Polling):
    platform = "linkedin"
    POLL_S = 5.0
    UPLOAD_TIMEOUT_S = 60.0  # one image, or one part of a video (4 MB)

    def __init__(self, base_url: str | None = None, **options: Any) -> None:
        super().__init__(**options)
        from schema.platforms import PLATFORMS

        self.root = f"{http.base_url(self.platform, base_url)}/rest"
        self.version = PLATFORMS[self.platform].api_version

    def headers(self, **extra: str) -> dict[str, str]:
        return {"LinkedIn-Version": self.version, "X-Restli-Protocol-Version": "2.0.0", **extra}

    def body(self, request: PostRequest, author: str, content: dict | None = None) -> dict:
        body: dict = {
            "author": author,
            "commentary": little_text(request.text),
            "visibility": "PUBLIC",
            "distribution": {"feedDistribution": "MAIN_FEED", "targetEntities": [],
                             "thirdPartyDistributionChannels": []},
            "lifecycleState": "PUBLISHED",
            "isReshareDisabledByAuthor": False,
        }  # fmt: skip
        if content:
            body["content"] = content
        elif request.link:
            body["content"] = {"article": {"source": request.link, "title": request.link}}
        return body

    def publish(self, request: PostRequest, token: Token, trail: Trail | None = None) -> Published:
        check_token(self.platform, token)
        trail = trail or Trail()
        author = _author(request)
        blobs = read_media(self.platform, request, self.media)
        content = self.content(request, blobs, author, token, trail)  # every upload first
        answer = http.call(
            self.platform, "POST", f"{self.root}/posts", bearer=token.access_token,
            json_body=self.body(request, author, content), headers=self.headers(),
            timeout=self.timeout,
        )  # fmt: skip
        urn = answer.headers.get("x-restli-id")
        if not urn:
            raise PlatformError(self.platform, answer.status, "no_id", "no x-restli-id header")
        return Published(self.platform, urn, _url(urn))

    # ---- media ----------------------------------------------------------------------

    def content(
        self, request: PostRequest, blobs: list[Blob], author: str, token: Token, trail: Trail
    ) -> dict | None:
        """The post's ``content`` for its media, uploaded now; None without media."""
        if not blobs:
            return None
        if any(b.kind == "video" for b in blobs):
            if len(blobs) > 1:
                raise _refused("LinkedIn posts a video alone, with no other media item")
            video = self.video(blobs[0], author, token, trail)
            return {"media": {"id": video, "title": _title(blobs[0].alt or request.text)}}
        if len(blobs) > MAX_IMAGES:
            raise _refused(f"LinkedIn posts at most {MAX_IMAGES} images, not {len(blobs)}")
        images = [{"id": self.image(b, author, token), **({"altText": b.alt} if b.alt else {})}
                  for b in blobs]  # fmt: skip
        if len(images) == 1:
            return {"media": images[0]}
        return {"multiImage": {"images": images}}

    def action(self, resource: str, action: str, token: Token, body: dict) -> dict[str, Any]:
        """``POST /rest/{resource}?action=...`` (a Rest.li action): its ``value``."""
        answer = http.call(
            self.platform, "POST", f"{self.root}/{resource}", bearer=token.access_token,
            query={"action": action}, json_body=body, headers=self.headers(),
            timeout=self.timeout,
        )  # fmt: skip
        value = answer.body.get("value") if isinstance(answer.body, dict) else None
        return value if isinstance(value, dict) else {}

    def put(self, url: str, data: bytes, token: Token) -> dict[str, str]:
        """PUT bytes to an upload URL LinkedIn gave; the answer's headers."""
        return http.send(
            self.platform, "PUT", url, data, "application/octet-stream",
            bearer=token.access_token, timeout=self.upload_timeout,
        ).headers  # fmt: skip

    def image(self, item: Blob, author: str, token: Token) -> str:
        """Upload one image (Images API); its URN."""
        value = self.action("images", "initializeUpload", token,
                            {"initializeUploadRequest": {"owner": author}})  # fmt: skip
        urn, url = value.get("image"), value.get("uploadUrl")
        if not (isinstance(urn, str) and isinstance(url, str)):
            raise _malformed("initializeUpload (images) answered no image or uploadUrl")
        self.put(url, item.data, token)
        return urn

    def video(self, item: Blob, author: str, token: Token, trail: Trail) -> str:
        """The URN of the video, uploaded (Videos API) and AVAILABLE. One an earlier
        delivery of this firing finalized, with the same bytes, is waited for again (and
        uploaded anew if LinkedIn lost it or could not process it)."""
        digest = hashlib.sha256(item.data).hexdigest()[:32]
        noted, _, urn = trail.notes.get("video", "").partition(" ")
        if noted == digest and urn:
            try:
                self.wait(urn, token)
                return urn
            except PlatformError as error:  # gone, or it failed: upload it again
                if error.status != 404 and error.code != "processing_failed":
                    raise
        urn = self.upload_video(item, author, token)
        trail.keep("video", f"{digest} {urn}")
        self.wait(urn, token)
        return urn

    def upload_video(self, item: Blob, author: str, token: Token) -> str:
        """initializeUpload, each part PUT, finalizeUpload with the parts' ETags in order."""
        value = self.action("videos", "initializeUpload", token, {"initializeUploadRequest": {
            "owner": author, "fileSizeBytes": item.size, "uploadCaptions": False,
            "uploadThumbnail": False}})  # fmt: skip
        urn, parts = value.get("video"), value.get("uploadInstructions")
        if not (isinstance(urn, str) and isinstance(parts, list) and parts):
            raise _malformed("initializeUpload (videos) answered no video or uploadInstructions")
        etags, at = [], 0
        for part in parts:
            part = part if isinstance(part, dict) else {}
            first, last, url = part.get("firstByte"), part.get("lastByte"), part.get("uploadUrl")
            if not (first == at and isinstance(last, int) and first <= last < item.size
                    and isinstance(url, str)):  # fmt: skip
                raise _malformed(f"initializeUpload (videos) answered a part {first}-{last} "
                                 f"that does not follow byte {at - 1} of {item.size}")  # fmt: skip
            etag = self.put(url, item.data[first : last + 1], token).get("etag")
            if not etag:
                raise _malformed(f"the upload of bytes {first}-{last} answered no ETag")
            etags.append(etag)
            at = last + 1
        if at != item.size:
            raise _malformed(f"the upload instructions end at byte {at} of {item.size}")
        self.action("videos", "finalizeUpload", token, {"finalizeUploadRequest": {
            "video": urn, "uploadToken": str(value.get("uploadToken") or ""),
            "uploadedPartIds": etags}})  # fmt: skip
        return urn

    def wait(self, urn: str, token: Token) -> None:
        """Poll the video until AVAILABLE; PROCESSING_FAILED fails the post, and a video
        still processing after ``max_polls`` is a retryable ``processing_timeout``."""
        url = f"{self.root}/videos/{urllib.parse.quote(urn, safe='')}"
        for _ in range(self.max_polls):
            body = http.call(self.platform, "GET", url, bearer=token.access_token,
                             headers=self.headers(), timeout=self.timeout).body  # fmt: skip
            status = body.get("status") if isinstance(body, dict) else None
            if status == "AVAILABLE":
                return
            if status == "PROCESSING_FAILED":
                raise PlatformError(self.platform, 200, "processing_failed",
                                    f"LinkedIn could not process the video {urn}")  # fmt: skip
            if status not in _PENDING:
                raise PlatformError(self.platform, 200, str(status), "unknown video status")
            self.sleep(self.poll_interval_s)
        raise PlatformError(
            self.platform, 0, "processing_timeout", f"the video {urn} was still processing",
            retryable=True,
        )  # fmt: skip

    # ---- this firing's post ------------------------------------------------------------

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


def _refused(reason: str) -> PlatformError:
    """Media LinkedIn cannot post together (never retried: the YAML must change)."""
    return PlatformError("linkedin", 0, "media_refused", reason)


def _malformed(reason: str) -> PlatformError:
    """An upload answer that is not as documented (not retried)."""
    return PlatformError("linkedin", 200, "bad_upload", reason)


def _title(text: str, most: int = 200) -> str:
    """A video's title: the first line of its alt text or of the post."""
    line = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return line if len(line) <= most else line[: most - 1].rstrip() + "…"


def _published(post: dict) -> Published:
    created = post.get("createdAt")
    when = (datetime.fromtimestamp(created / 1000, UTC) if isinstance(created, int | float)
            else None)  # fmt: skip
    return Published("linkedin", str(post["id"]), _url(str(post["id"])), when)


def _url(urn: str) -> str:
    return f"https://www.linkedin.com/feed/update/{urllib.parse.quote(urn, safe=':')}/"
