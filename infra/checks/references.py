"""Checks across files: unique names, and every reference resolves."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from typing import Any, Protocol

from infra.diagnostics import Diagnostic
from infra.errors import suggest
from infra.loader import Path
from schema.audience import Audience
from schema.brand import Brand
from schema.campaign import Campaign


class Located(Protocol):
    """What the checks need of a loaded file (``infra.project.Loaded``)."""

    file: str
    model: Any

    def at(self, path: Path, code: str, message: str, *, key: bool = False) -> Diagnostic: ...


def duplicate_names(docs: Iterable[Located]) -> list[Diagnostic]:
    out = []
    seen: dict[tuple[str, str], Located] = {}
    for doc in docs:
        ident = (doc.model.kind, doc.model.name)
        if ident in seen:
            first = seen[ident]
            out.append(
                doc.at(
                    ("name",),
                    "E301",
                    f"expected a unique {ident[0]} name, found "
                    f"{ident[1]!r} already defined in {first.file}",
                )
            )
        else:
            seen[ident] = doc
    return out


def campaign_references(
    doc: Located,
    brands: dict[str, Brand],
    audiences: dict[str, Audience],
    broken: Collection[tuple[str, str]] = (),
) -> list[Diagnostic]:
    """Reference errors of a campaign. Names in ``broken`` are defined by files that have
    errors of their own: they are not reported again as undefined."""
    campaign: Campaign = doc.model
    out: list[Diagnostic] = []
    brand = brands.get(campaign.brand)
    if brand is None and ("brand", campaign.brand) not in broken:
        out.append(doc.at(("brand",), "E303", unknown("brand", campaign.brand, brands)))
    known = set(audiences) | {name for kind, name in broken if kind == "audience"}
    for i, name in enumerate(campaign.audiences):
        if name not in known:
            out.append(doc.at(("audiences", i), "E304", unknown("audience", name, known)))
    if brand is not None:
        for i, channel in enumerate(campaign.channels):
            if channel not in brand.accounts:
                out.append(
                    doc.at(
                        ("channels", i),
                        "E305",
                        f"expected an account for {channel!r} in "
                        f"brand {brand.name!r} (accounts: {', '.join(brand.accounts) or 'none'})"
                        f", found none",
                    )
                )
        if campaign.alerts and brand.listening is None:
            out.append(
                doc.at(
                    ("alerts",),
                    "E308",
                    f"expected 'listening' terms in brand {brand.name!r} "
                    "for alerts to watch, found none",
                    key=True,
                )
            )
    out.extend(_posts(doc, campaign, known))
    out.extend(_budget(doc, campaign))
    return out


def unknown(kind: str, name: str, known: Collection[str]) -> str:
    hint = suggest(name, sorted(known))
    return f"{hint}expected a defined {kind}, found {name!r}"


def _posts(doc: Located, campaign: Campaign, audiences: Collection[str]) -> list[Diagnostic]:
    out = []
    seen: set[str] = set()
    for i, post in enumerate(campaign.posts):
        if post.id in seen:
            out.append(
                doc.at(
                    ("posts", i, "id"),
                    "E302",
                    f"expected a unique post id in the campaign, found {post.id!r} twice",
                )
            )
        seen.add(post.id)
        for j, channel in enumerate(post.channels or ()):
            if channel not in campaign.channels:
                out.append(
                    doc.at(("posts", i, "channels", j), "E307", _not_in(channel, campaign.channels))
                )
        for channel in post.overrides:
            if channel not in (post.channels or campaign.channels):
                out.append(
                    doc.at(
                        ("posts", i, "overrides", channel),
                        "E307",
                        _not_in(channel, post.channels or campaign.channels),
                        key=True,
                    )
                )
        for j, name in enumerate(post.audiences or ()):
            if name not in audiences:
                out.append(
                    doc.at(
                        ("posts", i, "audiences", j), "E304", unknown("audience", name, audiences)
                    )
                )
        if post.generate and post.generate.rule not in campaign.generation:
            out.append(
                doc.at(
                    ("posts", i, "generate", "rule"),
                    "E306",
                    unknown("generation rule", post.generate.rule, campaign.generation),
                )
            )
    return out


def _not_in(channel: str, channels: Sequence[str]) -> str:
    return f"expected one of the channels {', '.join(channels)}, found {channel!r}"


def _budget(doc: Located, campaign: Campaign) -> list[Diagnostic]:
    budget = campaign.budget
    if budget is None:
        return []
    out = []
    for name, bounds in budget.audiences.items():
        path: Path = ("budget", "audiences", name)
        if name not in campaign.audiences:
            out.append(
                doc.at(
                    path,
                    "E304",
                    f"expected one of the campaign's audiences "
                    f"({', '.join(campaign.audiences) or 'none'}), found {name!r}",
                    key=True,
                )
            )
        if bounds.max is not None and bounds.max < bounds.min:
            out.append(
                doc.at(
                    path,
                    "E507",
                    f"expected min <= max, found min {bounds.min} and max {bounds.max}",
                )
            )
    floor = sum((b.min for b in budget.audiences.values()), start=budget.total * 0)
    if floor > budget.total:
        out.append(
            doc.at(
                ("budget", "total"),
                "E507",
                f"expected a total of at least the "
                f"audiences' minimums ({floor} {budget.currency}), found {budget.total}",
            )
        )
    return out
