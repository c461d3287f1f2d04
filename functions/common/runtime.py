"""What the handlers share at run time: their settings from the environment and the log
function their services are given. Standard library only (cold starts)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any

# JSON {platform: API root}: local peers instead of the platforms (simulate, tests)
ENDPOINTS_ENV = "SOCIALOPS_PLATFORM_ENDPOINTS"

Log = Callable[[str, str, Any], None]


def env(function: str, name: str) -> str:
    """The environment variable ``name``, which the stack sets for ``function``."""
    value = os.environ.get(name, "").strip()
    if not value:
        raise RuntimeError(f"{function}: environment variable {name} is not set")
    return value


def endpoints() -> dict[str, str]:
    raw = os.environ.get(ENDPOINTS_ENV, "").strip()
    return dict(json.loads(raw)) if raw else {}


def log_to(logger: Any) -> Log:
    """``log(level, message, extra)`` writing to a Powertools ``logger``."""

    def log(level: str, message: str, extra: Any) -> None:
        getattr(logger, level)(message, extra=dict(extra))

    return log
