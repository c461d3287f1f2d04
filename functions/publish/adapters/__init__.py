"""Platform adapters of ``publish``: one module per platform, each speaking the platform's
documented HTTP API with ``urllib`` (see base.py for the shared types).

Modules are imported only when asked for, so that ``publish`` starts fast.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from functions.publish.adapters.base import Adapter

MODULES = {
    "instagram": ("instagram", "InstagramAdapter"),
    "facebook": ("facebook", "FacebookAdapter"),
    "x": ("x", "XAdapter"),
    "linkedin": ("linkedin", "LinkedInAdapter"),
    "tiktok": ("tiktok", "TikTokAdapter"),
    "bluesky": ("bluesky", "BlueskyAdapter"),
    "mastodon": ("mastodon", "MastodonAdapter"),
}


def adapter_for(platform: str, base_url: str | None = None, **options: Any) -> Adapter:
    """The adapter of ``platform``; ``base_url`` points it elsewhere (tests, local peers)."""
    from functions.common.safe_url import allow_peer

    allow_peer(base_url)  # configured (SOCIALOPS_PLATFORM_ENDPOINTS, tests), never YAML
    module, name = MODULES[platform]
    cls = getattr(import_module(f"functions.publish.adapters.{module}"), name)
    adapter: Adapter = cls(base_url, **options)
    return adapter
