"""The ``generated`` kind: the captions ``socialops generate`` wrote for a campaign's briefs,
reviewed in the pull request next to the campaign (``<campaign file>.generated.yml``).

One text per occurrence of a post on a channel (and locale): the occurrence is named by
its local time and zone, as the compiled schedules name it. Each text keeps the variants
written for it, with their forecasts and, for a variant dropped by the guardrails, why;
``chosen`` is what publishes once the file is merged (the merge is the approval). A person
may edit ``chosen`` by hand: validate checks it again like any hand-written text.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from schema.base import Document, Strict
from schema.types import LocalDateTime, Locale, Name, Platform, ShortText, Text, TimeZone

Count = Annotated[float, Field(ge=0, le=1e12)]


class Variant(Strict):
    """One caption written for an occurrence: its forecast, or why it was dropped."""

    text: Text = Field(description="the caption as the provider wrote it")
    p10: Count | None = Field(default=None, description="forecast engagement, 10th percentile")
    p50: Count | None = Field(default=None, description="forecast engagement, median")
    p90: Count | None = Field(default=None, description="forecast engagement, 90th percentile")
    p_viral: Annotated[float, Field(ge=0, le=1)] | None = Field(
        default=None, description="the forecast's chance that the post goes viral"
    )
    refused: ShortText | None = Field(
        default=None, description="why the guardrails dropped it (code and reason); none: passed"
    )


class GeneratedImage(Strict):
    """The image drawn for one text: a file beside the generated file, for review."""

    file: Annotated[
        str, Field(pattern=r"^[\w-][\w.-]*(/[\w-][\w.-]*)*\.(png|jpg)$", max_length=300)
    ] = Field(description="the PNG or JPEG, relative to this file's folder")
    size: Annotated[str, Field(pattern=r"^\d{2,4}x\d{2,4}$")] = Field(
        description="its width x height in pixels"
    )
    alt: ShortText = Field(description="what it shows, read aloud to people who cannot see it")
    sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")] = Field(
        description="the digest of its bytes: a file changed since is refused (E314)"
    )
    by: ShortText | None = Field(
        default=None, description="who drew it: card (offline), or the images API and model"
    )


class GeneratedVideo(Strict):
    """The video made for a post from its blog post: a file beside the generated file."""

    file: Annotated[str, Field(pattern=r"^[\w-][\w.-]*(/[\w-][\w.-]*)*\.mp4$", max_length=300)] = (
        Field(description="the MP4, relative to this file's folder")
    )
    seconds: Annotated[float, Field(ge=1, le=600)] = Field(description="how long it runs")
    alt: ShortText = Field(description="what it shows, for people who cannot see it")
    sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")] = Field(
        description="the digest of its bytes: a file changed since is refused (E314)"
    )


class Written(Strict):
    """The text of one occurrence of a post on one channel (and locale)."""

    at: LocalDateTime = Field(description="the occurrence's local time, YYYY-MM-DD HH:MM")
    timezone: TimeZone = Field(description="the zone of 'at' (the audience's)")
    channel: Platform = Field(description="the platform it is posted on")
    locale: Locale | None = Field(
        default=None, description="the post's locale text it stands for; none: the post's text"
    )
    chosen: Text | None = Field(
        default=None,
        description="the text that publishes once merged; none: nothing passed (see 'why')",
    )
    why: ShortText | None = Field(
        default=None, description="why this text was chosen, or why none was"
    )
    variants: list[Variant] = Field(default_factory=list, description="every variant written")
    image: GeneratedImage | None = Field(
        default=None, description="the image drawn with the chosen text, when the brief asks"
    )
    video: GeneratedVideo | None = Field(
        default=None, description="the video made for the post, when the brief asks"
    )


class GeneratedPost(Strict):
    """The texts written for one post's brief."""

    post: Name = Field(description="the post's id in the campaign")
    rule: Name = Field(description="the generation rule they were written by")
    brief: Text = Field(
        description="the brief they were written from; a different brief in the campaign "
        "makes them stale (E312): generate again"
    )
    texts: list[Written] = Field(default_factory=list, description="one per occurrence")


class Generated(Document):
    """Captions written for a campaign's briefs, for review (``socialops generate``)."""

    kind: Literal["generated"] = Field(description="what the file holds")
    provider: ShortText = Field(description="who wrote the variants (offline, openai)")
    model: ShortText = Field(description="the provider's model")
    ranking: ShortText | None = Field(
        default=None, description="what forecast the variants were ranked by"
    )
    posts: list[GeneratedPost] = Field(default_factory=list, description="the posts' texts")
