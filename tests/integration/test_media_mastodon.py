"""Mastodon statuses with images and a video: ``POST /api/v2/media`` (then, while the server
processes a file, ``GET /api/v1/media/:id`` until it is done), then ``POST
/api/v1/statuses`` with ``media_ids``, against the contract fake (infra/peers/mastodon.py:
the 202 path, its refusals) and the real mastodon-mock server (which serves
``/api/v2/media`` and answers 200 at once; started once for this module, see
tests/mastodon_peer.py).

The media come from a loader the test gives the adapter (the store's ``load`` in
production): real JPEG and PNG images drawn with Pillow, MP4-shaped videos
(infra/peers/web.py)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from mastodon_peer import TOKEN as MOCK_TOKEN
from mastodon_peer import http, reset
from media_files import Files, Sleeps

from functions.common.platform.errors import PlatformError
from functions.common.platform.tokens import Token
from functions.publish.adapters import adapter_for
from functions.publish.adapters.base import PostRequest
from functions.publish.adapters.mastodon import MastodonAdapter
from infra.peers import Reply, mastodon
from infra.peers.web import sample_image, sample_video

UPLOAD = "/api/v2/media"


PHOTO = ("https://cdn.example.com/bike.jpg", "image", "A red bicycle against a wall")
VIDEO = ("https://cdn.example.com/ride.mp4", "video", "Riding down the ridge")
FILES = {
    PHOTO[0]: sample_image("bike", (640, 480)),
    "https://cdn.example.com/2.png": sample_image("two", (300, 500), "PNG"),
    "https://cdn.example.com/3.jpg": sample_image("three"),
    "https://cdn.example.com/4.jpg": sample_image("four"),
    "https://cdn.example.com/5.jpg": sample_image("five"),
    VIDEO[0]: sample_video("ride", size=200_000),
    # over Mastodon's 16 MB for an image: a JPEG with a long tail
    "https://cdn.example.com/huge.jpg": sample_image("huge") + bytes(16_000_001),
    "https://cdn.example.com/notes.txt": b"just some text, not an image",
}
FOUR = (PHOTO, ("https://cdn.example.com/2.png", "image", "Two"),
        ("https://cdn.example.com/3.jpg", "image", "Three"),
        ("https://cdn.example.com/4.jpg", "image", ""))  # fmt: skip


def post(*media: tuple[str, str, str], key: str = "k-1") -> PostRequest:
    return PostRequest("Autumn rides 🍂 #bikes", key, "@brand@social.test", media=media)


@pytest.fixture
def fake() -> Iterator[mastodon.MastodonFake]:
    with mastodon.MastodonFake() as made:
        yield made


def adapter_of(url: str, **options: Any) -> MastodonAdapter:
    options.setdefault("sleep", Sleeps())
    made = adapter_for("mastodon", url, media=Files(FILES), poll_interval_s=1.5, **options)
    assert isinstance(made, MastodonAdapter)
    return made


TOKEN = Token(mastodon.TOKEN)


def only_status(fake: mastodon.MastodonFake) -> dict[str, Any]:
    (status,) = fake.statuses
    return status


# --- the contract fake ----------------------------------------------------------------


def test_an_image_is_uploaded_with_its_description_then_attached(fake) -> None:
    published = adapter_of(fake.url).publish(post(PHOTO), TOKEN)
    # THEN one upload, answered at once (200: an image), then the status: no poll
    assert fake.paths() == [UPLOAD, "/api/v1/statuses"]
    (media_id,) = fake.files
    sent = fake.files[media_id]
    # AND the file arrived intact, with its type and its alt text as the description
    assert (sent.content_type, sent.data) == ("image/jpeg", FILES[PHOTO[0]])
    assert sent.filename == "media.jpg"
    assert fake.media[media_id]["description"] == PHOTO[2]
    (upload,) = [r for r in fake.requests if r.path == UPLOAD]
    assert upload.headers["authorization"] == f"Bearer {mastodon.TOKEN}"
    # AND the status names it, and carries it
    (create,) = [r for r in fake.requests if r.path == "/api/v1/statuses"]
    assert create.body["media_ids"] == [media_id]
    assert create.headers["idempotency-key"] == "k-1"
    status = only_status(fake)
    assert [(a["id"], a["type"], a["description"]) for a in status["media_attachments"]] == [
        (media_id, "image", PHOTO[2])]  # fmt: skip
    assert published.post_id == status["id"]


def test_four_images_are_attached_in_their_order(fake) -> None:
    adapter_of(fake.url).publish(post(*FOUR), TOKEN)
    ids = list(fake.files)
    assert only_status(fake)["media_attachments"] == [fake.media[i] for i in ids]
    assert [fake.files[i].data for i in ids] == [FILES[m[0]] for m in FOUR]
    assert [fake.media[i]["description"] for i in ids] == [PHOTO[2], "Two", "Three", None]


def test_a_video_is_processed_in_the_background_then_attached(fake) -> None:
    # GIVEN the server processes a video after its upload's answer: 202, then 206 twice
    sleeps = Sleeps()
    published = adapter_of(fake.url, sleep=sleeps).publish(post(VIDEO), TOKEN)
    (media_id,) = fake.files
    # THEN the adapter asked for the attachment until it was done, sleeping in between
    assert fake.paths() == [UPLOAD, *[f"/api/v1/media/{media_id}"] * 3, "/api/v1/statuses"]
    assert sleeps == [1.5, 1.5, 1.5]
    assert fake.files[media_id].data == FILES[VIDEO[0]]
    assert fake.files[media_id].content_type == "video/mp4"
    (attachment,) = only_status(fake)["media_attachments"]
    assert (attachment["id"], attachment["type"]) == (media_id, "video")
    assert attachment["url"] and published.post_id == only_status(fake)["id"]


def test_a_video_still_processing_after_the_last_poll_is_a_retryable_timeout(fake) -> None:
    fake.processing_polls = 100
    sleeps = Sleeps()
    with pytest.raises(PlatformError) as caught:
        adapter_of(fake.url, sleep=sleeps, max_polls=4).publish(post(VIDEO), TOKEN)
    error = caught.value
    assert (error.code, error.retryable, error.auth) == ("processing_timeout", True, False)
    assert len(sleeps) == 4 and fake.statuses == []


def test_an_image_the_server_processes_in_the_background_is_waited_for_too(fake) -> None:
    fake.background = {"image"}  # a server that answers 202 to every upload (before 4.0)
    fake.processing_polls = 1
    adapter_of(fake.url).publish(post(PHOTO), TOKEN)
    (media_id,) = fake.files
    assert fake.paths() == [UPLOAD, *[f"/api/v1/media/{media_id}"] * 2, "/api/v1/statuses"]


def test_a_file_the_server_could_not_process_fails_the_post(fake) -> None:
    fake.answer_next(Reply(422, {"error": "Error processing thumbnail for uploaded media"}),
                     on="/api/v1/media/")  # fmt: skip
    with pytest.raises(PlatformError) as caught:
        adapter_of(fake.url).publish(post(VIDEO), TOKEN)
    assert (caught.value.code, caught.value.retryable) == ("media_failed", False)
    assert fake.statuses == []


@pytest.mark.parametrize(
    ("media", "said"),
    [
        ((("https://cdn.example.com/huge.jpg", "image", ""),), "up to 16 MB"),
        ((("https://cdn.example.com/notes.txt", "image", ""),), "not an image or a video"),
        ((("https://cdn.example.com/bike.jpg", "video", ""),), "declared video"),
        ((*FOUR, ("https://cdn.example.com/5.jpg", "image", "")), "up to 4 attachments"),
        ((PHOTO, VIDEO), "a video alone"),
    ],
    ids=["too-large", "not-media", "not-a-video", "five", "image-and-video"],
)
def test_media_mastodon_does_not_take_is_refused_before_any_upload(fake, media, said) -> None:
    with pytest.raises(PlatformError) as caught:
        adapter_of(fake.url).publish(post(*media), TOKEN)
    error = caught.value
    assert (error.code, error.retryable, error.auth) == ("media_refused", False, False)
    assert said in error.reason
    assert fake.requests == []


def test_a_rate_limited_upload_is_retryable_and_the_retry_posts_once(fake) -> None:
    adapter = adapter_of(fake.url)
    fake.fail_next("rate_limit", on=UPLOAD)
    with pytest.raises(PlatformError) as caught:
        adapter.publish(post(PHOTO, FOUR[1]), TOKEN)
    error = caught.value
    assert (error.status, error.retryable) == (429, True)
    assert error.retry_after_s is not None and 290 <= error.retry_after_s <= 300
    assert fake.statuses == [] and fake.files == {}
    adapter.publish(post(PHOTO, FOUR[1]), TOKEN)
    assert len(only_status(fake)["media_attachments"]) == 2


def test_a_retry_after_the_status_answer_was_lost_uploads_again_but_posts_once(fake) -> None:
    # GIVEN the status was made but its answer lost (a gateway's 504)
    adapter = adapter_of(fake.url)
    fake.lose_answer_next(on="/api/v1/statuses")
    with pytest.raises(PlatformError) as caught:
        adapter.publish(post(PHOTO), TOKEN)
    assert caught.value.retryable
    # WHEN publish retries, under the same Idempotency-Key
    again = adapter.publish(post(PHOTO), TOKEN)
    # THEN the image was uploaded twice, but the server answered the first status
    assert len(fake.files) == 2
    assert [s["id"] for s in fake.statuses] == [again.post_id]


def test_an_expired_token_at_the_upload_is_an_auth_error_and_nothing_is_posted(fake) -> None:
    fake.fail_next("expired", on=UPLOAD)
    with pytest.raises(PlatformError) as caught:
        adapter_of(fake.url).publish(post(PHOTO), TOKEN)
    assert (caught.value.status, caught.value.auth, caught.value.retryable) == (401, True, False)
    assert fake.statuses == []
    wrong = adapter_of(fake.url)
    with pytest.raises(PlatformError) as refused:  # a token the server does not know
        wrong.publish(post(PHOTO), Token("not-the-token"))
    assert refused.value.auth and fake.files == {}


def call(fake: mastodon.MastodonFake, method: str, path: str, data: bytes | None = None,
         content_type: str = "application/json") -> tuple[int, Any]:  # fmt: skip
    request = urllib.request.Request(f"{fake.url}{path}", data=data, method=method)
    request.add_header("Authorization", f"Bearer {mastodon.TOKEN}")
    if data is not None:
        request.add_header("Content-Type", content_type)
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def upload(fake: mastodon.MastodonFake, data: bytes, mime: str, name: str = "file") -> tuple[int, Any]:  # fmt: skip
    from functions.common.platform.http import multipart

    body, content_type = multipart({"description": "alt"}, {name: ("f", mime, data)})
    return call(fake, "POST", UPLOAD, body, content_type)


def status(fake: mastodon.MastodonFake, *ids: str) -> tuple[int, Any]:
    body = json.dumps({"status": "hi", "media_ids": list(ids)}).encode()
    return call(fake, "POST", "/api/v1/statuses", body)


def test_the_fake_refuses_what_mastodon_refuses(fake) -> None:
    image, video = FILES[PHOTO[0]], FILES[VIDEO[0]]
    # an upload without a file, or of a type Mastodon does not take
    assert upload(fake, image, "image/jpeg", name="picture")[0] == 422
    assert upload(fake, b"%PDF-1.4", "application/pdf")[0] == 422
    # a status naming an attachment that does not exist
    code, body = status(fake, "999")
    assert code == 422 and "not found" in body["error"]
    # one still processing (202, url null), then done (206, 206, 200)
    code, pending = upload(fake, video, "video/mp4")
    assert (code, pending["url"]) == (202, None)
    code, body = status(fake, pending["id"])
    assert code == 422 and "not finished processing" in body["error"]
    assert [call(fake, "GET", f"/api/v1/media/{pending['id']}")[0] for _ in range(3)] == [206, 206, 200]  # fmt: skip
    # a video with an image
    _, done = upload(fake, image, "image/jpeg")
    assert done["url"] and status(fake, pending["id"], done["id"])[0] == 422
    # five attachments
    more = [upload(fake, image, "image/jpeg")[1]["id"] for _ in range(4)]
    assert status(fake, done["id"], *more)[0] == 422
    # the video alone is taken, and then it is attached: naming it again is refused
    assert status(fake, pending["id"])[0] == 200
    assert status(fake, pending["id"])[0] == 422
    assert fake.posts_made() == 1


# --- the real mastodon-mock server ----------------------------------------------------


@pytest.fixture
def base(mastodon_mock: str) -> str:
    return reset(mastodon_mock)


def mock_adapter(base: str) -> MastodonAdapter:
    made = adapter_for("mastodon", base_url=base, media=Files(FILES), sleep=Sleeps())
    assert isinstance(made, MastodonAdapter)
    return made


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=5) as answer:
        data: bytes = answer.read()
    return data


def test_mastodon_mock_takes_a_status_with_images_and_serves_them(base: str) -> None:
    request = PostRequest("Two photos #bikes", "campaign/post/1", "testuser",
                          media=(PHOTO, FOUR[1]))  # fmt: skip
    published = mock_adapter(base).publish(request, Token(MOCK_TOKEN))
    shown = http("GET", f"{base}/api/v1/statuses/{published.post_id}", token=MOCK_TOKEN)
    attachments = shown["media_attachments"]
    assert [(a["type"], a["description"]) for a in attachments] == [
        ("image", PHOTO[2]), ("image", "Two")]  # fmt: skip
    # AND the files it serves are the ones uploaded, byte for byte
    assert [fetch(a["url"]) for a in attachments] == [FILES[PHOTO[0]], FILES[FOUR[1][0]]]


def test_mastodon_mock_takes_a_status_with_a_video(base: str) -> None:
    request = PostRequest("The ride", "campaign/post/2", "testuser", media=(VIDEO,))
    published = mock_adapter(base).publish(request, Token(MOCK_TOKEN))
    shown = http("GET", f"{base}/api/v1/statuses/{published.post_id}", token=MOCK_TOKEN)
    (attachment,) = shown["media_attachments"]
    assert (attachment["type"], attachment["description"]) == ("video", VIDEO[2])
    assert fetch(attachment["url"]) == FILES[VIDEO[0]]


def test_mastodon_mock_rate_limiting_the_upload_posts_nothing_then_once(base: str) -> None:
    rule = {"match": {"methods": ["POST"], "path": UPLOAD}, "effect": {"type": "ratelimit"},
            "count": 1}  # fmt: skip
    http("POST", f"{base}/api/v1/_mock/faults", rule)
    adapter = mock_adapter(base)
    request = PostRequest("Photo", "campaign/post/3", "testuser", media=(PHOTO,))
    with pytest.raises(PlatformError) as caught:
        adapter.publish(request, Token(MOCK_TOKEN))
    assert (caught.value.status, caught.value.retryable) == (429, True)
    published = adapter.publish(request, Token(MOCK_TOKEN))
    me = http("GET", f"{base}/api/v1/accounts/verify_credentials", token=MOCK_TOKEN)
    statuses = http("GET", f"{base}/api/v1/accounts/{me['id']}/statuses", token=MOCK_TOKEN)
    assert [s["id"] for s in statuses] == [published.post_id]
    assert len(statuses[0]["media_attachments"]) == 1
