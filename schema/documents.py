"""The kinds of file, and the compiled runtime config that functions load at cold start."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from schema.audience import Audience
from schema.base import LANGUAGE_VERSION, Strict
from schema.brand import Brand
from schema.campaign import Campaign
from schema.types import Name

KINDS: dict[str, type[Brand] | type[Audience] | type[Campaign]] = {
    "brand": Brand,
    "audience": Audience,
    "campaign": Campaign,
}
AnyDocument = Annotated[Brand | Audience | Campaign, Field(discriminator="kind")]

# Version of the build/ layout; bumped when the compiled files change shape.
BUILD_SCHEMA_VERSION = 1


class RuntimeConfig(Strict):
    """``build/config/<campaign>.json``: a campaign with what it references, resolved.

    The functions validate it again with these same models when they start.
    """

    schema_version: Annotated[int, Field(ge=BUILD_SCHEMA_VERSION, le=BUILD_SCHEMA_VERSION)]
    language_version: Annotated[int, Field(ge=LANGUAGE_VERSION, le=LANGUAGE_VERSION)]
    campaign: Campaign
    brand: Brand
    audiences: dict[Name, Audience]
