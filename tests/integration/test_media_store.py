"""The media store every upload reads from (functions/common/media.py): the file's type by
its first bytes, each platform's limits before any upload, an https file fetched once into
S3 through the safe opener (here from the local web peer, infra/peers/web.py), s3:// files
read as they are; and ``read_media``'s errors as publish sees them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from functions.common import media, safe_url
from functions.common.platform.errors import PlatformError
from functions.publish.adapters.base import PostRequest, read_media
from infra.peers.web import WebFake, sample_image, sample_video

BUCKET = "socialops-test-data"
TEASER = "https://cdn.northwind.example/ridgeline/teaser.jpg"


@pytest.fixture
def web() -> Iterator[WebFake]:
    fake = WebFake().start()
    safe_url.allow_peer(fake.url)
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture
def s3() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        yield client


def store(s3: Any, web: WebFake) -> media.MediaStore:
    return media.MediaStore(
        s3, BUCKET, lambda url, most: media.fetch_https(web.peer_url(url), most)
    )


def test_a_file_is_what_its_first_bytes_say() -> None:
    assert media.sniff(sample_image("a")) == "image/jpeg"
    assert media.sniff(sample_image("a", fmt="PNG")) == "image/png"
    assert media.sniff(b"GIF89a" + bytes(10)) == "image/gif"
    assert media.sniff(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == "image/webp"
    assert media.sniff(sample_video("v")) == "video/mp4"
    assert media.sniff(sample_video("v", brand=b"qt  ")) == "video/quicktime"
    assert media.sniff(b"\x1a\x45\xdf\xa3" + bytes(12)) == "video/webm"
    assert media.sniff(b"<!doctype html><html>") is None
    with pytest.raises(media.MediaError, match="not an image or a video"):
        media.blob(b"<!doctype html>", "image", source="https://x.example/photo.jpg")
    with pytest.raises(media.MediaError, match="declared video but is image/jpeg"):
        media.blob(sample_image("a"), "video")


def test_each_platform_s_types_and_sizes_are_checked_before_any_upload() -> None:
    jpeg = media.blob(sample_image("a"), "image", source="a.jpg")
    for platform in ("x", "linkedin", "bluesky", "mastodon", "facebook", "instagram"):
        media.check(platform, jpeg)
    with pytest.raises(media.MediaError, match="TikTok takes no image"):
        media.check("tiktok", jpeg)
    gif = media.Blob(b"GIF89a" + bytes(10), "image/gif", source="a.gif")
    with pytest.raises(media.MediaError, match="Bluesky takes images as"):
        media.check("bluesky", gif)
    big = media.Blob(b"\xff\xd8\xff" + bytes(1_000_001), "image/jpeg", source="big.jpg")
    with pytest.raises(media.MediaError, match=r"1\.0 MB; Bluesky takes images up to 1 MB"):
        media.check("bluesky", big)
    media.check("mastodon", big)  # 16 MB there
    mov = media.blob(sample_video("v", brand=b"qt  "), "video", source="a.mov")
    with pytest.raises(media.MediaError, match="LinkedIn takes videos as video/mp4"):
        media.check("linkedin", mov)


def test_an_https_file_is_fetched_once_into_the_store(s3: Any, web: WebFake) -> None:
    kept = store(s3, web)
    first = kept.load(TEASER, "image", "A muddy sole")
    again = kept.load(TEASER, "image", "A muddy sole")
    assert first == again and first.mime == "image/jpeg" and first.alt == "A muddy sole"
    assert web.fetched[TEASER] == 1  # the second post read the copy
    key = media.key_for(TEASER)
    assert key.startswith("media/") and key.endswith("/teaser.jpg")
    head = s3.head_object(Bucket=BUCKET, Key=key)
    assert head["ContentType"] == "image/jpeg" and head["Metadata"]["source"] == TEASER
    # a file of the deployment's own bucket is read as it is
    s3.put_object(Bucket=BUCKET, Key="media/made/card.png", Body=sample_image("c", fmt="PNG"))
    assert kept.load(f"s3://{BUCKET}/media/made/card.png", "image").mime == "image/png"
    with pytest.raises(media.MediaError, match="does not exist"):
        kept.load(f"s3://{BUCKET}/media/made/gone.png", "image")


def test_what_cannot_be_fetched_is_refused_or_retried(s3: Any, web: WebFake) -> None:
    kept = store(s3, web)
    with pytest.raises(media.MediaError, match="HTTP 404"):
        kept.load("https://cdn.northwind.example/ridgeline/notes.txt", "image")
    web.fail_next("500")
    with pytest.raises(OSError, match="HTTP 500"):  # the next attempt may fetch it
        kept.load(TEASER, "image")
    assert kept.load(TEASER, "image").mime == "image/jpeg"
    # not https, or not a public address: nothing is fetched (safe_url)
    direct = media.MediaStore(s3, BUCKET)
    for url in ("http://cdn.northwind.example/a.jpg", "https://127.0.0.1/a.jpg",
                "https://169.254.169.254/latest/meta-data"):  # fmt: skip
        with pytest.raises(media.MediaError, match="may not be fetched"):
            direct.load(url, "image")


def test_a_file_larger_than_publish_holds_is_refused(web: WebFake) -> None:
    with pytest.raises(media.MediaError, match=r"larger than 0\.001 MB"):  # read no further
        media.fetch_https(web.peer_url(TEASER), most=1_000)
    assert media.MAX_BYTES == 512_000_000  # X's video limit: the largest any platform here reads


def test_read_media_reports_what_publish_must_do(s3: Any, web: WebFake) -> None:
    kept = store(s3, web)
    request = PostRequest("Soon", "k", "@brand", media=((TEASER, "image", "A sole"),))
    (item,) = read_media("x", request, kept.load)
    assert item.alt == "A sole" and item.kind == "image"
    wrong = PostRequest("Soon", "k", "@brand", media=((TEASER, "video", ""),))
    with pytest.raises(PlatformError) as refused:
        read_media("x", wrong, kept.load)
    assert refused.value.code == "media_refused" and not refused.value.retryable
    web.fail_next("500")
    with pytest.raises(PlatformError) as unavailable:
        read_media("x", PostRequest("Soon", "k", "@b", media=(("https://cdn.northwind.example/b.jpg", "image", ""),)), kept.load)  # fmt: skip
    assert unavailable.value.code == "media_unavailable" and unavailable.value.retryable
    assert read_media("x", PostRequest("Soon", "k", "@b"), None) == []
