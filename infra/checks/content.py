"""Post text against each platform's limits and the brand's style guide."""

from __future__ import annotations

from collections.abc import Iterator

from infra.checks.references import Located
from infra.diagnostics import Diagnostic
from infra.loader import Path
from schema.brand import Brand
from schema.campaign import Campaign, Post
from schema.content import text_problems
from schema.platforms import PLATFORMS
from schema.types import Platform


def _texts(post: Post, channel: Platform, index: int) -> Iterator[tuple[Path, str]]:
    """Each text that may go out on ``channel``, with where it is written."""
    override = post.overrides.get(channel)
    if override is not None and override.text is not None:
        yield ("posts", index, "overrides", channel, "text"), override.text
    elif post.text is not None:
        yield ("posts", index, "text"), post.text
    for locale, variant in post.locales.items():
        yield ("posts", index, "locales", locale, "text"), variant.text


def check_campaign(doc: Located, brand: Brand | None) -> list[Diagnostic]:
    campaign: Campaign = doc.model
    out: list[Diagnostic] = []
    seen: set[tuple[Path, str]] = set()
    for i, post in enumerate(campaign.posts):
        for channel in post.channels or campaign.channels:
            for path, text in _texts(post, channel, i):
                for code, message in text_problems(channel, text, post.paid, brand):
                    if (path, message) not in seen:
                        seen.add((path, message))
                        out.append(doc.at(path, code, message))
            out.extend(_media(doc, post, channel, i))
            out.extend(_generated(doc, campaign, post, channel, i, brand))
    return out


def _media(doc: Located, post: Post, channel: Platform, index: int) -> Iterator[Diagnostic]:
    spec = PLATFORMS[channel]
    override = post.overrides.get(channel)
    media = override.media if override is not None and override.media is not None else post.media
    made = post.generate is not None and (post.generate.video or post.generate.image)
    if spec.media_required and not media and not made:
        yield doc.at(("posts", index), "E506", f"expected media (an image or video) for "
                     f"{spec.title}, found none")  # fmt: skip
    elif (
        channel == "tiktok"
        and not any(m.type == "video" for m in media)
        and not (post.generate is not None and post.generate.video)
    ):
        yield doc.at(("posts", index), "E506", "expected a video for TikTok, found only images")
    if not media:
        return
    where: Path = ("posts", index, "overrides", channel, "media") if override is not None \
        and override.media is not None else ("posts", index, "media")  # fmt: skip
    kinds = sorted({m.type for m in media} - set(spec.media_kinds))
    if kinds:
        yield doc.at(where, "E508", f"expected only {' or '.join(spec.media_kinds)} media on "
                     f"{spec.title}, found {' and '.join(kinds)}")  # fmt: skip
    elif len(media) > spec.max_media:
        yield doc.at(where, "E508", f"expected at most {spec.max_media} media item"
                     f"{'s' * (spec.max_media != 1)} on {spec.title}, found {len(media)}")  # fmt: skip
    elif spec.video_alone and len(media) > 1 and any(m.type == "video" for m in media):
        yield doc.at(where, "E508", f"expected a video alone on {spec.title}, found it with "
                     f"{len(media) - 1} other media item{'s' * (len(media) > 2)}")  # fmt: skip


def _generated(
    doc: Located, campaign: Campaign, post: Post, channel: str, index: int, brand: Brand | None
) -> Iterator[Diagnostic]:
    if post.generate is None or post.generate.rule not in campaign.generation:
        return
    rule = campaign.generation[post.generate.rule]
    spec = PLATFORMS[channel]
    path: Path = ("generation", post.generate.rule)
    if rule.length is not None and rule.length.max > spec.max_text:
        yield doc.at((*path, "length", "max"), "E501", f"expected at most {spec.max_text} for "
                     f"{spec.title} (post {post.id!r}), found {rule.length.max}")  # fmt: skip
    if rule.hashtags is not None and brand is not None:
        most = brand.style.hashtags.max
        if most is not None and rule.hashtags.max > most:
            yield doc.at((*path, "hashtags", "max"), "E502", f"expected at most {most} "
                         f"hashtags (brand style), found {rule.hashtags.max}")  # fmt: skip
