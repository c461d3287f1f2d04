"""What the report's plots are given and say, without matplotlib: the report's own process
imports this, and matplotlib (``plots.py``) only where it draws a plot itself (painting.py:
with drawing workers it never does)."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class GoalBar:
    title: str
    value: float | None  # so far
    target: float
    fan: Any = None  # forecasting.Fan, or None
    share: bool = False  # a share of 1: the axis in percent


def step_words(step: timedelta) -> str:
    hours = int(step.total_seconds() // 3600)
    if hours % 24 == 0:
        days = hours // 24
        return "day" if days == 1 else f"{days} days"
    return "hour" if hours == 1 else f"{hours} hours"


def data_uri(image: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(image).decode("ascii")
