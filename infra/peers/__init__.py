"""Contract fakes of platform APIs: small threaded HTTP servers on 127.0.0.1:0.

Used by the tests (tests/integration/test_adapters.py) and, as local peers of the publish
adapters, by ``socialops simulate``. Each fake implements the documented endpoints the
adapters use (and the platforms' OAuth token refresh where there is one), serves the
account it is given (the module constants by default), refuses a request whose shape the
platform would refuse (headers, auth, body fields), and can be told to answer the next
matching request with one of the platform's documented error responses.

Start and stop one with a ``with`` block, or with ``start()`` and ``stop()`` for an owner
that keeps it longer. Every token these fakes accept or issue is an obvious fake.
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import sys
import threading
import urllib.parse
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar


@dataclass
class Req:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # names in lower case
    body: Any
    raw: bytes = b""
    groups: tuple[str, ...] = ()


@dataclass
class Reply:
    status: int = 200
    body: Any = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None  # sent as is instead of ``body`` as JSON (a broken page)


class Refused(Exception):
    """Raised by a route: answer with ``reply`` (the platform's error for a bad request)."""

    def __init__(self, reply: Reply) -> None:
        super().__init__(reply.status)
        self.reply = reply


Route = Callable[[Req], Reply]


@dataclass(frozen=True)
class Part:
    """A file of a ``multipart/form-data`` body."""

    filename: str
    content_type: str
    data: bytes


def parse_multipart(raw: bytes, content_type: str) -> dict[str, str | Part]:
    """The fields of a ``multipart/form-data`` body: text fields as ``str``, files as
    ``Part``; a body that is not one gives ``{}`` (the route then refuses it)."""
    import email.parser
    import email.policy

    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + raw
    )
    if not message.is_multipart():
        return {}
    fields: dict[str, str | Part] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        filename = part.get_filename()
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        fields[name] = (Part(filename, part.get_content_type(), data) if filename is not None
                        else data.decode("utf-8", "replace"))  # fmt: skip
    return fields


def parse_body(raw: bytes, content_type: str) -> Any:
    if not raw:
        return {}
    if content_type.startswith("application/json"):
        return json.loads(raw)
    if content_type.startswith("application/x-www-form-urlencoded"):
        return dict(urllib.parse.parse_qsl(raw.decode()))
    if content_type.startswith("multipart/form-data"):
        return parse_multipart(raw, content_type)
    return raw


class PeerServer(ThreadingHTTPServer):
    """A threaded HTTP server that takes a client's leaving as normal: a client that closes
    with an answer unread (the kernel resets the connection), as one that gave up waiting
    does, is no error of the server's; other exceptions are printed (to stderr) as usual."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class Fake:
    """Subclasses fill ``routes`` ((method, path regex) → function) and ``errors``
    (kind → the documented error reply)."""

    errors: ClassVar[dict[str, Reply]] = {}

    def __init__(self) -> None:
        # the platform's clock: what it stamps posts with (``simulate`` sets its virtual one)
        self.now: Callable[[], datetime] = lambda: datetime.now(UTC)
        # what the platform counts for one of the account's posts: (post id, when it went
        # out, its text) -> counts under our metric names (functions/ingest/engagement
        # METRICS); each fake answers them in its platform's own fields, and only the fields
        # its platform gives. Tests set counts; simulate plugs in its audience model
        # (infra/simulate/audience.py). By default nobody reacted: zeros.
        self.engagement: Callable[[str, datetime, str], dict[str, int]] = lambda *_: {}
        # the account's follower count at a time
        self.followers: Callable[[datetime], int] = lambda when: 1000
        self.routes: list[tuple[str, re.Pattern[str], Route]] = []
        self.requests: list[Req] = []
        self.failures: list[tuple[str, Reply]] = []
        self.lost: list[str] = []
        self.lock = threading.Lock()
        self.connections: set[socket.socket] = set()  # open, kept alive by clients
        self.opened = 0  # connections accepted
        self.server = PeerServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        # a short poll interval: stopping a fake waits for one poll (0.5 s by default)
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def route(self, method: str, pattern: str, function: Route) -> None:
        self.routes.append((method, re.compile(pattern + "$"), function))

    def fail_next(self, kind: str, on: str = "", times: int = 1) -> None:
        """Answer the next ``times`` requests whose path contains ``on`` with ``kind``."""
        with self.lock:
            self.failures.extend([(on, self.errors[kind])] * times)

    def answer_next(self, reply: Reply, on: str = "", times: int = 1) -> None:
        """Answer the next ``times`` requests whose path contains ``on`` with ``reply``
        (a page that is not JSON, bytes that are not UTF-8, an error of one's own)."""
        with self.lock:
            self.failures.extend([(on, reply)] * times)

    def lose_answer_next(self, on: str = "", times: int = 1) -> None:
        """Do the next ``times`` requests whose path contains ``on``, then answer 504 as a
        gateway does when the platform took too long: the post exists, its answer is lost."""
        with self.lock:
            self.lost.extend([on] * times)

    def posts_made(self) -> int:
        """How many posts this fake holds (each platform's fake says)."""
        raise NotImplementedError

    def paths(self, method: str = "") -> list[str]:
        return [r.path for r in self.requests if not method or r.method == method]

    def start(self) -> Fake:
        """Serve on ``self.url`` from a daemon thread until ``stop()``."""
        self.thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, and close the connections clients keep open."""
        self.server.shutdown()
        self.hang_up()
        self.server.server_close()

    def hang_up(self) -> None:
        """Close every connection a client keeps open (as a server drops idle ones)."""
        with self.lock:
            kept = list(self.connections)
        for connection in kept:
            with contextlib.suppress(OSError):  # closed meanwhile
                connection.shutdown(socket.SHUT_RDWR)

    def __enter__(self) -> Fake:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def answer(self, req: Req) -> Reply:
        with self.lock:
            self.requests.append(req)
            for i, (on, reply) in enumerate(self.failures):
                if on in req.path:
                    del self.failures[i]
                    return reply
        reply = self._route(req)
        with self.lock:
            for i, on in enumerate(self.lost):
                if on in req.path and req.method == "POST":
                    del self.lost[i]
                    return Reply(504, {"error": "Gateway Timeout"})
        return reply

    def _route(self, req: Req) -> Reply:
        for method, pattern, function in self.routes:
            match = pattern.match(req.path)
            if method == req.method and match:
                req.groups = match.groups()
                try:
                    return function(req)
                except Refused as refused:
                    return refused.reply
        return Reply(404, {"error": f"no route {req.method} {req.path}"})

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            # HTTP/1.1: connections kept alive, as the platforms keep them (every answer
            # has its Content-Length); the answer's head and body are two writes, which
            # Nagle's algorithm would hold back for the client's delayed ACK (40 ms)
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def setup(self) -> None:
                super().setup()
                with fake.lock:
                    fake.connections.add(self.connection)
                    fake.opened += 1

            def finish(self) -> None:
                with fake.lock:
                    fake.connections.discard(self.connection)
                super().finish()

            def log_message(self, *args: object) -> None:
                pass

            def handle_one(self) -> None:
                parts = urllib.parse.urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                body = parse_body(raw, headers.get("content-type", ""))
                query = dict(urllib.parse.parse_qsl(parts.query))
                reply = fake.answer(Req(self.command, parts.path, query, headers, body, raw))
                data = reply.raw if reply.raw is not None else json.dumps(reply.body).encode()
                self.send_response(reply.status)
                if not any(name.lower() == "content-type" for name in reply.headers):
                    self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = handle_one

        return Handler


def bearer(req: Req, token: str | Collection[str], refused: Reply) -> None:
    """Refuse unless the request carries ``Authorization: Bearer token`` (or one of the
    tokens, when given several: those still valid after a refresh)."""
    tokens = {token} if isinstance(token, str) else set(token)
    given = req.headers.get("authorization", "")
    if not (given.startswith("Bearer ") and given.removeprefix("Bearer ") in tokens):
        raise Refused(refused)


def credential(given: str | None, expected: str | None) -> bool:
    """Whether ``given`` is a client credential the fake takes: any non-empty value when
    it was made without one (``expected`` None), else exactly ``expected``."""
    return bool(given) and (expected is None or given == expected)


def form(req: Req) -> dict[str, str] | None:
    """The body of an ``application/x-www-form-urlencoded`` request, else None."""
    typed = req.headers.get("content-type", "").startswith("application/x-www-form-urlencoded")
    return req.body if typed and isinstance(req.body, dict) else None


def require(condition: bool, refused: Reply) -> None:
    if not condition:
        raise Refused(refused)
