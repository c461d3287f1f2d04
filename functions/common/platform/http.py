"""A tiny JSON-over-HTTP helper on ``urllib.request``, with explicit timeouts.

Every failure becomes a ``PlatformError``: HTTP errors through the platform's error table,
network errors and timeouts as retryable, a URL or an address a function may not call
(functions/common/safe_url.py: not https, not a public address, not a configured peer) as
``unsafe_url``, never retried: nothing was sent, and no credential left.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from functions.common import safe_url
from functions.common.platform.errors import PlatformError, from_response

TIMEOUT_S = 10.0
_OPENER = safe_url.opener()  # every connection to a checked public address or a peer


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str]  # names in lower case
    body: Any


def _decode(raw: bytes) -> Any:
    if not raw:
        return {}
    try:
        return json.loads(raw)
    except ValueError:
        return {"raw": raw[:500].decode("utf-8", "replace")}


def _encode(json_body: Any, form: dict[str, str] | None) -> tuple[bytes | None, str | None]:
    if json_body is not None:
        return json.dumps(json_body).encode(), "application/json"
    if form is not None:
        return urllib.parse.urlencode(form).encode(), "application/x-www-form-urlencoded"
    return None, None


def call(
    platform: str,
    method: str,
    url: str,
    *,
    bearer: str | None = None,
    json_body: Any = None,
    form: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = TIMEOUT_S,
) -> Response:
    """One HTTP call; the JSON answer, or a ``PlatformError``."""
    data, content_type = _encode(json_body, form)
    status, head, raw = exchange(platform, method, url, query=query or {}, bearer=bearer,
                                 headers=headers, data=data, content_type=content_type,
                                 timeout=timeout)  # fmt: skip
    return Response(status, head, _decode(raw))


def exchange(
    platform: str,
    method: str,
    url: str,
    *,
    query: Sequence[tuple[str, str]] | Mapping[str, str] = (),
    bearer: str | None = None,
    headers: Mapping[str, str] | None = None,
    data: bytes | None = None,
    content_type: str | None = None,
    timeout: float = TIMEOUT_S,
) -> tuple[int, dict[str, str], bytes]:
    """One HTTP request: its status, headers (names in lower case) and raw body; an HTTP
    error becomes the platform's ``PlatformError``, a network error a retryable one."""
    pairs = list(query.items()) if isinstance(query, Mapping) else list(query)
    if pairs:
        url += ("&" if "?" in url else "?") + urllib.parse.urlencode(pairs)
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Accept", "application/json")
    if content_type:
        request.add_header("Content-Type", content_type)
    if bearer:
        request.add_header("Authorization", f"Bearer {bearer}")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        safe_url.check(url)
        with _OPENER.open(request, timeout=timeout) as answer:
            head = {k.lower(): v for k, v in answer.headers.items()}
            return answer.status, head, answer.read()
    except safe_url.Refused as refused:
        raise PlatformError(platform, 0, "unsafe_url", str(refused)) from None
    except urllib.error.HTTPError as error:
        head = {k.lower(): v for k, v in error.headers.items()}
        with error:  # read to the end: its connection is kept for the next request
            raw = error.read()
        raise from_response(platform, error.code, head, _decode(raw)) from None
    except (TimeoutError, urllib.error.URLError, ConnectionError) as error:
        reason = getattr(error, "reason", error)
        raise PlatformError(
            platform, 0, "network", f"the platform could not be reached ({reason})",
            retryable=True,
        ) from None  # fmt: skip


def multipart(fields: Mapping[str, str], files: Mapping[str, tuple[str, str, bytes]]) -> tuple[bytes, str]:  # fmt: skip
    """A ``multipart/form-data`` body and its content type: the text ``fields``, then the
    ``files`` (name -> (file name, MIME type, bytes)); the boundary is drawn so that no part
    holds it."""
    import secrets

    parts = [*(v.encode() for v in fields.values()), *(f[2] for f in files.values())]
    boundary = "socialops-" + secrets.token_hex(12)
    while any(boundary.encode() in part for part in parts):
        boundary = "socialops-" + secrets.token_hex(12)
    out = bytearray()
    for name, value in fields.items():
        out += (f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                f"{value}\r\n").encode()  # fmt: skip
    for name, (filename, mime, data) in files.items():
        out += (f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                f'filename="{filename}"\r\nContent-Type: {mime}\r\n\r\n').encode()  # fmt: skip
        out += data + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return bytes(out), f"multipart/form-data; boundary={boundary}"


def send(
    platform: str,
    method: str,
    url: str,
    data: bytes,
    content_type: str,
    *,
    bearer: str | None = None,
    query: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = TIMEOUT_S,
) -> Response:
    """One HTTP call with a body of bytes (an upload: a file, a part, a multipart form); the
    answer decoded as ``call`` does (an empty body: ``{}``), or a ``PlatformError``."""
    status, head, raw = exchange(platform, method, url, query=query or {}, bearer=bearer,
                                 headers=headers, data=data, content_type=content_type,
                                 timeout=timeout)  # fmt: skip
    return Response(status, head, _decode(raw))


def base_url(platform: str, override: str | None) -> str:
    """The API root: the override (tests, self-hosted servers) or the table's."""
    from schema.platforms import PLATFORMS

    return (override or PLATFORMS[platform].api_base).rstrip("/")
