"""At run time a credential goes only to a public address or a configured local peer.

The platform HTTP helper (functions/common/platform/http.py, which ingest uses too)
resolves each host once, refuses any address that is not global unicast before anything
is sent, and connects to the address it checked (DNS rebinding gets nothing). The local
peers of the tests and ``simulate`` (SOCIALOPS_PLATFORM_ENDPOINTS, the adapters' base
URL) are the one exception. No network: names are resolved by an injected resolver, and
sockets to anything but loopback are recorded instead of opened.
"""

from __future__ import annotations

import contextlib
import json
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from functions.common import runtime, safe_url
from functions.common.platform import http
from functions.common.platform.errors import PlatformError
from functions.common.platform.tokens import Token
from functions.publish.adapters import adapter_for
from functions.publish.adapters.base import PostRequest
from infra.peers import Reply, bluesky, mastodon

NAME = "social.acme.example"
PUBLIC = "93.184.215.14"


@pytest.fixture(autouse=True)
def fresh(monkeypatch: pytest.MonkeyPatch) -> None:
    # no peer allowed and nothing resolved yet; no endpoints from the environment
    monkeypatch.setattr(safe_url, "_peers", set())
    monkeypatch.setattr(safe_url, "_cache", {})
    monkeypatch.delenv(runtime.ENDPOINTS_ENV, raising=False)


@dataclass
class DNS:
    """Answers per name, one list per lookup (the last one repeats); lookups recorded."""

    answers: dict[str, list[list[str]]] = field(default_factory=dict)
    asked: list[str] = field(default_factory=list)

    def resolve(self, host: str, port: int) -> list[str]:
        self.asked.append(host)
        queue = self.answers[host]
        return queue.pop(0) if len(queue) > 1 else queue[0]


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> DNS:
    resolver = DNS()
    monkeypatch.setattr(safe_url, "resolver", resolver.resolve)
    return resolver


@pytest.fixture
def sockets(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, int]]]:
    """Connections to anything but loopback are recorded and refused, never opened."""
    opened: list[tuple[str, int]] = []
    real = socket.create_connection

    def connect(address: tuple[str, int], *args: Any, **kw: Any) -> socket.socket:
        if address[0] in ("127.0.0.1", "localhost"):
            return real(address, *args, **kw)
        opened.append((str(address[0]), int(address[1])))
        raise ConnectionRefusedError(111, "refused (test)")

    monkeypatch.setattr(socket, "create_connection", connect)
    yield opened


def _post(instance: str, platform: str = "mastodon") -> PostRequest:
    return PostRequest("Autumn is here", "k-1", "@brand", instance=instance)


@pytest.mark.parametrize(
    ("make", "platform", "secret"),
    [(mastodon.MastodonFake, "mastodon", mastodon.TOKEN),
     (bluesky.BlueskyFake, "bluesky", bluesky.PASSWORD)],
)  # fmt: skip
def test_a_credential_is_not_sent_to_an_instance_on_loopback(
    make: Any, platform: str, secret: str
) -> None:
    # GIVEN an account whose instance is a server on this machine (not a configured peer)
    with make() as fake:
        # WHEN publish posts with the account's token (Mastodon) or app password (Bluesky)
        with pytest.raises(PlatformError) as refused:
            adapter_for(platform).publish(_post(fake.url), Token(secret))
        # THEN nothing reached the server, and the refusal is final, in plain words
        assert fake.requests == []
    assert refused.value.code == "unsafe_url" and not refused.value.retryable
    assert "nothing was sent" in refused.value.reason


INSIDE = ["127.0.0.1", "10.1.2.3", "172.16.0.9", "192.168.1.1", "169.254.169.254",
          "100.64.0.1", "0.0.0.0", "::1", "fe80::1", "fd00::1", "::ffff:127.0.0.1",
          "2002:7f00:1::1", "224.0.0.1"]  # fmt: skip


@pytest.mark.parametrize("address", INSIDE)
def test_a_name_that_resolves_inside_is_refused_before_connecting(
    address: str, dns: DNS, sockets: list[tuple[str, int]]
) -> None:
    # GIVEN a public-looking name whose DNS answer (also) points inside
    dns.answers[NAME] = [[PUBLIC, address]]
    # WHEN a token would be sent there
    with pytest.raises(PlatformError) as refused:
        http.call("mastodon", "POST", f"https://{NAME}/api/v1/statuses", bearer="secret-token")
    # THEN no socket was opened at all, and the error names the address, not retried
    assert sockets == []
    assert refused.value.code == "unsafe_url" and not refused.value.retryable
    assert address in refused.value.reason and "secret-token" not in str(refused.value)


def test_the_connection_goes_to_the_address_that_was_checked(
    dns: DNS, sockets: list[tuple[str, int]]
) -> None:
    # GIVEN a name that answers a public address once, then the metadata address
    # (DNS rebinding: the check and the connection would otherwise ask twice)
    dns.answers[NAME] = [[PUBLIC], ["169.254.169.254"]]
    # WHEN two calls go to it within the cache time
    for _ in range(2):
        with pytest.raises(PlatformError) as failed:
            http.call("mastodon", "GET", f"https://{NAME}/api/v1/instance", bearer="t")
        assert failed.value.code == "network"  # the recorded socket refuses: not reachable
    # THEN both connected to the checked address itself, and DNS was asked once
    assert sockets == [(PUBLIC, 443), (PUBLIC, 443)]
    assert dns.asked == [NAME]


def test_after_the_cache_time_the_name_is_checked_again(
    dns: DNS, sockets: list[tuple[str, int]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setattr(safe_url, "CACHE_S", 0.0)
    dns.answers[NAME] = [[PUBLIC], ["169.254.169.254"]]
    with pytest.raises(PlatformError):
        http.call("mastodon", "GET", f"https://{NAME}/api/v1/instance")
    with pytest.raises(PlatformError) as refused:
        http.call("mastodon", "GET", f"https://{NAME}/api/v1/instance")
    assert refused.value.code == "unsafe_url" and sockets == [(PUBLIC, 443)]


def test_the_configured_local_peers_are_the_one_exception(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with mastodon.MastodonFake() as fake:
        # GIVEN the fake named in SOCIALOPS_PLATFORM_ENDPOINTS, as simulate and the
        # handlers' tests configure it
        monkeypatch.setenv(runtime.ENDPOINTS_ENV, json.dumps({"mastodon": fake.url}))
        # WHEN an account's instance points at it THEN the post goes out
        published = adapter_for("mastodon").publish(_post(fake.url), Token(mastodon.TOKEN))
        assert published.post_id and fake.posts_made() == 1
        # AND an adapter given the peer as its base URL may call it too, without the env
        monkeypatch.delenv(runtime.ENDPOINTS_ENV)
        adapter_for("mastodon", fake.url).publish(
            PostRequest("Second", "k-2", "@brand"), Token(mastodon.TOKEN)
        )
        assert fake.posts_made() == 2


def test_a_peer_cannot_redirect_a_token_to_another_local_server() -> None:
    # GIVEN a configured peer that answers with a redirect to another server on loopback
    with mastodon.MastodonFake() as peer, mastodon.MastodonFake() as other:
        safe_url.allow_peer(peer.url)
        peer.answer_next(Reply(302, {}, {"Location": f"{other.url}/api/v1/instance"}))
        # WHEN a call with a token follows it
        with pytest.raises(PlatformError) as refused:
            http.call("mastodon", "GET", f"{peer.url}/api/v1/instance", bearer="secret-token")
        # THEN the other server heard nothing
        assert other.requests == [] and len(peer.requests) == 1
    assert refused.value.code == "unsafe_url"


@pytest.mark.parametrize(
    "url", ["file:///etc/hostname", "ftp://files.acme.example/a", "http://social.acme.example/"]
)
def test_only_https_leaves_the_function(url: str, sockets: list[tuple[str, int]]) -> None:
    with pytest.raises(PlatformError) as refused:
        http.call("mastodon", "GET", url, bearer="secret-token")
    assert refused.value.code == "unsafe_url" and sockets == []


def test_ingest_does_not_send_a_token_to_an_instance_on_loopback() -> None:
    from functions.ingest.sources import Source, feeds

    # GIVEN a listening account whose Mastodon instance is a server on this machine
    with mastodon.MastodonFake() as fake:
        source = Source("mastodon", "acme", None, ["#acme"], fake.url, lambda: mastodon.TOKEN)
        # WHEN ingest fetches its mentions (with the token) and its hashtag (without)
        for feed in feeds(source):
            with pytest.raises(PlatformError) as refused:
                feed.fetch({})
            assert refused.value.code == "unsafe_url"
        # THEN the server heard nothing: ingest goes through the same check as publish
        assert fake.requests == []


def test_alert_does_not_post_to_a_slack_webhook_on_loopback() -> None:
    from functions.alert.notify import DeliveryError, http_post, post_slack
    from infra.peers.slack import SlackFake

    # GIVEN a Slack secret whose webhook URL is a server on this machine (not a peer)
    with SlackFake() as fake:
        secrets = _Secrets(fake.webhook_url)
        # WHEN an alert's notice is delivered to it
        with pytest.raises(DeliveryError) as refused:
            post_slack(secrets, http_post, "socialops/acme/slack", {"message": "negative"})
        # THEN the server heard nothing, and the reason names the host, not the webhook's path
        assert fake.requests == []
    assert "is not an https URL" in str(refused.value)
    assert fake.webhook_url.split("/", 3)[3] not in str(refused.value)


class _Secrets:
    def __init__(self, url: str) -> None:
        self.url = url

    def get_secret_value(self, SecretId: str) -> dict[str, str]:
        return {"SecretString": self.url}


def test_a_redirect_to_another_origin_goes_without_the_token() -> None:
    # GIVEN two configured peers, the first redirecting to the second
    with mastodon.MastodonFake() as first, mastodon.MastodonFake() as second:
        safe_url.allow_peer(first.url)
        safe_url.allow_peer(second.url)
        first.answer_next(Reply(302, {}, {"Location": f"{second.url}/api/v1/instance"}))
        # WHEN a call with a token follows the redirect
        with contextlib.suppress(PlatformError):  # whatever the second answers
            http.call("mastodon", "GET", f"{first.url}/api/v1/x", bearer="secret-token")
        # THEN the token went to the first origin only
        assert first.requests[0].headers.get("authorization") == "Bearer secret-token"
        assert [r.headers.get("authorization") for r in second.requests] == [None]
