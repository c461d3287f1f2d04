"""``kind: campaign``: window, channels, audiences, posts, generation, alerts, budget."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field, HttpUrl, field_validator, model_validator
from pydantic_core import PydanticCustomError

from schema.alerts import Alert
from schema.base import Document, Strict
from schema.types import (
    At,
    EndDateTime,
    Every,
    LocalDateTime,
    Locale,
    Name,
    Platform,
    ShortText,
    Text,
    TimeZone,
)


class Window(Strict):
    """Local start and end, in the campaign's time zone; a bare end date includes that day."""

    start: LocalDateTime
    end: EndDateTime

    @model_validator(mode="after")
    def _ordered(self) -> Window:
        if self.end <= self.start:
            raise PydanticCustomError(
                "so_value",
                "expected end after start, found start {start} and end {end}",
                {"start": str(self.start), "end": str(self.end)},
            )
        return self


class Length(Strict):
    min: Annotated[int, Field(ge=1)] | None = None
    max: Annotated[int, Field(ge=1)]


class CountRange(Strict):
    min: Annotated[int, Field(ge=0)] = 0
    max: Annotated[int, Field(ge=0, le=30)]


class GenerationRule(Strict):
    """How generated captions are written and reviewed."""

    tone: Annotated[list[ShortText], Field(min_length=1)] | None = None
    length: Length | None = None
    hashtags: CountRange | None = None
    variants: Annotated[int, Field(ge=1, le=10)] = 3
    review: Literal["required", "none"] = Field(
        default="required", description="required: a person approves the text in the PR"
    )
    language: Locale | None = None


class Brief(Strict):
    rule: Name
    brief: Text


class Media(Strict):
    url: HttpUrl
    type: Literal["image", "video"] = "image"
    alt: ShortText | None = None


class Override(Strict):
    """Per-channel replacement of a post's text or media (``media:`` left empty: none)."""

    text: Text | None = None
    media: list[Media] | None = Field(
        default=None, description="media for this channel; empty (`media:`) for none"
    )

    @field_validator("media", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return [] if value == "" else value


class LocaleText(Strict):
    text: Text


class Post(Strict):
    id: Name
    text: Text | None = None
    generate: Brief | None = None
    at: At | None = None
    every: Every | None = None
    between: Window | None = Field(
        default=None, description="range for 'at: auto' or for a recurrence"
    )
    timezone: TimeZone | None = Field(
        default=None, description="fixed zone; default: each audience's zones"
    )
    channels: Annotated[list[Platform], Field(min_length=1)] | None = None
    audiences: Annotated[list[Name], Field(min_length=1)] | None = None
    overrides: dict[Platform, Override] = Field(default_factory=dict)
    locales: dict[Locale, LocaleText] = Field(default_factory=dict)
    media: list[Media] = Field(default_factory=list)
    paid: bool = False

    @model_validator(mode="after")
    def _one_text_and_one_time(self) -> Post:
        if (self.text is None) == (self.generate is None):
            raise PydanticCustomError(
                "so_value",
                "expected exactly one of 'text' or 'generate', found {found}",
                {"found": "both" if self.text else "neither"},
            )
        if (self.at is None) == (self.every is None):
            raise PydanticCustomError(
                "so_value",
                "expected exactly one of 'at' or 'every', found {found}",
                {"found": "both" if self.at else "neither"},
            )
        if self.at == "auto" and self.between is None:
            raise PydanticCustomError(
                "so_value", "expected 'between' with 'at: auto' (the range to choose in)", {}
            )
        if self.between is not None and self.at is not None and self.at != "auto":
            raise PydanticCustomError(
                "so_value", "'between' goes with 'at: auto' or 'every', not with a fixed 'at'", {}
            )
        return self


class AudienceBudget(Strict):
    min: Annotated[Decimal, Field(ge=0, decimal_places=2)] = Decimal(0)
    max: Annotated[Decimal, Field(gt=0, decimal_places=2)] | None = None


class Budget(Strict):
    total: Annotated[Decimal, Field(gt=0, decimal_places=2)]
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
    objective: Literal[
        "awareness", "reach", "traffic", "engagement", "leads", "conversions", "sales",
        "app_installs", "video_views",
    ]  # fmt: skip
    audiences: dict[Name, AudienceBudget] = Field(default_factory=dict)


class Goal(Strict):
    kpi: Literal[
        "impressions", "reach", "engagement_rate", "clicks", "ctr", "followers",
        "conversions", "roas", "mentions", "sentiment", "video_views",
    ]  # fmt: skip
    target: float
    by: LocalDateTime | None = None


class Campaign(Document):
    kind: Literal["campaign"]
    brand: Name
    description: ShortText | None = None
    window: Window
    timezone: TimeZone
    channels: Annotated[list[Platform], Field(min_length=1)]
    audiences: list[Name] = Field(default_factory=list)
    generation: dict[Name, GenerationRule] = Field(default_factory=dict)
    posts: list[Post] = Field(default_factory=list)
    alerts: list[Alert] = Field(default_factory=list)
    budget: Budget | None = None
    goals: list[Goal] = Field(default_factory=list)
