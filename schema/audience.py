"""``kind: audience``: who, where, and when they are online."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from schema.base import Document, Strict
from schema.types import WEEKDAYS, HourRange, Locale, Platform, ShortText, TimeZone, Weekday


class ActiveHours(Strict):
    """When the audience is online, in each of its time zones."""

    days: Annotated[list[Weekday], Field(min_length=1)] = Field(
        default_factory=lambda: list(WEEKDAYS), description="days when the audience is online"
    )
    hours: Annotated[list[HourRange], Field(min_length=1)] = Field(
        default_factory=lambda: ["00:00-24:00"],
        description="local hours when the audience is online, e.g. 07:30-09:00",
    )


class Audience(Document):
    """People a campaign speaks to: their languages, time zones and hours online."""

    kind: Literal["audience"] = Field(description="what the file holds")
    description: ShortText | None = Field(default=None, description="who they are, in words")
    locales: Annotated[list[Locale], Field(min_length=1)] = Field(
        description="their languages; a post's text for a locale goes to them"
    )
    timezones: Annotated[list[TimeZone], Field(min_length=1)] = Field(
        description="where they live: a post at 09:00 goes out at 09:00 in each zone"
    )
    active: ActiveHours = Field(
        default_factory=ActiveHours,
        description="when they are online: 'at: auto' picks a time in these hours",
    )
    platforms: list[Platform] = Field(
        default_factory=list,
        description="platforms they use (recorded: the campaign's channels decide where posts go)",
    )
    interests: list[ShortText] = Field(
        default_factory=list,
        description="what they care about (recorded for the caption generator)",
    )
