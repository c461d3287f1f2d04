"""A content-digest cache, like dbt's partial parsing.

Entries are JSON files named by the digest of everything that decides them (file bytes,
referenced files' digests, the tool's version), so a stale entry is never read: a changed
input simply has a new key. Unreadable entries are ignored and recomputed.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from schema.base import LANGUAGE_VERSION

# Bump when what is cached changes shape or meaning.
CACHE_VERSION = f"2-lang{LANGUAGE_VERSION}"


def digest(*parts: bytes | str) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode() if isinstance(part, str) else part)
        h.update(b"\x00")
    return h.hexdigest()


class Cache:
    def __init__(self, root: Path | None) -> None:
        self.root = root / CACHE_VERSION if root is not None else None

    def get(self, bucket: str, key: str) -> Any | None:
        if self.root is None:
            return None
        try:
            return json.loads((self.root / bucket / f"{key}.json").read_bytes())
        except (OSError, ValueError):
            return None

    def put(self, bucket: str, key: str, value: Any) -> None:
        if self.root is None:
            return
        folder = self.root / bucket
        try:
            folder.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(value, handle, separators=(",", ":"))
            os.replace(tmp, folder / f"{key}.json")
        except OSError:
            pass  # a cache that cannot be written only costs time
