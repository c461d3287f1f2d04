"""The Mastodon adapter against a real local peer: mastodon-mock (a stateful FastAPI mock
of the Mastodon REST API), started once for this module on a free loopback port.

The peer seeds one account, ``testuser``, whose token is ``mock_token``; its fault
control plane (``/api/v1/_mock/faults``) forces 429s and 5xx; ``/api/v1/_mock/reset``
restores the seed between tests.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from mastodon_peer import TOKEN as MOCK_TOKEN
from mastodon_peer import http, reset

from functions.common.platform.errors import PlatformError
from functions.common.platform.tokens import Token
from functions.common.text import html_text
from functions.publish.adapters import adapter_for
from functions.publish.adapters.base import Adapter, PostRequest

TOKEN = Token(MOCK_TOKEN)  # the token mastodon-mock seeds for ``testuser``


@pytest.fixture
def base(mastodon_mock: str) -> str:
    return reset(mastodon_mock)


@pytest.fixture
def adapter(base: str) -> Adapter:
    return adapter_for("mastodon", base_url=base)


def fault(base: str, path: str, effect: dict[str, Any], method: str = "POST") -> None:
    """One fault rule that fires once on ``method path``."""
    rule = {"match": {"methods": [method], "path": path}, "effect": effect, "count": 1}
    http("POST", f"{base}/api/v1/_mock/faults", rule)


def timeline(base: str) -> list[dict[str, Any]]:
    me = http("GET", f"{base}/api/v1/accounts/verify_credentials", token=TOKEN.access_token)
    statuses: list[dict[str, Any]] = http(
        "GET", f"{base}/api/v1/accounts/{me['id']}/statuses", token=TOKEN.access_token
    )
    return statuses


def post(text: str, key: str = "campaign/post/1") -> PostRequest:
    return PostRequest(text=text, idempotency_key=key, handle="testuser")


TEXT = "Spring sale: 20% off <everything> & more\nsee https://shop.example.com/spring"


def test_a_published_status_can_be_read_back_from_the_server(base: str, adapter: Adapter) -> None:
    # GIVEN the peer at its seed
    # WHEN the adapter publishes a status
    published = adapter.publish(post(TEXT), TOKEN)
    # THEN the server has it, public, with our text, at the id and URL the adapter returned
    status = http("GET", f"{base}/api/v1/statuses/{published.post_id}", token="mock_token")
    assert status["id"] == published.post_id
    assert published.platform == "mastodon"
    assert published.url == status["url"]
    assert status["visibility"] == "public"
    assert html_text(status["content"]) == TEXT
    assert published.published_at is not None and published.published_at.tzinfo is not None


def test_find_existing_finds_the_status_by_its_text(base: str, adapter: Adapter) -> None:
    # GIVEN a published status and another one after it
    published = adapter.publish(post(TEXT), TOKEN)
    adapter.publish(post("Something else", key="campaign/post/2"), TOKEN)
    # WHEN the adapter looks for the first one (under another key: the hour passed)
    found = adapter.find_existing(post(TEXT, key="campaign/post/1/later"), TOKEN)
    # THEN it finds that status, and nothing for a text never posted
    assert found is not None and found.post_id == published.post_id
    assert found.url == published.url
    assert adapter.find_existing(post("Never posted"), TOKEN) is None


def test_the_server_honours_the_idempotency_key(base: str, adapter: Adapter) -> None:
    # GIVEN a status published under a key
    first = adapter.publish(post(TEXT), TOKEN)
    # WHEN the same request is sent again (a retry after a lost answer)
    again = adapter.publish(post(TEXT), TOKEN)
    # THEN mastodon-mock, like Mastodon, answers with the same status and posts nothing new
    assert again.post_id == first.post_id
    assert [s["id"] for s in timeline(base)] == [first.post_id]


def test_find_existing_prevents_a_duplicate_once_the_key_is_forgotten(
    base: str, adapter: Adapter
) -> None:
    # GIVEN a published status; Mastodon keeps the Idempotency-Key for an hour only, which
    # a new key stands in for here (the peer would accept it as a new status)
    first = adapter.publish(post(TEXT), TOKEN)
    retry = post(TEXT, key="campaign/post/1/after-an-hour")
    # WHEN the caller does as publish does: look first, post only when nothing is found
    existing = adapter.find_existing(retry, TOKEN)
    published = existing or adapter.publish(retry, TOKEN)
    # THEN the first status is returned and the server holds only it
    assert published.post_id == first.post_id
    assert len(timeline(base)) == 1


def test_a_429_from_the_rate_limiter_is_retryable_after_its_reset(
    base: str, adapter: Adapter
) -> None:
    # GIVEN the peer rate-limits the next POST /statuses (Retry-After: 300, X-RateLimit-*)
    fault(base, "/api/v1/statuses", {"type": "ratelimit"})
    # WHEN the adapter publishes
    with pytest.raises(PlatformError) as caught:
        adapter.publish(post(TEXT), TOKEN)
    # THEN a retryable error that says when to try again, and nothing was posted
    error = caught.value
    assert (error.status, error.retryable, error.auth) == (429, True, False)
    assert error.retry_after_s is not None and 290 <= error.retry_after_s <= 300
    assert "rate limit" in error.reason
    assert timeline(base) == []
    # AND the retry, once the limit is over, succeeds
    assert adapter.publish(post(TEXT), TOKEN).post_id == timeline(base)[0]["id"]


def test_a_429_with_only_a_reset_time_waits_until_that_time(base: str, adapter: Adapter) -> None:
    # GIVEN a 429 with Mastodon's own header, an ISO 8601 reset time 2 minutes away
    reset = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(time.time() + 120))
    effect = {"type": "status", "status": 429, "headers": {"X-RateLimit-Reset": reset}}
    fault(base, "/api/v1/statuses", effect)
    # WHEN the adapter publishes
    with pytest.raises(PlatformError) as caught:
        adapter.publish(post(TEXT), TOKEN)
    # THEN it is retryable after about those 2 minutes
    assert caught.value.retryable and caught.value.retry_after_s is not None
    assert 100 <= caught.value.retry_after_s <= 120


def test_a_bare_429_is_retryable_without_a_known_wait(base: str, adapter: Adapter) -> None:
    # GIVEN a 429 with no rate-limit header at all
    fault(base, "/api/v1/statuses", {"type": "status", "status": 429})
    # WHEN the adapter publishes  THEN retryable, the wait left to the caller's backoff
    with pytest.raises(PlatformError) as caught:
        adapter.publish(post(TEXT), TOKEN)
    assert (caught.value.retryable, caught.value.retry_after_s) == (True, None)


def test_a_server_error_is_retryable(base: str, adapter: Adapter) -> None:
    # GIVEN the peer fails the next read of the timeline with a 503
    fault(base, "/api/v1/accounts/*/statuses", {"type": "status", "status": 503}, "GET")
    # WHEN find_existing reads it  THEN a retryable error, not an auth one
    with pytest.raises(PlatformError) as caught:
        adapter.find_existing(post(TEXT), TOKEN)
    assert (caught.value.status, caught.value.retryable, caught.value.auth) == (503, True, False)


def test_a_malformed_answer_does_not_pass_for_a_status(base: str, adapter: Adapter) -> None:
    # GIVEN the peer answers the next POST /statuses with a 200 and truncated JSON
    fault(base, "/api/v1/statuses", {"type": "malformed"})
    # WHEN the adapter publishes
    with pytest.raises(PlatformError) as caught:
        adapter.publish(post(TEXT), TOKEN)
    # THEN a retryable error (the same Idempotency-Key makes the retry safe), not a
    # made-up status
    assert (caught.value.code, caught.value.retryable) == ("malformed", True)


@pytest.mark.parametrize("call", ["publish", "find_existing"])
def test_a_bad_token_is_an_auth_error(base: str, adapter: Adapter, call: str) -> None:
    # GIVEN a token the server does not know
    bad = Token("not-a-token")
    # WHEN the adapter publishes or looks for a status with it
    with pytest.raises(PlatformError) as caught:
        getattr(adapter, call)(post(TEXT), bad)
    # THEN a person must reconnect the account; retrying would not help
    error = caught.value
    assert (error.status, error.auth, error.retryable) == (401, True, False)
    assert "reconnect" in error.reason
    assert timeline(base) == []
