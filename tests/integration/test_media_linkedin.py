"""LinkedIn media (functions/publish/adapters/linkedin.py) against the contract fake
(infra/peers/linkedin.py): an image through the Images API, images as a MultiImage post, a
video in parts through the Videos API (initializeUpload, each part PUT, finalizeUpload with
the ETags in order, then the video's status polled until AVAILABLE); media refused before
any upload; the documented errors during an upload; processing that fails or outlasts the
polls. The fake keeps what it received, so each file is checked to have arrived intact."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from media_files import Files

from functions.common.media import Blob
from functions.common.platform.errors import PlatformError
from functions.common.platform.tokens import Token
from functions.publish.adapters import adapter_for
from functions.publish.adapters.base import PostRequest, Trail
from functions.publish.adapters.linkedin import LinkedInAdapter
from infra.peers import linkedin
from infra.peers.web import sample_image, sample_video

IMAGE = "https://cdn.example.com/bike.jpg"
VIDEO = "https://cdn.example.com/ride.mp4"
PART = 16_000  # the fake's part size: a 40 kB video goes in 3 parts


def no_sleep(seconds: float) -> None:
    pass


FILES: dict[str, bytes] = {
    IMAGE: sample_image(IMAGE),
    VIDEO: sample_video(VIDEO, size=40_000),
    **{f"https://cdn.example.com/{n}.png": sample_image(str(n), fmt="PNG") for n in range(21)},
    "https://cdn.example.com/big.jpg": b"\xff\xd8\xff\xe0" + bytes(10_000_001),
    "https://cdn.example.com/photo.webp": b"RIFF\x00\x00\x00\x00WEBPVP8 " + bytes(64),
    "https://cdn.example.com/clip.mov": sample_video("clip", size=20_000, brand=b"qt  "),
}
load = Files(FILES)


@pytest.fixture
def fake() -> Iterator[linkedin.LinkedInFake]:
    with linkedin.LinkedInFake() as running:
        running.part_size = PART
        yield running


def adapter(fake: linkedin.LinkedInFake, **options: Any) -> LinkedInAdapter:
    made = adapter_for("linkedin", fake.url, media=load, sleep=no_sleep, **options)
    assert isinstance(made, LinkedInAdapter)
    return made


def post(text: str, *media: tuple[str, str, str]) -> PostRequest:
    return PostRequest(text, "k", "brand", account_id=linkedin.ORG, media=media)


TOKEN = Token(linkedin.TOKEN)


def actions(fake: linkedin.LinkedInFake) -> list[str]:
    """The media calls the fake saw, in order: ``images:initializeUpload``, ``PUT``, ..."""
    seen = []
    for r in fake.requests:
        if r.path in ("/rest/images", "/rest/videos"):
            seen.append(f"{r.path.rsplit('/', 1)[1]}:{r.query.get('action')}")
        elif r.method == "PUT":
            seen.append("PUT")
        elif r.path.startswith("/rest/videos/"):
            seen.append("GET video")
        elif r.path == "/rest/posts" and r.method == "POST":
            seen.append("post")
    return seen


# --- images ---------------------------------------------------------------------------


def test_an_image_is_uploaded_then_posted_with_its_alt_text(fake) -> None:
    published = adapter(fake).publish(post("New colours", (IMAGE, "image", "A red bike")), TOKEN)
    assert actions(fake) == ["images:initializeUpload", "PUT", "post"]
    init = next(r for r in fake.requests if r.path == "/rest/images")
    assert init.body == {"initializeUploadRequest": {"owner": linkedin.ORG}}
    assert init.headers["linkedin-version"] == linkedin.VERSION
    put = next(r for r in fake.requests if r.method == "PUT")
    assert put.headers["authorization"] == f"Bearer {linkedin.TOKEN}"  # the upload URL too
    [made] = fake.posts
    [urn] = fake.uploaded
    assert made["content"] == {"media": {"id": urn, "altText": "A red bike"}}
    assert fake.uploaded[urn] == FILES[IMAGE]  # the bytes arrived intact
    assert published.post_id == made["id"]


def test_an_image_without_alt_text_is_posted_without_alt_text(fake) -> None:
    adapter(fake).publish(post("New colours", (IMAGE, "image", "")), TOKEN)
    assert fake.posts[0]["content"] == {"media": {"id": next(iter(fake.uploaded))}}


def test_several_images_are_a_multi_image_post_in_their_order(fake) -> None:
    urls = [f"https://cdn.example.com/{n}.png" for n in range(3)]
    request = post("Three colours", *[(u, "image", f"Colour {n}") for n, u in enumerate(urls)])
    adapter(fake).publish(request, TOKEN)
    assert actions(fake) == ["images:initializeUpload", "PUT"] * 3 + ["post"]
    images = fake.posts[0]["content"]["multiImage"]["images"]
    assert [i["altText"] for i in images] == ["Colour 0", "Colour 1", "Colour 2"]
    assert [fake.uploaded[i["id"]] for i in images] == [FILES[u] for u in urls]


def test_twenty_images_go_out_and_twenty_one_are_refused_before_any_upload(fake) -> None:
    urls = [f"https://cdn.example.com/{n}.png" for n in range(21)]
    adapter(fake).publish(post("Twenty", *[(u, "image", "") for u in urls[:20]]), TOKEN)
    assert len(fake.posts[0]["content"]["multiImage"]["images"]) == 20
    fake.requests.clear()
    with pytest.raises(PlatformError) as caught:
        adapter(fake).publish(post("Too many", *[(u, "image", "") for u in urls]), TOKEN)
    assert caught.value.code == "media_refused" and not caught.value.retryable
    assert actions(fake) == []


# --- video ----------------------------------------------------------------------------


def test_a_video_goes_in_parts_then_waits_until_available_then_posts(fake) -> None:
    adapter(fake).publish(post("Autumn ride\nwith friends", (VIDEO, "video", "")), TOKEN)
    # initializeUpload, 3 parts, finalizeUpload, PROCESSING twice then AVAILABLE, the post
    assert actions(fake) == ["videos:initializeUpload", "PUT", "PUT", "PUT",
                             "videos:finalizeUpload", "GET video", "GET video", "GET video",
                             "post"]  # fmt: skip
    init = next(r for r in fake.requests if r.path == "/rest/videos")
    assert init.body["initializeUploadRequest"]["owner"] == linkedin.ORG
    assert init.body["initializeUploadRequest"]["fileSizeBytes"] == len(FILES[VIDEO])
    [urn] = fake.uploaded
    asset = fake.assets[urn]
    finalize = next(r for r in fake.requests if r.query.get("action") == "finalizeUpload")
    assert finalize.body == {"finalizeUploadRequest": {
        "video": urn, "uploadToken": asset.token,
        "uploadedPartIds": [asset.etags[n] for n in range(3)]}}  # fmt: skip
    assert asset.token  # several parts: LinkedIn gives a token
    assert [len(p) for p in asset.parts.values()] == [PART, PART, len(FILES[VIDEO]) - 2 * PART]
    assert fake.uploaded[urn] == FILES[VIDEO]
    assert fake.posts[0]["content"] == {"media": {"id": urn, "title": "Autumn ride"}}


def test_a_video_takes_its_title_from_its_alt_text(fake) -> None:
    adapter(fake).publish(post("Ride with us", (VIDEO, "video", "A ride at dawn")), TOKEN)
    assert fake.posts[0]["content"]["media"]["title"] == "A ride at dawn"


def test_a_video_of_one_part_has_an_empty_upload_token(fake) -> None:
    fake.part_size = 4 * 1024 * 1024  # LinkedIn's own
    adapter(fake).publish(post("Ride", (VIDEO, "video", "")), TOKEN)
    finalize = next(r for r in fake.requests if r.query.get("action") == "finalizeUpload")
    assert finalize.body["finalizeUploadRequest"]["uploadToken"] == ""
    assert len(finalize.body["finalizeUploadRequest"]["uploadedPartIds"]) == 1


def test_a_video_goes_alone(fake) -> None:
    with pytest.raises(PlatformError) as caught:
        adapter(fake).publish(post("Both", (VIDEO, "video", ""), (IMAGE, "image", "")), TOKEN)
    assert caught.value.code == "media_refused" and "alone" in caught.value.reason
    assert actions(fake) == []


def test_processing_that_fails_fails_the_post_for_good(fake) -> None:
    fake.fail_processing = True
    with pytest.raises(PlatformError) as caught:
        adapter(fake).publish(post("Ride", (VIDEO, "video", "")), TOKEN)
    assert caught.value.code == "processing_failed" and not caught.value.retryable
    assert fake.posts_made() == 0


def test_processing_past_the_polls_is_retryable_and_the_retry_waits_for_the_same_video(
    fake,
) -> None:
    fake.processing_polls = 5
    trail = Trail()
    with pytest.raises(PlatformError) as caught:
        adapter(fake, max_polls=3).publish(post("Ride", (VIDEO, "video", "")), TOKEN, trail)
    assert caught.value.code == "processing_timeout" and caught.value.retryable
    assert fake.posts_made() == 0
    [urn] = fake.uploaded
    assert trail.notes["video"].endswith(" " + urn)  # written down before the wait
    # the next delivery waits for that video: nothing is uploaded again
    fake.requests.clear()
    adapter(fake, max_polls=3).publish(post("Ride", (VIDEO, "video", "")), TOKEN, trail)
    assert actions(fake) == ["GET video", "GET video", "GET video", "post"]
    assert fake.posts[0]["content"]["media"]["id"] == urn


def test_a_retry_uploads_anew_when_the_noted_video_failed(fake) -> None:
    fake.fail_processing = True
    trail = Trail()
    with pytest.raises(PlatformError):
        adapter(fake).publish(post("Ride", (VIDEO, "video", "")), TOKEN, trail)
    fake.fail_processing = False
    adapter(fake).publish(post("Ride", (VIDEO, "video", "")), TOKEN, trail)
    assert len(fake.uploaded) == 2 and fake.posts_made() == 1
    assert fake.posts[0]["content"]["media"]["id"] == trail.notes["video"].split(" ")[1]


def test_a_video_never_posted_before_it_is_available_is_refused_by_the_fake(fake) -> None:
    made = adapter(fake)
    made.wait = lambda urn, token: None  # type: ignore[method-assign]  # an adapter that skips
    with pytest.raises(PlatformError) as caught:
        made.publish(post("Ride", (VIDEO, "video", "")), TOKEN)
    assert caught.value.status == 400 and not caught.value.retryable
    assert fake.posts_made() == 0


# --- refused before any upload --------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "kind", "words"),
    [
        ("https://cdn.example.com/photo.webp", "image", "image/webp"),
        ("https://cdn.example.com/big.jpg", "image", "10 MB"),
        ("https://cdn.example.com/clip.mov", "video", "video/quicktime"),
        (IMAGE, "video", "declared video"),
    ],
)
def test_a_file_linkedin_does_not_take_is_refused_before_any_upload(fake, url, kind, words):
    request = post("Look", (IMAGE, "image", ""), (url, kind, "")) if kind == "image" else post(
        "Look", (url, kind, ""))  # fmt: skip
    with pytest.raises(PlatformError) as caught:
        adapter(fake).publish(request, TOKEN)
    assert caught.value.code == "media_refused" and not caught.value.retryable
    assert words in caught.value.reason
    assert fake.requests == []  # no initializeUpload, no PUT, no post


def test_a_file_that_cannot_be_read_is_retryable_and_nothing_is_uploaded(fake) -> None:
    def unreadable(url: str, kind: str, alt: str = "") -> Blob:
        raise OSError("the store timed out")

    made = adapter_for("linkedin", fake.url, media=unreadable, sleep=no_sleep)
    with pytest.raises(PlatformError) as caught:
        made.publish(post("Look", (IMAGE, "image", "")), TOKEN)
    assert caught.value.code == "media_unavailable" and caught.value.retryable
    assert fake.requests == []


# --- errors during an upload ----------------------------------------------------------


def test_a_429_on_a_part_is_retryable_and_the_retry_uploads_again_and_posts_once(fake) -> None:
    fake.fail_next("rate_limit", on="/uploadedVideo/1")
    with pytest.raises(PlatformError) as caught:
        adapter(fake).publish(post("Ride", (VIDEO, "video", "")), TOKEN)
    assert caught.value.retryable and caught.value.retry_after_s == 3600
    assert fake.posts_made() == 0
    assert actions(fake) == ["videos:initializeUpload", "PUT", "PUT"]  # the second refused
    # the retry (publish's) uploads the video again; the first one is an orphan
    adapter(fake).publish(post("Ride", (VIDEO, "video", "")), TOKEN)
    assert fake.posts_made() == 1
    video = fake.posts[0]["content"]["media"]["id"]
    assert fake.uploaded == {video: FILES[VIDEO]}  # the first never finalized


def test_an_expired_token_during_an_upload_needs_a_person(fake) -> None:
    fake.fail_next("expired", on="/rest/images")
    with pytest.raises(PlatformError) as caught:
        adapter(fake).publish(post("New colours", (IMAGE, "image", "")), TOKEN)
    error = caught.value
    assert (error.code, error.auth, error.retryable) == ("EXPIRED_ACCESS_TOKEN", True, False)
    assert fake.posts_made() == 0


def test_an_expired_token_on_the_upload_url_needs_a_person(fake) -> None:
    fake.fail_next("expired", on="/dms-uploads/")
    with pytest.raises(PlatformError) as caught:
        adapter(fake).publish(post("New colours", (IMAGE, "image", "")), TOKEN)
    assert caught.value.auth and not caught.value.retryable
    assert fake.posts_made() == 0


def test_a_server_error_on_finalize_is_retryable_and_nothing_is_posted(fake) -> None:
    fake.fail_next("server_error", on="/rest/videos")
    with pytest.raises(PlatformError) as caught:
        adapter(fake).publish(post("Ride", (VIDEO, "video", "")), TOKEN)
    assert caught.value.retryable and fake.posts_made() == 0


# --- the fake's contract --------------------------------------------------------------


def call(fake: linkedin.LinkedInFake, method: str, path: str, body: Any = None,
         data: bytes | None = None, version: str | None = linkedin.VERSION) -> tuple[int, Any, dict]:  # fmt: skip
    """One request to the fake as LinkedIn's documentation shows it; (status, body, head)."""
    headers = {"Authorization": f"Bearer {linkedin.TOKEN}", "X-Restli-Protocol-Version": "2.0.0"}
    if version:
        headers["LinkedIn-Version"] = version
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    elif data is not None:
        headers["Content-Type"] = "application/octet-stream"
    url = path if path.startswith("http") else fake.url + path
    request = urllib.request.Request(url, data, headers, method=method)
    try:
        with urllib.request.urlopen(request) as answer:
            raw = answer.read()
            return answer.status, json.loads(raw) if raw else {}, dict(answer.headers)
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read()), dict(error.headers)


def init_video(fake: linkedin.LinkedInFake, size: int) -> dict[str, Any]:
    status, body, _ = call(fake, "POST", "/rest/videos?action=initializeUpload", {
        "initializeUploadRequest": {"owner": linkedin.ORG, "fileSizeBytes": size,
                                    "uploadCaptions": False, "uploadThumbnail": False}})  # fmt: skip
    assert status == 200
    return dict(body["value"])


def test_the_fake_refuses_another_owner_and_a_missing_version(fake) -> None:
    other = {"initializeUploadRequest": {"owner": "urn:li:organization:1"}}
    assert call(fake, "POST", "/rest/images?action=initializeUpload", other)[0] == 403
    mine = {"initializeUploadRequest": {"owner": linkedin.ORG}}
    status, body, _ = call(fake, "POST", "/rest/images?action=initializeUpload", mine,
                           version=None)  # fmt: skip
    assert status == 400 and body["code"] == "VERSION_MISSING"


def test_the_fake_refuses_a_part_of_the_wrong_size_and_etags_out_of_order(fake) -> None:
    data = sample_video("v", size=40_000)
    value = init_video(fake, len(data))
    parts = value["uploadInstructions"]
    assert [(p["firstByte"], p["lastByte"]) for p in parts] == [
        (0, PART - 1), (PART, 2 * PART - 1), (2 * PART, len(data) - 1)]  # fmt: skip
    assert call(fake, "PUT", parts[0]["uploadUrl"], data=data[: PART - 1])[0] == 400
    etags = []
    for p in parts:
        status, _, head = call(fake, "PUT", p["uploadUrl"],
                               data=data[p["firstByte"] : p["lastByte"] + 1])  # fmt: skip
        assert status == 200
        etags.append(head["ETag"])
    finalize = {"finalizeUploadRequest": {"video": value["video"],
                                          "uploadToken": value["uploadToken"],
                                          "uploadedPartIds": etags[::-1]}}  # fmt: skip
    assert call(fake, "POST", "/rest/videos?action=finalizeUpload", finalize)[0] == 400
    finalize["finalizeUploadRequest"]["uploadedPartIds"] = etags
    assert call(fake, "POST", "/rest/videos?action=finalizeUpload", finalize)[0] == 200
    assert fake.uploaded[value["video"]] == data


def test_the_fake_refuses_a_post_of_an_asset_it_does_not_hold_or_not_yet_available(fake):
    def with_media(urn: str) -> dict[str, Any]:
        return {"author": linkedin.ORG, "commentary": urn, "visibility": "PUBLIC",
                "distribution": {"feedDistribution": "MAIN_FEED"},
                "lifecycleState": "PUBLISHED", "content": {"media": {"id": urn}}}  # fmt: skip

    assert call(fake, "POST", "/rest/posts", with_media("urn:li:image:C4D22AQ"))[0] == 422
    value = init_video(fake, 1_000)
    assert call(fake, "POST", "/rest/posts", with_media(value["video"]))[0] == 400
    two = with_media("x") | {"content": {"multiImage": {"images": [{"id": "urn:li:image:1"}]}}}
    assert call(fake, "POST", "/rest/posts", two)[0] == 422  # 2 to 20 images
    fake.add_asset("urn:li:image:C4D22AQ")  # one made elsewhere
    assert call(fake, "POST", "/rest/posts", with_media("urn:li:image:C4D22AQ"))[0] == 201
    assert fake.posts_made() == 1
