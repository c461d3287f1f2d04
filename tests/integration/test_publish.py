"""The ``publish`` function end to end: Powertools idempotency, records, pause, tokens and
dead letters in moto (in-process), platforms as contract fakes on loopback (infra/peers).

Every fault the issue lists has a test here: duplicate and concurrent deliveries, a crash
between publishing and recording, 429 with and without reset headers, 500s, expired and
revoked tokens, a campaign removed between schedule and fire, a time zone rule that
changed between deploy and fire, a paused brand, text that awaits review.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from publish_world import REGION, SECRETS, World, event

from functions.common import config
from functions.common.config import CONFIG_DIR_ENV
from functions.common.errors import EventError
from functions.common.pause import pause, resume
from functions.common.platform.tokens import refresh_due
from functions.publish.records import Records
from functions.publish.service import key_of
from infra.peers import x

# --- publishing, once --------------------------------------------------------------


@pytest.mark.parametrize("channel", ["x", "mastodon", "bluesky", "linkedin", "facebook"])
def test_publishes_once_and_ignores_a_duplicate_delivery(world: World, channel: str) -> None:
    first = world.invoke(event(channel=channel))
    assert first["status"] == "published" and first["post_id"] and first["url"]
    again = world.invoke(event(channel=channel))
    assert again["post_id"] == first["post_id"] and again["replayed"]
    assert world.posts(channel) == 1
    record = world.record(event(channel=channel))
    assert record["status"] == "published" and record["post_id"] == first["post_id"]
    assert ("Published", channel) in world.metrics
    # each call publish made was checked against its role (tests/publish_world.py)
    assert world.iam is not None and world.iam.checked >= 5 and world.iam.denied == []


def test_text_follows_override_then_locale_then_post(world: World) -> None:
    world.invoke(event(channel="linkedin"))
    world.invoke(event(channel="x"))
    world.invoke(event(channel="mastodon", locale=""))
    assert world.fakes["x"].tweets[0]["text"] == "Bonjour de la part d'acme #acme"  # type: ignore[attr-defined]
    linkedin_post = world.fakes["linkedin"].posts[0]  # type: ignore[attr-defined]
    assert "professional network" in json.dumps(linkedin_post)
    assert "Hello from acme" in json.dumps(world.fakes["mastodon"].statuses[0])  # type: ignore[attr-defined]


def test_media_posts_go_out_on_instagram_and_tiktok(world: World) -> None:
    assert world.invoke(event("picture", "instagram", "2027-01-15T09:00:00Z", ""))[
        "status"] == "published"  # fmt: skip
    assert world.invoke(event("clip", "tiktok", "2027-01-15T10:00:00Z", ""))[
        "status"] == "published"  # fmt: skip
    assert world.posts("instagram") == 1 and world.posts("tiktok") == 1
    # the records say what each carried (the read-back's lake rows keep it)
    picture = world.record(event("picture", "instagram", "2027-01-15T09:00:00Z", ""))
    clip = world.record(event("clip", "tiktok", "2027-01-15T10:00:00Z", ""))
    assert (picture["media"], clip["media"]) == ("image", "video")
    assert picture["text"] == "A picture of our day #acme"


def test_a_post_with_several_media_items_is_recorded_as_an_album() -> None:
    from functions.publish.adapters.base import PostRequest
    from functions.publish.due import media_kind

    def kind(*types: str) -> str:
        items = tuple((f"https://cdn.example/{i}", t, "") for i, t in enumerate(types))
        return media_kind(PostRequest("t", "k", "h", media=items))

    assert [kind(), kind("image"), kind("video"), kind("image", "video")] == [
        "none", "image", "video", "album"]  # fmt: skip


def test_concurrent_deliveries_post_once(world: World) -> None:
    results: list[Any] = []
    barrier = threading.Barrier(4)

    def deliver() -> None:
        barrier.wait()
        try:
            results.append(world.invoke(event()))
        except Exception as error:  # the losers are told to retry later
            results.append(error)

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert world.posts("x") == 1
    published = [r for r in results if isinstance(r, dict)]
    refused = [r for r in results if not isinstance(r, dict)]
    assert published and all(r["post_id"] == published[0]["post_id"] for r in published)
    assert all("progress" in type(r).__name__.lower() + str(r).lower() for r in refused)
    # a later redelivery (Lambda retries the losers) returns the one post
    assert world.invoke(event())["post_id"] == published[0]["post_id"]


# --- a crash between publishing and recording -----------------------------------------


def _crash_once_after_posting(monkeypatch: pytest.MonkeyPatch) -> None:
    real = Records.finish
    calls = {"n": 0}

    def finish(self: Records, *args: Any, **kwargs: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            raise ConnectionError("the function died before recording the post")
        real(self, *args, **kwargs)

    monkeypatch.setattr(Records, "finish", finish)


@pytest.mark.parametrize("channel", ["x", "mastodon", "bluesky", "linkedin", "facebook"])
def test_a_crash_after_posting_is_recovered_without_posting_twice(
    world: World, channel: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _crash_once_after_posting(monkeypatch)
    with pytest.raises(ConnectionError):
        world.invoke(event(channel=channel))
    assert world.posts(channel) == 1
    world.clock[0] += timedelta(minutes=1)  # Lambda retries the event a minute later
    again = world.invoke(event(channel=channel))
    assert again["status"] in ("recovered", "published")
    assert world.posts(channel) == 1
    assert world.record(event(channel=channel))["status"] == "published"


def test_a_killed_invocation_blocks_retries_until_its_deadline(world: World) -> None:
    # An invocation killed outright (timeout, out of memory) leaves its claim; until the
    # claim's deadline it may still be posting, so a redelivery must not race it.
    from functions.publish.service import key_of

    records = Records(world.table("PUBLISH_RECORDS_TABLE"))
    records.claim(key_of(event()), world.clock[0], world.clock[0] + timedelta(minutes=5))
    with pytest.raises(Exception, match="being published by another delivery"):
        world.invoke(event())
    assert world.posts("x") == 0
    world.clock[0] += timedelta(minutes=6)  # after the deadline: ask X, then post
    assert world.invoke(event())["status"] == "published"
    assert world.posts("x") == 1 and "/2/users/me" in world.fakes["x"].paths("GET")


def test_a_tiktok_crash_is_recovered_by_its_publish_id_not_reposted(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a crash after TikTok accepted the video, before the outcome was recorded
    clip = event("clip", "tiktok", "2027-01-15T10:00:00Z", "")
    _crash_once_after_posting(monkeypatch)
    with pytest.raises(ConnectionError):
        world.invoke(clip)
    # WHEN Lambda retries  THEN the publish_id written down before is asked, not re-posted
    world.clock[0] += timedelta(minutes=1)
    outcome = world.invoke(clip)
    assert outcome["status"] == "recovered" and world.posts("tiktok") == 1
    assert world.record(clip)["note_publish_id"] == world.fakes["tiktok"].published[0][  # type: ignore[attr-defined]
        "publish_id"]  # fmt: skip
    assert world.fakes["tiktok"].paths("POST").count("/v2/post/publish/video/init/") == 1


# --- platform refusals -------------------------------------------------------------


def test_429_with_a_reset_header_waits_as_told(world: World) -> None:
    world.fakes["x"].fail_next("rate_limit", on="/2/tweets")
    outcome = world.invoke(event())
    assert outcome["status"] == "published" and outcome["attempts"] == 2
    assert len(world.slept) == 1 and 100 <= world.slept[0] <= 125  # x-rate-limit-reset: +120 s
    assert world.posts("x") == 1


def test_429_without_reset_backs_off_exponentially(world: World) -> None:
    world.fakes["x"].fail_next("rate_limit_bare", on="/2/tweets", times=3)
    outcome = world.invoke(event())
    assert outcome["status"] == "published" and outcome["attempts"] == 4
    assert len(world.slept) == 3 and all(0 <= s <= 30 for s in world.slept)


def test_a_wait_longer_than_the_invocation_dead_letters_with_the_reason(world: World) -> None:
    world.fakes["bluesky"].fail_next("rate_limit", on="putRecord")  # ratelimit-reset +300 s
    outcome = world.invoke(event(channel="bluesky"))
    assert outcome["status"] == "failed" and "longer than this invocation" in outcome["reason"]
    assert world.slept == [] and world.posts("bluesky") == 0
    letters = world.dead_letters()
    assert letters[0]["event"]["post"] == "hello" and letters[0]["event"]["redrive"]
    note = world.notifications()[0]
    assert "rate limit" in note["Message"] and "hello" in note["Subject"]


def test_500s_are_retried_and_x_is_checked_before_each_retry(world: World) -> None:
    world.fakes["x"].fail_next("server_error", on="/2/tweets", times=2)
    outcome = world.invoke(event())
    assert outcome["status"] == "published" and outcome["attempts"] == 3
    assert world.fakes["x"].paths("GET").count("/2/users/me") == 2  # asked before each retry
    assert world.posts("x") == 1


def test_500s_that_never_stop_dead_letter_after_the_last_attempt(world: World) -> None:
    world.fakes["mastodon"].fail_next("server_error", on="/statuses", times=10)
    outcome = world.invoke(event(channel="mastodon"))
    assert outcome["status"] == "failed" and outcome["attempts"] == 5
    assert world.record(event(channel="mastodon"))["status"] == "failed"
    assert len(world.dead_letters()) == 1 and len(world.notifications()) == 1


def test_an_expired_token_is_refreshed_before_posting(world: World) -> None:
    secrets = boto3.client("secretsmanager", region_name=REGION)
    expired = {**SECRETS["x"], "expires_at": "2027-01-14T07:00:00Z"}
    secrets.put_secret_value(SecretId="socialops/acme/x", SecretString=json.dumps(expired))
    assert world.invoke(event())["status"] == "published"
    stored = json.loads(secrets.get_secret_value(SecretId="socialops/acme/x")["SecretString"])
    assert stored["access_token"] != x.TOKEN and stored["refresh_token"] != x.REFRESH
    assert stored["expires_at"] == "2027-01-14T10:00:00Z"  # clock + expires_in 7200 s
    assert "/2/oauth2/token" in world.fakes["x"].paths("POST")


def test_an_expired_token_that_cannot_be_refreshed_fails_with_what_to_do(world: World) -> None:
    secrets = boto3.client("secretsmanager", region_name=REGION)
    expired = {**SECRETS["linkedin"], "expires_at": "2027-01-01T00:00:00Z"}
    secrets.put_secret_value(SecretId="socialops/acme/linkedin", SecretString=json.dumps(expired))
    outcome = world.invoke(event(channel="linkedin"))
    assert outcome["status"] == "failed" and "expired on 2027-01-01" in outcome["reason"]
    assert world.fakes["linkedin"].paths("POST") == []  # refused before calling
    assert "renew" in world.notifications()[0]["Message"]


def test_a_revoked_token_fails_once_with_reconnect_advice(world: World) -> None:
    world.fakes["mastodon"].fail_next("revoked", on="/statuses")
    outcome = world.invoke(event(channel="mastodon"))
    assert outcome["status"] == "failed" and outcome["attempts"] == 1
    assert "token" in outcome["reason"] and world.posts("mastodon") == 0
    assert len(world.dead_letters()) == 1


# --- the post no longer exists as scheduled ------------------------------------------


def test_a_campaign_removed_after_scheduling_is_skipped_not_posted(world: World) -> None:
    (Path(world_config_dir()) / "launch.json").unlink()
    config.clear_cache()
    outcome = world.invoke(event())
    assert outcome["status"] == "skipped" and "no longer exists" in outcome["reason"]
    assert world.posts("x") == 0 and world.dead_letters() == []


def world_config_dir() -> str:
    import os

    return os.environ[CONFIG_DIR_ENV]


def test_a_time_zone_rule_changed_after_deploy_is_not_posted_at_the_old_time(
    world: World,
) -> None:
    # 2027-07-01 09:00 in Paris is 07:00Z (summer time). A schedule computed under other
    # rules (08:00Z, as if Paris stayed on winter time) is stale: a person must redeploy.
    stale = world.invoke(event("summer", at="2027-07-01T08:00:00Z", locale=""))
    assert stale["status"] == "stale" and "07:00:00Z in Europe/Paris" in stale["reason"]
    assert "socialops deploy" in stale["reason"] and world.posts("x") == 0
    assert world.dead_letters()[0]["outcome"]["status"] == "stale"
    # the schedule compiled across the change fires at 09:00 local
    right = world.invoke(event("summer", at="2027-07-01T07:00:00Z", locale=""))
    assert right["status"] == "published"


def test_outside_the_window_is_skipped(world: World) -> None:
    outcome = world.invoke(event(at="2028-01-14T08:00:00Z"))
    assert outcome["status"] == "skipped" and "outside the campaign window" in outcome["reason"]


def test_a_paused_brand_holds_the_post_until_a_person_redrives_it(world: World) -> None:
    flags = world.table("PAUSE_FLAGS_TABLE")
    pause(flags, "acme", "crisis", "person:ana", world.clock[0])
    held = world.invoke(event())
    assert held["status"] == "held" and "paused" in held["reason"] and world.posts("x") == 0
    again = world.invoke(event())  # a redelivery gets the same answer, and is not re-sent
    assert again["status"] == "held" and world.posts("x") == 0
    resume(flags, "acme")
    letters = world.dead_letters()
    assert len(letters) == 1
    letter = letters[0]
    redriven = world.invoke(letter["event"])
    assert redriven["status"] == "published" and world.posts("x") == 1


def test_generated_text_awaiting_review_is_held(world: World) -> None:
    # no generated file holds a text for it: held, and the reason says how to write one
    outcome = world.invoke(event("written", at="2027-01-20T08:00:00Z", locale=""))
    assert outcome["status"] == "held" and world.posts("x") == 0
    assert "`socialops generate --campaign launch --post written`" in outcome["reason"]
    assert "merge the pull request" in outcome["reason"]


def test_a_merged_generated_text_publishes_and_nothing_else_does(world: World) -> None:
    posted = world.invoke(event("drafted", at="2027-01-21T08:00:00Z", locale=""))
    assert posted["status"] == "published" and world.posts("x") == 1
    assert [t["text"] for t in world.fakes["x"].tweets] == [
        "Goodbye from acme, reviewed and merged #acme"
    ]  # type: ignore[attr-defined]
    # the file has no chosen text for mastodon (every variant refused), nor for another time
    none = world.invoke(event("drafted", channel="mastodon", at="2027-01-21T08:00:00Z", locale=""))
    assert none["status"] == "held" and "mastodon" in none["reason"]
    later = world.invoke(event("drafted", at="2027-01-21T09:00:00Z", locale=""))
    assert later["status"] != "published" and world.posts("x") == 1


@pytest.mark.parametrize(
    "bad",
    [None, [], {"campaign": "launch"}, {**event(), "scheduled_for": "thursday"},
     {**event(), "locale": 3}],
)  # fmt: skip
def test_a_malformed_event_is_refused_with_a_reason(world: World, bad: Any) -> None:
    with pytest.raises(EventError, match="publish: "):
        world.invoke(bad)


# --- the scheduled token refresh -----------------------------------------------------


def test_scheduled_refresh_renews_due_tokens_and_warns_about_the_rest(world: World) -> None:
    secrets = boto3.client("secretsmanager", region_name=REGION)
    soon = {**SECRETS["x"], "expires_at": "2027-01-14T12:00:00Z"}
    secrets.put_secret_value(SecretId="socialops/acme/x", SecretString=json.dumps(soon))
    ending = {**SECRETS["linkedin"], "expires_at": "2027-01-24T08:00:00Z"}
    secrets.put_secret_value(SecretId="socialops/acme/linkedin", SecretString=json.dumps(ending))
    report = world.invoke({"action": "refresh_tokens"})
    assert report["refreshed"] == ["acme x (socialops/acme/x)"]
    assert len(report["warnings"]) == 1 and "linkedin" in report["warnings"][0]
    assert "within 10 days" in report["warnings"][0]
    assert "linkedin" in world.notifications()[0]["Message"]
    assert world.deps is not None
    # LinkedIn is not refreshed however often the run comes; X's 2-hour token is
    again = refresh_due(world.deps.tokens, config.load_all().values())
    assert again.refreshed == ["acme x (socialops/acme/x)"] and len(again.warnings) == 1


# --- engagement read-back -----------------------------------------------------------


@pytest.mark.parametrize("channel", ["x", "mastodon", "linkedin", "bluesky", "facebook"])
def test_a_published_post_is_due_for_its_first_read_back_an_hour_later(
    world: World, channel: str
) -> None:
    # GIVEN a post published now  THEN its record is in the read-back index, due in an hour,
    # with its brand (ingest reads it then: functions/common/readback.py)
    from functions.common import readback

    world.invoke(event(channel=channel))
    record = world.record(event(channel=channel))
    assert record[readback.QUEUE_ATTRIBUTE] == readback.QUEUE and record["brand"] == "acme"
    # the time is the platform's, or publish's own clock where the platform's answer has
    # none (X's): never the machine's clock (the virtual one in simulate, the test's here)
    published = readback.parse(record["published_at"])
    assert published == world.clock[0]
    assert readback.parse(record[readback.DUE_ATTRIBUTE]) == published + timedelta(hours=1)
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    found = dynamodb.query(
        TableName=world.env["PUBLISH_RECORDS_TABLE"], IndexName=readback.INDEX,
        KeyConditionExpression="#q = :q",
        ExpressionAttributeNames={"#q": readback.QUEUE_ATTRIBUTE},
        ExpressionAttributeValues={":q": {"S": readback.QUEUE}},
    )["Items"]  # fmt: skip
    assert [i["post_id"]["S"] for i in found] == [record["post_id"]]
    # with what it carried, for the lake's rows (what later models learn from)
    texts = {"linkedin": "Hello, professional network. #acme"}  # event(): the fr-FR locale
    assert record["text"] == texts.get(channel, "Bonjour de la part d'acme #acme")
    assert record["media"] == "none"


# --- review: none: the text written at run time --------------------------------------


def test_a_review_none_post_publishes_a_text_written_now_once(world: World) -> None:
    friday = "2027-01-15T08:00:00Z"  # Friday 09:00 in Paris
    world.clock[0] = datetime(2027, 1, 15, 8, 0, tzinfo=UTC)
    posted = world.invoke(event("live", at=friday, locale=""))
    assert posted["status"] == "published" and world.posts("x") == 1
    [tweet] = world.fakes["x"].tweets  # type: ignore[attr-defined]
    assert tweet["text"].startswith("Wish the team a good Friday.")
    # stored once, under the occurrence: a duplicate delivery posts nothing new
    stored = world.table("PUBLISH_RECORDS_TABLE").get_item(
        Key={"pk": "generated#launch#live", "sk": f"x#-#{friday}"})["Item"]  # fmt: skip
    assert stored["text"] == tweet["text"] and stored["by"] == "offline/socialops-offline-1"
    assert world.invoke(event("live", at=friday, locale="")).get("replayed") is True
    assert world.posts("x") == 1
    # a week later on X (which refuses a text twice) another text; Mastodon gets its own
    world.clock[0] = datetime(2027, 1, 22, 8, 0, tzinfo=UTC)
    again = world.invoke(event("live", at="2027-01-22T08:00:00Z", locale=""))
    assert again["status"] == "published" and world.posts("x") == 2
    texts = [t["text"] for t in world.fakes["x"].tweets]  # type: ignore[attr-defined]
    assert texts[0] != texts[1]
    toot = world.invoke(event("live", channel="mastodon", at="2027-01-22T08:00:00Z", locale=""))
    assert toot["status"] == "published"


def test_a_review_none_post_without_generate_is_held_with_the_reason(world: World) -> None:
    assert world.deps is not None
    world.deps.write_text = None
    world.clock[0] = datetime(2027, 1, 15, 8, 0, tzinfo=UTC)
    held = world.invoke(event("live", at="2027-01-15T08:00:00Z", locale=""))
    assert held["status"] == "held" and "cannot reach the generate function" in held["reason"]

    def broken(key: Any) -> dict[str, Any]:
        return {"text": None, "error": "generate failed: out of memory"}

    world.deps.write_text = broken
    held = world.invoke(event("live", at="2027-01-22T08:00:00Z", locale=""))
    assert held["status"] == "held" and "generate failed: out of memory" in held["reason"]
    assert world.posts("x") == 0


def test_two_accounts_posts_with_the_same_id_are_each_their_own(world: World) -> None:
    # two brands' accounts number their posts alike (Mastodon per server, the simulation's
    # peers per account): a firing finding its own post after a crash must not take it for
    # the other brand's because the ids match (the demo's LinkedIn failed a post that way)
    records = Records(world.table("PUBLISH_RECORDS_TABLE"))
    ours, theirs = (
        key_of(event("hello", channel="linkedin")),
        key_of(event("flash", channel="linkedin")),
    )
    assert records.own(theirs, "urn:li:share:1", "/urn:li:organization:2") == str(theirs)
    assert records.own(ours, "urn:li:share:1", "/urn:li:organization:1") == str(ours)
    # the same account's post is still one firing's only
    assert records.own(ours, "urn:li:share:1", "/urn:li:organization:2") == str(theirs)
