"""Signed webhook pushes, as the platforms send them, for the tests and ``socialops
simulate``: the signature headers of Meta, X and TikTok, their handshakes, payloads of a
new mention or comment, and the HTTP API (payload format 2.0) event that API Gateway hands
``ingest`` for ``/webhooks/{platform}/{brand}``."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import urllib.parse
from datetime import UTC, datetime
from typing import Any


def meta_signature(secret: str, body: bytes) -> dict[str, str]:
    """``X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app secret, body)>``."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {"X-Hub-Signature-256": f"sha256={digest}"}


def x_signature(secret: str, body: bytes) -> dict[str, str]:
    """``x-twitter-webhooks-signature: sha256=<base64 HMAC-SHA256(consumer secret, body)>``."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return {"x-twitter-webhooks-signature": "sha256=" + base64.b64encode(digest).decode()}


def x_crc_response(secret: str, crc_token: str) -> str:
    """What X expects back for a CRC check (``response_token``)."""
    digest = hmac.new(secret.encode(), crc_token.encode(), hashlib.sha256).digest()
    return "sha256=" + base64.b64encode(digest).decode()


def tiktok_signature(secret: str, body: bytes, at: datetime) -> dict[str, str]:
    """``TikTok-Signature: t=<unix>,s=<hex HMAC-SHA256(client secret, "<t>.<body>")>``."""
    stamp = str(int(at.timestamp()))
    digest = hmac.new(secret.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return {"TikTok-Signature": f"t={stamp},s={digest}"}


def sign(platform: str, secret: str, body: bytes, at: datetime | None = None) -> dict[str, str]:
    """The signature headers ``platform`` sends with ``body``."""
    if platform in ("facebook", "instagram"):
        return meta_signature(secret, body)
    if platform == "x":
        return x_signature(secret, body)
    if platform == "tiktok":
        return tiktok_signature(secret, body, at or datetime.now(UTC))
    raise ValueError(f"{platform} sends no signed webhooks")


# ---- payloads -------------------------------------------------------------------------


def facebook_comment(page: str, comment_id: str, text: str, at: datetime,
                     author: str = "Fan") -> dict[str, Any]:  # fmt: skip
    """A Page ``feed`` change: a new comment on one of the Page's posts."""
    post = comment_id.split("_")[0] if "_" in comment_id else f"{page}_1"
    return {"object": "page", "entry": [{"id": page, "time": int(at.timestamp()), "changes": [
        {"field": "feed", "value": {"item": "comment", "verb": "add", "comment_id": comment_id,
                                    "post_id": post, "parent_id": post, "message": text,
                                    "created_time": int(at.timestamp()),
                                    "from": {"id": "4000000001", "name": author}}}]}]}  # fmt: skip


def instagram_comment(ig_user: str, comment_id: str, text: str, at: datetime,
                      author: str = "fan") -> dict[str, Any]:  # fmt: skip
    """An Instagram ``comments`` change: a new comment on the account's media."""
    return {"object": "instagram", "entry": [{"id": ig_user, "time": int(at.timestamp()),
                                              "changes": [{"field": "comments", "value": {
        "id": comment_id, "text": text, "from": {"id": "5000000001", "username": author},
        "media": {"id": "18000000000000001", "media_product_type": "FEED"}}}]}]}  # fmt: skip


def instagram_mention(ig_user: str, value: dict[str, str], at: datetime) -> dict[str, Any]:
    """An Instagram ``mentions`` change: the account was @mentioned in a caption (``value``
    ``{"media_id"}``) or a comment (``{"media_id", "comment_id"}``); ids only, no text
    (the Meta fake's ``mention_ids`` gives the value)."""
    return {"object": "instagram", "entry": [{"id": ig_user, "time": int(at.timestamp()),
                                              "changes": [{"field": "mentions",
                                                           "value": dict(value)}]}]}  # fmt: skip


def x_mention(for_user_id: str, tweet_id: str, text: str, at: datetime, author: str = "fan",
              followers: int = 10, lang: str = "en") -> dict[str, Any]:  # fmt: skip
    """An Account Activity ``tweet_create_events`` push (v1.1 tweet objects)."""
    twitter = "%a %b %d %H:%M:%S +0000 %Y"
    return {"for_user_id": for_user_id, "tweet_create_events": [{
        "id_str": tweet_id, "text": text, "lang": lang,
        "created_at": at.astimezone(UTC).strftime(twitter),
        "user": {"id_str": "6000000001", "screen_name": author, "followers_count": followers,
                 "created_at": datetime(2020, 1, 1, tzinfo=UTC).strftime(twitter)}}]}  # fmt: skip


def tiktok_comment(client_key: str, comment_id: str, text: str, at: datetime,
                   author: str = "fan") -> dict[str, Any]:  # fmt: skip
    """A TikTok webhook event (``client_key, event, create_time, user_openid, content``)
    whose content is a comment (the shape ingest reads; see functions/ingest/webhooks.py)."""
    content = {"comment_id": comment_id, "text": text, "create_time": int(at.timestamp()),
               "username": author, "video_id": "7400000000000000001"}  # fmt: skip
    return {"client_key": client_key, "event": "comment.create",
            "create_time": int(at.timestamp()), "user_openid": "tiktok-open-id-brand",
            "content": json.dumps(content)}  # fmt: skip


# ---- the HTTP API event --------------------------------------------------------------


def http_event(method: str, platform: str, brand: str, *, body: bytes = b"",
               headers: dict[str, str] | None = None, query: dict[str, str] | None = None,
               base64_body: bool = False) -> dict[str, Any]:  # fmt: skip
    """The event API Gateway (HTTP API, payload format 2.0) gives ``ingest``."""
    raw_query = urllib.parse.urlencode(query or {})
    return {
        "version": "2.0", "routeKey": f"{method} /webhooks/{{platform}}/{{brand}}",
        "rawPath": f"/webhooks/{platform}/{brand}", "rawQueryString": raw_query,
        "headers": {k.lower(): v for k, v in (headers or {}).items()},
        "queryStringParameters": dict(query) if query else None,
        "pathParameters": {"platform": platform, "brand": brand},
        "requestContext": {"http": {"method": method, "path": f"/webhooks/{platform}/{brand}"},
                           "routeKey": f"{method} /webhooks/{{platform}}/{{brand}}",
                           "stage": "$default"},
        "body": base64.b64encode(body).decode() if base64_body
        else body.decode("utf-8", "surrogateescape"),
        "isBase64Encoded": base64_body,
    }  # fmt: skip
