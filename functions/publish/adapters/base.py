"""What every platform adapter shares: the request, the result, the token, the error.

Pure data and one protocol; nothing here touches the network (see ``http.py``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

from functions.common.media import Blob, Loader
from functions.common.platform import http
from functions.common.platform.errors import PlatformError
from functions.common.platform.tokens import Token

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

    @property
    def account(self) -> str:
        """The account it posts as, whatever the platform: a post id is unique only within
        one (Mastodon's are per server; two brands' accounts may number alike)."""
        return f"{self.instance or ''}/{self.account_id or self.handle}"


@dataclass(frozen=True)
class Published:
    platform: str
    post_id: str
    url: str
    # the platform's time of the post; None when its answer gave none: publish then records
    # its own clock's time (a default of the machine's clock would be wrong in simulate)
    published_at: datetime | None = None


# How far a platform's clock may be behind ours: a post of this firing is never older than
# its scheduled time (or its first claim) less this.
CLOCK_SKEW = timedelta(minutes=2)


def _take_any(post_id: str) -> bool:
    return True


def _keep_nothing(name: str, value: str) -> None:
    return None


@dataclass
class Trail:
    """One firing's footprint on the platform: what tells the post of *this* firing from
    any other with the same text (last week's, another time zone's).

    ``since``: the firing's post cannot be older (its scheduled time or its first claim,
    whichever is later); None when unknown (a search then looks at recent posts only).
    ``notes``: platform ids an earlier delivery wrote down before the step that posts (an
    Instagram container, a TikTok publish_id); ``save`` writes one down, durably, before
    that step; ``take`` claims a post found on the platform for this firing (False: it is
    another firing's)."""

    since: datetime | None = None
    scheduled_for: datetime | None = None
    notes: dict[str, str] = field(default_factory=dict)
    save: Callable[[str, str], None] = _keep_nothing
    take: Callable[[str], bool] = _take_any

    def keep(self, name: str, value: str) -> None:
        self.save(name, value)
        self.notes[name] = value

    @property
    def floor(self) -> datetime | None:
        """The oldest time a post of this firing may carry on the platform's clock."""
        return None if self.since is None else self.since - CLOCK_SKEW

    def within(self, when: datetime) -> bool:
        return self.floor is None or when >= self.floor

    def first(self, found: list[Published]) -> Published | None:
        """The first post found (within the firing's window) that this firing may take."""
        for post in found:
            if (post.published_at is None or self.within(post.published_at)) and self.take(post.post_id):  # fmt: skip
                return post
        return None


class Polling:
    """The options every adapter that uploads files or waits for the platform takes: the
    timeout of an API call and of one that carries a file or a part (at least
    ``upload_timeout_s``), how to wait between two polls (``sleep``: the simulation's clock
    in ``simulate``), how often and how many times it asks, and where it reads a post's
    media (``media``; None: the deployment's store)."""

    POLL_S = 2.0  # the platform's own pace, where it names none
    UPLOAD_TIMEOUT_S = 30.0

    def __init__(
        self,
        *,
        timeout: float = http.TIMEOUT_S,
        sleep: Callable[[float], None] = time.sleep,
        poll_interval_s: float | None = None,
        max_polls: int = 60,
        media: Loader | None = None,
    ) -> None:
        self.timeout, self.sleep, self.max_polls, self.media = timeout, sleep, max_polls, media
        self.poll_interval_s = self.POLL_S if poll_interval_s is None else poll_interval_s
        self.upload_timeout = max(timeout, self.UPLOAD_TIMEOUT_S)


class Uncertain(Exception):
    """The platform cannot say whether this firing already posted: a person decides (the
    post is held, never sent again blindly)."""


class Adapter(Protocol):
    platform: str

    def publish(
        self, request: PostRequest, token: Token, trail: Trail | None = None
    ) -> Published: ...

    def find_existing(
        self, request: PostRequest, token: Token, trail: Trail | None = None
    ) -> Published | None: ...


def check_token(platform: str, token: Token) -> None:
    """Refuse before calling the platform with a token already known to be expired."""
    if token.expired():
        raise PlatformError(
            platform, 0, "token_expired", "the access token expired; renew it", auth=True
        )


def utc_stamp(when: datetime) -> str:
    """``2027-01-11T10:00:00Z``: the UTC form most platform APIs take."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


MAX_PAGES = 10  # a search for our own post reads at most this many pages back


def searched_too_far(platform: str, trail: Trail) -> Uncertain:
    return Uncertain(
        f"{platform}: the account posted so much since {trail.since:%Y-%m-%d %H:%M}Z that its "
        f"last {MAX_PAGES} pages do not reach back to this firing; check the account by hand"
    )


# One page of the account's posts, newest first: each post with its text, and whether
# another page follows.
Page = tuple[list[tuple[Published, str]], bool]


def search(platform: str, pages: Iterator[Page], text: str, trail: Trail) -> Published | None:
    """The post of this firing among the account's posts, page by page: the first with
    ``text`` that the firing may take. The search stops at a page that reaches back past the
    firing's time, at the last page, and after one page when the firing's time is unknown;
    past ``MAX_PAGES`` the platform cannot tell (``Uncertain``)."""
    for _, (posts, more) in zip(range(MAX_PAGES), pages, strict=False):
        hit = trail.first([post for post, said in posts if same_text(said, text)])
        older = any(p.published_at is not None and not trail.within(p.published_at) for p, _ in posts)  # fmt: skip
        if hit is not None or older or not posts or not more or trail.floor is None:
            return hit
    raise searched_too_far(platform, trail)


def same_text(posted: str, ours: str) -> bool:
    """Whether a post found on the platform is ours: the same words, ignoring URLs (which
    platforms shorten) and runs of white space."""
    import re

    def norm(text: str) -> str:
        return " ".join(re.sub(r"https?://\S+", "", text).split())

    return norm(posted) == norm(ours)


def read_media(platform: str, request: PostRequest, load: Loader | None) -> list[Blob]:
    """The request's media as checked bytes (functions/common/media.py), before any
    upload: a file the platform does not take fails the post (``media_refused``, not
    retried); a store or network failure is retryable."""
    from functions.common import media

    if not request.media:
        return []
    load = load or media.loader_from_env()
    blobs = []
    for url, kind, alt in request.media:
        try:
            item = load(url, kind, alt)
            media.check(platform, item)
        except media.MediaError as error:
            raise media.refused(platform, error) from None
        except Exception as error:  # the store or the network: the next attempt may read it
            raise PlatformError(platform, 0, "media_unavailable", f"could not read {url}: "
                                f"{error}", retryable=True) from None  # fmt: skip
        blobs.append(item)
    return blobs
