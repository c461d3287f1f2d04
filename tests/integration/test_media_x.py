"""X media posts against the contract fake (infra/peers/x.py): the v2 media upload
(initialize, append, finalize, STATUS, metadata) before ``POST /2/tweets`` names the
uploads, the files read and checked before any upload, and the errors on the way."""

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
from functions.publish.adapters.base import MediaItem, PostRequest
from infra.peers import x
from infra.peers.web import sample_image, sample_video

IMAGE = ("https://cdn.example.com/a.jpg", "image", "A red bicycle")
GIF = ("https://cdn.example.com/a.gif", "image", "A bicycle, turning")
VIDEO = ("https://cdn.example.com/a.mp4", "video", "")
BIG_VIDEO = 9 * 1024 * 1024  # three 4 MB segments
UPLOAD = "/2/media/upload"


def made(url: str, kind: str) -> bytes:
    """The file the fake web serves for ``url``: a JPEG, a GIF, or MP4-shaped bytes (a
    large one for a URL naming "big")."""
    if kind == "video":
        return sample_video(url, size=BIG_VIDEO if "big" in url else 64_000)
    return sample_image(url, fmt="GIF" if url.endswith(".gif") else "JPEG")


load = Files(made)


@pytest.fixture
def fake() -> Iterator[x.XFake]:
    running = x.XFake()
    with running:
        allow_peer(running.url)  # the calls the tests make to the fake themselves
        yield running


def post(*items: MediaItem, text: str = "Autumn rides #bikes") -> PostRequest:
    return PostRequest(text, "k-x", "@brand", media=items)


def publish(fake: x.XFake, request: PostRequest, **options: Any) -> Any:
    options.setdefault("sleep", Sleeps())
    adapter = adapter_for("x", fake.url, media=load, **options)
    return adapter.publish(request, Token(x.TOKEN))


def calls(fake: x.XFake) -> list[str]:
    """The calls the fake took, a media id written as {id}."""
    out = []
    for r in fake.requests:
        path = r.path
        for ident in fake.uploads:
            path = path.replace(ident, "{id}")
        out.append(f"{r.method} {path}")
    return out


# --- posts with media -------------------------------------------------------------------


def test_an_image_goes_up_with_its_alt_text_and_the_post_names_it(fake: x.XFake) -> None:
    published = publish(fake, post(IMAGE))
    assert calls(fake) == [
        f"POST {UPLOAD}/initialize",
        f"POST {UPLOAD}/{{id}}/append",
        f"POST {UPLOAD}/{{id}}/finalize",
        "POST /2/media/metadata",
        "POST /2/tweets",
    ]  # fmt: skip  (an image needs no STATUS)
    [tweet] = fake.tweets
    [upload] = [fake.uploads[i] for i in tweet["media_ids"]]
    assert upload.data == made(IMAGE[0], "image")  # the bytes arrived intact
    assert (upload.media_type, upload.category) == ("image/jpeg", "tweet_image")
    assert upload.alt_text == "A red bicycle" and tweet["media"] == ("photo",)
    init = fake.requests[0]
    assert init.body == {"media_type": "image/jpeg", "total_bytes": upload.total_bytes,
                         "media_category": "tweet_image"}  # fmt: skip
    append = fake.requests[1]
    assert append.body["segment_index"] == "0" and append.headers["authorization"].endswith(x.TOKEN)
    assert published.post_id == tweet["id"]
    assert published.url == f"https://x.com/brand/status/{tweet['id']}"


def test_four_images_go_up_in_the_posts_order(fake: x.XFake) -> None:
    items = [(f"https://cdn.example.com/{n}.jpg", "image", f"Picture {n}") for n in range(4)]
    publish(fake, post(*items))
    [tweet] = fake.tweets
    assert len(tweet["media_ids"]) == 4 and tweet["media"] == ("photo",) * 4
    for (url, _, alt), ident in zip(items, tweet["media_ids"], strict=True):
        assert fake.uploads[ident].data == made(url, "image")
        assert fake.uploads[ident].alt_text == alt


def test_a_video_goes_up_in_4_mb_segments_and_waits_for_processing(fake: x.XFake) -> None:
    fake.processing = ("pending", "in_progress", "in_progress", "succeeded")
    sleeps = Sleeps()
    url = "https://cdn.example.com/big.mp4"
    publish(fake, post((url, "video", "")), sleep=sleeps)
    [tweet] = fake.tweets
    [upload] = [fake.uploads[i] for i in tweet["media_ids"]]
    assert upload.data == made(url, "video") and upload.category == "tweet_video"
    appends = [r for r in fake.requests if r.path.endswith("/append")]
    assert [r.body["segment_index"] for r in appends] == ["0", "1", "2"]
    segment = 4 * 1024 * 1024
    assert [len(r.body["media"].data) for r in appends] == [
        segment,
        segment,
        upload.total_bytes - 2 * segment,
    ]
    statuses = [r for r in fake.requests if r.method == "GET" and r.path == UPLOAD]
    assert [r.query for r in statuses] == [{"command": "STATUS", "media_id": upload.id}] * 3
    assert sleeps == [1, 1, 1]  # X's check_after_secs, between FINALIZE and each STATUS
    assert "POST /2/media/metadata" not in calls(fake)  # no alt text on a video
    assert tweet["media"] == ("video",)
    assert calls(fake).index("POST /2/tweets") == len(fake.requests) - 1  # the post comes last


def test_an_animated_gif_is_processed_and_keeps_its_alt_text(fake: x.XFake) -> None:
    publish(fake, post(GIF))
    [tweet] = fake.tweets
    [upload] = [fake.uploads[i] for i in tweet["media_ids"]]
    assert (upload.media_type, upload.category) == ("image/gif", "tweet_gif")
    assert upload.alt_text == GIF[2] and tweet["media"] == ("animated_gif",)
    assert f"GET {UPLOAD}" in calls(fake)


def test_a_media_post_is_found_again_by_its_text(fake: x.XFake) -> None:
    adapter = adapter_for("x", fake.url, media=load, sleep=Sleeps())
    published = adapter.publish(post(VIDEO), Token(x.TOKEN))
    found = adapter.find_existing(post(VIDEO), Token(x.TOKEN))
    assert found is not None and found.post_id == published.post_id


# --- refused before any upload ----------------------------------------------------------


def bytes_loader(data: bytes) -> Any:
    return lambda url, kind, alt: media.blob(data, kind, alt, url)


@pytest.mark.parametrize(
    ("items", "loader", "words"),
    [
        ((IMAGE,), bytes_loader(b"\xff\xd8\xff" + bytes(6 * 1024 * 1024)), "up to 5 MB"),
        ((VIDEO,), bytes_loader(b"\x1a\x45\xdf\xa3" + bytes(1000)), "not video/webm"),
        ((IMAGE,), bytes_loader(sample_video("v")), "declared image but is video/mp4"),
        ((VIDEO, IMAGE), load, "video or an animated GIF alone"),
        ((GIF, IMAGE), load, "video or an animated GIF alone"),
        (
            tuple((f"https://cdn.example.com/{n}.jpg", "image", "") for n in range(5)),
            load,
            "up to 4 images",
        ),
    ],
    ids=["too-large", "webm", "not-what-it-says", "video-and-image", "gif-and-image", "five"],
)
def test_media_x_would_refuse_fails_before_any_upload(fake: x.XFake, items, loader, words) -> None:
    adapter = adapter_for("x", fake.url, media=loader, sleep=Sleeps())
    with pytest.raises(PlatformError) as caught:
        adapter.publish(post(*items), Token(x.TOKEN))
    assert caught.value.code == "media_refused" and not caught.value.retryable
    assert words in caught.value.reason
    assert fake.requests == [] and fake.uploads == {}  # the fake saw nothing


def test_a_file_the_store_cannot_read_is_retryable_and_nothing_is_sent(fake: x.XFake) -> None:
    def broken(url: str, kind: str, alt: str) -> media.Blob:
        raise OSError("S3 is down")

    adapter = adapter_for("x", fake.url, media=broken)
    with pytest.raises(PlatformError) as caught:
        adapter.publish(post(IMAGE), Token(x.TOKEN))
    assert caught.value.code == "media_unavailable" and caught.value.retryable
    assert fake.requests == []


# --- errors on the way ------------------------------------------------------------------


def test_a_rate_limit_on_append_fails_the_attempt_and_the_retry_posts_once(fake: x.XFake) -> None:
    fake.fail_next("rate_limit", on="/append")
    adapter = adapter_for("x", fake.url, media=load, sleep=Sleeps())
    with pytest.raises(PlatformError) as caught:
        adapter.publish(post(IMAGE), Token(x.TOKEN))
    error = caught.value
    assert error.retryable and error.status == 429 and not error.auth
    assert error.retry_after_s is not None and 30 <= error.retry_after_s <= 3600  # its reset
    assert fake.tweets == []  # nothing posted: a 429 leaves publish's retry nothing to ask
    published = adapter.publish(post(IMAGE), Token(x.TOKEN))  # publish's retry
    [tweet] = fake.tweets
    assert published.post_id == tweet["id"]
    orphan, used = fake.uploads.values()  # the first upload was never finalized, nor posted
    assert not orphan.finalized and tweet["media_ids"] == [used.id]
    assert used.data == made(IMAGE[0], "image")


def test_a_lost_answer_to_the_post_is_found_and_never_posted_twice(fake: x.XFake) -> None:
    fake.lose_answer_next(on="/2/tweets")
    adapter = adapter_for("x", fake.url, media=load, sleep=Sleeps())
    with pytest.raises(PlatformError) as caught:
        adapter.publish(post(IMAGE), Token(x.TOKEN))
    assert caught.value.status == 504 and caught.value.retryable
    found = adapter.find_existing(post(IMAGE), Token(x.TOKEN))  # what publish's retry asks
    [tweet] = fake.tweets
    assert found is not None and found.post_id == tweet["id"]


@pytest.mark.parametrize("on", [f"{UPLOAD}/initialize", "/append", "/finalize", "/metadata"])
def test_an_expired_token_on_the_upload_is_an_auth_error(fake: x.XFake, on: str) -> None:
    fake.fail_next("expired", on=on)
    with pytest.raises(PlatformError) as caught:
        publish(fake, post(IMAGE))
    assert caught.value.auth and not caught.value.retryable and caught.value.status == 401
    assert fake.tweets == []


def test_a_token_known_to_be_expired_uploads_nothing(fake: x.XFake) -> None:
    adapter = adapter_for("x", fake.url, media=load)
    old = Token(x.TOKEN, datetime.now(UTC) - timedelta(minutes=1))
    with pytest.raises(PlatformError) as caught:
        adapter.publish(post(IMAGE), old)
    assert caught.value.auth and fake.requests == []


def test_a_processing_failure_fails_the_post_for_good(fake: x.XFake) -> None:
    fake.processing = ("pending", "in_progress", "failed")
    with pytest.raises(PlatformError) as caught:
        publish(fake, post(VIDEO))
    error = caught.value
    assert error.code == "processing_failed" and not error.retryable and not error.auth
    assert "Unsupported video format" in error.reason
    assert fake.tweets == []


def test_a_video_still_processing_after_max_polls_is_a_retryable_timeout(fake: x.XFake) -> None:
    fake.processing = ("pending", "in_progress")  # never done
    sleeps = Sleeps()
    with pytest.raises(PlatformError) as caught:
        publish(fake, post(VIDEO), sleep=sleeps, max_polls=3)
    assert caught.value.code == "processing_timeout" and caught.value.retryable
    assert caught.value.status == 0  # publish's retry asks the platform first, then uploads again
    assert len([r for r in fake.requests if r.method == "GET"]) == 3 and len(sleeps) == 3
    assert fake.tweets == []


# --- what the fake refuses, as X does ---------------------------------------------------


def x_call(fake: x.XFake, path: str, body: Any = None, method: str = "POST") -> Any:
    return http.call("x", method, f"{fake.url}/2/{path}", bearer=x.TOKEN, json_body=body).body


def append(fake: x.XFake, ident: str, index: int, data: bytes) -> None:
    body, content_type = http.multipart({"segment_index": str(index)},
                                        {"media": ("media.mp4", "video/mp4", data)})  # fmt: skip
    http.send("x", "POST", f"{fake.url}/2/media/upload/{ident}/append", body, content_type,
              bearer=x.TOKEN)  # fmt: skip


def started(fake: x.XFake, size: int, kind: str = "tweet_video") -> str:
    mime = "video/mp4" if kind == "tweet_video" else "image/jpeg"
    init = x_call(fake, "media/upload/initialize",
                  {"media_type": mime, "total_bytes": size, "media_category": kind})  # fmt: skip
    return str(init["data"]["id"])


def refused(call: Any, *args: Any) -> PlatformError:
    with pytest.raises(PlatformError) as caught:
        call(*args)
    assert caught.value.status == 400 and not caught.value.retryable
    return caught.value


def test_the_fake_refuses_segments_out_of_order_and_short_uploads(fake: x.XFake) -> None:
    ident = started(fake, 10)
    assert "segment_index 0, not 1" in refused(append, fake, ident, 1, b"12345").reason
    append(fake, ident, 0, b"12345")
    error = refused(x_call, fake, f"media/upload/{ident}/finalize")
    assert "do not add up" in error.reason
    append(fake, ident, 1, b"67890")
    x_call(fake, f"media/upload/{ident}/finalize")
    assert fake.uploads[ident].data == b"1234567890"
    assert "already finalized" in refused(append, fake, ident, 2, b"more").reason


def test_the_fake_refuses_what_initialize_does_not_take(fake: x.XFake) -> None:
    too_big = {"media_type": "image/jpeg", "total_bytes": 6 * 1024 * 1024,
               "media_category": "tweet_image"}  # fmt: skip
    assert "total_bytes" in refused(x_call, fake, "media/upload/initialize", too_big).reason
    video_as_image = {"media_type": "video/mp4", "total_bytes": 10, "media_category": "tweet_image"}
    refused(x_call, fake, "media/upload/initialize", video_as_image)
    assert fake.uploads == {}


def test_the_fake_refuses_a_post_naming_media_it_cannot_use(fake: x.XFake) -> None:
    unknown = {"text": "Hello", "media": {"media_ids": ["1234567890"]}}
    assert "media IDs are invalid" in refused(x_call, fake, "tweets", unknown).reason
    ident = started(fake, 5)
    append(fake, ident, 0, b"12345")
    unfinished = {"text": "Hello", "media": {"media_ids": [ident]}}
    assert "media IDs are invalid" in refused(x_call, fake, "tweets", unfinished).reason
    x_call(fake, f"media/upload/{ident}/finalize")  # a video: now pending
    assert "media IDs are invalid" in refused(x_call, fake, "tweets", unfinished).reason
    x_call(fake, f"media/upload?command=STATUS&media_id={ident}", method="GET")  # succeeded
    x_call(fake, "tweets", unfinished)
    [tweet] = fake.tweets
    assert tweet["media_ids"] == [ident] and tweet["media"] == ("video",)


def test_the_fake_takes_alt_text_of_1000_characters_at_most(fake: x.XFake) -> None:
    ident = started(fake, 5, "tweet_image")
    append(fake, ident, 0, b"12345")
    x_call(fake, f"media/upload/{ident}/finalize")
    long = {"id": ident, "metadata": {"alt_text": {"text": "a" * 1001}}}
    assert "1 to 1000 characters" in refused(x_call, fake, "media/metadata", long).reason
    x_call(fake, "media/metadata", {"id": ident, "metadata": {"alt_text": {"text": "a" * 1000}}})
    assert fake.uploads[ident].alt_text == "a" * 1000
