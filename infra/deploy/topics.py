"""SNS topics of another AWS account (ARCHITECTURE.md 6): an alert may notify a topic
anywhere, so a YAML file could send a brand's alerts (and the mentions they quote) to an
account nobody audits. ``plan`` and ``deploy`` know the caller's account and refuse a
topic of any other account unless the brand lists it in ``allowed_accounts``."""

from __future__ import annotations

from pathlib import Path

from schema.documents import RuntimeConfig


def foreign_topics(build: Path, account: str) -> list[str]:
    """Each topic an alert notifies that is neither in ``account`` nor in an account its
    brand allows, as ``campaign/rule: ARN (account N)``."""
    found = []
    for path in sorted((build / "config").glob("*.json")):
        config = RuntimeConfig.model_validate_json(path.read_bytes())
        allowed = {account, *config.brand.allowed_accounts}
        for alert in config.campaign.alerts:
            for arn in alert.notify.sns:
                owner = arn.split(":")[4] if arn.count(":") >= 5 else ""
                if owner not in allowed:
                    found.append(f"{config.campaign.name}/{alert.name}: {arn} (account {owner})")
    return found
