"""Engagement read-back of Facebook Page posts and Instagram media (functions/ingest/
engagement/facebook.py and instagram.py) against Meta's Graph API contract fake on loopback
(infra/peers/meta.py): posts published through the publish adapters, counts set with the
fake's ``engagement`` hook and read back in Graph's own fields; and the backfill's listing
of an account's latest posts (``recent``)."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from readback_peers import (
    assert_listed_newest_first,
    assert_newest_within_limits,
    assert_read_alike,
    by_id,
    counted,
    hour,
    posted,
    refusal,
    serving,
)

from functions.common.platform.errors import PlatformError
from functions.common.platform.tokens import Token
from functions.ingest import engagement
from functions.ingest.engagement import DELETED, MEDIA_KINDS, OK, Posted, Reader, Reading, Recent
from functions.ingest.engagement import facebook as fb
from functions.ingest.engagement import instagram as ig
from functions.ingest.sources import BadPage
from functions.publish.adapters import adapter_for
from functions.publish.adapters.base import PostRequest
from infra.peers import Reply, meta
from schema.brand import Account

IMAGE = ("https://cdn.example.com/a.jpg", "image", "A red bicycle")
VIDEO = ("https://cdn.example.com/a.mp4", "video", "")


def no_sleep(seconds: float) -> None:
    pass


@pytest.fixture
def graph() -> Iterator[meta.GraphFake]:
    with serving(meta.GraphFake(polls_until_finished=0)) as running:
        yield running


def reader(fake: meta.GraphFake, platform: str, token: str = meta.TOKEN) -> Reader:
    ident = meta.PAGE if platform == "facebook" else meta.IG_USER
    account = Account(handle="brand", id=ident, secret=f"socialops/brand/{platform}")
    return Reader(platform, "brand", account, fake.url, lambda: token)


def fb_post(
    fake: meta.GraphFake, text: str, photo: bool = False, link: str | None = None
) -> Posted:
    """A Page post made by the publish adapter: the post id it records."""
    request = PostRequest(text, "k", "brand", account_id=meta.PAGE,
                          media=(IMAGE,) if photo else (), link=link)  # fmt: skip
    done = adapter_for("facebook", fake.url).publish(request, Token(meta.TOKEN))
    return posted(done)


def ig_media(fake: meta.GraphFake, text: str, media: tuple[Any, ...] = (IMAGE,)) -> Posted:
    """Media published by the publish adapter (an image, a reel, an album)."""
    request = PostRequest(text, "k", "brand", account_id=meta.IG_USER, media=media)
    done = adapter_for("instagram", fake.url, sleep=no_sleep).publish(request, Token(meta.TOKEN))
    return posted(done)


def ig_story(fake: meta.GraphFake, text: str) -> Posted:
    """A story, published as Graph documents (``media_type=STORIES``; publish makes none)."""

    def post(path: str, form: dict[str, str]) -> Any:
        data = urllib.parse.urlencode({**form, "access_token": meta.TOKEN}).encode()
        with urllib.request.urlopen(f"{fake.url}/v21.0/{meta.IG_USER}/{path}", data) as answer:
            return json.loads(answer.read())

    container = post("media", {"media_type": "STORIES", "image_url": IMAGE[0], "caption": text})
    media = str(post("media_publish", {"creation_id": container["id"]})["id"])
    return Posted(media, "", "")


def lookups(fake: meta.GraphFake) -> list[list[str]]:
    """The ids of each multi-id lookup (``GET /?ids=``) made."""
    return [r.query["ids"].split(",") for r in fake.requests if r.path == "/v21.0/"]


# ---- Facebook ---------------------------------------------------------------------------


def test_facebook_reads_reactions_comments_shares_and_views(graph: meta.GraphFake) -> None:
    # GIVEN a link post and a photo post of the Page, with reactions, comments and shares
    link, photo = fb_post(graph, "Autumn is here"), fb_post(graph, "New colours", photo=True)
    graph.engagement = counted({
        link.post_id: {"likes": 42, "comments": 7, "shares": 3, "views": 1200, "reach": 900},
        photo.post_id: {"likes": 5, "comments": 1, "shares": 2, "views": 80},
    })  # fmt: skip
    # WHEN they are read back
    readings = fb.read(reader(graph, "facebook"), [link, photo])
    # THEN each post has its counts in our names: reactions are likes, post_media_view views
    assert by_id(readings) == {
        link.post_id: Reading(link.post_id, {"likes": 42, "comments": 7, "shares": 3,
                                             "views": 1200}),
        photo.post_id: Reading(photo.post_id, {"likes": 5, "comments": 1, "shares": 2,
                                               "views": 80}),
    }  # fmt: skip
    # AND the Page's posts are read in one lookup, with the documented fields and token
    assert lookups(graph) == [[link.post_id, photo.post_id]]
    [lookup] = [r for r in graph.requests if r.path == "/v21.0/"]
    assert lookup.query["fields"] == fb.FIELDS and lookup.query["access_token"] == meta.TOKEN
    views = [r for r in graph.requests if r.path.endswith("/insights")]
    assert [(r.path, r.query["metric"], r.query["period"]) for r in views] == [
        (f"/v21.0/{p.post_id}/insights", "post_media_view", "lifetime") for p in (link, photo)
    ]


def test_facebook_gives_no_reach_saves_or_clicks(graph: meta.GraphFake) -> None:
    # GIVEN a post the audience model says was reached, saved and clicked
    post = fb_post(graph, "Autumn is here")
    graph.engagement = counted({post.post_id: {"likes": 1, "reach": 90, "saves": 4,
                                               "clicks": 12, "quotes": 1}})  # fmt: skip
    # WHEN it is read back
    [reading] = fb.read(reader(graph, "facebook"), [post])
    # THEN only what Graph gives for a Page post is there: nothing else, not even as 0
    assert set(reading.metrics) == {"likes", "comments", "shares", "views"}


def test_facebook_shares_are_0_when_graph_omits_them(graph: meta.GraphFake) -> None:
    # GIVEN a post nobody shared (Graph then leaves ``shares`` out of the post)
    post = fb_post(graph, "Autumn is here")
    graph.engagement = counted({post.post_id: {"likes": 2}})
    # WHEN it is read back
    [reading] = fb.read(reader(graph, "facebook"), [post])
    # THEN its shares are 0, as are its comments (a summary of 0), next to its likes
    assert reading == Reading(post.post_id, {"likes": 2, "comments": 0, "shares": 0, "views": 0})


def test_facebook_views_are_absent_until_the_post_has_insights(graph: meta.GraphFake) -> None:
    # GIVEN a post an hour old, on a platform whose insights lag a day
    post = fb_post(graph, "Autumn is here")
    graph.insights_lag = timedelta(hours=24)
    graph.engagement = counted({post.post_id: {"likes": 9, "comments": 2, "views": 300}})
    # WHEN it is read back
    [reading] = fb.read(reader(graph, "facebook"), [post])
    # THEN its counts are there and its views absent (not 0), and the reading is ok
    assert reading == Reading(post.post_id, {"likes": 9, "comments": 2, "shares": 0}, OK)


def test_facebook_reads_more_posts_than_a_lookup_takes_in_several(graph: meta.GraphFake) -> None:
    # GIVEN 120 posts (a lookup takes 50 ids)
    posts = [fb_post(graph, f"Post {n}") for n in range(120)]
    graph.engagement = lambda post_id, when, text: {"likes": int(text.split()[1])}
    # WHEN they are read back
    readings = fb.read(reader(graph, "facebook"), posts)
    # THEN three lookups read every post once, none over 50
    ids = lookups(graph)
    assert [len(batch) for batch in ids] == [50, 50, 20]
    assert sorted(i for batch in ids for i in batch) == sorted(p.post_id for p in posts)
    # AND each post has its own count
    assert {r.post_id: r.metrics["likes"] for r in readings} == {
        p.post_id: n for n, p in enumerate(posts)
    }


def test_facebook_deleted_posts_are_deleted_and_the_others_read(graph: meta.GraphFake) -> None:
    # GIVEN eight posts, two of them since deleted by the brand
    posts = [fb_post(graph, f"Post {n}") for n in range(8)]
    graph.engagement = lambda post_id, when, text: {"likes": 1, "comments": 1}
    for gone in (posts[2], posts[5]):
        graph.delete(gone.post_id)
    # WHEN they are read back
    readings = by_id(fb.read(reader(graph, "facebook"), posts))
    # THEN the deleted ones say so, with Graph's error, and the six others have their counts
    assert len(readings) == 8
    for gone in (posts[2], posts[5]):
        assert readings[gone.post_id].status == DELETED
        assert readings[gone.post_id].metrics == {}
        assert "subcode 33" in readings[gone.post_id].detail
    kept = [p for p in posts if p not in (posts[2], posts[5])]
    assert all(readings[p.post_id].metrics["likes"] == 1 for p in kept)
    assert all(readings[p.post_id].status == OK for p in kept)
    # AND the batch was halved around the missing posts only: each other post was read by
    # exactly one lookup that succeeded (one holding no missing id), in few lookups
    missing = {posts[2].post_id, posts[5].post_id}
    answered = [batch for batch in lookups(graph) if not missing & set(batch)]
    assert sorted(i for batch in answered for i in batch) == sorted(p.post_id for p in kept)
    assert len(lookups(graph)) <= 1 + 2 * 2 * 3  # the whole, then halves down to each


def test_an_id_graph_never_had_is_deleted_with_code_803(graph: meta.GraphFake) -> None:
    # GIVEN a post of the Page and an id Graph never had
    post = fb_post(graph, "Autumn is here")
    never = Posted(f"{meta.PAGE}_1234", "", "")
    # WHEN both are read back
    readings = by_id(fb.read(reader(graph, "facebook"), [post, never]))
    # THEN the unknown id is deleted (the aliases do not exist), the post read
    assert readings[never.post_id].status == DELETED and "803" in readings[never.post_id].detail
    assert readings[post.post_id].status == OK


def test_every_post_missing_is_checked_against_the_account(graph: meta.GraphFake) -> None:
    # GIVEN posts Graph no longer has, read with the token of a Page it knows
    post = fb_post(graph, "Autumn is here")
    graph.delete(post.post_id)
    # WHEN they are read back
    [reading] = fb.read(reader(graph, "facebook"), [post])
    # THEN the account was asked once (it answers: the posts are gone) and the post deleted
    assert reading.status == DELETED
    assert graph.paths("GET")[-1] == f"/v21.0/{meta.PAGE}"


def test_every_post_missing_and_the_account_too_is_an_error(graph: meta.GraphFake) -> None:
    # GIVEN a reader whose account Graph cannot find (a token or id for another Page)
    post = fb_post(graph, "Autumn is here")
    graph.delete(post.post_id)
    stranger = reader(graph, "facebook")
    stranger.account = Account(handle="other", id="100000000000999", secret="socialops/b/fb")
    # WHEN its posts are read back
    with pytest.raises(PlatformError) as caught:
        fb.read(stranger, [post])
    # THEN that is an error (the run stops the account; the posts stay due), not deletions
    assert not caught.value.retryable and caught.value.code in ("100", "100/33")


def test_facebook_rate_limit_is_retryable_after_the_regain_time(graph: meta.GraphFake) -> None:
    # GIVEN the Page's rate limit reached (code 32, X-Business-Use-Case-Usage: 5 minutes)
    post = fb_post(graph, "Autumn is here")
    graph.fail_next("rate_limit", on="/v21.0/")
    # WHEN its posts are read back
    with pytest.raises(PlatformError) as caught:
        fb.read(reader(graph, "facebook"), [post])
    # THEN the error propagates, retryable after Meta's estimated time to regain access
    assert caught.value.retryable and caught.value.retry_after_s == 300
    assert caught.value.code == "32" and not caught.value.auth


def test_a_rate_limit_on_insights_propagates_too(graph: meta.GraphFake) -> None:
    # GIVEN the app's rate limit reached while the views are read (code 4)
    post = fb_post(graph, "Autumn is here")
    graph.fail_next("rate_limit_bare", on="/insights")
    # WHEN the post is read back
    with pytest.raises(PlatformError) as caught:
        fb.read(reader(graph, "facebook"), [post])
    # THEN the read stops, retryable
    assert caught.value.retryable and caught.value.code == "4"


def test_an_expired_or_invalid_token_needs_a_person(graph: meta.GraphFake) -> None:
    # GIVEN a post, then a token that expired (190/463) and one Graph does not know (190)
    post = fb_post(graph, "Autumn is here")
    graph.fail_next("expired")
    # WHEN the post is read back with each
    with pytest.raises(PlatformError) as expired:
        fb.read(reader(graph, "facebook"), [post])
    with pytest.raises(PlatformError) as invalid:
        ig.read(reader(graph, "instagram", token="not-a-valid-token"), [post])
    # THEN both are auth errors, never retried, never a deletion
    assert expired.value.auth and not expired.value.retryable and expired.value.code == "190/463"
    assert invalid.value.auth and invalid.value.code == "190"


@pytest.mark.parametrize("on", ["/v21.0/", "/insights"])
def test_a_page_that_is_not_json_is_a_bad_page(graph: meta.GraphFake, on: str) -> None:
    # GIVEN Graph (or a gateway before it) answering HTML
    post = fb_post(graph, "Autumn is here")
    graph.answer_next(Reply(200, raw=b"<html><body>Sorry, something went wrong</body></html>"),
                      on=on)  # fmt: skip
    # WHEN the post is read back
    # THEN that is a BadPage, not counts
    with pytest.raises(BadPage):
        fb.read(reader(graph, "facebook"), [post])


def test_an_answer_of_the_wrong_shape_is_a_bad_page(graph: meta.GraphFake) -> None:
    # GIVEN a lookup answered with a list, and insights whose data is not a list
    post = fb_post(graph, "Autumn is here")
    graph.answer_next(Reply(200, [{"id": post.post_id}]), on="/v21.0/")
    with pytest.raises(BadPage):
        fb.read(reader(graph, "facebook"), [post])
    graph.answer_next(Reply(200, {"data": {"name": "post_media_view"}}), on="/insights")
    with pytest.raises(BadPage):
        fb.read(reader(graph, "facebook"), [post])


def test_facebook_followers_are_the_pages_followers_count(graph: meta.GraphFake) -> None:
    # GIVEN a Page with 4321 followers
    graph.followers = lambda when: 4321
    # WHEN its followers are read
    count = fb.followers(reader(graph, "facebook"))
    # THEN that is the Page's followers_count
    assert count == 4321
    [read] = [r for r in graph.requests if r.path == f"/v21.0/{meta.PAGE}"]
    assert read.query["fields"] == "followers_count"


# ---- Instagram --------------------------------------------------------------------------


def test_instagram_reads_likes_comments_and_insights(graph: meta.GraphFake) -> None:
    # GIVEN an image, a reel and an album of the account, with their counts
    image = ig_media(graph, "Autumn is here")
    reel = ig_media(graph, "Autumn rides", (VIDEO,))
    album = ig_media(graph, "Autumn colours", (IMAGE, IMAGE))
    graph.engagement = counted({
        image.post_id: {"likes": 120, "comments": 8, "views": 3000, "reach": 2100, "saves": 14,
                        "shares": 6, "clicks": 40},
        reel.post_id: {"likes": 300, "comments": 20, "views": 9000, "reach": 7000, "saves": 50,
                       "shares": 31},
    })  # fmt: skip
    # WHEN they are read back
    readings = by_id(ig.read(reader(graph, "instagram"), [image, reel, album]))
    # THEN like_count and comments_count, and views, reach, saved and shares, in our names
    assert readings[image.post_id] == Reading(
        image.post_id,
        {"likes": 120, "comments": 8, "views": 3000, "reach": 2100, "saves": 14, "shares": 6},
    )
    assert readings[reel.post_id].metrics["views"] == 9000
    assert readings[reel.post_id].metrics["saves"] == 50
    # AND nobody reacted to the album: zeros Graph gives, nothing it does not (clicks)
    assert readings[album.post_id].metrics == {
        "likes": 0, "comments": 0, "views": 0, "reach": 0, "saves": 0, "shares": 0}  # fmt: skip
    # AND one lookup for the three, then each media's insights
    assert lookups(graph) == [[image.post_id, reel.post_id, album.post_id]]
    [lookup] = [r for r in graph.requests if r.path == "/v21.0/"]
    assert lookup.query["fields"] == "like_count,comments_count,media_product_type,media_type"
    asked = [r.query["metric"] for r in graph.requests if r.path.endswith("/insights")]
    assert asked == ["views,reach,saved,shares"] * 3


def test_instagram_insights_are_left_out_while_they_lag(graph: meta.GraphFake) -> None:
    # GIVEN media an hour old, whose insights lag up to 48 hours (Graph answers no data)
    media = ig_media(graph, "Autumn is here")
    graph.insights_lag = timedelta(hours=48)
    graph.engagement = counted({media.post_id: {"likes": 12, "comments": 3, "views": 500}})
    # WHEN it is read back
    [reading] = ig.read(reader(graph, "instagram"), [media])
    # THEN likes and comments are there, the insights absent (not 0), and the reading ok
    assert reading == Reading(media.post_id, {"likes": 12, "comments": 3}, OK)


def test_a_story_asks_no_saves_and_under_5_viewers_has_no_insights(
    graph: meta.GraphFake,
) -> None:
    # GIVEN two stories: one seen by 40 accounts, one by 3 (Graph: "Not enough viewers")
    seen, unseen = ig_story(graph, "Behind the scenes"), ig_story(graph, "Early")
    graph.engagement = counted({
        seen.post_id: {"likes": 2, "views": 60, "reach": 40, "shares": 1},
        unseen.post_id: {"likes": 1, "views": 4, "reach": 3},
    })  # fmt: skip
    # WHEN they are read back
    readings = by_id(ig.read(reader(graph, "instagram"), [seen, unseen]))
    # THEN the story's views, reach and shares (a story has no saved), and for the one under
    # five viewers its likes and comments only
    assert readings[seen.post_id].metrics == {"likes": 2, "comments": 0, "views": 60,
                                              "reach": 40, "shares": 1}  # fmt: skip
    assert readings[unseen.post_id] == Reading(unseen.post_id, {"likes": 1, "comments": 0})
    asked = [r.query["metric"] for r in graph.requests if r.path.endswith("/insights")]
    assert asked == ["views,reach,shares"] * 2


def test_code_10_on_other_media_is_the_missing_insights_permission(
    graph: meta.GraphFake,
) -> None:
    # GIVEN feed media whose insights Graph refuses with code 10 (permission missing)
    media = ig_media(graph, "Autumn is here")
    graph.answer_next(meta.oauth(400, 10, "(#10) Application does not have permission for "
                                          "this action"), on="/insights")  # fmt: skip
    # WHEN it is read back
    with pytest.raises(PlatformError) as caught:
        ig.read(reader(graph, "instagram"), [media])
    # THEN that propagates: a person must grant the permission
    assert caught.value.code == "10" and caught.value.auth


def test_instagram_deleted_media_is_deleted_and_the_rest_read(graph: meta.GraphFake) -> None:
    # GIVEN three media, the middle one deleted (Graph: code 100, subcode 33)
    media = [ig_media(graph, f"Media {n}") for n in range(3)]
    graph.engagement = lambda post_id, when, text: {"likes": 5, "reach": 50}
    graph.delete(media[1].post_id)
    # WHEN they are read back
    readings = by_id(ig.read(reader(graph, "instagram"), media))
    # THEN the deleted one is DELETED with no metrics, the others are read in full
    assert readings[media[1].post_id].status == DELETED
    assert readings[media[1].post_id].metrics == {}
    for kept in (media[0], media[2]):
        assert readings[kept.post_id].metrics["likes"] == 5
        assert readings[kept.post_id].metrics["reach"] == 50
    # AND no insights were asked for the deleted one
    assert f"/v21.0/{media[1].post_id}/insights" not in graph.paths("GET")


def test_instagram_reads_more_media_than_a_lookup_takes_in_several(
    graph: meta.GraphFake,
) -> None:
    # GIVEN 60 media (publishing is limited to 50 a day: the quota is reset halfway)
    media = []
    for n in range(60):
        if n == 50:
            graph.quota_usage = 0
        media.append(ig_media(graph, f"Media {n}"))
    # WHEN they are read back
    readings = ig.read(reader(graph, "instagram"), media)
    # THEN two lookups (50 and 10) and one reading per media
    assert [len(batch) for batch in lookups(graph)] == [50, 10]
    assert sorted(r.post_id for r in readings) == sorted(m.post_id for m in media)


def test_instagram_rate_limit_propagates(graph: meta.GraphFake) -> None:
    # GIVEN the rate limit reached while insights are read
    media = ig_media(graph, "Autumn is here")
    graph.fail_next("rate_limit", on="/insights")
    # WHEN the media is read back
    with pytest.raises(PlatformError) as caught:
        ig.read(reader(graph, "instagram"), [media])
    # THEN it propagates, retryable after the regain time
    assert caught.value.retryable and caught.value.retry_after_s == 300


def test_instagram_followers_are_the_accounts_followers_count(graph: meta.GraphFake) -> None:
    # GIVEN an account with 987 followers
    graph.followers = lambda when: 987
    # WHEN its followers are read
    count = ig.followers(reader(graph, "instagram"))
    # THEN that is the IG user's followers_count
    assert count == 987
    [read] = [r for r in graph.requests if r.path == f"/v21.0/{meta.IG_USER}"]
    assert read.query["fields"] == "followers_count"


def test_the_platform_modules_are_these(graph: meta.GraphFake) -> None:
    # GIVEN the read-back's module table, WHEN Facebook's and Instagram's are looked up
    # THEN they are these modules
    assert engagement.module("facebook") is fb and engagement.module("instagram") is ig


# ---- backfill: the account's latest posts ----------------------------------------------

START = datetime(2026, 11, 30, 9, tzinfo=UTC)


def listings(fake: meta.GraphFake, edge: str) -> list[dict[str, str]]:
    """The query of each request of the account's ``edge`` (``published_posts``, ``media``)."""
    return [r.query for r in fake.requests if r.path.endswith(f"/{edge}")]


def facebook_posts(fake: meta.GraphFake, count: int) -> tuple[list[Posted], list[str]]:
    """``count`` Page posts an hour apart, by turns text alone, a link and a photo (as
    publish recorded them), and when each went out."""
    posts, times = [], []
    for n in range(count):
        times.append(hour(fake, START, n))
        kind = n % 3
        posts.append(fb_post(fake, f"Post {n}", photo=kind == 2,
                             link="https://brand.example/autumn" if kind == 1 else None))  # fmt: skip
    return posts, times


def test_facebook_recent_lists_the_pages_posts_newest_first_with_reads_counts(
    graph: meta.GraphFake,
) -> None:
    # GIVEN seven Page posts an hour apart (more than one page of Graph's listing), each
    # with its own counts, some shared and some not
    posts, times = facebook_posts(graph, 7)
    graph.engagement = lambda post_id, when, text: {
        "likes": 10 + int(text.split()[1]), "comments": 2, "views": 300,
        **({"shares": 4} if text.endswith("3") else {}), "reach": 99, "clicks": 5}  # fmt: skip
    # WHEN the Page's recent posts are listed
    start = len(graph.requests)
    recent = fb.recent(reader(graph, "facebook"), 100)
    made = graph.requests[start:]
    # THEN all seven, newest first, each as publish recorded it, at Graph's time, with its
    # message and the kind of its attachment (a link preview is no media)
    assert_listed_newest_first(recent, posts, times, [f"Post {n}" for n in range(7)])
    assert [r.media for r in recent] == ["none", "image", "none", "none", "image", "none",
                                         "none"]  # fmt: skip
    assert {r.media for r in recent} <= set(MEDIA_KINDS)
    # AND the counts are what ``read`` makes of the same posts: reactions as likes, shares
    # (0 where Graph leaves them out), views from the insights; no reach or clicks
    assert_read_alike(recent, fb.read(reader(graph, "facebook"), posts))
    assert recent[3].reading.metrics == {"likes": 13, "comments": 2, "shares": 4, "views": 300}
    assert recent[0].reading.metrics == {"likes": 16, "comments": 2, "shares": 0, "views": 300}
    # AND they came from two pages of /published_posts (the fake gives five a page), with
    # the views expanded in the listing: no request per post
    assert [r.path for r in made] == [f"/v21.0/{meta.PAGE}/published_posts"] * 2
    assert [r.query.get("after") for r in made] == [None, "a5"]
    assert {r.query["fields"] for r in made} == {fb.RECENT_FIELDS}
    assert "insights.metric(post_media_view).period(lifetime)" in fb.RECENT_FIELDS


def test_facebook_recent_honours_the_limit_across_pages(graph: meta.GraphFake) -> None:
    # GIVEN seven Page posts
    posts, _ = facebook_posts(graph, 7)
    # WHEN at most three, then at most six, then none are listed  THEN the three newest,
    # the six newest, and nothing (nothing asked)
    before = len(graph.requests)
    assert_newest_within_limits(graph, lambda limit: fb.recent(reader(graph, "facebook"), limit),
                                posts)  # fmt: skip
    # AND the three in one request of three, then the six in a page of five and one of the
    # one left to get: no other request
    asked = listings(graph, "published_posts")
    assert [(q["limit"], q.get("after")) for q in asked] == [("3", None), ("6", None), ("1", "a5")]
    assert len(graph.requests) == before + 3


def test_facebook_recent_views_are_absent_while_insights_lag(graph: meta.GraphFake) -> None:
    # GIVEN a Page post an hour old whose insights lag a day
    [post], _ = facebook_posts(graph, 1)
    graph.insights_lag = timedelta(hours=24)
    graph.engagement = counted({post.post_id: {"likes": 3, "comments": 1, "views": 80}})
    # WHEN it is listed
    [listed] = fb.recent(reader(graph, "facebook"), 100)
    # THEN its views are absent, not 0, and the rest is there
    assert listed.reading == Reading(post.post_id, {"likes": 3, "comments": 1, "shares": 0})


def test_facebook_recent_rate_limit_and_token_errors_raise(graph: meta.GraphFake) -> None:
    # GIVEN a Page post, and the Page's rate limit reached (code 32, regain in 5 minutes)
    facebook_posts(graph, 1)

    def listing() -> object:
        return fb.recent(reader(graph, "facebook"), 100)

    # WHEN its posts are listed THEN a retryable error says how long to wait
    limited = refusal(graph, "rate_limit", "/published_posts", listing)
    assert limited.retryable and limited.retry_after_s == 300
    # AND an expired token, or one Graph does not know, needs a person
    expired = refusal(graph, "expired", "/published_posts", listing)
    with pytest.raises(PlatformError) as invalid:
        fb.recent(reader(graph, "facebook", token="not-a-valid-token"), 100)
    assert expired.auth and not expired.retryable and expired.code == "190/463"
    assert invalid.value.auth and invalid.value.code == "190"


def test_facebook_recent_of_a_listing_not_of_the_documented_shape_is_a_bad_page(
    graph: meta.GraphFake,
) -> None:
    # GIVEN a listing whose data is not a list, and one whose post lacks its time
    graph.answer_next(Reply(200, {"data": {"id": "1"}}), on="/published_posts")
    with pytest.raises(BadPage):
        fb.recent(reader(graph, "facebook"), 100)
    graph.answer_next(Reply(200, {"data": [{"id": f"{meta.PAGE}_1", "message": "Hi"}]}),
                      on="/published_posts")  # fmt: skip
    with pytest.raises(BadPage):
        fb.recent(reader(graph, "facebook"), 100)


def instagram_media(fake: meta.GraphFake, count: int) -> tuple[list[Posted], list[str]]:
    """``count`` media an hour apart, by turns an image, a reel and an album."""
    kinds = ((IMAGE,), (VIDEO,), (IMAGE, IMAGE))
    media, times = [], []
    for n in range(count):
        times.append(hour(fake, START, n))
        media.append(ig_media(fake, f"Media {n}", kinds[n % 3]))
    return media, times


def test_instagram_recent_lists_the_media_newest_first_with_reads_counts(
    graph: meta.GraphFake,
) -> None:
    # GIVEN seven media an hour apart (images, reels, albums), each with its counts
    media, times = instagram_media(graph, 7)
    graph.engagement = lambda post_id, when, text: {
        "likes": int(text.split()[1]), "comments": 1, "views": 500, "reach": 400, "saves": 3,
        "shares": 2, "clicks": 9}  # fmt: skip
    # WHEN the account's recent media are listed
    recent = ig.recent(reader(graph, "instagram"), 100)
    # THEN all seven, newest first, as publish recorded them, with caption and kind
    assert_listed_newest_first(recent, media, times, [f"Media {n}" for n in range(7)])
    assert [r.media for r in recent] == ["image", "album", "video", "image", "album", "video",
                                         "image"]  # fmt: skip
    # AND the counts are what ``read`` makes of the same media: like_count, comments_count
    # and the insights (views, reach, saved, shares); no clicks
    assert_read_alike(recent, ig.read(reader(graph, "instagram"), media))
    assert recent[0].reading.metrics == {"likes": 6, "comments": 1, "views": 500, "reach": 400,
                                         "saves": 3, "shares": 2}  # fmt: skip
    # AND the listing came in two pages of /media with the documented fields
    asked = listings(graph, "media")
    assert [q.get("after") for q in asked if "fields" in q] == [None, "a5"]
    assert {q["fields"] for q in asked if "fields" in q} == {ig.RECENT_FIELDS}


def test_instagram_recent_honours_the_limit_and_asks_insights_of_those_only(
    graph: meta.GraphFake,
) -> None:
    # GIVEN seven media
    media, _ = instagram_media(graph, 7)
    first = len(graph.requests)
    # WHEN at most three are listed
    recent = ig.recent(reader(graph, "instagram"), 3)
    # THEN the three newest, from one request of three, and the insights of those three
    assert [r.posted.post_id for r in recent] == [m.post_id for m in media[:3:-1]]
    made = graph.requests[first:]
    assert [r.query.get("limit") for r in made if r.path.endswith("/media")] == ["3"]
    assert sorted(r.path for r in made if r.path.endswith("/insights")) == sorted(
        f"/v21.0/{m.post_id}/insights" for m in media[4:])  # fmt: skip


def test_instagram_recent_insights_are_absent_while_they_lag(graph: meta.GraphFake) -> None:
    # GIVEN a reel an hour old, whose insights lag up to 48 hours
    [_, reel], _ = instagram_media(graph, 2)
    graph.insights_lag = timedelta(hours=48)
    graph.engagement = counted({reel.post_id: {"likes": 8, "comments": 2, "views": 90}})
    # WHEN the media are listed
    listed = ig.recent(reader(graph, "instagram"), 1)
    # THEN likes and comments are there, the insights absent (not 0)
    assert listed == [Recent(listed[0].posted, Reading(reel.post_id, {"likes": 8, "comments": 2}),
                             "Media 1", "video")]  # fmt: skip


def test_instagram_recent_rate_limit_and_token_errors_raise(graph: meta.GraphFake) -> None:
    # GIVEN media, and the rate limit reached while their insights are read
    instagram_media(graph, 2)

    def listing() -> object:
        return ig.recent(reader(graph, "instagram"), 100)

    limited = refusal(graph, "rate_limit", "/insights", listing)
    assert limited.retryable and limited.retry_after_s == 300
    # AND the app's limit on the listing itself (code 4)
    bare = refusal(graph, "rate_limit_bare", "/media", listing)
    assert bare.retryable and bare.code == "4"
    # AND a revoked token needs a person
    revoked = refusal(graph, "revoked", "/media", listing)
    assert revoked.auth and not revoked.retryable
