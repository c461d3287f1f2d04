"""TikTok: the engagement of the videos ``publish`` made, through the Content Posting API
(to learn a video's id) and the Display API v2 (its counts).

A post's video id: the note ``video_id`` (a reading found it before), else its post id
when that is one (digits: the adapter got ``publicaly_available_post_id`` at publish time),
else it is asked: ``POST /v2/post/publish/status/fetch/`` with the ``publish_id`` (the note,
else the post id, which the adapter records when the video was not public yet) answers
``publicaly_available_post_id`` (TikTok's spelling) once the post is public and has passed
moderation. Until then the reading is PENDING; a status of FAILED is DELETED (nothing went
out). A video id found so is reported in the reading's detail as ``video_id=<id>``, so that
the caller keeps it and later reads skip that call (one publish_id per call, 30 calls a
minute per user).

Counts: ``POST /v2/video/query/?fields=id,like_count,comment_count,share_count,view_count``
with ``{"filters": {"video_ids": [...]}}``, at most 20 ids a request (scope
``video.list``): ``like_count`` -> likes, ``comment_count`` -> comments, ``share_count`` ->
shares, ``view_count`` -> views. A video left out of the answer is not the account's public
video any more (deleted, or made private): DELETED. The Display API gives no saves
(favourites), reach, clicks or quotes: never present.

``followers``: ``GET /v2/user/info/?fields=follower_count`` (scope ``user.info.stats``).

``recent`` (the backfill of a brand's first run): ``POST /v2/video/list/?fields=id,
create_time,title,video_description,share_url,<the counts>`` with ``{"max_count": n}``
(at most 20) and, after the first page, the answer's ``cursor``; newest first, until the
limit or ``has_more`` is false (scope ``video.list``). Counts as ``read`` maps them; the
video id is the post id (digits: ``read`` takes it); the time is ``create_time`` (UTC
seconds); the URL is ``share_url`` without its query (TikTok's tracking parameters), as
publish records it; the text is ``video_description``, else ``title``; media is always video.

Every answer carries ``error.code``; anything but "ok" is raised as the platform's error
(functions/common/platform/errors.py), as the publish adapter does.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from functions.common.chunks import batches
from functions.common.platform.errors import from_response
from functions.common.platform.http import exchange
from functions.ingest.engagement import (
    DELETED,
    PENDING,
    Posted,
    Reader,
    Reading,
    Recent,
    counts,
)
from functions.ingest.sources import BadPage, as_int, decode, get_json, utc
from schema.platforms import PLATFORMS

BATCH = 20  # video ids per video/query request, TikTok's maximum
LIST_MAX = 20  # videos a video/list page gives at most (``max_count``), TikTok's maximum
FIELDS = "id,like_count,comment_count,share_count,view_count"
LIST_FIELDS = f"{FIELDS},create_time,title,video_description,share_url"  # video/list
NAMES = {"like_count": "likes", "comment_count": "comments", "share_count": "shares",
         "view_count": "views"}  # fmt: skip
PROCESSING = {"PROCESSING_DOWNLOAD", "PROCESSING_UPLOAD", "SEND_TO_USER_INBOX"}


def _root(reader: Reader) -> str:
    return f"{reader.base}/{PLATFORMS['tiktok'].api_version}"


def _data(url: str, status: int, head: Mapping[str, str], body: Any) -> dict[str, Any]:
    """``data`` of a TikTok answer; its ``error`` raised unless the code is "ok"."""
    if not isinstance(body, dict):
        raise BadPage(f"tiktok: {url}: expected a JSON object, found {type(body).__name__}")
    error = body.get("error")
    if isinstance(error, dict) and error.get("code", "ok") != "ok":
        raise from_response("tiktok", status, head, body)
    data = body.get("data")
    if not isinstance(data, dict):
        raise BadPage(f"tiktok: {url}: data is not an object")
    return data


def _post(reader: Reader, token: str, path: str, body: dict[str, Any],
          query: Mapping[str, str] | None = None) -> dict[str, Any]:  # fmt: skip
    url = f"{_root(reader)}{path}"
    status, head, raw = exchange("tiktok", "POST", url, query=query or {}, bearer=token,
                                 data=json.dumps(body).encode(),
                                 content_type="application/json; charset=UTF-8",
                                 timeout=reader.timeout)  # fmt: skip
    text, _ = decode(raw)
    try:
        answer = json.loads(text)
    except ValueError:
        raise BadPage(f"tiktok: {path} answered {len(raw)} bytes that are not JSON "
                      f"({text[:80]!r}...)") from None  # fmt: skip
    return _data(path, status, head, answer)


def _video_id(post: Posted) -> str | None:
    known = post.notes.get("video_id") or post.post_id
    return known if known.isdigit() else None


def _status(reader: Reader, token: str, post: Posted) -> tuple[str | None, Reading | None]:
    """The video id TikTok gives the post's publish_id, or the reading when there is none
    (PENDING while it is processing or not public yet, DELETED when it failed)."""
    publish_id = post.notes.get("publish_id") or post.post_id
    data = _post(reader, token, "/post/publish/status/fetch/", {"publish_id": publish_id})
    status = data.get("status")
    if not isinstance(status, str):
        raise BadPage("tiktok: status/fetch: status is not a string")
    ids = data.get("publicaly_available_post_id")  # sic: TikTok's own spelling
    if ids is not None and not isinstance(ids, list):
        raise BadPage("tiktok: status/fetch: publicaly_available_post_id is not a list")
    found = [str(i) for i in ids or [] if isinstance(i, str | int) and not isinstance(i, bool)]
    if status == "PUBLISH_COMPLETE" and found:
        return found[0], None
    if status == "FAILED":
        reason = data.get("fail_reason") or "no reason given"
        return None, Reading(post.post_id, {}, DELETED, f"TikTok says publishing {publish_id} "
                             f"failed ({reason}): nothing went out")  # fmt: skip
    why = ("published, not public yet (in moderation, or not public to everyone)"
           if status == "PUBLISH_COMPLETE" else f"still {status}")  # fmt: skip
    return None, Reading(post.post_id, {}, PENDING, f"publish_id {publish_id}: {why}; "
                         "no video id yet")  # fmt: skip


def _query(reader: Reader, token: str, ids: Sequence[str]) -> dict[str, dict[str, int]]:
    """The counts of the account's videos among ``ids`` (at most ``BATCH``)."""
    data = _post(reader, token, "/video/query/", {"filters": {"video_ids": list(ids)}},
                 {"fields": FIELDS})  # fmt: skip
    videos = data.get("videos") or []
    if not isinstance(videos, list):
        raise BadPage("tiktok: video/query: videos is not a list")
    found: dict[str, dict[str, int]] = {}
    for video in videos:
        ident, item = _ident(video, "video/query")
        found[ident] = counts(item, NAMES)
    return found


def _ident(video: Any, where: str) -> tuple[str, dict[str, Any]]:
    """A listed video's id, and the video; BadPage when it is not an object with an id."""
    ident = video.get("id") if isinstance(video, dict) else None
    if not isinstance(ident, str | int) or isinstance(ident, bool) or not str(ident):
        raise BadPage(f"tiktok: {where}: a video lacks its id")
    assert isinstance(video, dict)
    return str(ident), video


def read(reader: Reader, posts: list[Posted]) -> list[Reading]:
    """One Reading per post: likes, comments, shares and views of its video; PENDING until
    TikTok gives the video id (processing, or not public yet); DELETED when the video is
    gone or publishing failed. A video id found by this read is in the detail
    (``video_id=<id>``)."""
    if not posts:
        return []
    token = reader.token()
    readings: list[Reading] = []
    wanted: dict[str, list[tuple[Posted, str]]] = {}  # video id -> (post, detail)
    for post in posts:
        video = _video_id(post)
        detail = ""
        if video is None:
            video, reading = _status(reader, token, post)
            if reading is not None:
                readings.append(reading)
                continue
            detail = f"video_id={video}"
        assert video is not None
        wanted.setdefault(video, []).append((post, detail))
    for chunk in batches(list(wanted), BATCH):
        found = _query(reader, token, chunk)
        for video in chunk:
            for post, detail in wanted[video]:
                if video in found:
                    readings.append(Reading(post.post_id, found[video], detail=detail))
                else:
                    why = (f"video {video} is not among the account's videos any more "
                           "(deleted or made private)")  # fmt: skip
                    readings.append(Reading(post.post_id, {}, DELETED,
                                            f"{why} {detail}".strip()))  # fmt: skip
    return readings


def followers(reader: Reader) -> int | None:
    """The account's follower count (``user/info``, scope user.info.stats)."""
    url = f"{_root(reader)}/user/info/"
    answer = get_json("tiktok", url, query={"fields": "follower_count"}, bearer=reader.token(),
                      timeout=reader.timeout)  # fmt: skip
    user = _data("/user/info/", 200, answer.headers, answer.body).get("user")
    if not isinstance(user, dict):
        raise BadPage("tiktok: user/info: data.user is not an object")
    return as_int(user.get("follower_count"))


def recent(reader: Reader, limit: int) -> list[Recent]:
    """The account's latest public videos, newest first, at most ``limit``: likes, comments,
    shares and views as ``read`` maps them, the caption, media "video"."""
    if limit <= 0:
        return []
    token = reader.token()
    found: dict[str, Recent] = {}
    cursor: int | None = None
    while len(found) < limit:
        body: dict[str, Any] = {"max_count": min(limit - len(found), LIST_MAX)}
        if cursor is not None:
            body["cursor"] = cursor
        data = _post(reader, token, "/video/list/", body, {"fields": LIST_FIELDS})
        videos = data.get("videos") or []
        if not isinstance(videos, list):
            raise BadPage("tiktok: video/list: videos is not a list")
        for video in videos:
            item = _listed(reader, video)
            found.setdefault(item.posted.post_id, item)
        cursor = as_int(data.get("cursor"))
        if not videos or data.get("has_more") is not True or cursor is None:
            break
    out = list(found.values())[:limit]
    return sorted(out, key=lambda r: r.posted.published_at, reverse=True)


def _listed(reader: Reader, video: Any) -> Recent:
    ident, item = _ident(video, "video/list")
    try:
        published = utc(as_int(item.get("create_time")))
    except ValueError:
        raise BadPage(f"tiktok: video/list: video {ident} has no create_time") from None
    share = item.get("share_url")
    handle = str(reader.account.handle or "").lstrip("@")
    # the share URL without TikTok's tracking query: the form publish records
    url = (share.split("?")[0] if isinstance(share, str) and share
           else f"https://www.tiktok.com/@{handle}/video/{ident}")  # fmt: skip
    text = next((t for t in (item.get("video_description"), item.get("title"))
                 if isinstance(t, str) and t), "")  # fmt: skip
    return Recent(Posted(ident, url, published), Reading(ident, counts(item, NAMES)), text,
                  "video")  # fmt: skip
