"""A realistic mention stream for the listening simulation (and the score benchmark).

Mentions of a brand arrive as a Poisson process whose rate follows the day (quiet at
night, busy in the evening, in the brand's time zone) and the week (quieter at weekends),
with a mix of moods (mostly neutral and positive), English and French, emoji, hashtags,
links, @-mentions, elongated words, negations, and a few spam accounts. A crisis
multiplies the rate and turns most mentions negative for some hours (an incident: lost
bags, a cancelled flight, a rude reply going viral), then fades out.

Deterministic from the seed.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

POSITIVE = (
    "Thank you {at} for an amazing flight today, the crew was wonderful 😍",
    "{name} upgraded me for free, best airline ever!!! #happy",
    "Loooove the new {name} lounge, so comfy ❤️",
    "Landed early with {name}, smooth flight and great coffee ☕ {url}",
    "Shout out to the {name} staff in Lyon who found my kid's teddy 🙏",
    "Merci {at}, vol parfait et équipage adorable 😊",
    "Super expérience avec {name}, je recommande !",
    "{name} never disappoints, on time again 👍",
    "Booked my summer trip with {name}, can't wait!! #travel #{tag}",
)
NEUTRAL = (
    "{name} flight AL{num} boards at gate {gate}",
    "Does {name} allow pets in the cabin?",
    "Anyone flown {name} to Lisbon recently? {url}",
    "{at} what is the baggage allowance on the basic fare?",
    "Sitting at the airport waiting for my {name} flight",
    "{name} announces new routes to Porto and Naples {url}",
    "Vol {name} AL{num} à l'heure ce matin",
    "Quelqu'un sait si {name} dessert Nantes cet hiver ?",
)
NEGATIVE = (
    "{name} lost my bag AGAIN. worst airline ever #fail",
    "Stuck for 5 hours, no information, no food. Thanks for nothing {at} 😡",
    "{name} cancelled my flight and the app won't let me rebook. Unacceptable",
    "Never flying {name} again, the staff were so rude 🤬",
    "{at} I have been on hold for 3 hours. Is anyone there?? #{tag}fail",
    "Not happy at all with {name}, my refund still hasn't come",
    "{name} vol annulé, aucune explication, honteux 😤",
    "Jamais plus avec {name}, bagage perdu et personne ne répond",
    "Disgusting how {name} treats its passengers {url}",
)
SPAM = (
    "WIN a FREE {name} ticket!!! click {url} {url} #giveaway #free #travel #win #{tag}",
    "{at} {at2} {at3} {at4} cheap flights here {url}",
)
CRISIS = (
    "{name} stranded hundreds of us overnight with no hotel, shameful #{tag}fail",
    "{name} pilot strike and they didn't tell anyone, my holiday is ruined 😭",
    "This {name} video of staff throwing bags is disgusting {url}",
    "Boycott {name}. Treating passengers like this is unacceptable 🤬",
    "{at} you owe us an explanation. Hundreds stuck in the terminal, no water",
    "{name} grève surprise, des centaines de passagers bloqués, honteux",
    "Worst customer service ever, {name} hung up on me twice #{tag}fail",
    "Absolutely disgusting from {name}. Hundreds stranded, no food, no hotel, no answers 🤬",
    "{name} is a disgrace. Worst airline, worst service, never again",
    "Shame on {name} for abandoning passengers overnight #{tag}fail 😡",
    "Horrible. {name} left my elderly parents stuck at the gate for 9 hours",
    "I hate {name} so much right now. Cancelled, no refund, no apology",
)
PLATFORMS = ("bluesky", "mastodon", "x")
# Mastodon has no full-text search of public posts: a brand sees the posts that mention
# it or carry its hashtag, so the stream tags the ones it puts there.
TAGGED_ONLY = frozenset({"mastodon"})


@dataclass(frozen=True)
class Crisis:
    start: datetime
    hours: float = 6.0
    surge: float = 12.0  # rate multiplier at the peak
    negative_share: float = 0.95  # of mentions at the peak, about the incident


@dataclass(frozen=True)
class Spoken:
    """One mention as a platform shows it."""

    created_at: datetime
    text: str
    platform: str
    handle: str
    followers: int
    account_created: datetime
    lang: str | None
    in_crisis: bool


def _rate(local: datetime, per_hour: float) -> float:
    """Mentions an hour at this local time: a daily curve and a weekday/weekend factor."""
    hour = local.hour + local.minute / 60
    daily = 0.35 + 0.65 * (0.5 - 0.5 * math.cos(2 * math.pi * (hour - 3.0) / 24)) ** 1.5
    weekly = 0.75 if local.weekday() >= 5 else 1.0
    return per_hour * daily * weekly * 1.6


def _intensity(crisis: Crisis | None, when: datetime) -> float:
    """0 outside the crisis; rises in 30 minutes to 1, holds, fades over the last third."""
    if crisis is None or when < crisis.start:
        return 0.0
    hours = (when - crisis.start).total_seconds() / 3600
    if hours > crisis.hours:
        return 0.0
    if hours < 0.5:
        return hours / 0.5
    fade = crisis.hours * 2 / 3
    return 1.0 if hours < fade else max(0.0, 1 - (hours - fade) / (crisis.hours - fade))


def _slug(name: str) -> str:
    return name.lower().replace(" ", "")


def text_for(rng: random.Random, name: str, mood: str, handle: str = "",
             tag: str = "") -> tuple[str, str]:  # fmt: skip
    """A text of ``mood`` ("positive", "neutral", "negative", "crisis", "spam") and its
    language ("en" or "fr")."""
    table = {"positive": POSITIVE, "neutral": NEUTRAL, "negative": NEGATIVE,
             "crisis": CRISIS, "spam": SPAM}[mood]  # fmt: skip
    template = rng.choice(table)
    handle = "@" + (handle or _slug(name))
    text = template.format(
        name=rng.choice([name, name.lower(), name.upper() if mood == "crisis" else name]),
        at=handle, at2="@travel" + str(rng.randint(1, 99)), at3="@deals", at4="@cheapfly",
        tag=tag or _slug(name), num=rng.randint(100, 999), gate=rng.randint(1, 40),
        url=f"https://example.org/{rng.getrandbits(32):08x}",
    )  # fmt: skip
    french = any(w in template for w in ("Merci", "Vol ", "vol ", "Jamais", "grève", "Super exp",
                                         "Quelqu'un"))  # fmt: skip
    return text, "fr" if french else "en"


def texts(count: int, name: str = "Aerolite", seed: int = 7) -> list[str]:
    """``count`` texts in the usual mix of moods (for benchmarks)."""
    rng = random.Random(seed)
    moods = ("positive", "neutral", "negative", "spam")
    weights = (0.35, 0.4, 0.22, 0.03)
    return [text_for(rng, name, rng.choices(moods, weights)[0])[0] for _ in range(count)]


def stream(
    name: str, start: datetime, end: datetime, *, per_hour: float, tz: str = "UTC",
    crisis: Crisis | None = None, seed: int = 7, platforms: tuple[str, ...] = PLATFORMS,
    handle: str = "", tag: str = "",
) -> Iterator[Spoken]:  # fmt: skip
    """Mentions of brand ``name`` between ``start`` and ``end`` (aware datetimes), in time
    order, about ``per_hour`` an hour on average outside a crisis; people write
    ``@handle`` and ``#tag`` (default: the name without spaces)."""
    rng = random.Random(seed)
    zone = ZoneInfo(tz)
    step = timedelta(minutes=1)
    when = start
    while when < end:
        heat = _intensity(crisis, when)
        rate = _rate(when.astimezone(zone), per_hour) * (
            1 + heat * ((crisis.surge if crisis else 1) - 1)
        )
        for _ in range(_poisson(rng, rate / 60)):
            at = when + timedelta(seconds=rng.uniform(0, 59.999))
            if heat > 0 and crisis is not None and rng.random() < heat * crisis.negative_share:
                mood = "crisis"
            else:
                mood = rng.choices(("positive", "neutral", "negative", "spam"),
                                   (0.35, 0.4, 0.22, 0.03))[0]  # fmt: skip
            text, lang = text_for(rng, name, mood, handle, tag)
            platform = rng.choice(platforms)
            hashtag = "#" + (tag or _slug(name))
            tagged = re.search(rf"{re.escape(hashtag)}(?!\w)|@", text, re.IGNORECASE)
            if platform in TAGGED_ONLY and not tagged:
                text += f" {hashtag}"  # else the platform would never show it to the brand
            spam = mood == "spam"
            yield Spoken(
                created_at=at, text=text, platform=platform,
                handle=(f"promo{rng.randint(100000, 999999)}" if spam
                        else f"{rng.choice(['jo', 'sam', 'alex', 'kim', 'lea', 'max'])}"
                             f"{rng.randint(1, 9999)}"),
                followers=0 if spam else int(rng.lognormvariate(5, 1.5)),
                account_created=at - timedelta(days=2 if spam else rng.randint(30, 4000)),
                lang=lang if rng.random() < 0.7 else None, in_crisis=heat > 0,
            )  # fmt: skip
        when += step


def _poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw (Knuth's method; the means here are small)."""
    if mean <= 0:
        return 0
    if mean > 50:  # normal approximation; exp(-mean) would underflow for large means
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1
