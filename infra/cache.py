"""A content-digest cache, like dbt's partial parsing.

Entries are JSON files named by the digest of everything that decides them (file bytes,
referenced files' digests), in a folder named by the digest of the code itself, so a stale
entry is never read: a changed input or a changed socialops simply has a new key.
Unreadable entries are ignored and recomputed. Old code versions' folders are removed.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any

from infra.checks import credentials
from schema.base import LANGUAGE_VERSION

_SOURCES = Path(__file__).resolve().parent.parent


@lru_cache(maxsize=1)
def code_version() -> str:
    """Digest of the code that decides what is cached (``schema/`` and ``infra/``): any
    change to the validator or the compiler starts a fresh cache, so no stale answer is
    ever served."""
    files = sorted((_SOURCES / "schema").rglob("*.py")) + sorted((_SOURCES / "infra").rglob("*.py"))
    parts = [f"lang{LANGUAGE_VERSION}"]
    for file in files:
        parts += [
            file.relative_to(_SOURCES).as_posix(),
            hashlib.sha256(file.read_bytes()).hexdigest(),
        ]
    return digest(*parts)[:16]


def digest(*parts: bytes | str) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode() if isinstance(part, str) else part)
        h.update(b"\x00")
    return h.hexdigest()


class Cache:
    def __init__(self, root: Path | None) -> None:
        self.root = root / code_version() if root is not None else None
        if root is not None and root.is_dir():
            for old in root.iterdir():
                if old != self.root and old.is_dir() and len(old.name) == 16:
                    shutil.rmtree(old, ignore_errors=True)

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
        text = json.dumps(value, separators=(",", ":"))
        if next(credentials.find(text), None) is not None:
            return  # a credential is never written to disk, whatever let it through
        folder = self.root / bucket
        try:
            folder.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
            os.replace(tmp, folder / f"{key}.json")
        except OSError:
            pass  # a cache that cannot be written only costs time
