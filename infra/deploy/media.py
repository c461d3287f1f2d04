"""The approved texts' images and videos, put into the data bucket before the schedules that
post them.

``socialops compile`` copies each image a merged ``generated`` file names into
``build/media/generated/<sha256>.png``; ``deploy`` (and ``simulate``) puts every one the
bucket does not hold yet under the same key, where ``publish`` reads it
(functions/common/media.py, ``store:`` URLs). The key is the digest of the bytes, so an
object is never replaced by other bytes and a deploy that stopped half-way is finished by
the next one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

FOLDER = "media/generated"


def upload(s3: Any, bucket: str, build: Path) -> int:
    """Put the build's images the bucket lacks; how many were put."""
    folder = build / FOLDER
    if not folder.is_dir():
        return 0
    put = 0
    for image in sorted([*folder.glob("*.png"), *folder.glob("*.jpg"), *folder.glob("*.mp4")]):
        key = f"{FOLDER}/{image.name}"
        try:
            s3.head_object(Bucket=bucket, Key=key)
            continue
        except s3.exceptions.ClientError as error:
            if error.response.get("Error", {}).get("Code") not in ("404", "NoSuchKey", "NotFound"):
                raise
        kind = {".png": "image/png", ".jpg": "image/jpeg"}.get(image.suffix, "video/mp4")
        s3.put_object(Bucket=bucket, Key=key, Body=image.read_bytes(), ContentType=kind)
        put += 1
    return put
