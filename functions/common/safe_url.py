"""Where a function may connect: https to public addresses, or a configured local peer.

``validate`` refuses URLs that are not https or name no public DNS name (schema/urls.py,
E701). That cannot see what a name resolves to, so every connection the platform HTTP
helper opens (functions/common/platform/http.py, which ingest uses too), and alert's
Slack webhook (functions/alert/notify.py), goes through :func:`opener`: the host is resolved once, every address must be global unicast
(not loopback, private, link-local, shared, reserved or multicast; IPv4-mapped, 6to4
and Teredo addresses are judged by the IPv4 address inside), and the socket is opened to
a checked address itself. So a name that answers a public address to the check and
``169.254.169.254`` to the connection (DNS rebinding) gets nothing: the connection never
asks DNS again. TLS still verifies the certificate against the name. Resolutions are kept
for :data:`CACHE_S` per host and port, so a warm invocation asks DNS once per host.
Proxies from the environment are not used: a proxy would resolve the name itself.

The one exception is the local peers the deployment configures, never the YAML: the
origins in ``SOCIALOPS_PLATFORM_ENDPOINTS`` and those given to the adapters, tokens and
ingest as endpoints (:func:`allow_peer`; simulate and the tests), which may be http on
loopback. Standard library only (cold starts).
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Sequence
from typing import Any

from functions.common import runtime

CACHE_S = 60.0
Origin = tuple[str, str, int]
Resolver = Callable[[str, int], Sequence[str]]


class Refused(ValueError):
    """A URL or an address a function may not connect to; nothing was sent."""


def system_resolve(host: str, port: int) -> list[str]:
    """The addresses of ``host`` (the resolver of the machine)."""
    return [str(info[4][0]) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]


resolver: Resolver = system_resolve  # tests inject their own
_cache: dict[tuple[str, int], tuple[float, tuple[str, ...]]] = {}
_peers: set[Origin] = set()


def origin(url: str) -> Origin:
    """(scheme, host, port) of ``url``, lower case, with the scheme's default port."""
    parts = urllib.parse.urlsplit(url)
    scheme = parts.scheme.lower()
    port = parts.port or (443 if scheme == "https" else 80)
    return scheme, (parts.hostname or "").lower(), port


def allow_peer(url: str | None) -> None:
    """Allow the origin of ``url``, a local peer the code was configured with."""
    if url:
        _peers.add(origin(url))


def is_peer(scheme: str, host: str, port: int) -> bool:
    if (scheme, host.lower().strip("[]"), port) in _peers:
        return True
    return (scheme, host.lower().strip("[]"), port) in {
        origin(u) for u in runtime.endpoints().values()
    }


def global_address(text: str) -> bool:
    """Whether ``text`` is a global unicast address (embedded IPv4 judged by itself)."""
    address = ipaddress.ip_address(text.split("%", 1)[0])
    if isinstance(address, ipaddress.IPv6Address):
        inner = address.ipv4_mapped or address.sixtofour or (address.teredo or (None, None))[1]
        if inner is not None and not global_address(str(inner)):
            return False
    return address.is_global and not address.is_multicast


def public_addresses(host: str, port: int) -> tuple[str, ...]:
    """The checked addresses of ``host``, resolved at most once per :data:`CACHE_S`."""
    key = (host.lower(), port)
    kept = _cache.get(key)
    if kept is not None and time.monotonic() - kept[0] < CACHE_S:
        return kept[1]
    addresses = tuple(dict.fromkeys(resolver(host.strip("[]"), port)))
    refused = [a for a in addresses if not global_address(a)]
    if refused or not addresses:
        raise Refused(
            f"{host} resolves to {', '.join(refused) or 'no address'}, which is not a public "
            "address: nothing was sent"
        )
    _cache[key] = (time.monotonic(), addresses)
    return addresses


def check(url: str) -> None:
    """Refuse ``url`` unless it is https (or a configured peer); the address is checked
    when the connection is opened."""
    scheme, host, port = origin(url)
    if is_peer(scheme, host, port):
        return
    if scheme != "https" or not host:  # the origin only: a webhook's path is its secret
        raise Refused(f"{scheme}://{host} is not an https URL: nothing was sent")


def _connect_to(addresses: tuple[str, ...]) -> Callable[..., socket.socket]:
    def connect(address: tuple[str, int], timeout: Any = None, source: Any = None) -> Any:
        error: OSError = OSError(f"cannot connect to {address[0]}")
        for ip in addresses:
            try:
                return socket.create_connection((ip, address[1]), timeout, source)
            except OSError as failed:
                error = failed
        raise error

    return connect


class _PinnedHTTPS(http.client.HTTPSConnection):
    def connect(self) -> None:
        if not is_peer("https", self.host, self.port):
            self._create_connection = _connect_to(public_addresses(self.host, self.port))
        super().connect()


class _PeerOnlyHTTP(http.client.HTTPConnection):
    def connect(self) -> None:
        if not is_peer("http", self.host, self.port):
            raise Refused(f"http://{self.host}:{self.port} is not https: nothing was sent")
        super().connect()


class _HTTPS(urllib.request.HTTPSHandler):
    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_PinnedHTTPS, req, context=self._context)  # type: ignore[attr-defined]


class _HTTP(urllib.request.HTTPHandler):
    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_PeerOnlyHTTP, req)


class _Redirect(urllib.request.HTTPRedirectHandler):
    """Redirects as urllib follows them, but the credential stays with its origin."""

    def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any,
                         newurl: str) -> urllib.request.Request | None:  # fmt: skip
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        if new is not None and origin(newurl) != origin(req.full_url):
            new.remove_header("Authorization")
        return new


def opener() -> urllib.request.OpenerDirector:
    """urllib without proxies, file, ftp or data URLs; every connection, redirects too,
    goes to a checked public address or a configured peer, and a redirect to another
    origin goes without the Authorization header."""
    director = urllib.request.OpenerDirector()
    for handler in (urllib.request.UnknownHandler(), urllib.request.HTTPDefaultErrorHandler(),
                    _Redirect(), urllib.request.HTTPErrorProcessor(),
                    _HTTP(), _HTTPS()):  # fmt: skip
        director.add_handler(handler)
    return director
