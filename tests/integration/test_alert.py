"""The ``alert`` function: evaluation cycles over mention buckets in moto (in-process),
notices through SNS (read back from an SQS queue subscribed with the e-mail filter) and a
Slack webhook contract fake on loopback; the example rules of campaigns/aerolite."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from alert_world import (
    BRAND,
    CAMPAIGN,
    INCIDENTS,
    RAW,
    SLACK_SECRET,
    World,
    evaluate,
    fill,
    incident_items,
    make_world,
    put,
    rule_notices,
    state_item,
    store,
    week_series,
)
from lambdas import Context

from functions.alert import handler as alert_handler
from functions.alert import service
from functions.alert.detector import VOLUME, Detector
from functions.alert.rules import volume_threshold
from functions.common import config
from functions.common.pause import paused, resume

T0 = datetime(2027, 1, 14, 12, 0, tzinfo=UTC)  # within brand-watch's window


@pytest.fixture
def world(tmp_path_factory: Any, tmp_path: Path, monkeypatch: Any) -> Iterator[World]:
    yield from make_world(tmp_path_factory, tmp_path, monkeypatch, T0)


# ---- sentiment -----------------------------------------------------------------------


def test_sentiment_fires_once_with_min_mentions_and_not_below(world: World) -> None:
    # 2 h of very negative mentions, 19 a bucket: 456 < min_mentions 500
    fill(world, T0 - timedelta(hours=2), T0, 19, polarity=-0.8)
    summary = evaluate(world, T0 + timedelta(minutes=5))
    assert summary["fired"] == [] and summary["failed"] == []
    assert summary["data_until"] == "2027-01-14T12:00Z"
    # 22 a bucket: 528 mentions, mean -0.8 < -0.6
    fill(world, T0 - timedelta(hours=2), T0 + timedelta(minutes=5), 22, polarity=-0.8)
    summary = evaluate(world, T0 + timedelta(minutes=10))
    assert [f["rule"] for f in summary["fired"]] == ["sentiment-crash"]
    assert summary["fired"][0]["notified"] is True
    for minutes in range(15, 60, 5):  # still bad: the incident stays open, no new notice
        fill(world, T0, T0 + timedelta(minutes=minutes - 5), 22, polarity=-0.8)
        later = evaluate(world, T0 + timedelta(minutes=minutes))
        assert later["fired"] == [] and later["open"] == [f"{CAMPAIGN}/sentiment-crash"]
    messages = world.messages()
    assert rule_notices(messages, "sentiment-crash") == ["firing"]
    assert len(world.slack.messages) == 1
    attrs = {k: v["Value"] for k, v in messages[0]["MessageAttributes"].items()}
    assert attrs == {"campaign": CAMPAIGN, "rule": "sentiment-crash", "brand": BRAND,
                     "state": "firing",
                     "notice": f"{CAMPAIGN}/sentiment-crash@2027-01-14T12:05Z#firing"}  # fmt: skip
    assert len(messages[0]["Subject"]) <= 100
    assert world.messages(world.other) == []  # the other campaign's e-mail filter: nothing
    flag = paused(world.pauses, BRAND)
    assert flag is not None and flag.by == f"alert:{CAMPAIGN}/sentiment-crash"
    text = world.slack.messages[0]["text"]
    assert "mean polarity -0.80 over 528 mentions" in text
    assert "now PAUSED" in text and f"socialops resume {BRAND}" in text


def test_one_incident_gives_one_alert_and_one_resolution(world: World) -> None:
    fill(world, T0 - timedelta(hours=2), T0 + timedelta(hours=1), 30, polarity=-0.8)
    fill(world, T0 + timedelta(hours=1), T0 + timedelta(hours=8), 30, polarity=0.2)
    states = []
    for k in range(0, 8 * 12):
        summary = evaluate(world, T0 + timedelta(minutes=5 * k))
        states += [("fired", f["rule"]) for f in summary["fired"]]
        states += [("resolved", f["rule"]) for f in summary["resolved"]]
    assert states == [("fired", "sentiment-crash"), ("resolved", "sentiment-crash")]
    messages = world.messages()
    assert rule_notices(messages, "sentiment-crash") == ["firing", "resolved"]
    assert [m["text"].split(":")[0] for m in world.slack.messages] == ["ALERT", "RESOLVED"]
    resolved = world.slack.messages[1]["text"]
    assert "stays paused" in resolved and "does not resume by itself" in resolved
    # the crisis ends at 13:00; the 2 h mean reaches -0.55 (the threshold plus the margin)
    # once at most 18 of its 24 buckets are crisis ones (data until 13:35), then it stays
    # clear for 2 h: resolved with data until 15:35
    items = world.deps.dynamodb.query(
        TableName=INCIDENTS, KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": f"incident#{CAMPAIGN}/sentiment-crash"}},
    )["Items"]  # fmt: skip
    assert len(items) == 1
    assert items[0]["resolved_at"]["S"] == "2027-01-14T15:35Z"
    assert items[0]["sk"]["S"] == "2027-01-14T11:55Z"
    assert int(items[0]["expires_at"]["N"]) > int(T0.timestamp()) + 399 * 86400


def test_cooldown_suppresses_a_refire_soon_after_resolution(world: World) -> None:
    crisis = dict(polarity=-0.8)
    fill(world, T0 - timedelta(hours=2), T0, 30, **crisis)
    evaluate(world, T0 + timedelta(minutes=5))
    fill(world, T0, T0 + timedelta(hours=4), 30, polarity=0.3)
    for k in range(1, 50):
        summary = evaluate(world, T0 + timedelta(minutes=5 + 5 * k))
        if summary["resolved"]:
            break
    resolved_at = T0 + timedelta(minutes=5 + 5 * k)
    # bad again 1 h after resolution: within the 2 h cooldown
    fill(world, resolved_at - timedelta(minutes=60), resolved_at + timedelta(hours=3), 40,
         **crisis)  # fmt: skip
    fired = []
    for j in range(1, 30):
        summary = evaluate(world, resolved_at + timedelta(minutes=5 * j))
        fired += summary["fired"]
    assert len(fired) == 1
    assert fired[0]["notified"] is False and fired[0]["suppressed"] == "cooldown"
    assert "already paused" in fired[0]["action"]
    assert rule_notices(world.messages(), "sentiment-crash") == ["firing", "resolved"]
    assert len(world.slack.messages) == 2


def test_cooldown_over_the_brand_not_paused_anymore_tells(world: World) -> None:
    fill(world, T0 - timedelta(hours=2), T0, 30, polarity=-0.8)
    evaluate(world, T0 + timedelta(minutes=5))
    fill(world, T0, T0 + timedelta(hours=4), 30, polarity=0.3)
    summary: dict[str, Any] = {}
    k = 1
    while not summary.get("resolved"):
        k += 1
        summary = evaluate(world, T0 + timedelta(minutes=5 * k))
    resume(world.pauses, BRAND)  # a person resumed; it fires again within the cooldown
    back = T0 + timedelta(minutes=5 * k)
    fill(world, back - timedelta(hours=2), back + timedelta(minutes=30), 30, polarity=-0.9)
    fired = evaluate(world, back + timedelta(minutes=5))["fired"]
    assert fired[0]["suppressed"] == "cooldown" and fired[0]["notified"] is True
    assert "now PAUSED" in world.slack.messages[-1]["text"]


# ---- negative share, pause, SNS topic failure --------------------------------------------


def test_negative_share_pauses_and_one_sns_topic_failing_does_not_block(world: World) -> None:
    # 1 h, 20 a bucket, 10 negative: share 50% > 40% over 240 mentions; mean stays +0.1
    fill(world, T0 - timedelta(hours=1), T0, 20, negatives=10)
    summary = evaluate(world, T0 + timedelta(minutes=5))
    assert [f["rule"] for f in summary["fired"]] == ["negative-spike"]
    assert "negative share 50% (120 of 240 mentions)" in summary["fired"][0]["measured"]
    flag = paused(world.pauses, BRAND)
    assert flag is not None and flag.by == f"alert:{CAMPAIGN}/negative-spike"
    # the rule's own topic does not exist here: reported, the alerts topic still got it
    sent = {(n["target"], n["ok"]) for n in summary["notices"]}
    assert ("alerts", True) in sent
    assert ("sns:arn:aws:sns:eu-west-1:123456789012:aerolite-crisis", False) in sent
    assert any("aerolite-crisis" in f["error"] for f in summary["failed"])
    assert rule_notices(world.messages(), "negative-spike") == ["firing"]
    # retried on the next run; the alerts topic is not sent twice
    again = evaluate(world, T0 + timedelta(minutes=10))
    assert [n["target"] for n in again["notices"]] == [
        "sns:arn:aws:sns:eu-west-1:123456789012:aerolite-crisis"
    ]
    assert world.messages() == []


def test_a_topic_of_another_region_is_published_in_its_region(world: World) -> None:
    eu_sns = boto3.client("sns", region_name="eu-west-1")
    topic = eu_sns.create_topic(Name="aerolite-crisis")["TopicArn"]
    eu_sqs = boto3.client("sqs", region_name="eu-west-1")
    url = eu_sqs.create_queue(QueueName="crisis-desk")["QueueUrl"]
    arn = eu_sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    eu_sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn["Attributes"]["QueueArn"])
    world.deps.sns_in = lambda region: boto3.client("sns", region_name=region)
    fill(world, T0 - timedelta(hours=1), T0, 20, negatives=10)
    summary = evaluate(world, T0 + timedelta(minutes=5))
    assert {(n["target"], n["ok"]) for n in summary["notices"]} == {
        ("alerts", True), (f"sns:{topic}", True)}  # fmt: skip
    [message] = eu_sqs.receive_message(QueueUrl=url)["Messages"]
    assert "negative-spike" in json.loads(message["Body"])["Subject"]


def test_below_min_mentions_the_share_does_not_fire(world: World) -> None:
    fill(world, T0 - timedelta(hours=1), T0, 16, negatives=15)  # 192 < 200
    assert evaluate(world, T0 + timedelta(minutes=5))["fired"] == []


# ---- volume --------------------------------------------------------------------------


def week_then_burst(world: World, end: datetime) -> list[tuple[datetime, int]]:
    series = week_series(end, burst_from=end - timedelta(hours=2))
    store(world, series)
    return series


def test_volume_anomaly_after_a_normal_week_same_scores_as_one_pass(world: World) -> None:
    end = T0 + timedelta(hours=3)
    series = week_then_burst(world, end)
    burst_start = end - timedelta(hours=2)
    first = evaluate(world, burst_start - timedelta(hours=1))  # warms up from stored buckets
    assert first["fired"] == [] and first["failed"] == []
    fired = []
    at = burst_start - timedelta(hours=1)
    skipped_runs = {3, 4, 5}  # a gap: the next run catches up
    for k in range(1, 40):
        at += timedelta(minutes=5)
        if k in skipped_runs:
            continue
        summary = evaluate(world, at)
        fired += [(at, f) for f in summary["fired"]]
    assert [f["rule"] for _, f in fired] == ["mention-burst"]
    # the persisted detector equals one fed the whole series at once
    state = state_item(world)
    assert state is not None
    persisted = json.loads(state["detector"]["S"])
    last = datetime.fromtimestamp(persisted["last"], UTC)
    # the first run's cutoff is 5 minutes before it; a fresh detector starts at the first
    # stored bucket of the 7 days before that cutoff
    horizon = burst_start - timedelta(hours=1, minutes=5) - timedelta(days=7)
    one_pass = Detector(VOLUME)  # the volume rules' settings: bursts only
    raws = {}
    counts = dict(series)
    t = min(t for t in counts if t >= horizon)
    while t <= last:  # a missing bucket is 0 mentions
        one_pass.update(t, counts.get(t, 0))
        raws[t] = one_pass.raw
        t += timedelta(minutes=5)
    assert one_pass.to_state() == persisted
    # the state is settled 6 h back; each run replays the buckets since then (mentions
    # counted late reach the detector): the scores are still those of one pass
    assert last == at - timedelta(minutes=5) - timedelta(hours=6, minutes=5)
    while t < at - timedelta(minutes=5):
        one_pass.update(t, counts.get(t, 0))
        raws[t] = one_pass.raw
        t += timedelta(minutes=5)
    # it fired at the first bucket whose uncapped score reached 1 - sensitivity (0.3)
    _, entry = fired[0]
    threshold = volume_threshold(0.7)
    first_over = min(t for t, r in raws.items() if r >= threshold and t >= burst_start)
    assert entry["data_until"] == (first_over + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%MZ")
    assert rule_notices(world.messages(), "mention-burst") == ["firing"]


# ---- concurrency ---------------------------------------------------------------------


class Stalling:
    """A DynamoDB client whose state read waits until both runs have read."""

    def __init__(self, client: Any, barrier: threading.Barrier) -> None:
        self.client, self.barrier = client, barrier

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)

    def batch_get_item(self, **kwargs: Any) -> Any:
        answer = self.client.batch_get_item(**kwargs)
        self.barrier.wait(timeout=10)
        return answer


def test_two_concurrent_evaluations_give_one_notice(world: World) -> None:
    fill(world, T0 - timedelta(hours=2), T0, 30, polarity=-0.8)
    barrier = threading.Barrier(2)
    summaries: list[dict[str, Any]] = []

    def one() -> None:
        deps = replace(world.deps, dynamodb=Stalling(world.deps.dynamodb, barrier))
        summaries.append(service.evaluate(T0 + timedelta(minutes=5), deps))

    threads = [threading.Thread(target=one) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(summaries) == 2
    assert sorted(len(s["fired"]) for s in summaries) == [0, 1]
    assert sorted(len(s["skipped"]) for s in summaries) == [0, 1]
    assert rule_notices(world.messages(), "sentiment-crash") == ["firing"]
    assert len(world.slack.messages) == 1


# ---- Slack ---------------------------------------------------------------------------


def scored(world: World, day: str, batch: str, rows: list[dict[str, Any]]) -> None:
    body = "\n".join(json.dumps({"brand": BRAND, "platform": "bluesky", "label": "negative",
                                 "emotions": {}, "language": "en", "bot": 0.0, "terms": [],
                                 **r}) for r in rows)  # fmt: skip
    world.deps.s3.put_object(Bucket=RAW, Key=f"scored/brand={BRAND}/date={day}/{batch}.jsonl",
                             Body=body.encode())  # fmt: skip


def test_slack_message_has_terms_and_example_posts(world: World) -> None:
    fill(world, T0 - timedelta(hours=2), T0, 30, polarity=-0.8,
         terms={"aerolite": 25, "lost luggage": 9, "#aerolite": 3})  # fmt: skip
    rows = [{"id": f"p{i}", "created_at": f"2027-01-14T11:{10 + i:02d}Z", "polarity": -0.5 - i / 20,
             "text": f"complaint number {i} about my lost luggage",
             "url": f"https://bsky.example/p{i}"} for i in range(7)]  # fmt: skip
    rows.append({"id": "old", "created_at": "2027-01-14T08:00Z", "polarity": -1.0, "text": "old",
                 "url": "https://bsky.example/old"})  # outside the window  # fmt: skip
    rows.append({"id": "bot", "created_at": "2027-01-14T11:30Z", "polarity": -0.99,
                 "bot": 0.9, "text": "BUY NOW", "url": "https://bsky.example/bot"})  # fmt: skip
    scored(world, "2027-01-14", "batch-1", rows[:4])
    scored(world, "2027-01-14", "batch-2", rows[4:])
    summary = evaluate(world, T0 + timedelta(minutes=5))
    assert [f["rule"] for f in summary["fired"]] == ["sentiment-crash"]
    text = world.slack.messages[0]["text"]
    assert 'Top terms: "aerolite" 600, "lost luggage" 216, "#aerolite" 72.' in text
    examples = [line for line in text.splitlines() if line[:2] in {"1.", "2.", "3.", "4.", "5."}]
    assert len(examples) == 5
    assert examples[0].endswith("https://bsky.example/p6") and "-0.80" in examples[0]
    assert "old" not in text and "BUY NOW" not in text
    assert "Rule: mean polarity below -0.60 over 2h with at least 500 mentions." in text
    assert "https://hooks" not in text and world.slack.path not in text
    sns = world.messages()[0]
    assert sns["Message"] == text


def test_slack_failure_is_reported_and_retried_without_resending_sns(world: World) -> None:
    fill(world, T0 - timedelta(hours=2), T0 + timedelta(hours=1), 30, polarity=-0.8)
    world.slack.fail_next("500")
    summary = evaluate(world, T0 + timedelta(minutes=5))
    assert [f["rule"] for f in summary["fired"]] == ["sentiment-crash"]
    failed = [f for f in summary["failed"] if f.get("target") == f"slack:{SLACK_SECRET}"]
    assert failed and "answered HTTP 500" in failed[0]["error"]
    assert world.slack.messages == []
    assert rule_notices(world.messages(), "sentiment-crash") == ["firing"]
    world.slack.fail_next("404")
    summary = evaluate(world, T0 + timedelta(minutes=10))
    assert any("HTTP 404 no_service" in f["error"] for f in summary["failed"])
    summary = evaluate(world, T0 + timedelta(minutes=15))
    assert summary["failed"] == []
    assert summary["notices"] == [{"notice": f"{CAMPAIGN}/sentiment-crash@2027-01-14T12:00Z"
                                   "#firing", "target": f"slack:{SLACK_SECRET}", "ok": True}]  # fmt: skip
    assert len(world.slack.messages) == 1
    assert world.messages() == []  # SNS was not sent again
    assert evaluate(world, T0 + timedelta(minutes=20))["notices"] == []


def test_missing_slack_secret_is_reported_and_sns_still_goes(world: World,
                                                             caplog: Any) -> None:  # fmt: skip
    world.deps.secrets.delete_secret(SecretId=SLACK_SECRET, ForceDeleteWithoutRecovery=True)
    fill(world, T0 - timedelta(hours=2), T0, 30, polarity=-0.8)
    summary = evaluate(world, T0 + timedelta(minutes=5))
    assert any(f"Slack secret {SLACK_SECRET!r} does not exist" in f["error"]
               for f in summary["failed"])  # fmt: skip
    assert rule_notices(world.messages(), "sentiment-crash") == ["firing"]


def test_plain_url_secret_works(world: World) -> None:
    world.deps.secrets.put_secret_value(SecretId=SLACK_SECRET, SecretString=world.slack.webhook_url)
    fill(world, T0 - timedelta(hours=2), T0, 30, polarity=-0.8)
    evaluate(world, T0 + timedelta(minutes=5))
    assert len(world.slack.messages) == 1


# ---- bad input -----------------------------------------------------------------------


def test_malformed_bucket_and_bad_config_are_reported_and_the_rest_runs(world: World) -> None:
    (world.config_dir / "broken.json").write_text("{not json")
    config.clear_cache()
    fill(world, T0 - timedelta(hours=1), T0, 20, negatives=10)
    world.buckets.put_item(Item={"pk": f"bucket#{BRAND}", "sk": "2027-01-14T11:40Z",
                                 "mentions": "lots"})  # fmt: skip
    summary = evaluate(world, T0 + timedelta(minutes=5))
    whats = {f["what"]: f["error"] for f in summary["failed"]}
    assert "invalid compiled config" in whats["campaign broken"]
    assert (
        "malformed bucket item '2027-01-14T11:40Z' left out: mentions is 'lots'"
        in whats[f"brand {BRAND}"]
    )
    assert [f["rule"] for f in summary["fired"]] == ["negative-spike"]  # 220 mentions, 50%


def test_handler_runs_one_cycle_at_the_event_time(world: World) -> None:
    fill(world, T0 - timedelta(hours=2), T0, 30, polarity=-0.8)
    alert_handler.use(world.deps)
    try:
        event = {"source": "aws.events", "detail-type": "Scheduled Event",
                 "time": "2027-01-14T12:05:00Z", "detail": {}}  # fmt: skip
        summary = alert_handler.handler(event, Context())  # type: ignore[arg-type]
    finally:
        alert_handler.use(None)
    assert summary["at"] == "2027-01-14T12:05:00Z"
    assert [f["rule"] for f in summary["fired"]] == ["sentiment-crash"]


def test_outside_the_window_no_rule_is_evaluated(world: World) -> None:
    fill(world, T0 - timedelta(hours=2), T0, 30, polarity=-0.8)
    summary = evaluate(world, datetime(2028, 1, 14, 12, 5, tzinfo=UTC))
    assert summary["rules"] == 0 and summary["fired"] == []


# ---- rules that are no longer evaluated ---------------------------------------------


def test_an_open_incident_of_an_ended_campaign_is_closed_aloud_once(world: World) -> None:
    fill(world, T0 - timedelta(hours=2), T0, 30, polarity=-0.8)
    assert [f["rule"] for f in evaluate(world, T0 + timedelta(minutes=5))["fired"]] == [
        "sentiment-crash"]  # fmt: skip
    after = datetime(2028, 1, 2, 12, 0, tzinfo=UTC)  # brand-watch ended on 2027-12-31
    summary = evaluate(world, after)
    assert summary["rules"] == 0 and summary["failed"] == []
    [closed] = summary["resolved"]
    assert closed["rule"] == "sentiment-crash" and closed["opened"] == "2027-01-14T12:00Z"
    assert closed["withdrawn"] == "campaign brand-watch ended on 2027-12-31 23:59 (Europe/Paris)"
    assert rule_notices(world.messages(), "sentiment-crash") == ["firing", "closed"]
    text = world.slack.messages[-1]["text"]
    assert text.startswith("CLOSED: sentiment-crash (campaign brand-watch)")
    assert "not a resolution" in text and f"socialops resume {BRAND}" in text
    [item] = incident_items(world, "sentiment-crash")
    assert item["resolved_at"]["S"] == "2028-01-02T11:55Z"
    assert item["withdrawn"]["S"] == closed["withdrawn"]
    again = evaluate(world, after + timedelta(minutes=5))  # the state no longer holds it
    assert again["resolved"] == [] and again["notices"] == []
    assert world.messages() == [] and len(world.slack.messages) == 2


def test_a_removed_rule_is_closed_to_the_targets_it_alerted(world: World) -> None:
    fill(world, T0 - timedelta(hours=2), T0, 30, polarity=-0.8)
    evaluate(world, T0 + timedelta(minutes=5))
    assert rule_notices(world.messages(), "sentiment-crash") == ["firing"]
    loaded, problems = service.load_configs()
    watch = loaded[CAMPAIGN]
    kept = [a for a in watch.campaign.alerts if a.name != "sentiment-crash"]
    loaded[CAMPAIGN] = watch.model_copy(
        update={"campaign": watch.campaign.model_copy(update={"alerts": kept})})  # fmt: skip
    summary = evaluate(world, T0 + timedelta(minutes=10), loaded=loaded, problems=problems)
    [closed] = summary["resolved"]
    assert closed["withdrawn"] == "the rule was removed from campaign brand-watch"
    assert rule_notices(world.messages(), "sentiment-crash") == ["closed"]
    assert world.slack.messages[-1]["text"].startswith("CLOSED: sentiment-crash")
    assert "withdrawn" in incident_items(world, "sentiment-crash")[0]


def test_a_campaign_whose_config_does_not_load_keeps_its_open_incident(world: World) -> None:
    fill(world, T0 - timedelta(hours=2), T0, 30, polarity=-0.8)
    evaluate(world, T0 + timedelta(minutes=5))
    world.messages()
    (world.config_dir / f"{CAMPAIGN}.json").write_text("{not json")
    config.clear_cache()
    summary = evaluate(world, T0 + timedelta(minutes=10))
    assert summary["resolved"] == [] and world.messages() == []
    assert "config not loaded" in summary["failed"][0]["error"]
    assert "resolved_at" not in incident_items(world, "sentiment-crash")[0]


# ---- time ---------------------------------------------------------------------------


def test_short_of_time_the_catching_up_brand_waits_for_the_next_run(world: World) -> None:
    """northwind (a sentiment rule: two hours of keys, cheap) goes before aerolite (a
    volume rule: its first run catches up on a week); with time for one brand only,
    aerolite is deferred, nothing of it is written, and the next run evaluates it."""
    loaded, problems = service.load_configs()
    watch = loaded[CAMPAIGN]
    crash = [a for a in watch.campaign.alerts if a.name == "sentiment-crash"]
    loaded["northwind-watch"] = watch.model_copy(update={
        "campaign": watch.campaign.model_copy(update={"name": "northwind-watch",
                                                      "brand": "northwind", "alerts": crash}),
        "brand": watch.brand.model_copy(update={"name": "northwind"})})  # fmt: skip
    fill(world, T0 - timedelta(hours=2), T0, 30, polarity=-0.8)
    for minutes in range(-120, 0, 5):
        put(world, T0 + timedelta(minutes=minutes), 30, polarity=-0.8, brand="northwind")
    left = iter([100.0])  # then 5 s: under the reserve
    world.deps.remaining_s = lambda: next(left, 5.0)
    summary = evaluate(world, T0 + timedelta(minutes=5), loaded=loaded, problems=problems)
    assert summary["deferred"] == [BRAND] and summary["brands"] == 2
    assert [(f["brand"], f["rule"]) for f in summary["fired"]] == [("northwind", "sentiment-crash")]
    assert state_item(world) is None
    world.deps.remaining_s = lambda: 100.0
    later = evaluate(world, T0 + timedelta(minutes=10), loaded=loaded, problems=problems)
    assert later["deferred"] == []
    assert [(f["brand"], f["rule"]) for f in later["fired"]] == [(BRAND, "sentiment-crash")]
