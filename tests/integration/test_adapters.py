"""Platform adapters of ``publish`` against contract fakes on loopback (infra/peers, also
the local peers of ``socialops simulate``), and their pure parts (error tables, retry-after
headers, Bluesky facets) alone.

Mastodon and Bluesky are tested here against small fakes too; Mastodon is also tested
against the real mastodon-mock server (test_mastodon_peer.py); the Bluesky PDS peer
(tests/peers/bluesky) is not used by the tests yet.
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest

from functions.common.platform.errors import PlatformError, from_response
from functions.common.platform.retry import parse_reset, parse_retry_after, retry_after
from functions.common.platform.tokens import Token
from functions.common.text import html_text
from functions.publish.adapters import adapter_for
from functions.publish.adapters.base import Adapter, PostRequest
from functions.publish.adapters.facets import facets
from functions.publish.adapters.linkedin import little_text
from infra.peers import Fake, bluesky, linkedin, mastodon, meta, tiktok, x

NOW = 1_800_000_000.0
IMAGE = ("https://cdn.example.com/a.jpg", "image", "A red bicycle")
VIDEO = ("https://cdn.example.com/a.mp4", "video", "")


def no_sleep(seconds: float) -> None:
    pass


# Each platform: its fake, the token it accepts, a request it accepts, adapter options.
SETUPS: dict[str, tuple[Callable[[], Fake], str, PostRequest, dict[str, Any]]] = {
    "instagram": (meta.GraphFake, meta.TOKEN,
                  PostRequest("Autumn is here 🍂 #bikes", "k-ig", "@brand",
                              account_id=meta.IG_USER, media=(IMAGE,)),
                  {"sleep": no_sleep}),
    "facebook": (meta.GraphFake, meta.TOKEN,
                 PostRequest("Autumn is here", "k-fb", "brand", account_id=meta.PAGE,
                             link="https://example.com/autumn"), {}),
    "x": (x.XFake, x.TOKEN, PostRequest("Autumn is here https://example.com", "k-x", "@brand"),
          {}),
    "linkedin": (linkedin.LinkedInFake, linkedin.TOKEN,
                 PostRequest("Autumn (finally) is here #bikes", "k-li", "brand",
                             account_id=linkedin.ORG), {}),
    "tiktok": (tiktok.TikTokFake, tiktok.TOKEN,
               PostRequest("Autumn rides #bikes", "k-tt", "@brand", media=(VIDEO,)),
               {"sleep": no_sleep}),
    "bluesky": (bluesky.BlueskyFake, bluesky.PASSWORD,
                PostRequest("Autumn is here 🍂 with @alice.test", "k-bs", bluesky.HANDLE), {}),
    "mastodon": (mastodon.MastodonFake, mastodon.TOKEN,
                 PostRequest("Autumn is here 🍂 #bikes", "k-ma", "@brand@social.test"), {}),
}  # fmt: skip


@pytest.fixture(params=sorted(SETUPS))
def platform(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def setup(platform: str) -> Iterator[tuple[Fake, Adapter, PostRequest, Token]]:
    make, token, post, options = SETUPS[platform]
    with make() as fake:
        yield fake, adapter_for(platform, fake.url, **options), post, Token(token)


# --- happy paths ----------------------------------------------------------------------


def test_each_adapter_publishes_and_then_finds_its_post(platform, setup) -> None:
    _fake, adapter, post, token = setup
    published = adapter.publish(post, token)
    assert published.platform == platform and published.post_id and published.url
    # the platform's time where its answer gives one, else None (publish records its own
    # clock's then): never the machine's clock passed off as the platform's
    assert published.published_at is None or published.published_at.tzinfo is not None
    found = adapter.find_existing(post, token)
    if platform == "tiktok":  # the Content Posting API lists no posts: the record decides
        assert found is None
    else:
        assert found is not None and found.post_id == published.post_id


def test_instagram_waits_for_finished_before_media_publish() -> None:
    with meta.GraphFake(polls_until_finished=3) as fake:
        _, token, post, _ = SETUPS["instagram"]
        adapter_for("instagram", fake.url, sleep=no_sleep).publish(post, Token(token))
    posts = fake.paths("POST")
    assert posts == [f"/v21.0/{meta.IG_USER}/media", f"/v21.0/{meta.IG_USER}/media_publish"]
    gets = fake.paths("GET")
    assert gets[0].endswith("/content_publishing_limit")
    assert len([p for p in gets if p == f"/v21.0/{next(iter(fake.containers))}"]) == 4


def test_instagram_refuses_when_the_publishing_limit_is_used_up() -> None:
    with meta.GraphFake(quota_usage=50) as fake:
        _, token, post, _ = SETUPS["instagram"]
        with pytest.raises(PlatformError) as caught:
            adapter_for("instagram", fake.url, sleep=no_sleep).publish(post, Token(token))
    assert caught.value.code == "publishing_limit" and caught.value.retryable
    assert "50 posts" in caught.value.reason
    assert fake.paths("POST") == []  # no container was created


def test_instagram_carousel_waits_for_each_child() -> None:
    with meta.GraphFake(polls_until_finished=1) as fake:
        _, token, post, _ = SETUPS["instagram"]
        carousel = PostRequest(post.text, "k", "brand", account_id=meta.IG_USER,
                               media=(IMAGE, IMAGE))  # fmt: skip
        published = adapter_for("instagram", fake.url, sleep=no_sleep).publish(
            carousel, Token(token)
        )
    assert published.url.startswith("https://www.instagram.com/p/")
    kinds = [r.body.get("media_type") for r in fake.requests if r.path.endswith("/media")]
    assert kinds == [None, None, "CAROUSEL"]


def test_facebook_posts_a_photo_through_photos() -> None:
    with meta.GraphFake() as fake:
        post = PostRequest("New colours", "k", "brand", account_id=meta.PAGE, media=(IMAGE,))
        published = adapter_for("facebook", fake.url).publish(post, Token(meta.TOKEN))
    assert fake.paths("POST") == [f"/v21.0/{meta.PAGE}/photos"]
    assert published.url.startswith("https://www.facebook.com/")


def test_linkedin_sends_version_headers_and_takes_the_id_from_x_restli_id() -> None:
    with linkedin.LinkedInFake() as fake:
        _, token, post, _ = SETUPS["linkedin"]
        published = adapter_for("linkedin", fake.url).publish(post, Token(token))
    sent = fake.requests[0]
    assert sent.headers["linkedin-version"] == "202609"
    assert sent.headers["x-restli-protocol-version"] == "2.0.0"
    assert sent.body["commentary"] == r"Autumn \(finally\) is here \#bikes"
    assert published.post_id == fake.posts[0]["id"]
    assert published.url == f"https://www.linkedin.com/feed/update/{published.post_id}/"


def test_tiktok_uploads_the_file_and_polls_until_complete() -> None:
    with tiktok.TikTokFake(polls_until_complete=2) as fake:
        _, token, post, _ = SETUPS["tiktok"]
        published = adapter_for("tiktok", fake.url, sleep=no_sleep).publish(post, Token(token))
    init = next(r for r in fake.requests if r.path.endswith("/video/init/"))
    assert init.body["source_info"]["source"] == "FILE_UPLOAD"  # test_media_tiktok.py
    assert init.body["post_info"]["privacy_level"] == "PUBLIC_TO_EVERYONE"
    assert fake.paths().count("/v2/post/publish/status/fetch/") == 3
    assert published.url == f"https://www.tiktok.com/@brand/video/{published.post_id}"


def test_mastodon_sends_the_idempotency_key_and_a_retry_gets_the_same_status() -> None:
    with mastodon.MastodonFake() as fake:
        _, token, post, _ = SETUPS["mastodon"]
        adapter = adapter_for("mastodon", fake.url)
        first, second = adapter.publish(post, Token(token)), adapter.publish(post, Token(token))
    assert [r.headers["idempotency-key"] for r in fake.requests] == ["k-ma", "k-ma"]
    assert first.post_id == second.post_id and len(fake.statuses) == 1


def test_bluesky_record_carries_facets_with_a_resolved_mention() -> None:
    with bluesky.BlueskyFake() as fake:
        _, password, post, _ = SETUPS["bluesky"]
        published = adapter_for("bluesky", fake.url).publish(post, Token(password))
    record = fake.records[0]["value"]
    [mention] = record["facets"]
    assert mention["features"] == [{"$type": "app.bsky.richtext.facet#mention",
                                    "did": bluesky.KNOWN["alice.test"]}]  # fmt: skip
    start, end = mention["index"]["byteStart"], mention["index"]["byteEnd"]
    assert post.text.encode()[start:end] == b"@alice.test"
    rkey = published.url.removeprefix(f"https://bsky.app/profile/{bluesky.HANDLE}/post/")
    assert bluesky.TID.fullmatch(rkey) and published.post_id.endswith("/" + rkey)


# --- errors ---------------------------------------------------------------------------

COMMON = ["expired", "revoked", "server_error", "rate_limit"]
BARE = {"instagram", "facebook", "x", "linkedin", "tiktok", "mastodon"}  # 429 without reset


@pytest.mark.parametrize("kind", COMMON)
def test_documented_errors_become_platform_errors(platform, setup, kind) -> None:
    fake, adapter, post, token = setup
    fake.fail_next(kind)
    with pytest.raises(PlatformError) as caught:
        adapter.publish(post, token)
    error = caught.value
    assert error.platform == platform and error.reason and str(error)
    if kind in ("expired", "revoked"):
        assert error.auth and not error.retryable
    else:
        assert error.retryable and not error.auth
    if kind == "rate_limit":
        assert error.retry_after_s is not None and 30 <= error.retry_after_s <= 3600


@pytest.mark.parametrize("platform", sorted(BARE), indirect=True)
def test_a_429_without_reset_headers_is_retryable_with_no_known_wait(platform, setup) -> None:
    fake, adapter, post, token = setup
    fake.fail_next("rate_limit_bare")
    with pytest.raises(PlatformError) as caught:
        adapter.publish(post, token)
    assert caught.value.retryable and caught.value.retry_after_s is None


@pytest.mark.parametrize(
    ("platform", "kind", "code", "retryable", "auth", "words"),
    [
        ("instagram", "blocked", "368", False, False, "blocked"),
        ("facebook", "expired", "190/463", False, True, "expired"),
        ("facebook", "revoked", "190/458", False, True, "reconnect"),
        ("facebook", "too_many", "429", True, False, "rate limit"),
        ("x", "duplicate", "187", False, False, "duplicate"),
        ("x", "legacy_duplicate", "187", False, False, "duplicate"),
        ("x", "unavailable", "Service Unavailable", True, False, "503"),
        ("linkedin", "duplicate", "DUPLICATE_POST", False, False, "duplicate"),
        ("linkedin", "forbidden", "ACCESS_DENIED", False, True, "organization"),
        ("linkedin", "expired", "EXPIRED_ACCESS_TOKEN", False, True, "expired"),
        ("tiktok", "spam", "spam_risk_too_many_posts", True, False, "too many"),
        ("tiktok", "scope", "scope_not_authorized", False, True, "scope"),
        ("bluesky", "expired", "ExpiredToken", False, True, "expired"),
        ("mastodon", "invalid", "422", False, False, "refused"),
    ],
)
def test_platform_specific_errors(platform, setup, kind, code, retryable, auth, words) -> None:
    fake, adapter, post, token = setup
    fake.fail_next(kind)
    with pytest.raises(PlatformError) as caught:
        adapter.publish(post, token)
    error = caught.value
    assert (error.code, error.retryable, error.auth) == (code, retryable, auth)
    assert words in str(error)


@pytest.mark.parametrize("platform", ["linkedin", "x"], indirect=True)
def test_a_duplicate_post_is_refused_by_the_fakes_that_check(setup, platform) -> None:
    _fake, adapter, post, token = setup
    adapter.publish(post, token)
    with pytest.raises(PlatformError) as caught:
        adapter.publish(post, token)
    assert "duplicate" in caught.value.reason and not caught.value.retryable


def test_a_wrong_token_is_an_auth_error(setup) -> None:
    _fake, adapter, post, _ = setup
    with pytest.raises(PlatformError) as caught:
        adapter.publish(post, Token("not-the-token"))
    assert caught.value.auth and not caught.value.retryable


# Not Bluesky: its token is an app password, from which sessions are made per call.
@pytest.mark.parametrize("platform", sorted(set(SETUPS) - {"bluesky"}), indirect=True)
def test_a_token_known_to_be_expired_is_refused_without_a_call(platform, setup) -> None:
    fake, adapter, post, token = setup
    old = Token(token.access_token, datetime.now(UTC) - timedelta(minutes=1))
    with pytest.raises(PlatformError) as caught:
        adapter.publish(post, old)
    assert caught.value.auth and fake.requests == []


def test_an_unreachable_platform_is_retryable() -> None:
    with x.XFake() as fake:
        url = fake.url
    with pytest.raises(PlatformError) as caught:
        adapter_for("x", url, timeout=2).publish(SETUPS["x"][2], Token(x.TOKEN))
    assert caught.value.retryable and caught.value.code == "network"


@pytest.mark.parametrize("platform, media", [
    ("tiktok", (IMAGE,)), ("x", (IMAGE,) * 5), ("x", (IMAGE, VIDEO)), ("facebook", (IMAGE, IMAGE)),
    ("bluesky", (VIDEO, IMAGE)), ("mastodon", (IMAGE,) * 5), ("linkedin", (VIDEO, IMAGE)),
])  # fmt: skip
def test_media_a_platform_refuses_fails_before_any_request_never_dropped(
    platform: str, media: tuple[tuple[str, str, str], ...]
) -> None:
    # an address nothing answers: any request would fail as "network", not as refused media
    account = "urn:li:organization:1" if platform == "linkedin" else "1"
    post = PostRequest("With media", "k", "@brand", account_id=account, media=media)
    with pytest.raises(PlatformError) as caught:
        adapter_for(platform, "http://127.0.0.1:9").publish(post, Token("not-a-real-token"))
    assert caught.value.code == "media_refused" and not caught.value.retryable


# --- pure parts -----------------------------------------------------------------------


def test_retry_after_seconds_and_http_date() -> None:
    assert parse_retry_after("120", NOW) == 120
    date = format_datetime(datetime.fromtimestamp(NOW + 90, UTC), usegmt=True)
    assert parse_retry_after(date, NOW) == pytest.approx(90)
    assert parse_retry_after("soon", NOW) is None
    assert parse_retry_after("-5", NOW) == 0


def test_reset_headers_epoch_and_iso() -> None:
    assert parse_reset(str(int(NOW + 60)), NOW) == 60
    iso = datetime.fromtimestamp(NOW + 300, UTC).isoformat().replace("+00:00", "Z")
    assert parse_reset(iso, NOW) == pytest.approx(300)
    assert parse_reset("2020-01-01T00:00:00.000Z", NOW) == 0


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Retry-After": "7", "x-rate-limit-reset": str(int(NOW + 60))}, 7),
        ({"x-rate-limit-reset": str(int(NOW + 60))}, 60),
        ({"X-RateLimit-Reset": "2027-01-15T08:00:00Z"}, datetime(2027, 1, 15, 8, tzinfo=UTC)
         .timestamp() - NOW),
        ({"ratelimit-reset": str(int(NOW + 30))}, 30),
        ({"x-business-use-case-usage": json.dumps(
            {"1": [{"type": "pages", "estimated_time_to_regain_access": 12}]})}, 720),
        ({"x-app-usage": json.dumps({"call_count": 100, "total_time": 20})}, None),
        ({"content-type": "application/json"}, None),
    ],
)  # fmt: skip
def test_retry_after_from_headers(headers: dict[str, str], expected: float | None) -> None:
    assert retry_after(headers, NOW) == (None if expected is None else pytest.approx(expected))


def test_errors_not_in_a_table_fall_back_on_the_status() -> None:
    assert from_response("x", 502, {}, {"raw": "<html>"}).retryable
    refused = from_response("mastodon", 400, {}, {"error": "odd"})
    assert not refused.retryable and "odd" in refused.reason
    assert from_response("bluesky", 401, {}, {}).auth


def test_meta_rate_limit_codes_are_retryable_with_the_regain_time() -> None:
    usage = {
        "x-business-use-case-usage": json.dumps({"1": [{"estimated_time_to_regain_access": 2}]})
    }
    for code in (4, 17, 32, 613):
        error = from_response("facebook", 400, usage, {"error": {"code": code}})
        assert error.retryable and error.retry_after_s == 120


def test_facets_use_utf8_byte_offsets_with_emoji_and_a_url() -> None:
    text = "🍂 Autumn — read https://example.com/autumn?x=1. #bikes #2024 @alice.test @bob.test"
    found = facets(text, {"alice.test": "did:plc:alice"}.get)
    data = text.encode()
    spans = [(data[f["index"]["byteStart"]:f["index"]["byteEnd"]].decode(), f["features"][0])
             for f in found]  # fmt: skip
    assert spans == [
        ("https://example.com/autumn?x=1",
         {"$type": "app.bsky.richtext.facet#link", "uri": "https://example.com/autumn?x=1"}),
        ("#bikes", {"$type": "app.bsky.richtext.facet#tag", "tag": "bikes"}),
        ("@alice.test", {"$type": "app.bsky.richtext.facet#mention", "did": "did:plc:alice"}),
    ]  # fmt: skip
    assert found[0]["index"]["byteStart"] == len("🍂 Autumn — read ".encode())


def test_facets_ignore_tags_and_mentions_inside_links() -> None:
    assert len(facets("see https://example.com/@x.test#top", lambda h: "did:plc:x")) == 1


def test_little_text_and_mastodon_html() -> None:
    assert little_text("a_b *c* [d](e) @f #g \\") == r"a\_b \*c\* \[d\]\(e\) \@f \#g \\"
    assert html_text('<p>Hi &amp; <a href="https://x.y">x.y</a></p><p>two</p>') == "Hi & x.y\ntwo"


def test_importing_the_adapters_package_loads_no_http_client() -> None:
    code = ("import sys, functions.publish.adapters; "
            "print(sorted(m for m in ('urllib.request', 'schema', 'http.client') "
            "if m in sys.modules))")  # fmt: skip
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_bluesky_keeps_one_session_and_renews_it_once_when_expired() -> None:
    with bluesky.BlueskyFake() as fake:
        _, password, post, _ = SETUPS["bluesky"]
        adapter = adapter_for("bluesky", fake.url)
        adapter.publish(post, Token(password))
        fake.fail_next("expired", on="putRecord")
        adapter.publish(post, Token(password))
        assert adapter.find_existing(post, Token(password)) is not None
    sessions = fake.paths().count("/xrpc/com.atproto.server.createSession")
    assert sessions == 2 and len(fake.records) == 2


# --- the peers: any account, start/stop, token refresh ---------------------------------


def _call(
    method: str, url: str, form: dict[str, str] | None = None, headers: dict[str, str] | None = None
) -> tuple[int, Any]:
    """One request to a peer made by the test itself: (status, JSON body)."""
    data = None if form is None else urllib.parse.urlencode(form).encode()
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if form is not None:
        request.add_header("Content-Type", "application/x-www-form-urlencoded")
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


ACCOUNTS: dict[str, tuple[Callable[[], Fake], str, PostRequest]] = {
    "instagram": (lambda: meta.GraphFake(token="ig-2", ig_user="17841400000000002"), "ig-2",
                  PostRequest("Hello", "k", "@other", account_id="17841400000000002",
                              media=(IMAGE,))),
    "facebook": (lambda: meta.GraphFake(token="fb-2", page="100000000000002"), "fb-2",
                 PostRequest("Hello", "k", "other", account_id="100000000000002")),
    "x": (lambda: x.XFake(token="x-2", user="42"), "x-2", PostRequest("Hello", "k", "@other")),
    "linkedin": (lambda: linkedin.LinkedInFake(token="li-2", org="urn:li:organization:2"),
                 "li-2", PostRequest("Hello", "k", "other", account_id="urn:li:organization:2")),
    "tiktok": (lambda: tiktok.TikTokFake(token="act.tt-2"), "act.tt-2",
               PostRequest("Hello", "k", "@other", media=(VIDEO,))),
    "bluesky": (lambda: bluesky.BlueskyFake(handle="other.test", password="pw-2",
                                            did="did:plc:other00000000000000000"), "pw-2",
                PostRequest("Hello @other.test", "k", "other.test")),
    "mastodon": (lambda: mastodon.MastodonFake(token="ma-2", account="2"), "ma-2",
                 PostRequest("Hello", "k", "@other@social.test")),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(ACCOUNTS))
def test_each_peer_serves_the_account_it_is_given_and_times_are_now(name: str) -> None:
    make, token, post = ACCOUNTS[name]
    fake = make().start()
    try:
        adapter = adapter_for(name, fake.url, **SETUPS[name][3])
        published = adapter.publish(post, Token(token))
        found = adapter.find_existing(post, Token(token))
        with pytest.raises(PlatformError) as caught:  # the default account's token is not it
            adapter.publish(post, Token(SETUPS[name][1]))
    finally:
        fake.stop()
    assert caught.value.auth
    if name != "tiktok":
        assert found is not None and found.post_id == published.post_id
        assert abs(found.published_at - datetime.now(UTC)) < timedelta(minutes=1)


def test_x_refresh_rotates_the_refresh_token_and_issues_an_access_token() -> None:
    with x.XFake(client_id=x.CLIENT_ID) as fake:
        form = {"grant_type": "refresh_token", "refresh_token": x.REFRESH,
                "client_id": x.CLIENT_ID}  # fmt: skip
        status, body = _call("POST", f"{fake.url}/2/oauth2/token", form)
        assert status == 200
        assert body == {"token_type": "bearer", "expires_in": 7200,
                        "access_token": f"{x.TOKEN}-r1", "scope": x.SCOPE,
                        "refresh_token": f"{x.REFRESH}-r1"}  # fmt: skip
        assert _call("POST", f"{fake.url}/2/oauth2/token", form) == (400, {
            "error": "invalid_request",
            "error_description": "Value passed for the token was invalid."})  # fmt: skip
        me = f"{fake.url}/2/users/me"
        for token in (body["access_token"], x.TOKEN):  # the old one stays valid until it expires
            assert _call("GET", me, headers={"Authorization": f"Bearer {token}"})[0] == 200
        basic = base64.b64encode(f"{x.CLIENT_ID}:secret".encode()).decode()
        again = {"grant_type": "refresh_token", "refresh_token": body["refresh_token"]}
        status, body = _call("POST", f"{fake.url}/2/oauth2/token", again,
                             {"Authorization": f"Basic {basic}"})  # fmt: skip
        assert status == 200 and body["access_token"] == f"{x.TOKEN}-r1-r2"
        assert _call("POST", f"{fake.url}/2/oauth2/token", {**form, "client_id": "other"})[0] == 401
    assert fake.requests[0].body == form


def test_tiktok_refresh_rotates_both_tokens() -> None:
    with tiktok.TikTokFake(
        client_key=tiktok.CLIENT_KEY, client_secret=tiktok.CLIENT_SECRET
    ) as fake:
        url = f"{fake.url}/v2/oauth/token/"
        form = {"client_key": tiktok.CLIENT_KEY, "client_secret": tiktok.CLIENT_SECRET,
                "grant_type": "refresh_token", "refresh_token": tiktok.REFRESH}  # fmt: skip
        status, body = _call("POST", url, form)
        assert status == 200
        assert body == {"access_token": f"{tiktok.TOKEN}-r1", "expires_in": 86400,
                        "open_id": tiktok.OPEN_ID, "refresh_expires_in": 31536000,
                        "refresh_token": f"{tiktok.REFRESH}-r1",
                        "scope": "user.info.basic,video.publish", "token_type": "Bearer"}  # fmt: skip
        status, error = _call("POST", url, form)
        assert status == 400 and error["error"] == "invalid_grant" and error["log_id"]
        assert _call("POST", url, {**form, "client_secret": "no"})[1]["error"] == "invalid_client"
        adapter = adapter_for("tiktok", fake.url, sleep=no_sleep)
        adapter.publish(SETUPS["tiktok"][2], Token(body["access_token"]))


def test_meta_exchanges_a_long_lived_token_for_a_new_one() -> None:
    with meta.GraphFake() as fake:
        query = {"grant_type": "fb_exchange_token", "client_id": meta.APP_ID,
                 "client_secret": meta.APP_SECRET, "fb_exchange_token": meta.TOKEN}  # fmt: skip
        url = f"{fake.url}/v21.0/oauth/access_token?"
        status, body = _call("GET", url + urllib.parse.urlencode(query))
        assert (status, body) == (200, {"access_token": f"{meta.TOKEN}-r1",
                                        "token_type": "bearer", "expires_in": 5183944})  # fmt: skip
        bad = {**query, "fb_exchange_token": "not-a-token"}
        status, error = _call("GET", url + urllib.parse.urlencode(bad))
        assert status == 400 and error["error"]["code"] == 190
        post = PostRequest("Hello", "k", "brand", account_id=meta.PAGE)
        adapter_for("facebook", fake.url).publish(post, Token(body["access_token"]))
    assert fake.requests[0].query == query
