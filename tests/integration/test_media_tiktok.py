"""TikTok's direct post with the video sent as a file (``FILE_UPLOAD``): init, the chunks
PUT to the upload URL in order, then the status, against the contract fake
(infra/peers/tiktok.py); and exactly once when a chunk is refused, an answer is lost or the
function dies mid-upload, at the adapter (its ``Trail``) and through ``publish``.

The media transfer guide's chunk sizes (5 to 64 MB) are scaled down in most tests
(``LIMITS`` for the fake, ``CHUNK`` for the adapter): the rules are the same, the bytes
fewer. One test sends a 25 MB video with the production values."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from publish_world import World, event

from functions.common import media
from functions.common.media import Blob
from functions.common.platform import http
from functions.common.platform.errors import PlatformError
from functions.common.platform.tokens import Token
from functions.publish.adapters import adapter_for
from functions.publish.adapters.base import PostRequest, Trail, Uncertain
from functions.publish.adapters.tiktok import CHUNK_BYTES, TikTokAdapter, chunking
from infra.peers import tiktok
from infra.peers.web import sample_image, sample_video

URL = "https://cdn.example.com/ride.mp4"
POST = PostRequest("Autumn rides #bikes", "k-tt", "@brand", media=((URL, "video", ""),))
TOKEN = Token(tiktok.TOKEN)
LIMITS = (5_000, 64_000, 128_000, 1000)  # the guide's 5 MB, 64 MB, 128 MB, 1000 chunks, scaled
CHUNK = 10_000  # the adapter's chunk against LIMITS (10 MB in production)
INIT, STATUS = "/v2/post/publish/video/init/", "/v2/post/publish/status/fetch/"
CLIP = event("clip", "tiktok", "2027-01-15T10:00:00Z", "")  # publish_world's TikTok post


def no_sleep(seconds: float) -> None:
    pass


def video(seed: str, size: int, brand: bytes = b"isom") -> bytes:
    """MP4-shaped bytes (a MOV's with ``brand`` "qt  ") of exactly ``size`` bytes."""
    data = sample_video(seed, size + 64, brand)[:size]
    assert len(data) == size
    return data


def serving(data: bytes) -> Callable[[str, str, str], Blob]:
    """A media loader whose every URL holds ``data`` (checked as the store checks it)."""
    return lambda url, kind, alt: media.blob(data, kind, alt, url)


@contextmanager
def running(**options: Any) -> Iterator[tiktok.TikTokFake]:
    fake = tiktok.TikTokFake(**options)
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture
def fake() -> Iterator[tiktok.TikTokFake]:
    with running(polls_until_complete=1, chunk_limits=LIMITS) as serving_fake:
        yield serving_fake


def adapter(fake: tiktok.TikTokFake, data: bytes, chunk: int = CHUNK) -> TikTokAdapter:
    made = adapter_for("tiktok", fake.url, sleep=no_sleep, media=serving(data), chunk_bytes=chunk)
    assert isinstance(made, TikTokAdapter)
    return made


def uploads(fake: tiktok.TikTokFake) -> list[Any]:
    return [r for r in fake.requests if r.method == "PUT"]


def inits(fake: tiktok.TikTokFake) -> list[str]:
    """The publish_ids of the FILE_UPLOAD inits, in order."""
    return [p for p, job in fake.jobs.items() if job["source"] == "FILE_UPLOAD"]


# --- the upload ------------------------------------------------------------------------


def test_chunking_follows_the_media_transfer_guide() -> None:
    assert chunking(50_000_123, 10_000_000) == (10_000_000, 5)  # the guide's example
    assert chunking(4_000_000) == (4_000_000, 1)  # under 5 MB: whole
    assert chunking(CHUNK_BYTES) == (CHUNK_BYTES, 1)
    assert chunking(15_000_000) == (10_000_000, 1)  # one chunk, holding the remainder
    assert chunking(512_000_000) == (10_000_000, 51)  # the most publish reads: last < 20 MB
    least, most, _, _ = tiktok.CHUNK_LIMITS
    assert least <= CHUNK_BYTES <= most


def test_a_small_video_goes_whole_in_one_chunk_with_the_documented_limits() -> None:
    data = video("small", 64_000)
    with running(polls_until_complete=2) as fake:
        published = adapter(fake, data, CHUNK_BYTES).publish(POST, TOKEN)
    init = next(r for r in fake.requests if r.path == INIT)
    assert init.body["source_info"] == {"source": "FILE_UPLOAD", "video_size": len(data),
                                        "chunk_size": len(data), "total_chunk_count": 1}  # fmt: skip
    assert init.body["post_info"] == {"title": POST.text, "privacy_level": "PUBLIC_TO_EVERYONE"}
    [put] = uploads(fake)
    assert put.headers["content-type"] == "video/mp4"
    assert put.headers["content-range"] == f"bytes 0-{len(data) - 1}/{len(data)}"
    assert put.headers["content-length"] == str(len(data))
    assert "authorization" not in put.headers  # the upload URL carries its own token
    assert fake.paths() == ["/v2/post/publish/creator_info/query/", INIT, tiktok.UPLOAD,
                            STATUS, STATUS, STATUS]  # fmt: skip
    [publish_id] = inits(fake)
    assert fake.video(publish_id) == data and fake.posts_made() == 1
    assert published.post_id == fake.published[0]["post_id"]
    assert published.url == f"https://www.tiktok.com/@brand/video/{published.post_id}"


def test_a_larger_video_goes_in_chunks_the_last_taking_the_remainder(fake) -> None:
    data = video("larger", 45_123, b"qt  ")  # a MOV
    adapter(fake, data).publish(POST, TOKEN)
    init = next(r for r in fake.requests if r.path == INIT)
    assert init.body["source_info"] == {"source": "FILE_UPLOAD", "video_size": 45_123,
                                        "chunk_size": CHUNK, "total_chunk_count": 4}  # fmt: skip
    puts = uploads(fake)
    assert [p.headers["content-range"] for p in puts] == [
        "bytes 0-9999/45123", "bytes 10000-19999/45123", "bytes 20000-29999/45123",
        "bytes 30000-45122/45123"]  # fmt: skip
    assert {p.headers["content-type"] for p in puts} == {"video/quicktime"}
    assert [len(p.raw) for p in puts] == [10_000, 10_000, 10_000, 15_123]
    assert b"".join(p.raw for p in puts) == data == fake.video(inits(fake)[0])
    assert fake.posts_made() == 1


def test_a_25_mb_video_goes_in_two_chunks_with_the_production_values() -> None:
    data = video("big", 25_000_000)
    with running(polls_until_complete=0) as fake:
        adapter(fake, data, CHUNK_BYTES).publish(POST, TOKEN)
        [publish_id] = inits(fake)
        assert [p.headers["content-range"] for p in uploads(fake)] == [
            "bytes 0-9999999/25000000", "bytes 10000000-24999999/25000000"]  # fmt: skip
        assert fake.video(publish_id) == data


def test_a_file_tiktok_does_not_take_fails_before_any_request(fake) -> None:
    for data in (sample_image("photo"), b"<!doctype html><html>not a video</html>"):
        with pytest.raises(PlatformError) as caught:
            adapter(fake, data).publish(POST, TOKEN)
        assert caught.value.code == "media_refused" and not caught.value.retryable
    assert fake.requests == []


# (video_size, chunk_size, total_chunk_count) the guide's rules refuse, against LIMITS
WRONG_CHUNKS = [
    (4_000, 2_000, 2),  # under the smallest chunk: whole
    (45_123, CHUNK, 5),  # the count rounds down: the last chunk takes the remainder
    (45_123, 4_000, 11),  # a chunk under the smallest
    (200_000, 100_000, 2),  # a chunk over the largest
    (70_000, 70_000, 1),  # over the largest chunk: in several
    (5_005_000, 5_000, 1001),  # over 1000 chunks
]


def test_the_fake_refuses_what_tiktok_would(fake) -> None:
    made = adapter(fake, b"")

    def init(size: int, chunk: int, count: int) -> dict[str, Any]:
        data: dict[str, Any] = made.call("video/init/", TOKEN, {
            "post_info": {"title": "t", "privacy_level": "SELF_ONLY"},
            "source_info": {"source": "FILE_UPLOAD", "video_size": size, "chunk_size": chunk,
                            "total_chunk_count": count}})  # fmt: skip
        return data

    for wrong in WRONG_CHUNKS:
        with pytest.raises(PlatformError) as caught:
            init(*wrong)
        assert caught.value.code == "invalid_params", wrong
    url = init(25_000, CHUNK, 2)["upload_url"]
    data = video("v", 25_000)

    def put(first: int, last: int, mime: str = "video/mp4", total: int = 25_000) -> int:
        try:
            return http.send("tiktok", "PUT", url, data[first : last + 1], mime,
                             headers={"Content-Range": f"bytes {first}-{last}/{total}"}).status  # fmt: skip
        except PlatformError as error:
            return error.status

    assert put(10_000, 19_999) == 416  # out of order
    assert put(0, 9_999, total=30_000) == 416  # not the declared size
    assert put(0, 9_998) == 416  # not the declared chunk
    assert put(0, 9_999, "video/x-msvideo") == 415
    assert put(0, 9_999) == 206
    assert put(10_000, 24_999, "video/webm") == 415  # another type than the first chunk's
    assert put(10_000, 24_999) == 201  # the last chunk takes the remainder
    assert put(10_000, 24_999) == 416  # nothing more is expected
    assert fake.posts_made() == 1


# --- exactly once at the adapter: what the Trail says ------------------------------------


def test_a_crash_after_init_before_any_chunk_leaves_nothing_and_the_next_delivery_posts(
    fake, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = video("crash", 45_123)
    trail = Trail()

    def die(*args: Any) -> None:
        raise ConnectionError("the function died before the first chunk")

    monkeypatch.setattr(TikTokAdapter, "upload", die)
    with pytest.raises(ConnectionError):
        adapter(fake, data).publish(POST, TOKEN, trail)
    monkeypatch.undo()
    [first] = inits(fake)
    assert trail.notes == {"init": "FILE_UPLOAD 45123", "publish_id": first}
    # WHEN a later delivery asks  THEN TikTok holds no byte of it: nothing went out, nothing
    # can (TikTok's status says it still waits for the upload), and nothing was asked
    later = Trail(notes=dict(trail.notes))
    assert adapter(fake, data).find_existing(POST, TOKEN, later) is None
    assert STATUS not in fake.paths()
    checked = adapter(fake, data).call("status/fetch/", TOKEN, {"publish_id": first})
    assert checked == {"status": "PROCESSING_UPLOAD", "uploaded_bytes": 0}
    # AND its publish goes out once, through a new init
    published = adapter(fake, data).publish(POST, TOKEN, later)
    [_, second] = inits(fake)
    assert later.notes == {"init": "FILE_UPLOAD 45123", "publish_id": second,
                           "last_chunk": second, "uploaded": second}  # fmt: skip
    assert fake.posts_made() == 1 and fake.published[0]["publish_id"] == second
    assert published.post_id == fake.published[0]["post_id"] and fake.video(second) == data


def test_a_429_on_a_middle_chunk_leaves_that_upload_behind_and_the_retry_posts_once(
    fake, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = video("rate", 45_123)
    trail = Trail()
    arm_on_put(fake, monkeypatch, 3, "rate_limit")
    with pytest.raises(PlatformError) as caught:
        adapter(fake, data).publish(POST, TOKEN, trail)
    assert caught.value.retryable and caught.value.retry_after_s == 60
    [first] = inits(fake)
    assert fake.video(first) == data[:20_000] and "last_chunk" not in trail.notes
    # WHEN publish retries with the same trail  THEN a new init sends the whole video
    adapter(fake, data).publish(POST, TOKEN, trail)
    [_, second] = inits(fake)
    assert fake.posts_made() == 1 and fake.published[0]["publish_id"] == second
    assert fake.video(second) == data and fake.video(first) == data[:20_000]


def test_a_429_on_the_last_chunk_is_asked_of_tiktok_then_sent_again(
    fake, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = video("last", 45_123)
    trail = Trail()
    arm_on_put(fake, monkeypatch, 4, "rate_limit_bare")
    with pytest.raises(PlatformError):
        adapter(fake, data).publish(POST, TOKEN, trail)
    [first] = inits(fake)
    assert trail.notes["last_chunk"] == first and "uploaded" not in trail.notes
    assert fake.video(first) == data[:30_000]
    # WHEN retried  THEN TikTok says 30,000 of 45,123 bytes arrived: that upload cannot
    # become a post, and a new one goes out
    adapter(fake, data).publish(POST, TOKEN, trail)
    assert next(r.body["publish_id"] for r in fake.requests if r.path == STATUS) == first
    assert len(inits(fake)) == 2 and fake.posts_made() == 1


def test_a_lost_answer_to_the_last_chunk_is_waited_for_not_sent_again(fake) -> None:
    data = video("lost", 45_123)
    trail = Trail()
    fake.lose_upload_answer_next()  # the video goes whole: its one chunk is the last
    with pytest.raises(PlatformError) as caught:
        adapter(fake, data, chunk=64_000).publish(POST, TOKEN, trail)
    assert caught.value.status == 504 and caught.value.retryable
    # WHEN asked  THEN TikTok holds all the bytes: this firing's video, once processed
    found = adapter(fake, data).find_existing(POST, TOKEN, trail)
    assert found is not None and found.post_id == fake.published[0]["post_id"]
    assert len(inits(fake)) == 1 and fake.posts_made() == 1


def test_a_lost_answer_to_init_means_nothing_can_go_out(fake) -> None:
    data = video("init", 45_123)
    trail = Trail()
    fake.lose_answer_next(on="video/init")
    with pytest.raises(PlatformError):
        adapter(fake, data).publish(POST, TOKEN, trail)
    assert trail.notes == {"init": "FILE_UPLOAD 45123"} and len(inits(fake)) == 1
    # nobody got its upload URL: no bytes, no post; no question to ask, a new init posts
    assert adapter(fake, data).find_existing(POST, TOKEN, trail) is None
    adapter(fake, data).publish(POST, TOKEN, trail)
    assert len(inits(fake)) == 2 and fake.posts_made() == 1


def test_a_note_of_the_pull_from_url_version_is_still_looked_for(fake) -> None:
    trail = Trail(notes={"init": "sent"})  # TikTok may have fetched that video itself
    with pytest.raises(Uncertain, match="lost its answer"):
        adapter(fake, b"").find_existing(POST, TOKEN, trail)
    assert fake.paths() == ["/v2/video/list/"]


def test_an_expired_token_after_the_upload_finds_the_video_by_its_publish_id(fake) -> None:
    data = video("expired", 45_123)
    trail = Trail()
    fake.fail_next("expired", on="status/fetch")
    with pytest.raises(PlatformError) as caught:
        adapter(fake, data).publish(POST, TOKEN, trail)
    assert caught.value.auth
    found = adapter(fake, data).publish(POST, TOKEN, trail)  # the renewed token, say
    assert found.post_id == fake.published[0]["post_id"]
    assert len(inits(fake)) == 1 and fake.posts_made() == 1


def test_a_video_tiktok_fails_to_process_went_out_nowhere(fake) -> None:
    fake.fail_reason = "file_format_check_failed"
    data = video("broken", 45_123)
    trail = Trail()
    with pytest.raises(PlatformError) as caught:
        adapter(fake, data).publish(POST, TOKEN, trail)
    assert caught.value.code == "file_format_check_failed" and not caught.value.retryable
    assert fake.video(inits(fake)[0]) == data and fake.posts_made() == 0
    assert adapter(fake, data).find_existing(POST, TOKEN, trail) is None  # nothing went out


def arm_on_put(
    fake: tiktok.TikTokFake, monkeypatch: pytest.MonkeyPatch, nth: int, kind: str
) -> None:
    """Answer the ``nth`` chunk PUT (from now) with the fake's error ``kind``."""
    send, seen = http.send, [0]

    def sending(platform: str, method: str, url: str, *args: Any, **kw: Any) -> Any:
        if method == "PUT":
            seen[0] += 1
            if seen[0] == nth:
                fake.fail_next(kind, on=tiktok.UPLOAD)
        return send(platform, method, url, *args, **kw)

    monkeypatch.setattr(http, "send", sending)


# --- exactly once through publish ------------------------------------------------------


@pytest.fixture
def clip_world(world: World) -> tiktok.TikTokFake:
    """publish's world, its TikTok adapter reading a 45,123-byte video in scaled chunks."""
    fake = world.fakes["tiktok"]
    assert isinstance(fake, tiktok.TikTokFake) and world.deps is not None
    fake.chunk_limits = LIMITS
    data = video("clip", 45_123)
    tiktok_url, adapter_of = fake.url, world.deps.adapter

    def adapter_in(platform: str, brand: str) -> Any:
        if platform != "tiktok":
            return adapter_of(platform, brand)
        return adapter_for(platform, tiktok_url, sleep=no_sleep, media=serving(data),
                           chunk_bytes=CHUNK)  # fmt: skip

    world.deps.adapter = adapter_in
    return fake


def test_publish_retries_a_429_on_a_chunk_and_posts_once(
    world: World, clip_world: tiktok.TikTokFake, monkeypatch: pytest.MonkeyPatch
) -> None:
    arm_on_put(clip_world, monkeypatch, 2, "rate_limit")
    outcome = world.invoke(CLIP)
    assert outcome["status"] == "published" and outcome["attempts"] == 2
    assert len(world.slept) == 1 and 60 <= world.slept[0] <= 61  # Retry-After: 60
    [first, second] = inits(clip_world)
    assert world.posts("tiktok") == 1 and clip_world.published[0]["publish_id"] == second
    assert world.record(CLIP)["note_publish_id"] == second
    assert len(clip_world.video(first)) == CHUNK  # left behind: it never went out


def test_publish_after_a_crash_mid_upload_posts_once(
    world: World, clip_world: tiktok.TikTokFake, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN the function dies after the second chunk
    upload, sent = TikTokAdapter.upload, [0]

    def dying(self: TikTokAdapter, *args: Any) -> None:
        real = http.send

        def send(*a: Any, **kw: Any) -> Any:
            sent[0] += 1
            if sent[0] == 3:
                raise ConnectionError("the function died mid-upload")
            return real(*a, **kw)

        monkeypatch.setattr(http, "send", send)
        try:
            upload(self, *args)
        finally:
            monkeypatch.setattr(http, "send", real)

    monkeypatch.setattr(TikTokAdapter, "upload", dying)
    with pytest.raises(ConnectionError):
        world.invoke(CLIP)
    [first] = inits(clip_world)
    assert world.record(CLIP)["note_publish_id"] == first and world.posts("tiktok") == 0
    # WHEN Lambda retries a minute later  THEN that upload is left behind, one video goes out
    world.clock[0] += timedelta(minutes=1)
    outcome = world.invoke(CLIP)
    assert outcome["status"] == "published" and world.posts("tiktok") == 1
    [_, second] = inits(clip_world)
    assert clip_world.published[0]["publish_id"] == second == world.record(CLIP)[
        "note_publish_id"]  # fmt: skip
    assert len(clip_world.video(first)) == 2 * CHUNK


def test_publish_waits_for_a_video_whose_last_answer_was_lost(
    world: World, clip_world: tiktok.TikTokFake, monkeypatch: pytest.MonkeyPatch
) -> None:
    arm_lost_on_put(clip_world, monkeypatch, 4)  # the last of 4 chunks arrives, its 201 not
    outcome = world.invoke(CLIP)
    assert outcome["status"] == "published" and world.posts("tiktok") == 1
    assert len(inits(clip_world)) == 1  # found by its publish_id, not sent again


def arm_lost_on_put(fake: tiktok.TikTokFake, monkeypatch: pytest.MonkeyPatch, nth: int) -> None:
    """Keep the ``nth`` chunk PUT (from now) but lose its answer."""
    send, seen = http.send, [0]

    def sending(platform: str, method: str, url: str, *args: Any, **kw: Any) -> Any:
        if method == "PUT":
            seen[0] += 1
            if seen[0] == nth:
                fake.lose_upload_answer_next()
        return send(platform, method, url, *args, **kw)

    monkeypatch.setattr(http, "send", sending)
