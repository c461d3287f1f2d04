"""Engagement read-back of X posts (functions/ingest/engagement/x.py) against the X
contract fake (infra/peers/x.py) on loopback: posts made through the publish adapter,
their counts set on the fake, read back with ``GET /2/tweets`` and mapped to our metrics."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from readback_peers import serving

from functions.common.platform.errors import PlatformError
from functions.common.platform.tokens import Token
from functions.ingest.engagement import DELETED, METRICS, OK, PENDING, Posted, Reader
from functions.ingest.engagement import x as module
from functions.ingest.sources import BadPage
from functions.publish.adapters import adapter_for
from functions.publish.adapters.base import PostRequest
from infra.peers import Reply
from infra.peers.x import XFake
from schema.brand import Account

TOKEN = "fake-x-token"
ACCOUNT = Account(handle="brand", secret="socialops/brand/x")
LINK = "Spring sale https://shop.example.com/spring"


@pytest.fixture
def fake() -> Iterator[XFake]:
    with serving(XFake(token=TOKEN)) as peer:
        yield peer


def reader(fake: XFake, token: str = TOKEN, **extra: Any) -> Reader:
    return Reader("x", "brand", ACCOUNT, fake.url, lambda: token, extra=dict(extra))


def publish(fake: XFake, text: str, when: datetime | None = None) -> Posted:
    """A post made through the publish adapter (at ``when`` on the fake's clock), as its
    publish record has it."""
    if when is not None:
        fake.now = lambda: when
    adapter = adapter_for("x", base_url=fake.url)
    done = adapter.publish(PostRequest(text=text, idempotency_key=text, handle="brand"),
                           Token(TOKEN))  # fmt: skip
    fake.now = lambda: datetime.now(UTC)
    created = next(t["created_at"] for t in fake.tweets if t["id"] == done.post_id)
    return Posted(done.post_id, done.url, created)


def counting(table: dict[str, dict[str, int]]) -> Any:
    return lambda post_id, when, text: table.get(post_id, {})


def lookups(fake: XFake) -> list[dict[str, str]]:
    return [r.query for r in fake.requests if r.method == "GET" and r.path == "/2/tweets"]


def test_counts_are_read_back_in_our_metric_names(fake: XFake) -> None:
    # GIVEN two posts, one with a link, and what X counts for each
    linked, plain = publish(fake, LINK), publish(fake, "Hello from the brand")
    fake.engagement = counting({
        linked.post_id: {"likes": 12, "shares": 3, "comments": 4, "quotes": 1, "saves": 2,
                         "views": 900, "clicks": 17},
        plain.post_id: {"likes": 5, "views": 120},
    })  # fmt: skip
    # WHEN they are read back
    readings = {r.post_id: r for r in module.read(reader(fake), [linked, plain])}
    # THEN each has X's counts under our names, from one request with the private fields
    assert readings[linked.post_id].status == OK
    assert readings[linked.post_id].metrics == {"likes": 12, "shares": 3, "comments": 4,
                                                "quotes": 1, "saves": 2, "views": 900,
                                                "clicks": 17}  # fmt: skip
    # AND a count nobody made is 0, but clicks, which X gives only for a post with a link,
    # and reach, which X never gives, are absent
    assert readings[plain.post_id].metrics == {"likes": 5, "shares": 0, "comments": 0,
                                               "quotes": 0, "saves": 0, "views": 120}  # fmt: skip
    assert all(set(r.metrics) <= set(METRICS) and "reach" not in r.metrics
               for r in readings.values())  # fmt: skip
    (asked,) = lookups(fake)
    assert sorted(asked["ids"].split(",")) == sorted([linked.post_id, plain.post_id])
    assert set(asked["tweet.fields"].split(",")) == {"created_at", "public_metrics",
                                                     "non_public_metrics"}  # fmt: skip


def test_more_posts_than_a_request_takes_are_read_in_several_requests(fake: XFake) -> None:
    # GIVEN 230 posts (X takes 100 ids a request), each with its own like count
    posts = [publish(fake, f"Post number {n}") for n in range(230)]
    fake.engagement = lambda post_id, when, text: {"likes": int(text.split()[-1])}
    # WHEN they are read back
    readings = module.read(reader(fake), posts)
    # THEN three requests of at most 100 ids, every post asked once and read once
    asked = [q["ids"].split(",") for q in lookups(fake)]
    assert [len(a) for a in asked] == [100, 100, 30]
    assert sorted(i for a in asked for i in a) == sorted(p.post_id for p in posts)
    assert [r.post_id for r in readings] == [p.post_id for p in posts]
    assert [r.metrics["likes"] for r in readings] == list(range(230))


def test_posts_over_30_days_old_are_asked_for_the_public_metrics_only(fake: XFake) -> None:
    # GIVEN a post of 40 days ago and one of today, both with a link
    old = publish(fake, LINK + " (old)", datetime.now(UTC) - timedelta(days=40))
    new = publish(fake, LINK + " (new)")
    fake.engagement = lambda post_id, when, text: {"likes": 2, "views": 50, "clicks": 7}
    # WHEN they are read back
    readings = {r.post_id: r for r in module.read(reader(fake), [old, new])}
    # THEN two requests: non_public_metrics asked for the new post only
    asked = {q["ids"]: q["tweet.fields"] for q in lookups(fake)}
    assert "non_public_metrics" in asked[new.post_id]
    assert "non_public_metrics" not in asked[old.post_id]
    # AND the old post has its public counts, without clicks (X keeps them 30 days)
    assert readings[old.post_id].status == OK
    assert "clicks" not in readings[old.post_id].metrics
    assert readings[old.post_id].metrics["views"] == 50
    assert readings[new.post_id].metrics["clicks"] == 7


def test_a_post_x_refuses_the_private_fields_for_is_read_again_without_them(
    fake: XFake,
) -> None:
    # GIVEN a post of 40 days ago, and a reader whose clock says it is still recent
    old = publish(fake, LINK, datetime.now(UTC) - timedelta(days=40))
    fake.engagement = lambda post_id, when, text: {"likes": 9, "clicks": 3}
    early = reader(fake, now=lambda: datetime.now(UTC) - timedelta(days=20))
    # WHEN it is read back
    (reading,) = module.read(early, [old])
    # THEN X's "Field Authorization Error" made it ask again with the public fields only:
    # the post is read, not taken for deleted, and has no clicks
    assert [("non_public_metrics" in q["tweet.fields"]) for q in lookups(fake)] == [True, False]
    assert reading.status == OK
    assert reading.metrics["likes"] == 9 and "clicks" not in reading.metrics


def test_deleted_posts_are_deleted_and_the_others_still_read(fake: XFake) -> None:
    # GIVEN three posts, one of them deleted on X since
    posts = [publish(fake, f"Post {n}") for n in range(3)]
    fake.delete(posts[1].post_id)
    fake.engagement = lambda post_id, when, text: {"likes": 1}
    # WHEN they are read back
    readings = module.read(reader(fake), posts)
    # THEN X's "Not Found Error" makes that one DELETED, with no counts, and says why
    gone = readings[1]
    assert (gone.post_id, gone.status, gone.metrics) == (posts[1].post_id, DELETED, {})
    assert "Could not find" in gone.detail
    assert [r.status for r in readings] == [OK, DELETED, OK]
    assert readings[0].metrics["likes"] == readings[2].metrics["likes"] == 1


def test_when_every_post_is_gone_the_answer_holds_errors_only(fake: XFake) -> None:
    # GIVEN two posts, both deleted
    posts = [publish(fake, f"Gone {n}") for n in range(2)]
    for post in posts:
        fake.delete(post.post_id)
    # WHEN they are read back  THEN both are DELETED (X sends no "data" at all)
    assert [r.status for r in module.read(reader(fake), posts)] == [DELETED, DELETED]


def test_another_error_on_a_post_leaves_it_pending(fake: XFake) -> None:
    # GIVEN X answers the lookup with an authorization error on the post (a withheld post)
    post = publish(fake, "Hello")
    error = {"value": post.post_id, "resource_id": post.post_id, "parameter": "ids",
             "resource_type": "tweet", "title": "Authorization Error",
             "detail": f"Sorry, you are not authorized to see the Tweet with ids: "
                       f"[{post.post_id}].",
             "type": "https://api.twitter.com/2/problems/not-authorized-for-resource"}  # fmt: skip
    fake.answer_next(Reply(200, {"errors": [error]}), on="/2/tweets")
    # WHEN it is read back  THEN it is neither read nor taken for deleted: asked again later
    (reading,) = module.read(reader(fake), [post])
    assert (reading.status, reading.metrics) == (PENDING, {})
    assert "not authorized" in reading.detail


def test_an_error_that_names_no_post_does_not_make_the_posts_deleted(fake: XFake) -> None:
    # GIVEN X answers the lookup with an error that names none of the posts asked
    post = publish(fake, "Hello")
    error = {"title": "Service Unavailable", "detail": "Try again later.",
             "type": "https://api.twitter.com/2/problems/resource-unavailable"}  # fmt: skip
    fake.answer_next(Reply(200, {"errors": [error]}), on="/2/tweets")
    # WHEN it is read back  THEN the post, absent from the answer, is pending, not deleted
    (reading,) = module.read(reader(fake), [post])
    assert (reading.status, reading.detail) == (PENDING, "X: Try again later.")


def test_a_rate_limit_stops_the_read_and_says_when_to_try_again(fake: XFake) -> None:
    # GIVEN X rate-limits the next lookup (429, x-rate-limit-reset two minutes away)
    post = publish(fake, "Hello")
    fake.fail_next("rate_limit", on="/2/tweets")
    # WHEN it is read back  THEN a retryable PlatformError with the wait X said
    with pytest.raises(PlatformError) as caught:
        module.read(reader(fake), [post])
    error = caught.value
    assert (error.status, error.retryable, error.auth) == (429, True, False)
    assert error.retry_after_s is not None and 100 <= error.retry_after_s <= 120


@pytest.mark.parametrize("kind", ["expired", "revoked"])
def test_a_refused_token_is_an_auth_error(fake: XFake, kind: str) -> None:
    # GIVEN X refuses the token of the next lookup
    post = publish(fake, "Hello")
    fake.fail_next(kind, on="/2/tweets")
    # WHEN it is read back  THEN a person must renew the token; retrying would not help
    with pytest.raises(PlatformError) as caught:
        module.read(reader(fake), [post])
    assert (caught.value.status, caught.value.auth, caught.value.retryable) == (401, True, False)


def test_a_token_x_does_not_know_is_an_auth_error(fake: XFake) -> None:
    post = publish(fake, "Hello")
    with pytest.raises(PlatformError) as caught:
        module.read(reader(fake, token="not-a-token"), [post])
    assert caught.value.auth


def test_a_page_that_is_not_json_is_a_bad_page(fake: XFake) -> None:
    # GIVEN a proxy answers the next lookup with an HTML page
    post = publish(fake, "Hello")
    fake.answer_next(Reply(200, raw=b"<html>Service Unavailable</html>"), on="/2/tweets")
    # WHEN it is read back  THEN BadPage, not made-up counts
    with pytest.raises(BadPage):
        module.read(reader(fake), [post])


def test_a_post_without_its_public_metrics_is_a_bad_page(fake: XFake) -> None:
    post = publish(fake, "Hello")
    fake.answer_next(Reply(200, {"data": [{"id": post.post_id, "text": "Hello"}]}),
                     on="/2/tweets")  # fmt: skip
    with pytest.raises(BadPage):
        module.read(reader(fake), [post])


def test_an_id_that_is_not_an_x_id_does_not_sink_the_others(fake: XFake) -> None:
    # GIVEN a record whose post id is not X's (digits), beside a real post
    post = publish(fake, "Hello")
    odd = Posted("at://not-x", "", post.published_at)
    # WHEN both are read  THEN the real one is read and the odd one is marked, unasked
    readings = module.read(reader(fake), [odd, post])
    assert [r.status for r in readings] == [DELETED, OK]
    assert lookups(fake)[0]["ids"] == post.post_id


def test_followers_come_from_the_account(fake: XFake) -> None:
    # GIVEN the account has 4321 followers
    fake.followers = lambda when: 4321
    # WHEN they are read  THEN that count, from GET /2/users/me with public_metrics
    assert module.followers(reader(fake)) == 4321
    (asked,) = [r.query for r in fake.requests if r.path == "/2/users/me"]
    assert asked["user.fields"] == "public_metrics"


def test_followers_unknown_when_x_leaves_them_out(fake: XFake) -> None:
    fake.answer_next(Reply(200, {"data": {"id": "1", "username": "brand"}}), on="/2/users/me")
    assert module.followers(reader(fake)) is None


def test_followers_on_a_page_that_is_not_json_is_a_bad_page(fake: XFake) -> None:
    fake.answer_next(Reply(200, raw=b"oops"), on="/2/users/me")
    with pytest.raises(BadPage):
        module.followers(reader(fake))


# ---- recent: the backfill's listing (GET /2/users/:id/tweets) --------------------------


def timeline(fake: XFake) -> list[dict[str, str]]:
    return [r.query for r in fake.requests if r.path == f"/2/users/{fake.user}/tweets"]


def test_recent_lists_the_accounts_own_posts_newest_first_with_their_counts(fake: XFake) -> None:
    # GIVEN the account's posts an hour apart: one publish made, one with a photo, a
    # reply, a retweet, one with two photos, one with a video, and an animated GIF
    start = datetime(2027, 1, 10, 9, 0, tzinfo=UTC)
    at = [start + timedelta(hours=n) for n in range(7)]
    made = publish(fake, "Spring sale https://shop.example.com/spring", at[0])
    photo = fake.add_post("A photo", at[1], media=("photo",))
    fake.add_post("@fan thanks!", at[2], reply_to="1000001")
    fake.add_post("RT someone", at[3], retweet_of="1850000000000000000")
    album = fake.add_post("Two photos", at[4], media=("photo", "photo"))
    video = fake.add_post("A video", at[5], media=("video",))
    gif = fake.add_post("A GIF", at[6], media=("animated_gif",))
    fake.engagement = lambda post_id, when, text: {"likes": 3, "shares": 1, "views": 80, "clicks": 9}  # fmt: skip
    # WHEN the account's recent posts are listed
    listed = module.recent(reader(fake), 100)
    # THEN its own posts, newest first, without the reply and the retweet
    assert [r.posted.post_id for r in listed] == [gif, video, album, photo, made.post_id]
    first = listed[-1]
    assert first.posted.published_at == "2027-01-10T09:00:00Z"
    assert first.posted.url == f"https://x.com/brand/status/{made.post_id}"
    assert first.text == "Spring sale https://shop.example.com/spring"
    # AND the counts mapped as a lookup's public ones: no clicks (X's owner-only field is
    # not asked of a listing), no reach
    assert first.reading.metrics == {"likes": 3, "shares": 1, "comments": 0, "quotes": 0,
                                     "saves": 0, "views": 80}  # fmt: skip
    assert [r.media for r in listed] == ["video", "video", "album", "image", "none"]
    # AND the timeline was asked as documented, for the token's user
    (asked,) = timeline(fake)
    assert asked["exclude"] == "replies,retweets" and asked["expansions"] == "attachments.media_keys"  # fmt: skip
    assert set(asked["tweet.fields"].split(",")) == {"created_at", "public_metrics", "attachments"}
    assert asked["media.fields"] == "type"


def test_recent_follows_the_pages_up_to_the_limit(fake: XFake) -> None:
    # GIVEN 12 posts and a timeline that serves 5 a page
    start = datetime(2027, 1, 10, 9, 0, tzinfo=UTC)
    ids = [fake.add_post(f"Post {n}", start + timedelta(minutes=n)) for n in range(12)]
    fake.page_size = 5
    # WHEN all of them are asked  THEN three pages, following X's next_token
    everything = module.recent(reader(fake), 100)
    assert [r.posted.post_id for r in everything] == ids[::-1]
    pages = timeline(fake)
    assert [q.get("pagination_token") for q in pages] == [None, "p5", "p10"]
    assert [q["max_results"] for q in pages] == ["100", "95", "90"]  # what is still wanted
    # WHEN 7 are asked  THEN the 7 newest, and no page more than those needs
    fake.requests.clear()
    seven = module.recent(reader(fake), 7)
    assert [r.posted.post_id for r in seven] == ids[::-1][:7]
    assert [q["max_results"] for q in timeline(fake)] == ["7", "5"]  # 5: X's least


def test_recent_leaves_out_a_metric_the_listing_does_not_give(fake: XFake) -> None:
    # GIVEN a timeline whose post has no bookmark or impression count, and no attachments
    fake.answer_next(Reply(200, {"data": [{"id": "1860000000000000099", "text": "Hi",
                                           "created_at": "2027-01-10T09:00:00.000Z",
                                           "public_metrics": {"like_count": 2, "retweet_count": 0,
                                                              "reply_count": 1, "quote_count": 0}}],
                                 "meta": {"result_count": 1}}), on="/tweets")  # fmt: skip
    # WHEN it is listed  THEN those are absent, not 0, and the post has no media
    (post,) = module.recent(reader(fake), 10)
    assert post.reading.metrics == {"likes": 2, "shares": 0, "comments": 1, "quotes": 0}
    assert post.media == "none"


def test_recent_media_x_does_not_describe_is_unknown(fake: XFake) -> None:
    # GIVEN a post whose media key is missing from includes.media
    body = {"data": [{"id": "1860000000000000098", "text": "Hi",
                      "created_at": "2027-01-10T09:00:00.000Z", "public_metrics": {},
                      "attachments": {"media_keys": ["3_1"]}}], "meta": {}}  # fmt: skip
    fake.answer_next(Reply(200, body), on="/tweets")
    (post,) = module.recent(reader(fake), 10)
    assert post.media is None and post.reading.metrics == {}


def test_recent_rate_limited_is_a_platform_error(fake: XFake) -> None:
    fake.add_post("Hello", datetime(2027, 1, 10, 9, 0, tzinfo=UTC))
    fake.fail_next("rate_limit", on=f"/2/users/{fake.user}/tweets")
    with pytest.raises(PlatformError) as caught:
        module.recent(reader(fake), 100)
    assert (caught.value.status, caught.value.retryable) == (429, True)
    assert caught.value.retry_after_s is not None


def test_recent_with_a_post_without_a_time_is_a_bad_page(fake: XFake) -> None:
    body = {"data": [{"id": "1860000000000000097", "text": "Hi", "public_metrics": {}}]}
    fake.answer_next(Reply(200, body), on="/tweets")
    with pytest.raises(BadPage):
        module.recent(reader(fake), 10)


def test_recent_asks_nothing_for_no_posts(fake: XFake) -> None:
    assert module.recent(reader(fake), 0) == [] and fake.requests == []
