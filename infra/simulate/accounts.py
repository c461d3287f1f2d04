"""Local peers for the brands' accounts: one contract fake per account (infra/peers), and
the secret that ``publish`` reads for it, holding a token only that fake accepts.

Tokens here are made up for the simulation (``simulated-<brand>-<platform>-...``) and
never leave the loopback interface.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from infra.peers import Fake, bluesky, linkedin, mastodon, meta, tiktok, x

X_TOKEN_LIFETIME = timedelta(hours=2)  # X's OAuth 2.0 user tokens last two hours


@dataclass
class Account:
    brand: str
    platform: str
    secret: str
    fake: Fake
    value: dict[str, Any]  # the secret's JSON

    @property
    def key(self) -> tuple[str, str]:
        return self.brand, self.platform


def _number(text: str, digits: int) -> str:
    return str(int(hashlib.sha256(text.encode()).hexdigest(), 16))[:digits]


def _fake(brand: str, platform: str, account: Any, token: str, start: datetime) -> Account:
    secret = account.secret
    value: dict[str, Any] = {"access_token": token}
    fake: Fake
    if platform in ("instagram", "facebook"):
        ident = account.id or _number(f"{brand}/{platform}", 15)
        fake = meta.GraphFake(token=token, ig_user=ident, page=ident, polls_until_finished=1)
    elif platform == "x":
        refresh = f"simulated-{brand}-x-refresh"
        fake = x.XFake(token=token, user=_number(brand, 10), refresh_token=refresh)
        expires = start + X_TOKEN_LIFETIME
        value.update(refresh_token=refresh, client_id=f"simulated-{brand}-client",
                     expires_at=expires.strftime("%Y-%m-%dT%H:%M:%SZ"))  # fmt: skip
    elif platform == "linkedin":
        org = account.id or f"urn:li:organization:{_number(brand, 7)}"
        fake = linkedin.LinkedInFake(token=token, org=org)
        expires = start + timedelta(days=60)
        value["expires_at"] = expires.strftime("%Y-%m-%dT%H:%M:%SZ")
    elif platform == "tiktok":
        fake = tiktok.TikTokFake(token=token, polls_until_complete=1)
    elif platform == "bluesky":
        did = f"did:plc:{hashlib.sha256(brand.encode()).hexdigest()[:24]}"
        fake = bluesky.BlueskyFake(handle=account.handle.lstrip("@"), password=token, did=did)
    elif platform == "mastodon":
        fake = mastodon.MastodonFake(token=token, handle=account.handle.lstrip("@"))
    else:  # pragma: no cover - the schema admits only the seven platforms
        raise ValueError(platform)
    return Account(brand, platform, secret, fake, value)


def start_accounts(configs: Iterable[Any], start: datetime) -> dict[tuple[str, str], Account]:
    """A started fake per (brand, platform) account the campaigns use."""
    accounts: dict[tuple[str, str], Account] = {}
    for config in configs:
        brand = config.brand.name
        for platform, account in sorted(config.brand.accounts.items()):
            if (brand, platform) in accounts:
                continue
            token = f"simulated-{brand}-{platform}-token"
            made = _fake(brand, platform, account, token, start)
            made.fake.start()
            accounts[made.key] = made
    return accounts


def store_secrets(secrets: Any, accounts: Iterable[Account]) -> None:
    for account in accounts:
        secrets.create_secret(Name=account.secret, SecretString=json.dumps(account.value))


def posts_on(fake: Fake) -> int:
    """How many posts the fake holds: what really went out to the platform."""
    count: int = fake.posts_made()
    return count
