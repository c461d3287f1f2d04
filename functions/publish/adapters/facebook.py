"""Facebook Pages (Graph API): ``POST /{page-id}/feed`` with message and link; a photo or a
video uploaded as the bytes that were read and checked (``read_media``), so that what is
posted is what was checked: one media item a post.

A photo: ``POST /{page-id}/photos``, multipart, the file as ``source`` with the ``caption``;
its answer names the Page post (``post_id``).

A video: the resumable upload of Page videos (developers.facebook.com/docs/graph-api/
video-uploads), on Graph's video host (graph-video.facebook.com): ``POST
/{page-id}/videos`` with ``upload_phase=start`` and ``file_size`` (an upload session and the
video's id), ``upload_phase=transfer`` with each ``video_file_chunk`` at the
``start_offset`` Facebook asks for until it asks for none (its ``end_offset`` sets each
chunk's size), then ``upload_phase=finish`` with the ``description``, which publishes it.
Facebook then processes the video: ``GET /{video-id}?fields=status,post_id`` every
``poll_interval_s`` until ``status.video_status`` is ready and the video has its Page post
(``post_id``); error or expired fails the post (not retried), still processing after
``max_polls`` is ``processing_timeout`` (retried).

No idempotency key: what an earlier delivery posted is found among the Page's posts since
the firing's time. A video is the firing's handle once ``finish`` is sent: its id is written
down (``Trail.keep``) just before, and cleared when ``finish`` is refused outright; a later
delivery asks that video (processed: its post; in error, expired or gone: nothing went out;
still processing after ``max_polls``: a person decides) rather than upload a second one."""

from __future__ import annotations

from typing import Any

from functions.common import media
from functions.common.media import Blob
from functions.common.platform import http
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

VIDEO_API = "https://graph-video.facebook.com"  # where Graph takes video uploads
FAILED = ("error", "expired")  # a video status that will never be posted


class FacebookAdapter(Graph):
    platform = "facebook"

    def __init__(self, base_url: str | None = None, **options: Any) -> None:
        super().__init__(base_url, **options)
        version = self.root.rsplit("/", 1)[-1]
        # a peer (tests, simulate) takes uploads at its one address
        self.video_root = self.root if base_url else f"{VIDEO_API}/{version}"

    def publish(self, request: PostRequest, token: Token, trail: Trail | None = None) -> Published:
        check_token(self.platform, token)
        page = account(self.platform, request)
        trail = trail or Trail()
        items = read_media(self.platform, request, self.media)  # every file, before any upload
        if len(items) > 1:
            raise media.refused(self.platform, media.MediaError(
                f"Facebook takes one photo or one video on a post from socialops, not "
                f"{len(items)} media items"))  # fmt: skip
        if items and items[0].kind == "video":
            return self.video(page, items[0], request, token, trail)
        if items:
            item = items[0]
            body = self.upload(f"{self.root}/{page}/photos", token, {"caption": request.text},
                               {"source": (item.filename, item.mime, item.data)})  # fmt: skip
            post_id = str(body.get("post_id") or body["id"])
        else:
            form = {"message": request.text}
            if request.link:
                form["link"] = request.link
            post_id = str(self.post(f"{page}/feed", token, **form)["id"])
        return self.read(post_id, token)

    def upload(
        self, url: str, token: Token, fields: dict[str, str],
        files: dict[str, tuple[str, str, bytes]] | None = None,
    ) -> Any:  # fmt: skip
        """A multipart POST (the token as ``access_token``, as Graph takes it in a form)."""
        body, content_type = http.multipart({**fields, "access_token": token.access_token},
                                            files or {})  # fmt: skip
        return http.send(self.platform, "POST", url, body, content_type,
                         timeout=self.upload_timeout).body  # fmt: skip

    def video(
        self, page: str, item: Blob, request: PostRequest, token: Token, trail: Trail
    ) -> Published:
        noted = trail.notes.get("video")
        if noted:  # an earlier delivery sent finish: never a second video while it stands
            earlier = self.noted_video(noted, token)
            if earlier is not None:
                return earlier
        url = f"{self.video_root}/{page}/videos"
        start = self.upload(url, token, {"upload_phase": "start", "file_size": str(item.size)})
        session, video = str(start["upload_session_id"]), str(start["video_id"])
        at, end = int(start["start_offset"]), int(start["end_offset"])
        while at < end:
            sent = self.upload(url, token, {"upload_phase": "transfer", "upload_session_id": session,
                                            "start_offset": str(at)},
                               {"video_file_chunk": (item.filename, item.mime, item.data[at:end])})  # fmt: skip
            at, end = int(sent["start_offset"]), int(sent["end_offset"])
        trail.keep("video", video)  # before finish, which publishes it: the firing's handle
        try:
            self.upload(url, token, {"upload_phase": "finish", "upload_session_id": session,
                                     "description": request.text})  # fmt: skip
        except PlatformError as error:
            if 0 < error.status < 500:  # refused outright: Facebook will not publish it
                trail.keep("video", "")
            raise
        return self.read(self.wait_posted(video, token), token)

    def video_state(self, video: str, token: Token) -> tuple[str, str]:
        """The video's ``status.video_status`` and its Page post's id ("" while none)."""
        body = self.get(video, token, fields="status,post_id")
        status = (body.get("status") or {}).get("video_status", "")
        return str(status), str(body.get("post_id") or "")

    def wait_posted(self, video: str, token: Token) -> str:
        """The video's Page post, once Facebook has processed it: at most ``max_polls``
        reads, ``poll_interval_s`` apart."""
        for polls in range(1, self.max_polls + 1):
            status, post_id = self.video_state(video, token)
            if status == "ready" and post_id:
                return post_id
            if status in FAILED:
                raise PlatformError(self.platform, 200, "processing_failed",
                                    f"Facebook could not process the video ({status})")  # fmt: skip
            if polls < self.max_polls:
                self.sleep(self.poll_interval_s)
        raise PlatformError(
            self.platform, 0, "processing_timeout", "Facebook was still processing the video",
            retryable=True,
        )  # fmt: skip

    def noted_video(self, video: str, token: Token) -> Published | None:
        """The post of a video an earlier delivery sent finish for; None when that video
        went nowhere (in error, expired, or gone)."""
        try:
            return self.read(self.wait_posted(video, token), token)
        except PlatformError as error:
            if error.code == "processing_failed" or error.code.split("/")[0] == "100":
                return None  # Facebook says it failed, or has no such video: nothing went out
            raise

    def read(self, post_id: str, token: Token) -> Published:
        body = self.get(post_id, token, fields="permalink_url,created_time")
        return _published(post_id, body)

    def find_existing(
        self, request: PostRequest, token: Token, trail: Trail | None = None
    ) -> Published | None:
        check_token(self.platform, token)
        page = account(self.platform, request)
        trail = trail or Trail()
        video = trail.notes.get("video")
        if video:
            try:
                return self.noted_video(video, token)
            except PlatformError as error:
                if error.code != "processing_timeout":
                    raise
                raise Uncertain(f"facebook: video {video} of this firing is still processing; "
                                "check the Page") from error  # fmt: skip
        fields = "id,message,permalink_url,created_time"
        return self.find_ours(f"{page}/posts", token, "message", fields, request.text,
                              trail, lambda item: _published(str(item["id"]), item))  # fmt: skip


def _published(post_id: str, body: dict[str, str]) -> Published:
    when = created_at(body.get("created_time"))
    url = body.get("permalink_url") or f"https://www.facebook.com/{post_id}"
    return Published("facebook", post_id, url, when)
