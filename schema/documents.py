"""The kinds of file, and the compiled runtime config that functions load at cold start."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from schema.audience import Audience
from schema.base import LANGUAGE_VERSION, Strict
from schema.brand import Brand
from schema.campaign import Campaign
from schema.generated import Generated
from schema.types import Locale, Name, Platform, Text

KINDS: dict[str, type[Brand] | type[Audience] | type[Campaign] | type[Generated]] = {
    "brand": Brand,
    "audience": Audience,
    "campaign": Campaign,
    "generated": Generated,
}
AnyDocument = Annotated[Brand | Audience | Campaign | Generated, Field(discriminator="kind")]

# Version of the build/ layout; bumped when the compiled files change shape.
BUILD_SCHEMA_VERSION = 1


class ApprovedText(Strict):
    """A generated text that passed validate in a merged ``generated`` file: what ``publish``
    posts for one occurrence of a post with a brief (functions/publish/due.py)."""

    post: Name
    channel: Platform
    locale: Locale | None = None  # the post's locale text it stands for; None: its text
    scheduled_for: str  # the occurrence's UTC time, as its schedule's payload says it
    text: Text
    # the image drawn with it (url, "image", alt): ``store:media/generated/<sha256>.png``, a
    # key of the deployment's data bucket that deploy fills from build/media
    media: list[tuple[str, str, str]] = Field(default_factory=list)


class AutoPost(Strict):
    """One occurrence of an ``at: auto`` post: its identity (the payload of its compiled
    fallback schedule) and the range ``optimize`` may place it in (functions/optimize/
    placement.py)."""

    post: Name
    channel: Platform
    locale: Locale | None = None
    scheduled_for: str  # the compiled fallback time (UTC), as its schedule's payload says it
    timezone: str  # the zone its 'between' and its audience's active hours are read in
    audiences: list[Name] = Field(default_factory=list)
    earliest: str  # UTC: 'between' within the campaign window, its first minute...
    latest: str  # ...and its last


class RuntimeConfig(Strict):
    """``build/config/<campaign>.json``: a campaign with what it references, resolved.

    The functions validate it again with these same models when they start.
    """

    schema_version: Annotated[int, Field(ge=BUILD_SCHEMA_VERSION, le=BUILD_SCHEMA_VERSION)]
    language_version: Annotated[int, Field(ge=LANGUAGE_VERSION, le=LANGUAGE_VERSION)]
    campaign: Campaign
    brand: Brand
    audiences: dict[Name, Audience]
    texts: list[ApprovedText] = Field(
        default_factory=list, description="generated texts approved (merged), by occurrence"
    )
    auto: list[AutoPost] = Field(
        default_factory=list, description="the occurrences of 'at: auto' posts, to place"
    )
    # each channel's other occurrences (UTC stamps, sorted): optimize keeps a brand's placed
    # posts apart from them on the same channel
    occupied: dict[Platform, list[str]] = Field(default_factory=dict)
