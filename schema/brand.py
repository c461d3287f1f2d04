"""``kind: brand``: voice, style guide, accounts and listening."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, HttpUrl

from schema.base import Document, Strict
from schema.types import Hashtag, Language, Platform, SecretName, ShortText, Text


class Voice(Strict):
    """How the brand sounds; the generator writes in this voice."""

    description: Text
    tone: Annotated[list[ShortText], Field(min_length=1, max_length=10)]
    examples: list[Text] = Field(default_factory=list, description="example posts in the voice")
    avoid: list[ShortText] = Field(default_factory=list, description="tones or topics to avoid")


class EmojiPolicy(Strict):
    allowed: bool = True
    max_per_post: Annotated[int, Field(ge=0, le=50)] | None = None


class HashtagPolicy(Strict):
    max: Annotated[int, Field(ge=0, le=30)] | None = None
    required: list[Hashtag] = Field(default_factory=list)
    banned: list[Hashtag] = Field(default_factory=list)


class Disclosures(Strict):
    paid: Annotated[list[ShortText], Field(min_length=1)] = Field(
        default_factory=lambda: ["#ad"],
        description="a paid post must contain at least one of these",
    )


class StyleGuide(Strict):
    banned_terms: list[ShortText] = Field(default_factory=list)
    emoji: EmojiPolicy = Field(default_factory=EmojiPolicy)
    hashtags: HashtagPolicy = Field(default_factory=HashtagPolicy)
    disclosures: Disclosures = Field(default_factory=Disclosures)


class Account(Strict):
    """A platform account; its token lives in Secrets Manager under ``secret``."""

    handle: ShortText
    id: ShortText | None = Field(
        default=None,
        description="platform id: Facebook page id, Instagram user id, LinkedIn organization URN",
    )
    instance: HttpUrl | None = Field(
        default=None, description="server URL for Mastodon and self-hosted Bluesky PDS"
    )
    secret: SecretName


class Listening(Strict):
    terms: Annotated[list[ShortText], Field(min_length=1)]
    exclude: list[ShortText] = Field(default_factory=list)
    languages: Annotated[list[Language], Field(min_length=1)] = Field(
        default_factory=lambda: ["en"]
    )
    platforms: list[Platform] | None = Field(
        default=None, description="platforms to listen on; default: every account's platform"
    )


class Brand(Document):
    kind: Literal["brand"]
    display_name: ShortText | None = None
    voice: Voice
    style: StyleGuide = Field(default_factory=StyleGuide)
    accounts: dict[Platform, Account] = Field(default_factory=dict)
    listening: Listening | None = None
