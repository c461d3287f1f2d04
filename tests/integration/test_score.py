"""The ``score`` function on an SQS batch: the shipped model, buckets in DynamoDB counted
once per mention, scored mentions in S3, poison messages failed alone (moto in-process)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import boto3
import pytest
from lambdas import Context
from moto import mock_aws

from functions.common import config
from functions.common.config import CONFIG_DIR_ENV
from functions.score import handler as score_handler
from functions.score import service
from infra.cli import main

ROOT = Path(__file__).resolve().parents[2]
REGION = "us-east-1"
TABLE = "socialops-test-MentionBucketsTable"
BUCKET = "socialops-test-rawmentions"


def mention(ident: str, text: str, when: str = "2027-01-14T08:03:12Z", **extra: Any) -> str:
    return json.dumps({"id": ident, "brand": "aerolite", "platform": "bluesky", "text": text,
                       "created_at": when} | extra)  # fmt: skip


# a mention the fast model is unsure of (top probability about 0.40): the balanced path
# routes it to the encoder
UNSURE = "Aerolite: sitting on my luggage and smelling Jerusalem, click like if you hope to visit Israel soon"  # fmt: skip


def sqs_event(*bodies: str) -> dict[str, Any]:
    return {"Records": [
        {"messageId": f"m{i}", "receiptHandle": f"r{i}", "body": body, "attributes": {},
         "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs",
         "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:mentions", "awsRegion": REGION}
        for i, body in enumerate(bodies)]}  # fmt: skip


@pytest.fixture
def aws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for name, value in {"AWS_DEFAULT_REGION": REGION, "AWS_ACCESS_KEY_ID": "testing-not-a-key",
                        "AWS_SECRET_ACCESS_KEY": "testing-not-a-secret",
                        "MENTION_BUCKETS_TABLE": TABLE, "RAW_MENTIONS_BUCKET": BUCKET}.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    out = tmp_path / "build"
    assert main(["compile", str(ROOT / "campaigns"), "--out", str(out), "--no-cache",
                 "--now", "2026-12-01T00:00Z"]) == 0  # fmt: skip
    monkeypatch.setenv(CONFIG_DIR_ENV, str(out / "config"))
    config.clear_cache()
    with mock_aws():
        score_handler.use(None)
        dynamodb = boto3.resource("dynamodb", region_name=REGION)
        table = dynamodb.create_table(
            TableName=TABLE, BillingMode="PAY_PER_REQUEST",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                       {"AttributeName": "sk", "KeyType": "RANGE"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                  {"AttributeName": "sk", "AttributeType": "S"}],
        )  # fmt: skip
        boto3.client("s3", region_name=REGION).create_bucket(Bucket=BUCKET)
        yield table
        score_handler.use(None)
    config.clear_cache()


def bucket(table: Any, start: str = "2027-01-14T08:00Z") -> dict[str, Any]:
    item: dict[str, Any] = table.get_item(Key={"pk": "bucket#aerolite", "sk": start})["Item"]
    return item


def stored() -> list[dict[str, Any]]:
    s3 = boto3.client("s3", region_name=REGION)
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])]
    lines = []
    for key in keys:
        assert key.startswith("scored/brand=aerolite/date=2027-01-14/")
        body = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read().decode()
        lines += [json.loads(line) for line in body.splitlines()]
    return lines


def test_two_batches_with_one_request_id_are_both_stored(aws: Any) -> None:
    # GIVEN two batches of one brand and day under the same request id (a context reused,
    # as simulate once did: each batch overwrote the last, and the lake lost mentions)
    for n in ("1", "2"):
        event = sqs_event(mention(n, f"Aerolite flight {n} boards at gate 4"))
        assert score_handler.handler(event, Context()) == {"batchItemFailures": []}  # type: ignore[arg-type]
    # THEN both are in the lake
    assert sorted(line["id"] for line in stored()) == ["1", "2"]


def test_a_batch_is_scored_counted_and_stored(aws: Any) -> None:
    event = sqs_event(
        mention("1", "Aerolite lost my bag again, worst airline ever #fail"),
        mention("2", "Thank you @aerolite, the crew was wonderful today 😍"),
        mention("3", "Aerolite flight AL12 boards at gate 4", when="2027-01-14T08:07:00Z"),
    )
    assert score_handler.handler(event, Context()) == {"batchItemFailures": []}  # type: ignore[arg-type]
    first = bucket(aws)
    assert first["mentions"] == 2 and first["negatives"] == 1 and first["positives"] == 1
    assert first["term:aerolite"] == 2 and first["term:@aerolite"] == 1  # "@aerolite" has both
    assert -1 <= float(first["polarity_sum"]) <= 1 and isinstance(first["polarity_sum"], Decimal)
    assert first["expires_at"] > 0
    assert bucket(aws, "2027-01-14T08:05Z")["mentions"] == 1
    lines = {line["id"]: line for line in stored()}
    assert lines["1"]["label"] == "negative" and lines["2"]["label"] == "positive"
    assert set(lines["1"]["emotions"]) == {"anger", "joy", "optimism", "sadness"}
    assert lines["1"]["language"] == "en" and 0 <= lines["1"]["bot"] <= 1


def test_a_redelivered_mention_is_counted_once(aws: Any) -> None:
    body = mention("1", "Aerolite lost my bag again")
    score_handler.handler(sqs_event(body), Context())  # type: ignore[arg-type]
    score_handler.handler(sqs_event(body, body), Context())  # type: ignore[arg-type]
    assert bucket(aws)["mentions"] == 1


def test_a_batch_counts_in_few_transactions_and_each_mention_once(aws: Any) -> None:
    """200 mentions in two buckets: three transactions (at most 99 mentions each, the two
    buckets' last mentions together); a batch mixing new mentions with redelivered ones
    falls back to one by one for its transaction."""
    texts = ["Aerolite lost my bag again", "Thanks @aerolite, great crew", "aerolite gate 4"]
    bodies = [mention(str(i), texts[i % 3], when=f"2027-01-14T08:0{i % 2 * 5}:00Z")
              for i in range(200)]  # fmt: skip
    calls: list[int] = []
    deps = score_handler.deps_from_env()
    score_handler.use(deps)
    real = deps.dynamodb
    original = real.transact_write_items

    def counting(**kwargs: Any) -> Any:
        calls.append(len(kwargs["TransactItems"]))
        return original(**kwargs)

    real.transact_write_items = counting
    assert score_handler.handler(sqs_event(*bodies), Context()) == {"batchItemFailures": []}  # type: ignore[arg-type]
    assert sorted(calls) == [4, 100, 100]  # 99 markers + the sums, twice; then 1 + the sums, twice
    first, second = bucket(aws), bucket(aws, "2027-01-14T08:05Z")
    assert first["mentions"] == second["mentions"] == 100
    assert first["negatives"] + second["negatives"] == sum(1 for i in range(200) if i % 3 == 0)
    calls.clear()
    again = [*bodies[:3], mention("new", "aerolite again"), bodies[0]]  # and one twice
    assert score_handler.handler(sqs_event(*again), Context()) == {"batchItemFailures": []}  # type: ignore[arg-type]
    assert bucket(aws)["mentions"] == 101 and bucket(aws, "2027-01-14T08:05Z")["mentions"] == 100


def test_mentions_over_many_buckets_share_transactions(aws: Any) -> None:
    """A batch spread over a quiet day (three mentions in each of 40 buckets) takes two
    transactions, not one a bucket: no bucket is written twice in one, none exceeds 100
    items, and every bucket has its three."""

    stamps = [f"2027-01-14T{b // 12:02d}:{b % 12 * 5:02d}" for b in range(40)]
    bodies = [mention(f"{n}-{i}", "aerolite gate 4", when=f"{stamp}:00Z")
              for n, stamp in enumerate(stamps) for i in range(3)]  # fmt: skip
    deps = score_handler.deps_from_env()
    calls = scored_in_transactions(deps, bodies)
    assert len(calls) == 2
    assert all(bucket(aws, f"{stamp}Z")["mentions"] == 3 for stamp in stamps)


def scored_in_transactions(deps: Any, bodies: list[str]) -> list[list[dict[str, Any]]]:
    """Score ``bodies`` as one batch with ``deps``: the items of each transaction, each
    checked to hold at most 100 items and no item twice."""
    from functions.score import service as scoring

    calls: list[list[dict[str, Any]]] = []
    score_handler.use(deps)
    original = deps.dynamodb.transact_write_items

    def recording(**kwargs: Any) -> Any:
        calls.append(kwargs["TransactItems"])
        return original(**kwargs)

    deps.dynamodb.transact_write_items = recording
    assert score_handler.handler(sqs_event(*bodies), Context()) == {"batchItemFailures": []}  # type: ignore[arg-type]
    for items in calls:
        assert len(items) <= scoring.TRANSACTION_ITEMS
        updated = [str(i["Update"]["Key"]) for i in items if "Update" in i]
        assert len(updated) == len(set(updated))
    return calls


def late_item(table: Any) -> dict[str, Any]:
    return {k: v for k, v in table.get_item(Key={"pk": "late#aerolite", "sk": "late"}).get("Item", {}).items()
            if k.startswith("late:")}  # fmt: skip


def test_buckets_counted_into_late_are_marked_for_alert(aws: Any) -> None:
    """score's clock 20 minutes or more after a bucket began: the bucket's late mark gains
    1 in the same transaction as its count (functions/common/late_marks.py); a fresh one
    gets none; a redelivery adds nothing; one at a time marks as a batch does."""
    from datetime import UTC, datetime

    deps = score_handler.deps_from_env()
    deps.now = lambda: datetime(2027, 1, 14, 8, 25, tzinfo=UTC)
    score_handler.use(deps)
    bodies = [mention("a", "aerolite gate 4", when="2027-01-14T08:04:59Z"),  # 08:00, late
              mention("b", "aerolite gate 4", when="2027-01-14T08:05:00Z"),  # 08:05, 20 min
              mention("c", "aerolite gate 4", when="2027-01-14T08:10:00Z")]  # fmt: skip
    assert score_handler.handler(sqs_event(*bodies), Context()) == {"batchItemFailures": []}  # type: ignore[arg-type]
    assert late_item(aws) == {"late:2027-01-14T08:00Z": 1, "late:2027-01-14T08:05Z": 1}
    score_handler.handler(sqs_event(*bodies), Context())  # type: ignore[arg-type]
    assert late_item(aws) == {"late:2027-01-14T08:00Z": 1, "late:2027-01-14T08:05Z": 1}
    scored = service.score_batch([service.parse(mention("d", "aerolite", when="2027-01-14T08:01:00Z"))],
                                 lambda brand: [], lambda texts, path: [{"polarity": 0.0, "label": "neutral",
                                 "emotions": {}} for _ in texts])[0]  # fmt: skip
    assert isinstance(scored, service.Scored)
    assert service.count(deps.dynamodb, TABLE, scored, deps.now())
    assert late_item(aws) == {"late:2027-01-14T08:00Z": 2, "late:2027-01-14T08:05Z": 1}
    assert bucket(aws)["mentions"] == 2


def test_late_marks_keep_each_transaction_within_its_100_items(aws: Any) -> None:
    """Late buckets of one brand share one late item a transaction: 150 late mentions over
    three buckets and 50 fresh ones; no transaction over 100 items, no item twice in one,
    every bucket counted and marked once a transaction it was written in."""
    from datetime import UTC, datetime

    deps = score_handler.deps_from_env()
    deps.now = lambda: datetime(2027, 1, 14, 9, 0, tzinfo=UTC)
    stamps = ["08:00", "08:05", "08:10", "08:55"]  # the last is fresh
    bodies = [mention(f"{s}-{i}", "aerolite gate 4", when=f"2027-01-14T{s}:00Z")
              for s in stamps for i in range(50)]  # fmt: skip
    calls = scored_in_transactions(deps, bodies)
    assert all(bucket(aws, f"2027-01-14T{s}Z")["mentions"] == 50 for s in stamps)
    marked = late_item(aws)
    assert set(marked) == {f"late:2027-01-14T{s}Z" for s in stamps[:3]}
    assert sum(marked.values()) == sum(
        1
        for items in calls
        for i in items
        if "Update" in i and "late#" in str(i["Update"]["Key"])
        for name in i["Update"]["ExpressionAttributeNames"].values()
        if name.startswith("late:")
    )


def test_poison_messages_fail_alone_and_empty_texts_are_skipped(aws: Any) -> None:
    event = sqs_event(
        "{not json",
        json.dumps(["a", "list"]),
        mention("5", "   "),
        json.dumps({"id": "6", "brand": "aerolite"}),
        mention("7", "Aerolite is fine", when="yesterday"),
        mention("8", "Aerolite on time again, nice"),
    )
    response = score_handler.handler(event, Context())  # type: ignore[arg-type]
    failed = sorted(f["itemIdentifier"] for f in response["batchItemFailures"])
    assert failed == ["m0", "m1", "m3", "m4"]  # retried, then the dead-letter queue
    assert bucket(aws)["mentions"] == 1  # the good one is not held back by the others


def test_an_enormous_text_is_scored_on_its_start_and_flagged(aws: Any) -> None:
    text = "Aerolite was great " + "really " * 5000
    score_handler.handler(sqs_event(mention("9", text)), Context())  # type: ignore[arg-type]
    (line,) = stored()
    assert line["truncated"] and len(line["text"]) == service.MAX_TEXT


def test_language_and_bot_likelihood() -> None:
    assert service.language("je ne suis pas content du tout avec le retard") == "fr"
    assert service.language("the flight was late and the crew was not there") == "en"
    assert service.language("ok") == "und"
    assert service.language("anything", declared="pt-BR") == "pt"
    spam = service.parse(mention("s", "WIN A FREE FLIGHT NOW http://x.example http://y.example "
                                 "#win #free #flight #now #deal", author={
                                     "handle": "deals123456789", "followers": 0}))  # fmt: skip
    plain = service.parse(mention("p", "My flight to Lisbon was on time today"))
    assert service.bot_likelihood(spam, {}) >= 0.5 > service.bot_likelihood(plain, {})


def test_not_an_sqs_event_is_refused(aws: Any) -> None:
    from functions.common.errors import EventError

    with pytest.raises(EventError, match="expected an SQS event"):
        score_handler.handler({}, Context())  # type: ignore[arg-type]


# ---- one bad mention fails alone (issue 10, item 4) --------------------------------------


def emf(out: str, name: str) -> dict[str, float]:
    """The values of CloudWatch metric ``name`` that the handler wrote (embedded metric
    format, one JSON object a line on stdout), by the value of its ``step`` dimension."""
    values: dict[str, float] = {}
    for line in out.splitlines():
        if not line.startswith('{"_aws"'):
            continue
        blob = json.loads(line)
        [directive] = blob["_aws"]["CloudWatchMetrics"]
        if name in [m["Name"] for m in directive["Metrics"]]:
            assert directive["Namespace"] == "socialops" and blob["service"] == "score"
            values[blob["step"]] = values.get(blob["step"], 0) + sum(blob[name])
    return values


def failures(caplog: pytest.LogCaptureFixture) -> list[tuple[str, str]]:
    return [(r.__dict__["message_id"], r.__dict__["step"]) for r in caplog.records
            if r.getMessage() == "a mention failed alone"]  # fmt: skip


def test_code_points_nothing_can_encode_are_replaced_in_any_field_and_the_batch_goes_on(
    aws: Any, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    """A body's JSON escapes may decode to lone surrogates (text, id, author) and to the
    controls SQS refuses: the model, S3 and DynamoDB raised on them, so one such mention
    failed its whole batch of 100. Each bad code point becomes U+FFFD, a surrogate pair
    sent as two escapes stays its character, and the whole batch is counted."""
    bodies = [mention(str(i), f"Aerolite flight {i} on time") for i in range(98)]
    bodies.append(json.dumps({  # json.dumps escapes them: an ASCII body SQS accepts
        "id": "bad\ud800", "brand": "aerolite", "platform": "bluesky",
        "text": "Aerolite \udc00lost my bag\x00 again \ud83d\ude00",
        "created_at": "2027-01-14T08:03:12Z", "author": {"handle": "fan\udfff"}}))  # fmt: skip
    bodies.append(mention("ctl", "Aerolite\x01 gate\x0b change\ufffe, thanks"))
    response = score_handler.handler(sqs_event(*bodies), Context())  # type: ignore[arg-type]
    assert response == {"batchItemFailures": []}
    assert bucket(aws)["mentions"] == 100
    lines = {line["id"]: line for line in stored()}
    assert lines["bad\ufffd"]["text"] == "Aerolite \ufffdlost my bag\ufffd again 😀"
    assert lines["ctl"]["text"] == "Aerolite\ufffd gate\ufffd change\ufffd, thanks"
    assert lines["bad\ufffd"]["label"] in ("negative", "neutral", "positive")
    replaced = {r.__dict__["id"]: r.__dict__["characters"] for r in caplog.records
                if r.getMessage().startswith("characters that SQS or UTF-8 refuse")}  # fmt: skip
    assert replaced == {"bad\ufffd": 4, "ctl": 3}
    assert failures(caplog) == [] and emf(capsys.readouterr().out, "MentionsFailed") == {}


def test_a_mention_that_cannot_be_counted_fails_alone_with_a_log_line_and_a_metric(
    aws: Any, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    """An id too long for DynamoDB's sort key (1,024 bytes) fails its batch's transaction:
    the batch is counted one by one, only that mention fails (SQS retries it, then its
    dead-letter queue), and it is counted: a log line with its step and a metric."""
    bodies = [mention(str(i), f"Aerolite flight {i} on time") for i in range(99)]
    bodies.insert(40, mention("9" * 1100, "Aerolite lost my bag"))
    response = score_handler.handler(sqs_event(*bodies), Context())  # type: ignore[arg-type]
    assert response == {"batchItemFailures": [{"itemIdentifier": "m40"}]}
    assert bucket(aws)["mentions"] == 99
    assert failures(caplog) == [("m40", "count")]
    assert emf(capsys.readouterr().out, "MentionsFailed") == {"count": 1}
    # the poison of the same batch is counted under its own step
    poison = score_handler.handler(sqs_event("{not json", mention("x", "Aerolite ok")),
                                   Context())  # type: ignore[arg-type]  # fmt: skip
    assert poison == {"batchItemFailures": [{"itemIdentifier": "m0"}]}
    assert emf(capsys.readouterr().out, "MentionsFailed") == {"parse": 1}


def test_a_text_the_model_cannot_score_fails_alone(aws: Any) -> None:
    """The model is called once for the batch; when that call raises, each text is scored
    on its own and only the one that raises fails (here a model that raises on one text,
    the shipped model for the others)."""
    from functions.score import model

    def fragile(texts: Any, path: str) -> list[dict[str, Any]]:
        if any("unscorable" in t for t in texts):
            raise RuntimeError("the model cannot take this text")
        return model.score(texts, path=path)

    mentions = [service.parse(mention(str(i), text)) for i, text in
                enumerate(["Aerolite lost my bag", "unscorable aerolite", "Thanks aerolite!"])]  # fmt: skip
    results = service.score_batch(mentions, lambda brand: ["aerolite"], fragile)
    assert isinstance(results[1], RuntimeError)
    assert [r.label for r in results if isinstance(r, service.Scored)] == ["negative", "positive"]
    assert [r.terms for r in results if isinstance(r, service.Scored)] == [["aerolite"]] * 2


def test_its_dependencies_are_injected_like_the_other_handlers(
    aws: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN no environment at all, and dependencies given with handler.use (as simulate
    # and the other handlers' tests do): clients, table, bucket, terms and model
    for name in (score_handler.TABLE_ENV, score_handler.BUCKET_ENV):
        monkeypatch.delenv(name)
    seen: list[str] = []

    def model(texts: Any, path: str) -> list[dict[str, Any]]:
        from functions.score import model as shipped

        seen.extend(texts)
        return shipped.score(texts, path=path)

    score_handler.use(score_handler.Deps(
        boto3.client("dynamodb", region_name=REGION), boto3.client("s3", region_name=REGION),
        TABLE, BUCKET, terms=lambda brand: ["aerolite"], model=model))  # fmt: skip
    # WHEN a batch arrives  THEN it is scored by the given model and counted in the table
    body = mention("1", "Aerolite lost my bag again")
    assert score_handler.handler(sqs_event(body), Context()) == {"batchItemFailures": []}  # type: ignore[arg-type]
    assert seen == ["Aerolite lost my bag again"] and bucket(aws)["mentions"] == 1


def test_each_brand_is_scored_on_the_path_it_chose() -> None:
    # GIVEN two brands in one batch, one of which chose listening.sentiment: accurate
    from functions.score import model

    calls: list[tuple[str, list[str]]] = []

    def recording(texts: Any, path: str) -> list[dict[str, Any]]:
        calls.append((path, list(texts)))
        return model.score(texts, path=path)

    mentions = [service.parse(mention(str(i), text, brand=brand)) for i, (brand, text) in
                enumerate([("aerolite", "Aerolite lost my bag"), ("careful", "careful: what a gift"),
                           ("aerolite", "Thanks aerolite!")])]  # fmt: skip
    paths = {"aerolite": "fast", "careful": "accurate"}
    # WHEN the batch is scored  THEN one model call a path, each with its brands' mentions
    results = service.score_batch(mentions, lambda brand: [brand], recording, paths.__getitem__)
    assert sorted(calls) == [("accurate", ["careful: what a gift"]),
                             ("fast", ["Aerolite lost my bag", "Thanks aerolite!"])]  # fmt: skip
    assert [r.label for r in results if isinstance(r, service.Scored)] == ["negative", "positive", "positive"]  # fmt: skip


@pytest.mark.parametrize(("listening", "path"), [
    ("", "balanced"),
    ("listening:\n  terms:\n    - acme\n", "balanced"),
    ("listening:\n  terms:\n    - acme\n  sentiment: fast\n", "fast"),
    ("listening:\n  terms:\n    - acme\n  sentiment: accurate\n", "accurate"),
])  # fmt: skip
def test_the_brand_path_comes_from_its_compiled_listening_section(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, listening: str, path: str
) -> None:
    from projects import BASE, BRAND, write_project

    from functions.common import config
    from infra.cli import main

    root = write_project(tmp_path / "p", {**BASE, "brand.yml": BRAND + listening})
    assert main(["compile", str(root), "--out", str(tmp_path / "build")]) == 0
    monkeypatch.setenv(config.CONFIG_DIR_ENV, str(tmp_path / "build" / "config"))
    config.clear_cache()
    try:
        assert score_handler._sentiment_path("acme") == path
        assert score_handler._sentiment_path("no-such-brand") == "balanced"
    finally:
        config.clear_cache()


@pytest.mark.parametrize(("path", "broken", "reason"), [
    # weights trained with --fast-only: no accurate path at all
    ("accurate", "section", "no accurate path"),
    # the encoder's file is missing: the balanced path cannot route
    ("balanced", "encoder", "the encoder's file is missing"),
])  # fmt: skip
def test_a_brand_is_still_scored_when_its_path_cannot_load(
    aws: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
    path: str, broken: str, reason: str,
) -> None:  # fmt: skip
    # GIVEN weights whose encoder path cannot load, and a brand on a path that needs it
    import shutil

    from functions.score import model

    shutil.copytree(model.WEIGHTS_DIR, tmp_path / "w")
    meta = json.loads((tmp_path / "w" / "model.json").read_text())
    if broken == "section":
        meta.pop("accurate")
    else:
        (tmp_path / "w" / "encoder" / "model.int8.onnx").unlink()
    (tmp_path / "w" / "model.json").write_text(json.dumps(meta))
    monkeypatch.setenv(model.MODEL_DIR_ENV, str(tmp_path / "w"))
    score_handler.use(score_handler.Deps(
        boto3.client("dynamodb", region_name=REGION), boto3.client("s3", region_name=REGION),
        TABLE, BUCKET, terms=lambda brand: ["aerolite"], path=lambda brand: path))  # fmt: skip
    # WHEN its mentions arrive (one the fast model is unsure of)  THEN they are scored on
    # the fast path, none fails, and the reason is logged
    bodies = [mention("1", "Aerolite lost my bag again"), mention("2", UNSURE)]
    assert score_handler.handler(sqs_event(*bodies), Context()) == {"batchItemFailures": []}  # type: ignore[arg-type]
    assert bucket(aws)["mentions"] == 2 and bucket(aws)["negatives"] >= 1
    [logged] = [r for r in caplog.records
                if f"{path} sentiment path unavailable" in r.getMessage()]  # fmt: skip
    assert logged.__dict__["mentions"] == 2 and reason in logged.__dict__["reason"]
