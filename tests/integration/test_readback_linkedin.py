"""LinkedIn engagement read-back (functions/ingest/engagement/linkedin.py) against the
contract fake (infra/peers/linkedin.py): posts made through the fake by the publish
adapter (or posted as LinkedIn documents, for content publish does not make), their counts
set with the fake's ``engagement`` hook, read back and mapped; and the backfill's listing of
the organization's latest posts (``recent``)."""

from __future__ import annotations

import json
import re
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from readback_peers import (
    assert_listed_newest_first,
    assert_newest_within_limits,
    assert_read_alike,
    by_id,
    hour,
    posted,
    refusal,
    serving,
    set_counts,
)

from functions.common.platform.errors import PlatformError
from functions.common.platform.tokens import Token
from functions.ingest.engagement import DELETED, MEDIA_KINDS, METRICS, OK, Posted, Reader, Reading
from functions.ingest.engagement import linkedin as module
from functions.ingest.sources import BadPage
from functions.publish.adapters import adapter_for
from functions.publish.adapters.base import PostRequest
from infra.peers import Reply, linkedin
from schema.brand import Account
from schema.platforms import PLATFORMS

PERSON = "urn:li:person:abc123"


@pytest.fixture
def fake() -> Iterator[linkedin.LinkedInFake]:
    with serving(linkedin.LinkedInFake()) as running:
        yield running


def reader(fake: linkedin.LinkedInFake, author: str = linkedin.ORG) -> Reader:
    account = Account(handle="brand", id=author, secret="socialops/brand/linkedin")
    return Reader("linkedin", "brand", account, fake.url, lambda: linkedin.TOKEN)


def publish(fake: linkedin.LinkedInFake, count: int, author: str = linkedin.ORG) -> list[Posted]:
    adapter = adapter_for("linkedin", fake.url)
    made = []
    for n in range(count):
        request = PostRequest(f"Autumn news {n}", f"k-{n}", "brand", account_id=author)
        done = adapter.publish(request, Token(linkedin.TOKEN))
        made.append(posted(done))
    return made


def test_an_organization_post_reads_social_actions_and_share_statistics(fake) -> None:
    # GIVEN two organization posts, one with reactions and impressions, one untouched
    first, second = publish(fake, 2)
    set_counts(fake, {first.post_id: {"likes": 7, "comments": 3, "views": 420, "reach": 300,
                                      "clicks": 12, "shares": 2}})  # fmt: skip
    # WHEN they are read back
    readings = by_id(module.read(reader(fake), [first, second]))
    # THEN LinkedIn's fields are mapped to ours, and the post with no actions or impressions
    # (left out of the statistics, as LinkedIn documents) has zeros
    assert readings[first.post_id] == Reading(first.post_id, {
        "likes": 7, "comments": 3, "views": 420, "reach": 300, "clicks": 12, "shares": 2})  # fmt: skip
    assert readings[second.post_id].metrics == {"likes": 0, "comments": 0, "views": 0,
                                                "reach": 0, "clicks": 0, "shares": 0}  # fmt: skip
    # and every call carried the table's version and Rest.li 2.0.0
    reads = [r for r in fake.requests if r.method == "GET"]
    assert {r.headers["linkedin-version"] for r in reads} == {PLATFORMS["linkedin"].api_version}
    assert {r.headers["x-restli-protocol-version"] for r in reads} == {"2.0.0"}


def test_metrics_linkedin_does_not_give_are_absent(fake) -> None:
    # GIVEN a post the hook says was quoted and saved (LinkedIn's APIs count neither)
    [post] = publish(fake, 1)
    set_counts(fake, {post.post_id: {"likes": 1, "quotes": 5, "saves": 4, "views": 9}})
    # WHEN it is read back
    [reading] = module.read(reader(fake), [post])
    # THEN quotes and saves are absent, not 0
    assert "quotes" not in reading.metrics and "saves" not in reading.metrics
    assert reading.metrics["likes"] == 1 and reading.metrics["views"] == 9
    assert set(reading.metrics) <= set(METRICS)


def test_statistics_that_lag_behind_the_social_actions_are_left_out(fake) -> None:
    # GIVEN a post with likes whose statistics LinkedIn has not computed yet
    [post] = publish(fake, 1)
    set_counts(fake, {post.post_id: {"likes": 2}})
    lagging = Reply(body={"elements": [], "paging": {"count": 10, "start": 0}})
    fake.answer_next(lagging, on="organizationalEntityShareStatistics")
    # WHEN it is read back
    [reading] = module.read(reader(fake), [post])
    # THEN the likes are there, and views, reach, clicks and shares are absent (not 0)
    assert reading.metrics == {"likes": 2, "comments": 0}


def test_many_posts_are_read_in_batches_each_once(fake) -> None:
    # GIVEN more posts than one batch request takes
    posts = publish(fake, module.BATCH + 5)
    set_counts(fake, {p.post_id: {"likes": n, "views": 10 * n} for n, p in enumerate(posts)})
    # WHEN they are read back
    readings = module.read(reader(fake), posts)
    # THEN two batch requests of social actions and of statistics read every post once
    assert fake.paths("GET").count("/rest/socialActions") == 2
    assert fake.paths("GET").count("/rest/organizationalEntityShareStatistics") == 2
    assert sorted(r.post_id for r in readings) == sorted(p.post_id for p in posts)
    assert all(r.status == OK for r in readings)
    assert {r.post_id: r.metrics.get("likes") for r in readings} == {
        p.post_id: n for n, p in enumerate(posts)}  # fmt: skip
    batches = [r.query["ids"] for r in fake.requests if r.path == "/rest/socialActions"]
    assert [b.count(",") + 1 for b in batches] == [module.BATCH, 5]


def test_a_deleted_post_is_deleted_and_the_others_are_still_read(fake) -> None:
    # GIVEN three posts, the middle one deleted on LinkedIn
    posts = publish(fake, 3)
    set_counts(fake, {p.post_id: {"likes": 4} for p in posts})
    fake.delete(posts[1].post_id)
    # WHEN they are read back
    readings = by_id(module.read(reader(fake), posts))
    # THEN the deleted one says so, with no metrics; the others are read
    assert readings[posts[1].post_id].status == DELETED
    assert readings[posts[1].post_id].metrics == {} and readings[posts[1].post_id].detail
    assert [readings[p.post_id].metrics["likes"] for p in (posts[0], posts[2])] == [4, 4]


def test_a_batch_error_other_than_not_found_is_raised(fake) -> None:
    # GIVEN a batch answer whose only entry is refused (403), not missing
    [post] = publish(fake, 1)
    refused = {"status": 403, "message": "Not enough permissions", "code": "ACCESS_DENIED"}
    fake.answer_next(Reply(body={"results": {}, "statuses": {post.post_id: 403},
                                 "errors": {post.post_id: refused}}), on="/rest/socialActions")  # fmt: skip
    # WHEN it is read back THEN the refusal is raised, not taken for a deletion
    with pytest.raises(PlatformError) as caught:
        module.read(reader(fake), [post])
    assert caught.value.auth and caught.value.status == 403


def test_a_member_post_gets_likes_and_comments_only(fake) -> None:
    # GIVEN a fake whose author is a member, and one of its posts with impressions
    member = linkedin.LinkedInFake(org=PERSON)
    with serving(member):
        [post] = publish(member, 1, author=PERSON)
        set_counts(member, {post.post_id: {"likes": 3, "comments": 1, "views": 50}})
        # WHEN it is read back with the member's account
        [reading] = module.read(reader(member, PERSON), [post])
        # THEN only the social actions are read: no statistics, and no follower count
        assert reading.metrics == {"likes": 3, "comments": 1}
        assert "/rest/organizationalEntityShareStatistics" not in member.paths()
        assert module.followers(reader(member, PERSON)) is None
        assert "/rest/networkSizes" not in " ".join(member.paths())


def test_a_rate_limit_is_retryable_with_its_wait(fake) -> None:
    [post] = publish(fake, 1)
    # GIVEN LinkedIn's daily throttle on the next call
    fake.fail_next("rate_limit", on="/rest/socialActions")
    # WHEN the post is read THEN a retryable error says how long to wait
    with pytest.raises(PlatformError) as caught:
        module.read(reader(fake), [post])
    assert caught.value.retryable and caught.value.retry_after_s == 3600


@pytest.mark.parametrize("kind", ["expired", "revoked"])
def test_an_expired_or_revoked_token_needs_a_person(fake, kind: str) -> None:
    [post] = publish(fake, 1)
    fake.fail_next(kind, on="/rest/socialActions")
    with pytest.raises(PlatformError) as caught:
        module.read(reader(fake), [post])
    assert caught.value.auth and not caught.value.retryable


def test_a_page_that_is_not_json_is_a_bad_page(fake) -> None:
    [post] = publish(fake, 1)
    fake.answer_next(Reply(raw=b"<html>Service Unavailable</html>"), on="/rest/socialActions")
    with pytest.raises(BadPage):
        module.read(reader(fake), [post])


@pytest.mark.parametrize("shape", ["a list", "results not an object", "a result not an object"])
def test_an_answer_of_the_wrong_shape_is_a_bad_page(fake, shape: str) -> None:
    [post] = publish(fake, 1)
    body: Any = {"a list": [1, 2], "results not an object": {"results": [1]},
                 "a result not an object": {"results": {post.post_id: 1}}}[shape]  # fmt: skip
    fake.answer_next(Reply(body=body), on="/rest/socialActions")
    with pytest.raises(BadPage):
        module.read(reader(fake), [post])


def test_followers_of_the_organization(fake) -> None:
    # GIVEN an organization with 4,321 followers
    fake.followers = lambda when: 4321
    # WHEN its follower count is read THEN networkSizes' firstDegreeSize is it
    assert module.followers(reader(fake)) == 4321
    [asked] = [r for r in fake.requests if r.path.startswith("/rest/networkSizes/")]
    assert asked.query == {"edgeType": "COMPANY_FOLLOWED_BY_MEMBER"}


def test_nothing_to_read_calls_nothing(fake) -> None:
    assert module.read(reader(fake), []) == [] and fake.requests == []


# ---- backfill: the organization's latest posts -----------------------------------------

START = datetime(2026, 11, 30, 9, tzinfo=UTC)
FINDER = "/rest/posts"


def hourly(fake: linkedin.LinkedInFake, count: int) -> tuple[list[Posted], list[str]]:
    """``count`` posts by the publish adapter, an hour apart, and when each went out."""
    made, times = [], []
    for n in range(count):
        times.append(hour(fake, START, n))
        made.extend(publish_texts(fake, [f"Autumn news {n}"]))
    return made, times


def publish_texts(fake: linkedin.LinkedInFake, texts: list[str]) -> list[Posted]:
    adapter = adapter_for("linkedin", fake.url)
    return [posted(adapter.publish(PostRequest(text, f"k-{text}", "brand",
                                               account_id=linkedin.ORG), Token(linkedin.TOKEN)))
            for text in texts]  # fmt: skip


def post_as_documented(fake: linkedin.LinkedInFake, commentary: str, content: Any) -> str:
    """A post with ``content`` (an image, a video, images, a document), created with
    ``POST /rest/posts`` as LinkedIn documents it; its URN. The media it names were
    uploaded elsewhere: the fake is told it holds them (it refuses media it does not)."""
    for urn in re.findall(r"urn:li:(?:image|video):\w+", json.dumps(content)):
        fake.add_asset(urn)
    body = {"author": linkedin.ORG, "commentary": commentary, "visibility": "PUBLIC",
            "distribution": {"feedDistribution": "MAIN_FEED", "targetEntities": [],
                             "thirdPartyDistributionChannels": []},
            "content": content, "lifecycleState": "PUBLISHED",
            "isReshareDisabledByAuthor": False}  # fmt: skip
    request = urllib.request.Request(f"{fake.url}/rest/posts", json.dumps(body).encode(), {
        "Authorization": f"Bearer {linkedin.TOKEN}", "Content-Type": "application/json",
        "LinkedIn-Version": linkedin.VERSION, "X-Restli-Protocol-Version": "2.0.0"})  # fmt: skip
    with urllib.request.urlopen(request) as answer:
        return str(answer.headers["x-restli-id"])


def finder_calls(fake: linkedin.LinkedInFake) -> list[Any]:
    return [r for r in fake.requests if r.path == FINDER and r.method == "GET"]


def test_recent_lists_the_organizations_posts_newest_first_with_reads_counts(fake) -> None:
    # GIVEN seven organization posts an hour apart (more than a page of the fake's finder),
    # each with its counts
    posts, times = hourly(fake, 7)
    fake.engagement = lambda post_id, when, text: {
        "likes": int(text.split()[-1]), "comments": 1, "views": 200, "reach": 150, "clicks": 4,
        "shares": 1, "saves": 9}  # fmt: skip
    # WHEN the organization's recent posts are listed
    recent = module.recent(reader(fake), 100)
    # THEN all seven, newest first, each as publish recorded it (URN and feed URL), at
    # LinkedIn's time, with its text; text alone is no media
    assert_listed_newest_first(recent, posts, times, [f"Autumn news {n}" for n in range(7)])
    assert {r.media for r in recent} == {"none"}
    # AND the counts are what ``read`` makes of the same posts (no saves: LinkedIn has none)
    assert_read_alike(recent, module.read(reader(fake), posts))
    assert recent[0].reading.metrics == {"likes": 6, "comments": 1, "views": 200, "reach": 150,
                                         "clicks": 4, "shares": 1}  # fmt: skip
    # AND the finder was asked by author, newest created first, page by page, with the
    # version headers and FINDER method
    calls = finder_calls(fake)
    assert [(c.query["start"], c.query["count"]) for c in calls] == [("0", "100"), ("5", "95")]
    assert {(c.query["q"], c.query["author"], c.query["sortBy"]) for c in calls} == {
        ("author", linkedin.ORG, "CREATED")}  # fmt: skip
    assert {c.headers["x-restli-method"] for c in calls} == {"FINDER"}
    assert {c.headers["linkedin-version"] for c in calls} == {PLATFORMS["linkedin"].api_version}


def test_recent_honours_the_limit_across_pages(fake) -> None:
    # GIVEN seven posts
    posts, _ = hourly(fake, 7)
    # WHEN at most three, then at most six, then none are listed  THEN the three newest,
    # the six newest, and nothing (nothing asked)
    assert_newest_within_limits(fake, lambda limit: module.recent(reader(fake), limit), posts)
    # AND the three from one page of three, the six from a page of five and one of the one
    # left, and their counts read in one batch each
    calls = finder_calls(fake)
    assert [(c.query["start"], c.query["count"]) for c in calls] == [("0", "3"), ("0", "6"),
                                                                       ("5", "1")]  # fmt: skip
    assert fake.paths("GET").count("/rest/socialActions") == 2


def test_recent_text_is_plain_and_media_kinds_are_ours(fake) -> None:
    # GIVEN posts with reserved characters, a link, an image, a video, images and a document
    [escaped] = publish_texts(fake, ["Autumn (50% off) for *cyclists* #sale"])
    adapter = adapter_for("linkedin", fake.url)
    link = posted(adapter.publish(PostRequest("Read more", "k-link", "brand",
                                              account_id=linkedin.ORG,
                                              link="https://brand.example/autumn"),
                                  Token(linkedin.TOKEN)))  # fmt: skip
    image = post_as_documented(
        fake,
        "Our {hashtag|\\#|autumn} range with @[Acme](urn:li:organization:1)",
        {"media": {"id": "urn:li:image:C4D22AQ", "altText": "A bike"}},
    )
    video = post_as_documented(fake, "Ride", {"media": {"id": "urn:li:video:C5F10AQ",
                                                        "title": "Ride"}})  # fmt: skip
    album = post_as_documented(fake, "Colours", {"multiImage": {"images": [
        {"id": "urn:li:image:C4D22AQ1"}, {"id": "urn:li:image:C4D22AQ2"}]}})  # fmt: skip
    document = post_as_documented(fake, "Catalogue", {"media": {
        "id": "urn:li:document:D4E10AQ", "title": "Catalogue"}})  # fmt: skip
    # WHEN they are listed
    recent = {r.posted.post_id: r for r in module.recent(reader(fake), 100)}
    # THEN the commentary is the text as written (the little text format undone)
    assert recent[escaped.post_id].text == "Autumn (50% off) for *cyclists* #sale"
    assert recent[image].text == "Our #autumn range with Acme"
    # AND each post's media in our words; a document is none of ours (None: not said)
    assert {k: recent[k].media for k in (link.post_id, image, video, album, document)} == {
        link.post_id: "none",
        image: "image",
        video: "video",
        album: "album",
        document: None,
    }
    assert {r.media for r in recent.values()} - {None} <= set(MEDIA_KINDS)


def test_recent_statistics_that_lag_are_absent(fake) -> None:
    # GIVEN a post with likes whose share statistics LinkedIn has not computed yet
    [post] = publish_texts(fake, ["Autumn news"])
    set_counts(fake, {post.post_id: {"likes": 2, "views": 40}})
    fake.answer_next(Reply(body={"elements": [], "paging": {"count": 10, "start": 0}}),
                     on="organizationalEntityShareStatistics")  # fmt: skip
    # WHEN it is listed
    [listed] = module.recent(reader(fake), 100)
    # THEN its likes and comments are there, the statistics absent (not 0)
    assert listed.reading == Reading(post.post_id, {"likes": 2, "comments": 0})


def test_recent_rate_limit_and_token_errors_raise(fake) -> None:
    publish_texts(fake, ["Autumn news"])

    def listing() -> object:
        return module.recent(reader(fake), 100)

    # GIVEN LinkedIn's daily throttle on the finder
    # WHEN the posts are listed THEN a retryable error says how long to wait
    limited = refusal(fake, "rate_limit", FINDER, listing)
    assert limited.retryable and limited.retry_after_s == 3600
    # AND the throttle on the counts of the listed posts stops it too
    assert refusal(fake, "rate_limit_bare", "/rest/socialActions", listing).retryable
    # AND an expired or revoked token needs a person
    for kind in ("expired", "revoked"):
        refused = refusal(fake, kind, FINDER, listing)
        assert refused.auth and not refused.retryable


def test_recent_of_a_listing_not_of_the_documented_shape_is_a_bad_page(fake) -> None:
    # GIVEN a finder answer whose elements are not a list, then a post without its times
    fake.answer_next(Reply(body={"elements": {"id": "urn:li:share:1"}}), on=FINDER)
    with pytest.raises(BadPage):
        module.recent(reader(fake), 100)
    fake.answer_next(
        Reply(
            body={
                "elements": [{"id": "urn:li:share:1", "commentary": "Hi"}],
                "paging": {"start": 0, "count": 10, "total": 1},
            }
        ),
        on=FINDER,
    )
    with pytest.raises(BadPage):
        module.recent(reader(fake), 100)
