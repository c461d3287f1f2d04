"""Bluesky engagement read-back (functions/ingest/engagement/bluesky.py) against the
contract fake (infra/peers/bluesky.py), which answers the AppView's ``getPosts`` and
``getProfile`` too: the local PDS peer (tests/peers/bluesky) runs no AppView, so this is
the only test of the read-back. Posts are made through the fake by the publish adapter,
their counts set with the fake's ``engagement`` hook."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest
from readback_peers import posted, serving

from functions.common.platform.errors import PlatformError
from functions.common.platform.tokens import Token
from functions.ingest.engagement import DELETED, METRICS, Posted, Reader, Reading
from functions.ingest.engagement import bluesky as module
from functions.ingest.sources import BadPage
from functions.publish.adapters import adapter_for
from functions.publish.adapters.base import PostRequest
from infra.peers import Reply, bluesky
from schema.brand import Account

GET_POSTS = "/xrpc/app.bsky.feed.getPosts"


@pytest.fixture
def fake() -> Iterator[bluesky.BlueskyFake]:
    with serving(bluesky.BlueskyFake()) as running:
        yield running


def account(did: str | None = bluesky.DID) -> Account:
    return Account(handle=bluesky.HANDLE, id=did, secret="socialops/brand/bluesky")


def reader(fake: bluesky.BlueskyFake, **extra: str) -> Reader:
    def no_token() -> str:
        raise AssertionError("the AppView's public queries need no token")

    return Reader("bluesky", "brand", account(), fake.url, no_token, extra=dict(extra))


def publish(fake: bluesky.BlueskyFake, count: int) -> list[Posted]:
    adapter = adapter_for("bluesky", fake.url)
    made = []
    for n in range(count):
        request = PostRequest(f"Autumn is here {n}", f"k-{n}", bluesky.HANDLE)
        done = adapter.publish(request, Token(bluesky.PASSWORD))
        made.append(posted(done))
    return made


def set_counts(fake: bluesky.BlueskyFake, by_post: dict[str, dict[str, int]]) -> None:
    def engagement(post_id: str, when: datetime, text: str) -> dict[str, int]:
        return by_post.get(post_id, {})

    fake.engagement = engagement


def test_a_post_is_read_and_mapped(fake) -> None:
    # GIVEN a post liked, reposted, replied to, quoted and bookmarked
    [post] = publish(fake, 1)
    set_counts(fake, {post.post_id: {"likes": 9, "shares": 3, "comments": 2, "quotes": 1,
                                     "saves": 4}})  # fmt: skip
    # WHEN it is read back
    [reading] = module.read(reader(fake), [post])
    # THEN the AppView's counts are ours
    assert reading == Reading(post.post_id, {"likes": 9, "shares": 3, "comments": 2,
                                             "quotes": 1, "saves": 4})  # fmt: skip


def test_views_reach_and_clicks_are_absent(fake) -> None:
    # GIVEN a post the hook says was seen and clicked (Bluesky counts neither)
    [post] = publish(fake, 1)
    set_counts(fake, {post.post_id: {"views": 300, "reach": 200, "clicks": 7}})
    [reading] = module.read(reader(fake), [post])
    # THEN those are absent, not 0
    assert not {"views", "reach", "clicks"} & set(reading.metrics)
    assert set(reading.metrics) <= set(METRICS)


def test_an_older_appview_without_bookmark_counts_leaves_saves_out(fake) -> None:
    # GIVEN an AppView whose post views carry no bookmarkCount
    [post] = publish(fake, 1)
    view = {"uri": post.post_id, "cid": "bafyrei" + "a" * 52, "likeCount": 2, "repostCount": 0,
            "replyCount": 1, "quoteCount": 0, "indexedAt": "2026-12-06T09:00:00.000Z"}  # fmt: skip
    fake.answer_next(Reply(body={"posts": [view]}), on=GET_POSTS)
    [reading] = module.read(reader(fake), [post])
    assert reading.metrics == {"likes": 2, "shares": 0, "comments": 1, "quotes": 0}


def test_many_posts_are_read_twenty_five_at_a_time_each_once(fake) -> None:
    # GIVEN more posts than one getPosts takes
    posts = publish(fake, module.BATCH + 2)
    set_counts(fake, {p.post_id: {"likes": n} for n, p in enumerate(posts)})
    # WHEN they are read back
    readings = module.read(reader(fake), posts)
    # THEN two requests of 25 and 2 URIs read every post once
    assert [len(b) for b in fake.asked] == [25, 2]
    assert sorted(u for b in fake.asked for u in b) == sorted(p.post_id for p in posts)
    assert {r.post_id: r.metrics["likes"] for r in readings} == {
        p.post_id: n for n, p in enumerate(posts)}  # fmt: skip


def test_a_deleted_post_is_deleted_and_the_others_are_still_read(fake) -> None:
    posts = publish(fake, 3)
    set_counts(fake, {p.post_id: {"likes": 1} for p in posts})
    # GIVEN the account deleted its second post
    fake.delete(posts[1].post_id)
    readings = {r.post_id: r for r in module.read(reader(fake), posts)}
    # THEN it is deleted (absent from the AppView's answer), the others read
    assert readings[posts[1].post_id].status == DELETED
    assert readings[posts[1].post_id].metrics == {}
    assert [readings[p.post_id].metrics["likes"] for p in (posts[0], posts[2])] == [1, 1]


def test_the_appview_root_is_taken_from_extra_when_given(fake) -> None:
    # GIVEN a reader whose base is elsewhere (the PDS) and whose appview is the fake
    [post] = publish(fake, 1)
    elsewhere = Reader("bluesky", "brand", account(), "http://127.0.0.1:9", lambda: "",
                       extra={"appview": fake.url})  # fmt: skip
    # WHEN it reads THEN the AppView answers
    [reading] = module.read(elsewhere, [post])
    assert reading.metrics["likes"] == 0 and fake.paths().count(GET_POSTS) == 1


def test_a_rate_limit_is_retryable_with_its_reset(fake) -> None:
    [post] = publish(fake, 1)
    fake.fail_next("rate_limit", on=GET_POSTS)
    with pytest.raises(PlatformError) as caught:
        module.read(reader(fake), [post])
    wait = caught.value.retry_after_s
    assert caught.value.retryable and wait is not None and 0 < wait <= 300


@pytest.mark.parametrize("kind", ["expired", "revoked"])
def test_a_token_error_from_the_appview_needs_a_person(fake, kind: str) -> None:
    # (the public AppView takes no token; an AppView that does must not have it swallowed)
    [post] = publish(fake, 1)
    fake.fail_next(kind, on=GET_POSTS)
    with pytest.raises(PlatformError) as caught:
        module.read(reader(fake), [post])
    assert caught.value.auth and not caught.value.retryable


def test_a_page_that_is_not_json_is_a_bad_page(fake) -> None:
    [post] = publish(fake, 1)
    fake.answer_next(Reply(raw=b"upstream connect error"), on=GET_POSTS)
    with pytest.raises(BadPage):
        module.read(reader(fake), [post])


@pytest.mark.parametrize("body", [{"posts": {"uri": "x"}}, {"posts": [{"likeCount": 1}]}])
def test_an_answer_of_the_wrong_shape_is_a_bad_page(fake, body: object) -> None:
    [post] = publish(fake, 1)
    fake.answer_next(Reply(body=body), on=GET_POSTS)
    with pytest.raises(BadPage):
        module.read(reader(fake), [post])


def test_followers_by_did_else_by_handle(fake) -> None:
    fake.followers = lambda when: 812
    # GIVEN the account's DID THEN getProfile is asked with it
    assert module.followers(reader(fake)) == 812
    # GIVEN no DID THEN with the handle
    by_handle = Reader("bluesky", "brand", account(None), fake.url, lambda: "")
    assert module.followers(by_handle) == 812
    actors = [r.query["actor"] for r in fake.requests
              if r.path == "/xrpc/app.bsky.actor.getProfile"]  # fmt: skip
    assert actors == [bluesky.DID, bluesky.HANDLE]
