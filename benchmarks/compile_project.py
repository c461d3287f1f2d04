"""The campaign files of ``bench_compile.py``'s generated project, and ``generate``.

N campaign files of P posts each, windows in 2027: fixed ``at:`` times (60%), ``at: auto``
with ``between`` (15%), recurrences (25%), generated posts, per-post channels and audiences,
per-channel ``overrides``, ``locales``, media, paid posts, 1 to 3 alerts, a budget split over
audiences, and goals. Media goes only where the platform's adapter can post it (E508): a
video post gives Facebook, which takes images only, an image of its own by ``overrides``.
Deterministic: every choice comes from one seeded ``random.Random``, in a fixed order.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from compile_data import (
    AUDIENCE_BY_NAME,
    AUDIENCES,
    BRANDS,
    DENSE,
    EVERY,
    HEADER,
    TEXT_CHANNELS,
    TRANSLATIONS,
    WEEKLY,
    audience_yaml,
    brand_yaml,
    day,
    localized,
    post_text,
    q,
)

# The media kinds each platform's adapter posts (schema/platforms.py: media_kinds); the
# others post the text alone (W502).
MEDIA_KINDS = {"instagram": ("image", "video"), "facebook": ("image",), "tiktok": ("video",)}


@dataclass
class Plan:
    """What one campaign file is made of, drawn before its posts."""

    index: int
    brand: dict[str, Any]
    name: str
    audiences: list[str]
    start: date
    length: int
    channels: list[str]
    locales: list[str] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)

    @property
    def needs_media(self) -> bool:
        return "instagram" in self.channels or "tiktok" in self.channels


def _plan(rng: random.Random, index: int) -> Plan:
    brand = BRANDS[index % len(BRANDS)]
    name = f"c{index:05d}-{rng.choice(('launch', 'spring', 'promo', 'story', 'drop'))}"
    audiences = rng.sample([a["name"] for a in AUDIENCES], rng.choice((1, 2, 2, 3)))
    start = date(2027, 1, 4) + timedelta(days=rng.randrange(0, 280))
    length = rng.randrange(28, 57)
    channels = rng.sample(TEXT_CHANNELS, rng.randrange(2, 5))
    if rng.random() < 0.2:
        channels.append("instagram")
    if rng.random() < 0.1:
        channels.append("tiktok")
    plan = Plan(index, brand, name, audiences, start, length, channels)
    plan.locales = sorted({loc for a in audiences for loc in AUDIENCE_BY_NAME[a]["locales"]})
    plan.foreign = sorted({loc.split("-")[0] for loc in plan.locales} & set(TRANSLATIONS))
    return plan


def _head(plan: Plan) -> list[str]:
    tz = AUDIENCE_BY_NAME[plan.audiences[0]]["timezones"][0]
    description = f"Campaign {plan.index} for {plan.brand['display']}"
    return [
        HEADER.rstrip("\n"), "kind: campaign", f"name: {plan.name}",
        f"brand: {plan.brand['name']}", f"description: {q(description)}",
        "window:", f"  start: {plan.start.isoformat()}",
        f"  end: {day(plan.start, plan.length)}", f"timezone: {tz}",
        "channels:", *(f"  - {c}" for c in plan.channels),
        "audiences:", *(f"  - {a}" for a in plan.audiences),
        "generation:", "  social-copy:", "    tone:", "      - friendly", "      - concise",
        "    length:", "      max: 240", "    hashtags:", "      min: 1", "      max: 3",
        "    variants: 3", "    review: required", "posts:",
    ]  # fmt: skip


def _timing(rng: random.Random, plan: Plan) -> list[str]:
    """``at``, ``at: auto`` with ``between``, or ``every`` (most limited by ``between``)."""
    start, length = plan.start, plan.length
    roll = rng.random()
    if roll < 0.6:  # a fixed local time, two days or more inside the window
        when = day(start, rng.randrange(2, length - 1))
        return [f"    at: {when} {rng.randrange(8, 20):02d}:{rng.choice((0, 15, 30, 45)):02d}"]
    if roll < 0.75:  # at: auto, in a few days of the window
        first = rng.randrange(2, length - 6)
        return ["    at: auto", "    between:", f"      start: {day(start, first)}",
                f"      end: {day(start, first + rng.randrange(2, 5))}"]  # fmt: skip
    every = rng.choice(EVERY)  # a recurrence, most of them over part of the window
    lines = [f"    every: {q(every) if every.startswith(('cron', 'rate')) else every}"]
    if every in DENSE or (every in WEEKLY and rng.random() < 0.5):
        first = rng.randrange(0, length - 15)
        lines += ["    between:", f"      start: {day(start, first)}",
                  f"      end: {day(start, first + rng.randrange(8, 15))}"]  # fmt: skip
    return lines


def _text_override(rng: random.Random, plan: Plan, own: list[str], product: str, paid: bool) -> dict[str, list[str]]:  # fmt: skip
    """One channel's own text, now and then (LinkedIn a longer one)."""
    overridable = [c for c in own if c in ("linkedin", "x", "mastodon")]
    if not (overridable and rng.random() < 0.25):
        return {}
    chan, brand = rng.choice(overridable), plan.brand
    extra = (
        f"A longer note for {chan}: how we designed the {product}, and what we learned from "
        f"the people who tested it. https://{brand['domain']}/blog {brand['tag']}"
        if chan == "linkedin"
        else f"The {product}, in short. {brand['tag']}"
    )
    return {chan: [f"        text: {q(extra + (' #ad' if paid else ''))}"]}


def _locales(rng: random.Random, plan: Plan, product: str, paid: bool) -> list[str]:
    if not (plan.foreign and rng.random() < 0.3):
        return []
    lines = ["    locales:"]
    for loc in plan.locales:
        if loc.split("-")[0] in TRANSLATIONS:
            text = localized(loc.split("-")[0], plan.brand, product, paid)
            lines += [f"      {loc}:", f"        text: {q(text)}"]
    return lines


def _media_item(plan: Plan, j: int, kind: str, product: str, indent: str) -> list[str]:
    ext = "mp4" if kind == "video" else "jpg"
    return [
        f"{indent}- url: https://cdn.{plan.brand['domain']}/{plan.name}/p{j:02d}.{ext}",
        *([f"{indent}  type: {kind}"] if kind == "video" else []),
        f"{indent}  alt: {q(f'The {product}, photographed outdoors')}",
    ]


def _media(rng: random.Random, plan: Plan, own: list[str], j: int, product: str, overrides: dict[str, list[str]]) -> list[str]:  # fmt: skip
    """The post's media; a channel that cannot post its kind gets one it can (overrides)."""
    if not (plan.needs_media or rng.random() < 0.3):
        return []
    kind = "video" if "tiktok" in plan.channels else rng.choice(("image", "image", "video"))
    for chan in own:
        kinds = MEDIA_KINDS.get(chan, (kind,))
        if kind not in kinds:
            item = _media_item(plan, j, kinds[0], product, "          ")
            overrides.setdefault(chan, []).extend(["        media:", *item])
    return ["    media:", *_media_item(plan, j, kind, product, "      ")]


def _post(rng: random.Random, plan: Plan, j: int) -> list[str]:
    product = rng.choice(plan.brand["products"])
    paid = rng.random() < 0.1
    lines = [f"  - id: p{j:02d}-{rng.choice(('teaser', 'launch', 'tip', 'recap'))}"]
    generated = rng.random() < 0.15 and j > 0  # post 0 has the text the rerun edits
    if generated:
        lines += ["    generate:", "      rule: social-copy", "      brief: >-",
                  f"        One practical tip about the {product}, in the brand's voice.",
                  "        End with a question to the reader."]  # fmt: skip
        paid = False
    else:
        text = post_text(rng, plan.brand, product, paid)
        lines.append(f"    text: {q(f'Edition 1. {text}' if j == 0 else text)}")  # the rerun's edit
    lines += _timing(rng, plan)
    if rng.random() < 0.05:
        lines.append("    timezone: UTC")
    own = plan.channels
    if rng.random() < 0.3:
        own = rng.sample(plan.channels, rng.randrange(1, len(plan.channels) + 1))
        lines += ["    channels:", *(f"      - {c}" for c in own)]
    if len(plan.audiences) > 1 and rng.random() < 0.1:
        lines += ["    audiences:", f"      - {plan.audiences[0]}"]
    overrides = {} if generated else _text_override(rng, plan, own, product, paid)
    lines += [] if generated else _locales(rng, plan, product, paid)
    media = _media(rng, plan, own, j, product, overrides)
    if overrides:
        lines.append("    overrides:")
        for chan in sorted(overrides):
            lines += [f"      {chan}:", *overrides[chan]]
    return lines + media + (["    paid: true"] if paid else [])


def _alerts(rng: random.Random, plan: Plan) -> list[str]:
    # Alert e-mail goes to the campaign's team: an SNS filter policy holds at most 150
    # campaigns per address (infra/stack.py), so one address for a whole brand would not do.
    brand, team = plan.brand, f"team{plan.index % 20:02d}"
    lines = ["alerts:", "  - name: bad-mood", "    type: sentiment", "    below: -0.3",
             "    min_mentions: 20", "    within: 2h", "    notify:", "      email:",
             f"        - {team}@{brand['domain']}", "      slack:",
             f"        - socialops/{brand['name']}/slack-alerts"]  # fmt: skip
    if rng.random() < 0.5:
        lines += ["  - name: spike", "    type: volume_anomaly",
                  f"    sensitivity: {rng.choice(('0.4', '0.5', '0.7'))}",
                  "    action: pause_publishing", "    cooldown: 6h", "    notify:", "      sns:",
                  f"        - arn:aws:sns:eu-west-1:123456789012:{brand['name']}-alerts"]  # fmt: skip
    if rng.random() < 0.3:
        lines += ["  - name: negative-share", "    type: negative_share", "    above: 0.4",
                  "    min_mentions: 30", "    within: 1h", "    notify:", "      email:",
                  f"        - {team}@{brand['domain']}"]  # fmt: skip
    return lines


def _budget_and_goals(rng: random.Random, plan: Plan) -> list[str]:
    total = rng.randrange(5, 60) * 1000
    lines = ["budget:", f"  total: {total}",
             f"  currency: {rng.choice(('EUR', 'USD', 'GBP'))}",
             f"  objective: {rng.choice(('awareness', 'traffic', 'conversions', 'engagement'))}",
             "  audiences:"]  # fmt: skip
    for a in plan.audiences:
        lines += [f"    {a}:", f"      min: {total // (2 * len(plan.audiences))}"]
        if rng.random() < 0.5:
            lines.append(f"      max: {total}")
    return [
        *lines, "goals:", "  - kpi: engagement_rate", f"    target: 0.0{rng.randrange(2, 6)}",
        "  - kpi: clicks", f"    target: {rng.randrange(1, 50) * 100}",
        f"    by: {day(plan.start, plan.length)}", "",
    ]  # fmt: skip


def campaign_yaml(rng: random.Random, index: int, posts: int) -> tuple[str, str]:
    """(file name, YAML text) of campaign ``index``."""
    plan = _plan(rng, index)
    lines = _head(plan)
    for j in range(posts):
        lines += _post(rng, plan, j)
    lines += _alerts(rng, plan) + _budget_and_goals(rng, plan)
    return f"{plan.name}.yml", "\n".join(lines)


def generate(folder: Path, campaigns: int, posts: int, seed: int) -> list[Path]:
    """Write the project under ``folder``; its files, sorted."""
    rng = random.Random(seed)
    files: dict[str, str] = {}
    for brand in BRANDS:
        files[f"brands/{brand['name']}.yml"] = brand_yaml(brand)
    for aud in AUDIENCES:
        files[f"audiences/{aud['name']}.yml"] = audience_yaml(aud)
    for i in range(campaigns):
        name, text = campaign_yaml(rng, i, posts)
        files[f"campaigns/{BRANDS[i % len(BRANDS)]['name']}/{name}"] = text
    paths = []
    for rel, text in files.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return sorted(paths)
