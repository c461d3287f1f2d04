"""Mentions pushed by the platforms: ``GET|POST /webhooks/{platform}/{brand}`` (HTTP API,
payload format 2.0).

GET answers the subscription handshakes: Meta's ``hub.challenge`` (when ``hub.verify_token``
matches) and X's CRC (``response_token`` = base64 HMAC-SHA256 of ``crc_token``). POST checks
the platform's signature over the raw body before reading it: Meta ``X-Hub-Signature-256``
(hex HMAC-SHA256 with the app secret), X ``x-twitter-webhooks-signature`` (base64
HMAC-SHA256 with the consumer secret), TikTok ``TikTok-Signature: t=..,s=..`` (hex
HMAC-SHA256 of ``"<t>.<body>"`` with the client secret; ``t`` within 5 minutes). Valid
pushes are normalised, written raw to S3 and queued like pulled mentions (service.py).

The secrets are the account's Secrets Manager JSON (the ``secret`` of the brand's
account): ``webhook_secret`` (app, consumer or client secret) and ``verify_token``.
Answers: 200 with counts, 400 malformed, 401 bad signature, 403 failed handshake, 404
unknown brand or platform, or one that does not push.

TikTok's documented webhooks (Login Kit, Content Posting) carry no comment text; a
TikTok event whose ``content`` holds a comment (``comment_id``, ``text``, ``create_time``,
``username``) is queued, any other event is acknowledged and counted as ignored.

Instagram ``mentions`` changes (the account @mentioned in a caption or in a comment on
someone else's media) carry only ids (``media_id``, and ``comment_id`` for a comment): each
is read through the Graph API with the account's access token (sources/meta.py
``mentioned``: ``mentioned_media`` / ``mentioned_comment`` on the IG User node) and queued
as a ``mention`` like any pushed item. When one cannot be read:

- the id is gone (Graph's code 100 subcode 33, or HTTP 404: deleted, or no longer
  visible): skipped, counted as ``gone``, logged (info); the answer stays 200;
- anything else (network error, 5xx, 429 or Meta's rate limits, an answer that is not
  JSON, and also no usable token: a missing secret or ``access_token``, an expired or
  revoked token, an account without its IG user ``id``): logged (error for what a person
  must fix), counted in ``failed`` with the reason in ``errors``, and the notification is
  answered 503 so that Meta delivers it again (it retries failed deliveries for hours):
  a mention is never acknowledged unread, and a token fixed meanwhile gets it. The
  notification's other items are queued all the same (the rest of its mentions are not
  read after a failure: the redelivery reads them). A redelivery queues them again, since
  ingest keeps no record of webhook ids across deliveries; ``score`` counts a mention once
  (its marker per brand, platform and id, functions/score/service.py), so a redelivered
  item changes no count (it may be stored twice in S3's scored lines, with its id).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from functions.common import config as configs
from functions.common.errors import EventError
from functions.ingest import service
from functions.ingest.sources import BadPage, Found, Malformed, as_int, decode, ident_of, when
from functions.ingest.sources import meta as graph
from functions.publish.adapters.base import PlatformError
from functions.publish.tokens import TokenError
from schema.platforms import PLATFORMS

TIKTOK_TOLERANCE_S = 300
META = ("facebook", "instagram")


def is_http(event: Any) -> bool:
    return isinstance(event, dict) and ("routeKey" in event or "requestContext" in event)


def reply(status: int, body: Any, content_type: str = "application/json") -> dict[str, Any]:
    text = body if isinstance(body, str) else json.dumps(body, sort_keys=True)
    return {"statusCode": status, "headers": {"Content-Type": content_type}, "body": text}


def hmac_hex(secret: str, data: bytes) -> str:
    return hmac.new(secret.encode(), data, hashlib.sha256).hexdigest()


def hmac_b64(secret: str, data: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), data, hashlib.sha256).digest()).decode()


def same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


# ---- signatures ---------------------------------------------------------------------------


def signed(platform: str, headers: Mapping[str, str], body: bytes, secret: str,
           now: datetime) -> str | None:  # fmt: skip
    """None when the body is signed by ``secret``; else why not."""
    if platform in META:
        given = headers.get("x-hub-signature-256", "")
        if not given.startswith("sha256="):
            return "no X-Hub-Signature-256 header"
        return None if same(given, "sha256=" + hmac_hex(secret, body)) else "bad signature"
    if platform == "x":
        given = headers.get("x-twitter-webhooks-signature", "")
        if not given.startswith("sha256="):
            return "no x-twitter-webhooks-signature header"
        return None if same(given, "sha256=" + hmac_b64(secret, body)) else "bad signature"
    if platform == "tiktok":
        parts = dict(p.split("=", 1) for p in headers.get("tiktok-signature", "").split(",")
                     if "=" in p)  # fmt: skip
        stamp, given = parts.get("t", ""), parts.get("s", "")
        if not stamp.isdigit() or not given:
            return "no TikTok-Signature header"
        if abs(now.timestamp() - int(stamp)) > TIKTOK_TOLERANCE_S:
            return f"timestamp {stamp} is more than {TIKTOK_TOLERANCE_S} s away"
        expected = hmac_hex(secret, stamp.encode() + b"." + body)
        return None if same(given, expected) else "bad signature"
    return "this platform does not push"


# ---- payloads -> mentions ----------------------------------------------------------------


@dataclass(frozen=True)
class MentionRef:
    """An Instagram ``mentions`` change: where the account was @mentioned, ids only (the
    text is read by id: ``read_mentions``)."""

    media_id: str
    comment_id: str = ""  # a comment on the media; "": the media's caption

    @property
    def ident(self) -> str:
        return self.comment_id or self.media_id


Item = Found | Malformed | MentionRef


def _twitter_time(ident: str, value: Any) -> str:
    try:
        parsed = datetime.strptime(str(value), "%a %b %d %H:%M:%S %z %Y")
        return parsed.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        return when(ident, value)


def x_tweet(tweet: Any) -> Found:
    """A v1.1 tweet object of the Account Activity API's ``tweet_create_events``."""
    ident = ident_of(tweet, "id_str") or ident_of(tweet)
    if not isinstance(tweet, dict) or not ident:
        raise Malformed(ident, "a tweet without id_str")
    extended = tweet.get("extended_tweet") if isinstance(tweet.get("extended_tweet"), dict) else {}
    text = (extended or {}).get("full_text") or tweet.get("full_text") or tweet.get("text")
    user: dict[str, Any] = tweet["user"] if isinstance(tweet.get("user"), dict) else {}
    if not isinstance(text, str) or "created_at" not in tweet:
        raise Malformed(ident, "lacks text or created_at")
    handle = str(user.get("screen_name") or "")
    created = user.get("created_at")
    return Found(
        id=ident, text=text, created_at=_twitter_time(ident, tweet["created_at"]),
        url=f"https://x.com/{handle or 'i'}/status/{ident}",
        lang=tweet.get("lang") if isinstance(tweet.get("lang"), str) else None, handle=handle,
        followers=as_int(user.get("followers_count")),
        author_created_at=_twitter_time(ident, created) if created else None,
        kind="reply" if tweet.get("in_reply_to_status_id_str") else "mention",
    )  # fmt: skip


def meta_change(platform: str, entry: Mapping[str, Any], change: Any) -> Found | MentionRef | None:  # fmt: skip
    """One ``changes[]`` item; None when it is not a new mention or comment."""
    if not isinstance(change, dict) or not isinstance(change.get("value"), dict):
        raise Malformed("", "a change without a value object")
    field, value = change.get("field"), change["value"]
    if platform == "facebook" and field in ("feed", "mention"):
        if value.get("verb", "add") != "add" or value.get("item") not in (
            "comment",
            "post",
            "status",
            None,
        ):
            return None
        ident = str(value.get("comment_id") or value.get("post_id") or "")
        text = value.get("message")
        if not ident or not isinstance(text, str):
            raise Malformed(ident, "lacks comment_id/post_id or message")
        author = value.get("from") if isinstance(value.get("from"), dict) else {}
        stamp = value.get("created_time") or entry.get("time")
        post = str(value.get("post_id") or ident)
        return Found(
            id=ident, text=text, created_at=when(ident, stamp),
            url=f"https://www.facebook.com/{post}", lang=None,
            handle=str(author.get("name") or value.get("sender_name") or author.get("id") or ""),
            kind="comment" if value.get("item") == "comment" else "mention",
        )  # fmt: skip
    if platform == "instagram" and field == "comments":
        ident = ident_of(value)
        author = value.get("from") if isinstance(value.get("from"), dict) else {}
        if not ident or not isinstance(value.get("text"), str):
            raise Malformed(ident, "lacks id or text")
        media = value.get("media") if isinstance(value.get("media"), dict) else {}
        return Found(
            id=ident, text=str(value["text"]), created_at=when(ident, entry.get("time")),
            url=f"https://www.instagram.com/p/{(media or {}).get('id', '')}", lang=None,
            handle=str(author.get("username") or author.get("id") or ""), kind="comment",
        )  # fmt: skip
    if platform == "instagram" and field == "mentions":
        media, comment = ident_of(value, "media_id"), ident_of(value, "comment_id")
        if not media and not comment:
            raise Malformed("", "a mentions change without media_id or comment_id")
        return MentionRef(media, comment)
    return None


def mentions_of(platform: str, payload: Any, account: Any) -> tuple[list[Any], list[Item], int]:  # fmt: skip
    """(raw items, normalised items, ignored events) of a pushed payload; ``ValueError``
    when the payload is not the platform's shape. Instagram mentions are ``MentionRef``s
    (``read_mentions`` reads them)."""
    if not isinstance(payload, dict):
        raise ValueError(f"expected a JSON object, found {type(payload).__name__}")
    raw: list[Any] = []
    found: list[Item] = []
    ignored = 0
    if platform in META:
        entries = payload.get("entry")
        if not isinstance(entries, list):
            raise ValueError("a Meta notification without an entry list")
        for entry in entries:
            changes = entry.get("changes") if isinstance(entry, dict) else None
            for change in changes if isinstance(changes, list) else []:
                raw.append(change)
                try:
                    item = meta_change(platform, entry, change)
                except Malformed as bad:
                    found.append(bad)
                    continue
                if item is None:
                    ignored += 1
                else:
                    found.append(item)
        return raw, found, ignored
    if platform == "x":
        tweets = payload.get("tweet_create_events")
        if tweets is None:
            return [payload], [], 1  # likes, follows, DMs...: not mentions
        if not isinstance(tweets, list):
            raise ValueError("tweet_create_events is not a list")
        owner = str(payload.get("for_user_id") or "")
        for tweet in tweets:
            user = tweet.get("user") if isinstance(tweet, dict) else None
            if owner and isinstance(user, dict) and str(user.get("id_str")) == owner:
                ignored += 1  # the brand's own tweet
                continue
            raw.append(tweet)
            try:
                found.append(x_tweet(tweet))
            except Malformed as bad:
                found.append(bad)
        return raw, found, ignored
    # tiktok
    if not isinstance(payload.get("event"), str):
        raise ValueError("a TikTok event without its event name")
    content = payload.get("content")
    try:
        data = json.loads(content) if isinstance(content, str) else content
    except ValueError:
        raise ValueError("TikTok content is not JSON") from None
    if not isinstance(data, dict) or "comment_id" not in data:
        return [payload], [], 1
    ident = str(data.get("comment_id"))
    try:
        if not isinstance(data.get("text"), str):
            raise Malformed(ident, "lacks text")
        handle = str(data.get("username") or payload.get("user_openid") or "")
        found.append(Found(
            id=ident, text=data["text"],
            created_at=when(ident, data.get("create_time") or payload.get("create_time")),
            url=str(data.get("video_url") or ""), lang=None, handle=handle, kind="comment",
        ))  # fmt: skip
    except Malformed as bad:
        found.append(bad)
    return [payload], found, 0


# ---- Instagram mentions: read by id ------------------------------------------------------


def gone(error: Exception) -> bool:
    """Whether Graph says the object is not there (deleted, or no longer visible)."""
    return (isinstance(error, PlatformError) and not error.retryable and not error.auth
            and (error.status == 404 or error.code == "100/33"))  # fmt: skip


def read_mentions(deps: service.Deps, who: service.Listener, platform: str, account: Any,
                  items: Sequence[Item], raw: list[Any], tally: service.Tally,
                  where: Mapping[str, str]) -> tuple[list[Found | Malformed], list[str]]:  # fmt: skip
    """``items`` with each ``MentionRef`` read by id (its answer added to ``raw``; a gone
    one left out and counted), and why the mentions that could not be read now were not
    (after a failure the rest are not tried: the redelivery reads them)."""
    if not any(isinstance(item, MentionRef) for item in items):
        return [item for item in items if not isinstance(item, MentionRef)], []
    out: list[Found | Malformed] = []
    errors: list[str] = []
    source = service.source_of(deps, who, platform, account)
    for item in items:
        if not isinstance(item, MentionRef):
            out.append(item)
            continue
        if errors:
            errors.append(f"{item.ident}: not read after an earlier failure")
            continue
        at = {**where, "media_id": item.media_id, "comment_id": item.comment_id}
        try:
            if not account.id:
                raise TokenError(f"the {platform} account names no id (its IG user id)")
            answer, mention = graph.mentioned(source, item.media_id, item.comment_id)
        except (PlatformError, BadPage, TokenError) as error:
            if gone(error):
                tally.skip("gone")
                deps.log("info", "an Instagram mention is gone; skipped", {**at,
                         "why": str(error)})  # fmt: skip
                continue
            errors.append(f"{item.ident}: {error}")
            if isinstance(error, BadPage) or getattr(error, "retryable", False):
                deps.log("warning", "an Instagram mention could not be read now; Meta "
                         "redelivers it", {**at, "why": str(error)})  # fmt: skip
            else:
                deps.log("error", "an Instagram mention could not be read: a person must fix "
                         "the account's token or settings (Meta redelivers it for a while)",
                         {**at, "why": str(error), "secret": account.secret})  # fmt: skip
            continue
        raw.append(answer.body)
        if answer.replaced:
            tally.skip("non_utf8_bytes_replaced", answer.replaced)
        out.append(mention)
    return out, errors


# ---- the request --------------------------------------------------------------------------


def raw_body(body: Any) -> bytes:
    """A text body's bytes: bytes that were not UTF-8 from Python's escapes, and a lone
    surrogate (an event's ``"\\ud800"``) as the three bytes a lenient decoder made it of,
    which ``decode`` replaces and counts: never an error that fails every redelivery."""
    if not isinstance(body, str):
        return b""
    try:
        return body.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return body.encode("utf-8", "surrogatepass")


def _secret(deps: service.Deps, name: str) -> dict[str, Any]:
    raw = deps.secrets.get_secret_value(SecretId=name)["SecretString"]
    data = json.loads(raw)
    return data if isinstance(data, dict) else {}


def handle(event: dict[str, Any], deps: service.Deps) -> dict[str, Any]:
    """Answer one HTTP API request (payload format 2.0)."""
    method = str((event.get("requestContext") or {}).get("http", {}).get("method")
                 or str(event.get("routeKey", "")).split(" ")[0]).upper()  # fmt: skip
    params = event.get("pathParameters") or {}
    platform, brand = str(params.get("platform", "")), str(params.get("brand", ""))
    where = {"platform": platform, "brand": brand, "method": method}
    if platform not in PLATFORMS or "push" not in PLATFORMS[platform].listening:
        deps.log("warning", "webhook for a platform that does not push", where)
        return reply(404, {"error": f"no webhooks for platform {platform!r}"})
    try:
        who = service.listener(brand)
    except (configs.ConfigError, EventError):
        deps.log("warning", "webhook for an unknown brand", where)
        return reply(404, {"error": f"no listening brand {brand!r}"})
    account = who.accounts.get(platform)
    if account is None or platform not in who.platforms:
        deps.log("warning", "webhook for a platform the brand does not listen on", where)
        return reply(404, {"error": f"brand {brand!r} does not listen on {platform}"})
    try:
        secret = _secret(deps, account.secret)
    except (deps.secrets.exceptions.ResourceNotFoundException, KeyError, ValueError):
        secret = {}
    key = secret.get("webhook_secret")
    if not isinstance(key, str) or not key:
        deps.log("error", "webhook secret missing: store webhook_secret in the account secret",
                 {**where, "secret": account.secret})  # fmt: skip
        return reply(404, {"error": "webhooks are not configured for this account"})
    query = event.get("queryStringParameters") or {}
    if method == "GET":
        return handshake(platform, query, key, secret.get("verify_token"), deps, where)
    if method != "POST":
        return reply(404, {"error": f"no route {method}"})
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        try:
            data = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            return reply(400, {"error": "the body is not base64"})
    else:
        data = raw_body(body)
    headers = {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()}
    why = signed(platform, headers, data, key, deps.now())
    if why is not None:
        deps.log("warning", "webhook refused: signature", {**where, "why": why})
        return reply(401, {"error": "invalid signature"})
    text, replaced = decode(data)
    try:
        raw, found, ignored = mentions_of(platform, json.loads(text), account)
    except ValueError as error:
        deps.log("warning", "webhook refused: malformed payload", {**where, "why": str(error)})
        return reply(400, {"error": f"malformed payload: {error}"})
    tally = service.Tally()
    if replaced:
        tally.skip("non_utf8_bytes_replaced", replaced)
        deps.log("warning", "bytes that are not UTF-8 were replaced", {**where, "bytes": replaced})
    if ignored:
        tally.skip("not_a_mention", ignored)
    basis = hashlib.sha256(data).hexdigest()
    items, errors = read_mentions(deps, who, platform, account, found, raw, tally, where)
    service.queue_found(deps, brand, platform, "webhook", items, raw, basis, tally)
    summary: dict[str, Any] = {"received": len(found), **tally.as_dict()}
    if errors:
        summary.update(failed=len(errors), errors=errors)
        deps.log("warning", "webhook answered 503: some mentions could not be read yet",
                 {**where, **summary})  # fmt: skip
        return reply(503, summary)
    deps.log("info", "webhook", {**where, **summary})
    return reply(200, summary)


def handshake(platform: str, query: Mapping[str, str], key: str, verify: Any,
              deps: service.Deps, where: Mapping[str, str]) -> dict[str, Any]:  # fmt: skip
    if platform in META:
        if query.get("hub.mode") != "subscribe" or "hub.challenge" not in query:
            return reply(400, {"error": "expected hub.mode=subscribe and hub.challenge"})
        given = str(query.get("hub.verify_token", ""))
        if not isinstance(verify, str) or not verify or not same(given, verify):
            deps.log("warning", "webhook handshake refused: verify_token", dict(where))
            return reply(403, {"error": "verify_token does not match"})
        return reply(200, str(query["hub.challenge"]), "text/plain")
    if platform == "x":
        crc = query.get("crc_token")
        if not crc:
            return reply(400, {"error": "expected crc_token"})
        return reply(200, {"response_token": "sha256=" + hmac_b64(key, crc.encode())})
    return reply(400, {"error": f"{platform} has no GET handshake"})
