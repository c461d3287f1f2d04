"""A local peer for the web the examples' media URLs point at: ``GET /<host>/<path>`` serves
the file ``https://<host>/<path>`` names, made here from its extension (a real JPEG or PNG
drawn with Pillow, a minimal MP4 for ``.mp4``/``.mov``), the same bytes for the same URL;
404 for anything else. ``socialops simulate`` and the tests fetch media through it
(``peer_url``): no test touches the internet. ``fail_next("500")`` answers the next
request with a 500; ``fetched`` counts what was fetched, by URL.
"""

from __future__ import annotations

import hashlib
import io
import struct
import urllib.parse
from collections import Counter
from functools import lru_cache
from typing import ClassVar

from infra.peers import Fake, Refused, Reply, Req

TYPES = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png",
         ".mp4": "video/mp4", ".mov": "video/quicktime"}  # fmt: skip


def sample_image(seed: str, size: tuple[int, int] = (640, 640), fmt: str = "JPEG") -> bytes:
    """A real image (a colour from ``seed`` with a band across), as JPEG or PNG bytes."""
    from PIL import Image, ImageDraw

    digest = hashlib.sha256(seed.encode()).digest()
    image = Image.new("RGB", size, tuple(digest[:3]))
    ImageDraw.Draw(image).rectangle((0, size[1] // 3, size[0], size[1] // 2), fill=tuple(digest[3:6]))  # fmt: skip
    out = io.BytesIO()
    image.save(out, fmt, quality=85) if fmt == "JPEG" else image.save(out, fmt)
    return out.getvalue()


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def sample_video(seed: str, size: int = 64_000, brand: bytes = b"isom") -> bytes:
    """MP4-shaped bytes (``ftyp``, ``moov`` with a 15 s ``mvhd``, ``mdat``) of about ``size``
    bytes: what the contract peers and the media checks read, not a playable video."""
    ftyp = _box(b"ftyp", brand + struct.pack(">I", 512) + b"isomiso2mp41")
    mvhd = _box(b"mvhd", bytes(4) + struct.pack(">IIII", 0, 0, 1000, 15_000) + bytes(80))
    head = ftyp + _box(b"moov", mvhd)
    filler = hashlib.sha256(seed.encode()).digest() * (max(size - len(head) - 8, 32) // 32)
    return head + _box(b"mdat", filler)


@lru_cache(maxsize=64)
def sample(url: str) -> tuple[bytes, str] | None:
    """The bytes and type the peer serves for ``url``; None for an unknown extension."""
    path = urllib.parse.urlsplit(url).path.lower()
    extension = path[path.rfind(".") :] if "." in path else ""
    mime = TYPES.get(extension)
    if mime is None:
        return None
    if mime.startswith("video/"):
        return sample_video(url, brand=b"qt  " if mime == "video/quicktime" else b"isom"), mime
    return sample_image(url, fmt="PNG" if mime == "image/png" else "JPEG"), mime


class WebFake(Fake):
    errors: ClassVar[dict[str, Reply]] = {"500": Reply(500, {"error": "internal"})}

    def __init__(self) -> None:
        super().__init__()
        self.fetched: Counter[str] = Counter()
        self.route("GET", r"/(.+)", self._get)

    def peer_url(self, url: str) -> str:
        """Where this peer serves the https ``url``."""
        parts = urllib.parse.urlsplit(url)
        return f"{self.url}/{parts.netloc}{parts.path}"

    def _get(self, req: Req) -> Reply:
        url = "https:/" + req.path
        found = sample(url)
        if found is None:
            raise Refused(Reply(404, {"error": "not found"}))
        with self.lock:
            self.fetched[url] += 1
        data, mime = found
        return Reply(200, raw=data, headers={"Content-Type": mime})

    def posts_made(self) -> int:
        return 0
