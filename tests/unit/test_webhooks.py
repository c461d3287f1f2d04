"""Webhook signatures and handshakes of ``ingest`` (pure: no AWS, no network), checked
against the signing helpers the tests and ``socialops simulate`` use (infra/peers)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from functions.common.platform.errors import PlatformError, from_response
from functions.common.platform.tokens import TokenError
from functions.ingest import webhook_auth, webhooks
from functions.ingest.sources import Answer, BadPage, Found, Malformed, Source, decode, utc
from functions.ingest.sources import meta as graph
from functions.ingest.webhook_request import Refused
from infra.peers import meta as meta_peer
from infra.peers import webhooks as peers

SECRET = "fake-" + "app-secret"
NOW = datetime(2027, 1, 14, 9, 0, tzinfo=UTC)
BODY = b'{"object":"page","entry":[]}'


def headers(platform: str, body: bytes = BODY, secret: str = SECRET,
            at: datetime = NOW) -> dict[str, str]:  # fmt: skip
    return {k.lower(): v for k, v in peers.sign(platform, secret, body, at).items()}


@pytest.mark.parametrize("platform", ["facebook", "instagram", "x", "tiktok"])
def test_a_body_signed_by_the_secret_passes(platform: str) -> None:
    assert webhook_auth.signed(platform, headers(platform), BODY, SECRET, NOW) is None


@pytest.mark.parametrize("platform", ["facebook", "instagram", "x", "tiktok"])
def test_another_secret_another_body_or_no_header_fails(platform: str) -> None:
    assert webhook_auth.signed(platform, headers(platform, secret="fake-other"), BODY, SECRET,
                           NOW) == "bad signature"  # fmt: skip
    assert webhook_auth.signed(platform, headers(platform), BODY + b" ", SECRET, NOW) == (
        "bad signature"
    )
    assert "header" in str(webhook_auth.signed(platform, {}, BODY, SECRET, NOW))


def test_meta_signs_hex_and_x_base64() -> None:
    assert headers("facebook")["x-hub-signature-256"].startswith("sha256=")
    assert len(headers("facebook")["x-hub-signature-256"]) == len("sha256=") + 64
    assert headers("x")["x-twitter-webhooks-signature"].endswith("=")  # base64 of 32 bytes


def test_tiktok_timestamps_more_than_five_minutes_away_fail() -> None:
    for minutes, ok in ((-6, False), (6, False), (-4, True), (4, True)):
        signed = headers("tiktok", at=NOW + timedelta(minutes=minutes))
        assert (webhook_auth.signed("tiktok", signed, BODY, SECRET, NOW) is None) is ok
    assert "header" in str(webhook_auth.signed("tiktok", {"tiktok-signature": "t=abc,s=1"}, BODY,
                                           SECRET, NOW))  # fmt: skip


KEYS = {"webhook_secret": SECRET, "verify_token": "fake-verify"}


def _answer(platform: str, query: dict[str, str], secret: dict[str, Any]) -> dict[str, Any]:
    try:
        return webhook_auth.handshake(platform, query, secret)
    except Refused as refused:
        return {"statusCode": refused.status}


def test_meta_handshake_echoes_the_challenge_only_for_the_verify_token() -> None:
    query = {"hub.mode": "subscribe", "hub.verify_token": "fake-verify", "hub.challenge": "42"}
    ok = _answer("facebook", query, KEYS)
    assert ok == {"statusCode": 200, "headers": {"Content-Type": "text/plain"}, "body": "42"}
    assert _answer("facebook", query, {**KEYS, "verify_token": "fake-other"})["statusCode"] == 403
    assert _answer("facebook", query, {"webhook_secret": SECRET})["statusCode"] == 403
    assert _answer("facebook", {}, KEYS)["statusCode"] == 400


def test_x_crc_answers_the_hmac_of_the_token() -> None:
    answer = _answer("x", {"crc_token": "fake-crc"}, KEYS)
    token = json.loads(answer["body"])["response_token"]
    assert token == peers.x_crc_response(SECRET, "fake-crc") and token.startswith("sha256=")
    assert _answer("tiktok", {}, KEYS)["statusCode"] == 400


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


def test_an_instagram_mentions_change_names_what_to_read_by_id() -> None:
    comment = peers.instagram_mention("1", {"media_id": "17", "comment_id": "18"}, NOW)
    caption = peers.instagram_mention("1", {"media_id": "19"}, NOW)
    neither = peers.instagram_mention("1", {"text": "no ids"}, NOW)
    raw, [ref], ignored = webhooks.mentions_of("instagram", comment, None)
    assert ref == webhooks.MentionRef("17", "18") and ref.ident == "18" and ignored == 0
    assert raw == comment["entry"][0]["changes"]
    [ref] = webhooks.mentions_of("instagram", caption, None)[1]
    assert ref == webhooks.MentionRef("19", "") and ref.ident == "19"
    [bad] = webhooks.mentions_of("instagram", neither, None)[1]
    assert isinstance(bad, Malformed) and "media_id" in bad.why
    # the field is Instagram's: a Page's "mentions" change is not a mention to read
    assert webhooks.mentions_of("facebook", comment, None)[1:] == ([], 1)


# The answers Meta documents (IG User Mentioned Comment / Mentioned Media, sample responses)
COMMENT_ANSWER = {"mentioned_comment": {
    "timestamp": "2017-05-03T16:09:08+0000", "like_count": 185, "text": "Shout out to @brand",
    "id": "17873440459141021", "username": "fan",
    "media": {"id": "17895695668004550", "permalink": "https://www.instagram.com/p/Ab1/"}},
    "id": "17841405309211844"}  # fmt: skip
MEDIA_ANSWER = {"mentioned_media": {
    "caption": "brand headquarters!", "timestamp": "2017-05-03T16:09:08+0000", "username": "fan",
    "permalink": "https://www.instagram.com/p/Cd2/", "id": "17873440459141022"},
    "id": "17841405309211844"}  # fmt: skip


def test_graph_answers_become_mentions() -> None:
    comment = graph.mentioned_comment(COMMENT_ANSWER["mentioned_comment"], "17873440459141021")
    assert comment == Found(
        id="17873440459141021", text="Shout out to @brand", created_at="2017-05-03T16:09:08Z",
        url="https://www.instagram.com/p/Ab1/", lang=None, handle="fan", kind="mention",
    )  # fmt: skip
    bare = graph.mentioned_comment({"id": "1", "text": "hi", "timestamp": 1_800_000_000}, "1")
    assert (bare.url, bare.handle, bare.created_at) == ("", "", "2027-01-15T08:00:00Z")
    with pytest.raises(Malformed, match="text"):
        graph.mentioned_comment({"id": "1", "timestamp": "2017-05-03T16:09:08+0000"}, "1")
    with pytest.raises(Malformed):
        graph.mentioned_comment(None, "1")


@pytest.mark.parametrize(
    ("comment_id", "answer", "fields"),
    [
        ("17873440459141021", COMMENT_ANSWER, "mentioned_comment.comment_id(17873440459141021)"
         "{id,text,timestamp,username,media{id,permalink}}"),
        ("", MEDIA_ANSWER, "mentioned_media.media_id(17873440459141022)"
         "{id,caption,timestamp,username,permalink}"),
    ],
)  # fmt: skip
def test_a_mention_is_read_on_the_ig_user_node(
    monkeypatch: pytest.MonkeyPatch, comment_id: str, answer: dict[str, Any], fields: str
) -> None:
    asked: list[tuple[str, dict[str, str]]] = []

    def get_json(platform: str, url: str, *, query: dict[str, str], timeout: float) -> Answer:
        asked.append((url, dict(query)))
        return Answer(answer, {}, 0)

    monkeypatch.setattr(graph, "get_json", get_json)
    account = SimpleNamespace(id="17841405309211844")
    source = Source("instagram", "b", account, (), "https://graph.example", lambda: "fake-tok")
    body, mention = graph.mentioned(source, "17873440459141022", comment_id)
    assert asked == [("https://graph.example/v21.0/17841405309211844",
                      {"fields": fields, "access_token": "fake-tok"})]  # fmt: skip
    assert body.body == answer and isinstance(mention, Found) and mention.kind == "mention"
    edge = next(iter(answer))
    assert mention.id == answer[edge]["id"] and mention.handle == "fan"
    assert mention.text == answer[edge].get("text", answer[edge].get("caption"))
    assert mention.url.startswith("https://www.instagram.com/p/")
    monkeypatch.setattr(graph, "get_json", lambda *a, **k: Answer({"id": "1"}, {}, 0))
    assert isinstance(graph.mentioned(source, "17873440459141022", comment_id)[1], Malformed)


def _error(status: int, code: int, sub: int | None = None) -> PlatformError:
    body = {"error": {"message": "m", "type": "OAuthException", "code": code,
                      **({"error_subcode": sub} if sub else {})}}  # fmt: skip
    return from_response("instagram", status, {}, body)


def test_only_an_id_graph_no_longer_finds_is_gone() -> None:
    assert webhooks.gone(_error(400, 100, 33))  # "Object with ID ... does not exist"
    assert webhooks.gone(PlatformError("instagram", 404, "404", "not found"))
    for error in (_error(400, 100),  # a field or parameter refused: our request, not the id
                  _error(400, 190), _error(400, 190, 463),  # tokens
                  _error(400, 32), _error(400, 4), _error(429, 0), _error(500, 2), _error(503, 0),
                  PlatformError("instagram", 0, "network", "unreachable", retryable=True),
                  BadPage("not JSON"), TokenError("no access_token")):  # fmt: skip
        assert not webhooks.gone(error), error


def test_the_meta_fake_parses_fields_as_graph_does() -> None:
    [edge] = meta_peer.graph_fields(
        "mentioned_comment.comment_id(18){id,text,timestamp,username,media{id,permalink}}"
    )
    assert (edge.name, edge.params) == ("mentioned_comment", {"comment_id": "18"})
    assert edge.sub is not None and [f.name for f in edge.sub][-1] == "media"
    assert [f.name for f in edge.sub[-1].sub or []] == ["id", "permalink"]
    for bad in ("id,", "a{b", "a.b", "{a}", "a}", ""):
        with pytest.raises(meta_peer.FieldsSyntax):
            meta_peer.graph_fields(bad)


def test_times_and_bytes() -> None:
    assert utc("2027-01-14T08:00:00.123Z") == "2027-01-14T08:00:00Z"
    assert utc("2027-01-14T09:00:00+0100") == "2027-01-14T08:00:00Z"
    assert utc(1_800_000_000) == utc(1_800_000_000_000) == "2027-01-15T08:00:00Z"
    with pytest.raises(ValueError):
        utc("yesterday")
    assert decode("café".encode()) == ("café", 0)
    assert decode(b"caf\xe9 \xff") == ("caf\ufffd \ufffd", 2)


# ---- any header, any query: a reason, never an exception (issue 11, item 1) ---------------

ODD = st.text(max_size=120) | st.sampled_from(["sha256=", "t=,s=", "t=1,s=" + "0" * 64, "t=²"])


@settings(max_examples=300, deadline=None)
@given(platform=st.sampled_from(["facebook", "instagram", "x", "tiktok", "bluesky"]),
       headers=st.dictionaries(st.sampled_from(sorted(set(webhook_auth.HEADER.values()))), ODD),
       query=st.dictionaries(st.sampled_from(["hub.mode", "hub.verify_token", "hub.challenge",
                                              "crc_token"]), ODD | st.just("subscribe")))  # fmt: skip
def test_odd_headers_and_queries_are_refused_with_a_reason(
    platform: str, headers: dict[str, str], query: dict[str, str]
) -> None:
    """No signature is guessed, and no header or query value is an exception: before,
    ``t=²`` and a surrogate in a signature or verify_token raised (a 500)."""
    why = webhook_auth.signed(platform, headers, BODY, SECRET, NOW)
    assert isinstance(why, str) and why
    try:
        answer = webhook_auth.handshake(platform, query, KEYS)
    except Refused as refused:
        assert refused.status in (400, 403)
        return
    token = query.get("crc_token" if platform == "x" else "hub.challenge", "")
    assert (webhook_auth.CRC_TOKEN.fullmatch(token) and token in answer["body"]) or platform == "x"
    assert platform in ("x", "facebook", "instagram")
