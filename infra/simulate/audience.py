"""The simulated audience: the documented truth behind the numbers the local peers report.

In ``socialops simulate`` local peer servers stand in for Instagram, Facebook, X, LinkedIn,
TikTok, Bluesky and Mastodon. When they are asked how a post did (likes, shares, comments,
views...) or how many followers an account has, the numbers come from the model described
here. It is the *truth* that forecasting and best-time optimisation are measured against,
so it is deterministic (the same question always gets the same answer, on every machine and
every run), fully documented below, and kept apart from anything that learns: only
``infra/simulate``, ``infra/peers`` and the tests may import it, never ``functions/``. It
uses the Python standard library only.

1. Audience shapes (``SHAPES``)
-------------------------------

A shape is an audience's week: how active it is in each of the 168 hours of the week, in
its own *local* time. Hour of week 0 is Monday 00:00-00:59 local time, 167 is Sunday
23:00-23:59. For local hour ``h`` (0-23) of day ``d`` (Monday..Sunday) the raw activity is

    day_factor[d] * (floor + sum over the bumps of
                     height * exp(-distance(h, centre)^2 / (2 * width^2)))

where ``distance`` is measured around the clock (23h and 1h are 2 hours apart). The 168 raw
values are then divided by their mean, so every curve has a mean of exactly 1.0 over the
week: an activity of 2.0 means twice as many people around as in an average hour. Each
shape also names the IANA time zone its audience lives in by default.

  one_peak   Europe/Paris. Floor 0.15; an evening bump centred at 20h (width 1.8 h,
             height 1.0) and a small morning one at 8h (width 1.5 h, height 0.25). Day
             factors Mon 0.95, Tue 1.0, Wed 1.06, Thu 1.04, Fri 0.95, Sat 0.8, Sun 0.9.
             Peak: Wednesday 20h (3.38); quietest: the small hours of Saturday (0.34).
  two_peaks  Europe/Paris. Floor 0.12; a lunchtime bump at 12.7h (width 1.2 h, height 0.9),
             an evening one at 20h (width 1.5 h, height 0.7) and a small morning one at 8h
             (width 1.2 h, height 0.2). Day factors Mon 1.0, Tue 1.04, Wed 1.06, Thu 1.02,
             Fri 0.95, Sat 0.7, Sun 0.75 (an audience at work on weekdays).
             Peak: Wednesday 13h (3.07), with a second peak at 20h (2.54).
  weekend    Europe/Paris. Floor 0.15; a late-morning bump at 11h (width 2.0 h, height
             1.0), an afternoon one at 16h (width 2.5 h, height 0.5) and an evening one at
             21h (width 1.5 h, height 0.3). Day factors Mon-Wed 0.7, Thu 0.72, Fri 0.8,
             Sat 1.5, Sun 1.4: a weekend hour is on average twice as busy as a weekday one.
             Peak: Saturday 11h (3.66).
  far_zone   Asia/Tokyo. The one_peak curve, for an audience seven or eight hours ahead
             of a brand in Paris: its 20h is noon (winter) or 13h (summer) in Paris, and the
             brand's evening is its night.

``activity(shape, hour_of_week)`` reads a curve; ``activity_at(shape, when, zone)`` first
converts the aware instant ``when`` to local time in ``zone`` (with ``zoneinfo``, so
daylight saving time shifts the UTC hours an audience is awake).
``oracle_best_hours(shape, zone, top=3)`` lists the UTC hours of week (0 = Monday 00:00
UTC) at which that audience is most active, best first; as a zone's offset changes over the
year, it ranks the hours of one week: by default the week of Monday 6 January 2025
(``ORACLE_WEEK``), or the week of the date given as ``week``.

2. Content effects (``Content``, ``content_effect``)
----------------------------------------------------

``Content`` holds what in a post moves its engagement: ``media`` ("none", "image", "video"
or "album"), ``length`` (characters, counted as Unicode code points), ``hashtags`` (how
many), ``question`` (does it ask one) and ``link`` (does it carry one). ``Content.of(text,
media)`` derives them from a text: a hashtag is a ``#`` followed by letters, digits or
``_``, not right after a letter, digit, ``/``, ``&`` or ``#``; a question is a ``?``
anywhere outside the text's links; a link is ``http://`` or ``https://``.

``content_effect(content, platform)`` is the product of five factors:

  media      none 1.0, image 1.25, album 1.35, video 1.6. On TikTok, a video platform,
             video is the norm: video 1.0, album (photo mode) 0.85, image 0.7, none 0.5.
  length     0.85 for an empty text, rising linearly to 1.0 at 80 characters; 1.0 from
             80 to 150; beyond 150, 0.15 less for each doubling (300 characters: 0.85,
             600: 0.7), never below 0.6.
  hashtags   none 1.0; 1 to 3: 1.05; 4 or 5: 1.0; beyond 5, 0.04 less for each (6: 0.96,
             10: 0.8), never below 0.7.
  question   1.05 with a question, and the comments' weight in the split below doubles.
  link       0.8 with a link (it takes people off the platform), but three times the
             clicks where the platform counts clicks.

3. Platforms (``PLATFORMS``)
----------------------------

  platform   rate    decay  likes/shares/comments  views  reach  other          growth/day
  instagram  0.020    8 h   0.85/0.05/0.10           30     20   saves 0.05        0.25%
  facebook   0.008    6 h   0.75/0.10/0.15           40      -   -                 0.05%
  x          0.005    2 h   0.70/0.18/0.12           80      -   quotes 0.03,      0.10%
                                                                 clicks 0.10
  linkedin   0.010   12 h   0.80/0.07/0.13           35     25   clicks 0.20       0.20%
  tiktok     0.050   24 h   0.88/0.05/0.07           25      -   -                 0.40%
  bluesky    0.010    3 h   0.72/0.16/0.12            -      -   quotes 0.04       0.30%
  mastodon   0.012    4 h   0.62/0.26/0.12            -      -   -                 0.15%

``rate`` is the expected final engagement (likes + shares + comments) per follower for an
average hour and a neutral text. ``decay`` is the time constant of how fast a post gathers
its counts (section 5). The likes/shares/comments column splits the engagement. ``views``,
``reach`` and the ``other`` metrics are counts per unit of engagement. ``growth`` is the
daily compounding growth of an account's followers. What each platform reports, and so the
only keys its results have (a metric it does not report is absent, never 0):

  instagram  likes, comments, shares, saves, views, reach
  facebook   likes (its reactions), comments, shares, views
  x          likes, shares (reposts), comments (replies), quotes, views (impressions),
             clicks (link clicks)
  linkedin   likes, comments, shares, views (impressions), clicks, reach (unique
             impressions)
  tiktok     likes, comments, shares, views
  bluesky    likes, shares (reposts), comments (replies), quotes
  mastodon   likes (favourites), shares (reblogs), comments (replies)

4. A post's final counts (``expected``, ``final_metrics``)
----------------------------------------------------------

``expected(platform, shape, zone, posted_at, content, followers)`` is the expected final
engagement (likes + shares + comments) of a post:

    followers * rate[platform] * activity_at(shape, posted_at, zone) * content_effect

``final_metrics(seed, post_id, ...)`` is what the post really gets in the end: the expected
engagement times the post's noise (``noise(seed, post_id, platform)``), which is

    exp(0.6 * Z - 0.6^2 / 2) * T / 1.0515

``Z`` is a standard normal draw, so the first factor is a lognormal of sigma 0.6 and mean 1.
``T`` is the take-off: with probability 0.03 the post takes off and ``T`` is a Pareto draw
of index 1.5 (at least 1, half the time under 1.6, one time in ten over 4.6), capped at 50;
otherwise ``T`` is 1.
1.0515 is the mean of ``T`` (``TAIL_MEAN``), so the noise has a mean of 1 and ``expected``
is the mean of the realised engagement, while most posts land below it (the noise's median
is about 0.8) and a few land far above it. The draws come from a ``random.Random`` seeded
with the SHA-256 of (seed, platform, post_id), never Python's ``hash()``: the same post gets
the same truth on every run and machine.

The realised engagement ``E`` (a real number) becomes the counts:

  * likes, shares, comments: ``E`` rounded to an integer, split in the platform's
    proportions (a question doubles the comments' weight before the proportions are
    normalised), by largest remainders, so the three always add up to the rounded ``E``;
  * views, reach, saves, quotes, clicks: ``E`` times the platform's multiple, rounded
    (clicks times 3 more for a post with a link). As views are 30 to 80 times ``E`` and reach
    20 or 25 times, views > reach > engagement whenever the post has any engagement.

Every count is an integer, rounded to the nearest (halves up), never negative, and only the
platform's metrics are present.

5. A post's counts over time (``metrics_at``)
---------------------------------------------

``metrics_at(seed, post_id, ..., at)`` is what the platform shows at the instant ``at``:
each final count times the cumulative share

    share = 1 - exp(-hours since posting / decay[platform])     (0 before posting)

rounded to the nearest integer (halves up). A post has 63% of its counts after one decay
time (2 hours on X, a day on TikTok) and 95% after three. As the share only grows and the
rounding keeps order, no count ever decreases; before posting every count is 0; and a count
equals its final value once ``final * exp(-hours / decay)`` is under one half: 7 days is
plenty everywhere but on TikTok, where a post with thousands of likes still gains a few in
its second week.

6. Followers (``followers_at``)
-------------------------------

``followers_at(seed, account, platform, start_followers, start, at)``: an account that had
``start_followers`` at ``start`` has, after ``n`` whole days (``n`` = the days from ``start``
to ``at``, rounded down),

    start_followers * (1 + growth[platform]) ^ n * (1 + jitter_n)

rounded to the nearest integer, never below 0. ``jitter_n`` is uniform within +-0.2%
(``FOLLOWER_NOISE``), drawn for day ``n`` from the SHA-256 of (seed, account, platform,
n); it is 0 on day 0, so an account has exactly ``start_followers`` until a day has passed
(and at any ``at`` before ``start``). The jitter wobbles around the trend without
accumulating: an account may lose a few followers (up to 0.4%) from one day to the next,
but once the trend is more than 0.2% up (after a day on TikTok or Instagram, five on
Facebook) it never has fewer followers than it had at the start."""

from __future__ import annotations

import hashlib
import math
import random
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

# --- audience shapes --------------------------------------------------------------------------

HOURS_PER_WEEK = 168
BRAND_ZONE = "Europe/Paris"  # the default zone of every shape but far_zone
ORACLE_WEEK = date(2025, 1, 6)  # the week whose UTC hours oracle_best_hours ranks, by default


@dataclass(frozen=True)
class Bump:
    """A Gaussian bump over the hour of day: centre (hour, 0-24), width (hours), height."""

    centre: float
    width: float
    height: float


@dataclass(frozen=True)
class Shape:
    """An audience's week: when it is online, in its own local time.

    ``curve[h]`` is the activity in local hour of week ``h`` (0 = Monday 00:00-00:59 local,
    167 = Sunday 23:00-23:59), normalised so that its mean over the 168 hours is 1.0."""

    name: str
    zone: str  # the IANA zone the audience lives in, by default
    floor: float  # the activity at the quietest time of day, before the bumps
    bumps: tuple[Bump, ...]
    days: tuple[float, float, float, float, float, float, float]  # Monday .. Sunday factors
    curve: tuple[float, ...]


def _hour_of_day(hour: float, bumps: tuple[Bump, ...], floor: float) -> float:
    """The floor plus each bump, at ``hour``; distances wrap around midnight."""
    total = floor
    for bump in bumps:
        distance = abs(hour - bump.centre) % 24.0
        distance = min(distance, 24.0 - distance)
        total += bump.height * math.exp(-(distance**2) / (2.0 * bump.width**2))
    return total


def _shape(
    name: str,
    zone: str,
    floor: float,
    bumps: tuple[Bump, ...],
    days: tuple[float, float, float, float, float, float, float],
) -> Shape:
    raw = [days[h // 24] * _hour_of_day(float(h % 24), bumps, floor) for h in range(168)]
    mean = math.fsum(raw) / HOURS_PER_WEEK
    return Shape(name, zone, floor, bumps, days, tuple(value / mean for value in raw))


_ONE_PEAK_BUMPS = (Bump(20.0, 1.8, 1.0), Bump(8.0, 1.5, 0.25))
_ONE_PEAK_DAYS = (0.95, 1.0, 1.06, 1.04, 0.95, 0.8, 0.9)

SHAPES: dict[str, Shape] = {
    shape.name: shape
    for shape in (
        _shape("one_peak", BRAND_ZONE, 0.15, _ONE_PEAK_BUMPS, _ONE_PEAK_DAYS),
        _shape(
            "two_peaks",
            BRAND_ZONE,
            0.12,
            (Bump(12.7, 1.2, 0.9), Bump(20.0, 1.5, 0.7), Bump(8.0, 1.2, 0.2)),
            (1.0, 1.04, 1.06, 1.02, 0.95, 0.7, 0.75),
        ),
        _shape(
            "weekend",
            BRAND_ZONE,
            0.15,
            (Bump(11.0, 2.0, 1.0), Bump(16.0, 2.5, 0.5), Bump(21.0, 1.5, 0.3)),
            (0.7, 0.7, 0.7, 0.72, 0.8, 1.5, 1.4),
        ),
        _shape("far_zone", "Asia/Tokyo", 0.15, _ONE_PEAK_BUMPS, _ONE_PEAK_DAYS),
    )
}


def _shape_named(shape: str) -> Shape:
    try:
        return SHAPES[shape]
    except KeyError:
        raise ValueError(f"expected one of {sorted(SHAPES)} as a shape, found {shape!r}") from None


def _aware(when: datetime, what: str) -> datetime:
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError(f"expected an aware datetime as {what}, found naive {when.isoformat()}")
    return when


def activity(shape: str, hour_of_week: int) -> float:
    """The activity of ``shape``'s audience in its local hour of week ``hour_of_week``
    (0 = Monday 00:00 local .. 167 = Sunday 23:00 local); the week's mean is 1.0."""
    if not 0 <= hour_of_week < HOURS_PER_WEEK:
        raise ValueError(f"expected an hour of week in 0..167, found {hour_of_week}")
    return _shape_named(shape).curve[hour_of_week]


def local_hour_of_week(when: datetime, zone: str) -> int:
    """The hour of week (0 = Monday 00:00 .. 167) that the instant ``when`` is in ``zone``."""
    local = _aware(when, "when").astimezone(ZoneInfo(zone))
    return local.weekday() * 24 + local.hour


def activity_at(shape: str, when: datetime, zone: str) -> float:
    """The activity of ``shape``'s audience at the instant ``when`` (aware), for an audience
    living in ``zone`` (IANA name): ``when`` is converted to local time there (daylight
    saving time included), then read off the shape's curve."""
    return activity(shape, local_hour_of_week(when, zone))


def oracle_best_hours(
    shape: str, zone: str, top: int = 3, *, week: date | None = None
) -> list[int]:
    """The ``top`` UTC hours of week (0 = Monday 00:00 UTC .. 167) at which ``shape``'s
    audience living in ``zone`` is most active, best first (ties: the earlier hour first).

    The UTC hours are those of the week starting on the Monday on or before ``week``
    (default: the week of Monday 6 January 2025, when no northern zone keeps summer time);
    ask for the week you post in when the zone's offset changes during the year."""
    if not 1 <= top <= HOURS_PER_WEEK:
        raise ValueError(f"expected top in 1..168, found {top}")
    day = week if week is not None else ORACLE_WEEK
    monday = datetime(day.year, day.month, day.day, tzinfo=UTC) - timedelta(days=day.weekday())
    scores = [activity_at(shape, monday + timedelta(hours=h), zone) for h in range(168)]
    return sorted(range(HOURS_PER_WEEK), key=lambda h: (-scores[h], h))[:top]


# --- content effects --------------------------------------------------------------------------

MEDIA = ("none", "image", "video", "album")
MEDIA_EFFECT: dict[str, float] = {"none": 1.0, "image": 1.25, "album": 1.35, "video": 1.6}
# TikTok is a video platform: a video is its norm (1.0), anything else does worse there
TIKTOK_MEDIA_EFFECT: dict[str, float] = {"none": 0.5, "image": 0.7, "album": 0.85, "video": 1.0}
LENGTH_BEST = (80, 150)  # characters: no length effect inside this range
SHORT_FLOOR = 0.85  # the length effect of an empty text, rising linearly to 1.0 at 80
LONG_SLOPE = 0.15  # the loss per doubling of the length beyond 150 characters
LONG_FLOOR = 0.6  # the length effect never falls below this
HASHTAG_BONUS = 1.05  # 1 to 3 hashtags
HASHTAG_PENALTY = 0.04  # the loss per hashtag beyond 5
HASHTAG_FLOOR = 0.7
QUESTION_EFFECT = 1.05  # a question raises engagement slightly...
QUESTION_COMMENTS = 2.0  # ...and doubles the comments' weight in the split
LINK_EFFECT = 0.8  # a link takes people away: less reach, less engagement
LINK_CLICKS = 3.0  # but three times the clicks, where the platform counts them

_HASHTAG = re.compile(r"(?<![\w/&#])#\w+")
_URL = re.compile(r"https?://\S+", re.IGNORECASE)


@dataclass(frozen=True)
class Content:
    """What in a post moves its engagement."""

    media: str  # "none", "image", "video" or "album"
    length: int  # characters (Unicode code points)
    hashtags: int
    question: bool
    link: bool

    def __post_init__(self) -> None:
        if self.media not in MEDIA:
            raise ValueError(f"expected one of {list(MEDIA)} as media, found {self.media!r}")
        if self.length < 0 or self.hashtags < 0:
            raise ValueError("expected a length and a hashtag count of 0 or more")

    @classmethod
    def of(cls, text: str, media: str = "none") -> Content:
        """The content of a post with this ``text`` and ``media``: its length in characters,
        its hashtags (``#word``), whether it asks a question (a ``?`` outside its links) and
        whether it carries a link (``http://`` or ``https://``)."""
        return cls(
            media=media,
            length=len(text),
            hashtags=len(_HASHTAG.findall(text)),
            question="?" in _URL.sub(" ", text),
            link=_URL.search(text) is not None,
        )


def length_effect(length: int) -> float:
    """The length effect: 0.85 for an empty text rising linearly to 1.0 at 80 characters,
    1.0 from 80 to 150, then 0.15 less per doubling beyond 150, never below 0.6."""
    low, high = LENGTH_BEST
    if length < low:
        return SHORT_FLOOR + (1.0 - SHORT_FLOOR) * length / low
    if length <= high:
        return 1.0
    return max(LONG_FLOOR, 1.0 - LONG_SLOPE * math.log2(length / high))


def hashtag_effect(hashtags: int) -> float:
    """The hashtag effect: 1.0 for none, 1.05 for 1 to 3, 1.0 for 4 or 5, then 0.04 less per
    hashtag beyond 5, never below 0.7."""
    if hashtags == 0:
        return 1.0
    if hashtags <= 3:
        return HASHTAG_BONUS
    if hashtags <= 5:
        return 1.0
    return max(HASHTAG_FLOOR, 1.0 - HASHTAG_PENALTY * (hashtags - 5))


def content_effect(content: Content, platform: str) -> float:
    """The multiplicative effect of ``content`` on a post's engagement on ``platform``: the
    product of its media, length, hashtag, question and link effects."""
    _platform_named(platform)
    media = (TIKTOK_MEDIA_EFFECT if platform == "tiktok" else MEDIA_EFFECT)[content.media]
    return (
        media
        * length_effect(content.length)
        * hashtag_effect(content.hashtags)
        * (QUESTION_EFFECT if content.question else 1.0)
        * (LINK_EFFECT if content.link else 1.0)
    )


# --- platforms --------------------------------------------------------------------------------

METRICS = ("likes", "shares", "comments", "quotes", "saves", "clicks", "views", "reach")


@dataclass(frozen=True)
class Platform:
    """How a platform's audience engages, and what the platform reports of it."""

    name: str
    rate: float  # expected final engagement (likes + shares + comments) per follower
    decay_h: float  # time constant of the cumulative curve, hours
    metrics: tuple[str, ...]  # the metrics the platform reports; the others are absent
    split: tuple[float, float, float]  # likes, shares, comments: shares of the engagement
    views: float = 0.0  # views per engagement (where reported)
    reach: float = 0.0  # unique accounts reached per engagement (where reported)
    saves: float = 0.0  # saves per engagement (where reported)
    clicks: float = 0.0  # link clicks per engagement (where reported), x3 with a link
    quotes: float = 0.0  # quotes per engagement (where reported)
    growth: float = 0.0  # follower growth per day, compounding


PLATFORMS: dict[str, Platform] = {
    p.name: p
    for p in (
        Platform(
            "instagram", 0.02, 8.0,
            ("likes", "comments", "shares", "saves", "views", "reach"),
            (0.85, 0.05, 0.10), views=30.0, reach=20.0, saves=0.05, growth=0.0025,
        ),
        Platform(
            "facebook", 0.008, 6.0, ("likes", "comments", "shares", "views"),
            (0.75, 0.10, 0.15), views=40.0, growth=0.0005,
        ),
        Platform(
            "x", 0.005, 2.0, ("likes", "shares", "comments", "quotes", "views", "clicks"),
            (0.70, 0.18, 0.12), views=80.0, clicks=0.10, quotes=0.03, growth=0.001,
        ),
        Platform(
            "linkedin", 0.01, 12.0, ("likes", "comments", "shares", "views", "clicks", "reach"),
            (0.80, 0.07, 0.13), views=35.0, reach=25.0, clicks=0.20, growth=0.002,
        ),
        Platform(
            "tiktok", 0.05, 24.0, ("likes", "comments", "shares", "views"),
            (0.88, 0.05, 0.07), views=25.0, growth=0.004,
        ),
        Platform(
            "bluesky", 0.01, 3.0, ("likes", "shares", "comments", "quotes"),
            (0.72, 0.16, 0.12), quotes=0.04, growth=0.003,
        ),
        Platform(
            "mastodon", 0.012, 4.0, ("likes", "shares", "comments"),
            (0.62, 0.26, 0.12), growth=0.0015,
        ),
    )
}  # fmt: skip


def _platform_named(platform: str) -> Platform:
    try:
        return PLATFORMS[platform]
    except KeyError:
        raise ValueError(
            f"expected one of {list(PLATFORMS)} as a platform, found {platform!r}"
        ) from None


def cumulative_share(platform: str, hours: float) -> float:
    """The share of a post's final counts that ``hours`` after posting have reached on
    ``platform``: ``1 - exp(-hours / decay)``, 0 before posting."""
    if hours <= 0:
        return 0.0
    return 1.0 - math.exp(-hours / _platform_named(platform).decay_h)


# --- a post's truth ---------------------------------------------------------------------------

NOISE_SIGMA = 0.6  # the lognormal noise's sigma (of the log)
TAIL_PROBABILITY = 0.03  # the chance that a post takes off
TAIL_ALPHA = 1.5  # the Pareto tail index of how far it takes off
TAIL_CAP = 50.0  # the most a take-off multiplies by
# the mean of the take-off multiplier: 1 with probability 0.97, else min(Pareto(1.5), 50),
# whose mean is 1 + (1 - 50 ** -0.5) / 0.5
TAIL_MEAN = (1.0 - TAIL_PROBABILITY) + TAIL_PROBABILITY * (
    1.0 + (1.0 - TAIL_CAP ** (1.0 - TAIL_ALPHA)) / (TAIL_ALPHA - 1.0)
)


def _rng(*parts: object) -> random.Random:
    """A generator seeded from the SHA-256 of ``parts``: the same on every run and machine,
    whatever PYTHONHASHSEED says."""
    key = "\x1f".join(str(part) for part in parts).encode("utf-8")
    return random.Random(int.from_bytes(hashlib.sha256(key).digest()[:16], "big"))


def _round(value: float) -> int:
    """To the nearest integer, halves up: non-decreasing in ``value``, never negative."""
    return max(0, math.floor(value + 0.5))


def expected(
    platform: str,
    shape: str,
    zone: str,
    posted_at: datetime,
    content: Content,
    followers: int,
) -> float:
    """The expected final engagement (likes + shares + comments) of a post: followers x the
    platform's rate x the audience's activity at ``posted_at`` in ``zone`` x the content
    effect."""
    if followers < 0:
        raise ValueError(f"expected followers of 0 or more, found {followers}")
    spec = _platform_named(platform)
    return (
        followers
        * spec.rate
        * activity_at(shape, posted_at, zone)
        * content_effect(content, platform)
    )


def noise(seed: int, post_id: str, platform: str) -> float:
    """The multiplier that turns a post's expected engagement into its realised one: a
    mean-one lognormal (sigma 0.6) times a take-off (with probability 0.03, a Pareto(1.5)
    draw capped at 50; else 1) divided by the take-off's mean, so that its mean is 1.
    Drawn from a generator seeded with the SHA-256 of (seed, platform, post_id)."""
    rng = _rng("post", seed, platform, post_id)
    z = rng.gauss(0.0, 1.0)
    takes_off = rng.random() < TAIL_PROBABILITY
    pareto = rng.paretovariate(TAIL_ALPHA)  # drawn always, so the draws keep their order
    tail = min(pareto, TAIL_CAP) if takes_off else 1.0
    return math.exp(NOISE_SIGMA * z - NOISE_SIGMA**2 / 2.0) * tail / TAIL_MEAN


def _split(total: int, weights: tuple[float, float, float]) -> tuple[int, int, int]:
    """``total`` split in proportion to ``weights`` by largest remainders: the parts sum to
    ``total``; ties go to likes, then shares, then comments."""
    whole = sum(weights)
    quotas = [total * w / whole for w in weights]
    parts = [math.floor(q) for q in quotas]
    order = sorted(range(3), key=lambda i: (-(quotas[i] - parts[i]), i))
    for i in order[: total - sum(parts)]:
        parts[i] += 1
    return parts[0], parts[1], parts[2]


def final_metrics(
    seed: int,
    post_id: str,
    platform: str,
    shape: str,
    zone: str,
    posted_at: datetime,
    content: Content,
    followers: int,
) -> dict[str, int]:
    """A post's final counts, only the metrics ``platform`` reports: the expected engagement
    times the post's noise, split into likes, shares and comments, with views, reach, saves,
    clicks and quotes as multiples of it. The same arguments always give the same counts."""
    spec = _platform_named(platform)
    engagement = expected(platform, shape, zone, posted_at, content, followers)
    engagement *= noise(seed, post_id, platform)
    likes, shares, comments = spec.split
    if content.question:
        comments *= QUESTION_COMMENTS
    split = _split(_round(engagement), (likes, shares, comments))
    clicks = spec.clicks * (LINK_CLICKS if content.link else 1.0)
    every = {
        "likes": split[0],
        "shares": split[1],
        "comments": split[2],
        "quotes": _round(engagement * spec.quotes),
        "saves": _round(engagement * spec.saves),
        "clicks": _round(engagement * clicks),
        "views": _round(engagement * spec.views),
        "reach": _round(engagement * spec.reach),
    }
    return {metric: every[metric] for metric in spec.metrics}


def metrics_at(
    seed: int,
    post_id: str,
    platform: str,
    shape: str,
    zone: str,
    posted_at: datetime,
    content: Content,
    followers: int,
    at: datetime,
) -> dict[str, int]:
    """A post's counts as seen at ``at``: each final count times the cumulative share
    ``1 - exp(-hours since posting / decay)``, rounded to the nearest integer (halves up),
    so that every count is 0 before posting, never decreases, and reaches its final value."""
    hours = (_aware(at, "at") - _aware(posted_at, "posted_at")).total_seconds() / 3600.0
    share = cumulative_share(platform, hours)
    final = final_metrics(seed, post_id, platform, shape, zone, posted_at, content, followers)
    return {metric: _round(count * share) for metric, count in final.items()}


# --- followers --------------------------------------------------------------------------------

FOLLOWER_NOISE = 0.002  # day-to-day noise: uniform within +-0.2% of the trend


def followers_at(
    seed: int,
    account: str,
    platform: str,
    start_followers: int,
    start: datetime,
    at: datetime,
) -> int:
    """The followers of ``account`` on ``platform`` at ``at``, for an account that had
    ``start_followers`` at ``start``: compounding daily growth at the platform's rate, times
    a noise uniform within +-0.2% drawn for each whole day since ``start`` (none on day 0),
    rounded to the nearest integer, never below 0."""
    if start_followers < 0:
        raise ValueError(f"expected start_followers of 0 or more, found {start_followers}")
    spec = _platform_named(platform)
    elapsed = _aware(at, "at") - _aware(start, "start")
    day = max(0, elapsed // timedelta(days=1))
    if day == 0:
        return start_followers
    jitter = _rng("followers", seed, account, platform, day).uniform(
        -FOLLOWER_NOISE, FOLLOWER_NOISE
    )
    return _round(start_followers * (1.0 + spec.growth) ** day * (1.0 + jitter))
