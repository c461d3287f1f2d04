"""``optimize``: each brand's forecasts learnt from its lake rows (moto's S3), stored as
plain JSON, trained again only when its settled history changed."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import boto3
import pytest
from moto import mock_aws

from functions.ingest.engagement import ENGAGEMENT_COLUMNS
from functions.ingest.engagement.readback import jsonl
from functions.optimize import training
from functions.optimize.forecast import Model, fit
from functions.optimize.training import Deps, History

BUCKET = "lake"
NOW = datetime(2027, 3, 1, 12, tzinfo=UTC)
PARIS = ZoneInfo("Europe/Paris")


def row(brand: str, platform: str, post: str, published: datetime, read: datetime,
        **values: Any) -> dict[str, Any]:  # fmt: skip
    """A lake row as the writers make it: every column, null where unknown."""
    base: dict[str, Any] = {name: None for name, _ in ENGAGEMENT_COLUMNS}
    base.update(brand=brand, platform=platform, account=f"{brand}_{platform}", post_id=post,
                published_at=published.strftime("%Y-%m-%dT%H:%M:%SZ"),
                read_at=read.strftime("%Y-%m-%dT%H:%M:%SZ"), status="ok", source="readback",
                text=f"post {post} #coffee", media="image", followers=1000)  # fmt: skip
    base.update(values)
    return base


def histories(rows: Iterator[dict[str, Any]], followers: Iterator[dict[str, Any]],
              zone: ZoneInfo, now: datetime) -> dict[str, list[Any]]:  # fmt: skip
    """Per metric, the posts these lake rows give (as a run that reads them would)."""
    history = History()
    for item in followers:
        history.add_followers(item)
    for item in rows:
        history.add_reading(item, now)
    return history.posts(zone)


def history_rows(brand: str, n: int, seed: int = 1, now: datetime = NOW) -> list[dict[str, Any]]:
    """``n`` settled posts on two platforms, read 3 days after each went out."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        published = now - timedelta(days=60) + timedelta(hours=13 * i)
        platform = ("x", "instagram")[i % 2]
        extra = {"views": rng.randint(500, 5000)} if platform == "instagram" else {}
        rows.append(row(brand, platform, f"{brand}-{i}", published, published + timedelta(days=3),
                        likes=rng.randint(5, 200), shares=rng.randint(0, 20),
                        comments=rng.randint(0, 30), **extra))  # fmt: skip
    return rows


@pytest.fixture
def s3(no_aws: pytest.MonkeyPatch) -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        yield client


def put(s3: Any, key: str, rows: list[dict[str, Any]]) -> None:
    s3.put_object(Bucket=BUCKET, Key=key, Body=jsonl(rows))


def lake(s3: Any, brand: str, rows: list[dict[str, Any]], name: str = "a") -> None:
    put(s3, f"engagement/brand={brand}/platform=x/date=2027-02-01/{name}.jsonl", rows)


def configs(*brands: str) -> dict[str, Any]:
    return {f"{b}-campaign": SimpleNamespace(brand=SimpleNamespace(name=b),
                                             campaign=SimpleNamespace(timezone="Europe/Paris"))
            for b in brands}  # fmt: skip


def deps(s3: Any, **kw: Any) -> Deps:
    return Deps(s3, BUCKET, now=lambda: NOW, **kw)


def stored(s3: Any, brand: str) -> dict[str, Any]:
    body = s3.get_object(Bucket=BUCKET, Key=training.model_key(brand))["Body"].read()
    doc: dict[str, Any] = json.loads(body)
    return doc


# ---- the history ------------------------------------------------------------------------


def test_a_post_s_history_is_its_latest_settled_reading() -> None:
    t = NOW - timedelta(days=10)
    rows = [
        row("b", "x", "p1", t, t + timedelta(hours=1), likes=1),  # too young: not history
        row("b", "x", "p1", t, t + timedelta(days=3), likes=40, shares=2, comments=3),
        row("b", "x", "p1", t, t + timedelta(days=1), likes=30),  # older than the 3-day one
        row("b", "x", "p2", t, t + timedelta(hours=6), likes=9),  # only young readings
        row("b", "x", "p3", t, t + timedelta(days=2), status="deleted"),
        row("b", "x", "p4", t, NOW + timedelta(days=1), likes=5),  # read after now
    ]
    found = histories(iter(rows), iter([]), PARIS, NOW)
    [post] = found["engagement"]
    assert (post.account, post.engagement, post.media) == ("x:b_x", 45, "image")
    assert post.created_at.utcoffset() == timedelta(hours=1)  # the brand's zone: local hours
    assert found["views"] == [] and found["reach"] == []


def test_a_metric_a_platform_does_not_give_adds_no_post_to_its_history() -> None:
    t = NOW - timedelta(days=10)
    rows = [row("b", "instagram", "i", t, t + timedelta(days=2), likes=3, views=900, reach=0),
            row("b", "x", "x", t, t + timedelta(days=2), likes=3)]  # fmt: skip
    found = histories(iter(rows), iter([]), PARIS, NOW)
    assert [p.engagement for p in found["views"]] == [900]
    assert [p.engagement for p in found["reach"]] == [0]  # a real 0 stays
    assert len(found["engagement"]) == 2


def test_followers_come_from_the_daily_table_when_the_row_has_none() -> None:
    t = datetime(2027, 2, 10, 9, tzinfo=UTC)
    daily = [{"platform": "x", "account": "b_x", "date": "2027-02-08", "followers": 800},
             {"platform": "x", "account": "b_x", "date": "2027-02-10", "followers": 810},
             {"platform": "x", "account": "b_x", "date": "2027-02-11", "followers": 990}]  # fmt: skip
    rows = [row("b", "x", "p", t, t + timedelta(days=3), likes=1, followers=None),
            row("b", "x", "q", t - timedelta(days=5), t, likes=1, followers=None)]  # fmt: skip
    found = histories(iter(rows), iter(daily), PARIS, NOW)
    assert [p.followers for p in found["engagement"]] == [None, 810]  # none known before Feb 8


# ---- training and storing ---------------------------------------------------------------


def test_each_brand_is_trained_and_its_models_read_back_predict_as_fitted(s3: Any) -> None:
    rows = history_rows("acme", 30)
    lake(s3, "acme", rows)
    summary = training.run(deps(s3), configs("acme"))
    [trained] = summary["trained"]
    assert trained["brand"] == "acme" and trained["posts"] == {"engagement": 30, "views": 15}
    doc = stored(s3, "acme")
    assert doc["format"] == "socialops-forecasts" and doc["zone"] == "Europe/Paris"
    assert sorted(doc["models"]) == ["engagement", "views"]  # reach: no platform gave it
    assert doc["posts"]["engagement"] == 30
    posts = histories(iter(rows), iter([]), PARIS, NOW)
    fitted = fit(posts["engagement"], seed=0)
    coming = posts["engagement"][-3:]
    assert Model.from_dict(doc["models"]["engagement"]).predict(coming) == fitted.predict(coming)
    assert Model.from_dict(doc["models"]["views"]).predict(posts["views"][:2])


def test_a_brand_is_trained_again_only_when_its_settled_history_changed(s3: Any) -> None:
    lake(s3, "acme", history_rows("acme", 20))
    assert training.run(deps(s3), configs("acme"))["trained"]
    again = training.run(deps(s3), configs("acme"))
    assert again["trained"] == [] and again["unchanged"] == ["acme"]
    young = history_rows("acme", 21)[-1]  # a new post, read an hour after: not settled
    young["read_at"] = young["published_at"]
    lake(s3, "acme", [young], name="b")
    assert training.run(deps(s3), configs("acme"))["unchanged"] == ["acme"]
    lake(s3, "acme", history_rows("acme", 21)[-1:], name="c")  # now it settled
    assert [t["posts"]["engagement"] for t in training.run(deps(s3), configs("acme"))["trained"]] == [21]  # fmt: skip


def test_a_brand_with_too_little_history_is_skipped_and_says_why(s3: Any) -> None:
    lake(s3, "small", history_rows("small", training.MIN_POSTS - 1))
    summary = training.run(deps(s3), configs("small", "empty"))
    reasons = {s["brand"]: s["reason"] for s in summary["skipped"]}
    assert "9 posts read back at least 24 h after going out, training needs 10" in reasons["small"]
    assert "0 posts" in reasons["empty"] and summary["trained"] == []


def test_malformed_lines_are_named_and_the_rest_still_learnt(s3: Any) -> None:
    rows = history_rows("acme", 12)
    body = jsonl(rows[:6]) + b"{not json\n[1, 2]\n" + jsonl(rows[6:])
    s3.put_object(Bucket=BUCKET, Key="engagement/brand=acme/platform=x/date=2027-02-01/m.jsonl",
                  Body=body)  # fmt: skip
    summary = training.run(deps(s3), configs("acme"))
    key = "engagement/brand=acme/platform=x/date=2027-02-01/m.jsonl"
    assert summary["malformed"] == [f"{key}:7", f"{key}:8"]
    assert summary["trained"][0]["posts"]["engagement"] == 12


def test_one_brand_failing_stops_no_other_and_time_running_out_defers(
    s3: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    for brand in ("acme", "bolt"):
        lake(s3, brand, history_rows(brand, 12))
    import functions.optimize.forecast as forecast

    original = forecast.fit

    def failing(history: Any, seed: int = 0, settings: Any = None) -> Model:
        if history[0].account.startswith("x:acme"):
            raise ValueError("boom")
        return original(history, seed, settings)

    monkeypatch.setattr(forecast, "fit", failing)
    summary = training.run(deps(s3), configs("acme", "bolt"))
    assert summary["failed"] == [{"brand": "acme", "error": "ValueError: boom"}]
    assert [t["brand"] for t in summary["trained"]] == ["bolt"]
    late = training.run(deps(s3, remaining_s=lambda: 60.0), configs("acme", "bolt"))
    assert late["deferred"] == ["acme", "bolt"] and not late["trained"]


def test_the_handler_trains_the_compiled_brands(
    s3: Any, examples: dict[str, Any], tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from functions.common import config
    from functions.optimize import handler

    folder = tmp_path / "config"
    folder.mkdir()
    for name, runtime in examples.items():
        (folder / f"{name}.json").write_text(runtime.model_dump_json())
    (folder / "broken.json").write_text("{")
    monkeypatch.setenv(config.CONFIG_DIR_ENV, str(folder))
    monkeypatch.setenv("RAW_MENTIONS_BUCKET", BUCKET)
    config.clear_cache()
    brand = next(iter(examples.values())).brand.name
    lake(s3, brand, history_rows(brand, 12, now=datetime.now(UTC)))  # the handler's clock
    handler.use(None)
    try:
        summary = handler.handler(
            {},
            SimpleNamespace(
                get_remaining_time_in_millis=lambda: 900_000,
                function_name="optimize",
                memory_limit_in_mb=2048,
                invoked_function_arn="arn",
                aws_request_id="r",
            ),
        )
    finally:
        handler.use(None)
        config.clear_cache()
    assert [t["brand"] for t in summary["trained"]] == [brand]
    assert "broken" in summary["configs_not_loaded"]
    assert {s["brand"] for s in summary["skipped"]} == {c.brand.name for c in examples.values()} - {brand}  # fmt: skip


def test_each_run_reads_only_the_lake_objects_it_has_not_read(
    s3: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    lake(s3, "acme", history_rows("acme", 12))
    put(
        s3,
        "followers/brand=acme/platform=x/date=2027-01-01/f.jsonl",
        [{"platform": "x", "account": "acme_x", "date": "2027-01-01", "followers": 900}],
    )
    training.run(deps(s3), configs("acme"))
    read: list[str] = []
    real = s3.get_object
    monkeypatch.setattr(s3, "get_object", lambda **kw: read.append(kw["Key"]) or real(**kw))
    assert training.run(deps(s3), configs("acme"))["unchanged"] == ["acme"]
    assert read == [training.history_key("acme"), training.model_key("acme")]  # no lake object
    read.clear()
    lake(s3, "acme", history_rows("acme", 13)[-1:], name="new")
    assert training.run(deps(s3), configs("acme"))["trained"][0]["posts"]["engagement"] == 13
    assert [k for k in read if k.startswith("engagement/")] == [
        "engagement/brand=acme/platform=x/date=2027-02-01/new.jsonl"
    ]


def test_an_unreadable_kept_history_is_read_anew_from_the_lake(s3: Any) -> None:
    lake(s3, "acme", history_rows("acme", 12))
    s3.put_object(Bucket=BUCKET, Key=training.history_key("acme"), Body=b"{broken")
    assert training.run(deps(s3), configs("acme"))["trained"][0]["posts"]["engagement"] == 12
    kept = json.loads(s3.get_object(Bucket=BUCKET, Key=training.history_key("acme"))["Body"].read())
    assert kept["format"] == "socialops-history" and len(kept["readings"]) == 12


def test_a_reading_made_after_the_clock_is_read_again_once_the_clock_has_passed_it(s3: Any) -> None:  # fmt: skip
    # found in review: its object was marked read, so the reading was lost for good
    rows = history_rows("acme", 12)  # each read 3 days after its post
    lake(s3, "acme", rows)
    early = datetime.fromisoformat(rows[-1]["published_at"]) + timedelta(days=2)
    first = training.run(Deps(s3, BUCKET, now=lambda: early), configs("acme"))
    settled = sum(datetime.fromisoformat(r["read_at"]) <= early for r in rows)
    assert settled == 10  # the last two were read after `early`
    assert first["trained"][0]["posts"]["engagement"] == settled
    assert training.run(deps(s3), configs("acme"))["trained"][0]["posts"]["engagement"] == 12


def test_models_learnt_by_another_revision_of_the_fitting_are_trained_again(
    s3: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    lake(s3, "acme", history_rows("acme", 12))
    assert training.run(deps(s3), configs("acme"))["trained"]
    assert training.run(deps(s3), configs("acme"))["unchanged"] == ["acme"]
    monkeypatch.setattr(training, "MODEL_REVISION", training.MODEL_REVISION + 1)
    assert [t["brand"] for t in training.run(deps(s3), configs("acme"))["trained"]] == ["acme"]


def test_time_running_short_while_reading_keeps_what_was_read_for_the_next_run(s3: Any) -> None:
    for i, row in enumerate(history_rows("acme", 12)):
        lake(s3, "acme", [row], name=f"o{i:02d}")
    left = iter([900.0] + [60.0] * 100)  # enough to start, then short after the first object
    short = training.run(deps(s3, remaining_s=lambda: next(left)), configs("acme"))
    assert short["deferred"] == ["acme"] and not short["trained"]
    kept = json.loads(s3.get_object(Bucket=BUCKET, Key=training.history_key("acme"))["Body"].read())
    assert len(kept["objects"]) == 1
    assert training.run(deps(s3), configs("acme"))["trained"][0]["posts"]["engagement"] == 12


def test_which_of_two_readings_made_at_once_is_kept_does_not_depend_on_the_order_read() -> None:
    t = NOW - timedelta(days=10)
    a = row("b", "x", "p", t, t + timedelta(days=2), likes=5)
    b = row("b", "x", "p", t, t + timedelta(days=2), likes=9)
    one = histories(iter([a, b]), iter([]), PARIS, NOW)["engagement"]
    two = histories(iter([b, a]), iter([]), PARIS, NOW)["engagement"]
    assert one == two and len(one) == 1


def test_a_brand_whose_zone_cannot_be_read_fails_alone(s3: Any) -> None:
    lake(s3, "acme", history_rows("acme", 12))
    odd = {
        **configs("acme"),
        "z-campaign": SimpleNamespace(
            brand=SimpleNamespace(name="zed"), campaign=SimpleNamespace(timezone="Mars/Base")
        ),
    }
    summary = training.run(deps(s3), odd)
    assert [f["brand"] for f in summary["failed"]] == ["zed"]
    assert [t["brand"] for t in summary["trained"]] == ["acme"]
