"""TikTok engagement read-back (functions/ingest/engagement/tiktok.py) against the
contract fake (infra/peers/tiktok.py): videos made through the fake (by the publish
adapter, or by ``video/init`` alone when the video is not public yet), their counts set
with the fake's ``engagement`` hook, read back and mapped; and the backfill's listing of the
account's latest videos (``recent``)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

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
from functions.ingest.engagement import DELETED, OK, PENDING, Posted, Reader, Reading
from functions.ingest.engagement import tiktok as module
from functions.ingest.sources import BadPage
from functions.publish.adapters import adapter_for
from functions.publish.adapters.base import PostRequest
from functions.publish.adapters.tiktok import TikTokAdapter
from infra.peers import Reply, tiktok
from schema.brand import Account

VIDEO = ("https://cdn.example.com/a.mp4", "video", "")
QUERY, STATUS = "/v2/video/query/", "/v2/post/publish/status/fetch/"
LIST = "/v2/video/list/"


def no_sleep(seconds: float) -> None:
    pass


@pytest.fixture
def fake() -> Iterator[tiktok.TikTokFake]:
    with serving(tiktok.TikTokFake(polls_until_complete=0)) as running:
        yield running


def reader(fake: tiktok.TikTokFake) -> Reader:
    account = Account(handle="brand", id=tiktok.OPEN_ID, secret="socialops/brand/tiktok")
    return Reader("tiktok", "brand", account, fake.url, lambda: tiktok.TOKEN)


def publish(fake: tiktok.TikTokFake, count: int) -> list[Posted]:
    """Videos published and public: the adapter recorded each video id."""
    adapter = adapter_for("tiktok", fake.url, sleep=no_sleep)
    made = []
    for n in range(count):
        request = PostRequest(f"Autumn rides {n}", f"k-{n}", "@brand", media=(VIDEO,))
        done = adapter.publish(request, Token(tiktok.TOKEN))
        made.append(posted(done))
    return made


def started(fake: tiktok.TikTokFake, title: str) -> Posted:
    """A video whose publishing started (``video/init``) and whose id the adapter did not
    get: its publish record holds the publish_id, as post id and as note."""
    adapter = TikTokAdapter(fake.url, sleep=no_sleep)
    init = adapter.call("video/init/", Token(tiktok.TOKEN), {
        "post_info": {"title": title, "privacy_level": "PUBLIC_TO_EVERYONE"},
        "source_info": {"source": "PULL_FROM_URL", "video_url": VIDEO[0]}})  # fmt: skip
    publish_id = str(init["publish_id"])
    return Posted(publish_id, "", "2026-12-06T09:00:00Z", {"init": "sent",
                                                          "publish_id": publish_id})  # fmt: skip


def test_a_public_video_is_read_and_mapped(fake) -> None:
    # GIVEN a published video with counts
    [post] = publish(fake, 1)
    set_counts(fake, {post.post_id: {"likes": 11, "comments": 4, "shares": 2, "views": 900}})
    # WHEN it is read back
    [reading] = module.read(reader(fake), [post])
    # THEN TikTok's counts are ours, and its id was known: no status was asked
    assert reading == Reading(post.post_id, {"likes": 11, "comments": 4, "shares": 2,
                                             "views": 900})  # fmt: skip
    [asked] = [r for r in fake.requests if r.path == QUERY]
    assert set(asked.query["fields"].split(",")) == {"id", "like_count", "comment_count",
                                                     "share_count", "view_count"}  # fmt: skip
    assert asked.body == {"filters": {"video_ids": [post.post_id]}}
    assert fake.paths().count(STATUS) == 1  # the adapter's, at publish time


def test_metrics_tiktok_does_not_give_are_absent(fake) -> None:
    # GIVEN a video the hook says was saved, reached and clicked (the Display API says not)
    [post] = publish(fake, 1)
    set_counts(fake, {post.post_id: {"saves": 5, "reach": 40, "clicks": 3, "quotes": 1}})
    [reading] = module.read(reader(fake), [post])
    # THEN those are absent, and what TikTok gives is there (0: nobody reacted)
    assert reading.metrics == {"likes": 0, "comments": 0, "shares": 0, "views": 0}


def test_a_video_not_public_yet_is_pending_then_read_with_its_id_reported(fake) -> None:
    # GIVEN a video whose publishing goes on for one more status poll
    fake.polls = 1
    post = started(fake, "Autumn rides, soon")
    # WHEN it is read while TikTok is still processing it
    [first] = module.read(reader(fake), [post])
    # THEN it is pending, with no metrics
    assert first.status == PENDING and first.metrics == {} and "PROCESSING" in first.detail
    # WHEN it is read again once TikTok made it public
    video = fake.jobs[post.post_id]["post"]
    set_counts(fake, {video: {"likes": 3, "views": 70}})
    [second] = module.read(reader(fake), [post])
    # THEN it is read, and the video id is reported for the caller to keep
    assert second.status == OK and second.metrics["likes"] == 3
    assert f"video_id={video}" in second.detail.split()
    # WHEN the caller kept it THEN the next read asks no status
    kept = Posted(post.post_id, "", post.published_at, {**post.notes, "video_id": video})
    statuses = fake.paths().count(STATUS)
    [third] = module.read(reader(fake), [kept])
    assert third.metrics["views"] == 70 and fake.paths().count(STATUS) == statuses


def test_a_failed_publish_is_deleted(fake) -> None:
    # GIVEN TikTok says the publish failed
    post = started(fake, "Autumn rides, broken")
    failed = {"data": {"status": "FAILED", "fail_reason": "file_format_check_failed"},
              "error": {"code": "ok", "message": "", "log_id": tiktok.LOG_ID}}  # fmt: skip
    fake.answer_next(Reply(body=failed), on=STATUS)
    # WHEN it is read THEN nothing went out: deleted, with TikTok's reason
    [reading] = module.read(reader(fake), [post])
    assert reading.status == DELETED and "file_format_check_failed" in reading.detail


def test_many_videos_are_queried_twenty_at_a_time_each_once(fake) -> None:
    # GIVEN more videos than one query takes
    posts = publish(fake, module.BATCH + 3)
    set_counts(fake, {p.post_id: {"likes": n} for n, p in enumerate(posts)})
    # WHEN they are read back
    readings = module.read(reader(fake), posts)
    # THEN two queries read every video once, the first with TikTok's maximum of 20
    queries = [r.body["filters"]["video_ids"] for r in fake.requests if r.path == QUERY]
    assert [len(q) for q in queries] == [20, 3]
    assert sorted(i for q in queries for i in q) == sorted(p.post_id for p in posts)
    assert {r.post_id: r.metrics["likes"] for r in readings} == {
        p.post_id: n for n, p in enumerate(posts)}  # fmt: skip


def test_a_deleted_video_is_deleted_and_the_others_are_still_read(fake) -> None:
    posts = publish(fake, 3)
    set_counts(fake, {p.post_id: {"views": 5} for p in posts})
    # GIVEN the creator deleted the second video
    fake.delete(posts[1].post_id)
    readings = by_id(module.read(reader(fake), posts))
    # THEN it is deleted (left out of the query's answer), the others read
    assert readings[posts[1].post_id].status == DELETED
    assert readings[posts[1].post_id].metrics == {}
    assert [readings[p.post_id].metrics["views"] for p in (posts[0], posts[2])] == [5, 5]


def test_a_rate_limit_is_retryable_with_its_wait(fake) -> None:
    [post] = publish(fake, 1)
    fake.fail_next("rate_limit", on=QUERY)
    with pytest.raises(PlatformError) as caught:
        module.read(reader(fake), [post])
    assert caught.value.retryable and caught.value.retry_after_s == 60


def test_an_error_in_a_200_answer_is_raised(fake) -> None:
    # GIVEN TikTok answers 200 with an error code (its answers always carry one)
    [post] = publish(fake, 1)
    body = {"data": {}, "error": {"code": "rate_limit_exceeded", "message": "",
                                  "log_id": tiktok.LOG_ID}}  # fmt: skip
    fake.answer_next(Reply(body=body), on=QUERY)
    with pytest.raises(PlatformError) as caught:
        module.read(reader(fake), [post])
    assert caught.value.retryable


@pytest.mark.parametrize("kind", ["expired", "scope"])
def test_an_invalid_token_or_a_missing_scope_needs_a_person(fake, kind: str) -> None:
    [post] = publish(fake, 1)
    fake.fail_next(kind, on=QUERY)
    with pytest.raises(PlatformError) as caught:
        module.read(reader(fake), [post])
    assert caught.value.auth and not caught.value.retryable


def test_a_page_that_is_not_json_is_a_bad_page(fake) -> None:
    [post] = publish(fake, 1)
    fake.answer_next(Reply(raw=b"<html>502 Bad Gateway</html>"), on=QUERY)
    with pytest.raises(BadPage):
        module.read(reader(fake), [post])


def test_an_answer_without_data_is_a_bad_page(fake) -> None:
    [post] = publish(fake, 1)
    fake.answer_next(Reply(body={"error": {"code": "ok"}, "data": []}), on=QUERY)
    with pytest.raises(BadPage):
        module.read(reader(fake), [post])


def test_followers(fake) -> None:
    fake.followers = lambda when: 52_000
    assert module.followers(reader(fake)) == 52_000
    [asked] = [r for r in fake.requests if r.path == "/v2/user/info/"]
    assert asked.query == {"fields": "follower_count"}


def test_followers_with_an_expired_token_needs_a_person(fake) -> None:
    fake.fail_next("expired", on="/v2/user/info/")
    with pytest.raises(PlatformError) as caught:
        module.followers(reader(fake))
    assert caught.value.auth


# ---- backfill: the account's latest videos ---------------------------------------------

START = datetime(2026, 11, 30, 9, tzinfo=UTC)


def hourly(fake: tiktok.TikTokFake, count: int) -> tuple[list[Posted], list[str]]:
    """``count`` videos by the publish adapter, an hour apart, and when each went out."""
    made, times = [], []
    for n in range(count):
        times.append(hour(fake, START, n))
        made.extend(publish_titled(fake, f"Autumn rides {n}"))
    return made, times


def publish_titled(fake: tiktok.TikTokFake, title: str) -> list[Posted]:
    adapter = adapter_for("tiktok", fake.url, sleep=no_sleep)
    request = PostRequest(title, f"k-{title}", "@brand", media=(VIDEO,))
    return [posted(adapter.publish(request, Token(tiktok.TOKEN)))]


def lists(fake: tiktok.TikTokFake) -> list[dict[str, object]]:
    """The body of each video/list request."""
    return [r.body for r in fake.requests if r.path == LIST]


def test_recent_lists_the_videos_newest_first_with_reads_counts(fake) -> None:
    # GIVEN seven videos an hour apart (more than a page of the fake's list), with counts
    posts, times = hourly(fake, 7)
    fake.engagement = lambda post_id, when, text: {
        "likes": int(text.split()[-1]), "comments": 3, "shares": 1, "views": 700, "saves": 4,
        "reach": 500}  # fmt: skip
    # WHEN the account's recent videos are listed
    recent = module.recent(reader(fake), 100)
    # THEN all seven, newest first, each as publish recorded it (video id, URL without
    # TikTok's tracking query), at TikTok's time, with its caption; every one a video
    assert_listed_newest_first(recent, posts, times, [f"Autumn rides {n}" for n in range(7)])
    assert {r.media for r in recent} == {"video"}
    # AND the counts are what ``read`` makes of the same videos (no saves or reach)
    assert_read_alike(recent, module.read(reader(fake), posts))
    assert recent[0].reading == Reading(posts[6].post_id, {"likes": 6, "comments": 3,
                                                           "shares": 1, "views": 700})  # fmt: skip
    # AND they came from two pages of video/list (the fake gives five a page), the second
    # from the first's cursor, with the documented fields
    [first, second] = [r for r in fake.requests if r.path == LIST]
    assert first.body == {"max_count": 20}
    assert second.body["max_count"] == 20 and isinstance(second.body["cursor"], int)
    assert set(first.query["fields"].split(",")) == {
        "id", "create_time", "title", "video_description", "share_url", "like_count",
        "comment_count", "share_count", "view_count"}  # fmt: skip


def test_recent_honours_the_limit_across_pages(fake) -> None:
    # GIVEN seven videos
    posts, _ = hourly(fake, 7)
    # WHEN at most three, then at most six, then none are listed  THEN the three newest,
    # the six newest, and nothing (nothing asked)
    assert_newest_within_limits(fake, lambda limit: module.recent(reader(fake), limit), posts)
    # AND the three from one request of three, the six from a page of five and one of the
    # one left
    assert [b["max_count"] for b in lists(fake)] == [3, 6, 1]


def test_recent_leaves_out_counts_the_list_does_not_give(fake) -> None:
    # GIVEN a list answer whose video has no view_count and no description, only a title
    created = int(START.timestamp())
    listed = {"data": {"videos": [{"id": "7400000000000000123", "create_time": created,
                                   "title": "Autumn rides", "like_count": 5,
                                   "comment_count": 0, "share_count": 2}],
                       "cursor": created * 1000, "has_more": False},
              "error": {"code": "ok", "message": "", "log_id": tiktok.LOG_ID}}  # fmt: skip
    fake.answer_next(Reply(body=listed), on=LIST)
    # WHEN it is listed
    [video] = module.recent(reader(fake), 100)
    # THEN its views are absent (not 0), the title is its text, and the URL is built as
    # publish builds it for the account's handle
    assert video.reading.metrics == {"likes": 5, "comments": 0, "shares": 2}
    assert video.text == "Autumn rides" and video.media == "video"
    assert video.posted == Posted("7400000000000000123",
                                  "https://www.tiktok.com/@brand/video/7400000000000000123",
                                  "2026-11-30T09:00:00Z")  # fmt: skip


def test_recent_rate_limit_and_token_errors_raise(fake) -> None:
    publish_titled(fake, "Autumn rides")

    def listing() -> object:
        return module.recent(reader(fake), 100)

    # GIVEN TikTok's rate limit on the list (a 429 with Retry-After, or its code in a 200)
    limited = refusal(fake, "rate_limit", LIST, listing)
    assert limited.retryable and limited.retry_after_s == 60
    in_200 = {"data": {}, "error": {"code": "rate_limit_exceeded", "message": "",
                                    "log_id": tiktok.LOG_ID}}  # fmt: skip
    fake.answer_next(Reply(body=in_200), on=LIST)
    with pytest.raises(PlatformError) as coded:
        listing()
    assert coded.value.retryable
    # AND an invalid token, or a missing scope, needs a person
    for kind in ("expired", "scope"):
        refused = refusal(fake, kind, LIST, listing)
        assert refused.auth and not refused.retryable


@pytest.mark.parametrize(
    "body",
    [
        {"error": {"code": "ok"}, "data": {"videos": {"id": "1"}}},
        {"error": {"code": "ok"}, "data": {"videos": [{"id": "1"}]}},
        {"error": {"code": "ok"}, "data": {"videos": [{"title": "x"}]}},
    ],
)
def test_recent_of_a_list_not_of_the_documented_shape_is_a_bad_page(fake, body) -> None:
    # GIVEN videos that are not a list, a video without its time, one without its id
    fake.answer_next(Reply(body=body), on=LIST)
    with pytest.raises(BadPage):
        module.recent(reader(fake), 100)
