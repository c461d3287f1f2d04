"""Platform tokens from Secrets Manager, refreshed before they expire (ARCHITECTURE.md 6).

A brand's account names a secret (``accounts.<platform>.secret``); the secret's value is a
JSON object::

    {"access_token": "...",          # Bluesky: the account's app password
     "expires_at": "2027-01-01T00:00:00Z",   # optional; absent: does not expire
     "refresh_token": "...",         # X, TikTok: OAuth 2.0 refresh token
     "client_id": "...", "client_secret": "..."}   # X: client_id; TikTok, Meta: both

Refreshable tokens (X, TikTok, Instagram and Facebook long-lived tokens) are renewed when
they are within ``REFRESH_AHEAD`` of expiry: at use time by ``publish``, and ahead of time
by the scheduled ``refresh_tokens`` run, which also warns about tokens that no API can
renew (LinkedIn's 60-day tokens for most apps) while a person still has time to reconnect.
A refreshed token is written back as the secret's new version before it is used; when two
functions refresh at once and the platform rotates refresh tokens, the loser re-reads the
secret and uses the winner's token.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from functions.common import safe_url
from functions.common.platform import http
from functions.common.platform.errors import PlatformError

REFRESH_AHEAD = timedelta(minutes=15)  # at use time
REFRESH_HORIZON = timedelta(hours=24)  # scheduled run: renew what expires within a day
WARN_AHEAD = timedelta(days=14)  # non-refreshable tokens: warn two weeks ahead


@dataclass(frozen=True)
class Token:
    access_token: str
    expires_at: datetime | None = None

    def expired(self, now: datetime | None = None) -> bool:
        return self.expires_at is not None and self.expires_at <= (now or datetime.now(UTC))


class TokenError(RuntimeError):
    """A secret is missing or is not a token object: a person must fix the secret."""


@dataclass(frozen=True)
class StoredToken:
    secret: str
    platform: str
    data: Mapping[str, Any]

    @property
    def token(self) -> Token:
        return Token(str(self.data["access_token"]), self.expires_at)

    @property
    def expires_at(self) -> datetime | None:
        value = self.data.get("expires_at")
        if not value:
            return None
        when = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        return when if when.tzinfo else when.replace(tzinfo=UTC)

    def due(self, now: datetime, ahead: timedelta) -> bool:
        return self.expires_at is not None and self.expires_at - ahead <= now

    @property
    def can_refresh(self) -> bool:
        from schema.platforms import PLATFORMS

        return (
            PLATFORMS[self.platform].refreshable
            and self.platform in REFRESHERS
            and bool(self.data.get("refresh_token") or self.platform in ("instagram", "facebook"))
        )


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# ---- refresh, per platform (documented OAuth endpoints) -----------------------------

Refresher = Callable[[str, Mapping[str, Any], float], dict[str, Any]]


def _refresh_x(root: str, data: Mapping[str, Any], timeout: float) -> dict[str, Any]:
    """X OAuth 2.0: ``POST /2/oauth2/token`` (grant_type=refresh_token); rotates both."""
    answer = http.call(
        "x", "POST", f"{root}/2/oauth2/token", timeout=timeout,
        form={"grant_type": "refresh_token", "refresh_token": str(data["refresh_token"]),
              "client_id": str(data.get("client_id", ""))},
    ).body  # fmt: skip
    return {"access_token": answer["access_token"], "expires_in": answer.get("expires_in"),
            "refresh_token": answer.get("refresh_token", data["refresh_token"])}  # fmt: skip


def _refresh_tiktok(root: str, data: Mapping[str, Any], timeout: float) -> dict[str, Any]:
    """TikTok: ``POST /v2/oauth/token/`` (grant_type=refresh_token); rotates both."""
    answer = http.call(
        "tiktok", "POST", f"{root}/v2/oauth/token/", timeout=timeout,
        form={"client_key": str(data.get("client_id", "")),
              "client_secret": str(data.get("client_secret", "")),
              "grant_type": "refresh_token", "refresh_token": str(data["refresh_token"])},
    ).body  # fmt: skip
    if "access_token" not in answer:
        raise PlatformError(
            "tiktok", 400, str(answer.get("error", "invalid_grant")),
            "the refresh token is invalid or expired; reconnect the account", auth=True,
        )  # fmt: skip
    return {"access_token": answer["access_token"], "expires_in": answer.get("expires_in"),
            "refresh_token": answer.get("refresh_token", data["refresh_token"])}  # fmt: skip


def _refresh_meta(platform: str) -> Refresher:
    def refresh(root: str, data: Mapping[str, Any], timeout: float) -> dict[str, Any]:
        """Meta long-lived user token: ``GET /oauth/access_token`` (fb_exchange_token)."""
        from schema.platforms import PLATFORMS

        version = PLATFORMS[platform].api_version
        answer = http.call(
            platform, "GET", f"{root}/{version}/oauth/access_token", timeout=timeout,
            query={"grant_type": "fb_exchange_token", "client_id": str(data.get("client_id", "")),
                   "client_secret": str(data.get("client_secret", "")),
                   "fb_exchange_token": str(data["access_token"])},
        ).body  # fmt: skip
        return {"access_token": answer["access_token"], "expires_in": answer.get("expires_in")}

    return refresh


REFRESHERS: dict[str, Refresher] = {
    "x": _refresh_x,
    "tiktok": _refresh_tiktok,
    "instagram": _refresh_meta("instagram"),
    "facebook": _refresh_meta("facebook"),
}


# ---- the store ----------------------------------------------------------------------


class Tokens:
    """Tokens by secret name, read once per cold start and refreshed when due.

    ``secrets`` is a boto3 Secrets Manager client; ``endpoints`` points OAuth calls
    elsewhere (local peers), by secret name or by platform; ``now`` is the clock.
    """

    def __init__(
        self,
        secrets: Any,
        *,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        endpoints: Mapping[str, str] | None = None,
        timeout: float = http.TIMEOUT_S,
    ) -> None:
        self.secrets, self.now, self.timeout = secrets, now, timeout
        self.endpoints = dict(endpoints or {})
        for url in self.endpoints.values():
            safe_url.allow_peer(url)  # local peers, configured: never from YAML
        self.cache: dict[str, StoredToken] = {}

    def read(self, platform: str, secret: str) -> StoredToken:
        try:
            raw = self.secrets.get_secret_value(SecretId=secret)["SecretString"]
        except self.secrets.exceptions.ResourceNotFoundException:
            raise TokenError(
                f"secret {secret!r} does not exist; store the {platform} token"
            ) from None
        except KeyError:
            raise TokenError(
                f"secret {secret!r} holds no string; store a JSON token object"
            ) from None
        try:
            data = json.loads(raw)
        except ValueError:
            raise TokenError(f"secret {secret!r} is not JSON; expected a token object") from None
        if not isinstance(data, dict) or not isinstance(data.get("access_token"), str):
            raise TokenError(f"secret {secret!r} has no access_token")
        stored = StoredToken(secret, platform, data)
        try:
            stored.expires_at  # noqa: B018 (parse now, fail here)
        except ValueError:
            raise TokenError(f"secret {secret!r}: expires_at is not an ISO 8601 time") from None
        self.cache[secret] = stored
        return stored

    def get(self, platform: str, secret: str) -> Token:
        """The token to call ``platform`` with, refreshed first when it is about to expire."""
        stored = self.cache.get(secret) or self.read(platform, secret)
        if stored.due(self.now(), REFRESH_AHEAD):
            stored = self.read(platform, secret)  # another function may have renewed it
            if stored.due(self.now(), REFRESH_AHEAD) and stored.can_refresh:
                stored = self.refresh(stored)
        if stored.due(self.now(), timedelta(0)):
            raise PlatformError(
                platform, 0, "token_expired",
                f"the access token expired on {_iso(stored.expires_at or self.now())} and "
                f"cannot be renewed by an API; renew it (reconnect the account) and store it "
                f"in {secret}", auth=True,
            )  # fmt: skip
        return stored.token

    def refresh(self, stored: StoredToken) -> StoredToken:
        """Renew ``stored`` at its platform and write it back as the secret's new version."""
        from schema.platforms import PLATFORMS

        root = (
            self.endpoints.get(stored.secret)
            or self.endpoints.get(stored.platform)
            or PLATFORMS[stored.platform].api_base
        )
        try:
            fresh = REFRESHERS[stored.platform](root.rstrip("/"), stored.data, self.timeout)
        except PlatformError:
            current = self.read(stored.platform, stored.secret)
            if current.data.get("access_token") != stored.data.get("access_token"):
                return current  # refreshed meanwhile by another invocation
            raise
        data = {**stored.data, **{k: v for k, v in fresh.items() if k != "expires_in"}}
        if fresh.get("expires_in"):
            data["expires_at"] = _iso(self.now() + timedelta(seconds=int(fresh["expires_in"])))
        self.secrets.put_secret_value(SecretId=stored.secret, SecretString=json.dumps(data))
        renewed = StoredToken(stored.secret, stored.platform, data)
        self.cache[stored.secret] = renewed
        return renewed


@dataclass(frozen=True)
class TokenReport:
    refreshed: list[str]
    warnings: list[str]  # a person must act before the date given
    errors: list[str]


def accounts(configs: Iterable[Any]) -> dict[str, tuple[str, str]]:
    """Each secret named by the campaigns' brands -> (platform, brand), deduplicated."""
    found: dict[str, tuple[str, str]] = {}
    for config in configs:
        for platform, account in config.brand.accounts.items():
            found.setdefault(account.secret, (platform, config.brand.name))
    return dict(sorted(found.items()))


def refresh_due(tokens: Tokens, configs: Iterable[Any]) -> TokenReport:
    """The scheduled run: renew what expires within a day, warn about what cannot be."""
    refreshed: list[str] = []
    warnings: list[str] = []
    errors: list[str] = []
    now = tokens.now()
    for secret, (platform, brand) in accounts(configs).items():
        try:
            stored = tokens.read(platform, secret)
            if stored.due(now, REFRESH_HORIZON) and stored.can_refresh:
                tokens.refresh(stored)
                refreshed.append(f"{brand} {platform} ({secret})")
            elif stored.due(now, WARN_AHEAD):
                assert stored.expires_at is not None
                left = stored.expires_at - now
                verb = "expired" if left.total_seconds() <= 0 else "expires"
                warnings.append(
                    f"{brand} {platform} token ({secret}) {verb} on "
                    f"{_iso(stored.expires_at)} and cannot be renewed by an API: reconnect "
                    f"the account and store the new token"
                    + (f" within {left.days} days" if left.days > 0 else "")
                )
        except (TokenError, PlatformError) as error:
            errors.append(f"{brand} {platform} token ({secret}): {error}")
    return TokenReport(refreshed, warnings, errors)
