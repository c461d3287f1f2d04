"""Text that every service on a mention's path accepts (SQS, S3, DynamoDB, the model).

SQS refuses a message body with a code point outside ``#x9 | #xA | #xD | #x20-#xD7FF |
#xE000-#xFFFD | #x10000-#x10FFFF`` (NUL and the other C0 controls, U+FFFE, U+FFFF), and a
lone surrogate (a JSON ``"\\ud800"`` escape decodes to one) cannot be encoded as UTF-8 at
all, so boto3, S3 bodies and the model's hashing all raise on it. One such mention used to
fail the SQS send of its whole page and the ``score`` batch of 100 it was in: ``clean``
replaces each such code point by U+FFFD, keeping the rest of the text.
"""

from __future__ import annotations

import html
import re
from typing import Any

REPLACEMENT = "\ufffd"
# what SQS accepts (the XML 1.0 character set); everything else is replaced
REFUSED = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# a character above U+FFFF left as its two UTF-16 halves (a source that counted UTF-16
# units): joined back into the character, which is valid, rather than replaced twice
PAIR = re.compile("[\ud800-\udbff][\udc00-\udfff]")


def _join(pair: re.Match[str]) -> str:
    high, low = pair.group()[0], pair.group()[1]
    return chr(0x10000 + ((ord(high) - 0xD800) << 10) + (ord(low) - 0xDC00))


def clean(text: str) -> tuple[str, int]:
    """``text`` with every code point SQS refuses or UTF-8 cannot encode replaced by
    U+FFFD, and how many were replaced."""
    if REFUSED.search(text) is None:
        return text, 0  # the usual case: nothing to copy
    return REFUSED.subn(REPLACEMENT, PAIR.sub(_join, text))


def clean_all(value: Any) -> tuple[Any, int]:
    """Every string of a JSON value cleaned (keys included: any field of a mention may
    carry the bad code point), and how many code points were replaced in all."""
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, dict):
        out: dict[Any, Any] = {}
        total = 0
        for key, item in value.items():
            (key, n), (item, m) = clean_all(key), clean_all(item)
            out[key] = item
            total += n + m
        return out, total
    if isinstance(value, list | tuple):
        pairs = [clean_all(item) for item in value]
        return [item for item, _ in pairs], sum(n for _, n in pairs)
    return value, 0


_BREAK = re.compile(r"<br\s*/?>|</p>\s*<p>")
_TAG = re.compile(r"<[^>]+>")


def html_text(content: str) -> str:
    """HTML content (a Mastodon status) as text: breaks and paragraphs become newlines."""
    return html.unescape(_TAG.sub("", _BREAK.sub("\n", content)))
