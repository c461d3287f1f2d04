"""``kind: brand``: voice, style guide, accounts and listening."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, HttpUrl

from schema.base import Document, Strict
from schema.types import Hashtag, Language, Platform, SecretName, ShortText, Text


class Voice(Strict):
    """How the brand sounds; the generator writes in this voice."""

    description: Text = Field(description="the brand's voice in a few sentences")
    tone: Annotated[list[ShortText], Field(min_length=1, max_length=10)] = Field(
        description="words for the tone, e.g. warm, precise (1 to 10)"
    )
    examples: list[Text] = Field(default_factory=list, description="example posts in the voice")
    avoid: list[ShortText] = Field(default_factory=list, description="tones or topics to avoid")


class EmojiPolicy(Strict):
    """Whether posts may carry emoji, and how many."""

    allowed: bool = Field(default=True, description="false: no emoji in any post (E505)")
    max_per_post: Annotated[int, Field(ge=0, le=50)] | None = Field(
        default=None, description="the most emoji in one post; none: no limit"
    )


class HashtagPolicy(Strict):
    """How many hashtags a post may have, and which it must or must not have."""

    max: Annotated[int, Field(ge=0, le=30)] | None = Field(
        default=None, description="the most hashtags in one post (E502); none: no limit"
    )
    required: list[Hashtag] = Field(
        default_factory=list, description="hashtags every post should carry (W501)"
    )
    banned: list[Hashtag] = Field(default_factory=list, description="hashtags no post may carry")


class Disclosures(Strict):
    """What a paid post (``paid: true``) must say."""

    paid: Annotated[list[ShortText], Field(min_length=1)] = Field(
        default_factory=lambda: ["#ad"],
        description="a paid post must contain at least one of these",
    )


class StyleGuide(Strict):
    """The brand's rules for every post; ``validate`` checks each post against them."""

    banned_terms: list[ShortText] = Field(
        default_factory=list, description="words or phrases no post may contain (E504)"
    )
    emoji: EmojiPolicy = Field(default_factory=EmojiPolicy, description="the emoji policy")
    hashtags: HashtagPolicy = Field(default_factory=HashtagPolicy, description="the hashtag policy")
    disclosures: Disclosures = Field(
        default_factory=Disclosures, description="the disclosures paid posts need (E503)"
    )


class Account(Strict):
    """A platform account; its token lives in Secrets Manager under ``secret``."""

    handle: ShortText = Field(description="the account's handle or page name on the platform")
    id: ShortText | None = Field(
        default=None,
        description="platform id: Facebook page id, Instagram user id, LinkedIn organization URN",
    )
    instance: HttpUrl | None = Field(
        default=None, description="server URL for Mastodon and self-hosted Bluesky PDS"
    )
    secret: SecretName = Field(
        description="the Secrets Manager secret that holds the account's token, e.g. "
        "socialops/<brand>/<platform> (never the token itself)"
    )


class Listening(Strict):
    """What people say about the brand: the mentions ingest pulls, and the alerts read."""

    terms: Annotated[list[ShortText], Field(min_length=1)] = Field(
        description="words, names and hashtags that make a post a mention of the brand"
    )
    exclude: list[ShortText] = Field(
        default_factory=list, description="phrases that make a post not a mention"
    )
    languages: Annotated[list[Language], Field(min_length=1)] = Field(
        default_factory=lambda: ["en"], description="languages of the mentions kept"
    )
    platforms: list[Platform] | None = Field(
        default=None, description="platforms to listen on; default: every account's platform"
    )


class Brand(Document):
    """A brand: its voice, its style guide, its accounts and what it listens for."""

    kind: Literal["brand"] = Field(description="what the file holds")
    display_name: ShortText | None = Field(
        default=None, description="the brand's name as people write it"
    )
    voice: Voice = Field(description="how the brand sounds")
    style: StyleGuide = Field(default_factory=StyleGuide, description="the style guide")
    accounts: dict[Platform, Account] = Field(
        default_factory=dict,
        description="the brand's account on each platform it posts to or listens on",
    )
    listening: Listening | None = Field(
        default=None, description="what to listen for; none: no listening"
    )
