"""Facebook Page photos and videos against the contract fake (infra/peers/meta.py): the
checked bytes uploaded (a photo as the multipart ``source``, a video through the resumable
upload's start, transfer and finish), the wait for the video's processing, and what a
later delivery finds instead of uploading again."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from media_files import Files, Sleeps

from functions.common import media
from functions.common.platform import http
from functions.common.platform.errors import PlatformError
from functions.common.platform.tokens import Token
from functions.common.safe_url import allow_peer
from functions.publish.adapters import adapter_for
from functions.publish.adapters.base import MediaItem, PostRequest, Trail, Uncertain
from infra.peers import Reply, Req, meta
from infra.peers.web import sample_image, sample_video

IMAGE = ("https://cdn.example.com/a.jpg", "image", "A red bicycle")
VIDEO = ("https://cdn.example.com/a.mp4", "video", "")
VIDEOS = f"/v21.0/{meta.PAGE}/videos"


def made(url: str, kind: str) -> bytes:
    return sample_image(url) if kind == "image" else sample_video(url)


load = Files(made)


@pytest.fixture
def fake() -> Iterator[meta.GraphFake]:
    running = meta.GraphFake()
    with running:
        allow_peer(running.url)  # the calls the tests make to the fake themselves
        yield running


def post(*items: MediaItem, text: str = "Autumn rides #bikes") -> PostRequest:
    return PostRequest(text, "k-fb", "brand", account_id=meta.PAGE, media=items)


def adapter(fake: meta.GraphFake, **options: Any) -> Any:
    options.setdefault("sleep", Sleeps())
    return adapter_for("facebook", fake.url, media=options.pop("media", load), **options)


def phases(fake: meta.GraphFake) -> list[str]:
    return [r.body["upload_phase"] for r in fake.requests if r.path == VIDEOS]


def on_finish(fake: meta.GraphFake, reply: Reply, *, after: bool = False) -> None:
    """Answer the next ``finish`` with ``reply``: instead of doing it, or ``after`` doing it
    (its answer lost)."""
    answer, armed = fake.answer, [True]

    def answering(req: Req) -> Reply:
        if armed and isinstance(req.body, dict) and req.body.get("upload_phase") == "finish":
            armed.clear()
            if after:
                answer(req)
            return reply
        return answer(req)

    fake.answer = answering  # type: ignore[method-assign]


# --- photos -----------------------------------------------------------------------------


def test_a_photo_goes_up_as_the_checked_bytes_with_its_caption(fake: meta.GraphFake) -> None:
    published = adapter(fake).publish(post(IMAGE), Token(meta.TOKEN))
    assert fake.paths("POST") == [f"/v21.0/{meta.PAGE}/photos"]
    sent = fake.requests[0]
    assert sent.headers["content-type"].startswith("multipart/form-data")
    assert "url" not in sent.body  # the bytes, not a URL Facebook would fetch itself
    [photo] = fake.photos.values()
    assert photo["data"] == made(IMAGE[0], "image") and photo["content_type"] == "image/jpeg"
    assert photo["caption"] == "Autumn rides #bikes"
    assert published.post_id == photo["post_id"]
    assert published.url.startswith("https://www.facebook.com/")
    found = adapter(fake).find_existing(post(IMAGE), Token(meta.TOKEN))
    assert found is not None and found.post_id == published.post_id


# --- videos -----------------------------------------------------------------------------


def test_a_video_goes_up_in_the_chunks_facebook_asks_for_then_waits(fake: meta.GraphFake) -> None:
    fake.video_chunk = 20_000
    fake.video_states = ("processing", "processing", "ready")
    sleeps, trail = Sleeps(), Trail()
    published = adapter(fake, sleep=sleeps, poll_interval_s=3.0).publish(
        post(VIDEO), Token(meta.TOKEN), trail
    )
    data = made(VIDEO[0], "video")
    chunks = -(-len(data) // 20_000)
    assert phases(fake) == ["start"] + ["transfer"] * chunks + ["finish"]
    start, *transfers, finish = [r.body for r in fake.requests if r.path == VIDEOS]
    assert start["file_size"] == str(len(data))
    assert [t["start_offset"] for t in transfers] == [str(n * 20_000) for n in range(chunks)]
    assert finish["description"] == "Autumn rides #bikes"
    [(video_id, video)] = fake.videos.items()
    assert bytes(video["data"]) == data  # the bytes arrived intact, in order
    assert sleeps == [3.0, 3.0]  # two reads still processing
    assert (
        published.post_id == video["post_id"] and fake.made[published.post_id].attachment == "video"
    )
    assert trail.notes == {"video": video_id}
    for noted in (trail, Trail()):  # by the noted video, and by the Page's posts
        found = adapter(fake).find_existing(post(VIDEO), Token(meta.TOKEN), noted)
        assert found is not None and found.post_id == published.post_id


def test_a_processing_failure_fails_the_post_and_nothing_went_out(fake: meta.GraphFake) -> None:
    fake.video_states = ("processing", "error")
    trail = Trail()
    with pytest.raises(PlatformError) as caught:
        adapter(fake).publish(post(VIDEO), Token(meta.TOKEN), trail)
    assert caught.value.code == "processing_failed" and not caught.value.retryable
    assert fake.posts_made() == 0
    assert adapter(fake).find_existing(post(VIDEO), Token(meta.TOKEN), trail) is None


def test_a_video_still_processing_is_a_retryable_timeout_then_uncertain(
    fake: meta.GraphFake,
) -> None:
    fake.video_states = ("processing",)
    trail, sleeps = Trail(), Sleeps()
    with pytest.raises(PlatformError) as caught:
        adapter(fake, sleep=sleeps, max_polls=3).publish(post(VIDEO), Token(meta.TOKEN), trail)
    assert caught.value.code == "processing_timeout" and caught.value.retryable
    assert caught.value.status == 0 and len(sleeps) == 2  # three reads, two waits between
    with pytest.raises(Uncertain):  # publish's retry asks first: a person decides
        adapter(fake, max_polls=2).find_existing(post(VIDEO), Token(meta.TOKEN), trail)
    assert phases(fake).count("start") == 1  # never a second video


def test_a_later_delivery_takes_the_noted_video_instead_of_uploading_again(
    fake: meta.GraphFake,
) -> None:
    trail = Trail()
    first = adapter(fake).publish(post(VIDEO), Token(meta.TOKEN), trail)
    again = adapter(fake).publish(post(VIDEO), Token(meta.TOKEN), Trail(notes=dict(trail.notes)))
    assert again.post_id == first.post_id and phases(fake).count("start") == 1
    assert fake.posts_made() == 1


def test_a_finish_refused_outright_clears_the_note_and_the_retry_posts_once(
    fake: meta.GraphFake,
) -> None:
    on_finish(fake, fake.errors["rate_limit"])
    trail = Trail()
    with pytest.raises(PlatformError) as caught:
        adapter(fake).publish(post(VIDEO), Token(meta.TOKEN), trail)
    assert caught.value.retryable and caught.value.code == "32"
    assert trail.notes == {"video": ""}  # Facebook will not publish that one
    assert adapter(fake).find_existing(post(VIDEO), Token(meta.TOKEN), trail) is None
    published = adapter(fake).publish(post(VIDEO), Token(meta.TOKEN), trail)
    assert phases(fake).count("start") == 2 and fake.posts_made() == 1
    assert published.post_id == fake.videos[trail.notes["video"]]["post_id"]


def test_a_lost_answer_to_finish_is_found_by_the_noted_video(fake: meta.GraphFake) -> None:
    on_finish(fake, Reply(504, {"error": "Gateway Timeout"}), after=True)
    trail = Trail()
    with pytest.raises(PlatformError) as caught:
        adapter(fake).publish(post(VIDEO), Token(meta.TOKEN), trail)
    assert caught.value.retryable and caught.value.status == 504
    found = adapter(fake).find_existing(post(VIDEO), Token(meta.TOKEN), trail)
    assert found is not None and fake.posts_made() == 1
    assert found.post_id == fake.videos[trail.notes["video"]]["post_id"]


# --- errors and refusals ----------------------------------------------------------------


@pytest.mark.parametrize(("item", "on"), [(IMAGE, "/photos"), (VIDEO, "/videos")])
def test_an_expired_token_on_the_upload_is_an_auth_error(fake: meta.GraphFake, item, on) -> None:
    fake.fail_next("expired", on=on)
    with pytest.raises(PlatformError) as caught:
        adapter(fake).publish(post(item), Token(meta.TOKEN))
    assert caught.value.auth and not caught.value.retryable and caught.value.code == "190/463"
    assert fake.posts_made() == 0


@pytest.mark.parametrize("kind", ["rate_limit", "too_many"])
def test_a_rate_limit_on_a_video_chunk_is_retryable(fake: meta.GraphFake, kind: str) -> None:
    fake.video_chunk = 20_000
    answer, seen = fake.answer, []

    def answering(req: Req) -> Reply:  # the second transfer is refused
        if isinstance(req.body, dict) and req.body.get("upload_phase") == "transfer":
            seen.append(req)
            if len(seen) == 2:
                return fake.errors[kind]
        return answer(req)

    fake.answer = answering  # type: ignore[method-assign]
    with pytest.raises(PlatformError) as caught:
        adapter(fake).publish(post(VIDEO), Token(meta.TOKEN))
    assert caught.value.retryable and not caught.value.auth
    assert fake.posts_made() == 0 and "finish" not in phases(fake)


def bytes_loader(data: bytes) -> Any:
    return lambda url, kind, alt: media.blob(data, kind, alt, url)


@pytest.mark.parametrize(
    ("items", "loader", "words"),
    [
        ((IMAGE,), bytes_loader(b"\xff\xd8\xff" + bytes(11 * 1024 * 1024)), "up to 10 MB"),
        ((VIDEO,), bytes_loader(b"\x1a\x45\xdf\xa3" + bytes(1000)), "not video/webm"),
        ((IMAGE, IMAGE), load, "one photo or one video"),
        ((VIDEO, IMAGE), load, "one photo or one video"),
    ],
    ids=["too-large", "webm", "two-images", "video-and-image"],
)
def test_media_facebook_would_refuse_fails_before_any_upload(fake, items, loader, words) -> None:
    with pytest.raises(PlatformError) as caught:
        adapter(fake, media=loader).publish(post(*items), Token(meta.TOKEN))
    assert caught.value.code == "media_refused" and not caught.value.retryable
    assert words in caught.value.reason
    assert fake.requests == [] and fake.posts_made() == 0


def test_a_token_known_to_be_expired_uploads_nothing(fake: meta.GraphFake) -> None:
    old = Token(meta.TOKEN, datetime.now(UTC) - timedelta(minutes=1))
    with pytest.raises(PlatformError) as caught:
        adapter(fake).publish(post(VIDEO), old)
    assert caught.value.auth and fake.requests == []


# --- what the fake refuses, as Graph does -----------------------------------------------


def phase(fake: meta.GraphFake, fields: dict[str, str], chunk: bytes | None = None) -> Any:
    files = {"video_file_chunk": ("media.mp4", "video/mp4", chunk)} if chunk is not None else {}
    body, content_type = http.multipart({**fields, "access_token": meta.TOKEN}, files)
    return http.send("facebook", "POST", f"{fake.url}{VIDEOS}", body, content_type).body


def refused(fake: meta.GraphFake, fields: dict[str, str], chunk: bytes | None = None) -> str:
    with pytest.raises(PlatformError) as caught:
        phase(fake, fields, chunk)
    assert caught.value.status == 400 and caught.value.code == "100"
    return str(caught.value)


def test_the_fake_takes_chunks_only_at_the_offset_and_size_it_asked_for(
    fake: meta.GraphFake,
) -> None:
    fake.video_chunk = 4
    start = phase(fake, {"upload_phase": "start", "file_size": "6"})
    assert (start["start_offset"], start["end_offset"]) == ("0", "4")
    session = {"upload_session_id": start["upload_session_id"]}
    refused(fake, {"upload_phase": "transfer", **session, "start_offset": "4"}, b"56")
    refused(fake, {"upload_phase": "transfer", **session, "start_offset": "0"}, b"12")
    refused(fake, {"upload_phase": "finish", **session})  # not every byte has arrived
    sent = phase(fake, {"upload_phase": "transfer", **session, "start_offset": "0"}, b"1234")
    assert (sent["start_offset"], sent["end_offset"]) == ("4", "6")
    sent = phase(fake, {"upload_phase": "transfer", **session, "start_offset": "4"}, b"56")
    assert (sent["start_offset"], sent["end_offset"]) == ("6", "6")
    assert phase(fake, {"upload_phase": "finish", **session, "description": "Hi"}) == {
        "success": True
    }
    refused(fake, {"upload_phase": "finish", **session})  # finished already
    refused(fake, {"upload_phase": "transfer", "upload_session_id": "1", "start_offset": "0"}, b"1")
    assert bytes(fake.videos[start["video_id"]]["data"]) == b"123456"
