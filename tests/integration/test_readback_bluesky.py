"""Bluesky engagement read-back (functions/ingest/engagement/bluesky.py) against the
contract fake (infra/peers/bluesky.py), which answers the AppView's ``getPosts`` and
``getProfile`` too: the local PDS peer (tests/peers/bluesky) runs no AppView, so this is
the only test of the read-back. Posts are made through the fake by the publish adapter,
their counts set with the fake's ``engagement`` hook."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

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


# ---- recent: the backfill's listing (app.bsky.feed.getAuthorFeed) ----------------------

AUTHOR_FEED = "/xrpc/app.bsky.feed.getAuthorFeed"


def feeds(fake: bluesky.BlueskyFake) -> list[dict[str, str]]:
    return [r.query for r in fake.requests if r.path == AUTHOR_FEED]


def images(count: int) -> dict[str, object]:
    blob = {"$type": "blob", "ref": {"$link": "bafkrei" + "i" * 52}, "mimeType": "image/jpeg", "size": 1000}  # fmt: skip
    return {"$type": "app.bsky.embed.images", "images": [{"image": blob, "alt": ""}] * count}


def test_recent_lists_the_accounts_own_posts_newest_first_with_their_counts(fake) -> None:
    # GIVEN the account's posts a minute apart: one publish made, a reply, a repost of
    # someone else's post, posts with an image, two images, a video, a link card and a
    # quote of a post with an image of its own
    start = datetime(2027, 1, 10, 9, 0, tzinfo=UTC)
    at = [start + timedelta(minutes=n) for n in range(9)]
    adapter = adapter_for("bluesky", fake.url)
    adapter.now = lambda: at[0]  # type: ignore[attr-defined]
    done = adapter.publish(PostRequest("Autumn is here 0", "k-0", bluesky.HANDLE),
                           Token(bluesky.PASSWORD))  # fmt: skip
    made_uri = done.post_id
    fake.add_post("@fan.test thanks!", at[1], reply_to="at://did:plc:fan/app.bsky.feed.post/1")
    fake.add_repost("at://did:plc:fan/app.bsky.feed.post/2", at[2])
    image = fake.add_post("A photo", at[3], embed=images(1))
    album = fake.add_post("Photos", at[4], embed=images(2))
    video = fake.add_post("A clip", at[5], embed={"$type": "app.bsky.embed.video",
                                                   "video": {"$type": "blob"}})  # fmt: skip
    card = fake.add_post("Read this", at[6], embed={"$type": "app.bsky.embed.external",
                                                     "external": {"uri": "https://example.com",
                                                                  "title": "", "description": ""}})  # fmt: skip
    quote = fake.add_post("Look", at[7], embed={"$type": "app.bsky.embed.recordWithMedia",
                                                 "record": {"uri": made_uri}, "media": images(1)})  # fmt: skip
    set_counts(fake, {made_uri: {"likes": 9, "shares": 3, "comments": 2, "quotes": 1, "views": 40}})  # fmt: skip
    # WHEN the account's recent posts are listed
    listed = module.recent(reader(fake), 100)
    # THEN its own posts, newest first, without the reply and the repost
    assert [r.posted.post_id for r in listed] == [quote, card, video, album, image, made_uri]
    assert [r.media for r in listed] == ["image", "none", "video", "album", "image", "none"]
    first = listed[-1]
    assert first.posted.published_at == "2027-01-10T09:00:00Z" and first.text == "Autumn is here 0"  # fmt: skip
    assert first.posted.url == f"https://bsky.app/profile/{bluesky.HANDLE}/post/{made_uri.rsplit('/', 1)[-1]}"  # fmt: skip
    # AND the counts as ``read`` maps getPosts': no views (Bluesky counts none)
    assert first.reading.metrics == {"likes": 9, "shares": 3, "comments": 2, "quotes": 1, "saves": 0}  # fmt: skip
    # AND the feed was asked by DID, without replies, page after page (5 a page here)
    asked = feeds(fake)
    assert {(q["actor"], q["filter"]) for q in asked} == {(bluesky.DID, "posts_no_replies")}
    assert [q.get("cursor") for q in asked] == [None, "5"] and asked[0]["limit"] == "100"


def test_recent_follows_the_cursor_up_to_the_limit(fake) -> None:
    # GIVEN 12 posts and an AppView that serves 5 a page
    start = datetime(2027, 1, 10, 9, 0, tzinfo=UTC)
    uris = [fake.add_post(f"Post {n}", start + timedelta(minutes=n)) for n in range(12)]
    fake.page_size = 5
    # WHEN all are asked  THEN three pages, following the cursor
    everything = module.recent(reader(fake), 100)
    assert [r.posted.post_id for r in everything] == uris[::-1]
    assert [q.get("cursor") for q in feeds(fake)] == [None, "5", "10"]
    # WHEN 7 are asked  THEN the 7 newest, asking only for what is still wanted
    fake.requests.clear()
    seven = module.recent(reader(fake), 7)
    assert [r.posted.post_id for r in seven] == uris[::-1][:7]
    assert [(q["limit"], q.get("cursor")) for q in feeds(fake)] == [("7", None), ("2", "5")]


def test_recent_leaves_out_a_count_the_appview_does_not_give(fake) -> None:
    # GIVEN an older AppView: no bookmarkCount, and a post view with no embed
    view = {"uri": f"at://{bluesky.DID}/app.bsky.feed.post/3labc", "cid": "bafyrei" + "a" * 52,
            "record": {"$type": "app.bsky.feed.post", "text": "Hi",
                       "createdAt": "2027-01-10T09:00:00.000Z"},
            "likeCount": 2, "repostCount": 0, "replyCount": 1, "quoteCount": 0,
            "indexedAt": "2027-01-10T09:00:01.000Z"}  # fmt: skip
    fake.answer_next(Reply(body={"feed": [{"post": view}]}), on=AUTHOR_FEED)
    (post,) = module.recent(reader(fake), 10)
    assert post.reading.metrics == {"likes": 2, "shares": 0, "comments": 1, "quotes": 0}
    assert post.media == "none"


def test_recent_by_handle_when_the_account_has_no_did(fake) -> None:
    fake.add_post("Hello", datetime(2027, 1, 10, 9, 0, tzinfo=UTC))
    by_handle = Reader("bluesky", "brand", account(None), fake.url, lambda: "")
    assert [r.text for r in module.recent(by_handle, 10)] == ["Hello"]
    assert feeds(fake)[0]["actor"] == bluesky.HANDLE


def test_recent_rate_limited_is_a_platform_error(fake) -> None:
    fake.fail_next("rate_limit", on=AUTHOR_FEED)
    with pytest.raises(PlatformError) as caught:
        module.recent(reader(fake), 100)
    assert caught.value.retryable and caught.value.retry_after_s is not None


def test_recent_with_an_item_without_its_post_is_a_bad_page(fake) -> None:
    fake.answer_next(Reply(body={"feed": [{"reason": None}]}), on=AUTHOR_FEED)
    with pytest.raises(BadPage):
        module.recent(reader(fake), 10)
