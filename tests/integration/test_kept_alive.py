"""Platform calls keep their connections alive (functions/common/safe_url.py ``Pool``).

A warm invocation that asks a platform again reuses the connection (no new TCP connection,
no new TLS handshake), but never at the cost of a request: a connection the server closed
is replaced, an idempotent request is sent again on the new one, a POST is never sent
twice, an answer left unread closes its connection, and a connection to a local peer is
reused only while the peer is still configured. Against the Mastodon contract fake.
"""

from __future__ import annotations

import socket
import struct
import time
import urllib.request
from collections.abc import Iterator

import pytest

from functions.common import runtime, safe_url
from functions.common.platform import http
from functions.common.platform.errors import PlatformError
from infra.peers import Reply, mastodon

ME = "/api/v1/accounts/verify_credentials"


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[mastodon.MastodonFake]:
    monkeypatch.setattr(safe_url, "_peers", set())
    monkeypatch.delenv(runtime.ENDPOINTS_ENV, raising=False)
    safe_url.POOL.clear()
    with mastodon.MastodonFake() as peer:
        safe_url.allow_peer(peer.url)
        yield peer
    safe_url.POOL.clear()


def _me(peer: mastodon.MastodonFake) -> int:
    status, _head, _raw = http.exchange("mastodon", "GET", peer.url + ME, bearer=mastodon.TOKEN)
    return status


def _post(peer: mastodon.MastodonFake) -> http.Response:
    return http.call("mastodon", "POST", peer.url + "/api/v1/statuses", bearer=mastodon.TOKEN,
                     json_body={"status": "Autumn is here"})  # fmt: skip


def test_requests_to_one_origin_share_a_connection(fake: mastodon.MastodonFake) -> None:
    assert [_me(fake) for _ in range(5)] == [200] * 5
    _post(fake)
    assert fake.opened == 1
    assert len(fake.requests) == 6


def test_an_error_answer_read_to_the_end_keeps_the_connection(fake: mastodon.MastodonFake) -> None:
    fake.answer_next(Reply(404, {"error": "Record not found"}), on="verify_credentials")
    with pytest.raises(PlatformError):
        _me(fake)
    assert _me(fake) == 200
    assert fake.opened == 1


def test_a_connection_the_server_closed_is_replaced(fake: mastodon.MastodonFake) -> None:
    assert _me(fake) == 200
    fake.hang_up()  # as a server drops an idle connection
    assert _me(fake) == 200
    assert fake.opened == 2


@pytest.fixture
def crossed(fake: mastodon.MastodonFake, monkeypatch: pytest.MonkeyPatch) -> mastodon.MastodonFake:
    """A kept connection the server closes as the next request is sent on it: closed,
    and the idle check cannot see it yet."""
    assert _me(fake) == 200
    fake.hang_up()
    monkeypatch.setattr(safe_url, "_dropped", lambda connection: False)
    return fake


def test_a_get_on_a_connection_found_closed_only_when_sent_goes_again(
    crossed: mastodon.MastodonFake,
) -> None:
    assert _me(crossed) == 200
    assert crossed.opened == 2
    assert crossed.paths("GET") == [ME, ME]


def test_a_post_is_never_sent_twice(crossed: mastodon.MastodonFake) -> None:
    with pytest.raises(PlatformError) as raised:
        _post(crossed)
    assert raised.value.retryable and raised.value.code == "network"
    assert crossed.paths("POST") == []  # the caller's retry decides, as for a lost answer
    assert _post(crossed).status == 200  # and a new connection takes it


def _request(peer: mastodon.MastodonFake) -> urllib.request.Request:
    return urllib.request.Request(
        peer.url + ME, headers={"Authorization": f"Bearer {mastodon.TOKEN}"}
    )


def test_an_answer_left_unread_closes_its_connection(fake: mastodon.MastodonFake) -> None:
    with safe_url.opener().open(_request(fake), timeout=5) as answer:
        answer.read(5)  # as the Slack notice reads the start of an answer
    assert _me(fake) == 200
    assert fake.opened == 2


def test_an_idle_connection_is_not_kept_past_its_time(
    fake: mastodon.MastodonFake, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _me(fake) == 200
    monkeypatch.setattr(safe_url, "IDLE_S", 0.0)
    assert _me(fake) == 200
    assert fake.opened == 2


def test_a_kept_connection_to_a_peer_no_longer_configured_is_not_used(
    fake: mastodon.MastodonFake, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _me(fake) == 200
    monkeypatch.setattr(safe_url, "_peers", set())
    with pytest.raises(PlatformError) as raised:
        _me(fake)
    assert raised.value.code == "unsafe_url"
    assert len(fake.requests) == 1


def test_a_request_without_a_timeout_reuses_a_connection_too(fake: mastodon.MastodonFake) -> None:
    """urllib's own default (the socket module's) when the caller gives none."""
    for _ in range(2):
        with safe_url.opener().open(_request(fake)) as answer:
            assert answer.status == 200 and answer.read()
    assert fake.opened == 1


@pytest.mark.parametrize("leave", ["before the answer", "in the middle of the answer"])
def test_a_client_that_hangs_up_is_no_error_of_the_fake(
    fake: mastodon.MastodonFake, capfd: pytest.CaptureFixture[str], leave: str
) -> None:
    # GIVEN a client that resets its connection (data left unread: the kernel sends a RST),
    # as the Slack notice closes after reading 200 bytes, before or while the fake answers
    fake.answer_next(Reply(200, raw=b"x" * 1_000_000), on="/big")
    with socket.create_connection(fake.server.server_address[:2]) as client:
        client.sendall(b"GET /big HTTP/1.1\r\nHost: peer\r\n\r\n")
        if leave == "in the middle of the answer":
            client.recv(200)
        client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    # WHEN the fake has noticed
    deadline = time.monotonic() + 5
    while fake.connections and time.monotonic() < deadline:
        time.sleep(0.01)
    # THEN it goes on serving, and says nothing: the client left, nothing failed here
    assert not fake.connections
    assert _me(fake) == 200
    out, err = capfd.readouterr()
    assert "Exception" not in out + err, out + err
