"""Engagement read-back of Mastodon statuses (functions/ingest/engagement/mastodon.py):
against the Mastodon contract fake (infra/peers/mastodon.py) on loopback, as a current
server (4.5) and as one before 4.3 (no ``GET /api/v1/statuses``); and against the real
local peer mastodon-mock, whose counts come from real favourites, boosts and replies."""

from __future__ import annotations

import hashlib
import json
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from mastodon_peer import TOKEN as MOCK_TOKEN
from mastodon_peer import http, reset
from readback_peers import posted, serving

from functions.common import safe_url
from functions.common.platform.errors import PlatformError
from functions.common.platform.tokens import Token
from functions.ingest.engagement import DELETED, OK, Posted, Reader
from functions.ingest.engagement import mastodon as module
from functions.ingest.sources import BadPage, utc
from functions.publish.adapters import adapter_for
from functions.publish.adapters.base import PostRequest
from infra.peers import Reply
from infra.peers.mastodon import MastodonFake
from schema.brand import Account

TOKEN = "fake-masto-token"
ACCOUNT = Account(handle="brand", secret="socialops/brand/mastodon")


@pytest.fixture
def fake() -> Iterator[MastodonFake]:
    with serving(MastodonFake(token=TOKEN)) as peer:
        yield peer


@pytest.fixture
def old() -> Iterator[MastodonFake]:
    """A server of Mastodon 4.2: no GET /api/v1/statuses, no quotes_count."""
    with serving(MastodonFake(token=TOKEN, version=(4, 2))) as peer:
        yield peer


def reader(base: str, token: str = TOKEN) -> Reader:
    return Reader("mastodon", "brand", ACCOUNT, base, lambda: token)


def publish(base: str, text: str, token: str = TOKEN) -> Posted:
    """A status made through the publish adapter, as its publish record has it."""
    adapter = adapter_for("mastodon", base_url=base)
    key = "readback/" + hashlib.sha256(text.encode()).hexdigest()[:16]
    done = adapter.publish(PostRequest(text=text, idempotency_key=key, handle="brand"),
                           Token(token))  # fmt: skip
    return posted(done)


def batches(fake: MastodonFake) -> list[Any]:
    return [r for r in fake.requests if r.method == "GET" and r.path == "/api/v1/statuses"]


def singles(fake: MastodonFake) -> list[str]:
    return [r.path.rsplit("/", 1)[1] for r in fake.requests
            if r.method == "GET" and r.path.startswith("/api/v1/statuses/")]  # fmt: skip


def test_counts_are_read_back_in_our_metric_names(fake: MastodonFake) -> None:
    # GIVEN two statuses and what the server counts for each
    first, second = publish(fake.url, "Spring sale #aerolite"), publish(fake.url, "Hello")
    table = {first.post_id: {"likes": 12, "shares": 3, "comments": 4, "quotes": 2},
             second.post_id: {"likes": 1}}  # fmt: skip
    fake.engagement = lambda post_id, when, text: table.get(post_id, {})
    # WHEN they are read back
    readings = {r.post_id: r for r in module.read(reader(fake.url), [first, second])}
    # THEN favourites, boosts, replies and quotes under our names, from one request
    assert readings[first.post_id].status == OK
    assert readings[first.post_id].metrics == {"likes": 12, "shares": 3, "comments": 4,
                                               "quotes": 2}  # fmt: skip
    assert readings[second.post_id].metrics == {"likes": 1, "shares": 0, "comments": 0,
                                                "quotes": 0}  # fmt: skip
    assert len(batches(fake)) == 1 and singles(fake) == []
    # AND what Mastodon never counts (views, reach, saves, clicks) is absent, not 0
    assert all(not {"views", "reach", "saves", "clicks"} & set(r.metrics)
               for r in readings.values())  # fmt: skip


def test_the_hook_is_given_the_status_as_posted(fake: MastodonFake) -> None:
    # GIVEN a status with a line break and markup-like text
    post = publish(fake.url, "Tea & <cake>\nat four")
    seen: list[tuple[str, str]] = []

    def hook(post_id: str, when: Any, text: str) -> dict[str, int]:
        seen.append((post_id, text))
        return {}

    fake.engagement = hook
    # WHEN it is read back  THEN the fake's audience saw the text as it was posted
    module.read(reader(fake.url), [post])
    assert seen == [(post.post_id, "Tea & <cake>\nat four")]


def test_more_statuses_than_a_request_takes_are_read_in_several_requests(
    fake: MastodonFake,
) -> None:
    # GIVEN 45 statuses (Mastodon takes 20 ids a request), each with its own count
    posts = [publish(fake.url, f"Status number {n}") for n in range(45)]
    likes = {p.post_id: n for n, p in enumerate(posts)}
    fake.engagement = lambda post_id, when, text: {"likes": likes[post_id]}
    # WHEN they are read back
    readings = module.read(reader(fake.url), posts)
    # THEN three requests of 20, 20 and 5 ids, each status asked once and read once
    asked = fake.asked
    assert [len(a) for a in asked] == [20, 20, 5]
    assert sorted(i for a in asked for i in a) == sorted(likes)
    assert [r.post_id for r in readings] == [p.post_id for p in posts]
    assert [r.metrics["likes"] for r in readings] == list(range(45))


def test_deleted_statuses_are_deleted_and_the_others_still_read(fake: MastodonFake) -> None:
    # GIVEN three statuses, one deleted since
    posts = [publish(fake.url, f"Status {n}") for n in range(3)]
    fake.delete(posts[1].post_id)
    fake.engagement = lambda post_id, when, text: {"likes": 2}
    # WHEN they are read back
    readings = module.read(reader(fake.url), posts)
    # THEN the one the batch answer left out is DELETED with no counts; the others read
    assert [r.status for r in readings] == [OK, DELETED, OK]
    assert readings[1].metrics == {} and readings[1].detail
    assert readings[0].metrics["likes"] == 2


def test_a_server_before_4_3_is_read_one_status_at_a_time(old: MastodonFake) -> None:
    # GIVEN a 4.2 server (its 404 for GET /api/v1/statuses), three statuses, one deleted
    posts = [publish(old.url, f"Status {n}") for n in range(3)]
    old.delete(posts[2].post_id)
    old.engagement = lambda post_id, when, text: {"likes": 7, "quotes": 1}
    same = reader(old.url)
    # WHEN they are read back, twice with the same reader
    readings = module.read(same, posts)
    again = module.read(same, posts[:1])
    # THEN one status a request after the batch route's 404; the deleted one's 404 is
    # DELETED; no quotes (4.5 counts them); and the reader remembers the server's age
    assert [r.status for r in readings] == [OK, OK, DELETED]
    assert readings[0].metrics == {"likes": 7, "shares": 0, "comments": 0}
    assert len(batches(old)) == 1
    assert singles(old) == [p.post_id for p in posts] + [posts[0].post_id]
    assert again[0].metrics["likes"] == 7


def test_a_rate_limit_stops_the_read_and_says_when_to_try_again(fake: MastodonFake) -> None:
    # GIVEN the server rate-limits the next read (429, X-RateLimit-Reset in 5 minutes)
    post = publish(fake.url, "Hello")
    fake.fail_next("rate_limit", on="/api/v1/statuses")
    # WHEN it is read back  THEN a retryable PlatformError with that wait, no fallback
    with pytest.raises(PlatformError) as caught:
        module.read(reader(fake.url), [post])
    error = caught.value
    assert (error.status, error.retryable, error.auth) == (429, True, False)
    assert error.retry_after_s is not None and 280 <= error.retry_after_s <= 300
    assert singles(fake) == []


@pytest.mark.parametrize("kind", ["expired", "revoked"])
def test_a_refused_token_is_an_auth_error(fake: MastodonFake, kind: str) -> None:
    post = publish(fake.url, "Hello")
    fake.fail_next(kind, on="/api/v1/statuses")
    with pytest.raises(PlatformError) as caught:
        module.read(reader(fake.url), [post])
    assert (caught.value.status, caught.value.auth, caught.value.retryable) == (401, True, False)


def test_a_token_the_server_does_not_know_is_an_auth_error_for_followers(
    fake: MastodonFake,
) -> None:
    # GIVEN a token the server does not know (its public reads take it for no token at
    # all, as Mastodon's authorize_if_got_token! does)
    unknown = reader(fake.url, token="not-a-token")
    # WHEN the follower count is read  THEN verify_credentials refuses it: an auth error
    with pytest.raises(PlatformError) as caught:
        module.followers(unknown)
    assert (caught.value.status, caught.value.auth) == (401, True)


def test_a_page_that_is_not_json_is_a_bad_page(fake: MastodonFake) -> None:
    post = publish(fake.url, "Hello")
    fake.answer_next(Reply(200, raw=b"<html>Bad gateway</html>"), on="/api/v1/statuses")
    with pytest.raises(BadPage):
        module.read(reader(fake.url), [post])


def test_an_answer_that_is_not_a_list_is_a_bad_page(fake: MastodonFake) -> None:
    post = publish(fake.url, "Hello")
    fake.answer_next(Reply(200, {"id": post.post_id}), on="/api/v1/statuses")
    with pytest.raises(BadPage):
        module.read(reader(fake.url), [post])


def test_followers_come_from_the_account(fake: MastodonFake) -> None:
    fake.followers = lambda when: 321
    assert module.followers(reader(fake.url)) == 321


def test_followers_on_a_page_that_is_not_json_is_a_bad_page(fake: MastodonFake) -> None:
    fake.answer_next(Reply(200, raw=b"oops"), on="/verify_credentials")
    with pytest.raises(BadPage):
        module.followers(reader(fake.url))


# ---- recent: the backfill's listing (GET /api/v1/accounts/:id/statuses) ---------------


def listings(fake: MastodonFake) -> list[dict[str, str]]:
    return [r.query for r in fake.requests if r.path == f"/api/v1/accounts/{fake.account}/statuses"]  # fmt: skip


def test_recent_lists_the_accounts_own_statuses_newest_first_with_their_counts(
    fake: MastodonFake,
) -> None:
    # GIVEN the account's statuses: one publish made, a reply to it (a thread), a reply to
    # someone else, a boost, a direct message, and statuses with media
    made = publish(fake.url, "Spring sale & more")
    thread = fake.add_status("and the sequel", reply_to=made.post_id)
    fake.add_status("@fan thanks!", reply_to="109999")
    fake.add_status("", reblog_of="109998")
    fake.add_status("@fan a secret", visibility="direct")
    image = fake.add_status("A photo", media=("image",))
    album = fake.add_status("Photos", media=("image", "image"))
    video = fake.add_status("A clip", media=("video",))
    gif = fake.add_status("A GIF", media=("gifv",))
    sound = fake.add_status("A sound", media=("audio",))
    fake.engagement = lambda post_id, when, text: {"likes": 4, "shares": 2, "comments": 1, "quotes": 1, "views": 50}  # fmt: skip
    # WHEN the account's recent statuses are listed
    listed = module.recent(reader(fake.url), 100)
    # THEN its own, newest first: the thread kept (Mastodon keeps a reply to oneself),
    # the reply to another account, the boost and the direct message left out
    assert [r.posted.post_id for r in listed] == [sound, gif, video, album, image, thread, made.post_id]  # fmt: skip
    assert [r.media for r in listed] == [None, "video", "video", "album", "image", "none", "none"]
    first = listed[-1]
    assert (first.text, first.posted.url) == ("Spring sale & more", made.url)
    assert first.posted.published_at == utc(made.published_at)  # as YYYY-MM-DDTHH:MM:SSZ
    # AND the counts as ``read`` maps them: no views (Mastodon counts none)
    assert first.reading.metrics == {"likes": 4, "shares": 2, "comments": 1, "quotes": 1}
    (asked,) = listings(fake)[:1]
    assert (asked["exclude_replies"], asked["exclude_reblogs"], asked["limit"]) == ("true", "true", "40")  # fmt: skip


def test_recent_pages_with_max_id_up_to_the_limit(fake: MastodonFake) -> None:
    # GIVEN 12 statuses and a server that gives 5 a page
    ids = [fake.add_status(f"Status {n}") for n in range(12)]
    fake.page_size = 5
    # WHEN all are asked  THEN the pages follow max_id (the last status of each page)
    everything = module.recent(reader(fake.url), 100)
    assert [r.posted.post_id for r in everything] == ids[::-1]
    # (the last page is an empty one: Mastodon links a next page after any non-empty one)
    assert [q.get("max_id") for q in listings(fake)] == [None, ids[7], ids[2], ids[0]]
    # WHEN 7 are asked  THEN the 7 newest, and no page more
    fake.requests.clear()
    seven = module.recent(reader(fake.url), 7)
    assert [r.posted.post_id for r in seven] == ids[::-1][:7]
    assert [(q["limit"], q.get("max_id")) for q in listings(fake)] == [("7", None), ("2", ids[7])]


def test_recent_on_a_server_before_4_5_has_no_quotes(old: MastodonFake) -> None:
    # GIVEN a 4.2 server, whose statuses carry no quotes_count
    post = publish(old.url, "Hello")
    old.engagement = lambda post_id, when, text: {"likes": 2, "quotes": 5}
    # WHEN the account's statuses are listed  THEN quotes are absent, not 0
    (listed,) = module.recent(reader(old.url), 10)
    assert listed.posted.post_id == post.post_id
    assert listed.reading.metrics == {"likes": 2, "shares": 0, "comments": 0}


def test_recent_rate_limited_is_a_platform_error(fake: MastodonFake) -> None:
    fake.add_status("Hello")
    fake.fail_next("rate_limit", on=f"/accounts/{fake.account}/statuses")
    with pytest.raises(PlatformError) as caught:
        module.recent(reader(fake.url), 100)
    assert (caught.value.status, caught.value.retryable) == (429, True)
    assert caught.value.retry_after_s is not None


def test_recent_on_an_answer_that_is_not_a_list_is_a_bad_page(fake: MastodonFake) -> None:
    fake.answer_next(Reply(200, {"error": "oops"}), on=f"/accounts/{fake.account}/statuses")
    with pytest.raises(BadPage):
        module.recent(reader(fake.url), 10)


# ---- the real local peer: mastodon-mock ---------------------------------------------


@pytest.fixture
def mock(mastodon_mock: str) -> str:
    """The peer back at its seed, allowed as a local peer (as ingest's endpoints are)."""
    safe_url.allow_peer(mastodon_mock)
    return reset(mastodon_mock)


def test_the_real_peer_counts_favourites_boosts_and_replies(mock: str) -> None:
    # GIVEN two statuses published through the adapter, the first favourited, boosted and
    # replied to twice, the second only favourited, and a third deleted since
    first, second, third = (publish(mock, f"Status {n}", MOCK_TOKEN) for n in range(3))
    http("POST", f"{mock}/api/v1/statuses/{first.post_id}/favourite", {}, MOCK_TOKEN)
    http("POST", f"{mock}/api/v1/statuses/{first.post_id}/reblog", {}, MOCK_TOKEN)
    for n in range(2):
        http("POST", f"{mock}/api/v1/statuses",
              {"status": f"reply {n}", "in_reply_to_id": first.post_id}, MOCK_TOKEN)  # fmt: skip
    http("POST", f"{mock}/api/v1/statuses/{second.post_id}/favourite", {}, MOCK_TOKEN)
    http("DELETE", f"{mock}/api/v1/statuses/{third.post_id}", token=MOCK_TOKEN)
    # WHEN the module reads them back from the server
    readings = module.read(reader(mock, MOCK_TOKEN), [first, second, third])
    # THEN the server's own counts, under our names; the deleted one is DELETED
    assert [r.status for r in readings] == [OK, OK, DELETED]
    assert readings[0].metrics == {"likes": 1, "shares": 1, "comments": 2}
    assert readings[1].metrics == {"likes": 1, "shares": 0, "comments": 0}


def test_the_real_peer_answering_404_to_the_batch_route_is_read_one_by_one(mock: str) -> None:
    # GIVEN the peer answers the next GET /api/v1/statuses with a 404, as a 4.2 server does
    post = publish(mock, "Hello", MOCK_TOKEN)
    http("POST", f"{mock}/api/v1/statuses/{post.post_id}/favourite", {}, MOCK_TOKEN)
    rule = {"match": {"methods": ["GET"], "path": "/api/v1/statuses"},
            "effect": {"type": "status", "status": 404}, "count": 1}  # fmt: skip
    http("POST", f"{mock}/api/v1/_mock/faults", rule)
    # WHEN the module reads it  THEN from GET /api/v1/statuses/:id, with its count
    (reading,) = module.read(reader(mock, MOCK_TOKEN), [post])
    assert (reading.status, reading.metrics["likes"]) == (OK, 1)


def test_the_real_peer_refuses_a_token_it_does_not_know_for_followers(mock: str) -> None:
    with pytest.raises(PlatformError) as caught:
        module.followers(reader(mock, "not-a-token"))
    assert (caught.value.status, caught.value.auth) == (401, True)


def test_the_real_peer_rate_limit_stops_the_read(mock: str) -> None:
    # GIVEN the peer rate-limits the next GET /api/v1/statuses (Retry-After, X-RateLimit-*)
    post = publish(mock, "Hello", MOCK_TOKEN)
    rule = {"match": {"methods": ["GET"], "path": "/api/v1/statuses"},
            "effect": {"type": "ratelimit"}, "count": 1}  # fmt: skip
    http("POST", f"{mock}/api/v1/_mock/faults", rule)
    # WHEN the module reads  THEN retryable with a wait, not a fallback to one by one
    with pytest.raises(PlatformError) as caught:
        module.read(reader(mock, MOCK_TOKEN), [post])
    assert (caught.value.status, caught.value.retryable) == (429, True)
    assert caught.value.retry_after_s is not None


def test_the_real_peer_gives_the_follower_count(mock: str) -> None:
    seed = http("GET", f"{mock}/api/v1/accounts/verify_credentials", token=MOCK_TOKEN)
    assert module.followers(reader(mock, MOCK_TOKEN)) == seed["followers_count"]


def upload(url: str, name: str, mime: str) -> str:
    """A media attachment uploaded to the peer (multipart, as clients do); its id."""
    boundary = "socialops-test-boundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
            f"filename=\"{name}\"\r\nContent-Type: {mime}\r\n\r\n").encode()  # fmt: skip
    body += b"\x00" * 16 + f"\r\n--{boundary}--\r\n".encode()
    request = urllib.request.Request(f"{url}/api/v2/media", data=body, method="POST")
    request.add_header("Content-Type", f"multipart/form-data; boundary={boundary}")
    request.add_header("Authorization", f"Bearer {MOCK_TOKEN}")
    with urllib.request.urlopen(request, timeout=5) as answer:
        return str(json.loads(answer.read())["id"])


def test_the_real_peer_lists_the_accounts_statuses_with_counts_and_media(mock: str) -> None:
    # GIVEN on the peer: two statuses published through the adapter, the first favourited
    # and boosted (the boost is a status of the account too), one with an image, one with
    # two, one with a video
    first, second = (publish(mock, f"Status {n}", MOCK_TOKEN) for n in range(2))
    http("POST", f"{mock}/api/v1/statuses/{first.post_id}/favourite", {}, MOCK_TOKEN)
    http("POST", f"{mock}/api/v1/statuses/{first.post_id}/reblog", {}, MOCK_TOKEN)
    made = {}
    for label, files in (("image", [("a.png", "image/png")]),
                         ("album", [("b.png", "image/png"), ("c.jpg", "image/jpeg")]),
                         ("video", [("d.mp4", "video/mp4")])):  # fmt: skip
        ids = [upload(mock, name, mime) for name, mime in files]
        status = http("POST", f"{mock}/api/v1/statuses",
                      {"status": f"With {label}", "media_ids": ids}, MOCK_TOKEN)  # fmt: skip
        made[label] = str(status["id"])
    # WHEN the module lists the account's recent statuses, 3 a page (the limit asked)
    listed = module.recent(reader(mock, MOCK_TOKEN), 100)
    three = module.recent(reader(mock, MOCK_TOKEN), 3)
    # THEN its own statuses, newest first, without the boost; their media as the server says
    assert [r.posted.post_id for r in listed] == [made["video"], made["album"], made["image"],
                                                  second.post_id, first.post_id]  # fmt: skip
    assert [r.media for r in listed] == ["video", "album", "image", "none", "none"]
    # AND the server's own counts under our names
    assert listed[-1].reading.metrics == {"likes": 1, "shares": 1, "comments": 0}
    assert listed[-1].text == "Status 0"
    # AND the bound: the three newest
    assert [r.posted.post_id for r in three] == [made["video"], made["album"], made["image"]]


def test_the_real_peer_pages_past_its_40_statuses(mock: str) -> None:
    # GIVEN 45 statuses on the peer (its pages hold 40 at most)
    ids = [publish(mock, f"Paged {n}", MOCK_TOKEN).post_id for n in range(45)]
    # WHEN 100 are asked  THEN all 45, newest first, each once
    listed = module.recent(reader(mock, MOCK_TOKEN), 100)
    assert [r.posted.post_id for r in listed] == ids[::-1]


def test_the_real_peer_rate_limit_stops_the_listing(mock: str) -> None:
    # GIVEN the peer rate-limits the next GET of the account's statuses
    me = http("GET", f"{mock}/api/v1/accounts/verify_credentials", token=MOCK_TOKEN)["id"]
    rule = {"match": {"methods": ["GET"], "path": f"/api/v1/accounts/{me}/statuses"},
            "effect": {"type": "ratelimit"}, "count": 1}  # fmt: skip
    http("POST", f"{mock}/api/v1/_mock/faults", rule)
    # WHEN the module lists them  THEN a retryable PlatformError, after the credentials
    with pytest.raises(PlatformError) as caught:
        module.recent(reader(mock, MOCK_TOKEN), 100)
    assert (caught.value.status, caught.value.retryable) == (429, True)
