"""The Bluesky adapter against a real local PDS: ``@atproto/pds`` with an in-memory PLC
directory (tests/peers/bluesky/pds.js), started once for this module on free loopback
ports. ``make setup`` installs it (npm ci there, then ``npm rebuild better-sqlite3``).

Accounts are made through the PDS's own XRPC (``com.atproto.server.createAccount``, then
``createAppPassword``): each test posts from a fresh account, so its repository starts
empty; ``other-account.test`` is the one they mention. The adapter gets the handle in
``PostRequest.handle`` and the app password as ``Token.access_token``, as in production.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import os
import secrets
import shutil
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from processes import check_taken, serving, stop

from functions.common.platform.errors import PlatformError
from functions.common.platform.tokens import Token
from functions.publish.adapters import adapter_for
from functions.publish.adapters.base import PostRequest, Trail
from functions.publish.adapters.bluesky import BlueskyAdapter, record_key

PEER = Path(__file__).resolve().parents[1] / "peers" / "bluesky"
SQLITE = PEER / "node_modules" / "better-sqlite3" / "build" / "Release" / "better_sqlite3.node"
START_TIMEOUT_S = 60.0
POST = "app.bsky.feed.post"
SETUP = "run `make setup` (it installs the PDS peer: npm ci in tests/peers/bluesky, then "
SETUP += "npm rebuild better-sqlite3)"


@dataclass(frozen=True)
class Pds:
    url: str  # the PDS, which the adapter is pointed at
    plc: str  # the PLC directory that holds the accounts' did:plc documents
    jwt_secret: str  # what signs the PDS's session JWTs


@dataclass(frozen=True)
class Account:
    handle: str
    did: str
    access_jwt: str  # a full session of the account itself (not the adapter's)
    app_password: str

    @property
    def token(self) -> Token:
        return Token(self.app_password)


def _http(method: str, url: str, body: Any = None, token: str | None = None) -> Any:
    """A call to the peer made by the test itself (not through the adapter)."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.loads(answer.read() or b"{}")


def _xrpc(pds: Pds, nsid: str, body: Any = None, token: str | None = None, **query: str) -> Any:
    url = f"{pds.url}/xrpc/{nsid}" + (f"?{urllib.parse.urlencode(query)}" if query else "")
    return _http("GET" if body is None else "POST", url, body, token)


def _preflight() -> str:
    """The ``node`` to run, or a failure that says how to install the peer."""
    node = shutil.which("node")
    if node is None:
        pytest.fail(f"node (20.x) is not on PATH: install it, then {SETUP}", pytrace=False)
    if not (PEER / "node_modules" / "@atproto" / "pds").is_dir():
        pytest.fail(f"the Bluesky PDS peer is not installed in {PEER}: {SETUP}", pytrace=False)
    if not SQLITE.is_file():
        pytest.fail(f"better-sqlite3 is not built in {PEER}: {SETUP}", pytrace=False)
    return node


def _wait_until_up(server: subprocess.Popen[bytes], pds: Pds, log: Path) -> None:
    def tail() -> str:
        return log.read_text(errors="replace")[-3000:]

    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            check_taken(server, tail())
            pytest.fail(
                f"the PDS (node pds.js) exited with {server.returncode} before it was ready; "
                f"if a module is missing, {SETUP}:\n{tail()}"
            )
        if any(line.startswith("ready ") for line in tail().splitlines()):
            try:
                _xrpc(pds, "com.atproto.server.describeServer")
                return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
        time.sleep(0.1)
    pytest.fail(f"the PDS was not ready within {START_TIMEOUT_S:.0f} s:\n{tail()}")


@pytest.fixture(scope="module")
def pds(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pds]:
    """``node tests/peers/bluesky/pds.js`` on two free loopback ports."""
    node = _preflight()
    folder = tmp_path_factory.mktemp("bluesky-pds")
    log = folder / "server.log"

    def start(ports: list[int]) -> tuple[subprocess.Popen[bytes], Pds]:
        plc_port, pds_port = ports
        peer = Pds(
            f"http://127.0.0.1:{pds_port}",
            f"http://127.0.0.1:{plc_port}",
            "test-jwt-" + secrets.token_hex(8),
        )
        shutil.rmtree(folder / "data", ignore_errors=True)  # a start that lost its port
        env = {
            **os.environ,
            "PLC_PORT": str(plc_port),
            "PDS_PORT": str(pds_port),
            "PDS_DATA_DIR": str(folder / "data"),
            "PDS_JWT_SECRET": peer.jwt_secret,
        }
        with log.open("wb") as out:
            server = subprocess.Popen(
                [node, "pds.js"], cwd=PEER, env=env, stdout=out, stderr=subprocess.STDOUT
            )
        try:
            _wait_until_up(server, peer, log)
        except BaseException:
            stop(server)
            raise
        return server, peer

    with serving(start, count=2) as peer:
        yield peer


_numbers = itertools.count(1)


def _create_account(pds: Pds, handle: str) -> Account:
    password = "test-" + "password-" + secrets.token_hex(4)
    body = {"handle": handle, "email": f"{handle}@example.com", "password": password}
    created = _xrpc(pds, "com.atproto.server.createAccount", body)
    app = _xrpc(
        pds, "com.atproto.server.createAppPassword", {"name": "socialops"}, created["accessJwt"]
    )
    return Account(handle, created["did"], created["accessJwt"], app["password"])


@pytest.fixture(scope="module")
def other(pds: Pds) -> Account:
    """The account the posts mention."""
    return _create_account(pds, "other-account.test")


@pytest.fixture
def account(pds: Pds) -> Account:
    """A fresh account, with an empty repository, for this test alone."""
    return _create_account(pds, f"poster{next(_numbers)}.test")


@pytest.fixture
def adapter(pds: Pds) -> BlueskyAdapter:
    made = adapter_for("bluesky", base_url=pds.url)
    assert isinstance(made, BlueskyAdapter)
    return made


def post(account: Account, text: str, key: str = "campaign/post/1") -> PostRequest:
    return PostRequest(text=text, idempotency_key=key, handle=account.handle)


def records(pds: Pds, account: Account) -> list[dict[str, Any]]:
    """The account's posts as the PDS holds them, newest first."""
    answer = _xrpc(pds, "com.atproto.repo.listRecords", repo=account.did, collection=POST)
    found: list[dict[str, Any]] = answer["records"]
    return found


def get_record(pds: Pds, uri: str) -> dict[str, Any]:
    did, collection, rkey = uri.removeprefix("at://").split("/")
    answer = _xrpc(pds, "com.atproto.repo.getRecord", repo=did, collection=collection, rkey=rkey)
    assert answer["uri"] == uri
    value: dict[str, Any] = answer["value"]
    return value


def facet_text(text: str, facet: dict[str, Any]) -> str:
    """The part of ``text`` that a facet's UTF-8 byte range covers."""
    index = facet["index"]
    return text.encode()[index["byteStart"] : index["byteEnd"]].decode()


def expired_jwt(pds: Pds, jwt: str) -> str:
    """``jwt`` with the same claims but an ``exp`` a minute ago, signed as the PDS signs
    (HS256 with its secret): what a cached session looks like two hours later."""

    def b64(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    header, payload, _ = jwt.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["exp"] = int(time.time()) - 60
    claims["iat"] = claims["exp"] - 7200
    signed = f"{header}.{b64(json.dumps(claims, separators=(',', ':')).encode())}"
    signature = hmac.new(pds.jwt_secret.encode(), signed.encode(), hashlib.sha256).digest()
    return f"{signed}.{b64(signature)}"


# Accents, a combining mark, emoji (one of them a flag: 2 code points, 8 bytes) before
# every facet, and an accented hashtag: character offsets and byte offsets differ.
TEXT = (
    "Crème brûlée & café ☕🥐🇫🇷 — Noe\u0308l arrive ! "
    "Voir https://shop.example.com/fête?x=1&y=2, "
    "merci @other-account.test (pas @nobody.test) #Fête #socialops 🎉"
)


def test_a_published_post_can_be_read_back_with_its_facets(
    pds: Pds, account: Account, other: Account, adapter: BlueskyAdapter
) -> None:
    # GIVEN a fresh account and a text with a link, two mentions (one of an account the
    # PDS knows) and two hashtags, after accents and emoji
    before = datetime.now(UTC)
    # WHEN the adapter publishes it
    published = adapter.publish(post(account, TEXT), account.token)
    after = datetime.now(UTC)
    # THEN the PDS holds it in the account's repository, at the URI the adapter returned
    assert published.platform == "bluesky"
    assert published.post_id.startswith(f"at://{account.did}/{POST}/")
    rkey = published.post_id.rsplit("/", 1)[-1]
    assert published.url == f"https://bsky.app/profile/{account.handle}/post/{rkey}"
    assert [r["uri"] for r in records(pds, account)] == [published.post_id]
    record = get_record(pds, published.post_id)
    assert record["$type"] == POST
    assert record["text"] == TEXT
    # AND createdAt is an ISO 8601 UTC time taken during the call
    assert record["createdAt"].endswith("Z")
    created = datetime.fromisoformat(record["createdAt"].replace("Z", "+00:00"))
    assert before - timedelta(seconds=1) <= created <= after
    assert abs(published.published_at - created) < timedelta(seconds=5)
    # AND each facet's UTF-8 byte range covers exactly its link, mention or hashtag, and
    # @nobody.test, which the PDS cannot resolve, stays plain text (no facet)
    data = TEXT.encode()
    link = "https://shop.example.com/fête?x=1&y=2"
    expected = [
        (link, {"$type": "app.bsky.richtext.facet#link", "uri": link}),
        ("@other-account.test", {"$type": "app.bsky.richtext.facet#mention", "did": other.did}),
        ("#Fête", {"$type": "app.bsky.richtext.facet#tag", "tag": "Fête"}),
        ("#socialops", {"$type": "app.bsky.richtext.facet#tag", "tag": "socialops"}),
    ]
    assert [(facet_text(TEXT, f), f["features"]) for f in record["facets"]] == [
        (part, [feature]) for part, feature in expected
    ]
    for facet, (part, _) in zip(record["facets"], expected, strict=True):
        start = data.index(part.encode())
        assert facet["index"] == {"byteStart": start, "byteEnd": start + len(part.encode())}


def test_the_mention_points_at_the_accounts_real_did_plc(
    pds: Pds, account: Account, other: Account, adapter: BlueskyAdapter
) -> None:
    # GIVEN a post mentioning other-account.test, published by the adapter
    published = adapter.publish(post(account, "Thanks @other-account.test!"), account.token)
    # WHEN the mention's DID is looked up in the PLC directory
    (facet,) = get_record(pds, published.post_id)["facets"]
    did = facet["features"][0]["did"]
    document = _http("GET", f"{pds.plc}/{urllib.parse.quote(did)}")
    # THEN it is a real did:plc, whose document names that handle and this PDS
    assert did.startswith("did:plc:") and did == other.did
    assert document["id"] == did
    assert document["alsoKnownAs"] == ["at://other-account.test"]
    port = urllib.parse.urlsplit(pds.url).port
    assert [s["serviceEndpoint"] for s in document["service"]] == [f"http://localhost:{port}"]
    assert facet_text("Thanks @other-account.test!", facet) == "@other-account.test"


def test_find_existing_finds_the_post_after_a_crash_before_it_was_recorded(
    pds: Pds, account: Account, adapter: BlueskyAdapter
) -> None:
    # GIVEN a fresh account: find_existing finds nothing yet
    assert adapter.find_existing(post(account, TEXT), account.token) is None
    # AND then a post published, and another one after it, the process then dying before
    # it recorded the first one
    published = adapter.publish(post(account, TEXT), account.token)
    adapter.publish(post(account, "Something else #later", key="campaign/post/2"), account.token)
    # WHEN a new process (a new adapter, no session yet) retries under another key
    retry = PostRequest(TEXT, "campaign/post/1/retry", "@" + account.handle)
    again = adapter_for("bluesky", base_url=pds.url)
    found = again.find_existing(retry, account.token)
    # THEN it finds that post, with the PDS's createdAt, and publishing is not repeated
    assert found is not None
    assert (found.post_id, found.url) == (published.post_id, published.url)
    created = get_record(pds, published.post_id)["createdAt"]
    assert found.published_at == datetime.fromisoformat(created.replace("Z", "+00:00"))
    assert (found or again.publish(retry, account.token)).post_id == published.post_id
    assert len(records(pds, account)) == 2
    # AND a text never posted is not found
    assert again.find_existing(post(account, "Never posted"), account.token) is None


def test_a_firing_writes_its_own_record_key_once_and_a_repeat_never_posts_twice(
    pds: Pds, account: Account, adapter: BlueskyAdapter
) -> None:
    # GIVEN a weekly firing and its trail (the scheduled time makes the record key)
    week = datetime(2027, 1, 4, 9, tzinfo=UTC)
    trail = Trail(since=week, scheduled_for=week)
    first = adapter.publish(post(account, TEXT), account.token, trail)
    # THEN the PDS took the firing's TID as the record key
    assert first.post_id.rsplit("/", 1)[-1] == record_key("campaign/post/1", week)
    # WHEN the same firing is published again (a retry after a lost answer, a new process)
    again = adapter_for("bluesky", base_url=pds.url)
    second = again.publish(
        post(account, TEXT), account.token, Trail(since=week, scheduled_for=week)
    )
    # THEN the real PDS refused the second write (swapRecord: null) and nothing new was posted
    assert second.post_id == first.post_id and len(records(pds, account)) == 1
    assert again.find_existing(post(account, TEXT), account.token, trail) is not None
    # AND next week's firing of the same text is another record, not "found" as this one
    next_week = Trail(since=week + timedelta(weeks=1), scheduled_for=week + timedelta(weeks=1))
    assert again.find_existing(post(account, TEXT), account.token, next_week) is None
    third = again.publish(post(account, TEXT), account.token, next_week)
    assert third.post_id != first.post_id and len(records(pds, account)) == 2


@pytest.mark.parametrize("call", ["publish", "find_existing"])
def test_a_wrong_password_is_an_auth_error(
    pds: Pds, account: Account, adapter: BlueskyAdapter, call: str
) -> None:
    # GIVEN a password the PDS does not know for this handle
    wrong = Token("test-" + "wrong-password")
    # WHEN the adapter publishes or looks for a post with it
    with pytest.raises(PlatformError) as caught:
        getattr(adapter, call)(post(account, TEXT), wrong)
    # THEN a person must fix the account's app password; retrying would not help
    error = caught.value
    assert (error.status, error.code) == (401, "AuthenticationRequired")
    assert (error.auth, error.retryable) == (True, False)
    assert error.reason == "the handle or app password is wrong"
    assert records(pds, account) == []


def test_an_expired_session_is_renewed_once(
    pds: Pds, account: Account, adapter: BlueskyAdapter
) -> None:
    # GIVEN the adapter holds a session, whose access JWT has since expired
    first = adapter.publish(post(account, "First #one"), account.token)
    (key,) = adapter.sessions
    jwt, did = adapter.sessions[key]
    adapter.sessions[key] = expired_jwt(pds, jwt), did
    with pytest.raises(urllib.error.HTTPError) as refused:  # the PDS does refuse it
        _xrpc(pds, "com.atproto.server.getSession", token=adapter.sessions[key][0])
    assert json.loads(refused.value.read())["error"] == "ExpiredToken"
    # WHEN the adapter publishes again
    second = adapter.publish(post(account, "Second #two", key="campaign/post/2"), account.token)
    # THEN it made a new session and posted, once
    assert [r["uri"] for r in records(pds, account)] == [second.post_id, first.post_id]
    renewed, _ = adapter.sessions[key]
    assert _xrpc(pds, "com.atproto.server.getSession", token=renewed)["did"] == account.did


def test_an_expired_session_whose_app_password_was_revoked_is_an_auth_error(
    pds: Pds, account: Account, adapter: BlueskyAdapter
) -> None:
    # GIVEN an expired session, and the app password revoked meanwhile by its owner
    adapter.publish(post(account, "First #one"), account.token)
    (key,) = adapter.sessions
    jwt, did = adapter.sessions[key]
    adapter.sessions[key] = expired_jwt(pds, jwt), did
    revoke = {"name": "socialops"}
    _xrpc(pds, "com.atproto.server.revokeAppPassword", revoke, account.access_jwt)
    # WHEN the adapter publishes
    with pytest.raises(PlatformError) as caught:
        adapter.publish(post(account, "Second #two", key="campaign/post/2"), account.token)
    # THEN the renewal fails as a wrong password does: a person must act, nothing posted
    assert (caught.value.code, caught.value.auth, caught.value.retryable) == (
        "AuthenticationRequired", True, False,
    )  # fmt: skip
    assert len(records(pds, account)) == 1


def test_a_text_over_300_graphemes_is_refused_and_not_retried(
    pds: Pds, account: Account, adapter: BlueskyAdapter
) -> None:
    # GIVEN texts of 300 and 301 graphemes, many of them several code points and bytes
    # (a flag is 2 code points, "e" + a combining accent is 2): 500 and 501 code points
    graphemes = ["🇫🇷", "e\u0301", "a"] * 100
    fits, too_long = "".join(graphemes), "".join(graphemes) + "!"
    assert (len(fits), len(too_long)) == (500, 501)
    # WHEN the adapter publishes them
    fitted = adapter.publish(post(account, fits), account.token)
    with pytest.raises(PlatformError) as caught:
        adapter.publish(post(account, too_long, key="campaign/post/2"), account.token)
    # THEN the PDS takes the first (the limit counts graphemes, not code points) and
    # refuses the second: not retryable, not an auth problem
    assert get_record(pds, fitted.post_id)["text"] == fits
    error = caught.value
    assert (error.status, error.code) == (400, "InvalidRequest")
    assert (error.retryable, error.auth) == (False, False)
    assert error.reason == "the record was refused as invalid"
    assert [r["uri"] for r in records(pds, account)] == [fitted.post_id]
