"""The webhook entry point is on the internet (issue 11, item 1): whatever an
unauthenticated request holds (path, method, headers, query, body), ``ingest`` answers a
clean 4xx, never an exception, and reads no secret before the cheap checks pass; X's CRC
signs nothing a push could be; the signing secrets are read once in a while, not per
request; a replayed push is dropped, while a platform's redelivery after a 503 gets
through. The real handler against moto (the world of test_ingest.py)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import boto3
import pytest
import test_ingest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lambdas import Context
from test_ingest import BRAND, NOW, REGION, TABLE, WEBHOOK_SECRET, World, post

from functions.ingest import handler as ingest
from infra.peers import webhooks

world = test_ingest.world  # the fixture: moto, the fakes, the compiled examples
PUSHING = ["facebook", "instagram", "x", "tiktok"]
SIGNATURE = {"facebook": "X-Hub-Signature-256", "instagram": "X-Hub-Signature-256",
             "x": "x-twitter-webhooks-signature", "tiktok": "TikTok-Signature"}  # fmt: skip


def reads(world: World) -> list[str]:
    """The names of the secrets read from Secrets Manager since the first call in this
    world (one hook, however often it is asked for)."""
    names: list[str] = world.__dict__.setdefault("secret_reads", [])
    world.deps.secrets.meta.events.register(
        "before-parameter-build.secrets-manager.GetSecretValue",
        lambda params, **_: names.append(params["SecretId"]), unique_id="secret-reads",
    )  # fmt: skip
    return names


def answer(event: Any) -> dict[str, Any]:
    result: dict[str, Any] = ingest.handler(event, Context())
    return result


def tiktok(stamp: str) -> dict[str, Any]:
    return webhooks.http_event("POST", "tiktok", BRAND, body=b"{}",
                               headers={"TikTok-Signature": f"t={stamp},s={'0' * 64}"})  # fmt: skip


# ---- X's CRC -------------------------------------------------------------------------------


def test_x_crc_signs_no_body_that_could_be_a_push(world: World) -> None:
    """HMAC(secret, crc_token) is the signature of a POST whose body is the token: with a
    JSON push as the token, anyone could forge signed mentions (and so pause publishing)."""
    forged = json.dumps(webhooks.x_mention("2244994945", "1860000000000000666",
                                           "@aerolite you are a disaster", NOW))  # fmt: skip
    got = answer(webhooks.http_event("GET", "x", BRAND, query={"crc_token": forged}))
    assert got["statusCode"] == 400 and "crc_token" in got["body"]
    if got["statusCode"] == 200:  # what the forger would do with the answer
        signature = json.loads(got["body"])["response_token"]
        event = webhooks.http_event("POST", "x", BRAND, body=forged.encode(),
                                    headers={SIGNATURE["x"]: signature})  # fmt: skip
        answer(event)
    assert world.queued() == []
    for token, status in (("A" * 128, 200), ("A" * 129, 400), ("a+/=_-Z9", 200), ("", 400),
                          ('"1"', 400), ("{}", 400), ("a.b", 400), ("é", 400)):  # fmt: skip
        event = webhooks.http_event("GET", "x", BRAND, query={"crc_token": token})
        assert answer(event)["statusCode"] == status, token


# ---- headers, query, path, body: a 4xx, never an exception ----------------------------------


@pytest.mark.parametrize("stamp", ["²", "١٢٣", "9" * 400, "9" * 5000, "-1", " 1", "1e9", ""])
def test_odd_tiktok_timestamps_are_refused_not_a_crash(world: World, stamp: str) -> None:
    """``t=`` with digits ``int`` refuses ("²"), or so many that the time difference
    overflowed a float, raised: a 500 for anyone."""
    names = reads(world)
    assert answer(tiktok(stamp))["statusCode"] == 401
    assert names == []


BAD_EVENTS: list[tuple[str, dict[str, Any], int]] = [
    ("headers not a mapping", {"headers": ["X-Hub-Signature-256"]}, 401),
    ("a lone surrogate in the signature", {"headers": {"x-hub-signature-256": "sha256=\ud800"}},
     401),
    ("a signature of non-ASCII hex", {"headers": {"x-hub-signature-256": "sha256=" + "é" * 64}},
     401),
    ("http not a mapping", {"requestContext": {"http": "POST"}}, 401),
    ("no path parameters", {"pathParameters": None}, 404),
    ("a platform that is a list", {"pathParameters": {"platform": ["x"], "brand": BRAND}}, 404),
    ("a brand of 10,000 characters", {"pathParameters": {"platform": "facebook",
                                                         "brand": "a" * 10_000}}, 404),
    ("a body that is an object, flagged base64", {"body": {"a": 1}, "isBase64Encoded": True},
     401),
    ("a body flagged base64 that is not", {"body": "%%%", "isBase64Encoded": True}, 401),
    ("a method we do not serve", {"requestContext": {"http": {"method": "PUT"}}}, 405),
    ("a body of 2 MiB", {"body": "{" + " " * (2 * 1024 * 1024) + "}"}, 401),
]  # fmt: skip


@pytest.mark.parametrize(("why", "change", "status"), BAD_EVENTS, ids=[b[0] for b in BAD_EVENTS])
def test_odd_requests_get_a_clean_4xx_before_any_secret_is_read(
    world: World, why: str, change: dict[str, Any], status: int
) -> None:
    names = reads(world)
    event = {**webhooks.http_event("POST", "facebook", BRAND, body=b"{}"), **change}
    assert answer(event)["statusCode"] == status
    assert names == [], why
    assert world.queued() == []


def test_a_signed_body_too_large_or_not_base64_is_refused_before_the_secret(world: World) -> None:
    names = reads(world)
    big = b'{"entry": [], "pad": "' + b" " * (1024 * 1024) + b'"}'
    assert post("facebook", None, raw=big)["statusCode"] == 413
    event = webhooks.http_event("POST", "facebook", BRAND, body=b"{}",
                                headers=webhooks.sign("facebook", WEBHOOK_SECRET, b"{}"))  # fmt: skip
    event.update(body="not base64!", isBase64Encoded=True)
    assert answer(event)["statusCode"] == 400
    assert names == []


def test_odd_handshakes_are_refused_before_the_secret(world: World) -> None:
    names = reads(world)
    for platform, query in (
        ("facebook", {"hub.mode": "subscribe", "hub.challenge": "1"}),  # no verify_token
        ("facebook", {"hub.mode": "subscribe", "hub.verify_token": "v",
                      "hub.challenge": "<script>alert(1)</script>"}),  # echoed as the answer
        ("instagram", {"hub.mode": "subscribe", "hub.verify_token": "v",
                       "hub.challenge": "1" * 129}),
        ("tiktok", {"crc_token": "a"}),
    ):  # fmt: skip
        assert answer(webhooks.http_event("GET", platform, BRAND, query=query))["statusCode"] == 400
    event = webhooks.http_event("GET", "facebook", BRAND)
    event["queryStringParameters"] = ["hub.mode"]  # not a mapping
    assert answer(event)["statusCode"] == 400
    assert names == []
    surrogate = {"hub.mode": "subscribe", "hub.verify_token": "\ud800", "hub.challenge": "7"}
    event = webhooks.http_event("GET", "facebook", BRAND)
    event["queryStringParameters"] = surrogate
    got = answer(event)
    assert got["statusCode"] == 403  # compared with the secret's, not an exception


def test_a_signed_body_nested_too_deep_is_malformed_not_a_crash(world: World) -> None:
    assert post("x", None, raw=b"[" * 100_000)["statusCode"] == 400


TEXT = st.text(max_size=80) | st.sampled_from(["", "sha256=", "t=1,s=", "sha256=" + "0" * 64])
HEADERS = st.dictionaries(
    st.sampled_from(sorted({*SIGNATURE.values()} | {"content-type"})) | st.text(max_size=10),
    TEXT | st.none() | st.integers(),
    max_size=4,
)
QUERY = st.dictionaries(
    st.sampled_from(["hub.mode", "hub.verify_token", "hub.challenge", "crc_token"]),
    TEXT | st.just("subscribe") | st.none(),
    max_size=4,
)


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(
    platform=st.sampled_from([*PUSHING, "bluesky"]) | st.text(max_size=8) | st.none(),
    method=st.sampled_from(["GET", "POST", "PUT", ""]) | st.integers(),
    headers=HEADERS | st.none() | st.lists(st.text(max_size=4), max_size=2),
    query=QUERY | st.none(),
    body=st.text(max_size=200) | st.binary(max_size=40) | st.none() | st.integers(),
    b64=st.booleans() | st.none() | st.just("true"),
)
def test_random_unauthenticated_requests_never_crash_and_read_each_secret_once(
    world: World, platform: Any, method: Any, headers: Any, query: Any, body: Any, b64: Any
) -> None:
    names = reads(world)
    event = webhooks.http_event("POST", "x", BRAND)
    event.update(headers=headers, queryStringParameters=query, body=body, isBase64Encoded=b64)
    event["pathParameters"] = {"platform": platform, "brand": BRAND}
    event["requestContext"]["http"]["method"] = method
    got = answer(event)
    status = got["statusCode"]
    legit = method == "GET" and platform == "x" and status == 200  # a well-formed CRC
    assert 400 <= status < 500 or legit, got
    assert world.queued() == []
    # all examples share one execution environment: each secret read at most once
    assert len(names) == len(set(names)), names


# ---- the secrets, read once in a while ------------------------------------------------------


def test_the_signing_secret_is_read_once_per_five_minutes_not_per_request(world: World) -> None:
    names = reads(world)
    payload = webhooks.x_mention("2244994945", "1860000000000000555", "@aerolite hello", NOW)
    for _ in range(20):
        assert post("x", payload, secret="fake-other")["statusCode"] == 401
    assert post("x", payload)["statusCode"] == 200
    assert names == ["socialops/aerolite/x"]
    world.clock[0] += timedelta(minutes=5, seconds=1)
    assert post("x", payload, secret="fake-other")["statusCode"] == 401
    assert names == ["socialops/aerolite/x"] * 2


# ---- replays ---------------------------------------------------------------------------------


def test_a_replayed_push_is_dropped_until_its_record_expires(world: World) -> None:
    payload = webhooks.x_mention("2244994945", "1860000000000000444", "@aerolite late", NOW)
    assert json.loads(post("x", payload)["body"])["queued"] == 1
    assert len(world.queued()) == 1
    replay = post("x", payload)
    assert replay["statusCode"] == 200 and json.loads(replay["body"]) == {
        "duplicate": True, "queued": 0}  # fmt: skip
    assert world.queued() == []
    items = boto3.client("dynamodb", region_name=REGION).scan(TableName=TABLE)["Items"]
    [record] = [i for i in items if i["pk"]["S"] == f"{BRAND}#x#webhooks"]
    expires = int(record["expires_at"]["N"])
    assert expires == int((NOW + timedelta(days=7)).timestamp())
    world.clock[0] = NOW + timedelta(days=7, seconds=1)  # the table's TTL may lag: ignored
    assert json.loads(post("x", payload)["body"])["queued"] == 1


def test_a_push_answered_503_is_not_recorded_and_its_redelivery_gets_through(
    world: World,
) -> None:
    ident = world.graph.add_mention("@aerolite hi", NOW - timedelta(minutes=5),
                                    platform="instagram", mentioned_in="caption")  # fmt: skip
    payload = webhooks.instagram_mention("17841400000000077", world.graph.mention_ids(ident), NOW)
    world.graph.fail_next("server_error", on="/v21.0/17841400000000077")
    assert post("instagram", payload)["statusCode"] == 503
    assert json.loads(post("instagram", payload)["body"])["queued"] == 1
    assert json.loads(post("instagram", payload)["body"]) == {"duplicate": True, "queued": 0}
    assert [m["id"] for m in world.queued()] == [ident]
