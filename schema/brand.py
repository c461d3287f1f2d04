"""``kind: brand``: voice, style guide, accounts and listening."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from schema.base import Document, Strict
from schema.platforms import PLATFORMS
from schema.types import Domain, Hashtag, Language, Platform, SecretName, ShortText, Term, Text
from schema.urls import PublicUrl


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

    banned_terms: list[Term] = Field(
        default_factory=list, description="words or phrases no post may contain (E504)"
    )
    emoji: EmojiPolicy = Field(default_factory=EmojiPolicy, description="the emoji policy")
    hashtags: HashtagPolicy = Field(default_factory=HashtagPolicy, description="the hashtag policy")
    disclosures: Disclosures = Field(
        default_factory=Disclosures, description="the disclosures paid posts need (E503)"
    )


HexColor = Annotated[str, Field(pattern=r"^#[0-9A-Fa-f]{6}$")]
# a file beside the brand file (or below it), named without leaving its folder
AssetFile = Annotated[str, Field(pattern=r"^[\w-][\w.-]*(/[\w-][\w.-]*)*\.(png|jpg|jpeg|ttf|otf)$",
                                 max_length=200)]  # fmt: skip


class Kit(Strict):
    """The brand kit the generated images are drawn from (infra/images.py)."""

    palette: Annotated[list[HexColor], Field(min_length=1, max_length=3)] = Field(
        description="background, text and accent colours (#RRGGBB), in that order; missing "
        "ones take socialops' defaults"
    )
    logo: AssetFile | None = Field(
        default=None, description="a PNG or JPEG logo beside the brand file, drawn in a corner"
    )
    font: AssetFile | None = Field(
        default=None,
        description="a TrueType or OpenType font beside the brand file; none: DejaVu Sans Bold",
    )


class Account(Strict):
    """A platform account; its token lives in Secrets Manager under ``secret``."""

    handle: ShortText = Field(
        description="the account's handle or page name on the platform; X, Instagram, "
        "TikTok and Mastodon usernames and Bluesky handles (domain names) in the platform's form"
    )
    id: ShortText | None = Field(
        default=None,
        description="platform id, in the platform's form: Instagram user id and Facebook page "
        "id (digits; required: the Graph API posts as that id), LinkedIn organization or "
        "person URN (required: the post's author), X, Mastodon user id (digits), Bluesky DID, "
        "TikTok open_id",
    )
    instance: PublicUrl | None = Field(
        default=None,
        description="server URL for Mastodon and self-hosted Bluesky PDS (https, public host)",
    )
    secret: SecretName = Field(
        description="the Secrets Manager secret that holds the account's token, e.g. "
        "socialops/<brand>/<platform> (never the token itself)"
    )


class Listening(Strict):
    """What people say about the brand: the mentions ingest pulls, and the alerts read."""

    terms: Annotated[list[Term], Field(min_length=1)] = Field(
        description="words, names and hashtags that make a post a mention of the brand"
    )
    exclude: list[Term] = Field(
        default_factory=list, description="phrases that make a post not a mention"
    )
    languages: Annotated[list[Language], Field(min_length=1)] = Field(
        default_factory=lambda: ["en"], description="languages of the mentions kept"
    )
    platforms: list[Platform] | None = Field(
        default=None, description="platforms to listen on; default: every account's platform"
    )
    sentiment: Literal["fast", "balanced", "accurate"] = Field(
        default="balanced",
        description="how mentions are scored: fast (a linear model alone, thousands of "
        "mentions a second), balanced (the default: the linear model, and a sentence encoder "
        "beside it for the mentions it is least sure of, about one in twenty; still over "
        "2,000 a second) or accurate (the encoder for every mention: better on unseen "
        "topics, about twenty times the compute); the README's models section gives the "
        "paths' figures and costs",
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
    kit: Kit | None = Field(
        default=None,
        description="the colours, logo and font of generated images; none: "
        "socialops' plain palette",
    )
    link_domains: list[Domain] = Field(
        default_factory=list,
        description="web domains (and their subdomains) generated text may link to, besides "
        "those its brief names; none: only the brief's",
    )
    allowed_accounts: list[Annotated[str, Field(pattern=r"^\d{12}$")]] = Field(
        default_factory=list,
        description="other AWS accounts (12 digits) whose SNS topics this brand's alerts may "
        "notify; `socialops plan` and `deploy` refuse a topic of any other account",
    )

    @model_validator(mode="after")
    def _x_query_fits(self) -> Brand:
        listening = self.listening
        heard = (listening.platforms or list(self.accounts)) if listening else []
        if listening is None or "x" not in heard:
            return self
        length = x_query_length(listening.terms)
        if length > X_MAX_QUERY:
            raise PydanticCustomError(
                "so_value",
                "expected terms that fit in one X search query of {most} characters (each "
                "phrase quoted, joined by OR), found {found}: use fewer or shorter terms, or "
                "list listening.platforms without x",
                {"most": X_MAX_QUERY, "found": length, "at": "listening.terms"},
            )
        return self

    @field_validator("accounts")
    @classmethod
    def _account_ids(cls, accounts: dict[str, Account]) -> dict[str, Account]:
        for platform, account in accounts.items():
            _check_handle(platform, account.handle)
            _check_id(platform, account.id)
        return accounts


_DIGITS = r"\d{1,20}"
# platform -> (the id's form, in words; whether posting needs it)
ACCOUNT_IDS: dict[str, tuple[str, str, bool]] = {
    "instagram": (_DIGITS, "the Instagram user id, digits such as 17841400000000001", True),
    "facebook": (_DIGITS, "the Facebook page id, digits such as 100000000000001", True),
    "linkedin": (r"urn:li:(?:organization|person):\d{1,20}",
                 "a LinkedIn URN such as urn:li:organization:1234567", True),
    "x": (_DIGITS, "the X user id, digits such as 1234567890", False),
    "mastodon": (_DIGITS, "the Mastodon account id, digits such as 109876543210", False),
    "bluesky": (r"did:(?:plc:[a-z0-9]{16,32}|web:[A-Za-z0-9.-]{1,190})",
                "a DID such as did:plc:abcdefghijklmnopqrstuvwx", False),
    "tiktok": (r"[A-Za-z0-9_.-]{1,128}", "the TikTok open_id (letters, digits, _ . -)", False),
}  # fmt: skip


X_MAX_QUERY = 512  # X's limit on a search query (Basic and Pro access); ingest cuts there


def x_query_length(terms: list[str]) -> int:
    """Length of the query ingest builds for X: ``(t1 OR "a phrase") -is:retweet``."""
    parts = [len(t.strip()) if t.strip()[:1] in "#@" and " " not in t.strip()
             else len(t.strip().replace('"', "")) + 2 for t in terms]  # fmt: skip
    return len("() -is:retweet") + sum(parts) + len(" OR ") * (len(parts) - 1)


_DOMAIN = r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z][A-Za-z0-9-]{0,62}"
# platform -> (the handle's form, in words); the handle goes into URLs (X, TikTok, Bluesky)
# and is Bluesky's login. Facebook page names and LinkedIn names are free text.
HANDLES: dict[str, tuple[str, str]] = {
    "x": (r"@?[A-Za-z0-9_]{1,15}", "an X handle: 1 to 15 letters, digits or _"),
    "instagram": (r"@?[A-Za-z0-9._]{1,30}", "an Instagram username: 1 to 30 letters, digits, . or _"),
    "tiktok": (r"@?[A-Za-z0-9._]{1,24}", "a TikTok username: 1 to 24 letters, digits, . or _"),
    "mastodon": (r"@?[A-Za-z0-9_]{1,30}(?:@" + _DOMAIN + ")?",
                 "a Mastodon username such as acme or acme@mastodon.example"),
    "bluesky": ("@?" + _DOMAIN, "a Bluesky handle, a domain name such as acme.bsky.social"),
}  # fmt: skip


def _check_handle(platform: str, value: str) -> None:
    if platform in HANDLES and re.fullmatch(HANDLES[platform][0], value) is None:
        raise PydanticCustomError(
            "so_value",
            "expected {words}, found {found}",
            {"words": HANDLES[platform][1], "found": repr(value[:60]), "at": f"{platform}.handle"},
        )


def _check_id(platform: str, value: str | None) -> None:
    form, words, needed = ACCOUNT_IDS[platform]
    if value is None and needed:
        raise PydanticCustomError(
            "so_value",
            "expected an id for the {title} account ({words}): {title} cannot post "
            "without it, found none",
            {"title": PLATFORMS[platform].title, "words": words, "at": platform},
        )
    if value is not None and re.fullmatch(form, value) is None:
        raise PydanticCustomError(
            "so_value",
            "expected {words}, found {found}",
            {"words": words, "found": repr(value[:60]), "at": f"{platform}.id"},
        )
