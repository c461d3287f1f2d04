"""``kind: campaign``: window, channels, audiences, posts, generation, alerts, budget."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from schema.alerts import Alert
from schema.base import Document, Strict
from schema.types import (
    At,
    EndDateTime,
    Every,
    LateBy,
    LocalDateTime,
    Locale,
    Name,
    Platform,
    ShortText,
    Text,
    TimeZone,
)
from schema.urls import PublicUrl

MAX_CAPTION = 63_206  # the longest text a platform takes (Facebook)
MAX_MONEY = Decimal(1_000_000_000)  # a billion: larger is a typo, and overflows ad APIs
Money = Annotated[Decimal, Field(le=MAX_MONEY, decimal_places=2)]
SHARE_KPIS = ("engagement_rate", "ctr")  # shares, 0 to 1
MAX_TARGET = 1e12  # more than every platform's users, many times over


class Window(Strict):
    """Local start and end, in the campaign's time zone; a bare end date includes that day."""

    start: LocalDateTime = Field(description="the first local date (and time)")
    end: EndDateTime = Field(description="the last local date (the whole day), or date and time")

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
    """How long a generated caption may be, in characters."""

    min: Annotated[int, Field(ge=1, le=MAX_CAPTION)] | None = Field(default=None, description="the fewest characters")  # fmt: skip
    max: Annotated[int, Field(ge=1, le=MAX_CAPTION)] = Field(
        description=f"the most characters, up to {MAX_CAPTION} (Facebook's limit, the longest)"
    )


class CountRange(Strict):
    """How many hashtags a generated caption carries."""

    min: Annotated[int, Field(ge=0, le=30)] = Field(default=0, description="the fewest")
    max: Annotated[int, Field(ge=0, le=30)] = Field(description="the most")


class GenerationRule(Strict):
    """How generated captions are written and reviewed (generation is not built yet: posts
    that ``generate`` are held until it is)."""

    tone: Annotated[list[ShortText], Field(min_length=1)] | None = Field(
        default=None, description="words for the tone; default: the brand's voice"
    )
    length: Length | None = Field(default=None, description="how long a caption may be")
    hashtags: CountRange | None = Field(default=None, description="how many hashtags")
    variants: Annotated[int, Field(ge=1, le=10)] = Field(
        default=3, description="captions written to choose from"
    )
    review: Literal["required", "none"] = Field(
        default="required", description="required: a person approves the text in the PR"
    )
    language: Locale | None = Field(
        default=None, description="the captions' language; default: each audience's locales"
    )


class ImageBrief(Strict):
    """An image generated with each text: a card drawn from the brand's kit."""

    style: Literal["card"] = Field(
        default="card", description="card: the headline on the brand kit's colours, logo and font"
    )
    headline: ShortText | None = Field(
        default=None, description="the card's words; none: the chosen text's first sentence"
    )
    prompt: Text | None = Field(
        default=None,
        description="what an images API draws, where one is configured (OPENAI_IMAGE_MODEL); "
        "none: the brief and the chosen text. Without one, or when it fails: the card",
    )


BlogSource = Annotated[
    str, Field(pattern=r"^(https://\S+|[\w-][\w.-]*(/[\w-][\w.-]*)*\.(md|txt))$", max_length=500)
]


class VideoBrief(Strict):
    """A short vertical video made from a blog post with each text (infra/video.py)."""

    source: BlogSource = Field(
        description="the blog post: a .md or .txt file beside the campaign, or an https page"
    )
    seconds: Annotated[int, Field(ge=15, le=60)] = Field(
        default=30, description="about how long the video runs (15 to 60)"
    )


class Brief(Strict):
    """A post whose text is generated: what it is about, and by which rule."""

    rule: Name = Field(description="a rule named under the campaign's generation")
    brief: Text = Field(description="what the post should say, for the generator")
    image: ImageBrief | None = Field(
        default=None,
        description="an image with each text, in its channel's size (it replaces the post's "
        "media there); none: the post's media",
    )
    video: VideoBrief | None = Field(
        default=None,
        description="a video made from a blog post with each text (it replaces the post's "
        "media, and an image); none: no video",
    )


class Media(Strict):
    """An image or a video, by URL, posted with the text where the platform takes it."""

    url: PublicUrl = Field(description="where the file is: https://, on a public host")
    type: Literal["image", "video"] = Field(default="image", description="image or video")
    alt: ShortText | None = Field(
        default=None, description="the description read aloud to people who cannot see it"
    )


class Override(Strict):
    """Per-channel replacement of a post's text or media (``media:`` left empty: none)."""

    text: Text | None = Field(default=None, description="the text on this channel")
    media: list[Media] | None = Field(
        default=None, description="media for this channel; empty (`media:`) for none"
    )

    @field_validator("media", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return [] if value == "" else value


class LocaleText(Strict):
    """A post's text in one language."""

    text: Text = Field(description="the text for audiences with this locale")


class Post(Strict):
    """One post: its text (or a brief to generate it) and when it goes out. Exactly one of
    ``text`` and ``generate``, and one of ``at`` and ``every``."""

    id: Name = Field(description="the post's name, unique in the campaign")
    text: Text | None = Field(default=None, description="what the post says")
    generate: Brief | None = Field(
        default=None, description="a brief to generate the text from, instead of text"
    )
    at: At | None = Field(
        default=None,
        description="once, at this local time (YYYY-MM-DD HH:MM), or 'auto' with 'between'",
    )
    every: Every | None = Field(
        default=None,
        description="again and again: 'thu 09:00', 'mon,wed,fri 12:30', 'daily 18:00', "
        "'weekdays 08:00', or cron(...) or rate(...)",
    )
    between: Window | None = Field(
        default=None, description="range for 'at: auto' or for a recurrence"
    )
    timezone: TimeZone | None = Field(
        default=None, description="fixed zone; default: each audience's zones"
    )
    channels: Annotated[list[Platform], Field(min_length=1)] | None = Field(
        default=None, description="where it goes; default: the campaign's channels"
    )
    audiences: Annotated[list[Name], Field(min_length=1)] | None = Field(
        default=None, description="for whom; default: the campaign's audiences"
    )
    overrides: dict[Platform, Override] = Field(
        default_factory=dict, description="another text or media on some channels"
    )
    locales: dict[Locale, LocaleText] = Field(
        default_factory=dict, description="the text in other languages, by locale"
    )
    media: list[Media] = Field(default_factory=list, description="images or videos")
    paid: bool = Field(
        default=False, description="a paid post: it must carry a disclosure such as #ad"
    )
    late_by: LateBy | None = Field(
        default=None,
        description="how late this post may still go out after its time (a rate limit, a "
        "pause, a redrive); later it is failed with the reason, not sent; default: the "
        "campaign's late_by",
    )

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
    """The share of the budget one audience gets, within the total."""

    min: Annotated[Money, Field(ge=0)] = Field(
        default=Decimal(0), description="the least to spend on it"
    )
    max: Annotated[Money, Field(gt=0)] | None = Field(
        default=None, description="the most to spend on it; none: up to the total"
    )


class Budget(Strict):
    """What the campaign may spend on paid posts (recorded and checked: E507)."""

    total: Annotated[Money, Field(gt=0)] = Field(
        description="the whole budget, up to 2 decimals and at most a billion"
    )
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] = Field(
        description="its currency, e.g. EUR"
    )
    objective: Literal[
        "awareness", "reach", "traffic", "engagement", "leads", "conversions", "sales",
        "app_installs", "video_views",
    ] = Field(description="what the spend is for")  # fmt: skip
    audiences: dict[Name, AudienceBudget] = Field(
        default_factory=dict, description="the split by audience, by its name"
    )


class Goal(Strict):
    """A target the campaign aims at (recorded with the campaign)."""

    kpi: Literal[
        "views", "impressions", "reach", "engagement_rate", "clicks", "ctr", "followers",
        "conversions", "roas", "mentions", "sentiment", "video_views",
    ] = Field(
        description="what is measured (how each is read: the README's \"Goals\"); "
        "impressions is read as views, what the platforms now report"
    )  # fmt: skip
    target: Annotated[float, Field(ge=-1, le=MAX_TARGET)] = Field(
        description="the value aimed at: a share as 0-1 (engagement_rate, ctr, e.g. 0.04), "
        "a mean polarity -1 to 1 (sentiment), else a count or ratio from 0 to 10^12"
    )
    by: LocalDateTime | None = Field(
        default=None, description="when; default: the end of the campaign"
    )

    @model_validator(mode="after")
    def _target_in_range(self) -> Goal:
        low, high = (0.0, 1.0) if self.kpi in SHARE_KPIS else (0.0, MAX_TARGET)
        if self.kpi == "sentiment":
            low, high = -1.0, 1.0
        if not low <= self.target <= high:
            raise PydanticCustomError(
                "so_value",
                "expected a {kpi} target from {low} to {high}, found {found}",
                {
                    "kpi": self.kpi,
                    "low": f"{low:g}",
                    "high": f"{high:g}",
                    "found": f"{self.target:g}",
                    "at": "target",
                },
            )
        return self


class Campaign(Document):
    """A campaign of one brand: when it runs, where, for whom, its posts and its alerts."""

    kind: Literal["campaign"] = Field(description="what the file holds")
    brand: Name = Field(description="the brand's name (a brand file)")
    description: ShortText | None = Field(default=None, description="what it is, in words")
    window: Window = Field(description="when it runs; nothing is posted outside it")
    timezone: TimeZone = Field(description="the zone of the window, and of posts for no audience")
    channels: Annotated[list[Platform], Field(min_length=1)] = Field(
        description="the platforms it posts to; the brand needs an account on each"
    )
    audiences: list[Name] = Field(
        default_factory=list, description="the audiences' names (audience files)"
    )
    generation: dict[Name, GenerationRule] = Field(
        default_factory=dict, description="rules for generated posts, by name"
    )
    posts: list[Post] = Field(default_factory=list, description="the posts")
    alerts: list[Alert] = Field(
        default_factory=list, description="listening rules; the brand must listen (E308)"
    )
    budget: Budget | None = Field(default=None, description="the paid budget")
    goals: list[Goal] = Field(default_factory=list, description="targets")
    late_by: LateBy = Field(
        default="6h",
        description="how late a post may still go out after its time (a rate limit, a "
        "pause, a redrive); later it is failed with the reason instead of sent late",
    )
