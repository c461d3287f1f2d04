"""What a webhook request says, read defensively (webhooks.py answers it).

``/webhooks/{platform}/{brand}`` is on the internet: anyone can send it anything. Every
part of the HTTP API event (payload format 2.0) is checked for its type and size before it
is used, so that a request the platform did not send gets a clean 4xx, never an exception
(a 500) and never a Secrets Manager call. Nothing here is secret or needs AWS.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

MAX_BODY_BYTES = 1024 * 1024  # Meta batches up to 1,000 changes of a few hundred bytes
MAX_HEADER_CHARS = 8192  # API Gateway's own limit on a header line is 10 KiB
MAX_NAME_CHARS = 64  # platform and brand names (schema: 32 at most)
METHODS = ("GET", "POST")


class Refused(Exception):
    """A request answered before anything costly: its status and why (for the log)."""

    def __init__(self, status: int, why: str) -> None:
        super().__init__(why)
        self.status, self.why = status, why


@dataclass(frozen=True)
class Request:
    method: str
    platform: str
    brand: str
    headers: Mapping[str, str] = field(default_factory=dict)  # names lowercased
    query: Mapping[str, str] = field(default_factory=dict)
    body: Any = None  # the event's, unread until ``body_bytes``
    base64_body: bool = False


def reply(status: int, body: Any, content_type: str = "application/json") -> dict[str, Any]:
    text = body if isinstance(body, str) else json.dumps(body, sort_keys=True)
    return {"statusCode": status, "headers": {"Content-Type": content_type}, "body": text}


def _text(value: Any, limit: int) -> str | None:
    """A string of at most ``limit`` characters, else None (absent, the wrong type, or too
    long to be what a platform sends)."""
    return value if isinstance(value, str) and len(value) <= limit else None


def _strings(value: Any, name: Callable[[str], str]) -> dict[str, str]:
    """A mapping of the event (headers, query) with only its string names and values of
    a sane length; anything else is treated as absent rather than trusted to be what API
    Gateway documents."""
    if not isinstance(value, Mapping):
        return {}
    return {name(k): v for k, v in value.items()
            if isinstance(k, str) and _text(v, MAX_HEADER_CHARS) is not None}  # fmt: skip


def _method(event: Mapping[str, Any]) -> str:
    http = event.get("requestContext")
    http = http.get("http") if isinstance(http, Mapping) else None
    method = http.get("method") if isinstance(http, Mapping) else None
    if not isinstance(method, str):
        route = event.get("routeKey")
        method = route.split(" ")[0] if isinstance(route, str) else ""
    return method[:16].upper()


def read(event: Mapping[str, Any]) -> Request:
    """The request, or ``Refused`` (404 for a path that names nothing we serve, 405)."""
    params = event.get("pathParameters")
    params = params if isinstance(params, Mapping) else {}
    platform = _text(params.get("platform"), MAX_NAME_CHARS)
    brand = _text(params.get("brand"), MAX_NAME_CHARS)
    if not platform or not brand:
        raise Refused(404, "no platform or brand in the path")
    method = _method(event)
    if method not in METHODS:
        raise Refused(405, f"method {method!r}")
    # query names stay as sent (``hub.mode``); header names are lowercased (HTTP)
    query = event.get("queryStringParameters")
    query = query if isinstance(query, Mapping) else {}
    return Request(method, platform, brand, _strings(event.get("headers"), str.lower),
                   _strings(query, str), event.get("body"),
                   event.get("isBase64Encoded") is True)  # fmt: skip


def body_bytes(request: Request) -> bytes:
    """The body's bytes, at most ``MAX_BODY_BYTES`` (413 beyond; 400 for a body flagged
    base64 that is not). A text body keeps bytes that were not UTF-8 (Python's escapes)
    and a lone surrogate as the three bytes a lenient decoder made of it: ``decode``
    replaces and counts them after the signature is checked, never an error."""
    body = request.body if isinstance(request.body, str) else ""
    if len(body) > (MAX_BODY_BYTES // 3 + 1) * 4:  # base64 or not: too long already
        raise Refused(413, f"a body of {len(body)} characters")
    if request.base64_body:
        try:
            data = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            raise Refused(400, "the body is flagged base64 and is not") from None
    else:
        try:
            data = body.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:
            data = body.encode("utf-8", "surrogatepass")
    if len(data) > MAX_BODY_BYTES:
        raise Refused(413, f"a body of {len(data)} bytes")
    return data
