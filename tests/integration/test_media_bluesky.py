"""Bluesky posts with images and a video: ``com.atproto.repo.uploadBlob``, then the record
with ``app.bsky.embed.images`` or ``app.bsky.embed.video``, against the contract fake
(infra/peers/bluesky.py) and the real local PDS (tests/peers/bluesky/pds.js, started once
for this module as test_bluesky_peer.py starts it; ``make setup`` installs it).

The media come from a loader the test gives the adapter (the store's ``load`` in
production): real JPEG, PNG and WebP images drawn with Pillow, MP4-shaped videos
(infra/peers/web.py)."""

from __future__ import annotations

import io
import json
import struct
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import test_bluesky_peer as peer
from media_files import Files
from test_bluesky_peer import Account, Pds, get_record, records

from functions.common.media import Blob, blob, dimensions
from functions.common.platform.errors import PlatformError
from functions.common.platform.tokens import Token
from functions.publish.adapters import adapter_for
from functions.publish.adapters.base import PostRequest, Trail
from functions.publish.adapters.bluesky import BlueskyAdapter
from infra.peers import bluesky
from infra.peers.web import sample_image, sample_video

UPLOAD = "/xrpc/com.atproto.repo.uploadBlob"
pds, account = peer.pds, peer.account  # the real PDS's fixtures (a PDS for this module)


def image(seed: str, size: tuple[int, int] = (640, 480), fmt: str = "JPEG") -> bytes:
    """A real image; WebP (which sample_image does not write) drawn here."""
    if fmt != "WEBP":
        return sample_image(seed, size, fmt)
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, "WEBP")
    return out.getvalue()


def box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def mp4(width: int, height: int, turned: bool = False) -> bytes:
    """MP4-shaped bytes whose one video track's ``tkhd`` says ``width`` x ``height`` (a
    phone's portrait video: stored landscape, turned 90 degrees by its matrix)."""
    one, zero = 0x10000, 0
    matrix = (zero, one, 0, -one, zero, 0, 0, 0, 0x40000000) if turned else (
        one, zero, 0, zero, one, 0, 0, 0, 0x40000000)  # fmt: skip
    tkhd = (bytes(4) + struct.pack(">IIIII", 0, 0, 1, 0, 15_000) + bytes(8)
            + struct.pack(">hhhh", 0, 0, 0, 0) + struct.pack(">9i", *matrix)
            + struct.pack(">II", width << 16, height << 16))  # fmt: skip
    head = box(b"ftyp", b"isom" + struct.pack(">I", 512) + b"isomiso2mp41")
    moov = box(b"moov", box(b"mvhd", bytes(100)) + box(b"trak", box(b"tkhd", tkhd)))
    return head + box(b"mdat", bytes(4096)) + moov  # the moov after the data, as often


PHOTO = ("https://cdn.example.com/bike.jpg", "image", "A red bicycle against a wall")
FILES = {
    PHOTO[0]: image("bike", (640, 480)),
    "https://cdn.example.com/2.png": image("two", (300, 500), "PNG"),
    "https://cdn.example.com/3.webp": image("three", (1200, 675), "WEBP"),
    "https://cdn.example.com/4.jpg": image("four", (512, 512)),
    "https://cdn.example.com/5.jpg": image("five", (100, 100)),
    "https://cdn.example.com/ride.mp4": mp4(1920, 1080, turned=True) + bytes(60_000),
    "https://cdn.example.com/plain.mp4": sample_video("plain"),
    "https://cdn.example.com/anim.gif": image("anim", (64, 64), "GIF"),
    # over Bluesky's 1,000,000 bytes for an image: a JPEG with a long tail
    "https://cdn.example.com/huge.jpg": image("huge") + bytes(1_000_001),
}
FOUR = (PHOTO, ("https://cdn.example.com/2.png", "image", "Two"),
        ("https://cdn.example.com/3.webp", "image", "Three"),
        ("https://cdn.example.com/4.jpg", "image", ""))  # fmt: skip
VIDEO = ("https://cdn.example.com/ride.mp4", "video", "Riding down the ridge")


def post(*media: tuple[str, str, str], text: str = "Autumn rides 🍂", key: str = "k-1") -> PostRequest:  # fmt: skip
    return PostRequest(text, key, bluesky.HANDLE, media=media)


@pytest.fixture
def fake() -> Iterator[bluesky.BlueskyFake]:
    with bluesky.BlueskyFake() as made:
        yield made


def adapter_of(url: str, loader: Files | None = None) -> BlueskyAdapter:
    made = adapter_for("bluesky", url, media=loader or Files(FILES))
    assert isinstance(made, BlueskyAdapter)
    return made


TOKEN = Token(bluesky.PASSWORD)


def only_record(fake: bluesky.BlueskyFake) -> dict[str, Any]:
    (record,) = fake.records
    value: dict[str, Any] = record["value"]
    return value


def cid(ref: dict[str, Any]) -> str:
    return str(ref["ref"]["$link"])


# --- the contract fake ----------------------------------------------------------------


def test_an_image_is_uploaded_then_embedded_with_its_alt_text_and_aspect_ratio(fake) -> None:
    # GIVEN a post with one JPEG of 640 x 480 and its alt text
    published = adapter_of(fake.url).publish(post(PHOTO), TOKEN)
    # THEN the bytes were uploaded as they are, with their type, before the record
    assert [r.path for r in fake.requests if r.method == "POST"][1:] == [
        UPLOAD, "/xrpc/com.atproto.repo.putRecord"]  # fmt: skip
    (sent,) = [r for r in fake.requests if r.path == UPLOAD]
    assert sent.headers["content-type"] == "image/jpeg"
    assert sent.headers["authorization"] == f"Bearer {bluesky.JWT}"
    (uploaded,) = fake.uploads
    assert fake.blobs[uploaded] == ("image/jpeg", FILES[PHOTO[0]])
    # AND the record embeds that blob, with the alt text and the image's aspect ratio
    embed = only_record(fake)["embed"]
    assert embed["$type"] == "app.bsky.embed.images"
    (one,) = embed["images"]
    assert one["alt"] == PHOTO[2]
    assert one["aspectRatio"] == {"width": 640, "height": 480}
    assert one["image"] == {"$type": "blob", "ref": {"$link": uploaded},
                            "mimeType": "image/jpeg", "size": len(FILES[PHOTO[0]])}  # fmt: skip
    assert only_record(fake)["text"] == "Autumn rides 🍂"
    assert published.post_id == fake.records[0]["uri"]


def test_four_images_in_their_order_each_with_its_own_ratio(fake) -> None:
    adapter_of(fake.url).publish(post(*FOUR), TOKEN)
    images = only_record(fake)["embed"]["images"]
    assert [i["alt"] for i in images] == [PHOTO[2], "Two", "Three", ""]
    assert [i["aspectRatio"] for i in images] == [
        {"width": 640, "height": 480}, {"width": 300, "height": 500},
        {"width": 1200, "height": 675}, {"width": 512, "height": 512}]  # fmt: skip
    assert [i["image"]["mimeType"] for i in images] == [
        "image/jpeg", "image/png", "image/webp", "image/jpeg"]  # fmt: skip
    assert [cid(i["image"]) for i in images] == fake.uploads
    assert [fake.blobs[c][1] for c in fake.uploads] == [FILES[m[0]] for m in FOUR]


def test_a_video_is_embedded_alone_with_its_alt_text_and_turned_aspect_ratio(fake) -> None:
    adapter_of(fake.url).publish(post(VIDEO), TOKEN)
    embed = only_record(fake)["embed"]
    (uploaded,) = fake.uploads
    assert embed == {
        "$type": "app.bsky.embed.video",
        "video": {"$type": "blob", "ref": {"$link": uploaded}, "mimeType": "video/mp4",
                  "size": len(FILES[VIDEO[0]])},
        "alt": VIDEO[2],
        # stored 1920 x 1080 and turned by its matrix: shown as portrait
        "aspectRatio": {"width": 1080, "height": 1920},
    }  # fmt: skip
    assert fake.blobs[uploaded] == ("video/mp4", FILES[VIDEO[0]])


def test_a_video_whose_header_tells_no_size_and_has_no_alt_gets_neither(fake) -> None:
    adapter_of(fake.url).publish(post(("https://cdn.example.com/plain.mp4", "video", "")), TOKEN)
    embed = only_record(fake)["embed"]
    assert set(embed) == {"$type", "video"}


@pytest.mark.parametrize(
    ("media", "said"),
    [
        ((("https://cdn.example.com/huge.jpg", "image", ""),), "up to 1 MB"),
        ((("https://cdn.example.com/anim.gif", "image", ""),), "not image/gif"),
        ((("https://cdn.example.com/bike.jpg", "video", ""),), "declared video"),
        ((*FOUR, ("https://cdn.example.com/5.jpg", "image", "")), "up to 4 images"),
        ((VIDEO, PHOTO), "one video alone"),
        ((PHOTO, VIDEO), "one video alone"),
    ],
    ids=["too-large", "gif", "not-a-video", "five-images", "video-then-image", "image-then-video"],
)
def test_media_bluesky_does_not_take_is_refused_before_any_upload(fake, media, said) -> None:
    with pytest.raises(PlatformError) as caught:
        adapter_of(fake.url).publish(post(*media), TOKEN)
    error = caught.value
    assert (error.code, error.retryable, error.auth) == ("media_refused", False, False)
    assert said in error.reason
    assert fake.uploads == [] and fake.records == []


def test_a_file_the_store_cannot_read_now_is_retryable_and_nothing_is_sent(fake) -> None:
    def failing(url: str, kind: str, alt: str) -> Blob:
        raise OSError("S3 is slow today")

    made = adapter_for("bluesky", fake.url, media=failing)
    with pytest.raises(PlatformError) as caught:
        made.publish(post(PHOTO), TOKEN)
    assert (caught.value.code, caught.value.retryable) == ("media_unavailable", True)
    assert fake.requests == []


def test_a_rate_limited_upload_is_retryable_and_the_retry_posts_once(fake) -> None:
    adapter = adapter_of(fake.url)
    fake.fail_next("rate_limit", on="uploadBlob")
    with pytest.raises(PlatformError) as caught:
        adapter.publish(post(PHOTO, PHOTO), TOKEN)
    error = caught.value
    assert (error.status, error.retryable) == (429, True)
    assert error.retry_after_s is not None and 290 <= error.retry_after_s <= 300
    assert fake.records == []
    # WHEN publish retries
    adapter.publish(post(PHOTO, PHOTO), TOKEN)
    # THEN one record, its two images uploaded by the retry
    assert len(only_record(fake)["embed"]["images"]) == 2


def test_a_retry_after_the_record_failed_uploads_again_but_posts_once(fake) -> None:
    # GIVEN a firing whose putRecord answer is lost (the record was written)
    week = datetime(2027, 1, 4, 9, tzinfo=UTC)
    trail = Trail(since=week, scheduled_for=week)
    adapter = adapter_of(fake.url)
    fake.lose_answer_next(on="putRecord")
    with pytest.raises(PlatformError) as caught:
        adapter.publish(post(PHOTO), TOKEN, trail)
    assert caught.value.retryable
    # WHEN the same firing is published again (a new process)
    again = adapter_of(fake.url).publish(post(PHOTO), TOKEN, Trail(since=week, scheduled_for=week))
    # THEN the image was uploaded twice (the same blob) but there is one post: the record
    # key's swapRecord refused the second write and the first was found
    assert len(fake.uploads) == 2 and len(set(fake.uploads)) == 1
    assert [r["uri"] for r in fake.records] == [again.post_id]
    assert adapter.find_existing(post(PHOTO), TOKEN, trail) is not None


def test_an_expired_session_during_the_upload_is_renewed_once(fake) -> None:
    adapter = adapter_of(fake.url)
    fake.fail_next("expired", on="uploadBlob")
    adapter.publish(post(PHOTO), TOKEN)
    assert fake.paths("POST").count("/xrpc/com.atproto.server.createSession") == 2
    assert len(fake.uploads) == 1 and len(fake.records) == 1


def test_a_revoked_session_during_the_upload_is_an_auth_error(fake) -> None:
    fake.fail_next("revoked", on="uploadBlob")
    with pytest.raises(PlatformError) as caught:
        adapter_of(fake.url).publish(post(PHOTO), TOKEN)
    assert (caught.value.auth, caught.value.retryable) == (True, False)
    assert fake.records == []


def xrpc(fake: bluesky.BlueskyFake, nsid: str, data: bytes, content_type: str,
         auth: bool = True) -> tuple[int, dict[str, Any]]:  # fmt: skip
    request = urllib.request.Request(f"{fake.url}/xrpc/{nsid}", data=data, method="POST")
    request.add_header("Content-Type", content_type)
    if auth:
        request.add_header("Authorization", f"Bearer {bluesky.JWT}")
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def put(fake: bluesky.BlueskyFake, embed: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    record = {"$type": "app.bsky.feed.post", "text": "x", "createdAt": "2027-01-04T09:00:00Z",
              "embed": embed}  # fmt: skip
    body = {"repo": bluesky.DID, "collection": "app.bsky.feed.post", "record": record}
    return xrpc(
        fake, "com.atproto.repo.createRecord", json.dumps(body).encode(), "application/json"
    )


def test_the_fake_refuses_what_the_pds_refuses(fake) -> None:
    data = FILES[PHOTO[0]]
    # uploadBlob needs auth and a body
    assert xrpc(fake, "com.atproto.repo.uploadBlob", data, "image/jpeg", auth=False)[0] == 401
    status, body = xrpc(fake, "com.atproto.repo.uploadBlob", b"", "image/jpeg")
    assert (status, body["error"]) == (400, "InvalidRequest")
    # a record embedding a blob never uploaded
    never = {"$type": "blob", "ref": {"$link": bluesky.blob_cid(b"never")},
             "mimeType": "image/jpeg", "size": 5}  # fmt: skip
    status, body = put(fake, {"$type": "app.bsky.embed.images", "images": [{"alt": "", "image": never}]})  # fmt: skip
    assert (status, body["error"]) == (400, "BlobNotFound")
    # an image over 1,000,000 bytes, uploaded (the PDS takes up to its upload limit)
    status, body = xrpc(fake, "com.atproto.repo.uploadBlob", FILES["https://cdn.example.com/huge.jpg"], "image/jpeg")  # fmt: skip
    assert status == 200 and body["blob"]["ref"]["$link"].startswith("bafkrei")
    status, refused = put(fake, {"$type": "app.bsky.embed.images", "images": [{"alt": "", "image": body["blob"]}]})  # fmt: skip
    assert (status, refused["error"]) == (400, "InvalidRequest") and "too big" in refused["message"]
    # an image as a video, and a blob whose declared size is not the upload's
    _, small = xrpc(fake, "com.atproto.repo.uploadBlob", data, "image/jpeg")
    assert put(fake, {"$type": "app.bsky.embed.video", "video": small["blob"]})[0] == 400
    wrong = {**small["blob"], "size": len(data) + 1}
    status, refused = put(fake, {"$type": "app.bsky.embed.images", "images": [{"alt": "", "image": wrong}]})  # fmt: skip
    assert (status, refused["error"]) == (400, "InvalidSize")
    # images without alt, five images
    assert put(fake, {"$type": "app.bsky.embed.images", "images": [{"image": small["blob"]}]})[0] == 400  # fmt: skip
    five = [{"alt": "", "image": small["blob"]}] * 5
    assert put(fake, {"$type": "app.bsky.embed.images", "images": five})[0] == 400
    # and the same embed done right is taken
    status, _ = put(fake, {"$type": "app.bsky.embed.images", "images": [{"alt": "", "image": small["blob"], "aspectRatio": {"width": 4, "height": 3}}]})  # fmt: skip
    assert status == 200


# --- the image's size from its header (functions/common/media.py) ----------------------


@pytest.mark.parametrize(
    ("data", "kind", "size"),
    [
        (image("a", (641, 359)), "image", (641, 359)),
        (image("a", (641, 359), "PNG"), "image", (641, 359)),
        (image("a", (641, 359), "GIF"), "image", (641, 359)),
        (image("a", (641, 359), "WEBP"), "image", (641, 359)),
        (mp4(1920, 1080), "video", (1920, 1080)),
        (mp4(1920, 1080, turned=True), "video", (1080, 1920)),
        (sample_video("no track"), "video", None),
    ],
    ids=["jpeg", "png", "gif", "webp-lossy", "mp4", "mp4-turned", "mp4-no-track"],
)
def test_dimensions_read_from_the_header(data: bytes, kind: str, size: Any) -> None:
    assert dimensions(blob(data, kind)) == size


def test_dimensions_of_other_webp_forms_and_a_turned_jpeg() -> None:
    from PIL import Image

    def saved(picture: Any, fmt: str, **options: Any) -> bytes:
        out = io.BytesIO()
        picture.save(out, fmt, **options)
        return out.getvalue()

    lossless = saved(Image.new("RGB", (333, 77)), "WEBP", lossless=True)
    extended = saved(Image.new("RGBA", (123, 45)), "WEBP")
    assert (lossless[12:16], extended[12:16]) == (b"VP8L", b"VP8X")
    assert dimensions(blob(lossless, "image")) == (333, 77)
    assert dimensions(blob(extended, "image")) == (123, 45)
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: turned 90 degrees
    turned = saved(Image.new("RGB", (400, 100)), "JPEG", exif=exif.tobytes())
    assert dimensions(blob(turned, "image")) == (100, 400)
    progressive = saved(Image.new("RGB", (300, 200)), "JPEG", progressive=True)
    assert dimensions(blob(progressive, "image")) == (300, 200)
    assert dimensions(blob(b"\xff\xd8\xff\xe0" + bytes(20), "image")) is None


# --- the real PDS -------------------------------------------------------------------


def pds_adapter(pds: Pds, files: dict[str, bytes]) -> BlueskyAdapter:
    made = adapter_for("bluesky", base_url=pds.url, media=Files(files))
    assert isinstance(made, BlueskyAdapter)
    return made


def get_blob(pds: Pds, did: str, ref: str) -> bytes:
    query = urllib.parse.urlencode({"did": did, "cid": ref})
    with urllib.request.urlopen(f"{pds.url}/xrpc/com.atproto.sync.getBlob?{query}", timeout=10) as answer:  # fmt: skip
        data: bytes = answer.read()
    return data


def test_the_pds_takes_a_post_with_images_and_serves_their_blobs(pds: Pds, account: Account) -> None:  # fmt: skip
    files = {PHOTO[0]: FILES[PHOTO[0]], "https://cdn.example.com/2.png": FILES["https://cdn.example.com/2.png"]}  # fmt: skip
    request = PostRequest("Two photos #bikes", "campaign/post/1", account.handle,
                          media=(PHOTO, ("https://cdn.example.com/2.png", "image", "Two")))  # fmt: skip
    published = pds_adapter(pds, files).publish(request, account.token)
    # THEN the PDS holds the record, whose embed references the uploaded blobs
    assert [r["uri"] for r in records(pds, account)] == [published.post_id]
    embed = get_record(pds, published.post_id)["embed"]
    assert embed["$type"] == "app.bsky.embed.images"
    assert [(i["alt"], i["aspectRatio"]) for i in embed["images"]] == [
        (PHOTO[2], {"width": 640, "height": 480}), ("Two", {"width": 300, "height": 500})]  # fmt: skip
    for item, url in zip(embed["images"], files, strict=True):
        assert item["image"]["mimeType"] == ("image/jpeg" if url.endswith(".jpg") else "image/png")
        # AND the blob the record names is the file, byte for byte
        assert get_blob(pds, account.did, cid(item["image"])) == files[url]


def test_the_pds_takes_a_video_over_its_default_upload_limit(pds: Pds, account: Account) -> None:
    # GIVEN a 6 MB MP4 (the PDS takes 5 MB by default; pds.js raises it to 100 MB)
    video = mp4(1280, 720) + bytes(6_000_000)
    files = {VIDEO[0]: video}
    request = PostRequest("The ride, in full", "campaign/post/2", account.handle, media=(VIDEO,))
    published = pds_adapter(pds, files).publish(request, account.token)
    embed = get_record(pds, published.post_id)["embed"]
    assert embed["$type"] == "app.bsky.embed.video"
    assert (embed["alt"], embed["aspectRatio"]) == (VIDEO[2], {"width": 1280, "height": 720})
    assert (embed["video"]["mimeType"], embed["video"]["size"]) == ("video/mp4", len(video))
    assert get_blob(pds, account.did, cid(embed["video"])) == video


def test_the_pds_and_a_repeated_firing_with_media_post_once(pds: Pds, account: Account) -> None:
    week = datetime(2027, 1, 4, 9, tzinfo=UTC)
    request = PostRequest("Weekly photo", "campaign/post/3", account.handle, media=(PHOTO,))
    first = pds_adapter(pds, FILES).publish(
        request, account.token, Trail(since=week, scheduled_for=week)
    )
    again = pds_adapter(pds, FILES).publish(
        request, account.token, Trail(since=week, scheduled_for=week)
    )
    assert again.post_id == first.post_id
    assert len(records(pds, account)) == 1
