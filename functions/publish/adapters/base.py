"""What every platform adapter shares: the request, the result, the token, the error.

Pure data and one protocol; nothing here touches the network (see ``http.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

MediaItem = tuple[str, str, str]  # (url, type: "image" | "video", alt text)


@dataclass(frozen=True)
class PostRequest:
    text: str
    idempotency_key: str
    handle: str
    account_id: str | None = None  # page id, IG user id, LinkedIn organization URN
    instance: str | None = None  # Mastodon server, self-hosted Bluesky PDS
    media: tuple[MediaItem, ...] = ()
    link: str | None = None


@dataclass(frozen=True)
class Published:
    platform: str
    post_id: str
    url: str
    published_at: datetime = field(default_factory=lambda: datetime.now(UTC))


@dataclass(frozen=True)
class Token:
    access_token: str
    expires_at: datetime | None = None

    def expired(self, now: datetime | None = None) -> bool:
        return self.expires_at is not None and self.expires_at <= (now or datetime.now(UTC))


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


class Adapter(Protocol):
    platform: str

    def publish(self, request: PostRequest, token: Token) -> Published: ...

    def find_existing(self, request: PostRequest, token: Token) -> Published | None: ...


def check_token(platform: str, token: Token) -> None:
    """Refuse before calling the platform with a token already known to be expired."""
    if token.expired():
        raise PlatformError(
            platform, 0, "token_expired", "the access token expired; renew it", auth=True
        )


def same_text(posted: str, ours: str) -> bool:
    """Whether a post found on the platform is ours: the same words, ignoring URLs (which
    platforms shorten) and runs of white space."""
    import re

    def norm(text: str) -> str:
        return " ".join(re.sub(r"https?://\S+", "", text).split())

    return norm(posted) == norm(ours)


def unsupported_media(platform: str) -> PlatformError:
    return PlatformError(
        platform, 0, "media_unsupported",
        "posting media here needs a media upload, which this adapter does not do yet",
    )  # fmt: skip
