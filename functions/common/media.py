"""A post's media as bytes for the platforms' uploads: kept in S3, checked before any upload.

A post names its media by URL in YAML:

- ``store:<key>``: an object socialops made in the deployment's data bucket (the images
  ``socialops generate`` draws, which deploy puts under ``media/generated/``);
- ``s3://<bucket>/<key>``: an object of a bucket publish may read (its own);
- ``https://...``: a file on the web. It is fetched **once** into the store
  (``media/<sha256 of the URL>/<file name>`` in the data bucket), through the safe opener
  (https only, public addresses only; functions/common/safe_url.py), by ``socialops
  deploy`` or, where deploy did not, by ``publish`` at the first post that needs it; every
  later post reads the copy. ``compile`` never fetches: it stays deterministic and offline.

What a file is comes from its first bytes (``sniff``), never from its name or the server's
``Content-Type``: a "photo.jpg" that is an HTML page is refused. ``check`` refuses a file a
platform does not take (its kind, its type, its size: ``schema/platforms.py``) before any
upload, so nothing half-made is left on the platform. Standard library only (cold starts).
"""

from __future__ import annotations

import hashlib
import posixpath
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any

from functions.common import safe_url
from functions.common.platform.errors import PlatformError

PREFIX = "media/"
MAX_BYTES = 512_000_000  # the most publish reads into memory (X's video limit)
FETCH_TIMEOUT_S = 60.0
LINK_S = 3600  # how long a presigned link to a stored file lives (Instagram fetches it)
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/gif": "gif",
              "image/webp": "webp", "video/mp4": "mp4", "video/quicktime": "mov",
              "video/webm": "webm"}  # fmt: skip


class MediaError(ValueError):
    """A media file that cannot be posted as it is (never retried: the YAML or the file
    must change)."""


def sniff(head: bytes) -> str | None:
    """The MIME type the first bytes of a file say, among those platforms take; None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:8] == b"ftyp":
        return "video/quicktime" if head[8:12] == b"qt  " else "video/mp4"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "video/webm"
    return None


@dataclass(frozen=True)
class Blob:
    """One media file, read and checked: its bytes, what they are, and its alt text."""

    data: bytes
    mime: str
    alt: str = ""
    source: str = ""  # the URL the post names
    link: str = ""  # where a platform that fetches files itself (Instagram) can fetch it

    @property
    def kind(self) -> str:
        return self.mime.split("/", 1)[0]  # "image" | "video"

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def filename(self) -> str:
        return f"media.{EXTENSIONS.get(self.mime, 'bin')}"

    def chunks(self, size: int) -> Iterator[bytes]:
        """The bytes in parts of ``size`` (the last one shorter), at least one part."""
        for start in range(0, max(self.size, 1), size):
            yield self.data[start : start + size]


def blob(data: bytes, declared: str, alt: str = "", source: str = "") -> Blob:
    """``data`` as a ``Blob``, if it is the kind the post declares ("image", "video")."""
    mime = sniff(data[:16])
    if mime is None:
        raise MediaError(f"{source or 'the file'} is not an image or a video a platform takes "
                         "(JPEG, PNG, GIF, WebP, MP4, MOV or WebM, by its first bytes)")  # fmt: skip
    if mime.split("/", 1)[0] != declared:
        raise MediaError(f"{source or 'the file'} is declared {declared} but is {mime}")
    return Blob(data, mime, alt, source)


def check(platform: str, item: Blob) -> None:
    """Refuse, before any upload, a file ``platform`` does not take (``MediaError``)."""
    from schema.platforms import PLATFORMS

    spec = PLATFORMS[platform]
    limits = spec.media_limits.get(item.kind)
    if limits is None:
        raise MediaError(f"{spec.title} takes no {item.kind} from socialops")
    types, most = limits
    if item.mime not in types:
        raise MediaError(f"{spec.title} takes {item.kind}s as {', '.join(types)}, not {item.mime} "
                         f"({item.source})")  # fmt: skip
    if item.size > most:
        raise MediaError(f"{item.source} is {item.size / 1e6:.1f} MB; {spec.title} takes "
                         f"{item.kind}s up to {most / 1e6:g} MB")  # fmt: skip


def refused(platform: str, error: MediaError) -> PlatformError:
    """A media problem as the platform error publish reports (not retryable)."""
    return PlatformError(platform, 0, "media_refused", str(error))


def key_for(url: str) -> str:
    """Where the store keeps the copy of an https URL: its digest, then its file name."""
    digest = hashlib.sha256(url.encode()).hexdigest()[:32]
    name = posixpath.basename(urllib.parse.urlsplit(url).path) or "file"
    return f"{PREFIX}{digest}/{urllib.parse.quote(name, safe='._-')}"


def s3_location(url: str) -> tuple[str, str] | None:
    """(bucket, key) of an ``s3://`` URL; None for any other."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "s3":
        return None
    return parts.netloc, urllib.parse.unquote(parts.path.lstrip("/"))


Fetch = Callable[[str, int], bytes]  # (https URL, the most bytes) -> the bytes


def fetch_https(url: str, most: int = MAX_BYTES, timeout: float = FETCH_TIMEOUT_S) -> bytes:
    """The bytes at ``url`` through the safe opener: https to public addresses (or a
    configured peer), at most ``most`` bytes (``MediaError`` beyond)."""
    try:
        safe_url.check(url)
        request = urllib.request.Request(url, headers={"Accept": "image/*, video/*"})
        with safe_url.opener().open(request, timeout=timeout) as answer:
            data: bytes = answer.read(most + 1)
    except safe_url.Refused as error:
        raise MediaError(f"{url} may not be fetched: {error}") from None
    except urllib.error.HTTPError as error:
        if error.code >= 500 or error.code == 429:
            raise OSError(f"{url} answered HTTP {error.code}") from None
        raise MediaError(f"{url} answered HTTP {error.code}") from None
    if len(data) > most:
        raise MediaError(f"{url} is larger than {most / 1e6:g} MB")
    return data


class MediaStore:
    """The media copies in the data bucket, and the fetch that fills it."""

    def __init__(self, s3: Any, bucket: str, fetch: Fetch = fetch_https) -> None:
        self.s3, self.bucket, self.fetch = s3, bucket, fetch

    def _get(self, bucket: str, key: str) -> bytes | None:
        try:
            answer = self.s3.get_object(Bucket=bucket, Key=key)
        except self.s3.exceptions.NoSuchKey:
            return None
        if int(answer.get("ContentLength", 0)) > MAX_BYTES:
            raise MediaError(f"s3://{bucket}/{key} is larger than {MAX_BYTES / 1e6:g} MB")
        data: bytes = answer["Body"].read()
        return data

    def copy_of(self, url: str) -> bytes:
        """The store's copy of an https file, fetched and kept now if it has none (one
        read when it has: the copy is the key's digest of the URL, never replaced)."""
        key = key_for(url)
        data = self._get(self.bucket, key)
        if data is None:
            data = self.fetch(url, MAX_BYTES)
            mime = sniff(data[:16])
            if mime is None:
                raise MediaError(f"{url} is not an image or a video (by its first bytes)")
            self.s3.put_object(Bucket=self.bucket, Key=key, Body=data, ContentType=mime,
                               Metadata={"source": url[:1024]})  # fmt: skip
        return data

    def load(self, url: str, declared: str, alt: str = "") -> Blob:
        """The file a post names, as a checked ``Blob`` (``MediaError`` if it cannot be)."""
        if url.startswith("store:"):  # an object socialops made: the data bucket's key
            where: tuple[str, str] | None = (self.bucket, url.removeprefix("store:"))
        else:
            where = s3_location(url)
        if where is None:
            return replace(blob(self.copy_of(url), declared, alt, url), link=url)
        data = self._get(*where)
        if data is None:
            raise MediaError(f"{url} does not exist")
        link = self.s3.generate_presigned_url("get_object", ExpiresIn=LINK_S,
                                              Params={"Bucket": where[0], "Key": where[1]})  # fmt: skip
        return replace(blob(data, declared, alt, url), link=str(link))


Loader = Callable[[str, str, str], Blob]  # (url, declared kind, alt) -> Blob


def loader_from_env() -> Loader:
    """``MediaStore.load`` on the deployment's data bucket (``RAW_MENTIONS_BUCKET``), its
    S3 client made at the first media a warm function posts."""
    import os

    store: list[MediaStore] = []

    def load(url: str, declared: str, alt: str = "") -> Blob:
        if not store:
            import boto3

            bucket = os.environ.get("RAW_MENTIONS_BUCKET", "")
            if not bucket:
                raise MediaError("no media store: RAW_MENTIONS_BUCKET is not set")
            store.append(MediaStore(boto3.client("s3"), bucket))
        return store[0].load(url, declared, alt)

    return load


def dimensions(item: Blob) -> tuple[int, int] | None:
    """(width, height) of an image or a video as it is shown, read from its header: JPEG
    (its SOF, turned by an EXIF orientation of 5 to 8), PNG (IHDR), GIF, WebP (VP8, VP8L,
    VP8X), MP4 and MOV (the first video track's ``tkhd``, turned by its matrix); None when
    the header does not say (or says 0). Platforms use it for an aspect ratio."""
    import struct

    data = item.data

    def orientation(tiff: bytes) -> int:  # EXIF tag 0x0112 of IFD0, 1 when absent
        order = {b"II": "<", b"MM": ">"}.get(tiff[:2])
        if order is None or len(tiff) < 8:
            return 1
        ifd = struct.unpack(order + "I", tiff[4:8])[0]
        count = struct.unpack(order + "H", tiff[ifd : ifd + 2])[0] if ifd + 2 <= len(tiff) else 0
        for at in range(ifd + 2, ifd + 2 + 12 * count, 12):
            entry = tiff[at : at + 12]
            if len(entry) == 12 and struct.unpack(order + "HH", entry[:4]) == (0x0112, 3):
                return int(struct.unpack(order + "H", entry[8:10])[0])
        return 1

    def jpeg() -> tuple[int, int] | None:
        at, turned = 2, False
        while at + 4 <= len(data) and data[at] == 0xFF:
            marker = data[at + 1]
            if marker == 0xFF:  # a fill byte
                at += 1
                continue
            if marker == 0x01 or 0xD0 <= marker <= 0xD7:  # markers without a length
                at += 2
                continue
            if marker in (0xD9, 0xDA):  # the end, or the scan: no frame header before it
                return None
            length = struct.unpack(">H", data[at + 2 : at + 4])[0]
            segment = data[at + 4 : at + 2 + length]
            if marker == 0xE1 and segment.startswith(b"Exif\0\0"):
                turned = orientation(segment[6:]) in (5, 6, 7, 8)
            elif marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB,
                            0xCD, 0xCE, 0xCF) and len(segment) >= 5:  # fmt: skip
                height, width = struct.unpack(">HH", segment[1:5])
                return (height, width) if turned else (width, height)
            at += 2 + length
        return None

    def webp() -> tuple[int, int] | None:
        chunk = data[12:16]
        if chunk == b"VP8 " and data[23:26] == b"\x9d\x01\x2a" and len(data) >= 30:
            width, height = struct.unpack("<HH", data[26:30])
            return width & 0x3FFF, height & 0x3FFF
        if chunk == b"VP8L" and data[20:21] == b"\x2f" and len(data) >= 25:
            bits = int.from_bytes(data[21:25], "little")
            return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
        if chunk == b"VP8X" and len(data) >= 30:
            return (int.from_bytes(data[24:27], "little") + 1,
                    int.from_bytes(data[27:30], "little") + 1)  # fmt: skip
        return None

    def boxes(start: int, end: int) -> Iterator[tuple[bytes, int, int]]:
        at = start  # each ISO BMFF box: (type, where its payload starts, where it ends)
        while at + 8 <= end:
            size, kind = struct.unpack(">I4s", data[at : at + 8])
            head = 8
            if size == 1 and at + 16 <= end:  # a 64-bit size follows
                size, head = struct.unpack(">Q", data[at + 8 : at + 16])[0], 16
            elif size == 0:  # to the end
                size = end - at
            if size < head:
                return
            yield kind, at + head, min(at + size, end)
            at += size

    def video() -> tuple[int, int] | None:
        for moov, start, end in boxes(0, len(data)):
            for trak, t_start, t_end in boxes(start, end) if moov == b"moov" else ():
                for kind, k_start, k_end in boxes(t_start, t_end) if trak == b"trak" else ():
                    tkhd = data[k_start:k_end] if kind == b"tkhd" else b""
                    at = 52 if tkhd[:1] == b"\x01" else 40  # the matrix (version 1 or 0)
                    if len(tkhd) < at + 44:
                        continue
                    a, b = struct.unpack(">ii", tkhd[at : at + 8])
                    width, height = (v >> 16 for v in struct.unpack(">II", tkhd[at + 36 : at + 44]))  # fmt: skip
                    if width and height:  # a video track (an audio track says 0 x 0)
                        return (height, width) if a == 0 and b != 0 else (width, height)
        return None

    size: tuple[int, int] | None = None
    if item.mime == "image/jpeg":
        size = jpeg()
    elif item.mime == "image/png" and data[12:16] == b"IHDR" and len(data) >= 24:
        size = struct.unpack(">II", data[16:24])
    elif item.mime == "image/gif" and len(data) >= 10:
        size = struct.unpack("<HH", data[6:10])
    elif item.mime == "image/webp":
        size = webp()
    elif item.mime in ("video/mp4", "video/quicktime"):
        size = video()
    if size is None or not all(size):
        return None
    return int(size[0]), int(size[1])
