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
import select
import socket
import threading
import time
import urllib.error
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
        if not self.reusable():
            raise Refused(f"http://{self.host}:{self.port} is not https: nothing was sent")
        super().connect()

    def reusable(self) -> bool:
        """Whether the origin is still a configured peer (checked at each request)."""
        return is_peer("http", self.host, self.port)


# ---- kept-alive connections ------------------------------------------------------------

IDLE_S = 15.0  # a connection idle longer is closed, not reused (servers drop idle ones)
IDLE_MOST = 4  # idle connections kept per origin
IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
# what a server's close of an idle kept connection looks like at the next request on it
_DROPPED = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)


def _dropped(connection: http.client.HTTPConnection) -> bool:
    """Whether a kept connection cannot take a request: closed, or readable while idle
    (the server closed it, or sent what nobody asked for)."""
    sock = connection.sock
    if sock is None:
        return True
    try:
        poller = select.poll()
        poller.register(sock, select.POLLIN)
        return bool(poller.poll(0))
    except (OSError, ValueError):
        return True


class Pool:
    """Idle HTTP/1.1 connections by (kind, host, port), each reused by one request at a
    time: a warm invocation asks a platform again without a new TCP connection and TLS
    handshake. A connection goes back only when its answer was read to the end and the
    server keeps it open; one idle for :data:`IDLE_S`, or found closed, is closed."""

    def __init__(self) -> None:
        self.idle: dict[tuple[type, str], list[tuple[float, http.client.HTTPConnection]]] = {}
        self.lock = threading.Lock()

    def take(self, key: tuple[type, str]) -> http.client.HTTPConnection | None:
        while True:
            with self.lock:
                kept = self.idle.get(key)
                if not kept:
                    return None
                since, connection = kept.pop()
            reusable = getattr(connection, "reusable", lambda: True)()
            if reusable and time.monotonic() - since < IDLE_S and not _dropped(connection):
                return connection
            connection.close()

    def give(self, key: tuple[type, str], connection: http.client.HTTPConnection) -> None:
        with self.lock:
            kept = self.idle.setdefault(key, [])
            if len(kept) < IDLE_MOST:
                kept.append((time.monotonic(), connection))
                return
        connection.close()

    def clear(self) -> None:
        with self.lock:
            kept, self.idle = self.idle, {}
        for connections in kept.values():
            for _since, connection in connections:
                connection.close()


POOL = Pool()


def _released(key: tuple[type, str], connection: http.client.HTTPConnection,
              response: http.client.HTTPResponse) -> Callable[[], None]:  # fmt: skip
    """The response's ``close``: its connection goes back to the pool when the answer was
    read to the end (an answer left unread would be read as the next one's), else closed."""
    close = response.close

    def release() -> None:
        whole = response.isclosed() and not response.will_close
        close()
        if whole and connection.sock is not None:
            POOL.give(key, connection)
        else:
            connection.close()

    return release


class _Keeping(urllib.request.AbstractHTTPHandler):
    """``do_open`` on kept-alive connections from :data:`POOL` (urllib's own opens one per
    request and closes it). A kept connection the server closed meanwhile is replaced and,
    for an idempotent method, the request sent again on a new one; a POST is not sent twice
    (the failure is a network error, as a lost answer is)."""

    def keep_open(self, http_class: type[http.client.HTTPConnection],
                  req: urllib.request.Request, **arguments: Any) -> http.client.HTTPResponse:  # fmt: skip
        if not req.host:
            raise urllib.error.URLError("no host given")
        key = (http_class, req.host)
        headers = dict(req.unredirected_hdrs)
        headers.update({k: v for k, v in req.headers.items() if k not in headers})
        headers = {name.title(): value for name, value in headers.items()}
        method = req.get_method()
        connection = POOL.take(key)
        while True:
            reused = connection is not None
            if connection is None:
                connection = http_class(req.host, timeout=req.timeout, **arguments)
            else:
                connection.timeout = req.timeout
                if connection.sock is not None:  # urllib's default: the socket module's
                    given = req.timeout
                    number = isinstance(given, int | float)
                    connection.sock.settimeout(given if number else socket.getdefaulttimeout())
            try:
                try:
                    connection.request(method, req.selector, req.data, headers,
                                       encode_chunked=req.has_header("Transfer-encoding"))  # fmt: skip
                except OSError as error:
                    if reused and isinstance(error, _DROPPED) and method in IDEMPOTENT:
                        raise
                    raise urllib.error.URLError(error) from None
                response = connection.getresponse()
            except _DROPPED:
                connection.close()
                if reused and method in IDEMPOTENT:
                    connection = None
                    continue
                raise
            except BaseException:
                connection.close()
                raise
            break
        response.url = req.get_full_url()
        response.msg = response.reason  # type: ignore[assignment]
        response.close = _released(key, connection, response)  # type: ignore[method-assign]
        return response


class _HTTPS(_Keeping, urllib.request.HTTPSHandler):
    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.keep_open(_PinnedHTTPS, req, context=self._context)  # type: ignore[attr-defined]


class _HTTP(_Keeping, urllib.request.HTTPHandler):
    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.keep_open(_PeerOnlyHTTP, req)


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
