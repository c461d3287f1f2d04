"""Who may push to the webhooks: the platforms' signatures and handshakes, and the
signing secrets they need, read once in a while (webhooks.py uses them).

A signature header is parsed against the one form its platform documents before the
secret is read: a request without one costs no Secrets Manager call, and only ASCII
digits reach ``int`` and only raw digests reach the comparison (a header of odd
characters or 400 digits was an exception, a 500, before).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from functions.ingest.webhook_request import Refused, reply

META = ("facebook", "instagram")
TIKTOK_TOLERANCE_S = 300
SECRET_TTL_S = 300  # a rotated or newly stored webhook_secret is seen within 5 minutes
HEADER = {"facebook": "x-hub-signature-256", "instagram": "x-hub-signature-256",
          "x": "x-twitter-webhooks-signature", "tiktok": "tiktok-signature"}  # fmt: skip
HEX = re.compile(r"[0-9a-fA-F]{64}")  # Meta (after "sha256="), TikTok's s=
B64 = re.compile(r"[A-Za-z0-9+/]{43}=")  # X (after "sha256="): base64 of the 32-byte digest
STAMP = re.compile(r"[0-9]{1,12}")  # TikTok's t=: unix seconds, ASCII digits only
# X's CRC answer is HMAC(secret, crc_token): exactly the signature of a POST whose body is
# that token. Without "{" and '"' no such body is a JSON object, so none can be a push.
CRC_TOKEN = re.compile(r"[A-Za-z0-9+/=_-]{1,128}")
CHALLENGE = re.compile(r"[A-Za-z0-9_-]{1,128}")  # Meta's hub.challenge (an integer): echoed


@dataclass(frozen=True)
class Claim:
    """What a request's signature header claims: the digest, and what the platform signs
    before the body (TikTok's ``"<t>."``)."""

    digest: bytes
    prefix: bytes = b""


def _tiktok(value: str, now: datetime) -> Claim:
    parts = dict(part.strip().partition("=")[::2] for part in value.split(","))
    stamp, given = parts.get("t", ""), parts.get("s", "")
    if not STAMP.fullmatch(stamp) or not HEX.fullmatch(given):
        raise Refused(401, "no valid TikTok-Signature header")
    if abs(now.timestamp() - int(stamp)) > TIKTOK_TOLERANCE_S:
        raise Refused(401, f"timestamp {stamp} is more than {TIKTOK_TOLERANCE_S} s away")
    return Claim(bytes.fromhex(given), stamp.encode() + b".")


def claim(platform: str, headers: Mapping[str, str], now: datetime) -> Claim:
    """The signature ``headers`` claim, or ``Refused`` (401) when it is not in the
    platform's form (or TikTok's timestamp is too far from ``now``)."""
    value = headers.get(HEADER.get(platform, ""), "")
    if platform == "tiktok":
        return _tiktok(value, now)
    text = value.removeprefix("sha256=") if value.startswith("sha256=") else ""
    if platform in META and HEX.fullmatch(text):
        return Claim(bytes.fromhex(text))
    if platform == "x" and B64.fullmatch(text):
        return Claim(base64.b64decode(text))
    raise Refused(401, f"no valid {HEADER.get(platform, 'signature')} header")


def digest(secret: str, data: bytes) -> bytes:
    return hmac.new(secret.encode(), data, hashlib.sha256).digest()


def verified(given: Claim, secret: str, body: bytes) -> bool:
    return hmac.compare_digest(given.digest, digest(secret, given.prefix + body))


def signed(platform: str, headers: Mapping[str, str], body: bytes, secret: str,
           now: datetime) -> str | None:  # fmt: skip
    """None when the body is signed by ``secret``; else why not."""
    try:
        given = claim(platform, headers, now)
    except Refused as refused:
        return refused.why
    return None if verified(given, secret, body) else "bad signature"


def same(given: str, expected: str) -> bool:
    """Constant-time equality of any two strings (lone surrogates too)."""
    return hmac.compare_digest(given.encode("utf-8", "surrogatepass"),
                               expected.encode("utf-8", "surrogatepass"))  # fmt: skip


# ---- handshakes -----------------------------------------------------------------------


def handshake_token(platform: str, query: Mapping[str, str]) -> str:
    """What a GET handshake asks to be answered (Meta's challenge, X's crc_token), checked
    before the secret is read; ``Refused`` (400) otherwise."""
    if platform in META:
        challenge = query.get("hub.challenge", "")
        if query.get("hub.mode") != "subscribe" or not query.get("hub.verify_token"):
            raise Refused(400, "expected hub.mode=subscribe, hub.verify_token, hub.challenge")
        if not CHALLENGE.fullmatch(challenge):
            raise Refused(400, "hub.challenge is not 1 to 128 letters, digits, _ or -")
        return challenge
    if platform == "x":
        token = query.get("crc_token", "")
        if not CRC_TOKEN.fullmatch(token):
            raise Refused(400, "expected a crc_token of 1 to 128 characters in [A-Za-z0-9+/=_-]")
        return token
    raise Refused(400, f"{platform} has no GET handshake")


def handshake(platform: str, query: Mapping[str, str], secret: Mapping[str, Any]) -> dict[str, Any]:  # fmt: skip
    """The answer to a GET handshake, with the account's secret (``Refused`` 400, 403)."""
    token = handshake_token(platform, query)
    if platform == "x":
        answer = base64.b64encode(digest(str(secret.get("webhook_secret")), token.encode()))
        return reply(200, {"response_token": "sha256=" + answer.decode()})
    verify = secret.get("verify_token")
    if not isinstance(verify, str) or not verify or not same(query["hub.verify_token"], verify):
        raise Refused(403, "verify_token does not match")
    return reply(200, token, "text/plain")


# ---- the secrets --------------------------------------------------------------------------


class SecretCache:
    """The accounts' secrets (Secrets Manager JSON), each read at most once per ``ttl_s``
    and execution environment: a flood of requests is not a flood of billable reads, nor
    throttling that fails the genuine pushes. A secret that is missing or not a JSON
    object is remembered as ``{}`` for as long (the webhook answers 404 meanwhile)."""

    def __init__(self, client: Any, now: Callable[[], datetime], ttl_s: float = SECRET_TTL_S):
        self.client, self.now, self.ttl = client, now, timedelta(seconds=ttl_s)
        self.held: dict[str, tuple[datetime, dict[str, Any]]] = {}

    def get(self, name: str) -> dict[str, Any]:
        at = self.now()
        kept = self.held.get(name)
        if kept is not None and at < kept[0]:
            return kept[1]
        value = self._read(name)
        self.held[name] = (at + self.ttl, value)
        return value

    def _read(self, name: str) -> dict[str, Any]:
        try:
            answer = self.client.get_secret_value(SecretId=name)
        except self.client.exceptions.ResourceNotFoundException:
            return {}
        try:
            data = json.loads(answer.get("SecretString") or "")
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}
