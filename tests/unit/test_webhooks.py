"""Webhook signatures and handshakes of ``ingest`` (pure: no AWS, no network), checked
against the signing helpers the tests and ``socialops simulate`` use (infra/peers)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from functions.ingest import webhooks
from functions.ingest.sources import Malformed, decode, utc
from infra.peers import webhooks as peers

SECRET = "fake-" + "app-secret"
NOW = datetime(2027, 1, 14, 9, 0, tzinfo=UTC)
BODY = b'{"object":"page","entry":[]}'


def headers(platform: str, body: bytes = BODY, secret: str = SECRET,
            at: datetime = NOW) -> dict[str, str]:  # fmt: skip
    return {k.lower(): v for k, v in peers.sign(platform, secret, body, at).items()}


@pytest.mark.parametrize("platform", ["facebook", "instagram", "x", "tiktok"])
def test_a_body_signed_by_the_secret_passes(platform: str) -> None:
    assert webhooks.signed(platform, headers(platform), BODY, SECRET, NOW) is None


@pytest.mark.parametrize("platform", ["facebook", "instagram", "x", "tiktok"])
def test_another_secret_another_body_or_no_header_fails(platform: str) -> None:
    assert webhooks.signed(platform, headers(platform, secret="fake-other"), BODY, SECRET,
                           NOW) == "bad signature"  # fmt: skip
    assert webhooks.signed(platform, headers(platform), BODY + b" ", SECRET, NOW) == (
        "bad signature"
    )
    assert "header" in str(webhooks.signed(platform, {}, BODY, SECRET, NOW))


def test_meta_signs_hex_and_x_base64() -> None:
    assert headers("facebook")["x-hub-signature-256"].startswith("sha256=")
    assert len(headers("facebook")["x-hub-signature-256"]) == len("sha256=") + 64
    assert headers("x")["x-twitter-webhooks-signature"].endswith("=")  # base64 of 32 bytes


def test_tiktok_timestamps_more_than_five_minutes_away_fail() -> None:
    for minutes, ok in ((-6, False), (6, False), (-4, True), (4, True)):
        signed = headers("tiktok", at=NOW + timedelta(minutes=minutes))
        assert (webhooks.signed("tiktok", signed, BODY, SECRET, NOW) is None) is ok
    assert "header" in str(webhooks.signed("tiktok", {"tiktok-signature": "t=abc,s=1"}, BODY,
                                           SECRET, NOW))  # fmt: skip


def _logs() -> Any:
    class Deps:
        @staticmethod
        def log(level: str, message: str, extra: Any) -> None:
            pass

    return Deps()


def test_meta_handshake_echoes_the_challenge_only_for_the_verify_token() -> None:
    query = {"hub.mode": "subscribe", "hub.verify_token": "fake-verify", "hub.challenge": "42"}
    ok = webhooks.handshake("facebook", query, SECRET, "fake-verify", _logs(), {})
    assert ok == {"statusCode": 200, "headers": {"Content-Type": "text/plain"}, "body": "42"}
    bad = webhooks.handshake("facebook", query, SECRET, "fake-other", _logs(), {})
    assert bad["statusCode"] == 403
    assert webhooks.handshake("facebook", query, SECRET, None, _logs(), {})["statusCode"] == 403
    assert webhooks.handshake("facebook", {}, SECRET, "x", _logs(), {})["statusCode"] == 400


def test_x_crc_answers_the_hmac_of_the_token() -> None:
    answer = webhooks.handshake("x", {"crc_token": "fake-crc"}, SECRET, None, _logs(), {})
    token = json.loads(answer["body"])["response_token"]
    assert token == peers.x_crc_response(SECRET, "fake-crc") and token.startswith("sha256=")
    assert webhooks.handshake("tiktok", {}, SECRET, None, _logs(), {})["statusCode"] == 400


def test_payloads_that_are_not_the_platform_shape_are_value_errors() -> None:
    for platform, payload in (("facebook", {"object": "page"}), ("facebook", []),
                              ("x", {"tweet_create_events": {}}), ("tiktok", {"content": "{}"})):  # fmt: skip
        with pytest.raises(ValueError):
            webhooks.mentions_of(platform, payload, None)


def test_pushes_that_are_not_mentions_are_ignored_and_own_tweets_skipped() -> None:
    assert webhooks.mentions_of("x", {"favorite_events": []}, None)[2] == 1
    own = peers.x_mention("6000000001", "1", "our own tweet", NOW)
    assert webhooks.mentions_of("x", own, None)[1:] == ([], 1)
    event = {"event": "video.publish.completed", "content": json.dumps({"publish_id": "1"})}
    assert webhooks.mentions_of("tiktok", event, None)[1:] == ([], 1)


def test_an_instagram_mention_push_without_text_is_counted_malformed() -> None:
    payload = {"entry": [{"id": "1", "time": 1, "changes": [
        {"field": "mentions", "value": {"media_id": "17", "comment_id": "18"}}]}]}  # fmt: skip
    [item] = webhooks.mentions_of("instagram", payload, None)[1]
    assert isinstance(item, Malformed) and item.ident == "18"


def test_times_and_bytes() -> None:
    assert utc("2027-01-14T08:00:00.123Z") == "2027-01-14T08:00:00Z"
    assert utc("2027-01-14T09:00:00+0100") == "2027-01-14T08:00:00Z"
    assert utc(1_800_000_000) == utc(1_800_000_000_000) == "2027-01-15T08:00:00Z"
    with pytest.raises(ValueError):
        utc("yesterday")
    assert decode("café".encode()) == ("café", 0)
    assert decode(b"caf\xe9 \xff") == ("caf\ufffd \ufffd", 2)
