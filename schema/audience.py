"""``kind: audience``: who, where, and when they are online."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from schema.base import Document, Strict
from schema.types import WEEKDAYS, HourRange, Locale, Platform, ShortText, TimeZone, Weekday


class ActiveHours(Strict):
    days: Annotated[list[Weekday], Field(min_length=1)] = Field(
        default_factory=lambda: list(WEEKDAYS)
    )
    hours: Annotated[list[HourRange], Field(min_length=1)] = Field(
        default_factory=lambda: ["00:00-24:00"],
        description="local hours when the audience is online, e.g. 07:30-09:00",
    )


class Audience(Document):
    kind: Literal["audience"]
    description: ShortText | None = None
    locales: Annotated[list[Locale], Field(min_length=1)]
    timezones: Annotated[list[TimeZone], Field(min_length=1)]
    active: ActiveHours = Field(default_factory=ActiveHours)
    platforms: list[Platform] = Field(default_factory=list)
    interests: list[ShortText] = Field(default_factory=list)
