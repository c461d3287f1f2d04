"""Mentions pushed by the platforms: ``GET|POST /webhooks/{platform}/{brand}`` (HTTP API,
payload format 2.0).

GET answers the subscription handshakes: Meta's ``hub.challenge`` (when ``hub.verify_token``
matches) and X's CRC (``response_token`` = base64 HMAC-SHA256 of ``crc_token``, only for a
token that cannot be a push's body: webhook_auth.py). POST checks
the platform's signature over the raw body before reading it: Meta ``X-Hub-Signature-256``
(hex HMAC-SHA256 with the app secret), X ``x-twitter-webhooks-signature`` (base64
HMAC-SHA256 with the consumer secret), TikTok ``TikTok-Signature: t=..,s=..`` (hex
HMAC-SHA256 of ``"<t>.<body>"`` with the client secret; ``t`` within 5 minutes). Valid
pushes are normalised, written raw to S3 and queued like pulled mentions (service.py).

The secrets are the account's Secrets Manager JSON (the ``secret`` of the brand's
account): ``webhook_secret`` (app, consumer or client secret) and ``verify_token``, read
through a cache of 5 minutes (webhook_auth.SecretCache). The request is read defensively
first (webhook_request.py) and the signature header parsed against its platform's form,
so that what the platform did not send costs no secret read and is never an exception.
Answers: 200 with counts, 400 malformed, 401 bad signature, 403 failed handshake, 404
unknown brand or platform, or one that does not push, 405 another method, 413 a body over
1 MiB. A push already queued (the same signed body) is answered 200 and dropped
(deliveries.py): a replay, or a redelivery of a push whose answer was lost.

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
  read after a failure: the redelivery reads them). A redelivery queues them again (only a
  push answered 200 is recorded as queued, deliveries.py); ``score`` counts a mention once
  (its marker per brand, platform and id, functions/score/service.py), so a redelivered
  item changes no count (it may be stored twice in S3's scored lines, with its id).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from functions.common import config as configs
from functions.common.errors import EventError
from functions.common.platform.errors import PlatformError
from functions.common.platform.tokens import TokenError
from functions.ingest import deliveries, service, webhook_auth, webhook_request
from functions.ingest.sources import BadPage, Found, Malformed, as_int, decode, ident_of, when
from functions.ingest.sources import meta as graph
from functions.ingest.webhook_auth import META, SecretCache
from functions.ingest.webhook_request import Refused, Request, reply
from schema.platforms import PLATFORMS


def is_http(event: Any) -> bool:
    return isinstance(event, dict) and ("routeKey" in event or "requestContext" in event)


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


def handle(event: dict[str, Any], deps: service.Deps, secrets: SecretCache) -> dict[str, Any]:
    """Answer one HTTP API request (payload format 2.0): the cheap checks first (path,
    method, handshake token or signature header, body), then the account's secret, then
    the payload. Every refusal is a 4xx with its reason logged, never an exception."""
    where: dict[str, Any] = {}
    try:
        request = webhook_request.read(event)
        where = {"platform": request.platform, "brand": request.brand, "method": request.method}
        return _answer(request, deps, secrets, where)
    except Refused as refused:
        deps.log("warning", "webhook refused", {**where, "status": refused.status,
                                                "why": refused.why})  # fmt: skip
        return reply(refused.status, {"error": refused.why})


def _account(request: Request) -> tuple[service.Listener, Any]:
    """The listening brand and its account on the platform (``Refused`` 404)."""
    platform, brand = request.platform, request.brand
    if platform not in PLATFORMS or "push" not in PLATFORMS[platform].listening:
        raise Refused(404, f"no webhooks for platform {platform!r}")
    try:
        who = service.listener(brand)
    except (configs.ConfigError, EventError):
        raise Refused(404, f"no listening brand {brand!r}") from None
    account = who.accounts.get(platform)
    if account is None or platform not in who.platforms:
        raise Refused(404, f"brand {brand!r} does not listen on {platform}")
    return who, account


def _secret(secrets: SecretCache, account: Any, deps: service.Deps,
            where: Mapping[str, Any]) -> dict[str, Any]:  # fmt: skip
    secret = secrets.get(account.secret)
    key = secret.get("webhook_secret")
    if not isinstance(key, str) or not key:
        deps.log("error", "webhook secret missing: store webhook_secret in the account secret",
                 {**where, "secret": account.secret})  # fmt: skip
        raise Refused(404, "webhooks are not configured for this account")
    return secret


def _answer(request: Request, deps: service.Deps, secrets: SecretCache,
            where: dict[str, Any]) -> dict[str, Any]:  # fmt: skip
    who, account = _account(request)
    if request.method == "GET":
        webhook_auth.handshake_token(request.platform, request.query)
        return webhook_auth.handshake(request.platform, request.query,
                                      _secret(secrets, account, deps, where))  # fmt: skip
    claim = webhook_auth.claim(request.platform, request.headers, deps.now())
    data = webhook_request.body_bytes(request)
    key = _secret(secrets, account, deps, where)["webhook_secret"]
    if not webhook_auth.verified(claim, key, data):
        raise Refused(401, "invalid signature")
    basis = hashlib.sha256(data).hexdigest()
    if deliveries.seen(deps, request.brand, request.platform, basis):
        deps.log("warning", "webhook: a delivery already queued; dropped", where)
        return reply(200, {"duplicate": True, "queued": 0})
    answer = push(request, who, account, data, basis, deps, where)
    if answer["statusCode"] == 200:  # a 503 is redelivered: it must get through again
        deliveries.remember(deps, request.brand, request.platform, basis)
    return answer


def push(request: Request, who: service.Listener, account: Any, data: bytes, basis: str,
         deps: service.Deps, where: Mapping[str, Any]) -> dict[str, Any]:  # fmt: skip
    """Read, queue and answer a signed push (400 for a payload not the platform's)."""
    platform = request.platform
    text, replaced = decode(data)
    try:
        raw, found, ignored = mentions_of(platform, json.loads(text), account)
    except (ValueError, RecursionError) as error:
        raise Refused(400, f"malformed payload: {str(error)[:200]}") from None
    tally = service.Tally()
    if replaced:
        tally.skip("non_utf8_bytes_replaced", replaced)
        deps.log("warning", "bytes that are not UTF-8 were replaced", {**where, "bytes": replaced})
    if ignored:
        tally.skip("not_a_mention", ignored)
    items, errors = read_mentions(deps, who, platform, account, found, raw, tally, where)
    service.queue_found(deps, request.brand, platform, "webhook", items, raw, basis, tally)
    summary: dict[str, Any] = {"received": len(found), **tally.as_dict()}
    if errors:
        summary.update(failed=len(errors), errors=errors)
        deps.log("warning", "webhook answered 503: some mentions could not be read yet",
                 {**where, **summary})  # fmt: skip
        return reply(503, summary)
    deps.log("info", "webhook", {**where, **summary})
    return reply(200, summary)
