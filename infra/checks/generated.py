"""A ``generated`` file against its campaign: the post, its brief, its occurrences, and every
chosen text through the same content checks as hand-written text (schema/content.py).

What passes is approved (the file is merged: the merge is the approval) and compiled into
the campaign's build for ``publish``; a text whose brief changed since it was written, or
whose occurrence no longer exists, is not.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from infra.checks.references import Located, unknown
from infra.diagnostics import Diagnostic
from schema.brand import Brand
from schema.campaign import Campaign, Post
from schema.content import text_problems
from schema.documents import ApprovedText
from schema.generated import Generated, GeneratedPost
from schema.platforms import PLATFORMS


@dataclass
class Checked:
    diagnostics: list[Diagnostic] = field(default_factory=list)
    approved: list[ApprovedText] = field(default_factory=list)
    # the approved texts' images: the store's key (``media/generated/<sha256>.png|.jpg``) -> the
    # file beside the generated file, which compile copies into build/media
    media: dict[str, str] = field(default_factory=dict)


STORE_PREFIX = "media/generated/"


def _media(doc: Located, out: Checked, path: tuple[Any, ...], text: Any) -> list[tuple[str, str, str]] | None:  # fmt: skip
    """The text's video or image as the approved text's media (``store:`` + its key; a
    video alone), [] without one; None when a file is missing (E310) or changed since it
    was written (E314)."""
    import hashlib
    from pathlib import Path

    made = [(name, kind) for name, kind in (("video", "video"), ("image", "image"))
            if getattr(text, name) is not None]  # fmt: skip
    for name, kind in made:
        item = getattr(text, name)
        where = Path(doc.file).parent / item.file
        try:
            data = where.read_bytes()
        except OSError:
            out.diagnostics.append(doc.at((*path, name, "file"), "E310", (
                f"expected the {kind} {item.file} beside this file, found none: run "
                "`socialops generate` again (or restore the file)")))  # fmt: skip
            return None
        if hashlib.sha256(data).hexdigest() != item.sha256:
            out.diagnostics.append(doc.at((*path, name, "sha256"), "E314", (
                f"expected {item.file} as it was written (sha256 {item.sha256[:12]}...), found "
                f"other bytes: {'an image' if kind == 'image' else 'a video'} changed by hand "
                "is not what was reviewed; run "
                "`socialops generate --again` for this post, or put the digest of the new file "
                "here")))  # fmt: skip
            return None
        key = f"{STORE_PREFIX}{item.sha256}{Path(item.file).suffix}"
        out.media[key] = str(where)
        return [(f"store:{key}", kind, item.alt)]  # the first made: a video goes alone
    return []


def occurrence_key(post: str, channel: str, locale: str | None, local: str, tz: str) -> tuple[str, ...]:  # fmt: skip
    """An occurrence as a generated text names it: post, channel, locale, local time, zone."""
    return (post, channel, locale or "", local[:16].replace("T", " "), tz)


def check_generated(doc: Located, campaign: Campaign | None, campaigns: Collection[str],
                    brand: Brand | None, rows: Iterable[Mapping[str, Any]]) -> Checked:  # fmt: skip
    """``doc``'s problems and approved texts; ``rows`` are the campaign's occurrences as the
    compiler keeps them (infra.project.Timeline.rows)."""
    generated: Generated = doc.model
    out = Checked()
    if campaign is None:
        # a campaign removed with its texts' file left behind, or a misspelt name: the texts
        # apply to nothing, so nothing is lost by leaving them out (and a removal compiles)
        message = unknown("campaign", generated.name, campaigns)
        out.diagnostics.append(doc.at(("name",), "W407", f"{message}: these texts are left "
                                      "out; delete the file if its campaign is gone"))  # fmt: skip
        return out
    when = {occurrence_key(str(r["post"]), str(r["channel"]), str(r["locale"]), str(r["local"]),
                           str(r["tz"])): str(r["utc"]) for r in rows}  # fmt: skip
    posts = {p.id: p for p in campaign.posts}
    seen: set[tuple[str, ...]] = set()
    chosen: dict[tuple[str, str, str], str] = {}  # (post, channel, text): its first time
    for i, entry in enumerate(generated.posts):
        post = posts.get(entry.post)
        if post is None or post.generate is None:
            briefed = sorted(p.id for p in campaign.posts if p.generate is not None)
            message = (unknown(f"post of campaign {campaign.name!r}", entry.post, briefed)
                       if post is None else f"expected a post with a generate brief, found "
                       f"{entry.post!r}, which has its own text")  # fmt: skip
            out.diagnostics.append(doc.at(("posts", i, "post"), "E311", message))
            continue
        if " ".join(entry.brief.split()) != " ".join(post.generate.brief.split()):
            out.diagnostics.append(doc.at(("posts", i, "brief"), "E312", (
                f"expected the brief post {post.id!r} has now, found the one these texts were "
                f"written from: they are stale; run `socialops generate --campaign "
                f"{campaign.name} --post {post.id}` to write them again")))  # fmt: skip
            continue
        _texts(doc, out, i, entry, post, brand, when, seen, chosen)
    return out


def _texts(doc: Located, out: Checked, i: int, entry: GeneratedPost, post: Post,
           brand: Brand | None, when: Mapping[tuple[str, ...], str],
           seen: set[tuple[str, ...]], chosen: dict[tuple[str, str, str], str]) -> None:  # fmt: skip
    for j, text in enumerate(entry.texts):
        at = text.at.strftime("%Y-%m-%d %H:%M")
        key = occurrence_key(post.id, text.channel, text.locale, at, text.timezone)
        path = ("posts", i, "texts", j)
        if key in seen:
            out.diagnostics.append(doc.at((*path, "at"), "E313", (
                f"expected one text per occurrence, found a second for {post.id!r} on "
                f"{text.channel} at {at} {text.timezone}")))  # fmt: skip
            continue
        seen.add(key)
        if key not in when:
            out.diagnostics.append(doc.at((*path, "at"), "W406", (
                f"expected an occurrence of post {post.id!r} on {text.channel}"
                f"{f' ({text.locale})' if text.locale else ''} at {at} {text.timezone}, found "
                "none: the schedule changed since this text was written; it is left out")))  # fmt: skip
            continue
        if text.chosen is None:
            continue
        problems = list(text_problems(text.channel, text.chosen, post.paid, brand))
        out.diagnostics.extend(doc.at((*path, "chosen"), code, message) for code, message in problems)  # fmt: skip
        if PLATFORMS[text.channel].refuses_duplicates:
            first = chosen.setdefault((post.id, text.channel, text.chosen), at)
            if first != at:
                out.diagnostics.append(doc.at((*path, "chosen"), "W405", (
                    f"expected each text once on {PLATFORMS[text.channel].title}, which refuses "
                    f"the same text twice; found it chosen at {first} too: choose another "
                    "variant, or edit one")))  # fmt: skip
        media = _media(doc, out, path, text)
        if media is not None and not any(code.startswith("E") for code, _ in problems):
            out.approved.append(ApprovedText(post=post.id, channel=text.channel,
                                             locale=text.locale, scheduled_for=when[key],
                                             text=text.chosen, media=media))  # fmt: skip
