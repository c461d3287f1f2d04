"""Secret names stay under their brand's prefix, ``socialops/<brand>/...`` (E309).

The functions are granted exactly the secrets the YAML names (infra/roles.py). Without a
prefix rule, a YAML file could name any secret of the account (``prod/stripe/api-key``) as
an account token or a Slack webhook, and so hand it to a function that sends it to a
platform. With it, what a brand's files can reach is that brand's own secrets.
"""

from __future__ import annotations

from typing import Any, Protocol

from infra.diagnostics import Diagnostic
from infra.loader import Path

CODE = "E309"


class Located(Protocol):
    model: Any

    def at(self, path: Path, code: str, message: str, *, key: bool = False) -> Diagnostic: ...


def prefix(brand: str) -> str:
    return f"socialops/{brand}/"


def _outside(doc: Located, path: Path, name: str, brand: str, what: str) -> list[Diagnostic]:
    wanted = prefix(brand)
    if name.startswith(wanted) and len(name) > len(wanted):
        return []
    return [doc.at(path, CODE, f"expected {what} under its brand's prefix, "
                               f"'{wanted}<name>', found {name!r}")]  # fmt: skip


def brand_secrets(doc: Located) -> list[Diagnostic]:
    """Each account's secret under ``socialops/<this brand>/``."""
    brand = doc.model
    out: list[Diagnostic] = []
    for platform, account in sorted(brand.accounts.items()):
        out += _outside(doc, ("accounts", platform, "secret"), account.secret, brand.name,
                        "the account's secret")  # fmt: skip
    return out


def campaign_secrets(doc: Located) -> list[Diagnostic]:
    """Each Slack webhook secret an alert notifies under ``socialops/<campaign's brand>/``."""
    campaign = doc.model
    out: list[Diagnostic] = []
    for i, alert in enumerate(campaign.alerts):
        for j, name in enumerate(alert.notify.slack):
            out += _outside(doc, ("alerts", i, "notify", "slack", j), name, campaign.brand,
                            "the Slack webhook's secret")  # fmt: skip
    return out
