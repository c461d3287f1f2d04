"""The functions and durable resources that serverless.yml includes from build/serverless."""

from __future__ import annotations

from typing import Any

from schema.documents import RuntimeConfig


def build(configs: dict[str, RuntimeConfig]) -> tuple[dict[str, Any], dict[str, Any]]:
    return {}, {"Resources": {}}
