"""Platform error responses → ``PlatformError`` with a reason in plain words.

One table per platform: known error codes to (reason, retryable, auth). What is not in
the table falls back on the HTTP status (429 and 5xx retry; 401 needs a person).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from functions.common.platform.retry import retry_after

Known = tuple[str, bool, bool]  # reason, retryable, auth

RATE = ("the platform's rate limit was reached", True, False)
EXPIRED = ("the access token expired; renew it", False, True)
REVOKED = ("the access token was revoked or is invalid; reconnect the account", False, True)

X: dict[str, Known] = {
    "Unauthorized": ("the access token expired or was revoked; renew it", False, True),
    "187": ("the same text was already posted (duplicate)", False, False),
    "186": ("the text is too long", False, False),
    "88": RATE,
    "89": REVOKED,
    "64": ("the account is suspended", False, True),
    "326": ("the account is locked; log in to unlock it", False, True),
    "185": ("the account's daily posting limit was reached", True, False),
    "324": ("a media id is invalid", False, False),
    "130": ("X is over capacity", True, False),
    "131": ("X had an internal error", True, False),
}

META: dict[str, Known] = {
    "190": REVOKED,
    "190/463": EXPIRED,
    "190/460": ("the token is invalid since the password changed; reconnect", False, True),
    "190/458": ("the app was removed from the account; reconnect", False, True),
    "102": EXPIRED,
    "4": ("the app's rate limit was reached", True, False),
    "17": ("the user's rate limit was reached", True, False),
    "32": ("the page's rate limit was reached", True, False),
    "613": ("too many calls in a short time", True, False),
    "80001": ("the page's rate limit was reached", True, False),
    "80002": ("the Instagram account's rate limit was reached", True, False),
    "368": ("the account is temporarily blocked from posting (policy)", False, False),
    "10": ("the app lacks the permission to post", False, True),
    "200": ("the token lacks the permission to post", False, True),
    "100": ("a parameter was refused", False, False),
    "1": ("Meta had an unknown error", True, False),
    "2": ("Meta's service is temporarily unavailable", True, False),
    "9007/2207027": ("the media container is not ready yet", True, False),
    "9": ("the publishing limit of 24 hours is used up", True, False),
    "4/2207051": ("the account is restricted from posting (spam)", False, False),
    "36003/2207009": ("the image's aspect ratio is not supported", False, False),
    "9004/2207052": ("the media could not be fetched from its URL", False, False),
}

LINKEDIN: dict[str, Known] = {
    "EXPIRED_ACCESS_TOKEN": EXPIRED,
    "REVOKED_ACCESS_TOKEN": REVOKED,
    "INVALID_ACCESS_TOKEN": REVOKED,
    "ACCESS_DENIED": ("the token may not post as this organization", False, True),
    "TOO_MANY_REQUESTS": RATE,
    "DUPLICATE_POST": ("the same post was already published (duplicate)", False, False),
    "401": REVOKED,
    "403": ("the token may not post as this organization", False, True),
    "422": ("the post was refused as invalid (perhaps a duplicate)", False, False),
    "429": RATE,
}

TIKTOK: dict[str, Known] = {
    "access_token_invalid": REVOKED,
    "scope_not_authorized": ("the token lacks the video.publish scope", False, True),
    "rate_limit_exceeded": RATE,
    "spam_risk_too_many_posts": ("the account posted too many times today", True, False),
    "spam_risk_too_many_pending_share": ("too many posts are still processing", True, False),
    "spam_risk_user_banned_from_posting": ("the account is banned from posting", False, False),
    "reached_active_user_cap": ("the app's daily user quota is used up", True, False),
    "unaudited_client_can_only_post_to_private_accounts": (
        "the app is not audited and may post only privately", False, False),
    "url_ownership_unverified": ("the media URL's domain is not verified", False, False),
    "privacy_level_option_mismatch": ("the privacy level is not offered", False, False),
    "invalid_params": ("a parameter was refused", False, False),
    "internal_error": ("TikTok had an internal error", True, False),
}  # fmt: skip

MASTODON: dict[str, Known] = {
    "401": REVOKED,
    "403": ("the account may not post (suspended or disabled)", False, True),
    "422": ("the status was refused as invalid", False, False),
    "429": RATE,
}

BLUESKY: dict[str, Known] = {
    "ExpiredToken": EXPIRED,
    "InvalidToken": REVOKED,
    "AuthenticationRequired": ("the handle or app password is wrong", False, True),
    "AccountTakedown": ("the account was taken down", False, True),
    "RateLimitExceeded": RATE,
    "InvalidRequest": ("the record was refused as invalid", False, False),
    "InvalidSwap": ("a record with this firing's key is already there", False, False),
    "RecordNotFound": ("no record with this key", False, False),
}

TABLES = {"instagram": META, "facebook": META, "x": X, "linkedin": LINKEDIN,
          "tiktok": TIKTOK, "mastodon": MASTODON, "bluesky": BLUESKY}  # fmt: skip


class PlatformError(Exception):
    """A platform said no. ``reason`` is in plain words; ``retryable`` says whether the
    same call may succeed later (after ``retry_after_s`` when known); ``auth`` says a
    person must renew or reconnect the account's token."""

    def __init__(
        self,
        platform: str,
        status: int,
        code: str,
        reason: str,
        *,
        retryable: bool = False,
        retry_after_s: float | None = None,
        auth: bool = False,
    ) -> None:
        self.platform, self.status, self.code, self.reason = platform, status, code, reason
        self.retryable, self.retry_after_s, self.auth = retryable, retry_after_s, auth
        super().__init__(str(self))

    def __str__(self) -> str:
        after = f"; retry in {self.retry_after_s:.0f} s" if self.retry_after_s else ""
        return f"{self.platform}: {self.reason} (HTTP {self.status}, {self.code}){after}"


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def error_code(platform: str, status: int, body: Any) -> tuple[str, str]:
    """(code, the platform's own message) found in an error body. Any body is taken: a
    gateway's page or a proxy's ``{"error": "Gateway Timeout"}`` falls back on the status."""
    body = _dict(body)
    if platform in ("instagram", "facebook", "tiktok"):
        err = _dict(body.get("error"))
        code, sub = err.get("code"), err.get("error_subcode")
        return (f"{code}/{sub}" if sub else str(code or status)), str(err.get("message", ""))
    if platform == "x":
        errors = body.get("errors")
        first = _dict(errors[0]) if isinstance(errors, list) and errors else {}
        code = first.get("code") or body.get("title") or status
        if "duplicate content" in str(body.get("detail", "")):
            code = 187  # API v2 says it in words; v1.1 said 187
        return str(code), str(first.get("message") or body.get("detail") or "")
    if platform == "linkedin":
        message = str(body.get("message", ""))
        if status == 422 and "duplicate" in message.lower():
            return "DUPLICATE_POST", message
        return str(body.get("code") or status), message
    if platform == "bluesky":
        return str(body.get("error") or status), str(body.get("message", ""))
    return str(status), str(body.get("error", ""))


def _lookup(table: dict[str, Known], code: str, status: int) -> Known | None:
    return table.get(code) or table.get(code.split("/")[0]) or table.get(str(status))


def _by_status(status: int, message: str) -> Known:
    said = f": {message}" if message else ""
    if status == 429:
        return RATE
    if status >= 500 or status == 0:
        return (f"the platform failed (HTTP {status}){said}", True, False)
    if status == 401:
        return (f"the token was refused{said}", False, True)
    return (f"the platform refused the request{said}", False, False)


def from_response(
    platform: str, status: int, headers: Mapping[str, str], body: Any
) -> PlatformError:
    code, message = error_code(platform, status, body)
    reason, retryable, auth = _lookup(TABLES[platform], code, status) or _by_status(status, message)
    if status >= 500 and not auth:
        retryable = True
    wait = retry_after(headers) if retryable else None
    return PlatformError(
        platform, status, code, reason, retryable=retryable, retry_after_s=wait, auth=auth
    )
