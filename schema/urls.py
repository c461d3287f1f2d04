"""URLs that a function may call or hand to a platform: ``https`` to a public DNS name.

An account's ``instance`` decides where a Mastodon token or a Bluesky password is sent, and
a media ``url`` is fetched by the platform: neither may point at the machine, its cloud's
metadata service or a private network. Here, at validate time and without a network, a URL
must be ``https``, carry no user or password, and name its host by a DNS name: no IP
literal in any form (dotted, decimal ``2130706433``, hex ``0x7f000001``, octal, IPv6,
IPv4-mapped; the URL parser turns all of them into an address first), and no name that
by definition or convention stays inside a machine or a private network (``localhost``,
``*.local``, ``*.internal``, single-label names, ...). The address a name resolves to is
checked again at run time, before anything is sent (functions/common/safe_url.py).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, HttpUrl, TypeAdapter, ValidationError, WithJsonSchema
from pydantic_core import PydanticCustomError

from schema.types import shown

# Names that never leave the machine or the private network: RFC 6761 (localhost,
# invalid), RFC 6762 (local, mDNS), RFC 8375 (home.arpa), ICANN's private-use .internal
# (which holds metadata.google.internal and EC2's *.compute.internal), reverse-DNS zones,
# and the top-level names ICANN advises against delegating because networks use them.
PRIVATE_SUFFIXES = (
    "localhost", "local", "internal", "invalid", "home.arpa", "in-addr.arpa", "ip6.arpa",
    "lan", "intranet", "corp", "private", "localdomain", "onion",
)  # fmt: skip

_PARSE = TypeAdapter(HttpUrl)


def host_problem(host: str) -> str | None:
    """Why ``host`` (as the URL parser leaves it) is not a public DNS name, else None."""
    name = host.rstrip(".").lower()
    if host.startswith("[") or name.replace(".", "").isdigit():
        return "an IP address; expected a DNS name (addresses are checked when resolved)"
    labels = name.split(".")
    if len(labels) < 2:
        return "a name without a dot, which resolves inside the local network"
    for suffix in PRIVATE_SUFFIXES:
        if name == suffix or name.endswith("." + suffix):
            return f"a name under .{suffix}, which stays inside a machine or private network"
    return None


def url_problem(url: HttpUrl) -> str | None:
    """Why a function may not call ``url``, else None."""
    if url.scheme != "https":
        return f"the scheme is {url.scheme}; expected https"
    if url.username or url.password:
        return "the URL carries a user or password; expected none"
    return host_problem(url.host or "")


def _check_url(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        url = _PARSE.validate_python(value)
    except ValidationError:
        return value  # not a URL at all: HttpUrl's own error says so (E204)
    problem = url_problem(url)
    if problem:
        text = value if not (url.username or url.password) else f"{url.scheme}://...@{url.host}"
        raise PydanticCustomError(
            "so_url",
            "expected an https URL on a public DNS name: {problem}, found {found}",
            {"problem": problem, "found": shown(text)},
        )
    return value


PublicUrl = Annotated[
    HttpUrl,
    BeforeValidator(_check_url),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": "^https://",
            "minLength": 1,
            "maxLength": 2083,
            "description": "an https URL on a public DNS name (no IP address, no localhost, "
            ".local or .internal name)",
        }
    ),
]
