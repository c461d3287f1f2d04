"""Bluesky rich-text facets: links, mentions and hashtags, with UTF-8 byte offsets.

Pure: the caller passes ``resolve`` (handle → DID, or None when the handle does not
resolve: such a mention stays plain text, as in the official clients).
"""

from __future__ import annotations

import re
from collections.abc import Callable

URL = re.compile(r"https?://[^\s<>\"']+[^\s<>\"'.,;:!?)\]]", re.IGNORECASE)
MENTION = re.compile(
    r"(?<![\w@])@((?:[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+"
    r"[a-zA-Z](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)"
)
HASHTAG = re.compile(r"(?<![\w#&/])#(\w*[^\W\d]\w*)")

Facet = dict[str, object]


class ByteIndex:
    """Character offsets → UTF-8 byte offsets of one text."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __call__(self, start: int, end: int) -> dict[str, int]:
        head = len(self.text[:start].encode("utf-8"))
        return {"byteStart": head, "byteEnd": head + len(self.text[start:end].encode("utf-8"))}


def _facet(index: ByteIndex, start: int, end: int, feature: dict[str, str]) -> Facet:
    return {"index": index(start, end), "features": [feature]}


def facets(text: str, resolve: Callable[[str], str | None] = lambda handle: None) -> list[Facet]:
    """The facets of ``text``, in order of position."""
    index = ByteIndex(text)
    out: list[tuple[int, Facet]] = []
    links = [(m.start(), m.end()) for m in URL.finditer(text)]
    for start, end in links:
        link = {"$type": "app.bsky.richtext.facet#link", "uri": text[start:end]}
        out.append((start, _facet(index, start, end, link)))

    def inside_link(pos: int) -> bool:
        return any(start <= pos < end for start, end in links)

    for match in MENTION.finditer(text):
        did = None if inside_link(match.start()) else resolve(match.group(1))
        if did:
            mention = {"$type": "app.bsky.richtext.facet#mention", "did": did}
            out.append((match.start(), _facet(index, match.start(), match.end(), mention)))
    for match in HASHTAG.finditer(text):
        if not inside_link(match.start()) and len(match.group(1)) <= 64:
            tag = {"$type": "app.bsky.richtext.facet#tag", "tag": match.group(1)}
            out.append((match.start(), _facet(index, match.start(), match.end(), tag)))
    return [facet for _, facet in sorted(out, key=lambda item: item[0])]
