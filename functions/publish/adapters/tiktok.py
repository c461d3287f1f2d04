"""TikTok (Content Posting API, direct post): ``creator_info/query`` for the privacy
levels the creator may use, ``video/init`` with ``FILE_UPLOAD``, the video's bytes PUT to
the ``upload_url`` it answers, then ``status/fetch`` until PUBLISH_COMPLETE. Every API
answer carries ``error.code``; anything but "ok" fails.

The video goes up as a file: ``PULL_FROM_URL`` takes only URLs under a prefix verified as
the app's own, which the media store's S3 objects are not. It is read and checked first
(``read_media``: a file TikTok does not take fails with nothing sent), then sent as the
media transfer guide says: ``chunk_size`` bytes a chunk (``CHUNK_BYTES``; chunks of 5 to 64
MB), ``video_size // chunk_size`` chunks, the last one taking the remainder (up to 128 MB);
a video no larger than one chunk goes whole (``chunk_size`` is its size: under 5 MB it
must). Each chunk is a ``PUT`` in order with ``Content-Type`` (video/mp4, video/quicktime,
video/webm), ``Content-Length`` and ``Content-Range: bytes first-last/total``; TikTok
answers 206 until the last, then 201. The upload URL carries its own token: no bearer.

TikTok has no idempotency key, but it can be asked. Only ``video/init`` can make a post,
and only with the bytes its ``upload_url`` then receives. The firing writes down
(``Trail.keep``) that it is about to call init (``init``: the source and the video's size),
the ``publish_id`` it got, that the last chunk is about to leave (``last_chunk``), and that
TikTok answered 201 to it (``uploaded``). A later delivery, or a retry of this one after a
429 or a 5xx on a chunk, goes by what was written down:

- ``uploaded``: it asks ``status/fetch`` for that publish_id until the end (complete: that
  is the post; failed: nothing went out; still processing: a person decides, ``Uncertain``);
- a publish_id whose last chunk never left: TikTok cannot publish a video it does not
  wholly hold, and no one else has its upload URL (kept in memory only, valid for an
  hour), so that publish_id is left behind, never to be a post (its status stays
  PROCESSING_UPLOAD, or FAILED), and init is called again, the whole video sent anew;
- a publish_id whose last chunk left without its 201 (a lost answer, a crash): TikTok says
  (``status/fetch``): PROCESSING_UPLOAD with fewer ``uploaded_bytes`` than the video's
  size is left behind as above; anything else is waited for as with ``uploaded``;
- ``init`` alone (init's answer lost): nobody got an upload URL, so nothing can go out:
  init again. A note ``sent`` of the earlier PULL_FROM_URL version, where TikTok fetched the
  video itself, is still looked for in the account's videos (``POST /v2/video/list/``,
  scope ``video.list``) since the firing's time with its title; not found, a person decides.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from functions.common.media import Blob
from functions.common.platform import http
from functions.common.platform.errors import PlatformError, from_response
from functions.common.platform.tokens import Token
from functions.publish.adapters.base import (
    Page,
    Polling,
    PostRequest,
    Published,
    Trail,
    Uncertain,
    check_token,
    read_media,
    search,
)

_PENDING = {"PROCESSING_DOWNLOAD", "PROCESSING_UPLOAD", "SEND_TO_USER_INBOX"}
FILE_UPLOAD = "FILE_UPLOAD"
# one chunk's bytes: the media transfer guide's own example, within 5 to 64 MB however
# "MB" is read (5 MiB is 5,242,880 bytes); the last chunk then holds under 20 MB
CHUNK_BYTES = 10_000_000


def chunking(size: int, chunk_bytes: int = CHUNK_BYTES) -> tuple[int, int]:
    """(chunk_size, total_chunk_count) of a video of ``size`` bytes: ``chunk_bytes`` a
    chunk, ``size // chunk_bytes`` of them (the last takes the remainder); a video no
    larger than one chunk goes whole."""
    if size <= chunk_bytes:
        return size, 1
    return chunk_bytes, size // chunk_bytes


class TikTokAdapter(Polling):
    platform = "tiktok"
    POLL_S = 5.0
    UPLOAD_TIMEOUT_S = 60.0  # a call that carries a chunk: at least this long

    def __init__(
        self, base_url: str | None = None, *, chunk_bytes: int = CHUNK_BYTES, **options: Any
    ) -> None:
        super().__init__(**options)
        from schema.platforms import PLATFORMS

        version = PLATFORMS[self.platform].api_version
        self.api = f"{http.base_url(self.platform, base_url)}/{version}"
        self.root = f"{self.api}/post/publish"
        self.chunk_bytes = chunk_bytes

    def call(self, path: str, token: Token, body: dict, **query: str) -> Any:
        url = path if path.startswith("http") else f"{self.root}/{path}"
        answer = http.call(
            self.platform, "POST", url, bearer=token.access_token, json_body=body,
            query=query or None, timeout=self.timeout,
            headers={"Content-Type": "application/json; charset=UTF-8"},
        )  # fmt: skip
        if (answer.body.get("error") or {}).get("code", "ok") != "ok":
            raise from_response(self.platform, answer.status, answer.headers, answer.body)
        return answer.body.get("data") or {}

    def publish(self, request: PostRequest, token: Token, trail: Trail | None = None) -> Published:
        check_token(self.platform, token)
        trail = trail or Trail()
        if len(request.media) != 1 or request.media[0][1] != "video":
            raise PlatformError(self.platform, 0, "media_refused", "TikTok posts one video, "
                                f"found {len(request.media)} media item(s) of another kind")  # fmt: skip
        earlier = self.find_existing(request, token, trail)  # resumes a publish_id in flight
        if earlier is not None:
            return earlier
        [video] = read_media(self.platform, request, self.media)  # before any request
        creator = self.call("creator_info/query/", token, {})
        options = creator.get("privacy_level_options") or ["SELF_ONLY"]
        privacy = "PUBLIC_TO_EVERYONE" if "PUBLIC_TO_EVERYONE" in options else options[0]
        chunk_size, count = chunking(video.size, self.chunk_bytes)
        trail.keep("init", f"{FILE_UPLOAD} {video.size}")  # its answer lost: nothing went up
        init = self.call("video/init/", token, {
            "post_info": {"title": request.text, "privacy_level": privacy},
            "source_info": {"source": FILE_UPLOAD, "video_size": video.size,
                            "chunk_size": chunk_size, "total_chunk_count": count},
        })  # fmt: skip
        publish_id = str(init["publish_id"])
        trail.keep("publish_id", publish_id)
        self.upload(video, str(init["upload_url"]), chunk_size, count, publish_id, trail)
        trail.keep("uploaded", publish_id)
        return self.published(request, self.wait(publish_id, token))

    def upload(
        self, video: Blob, url: str, chunk_size: int, count: int, publish_id: str, trail: Trail
    ) -> None:
        """PUT the video's ``count`` chunks to ``url`` in order, the last one with the
        remainder; TikTok answers 206 to each but the last, 201 to the last."""
        for index in range(count):
            first, final = index * chunk_size, index == count - 1
            last = video.size - 1 if final else first + chunk_size - 1
            part = video.data[first : last + 1]
            if final:  # from now on TikTok may hold the whole video (see the module's doc)
                trail.keep("last_chunk", publish_id)
            answer = http.send(
                self.platform, "PUT", url, part, video.mime, timeout=self.upload_timeout,
                headers={"Content-Length": str(len(part)),
                         "Content-Range": f"bytes {first}-{last}/{video.size}"},
            )  # fmt: skip
            expected = 201 if final else 206
            if answer.status != expected:
                raise PlatformError(
                    self.platform, answer.status, "upload_incomplete",
                    f"TikTok answered HTTP {answer.status} to chunk {index + 1} of {count} "
                    f"(expected {expected})", retryable=answer.status == 206,
                )  # fmt: skip

    def published(
        self, request: PostRequest, post_id: str, when: datetime | None = None
    ) -> Published:
        handle = request.handle.lstrip("@")
        url = f"https://www.tiktok.com/@{handle}/video/{post_id}"
        return Published(self.platform, post_id, url, when)

    def wait(self, publish_id: str, token: Token) -> str:
        """The public post id once PUBLISH_COMPLETE (the publish id if not public yet)."""
        for _ in range(self.max_polls):
            data = self.call("status/fetch/", token, {"publish_id": publish_id})
            status = data.get("status")
            if status == "PUBLISH_COMPLETE":
                ids = data.get("publicaly_available_post_id") or [publish_id]
                return str(ids[0])
            if status == "FAILED":
                raise PlatformError(
                    self.platform, 200, str(data.get("fail_reason", "failed")),
                    f"TikTok could not publish the video ({data.get('fail_reason')})",
                )  # fmt: skip
            if status not in _PENDING:
                raise PlatformError(self.platform, 200, str(status), "unknown publish status")
            self.sleep(self.poll_interval_s)
        raise PlatformError(
            self.platform, 0, "processing_timeout", "the video was still processing",
            retryable=True,
        )  # fmt: skip

    def find_existing(
        self, request: PostRequest, token: Token, trail: Trail | None = None
    ) -> Published | None:
        """This firing's video, if an earlier delivery started one (see the module's doc)."""
        check_token(self.platform, token)
        trail = trail or Trail()
        notes = trail.notes
        filed = notes.get("init", "").startswith(FILE_UPLOAD)
        publish_id = notes.get("publish_id")
        if publish_id:
            if filed and self.stopped_short(publish_id, token, notes):
                return None  # TikTok cannot publish it: init again
            try:
                return self.published(request, self.wait(publish_id, token))
            except PlatformError as error:
                if error.code == "processing_timeout":
                    raise Uncertain(f"tiktok: publish_id {publish_id} of this firing is still "
                                    "processing; check the account") from error  # fmt: skip
                if error.status != 200:  # not the video's own failure: ask again later
                    raise
                return None  # TikTok says it failed: nothing went out
        if notes.get("init") and not filed:  # PULL_FROM_URL: TikTok may have fetched it
            found = self.listed(request, token, trail)
            if found is None:
                raise Uncertain(
                    "tiktok: an earlier delivery called video/init but lost its answer, and "
                    "no video of the account since then carries this title yet; check the "
                    "account, then redrive this message if nothing was posted"
                )
            return found
        return None  # nothing, or an init whose upload URL nobody got: nothing went out

    def stopped_short(self, publish_id: str, token: Token, notes: dict[str, str]) -> bool:
        """Whether the upload of ``publish_id`` stopped before TikTok held the whole video,
        so that it can never be published (see the module's doc)."""
        if notes.get("uploaded") == publish_id:
            return False  # TikTok answered 201 to the last chunk
        if notes.get("last_chunk") != publish_id:
            return True  # the last chunk never left
        data = self.call("status/fetch/", token, {"publish_id": publish_id})
        got, size = data.get("uploaded_bytes"), notes["init"].split()[-1]
        return (data.get("status") == "PROCESSING_UPLOAD" and isinstance(got, int)
                and size.isdigit() and got < int(size))  # fmt: skip

    def listed(self, request: PostRequest, token: Token, trail: Trail) -> Published | None:
        """The account's video with this title since the firing's time (newest first)."""
        body: dict[str, Any] = {"max_count": 20}

        def pages() -> Iterator[Page]:
            while True:
                data = self.call(f"{self.api}/video/list/", token, body,
                                 fields="id,create_time,title,share_url")  # fmt: skip
                yield [(self.published(request, str(v["id"]),
                                       datetime.fromtimestamp(int(v["create_time"]), UTC)),
                        v.get("title", "")) for v in data.get("videos") or []], bool(
                    data.get("has_more"))  # fmt: skip
                body["cursor"] = data.get("cursor")

        return search(self.platform, pages(), request.text, trail)
