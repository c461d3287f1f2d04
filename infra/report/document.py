"""The report as one HTML file: a page per run, a section per campaign, four parts each.

Every part says in words what it shows and, when the lake has nothing for it, says that
instead of drawing an empty plot. Every image has alt text that gives its key numbers and
a table of them beside it (for screen readers, and for people who copy numbers). No
script, no style sheet, font or image from anywhere else: the file can be mailed, opened
offline, or attached to a ticket.
"""

from __future__ import annotations

import html
import os
import struct
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from functions.common.pause import PauseFlag
from infra.goals import UNMEASURABLE, Progress, progress
from infra.report import data, forecasting, shapes
from infra.report.data import Incident
from infra.report.painting import Painter, painter

SHARE_KPIS = ("engagement_rate", "ctr")
SUMMED = ("views", "impressions", "video_views", "reach", "clicks", "ctr")
MATURE = ("24h", "72h", "7d")  # readings old enough to hold most of a post's engagement
TABLE_ROWS = 200  # rows shown in a table before "and N more"

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
       max-width: 62rem; margin: 0 auto; padding: 1rem 1.5rem 3rem; color: #1a1a1a;
       line-height: 1.45; background: #fff; }
h1 { font-size: 1.7rem; margin-bottom: .2rem; }
h2 { font-size: 1.35rem; border-top: 3px solid #0072B2; padding-top: .8rem; margin-top: 2.5rem; }
h3 { font-size: 1.1rem; margin-top: 1.8rem; }
figure { margin: 1rem 0; }
img { max-width: 100%; height: auto; border: 1px solid #ddd; }
figcaption { font-size: .9rem; color: #444; }
table { border-collapse: collapse; margin: .8rem 0 1.2rem; font-size: .88rem; }
caption { text-align: left; font-weight: 600; padding-bottom: .3rem; }
th, td { border: 1px solid #ccc; padding: .25rem .5rem; text-align: left; vertical-align: top; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
thead th { background: #f0f4f8; }
.missing { background: #fff8e5; border-left: 4px solid #E69F00; padding: .5rem .8rem; }
.meta { color: #444; font-size: .92rem; }
details { margin: .5rem 0 1rem; }
"""


# -- small helpers ----------------------------------------------------------------------


def esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def _png_size(image: bytes) -> tuple[int, int]:
    width, height = struct.unpack(">II", image[16:24])  # the IHDR chunk
    return int(width), int(height)


def figure(image: bytes, alt: str, caption: str) -> str:
    width, height = _png_size(image)
    return (f'<figure><img src="{shapes.data_uri(image)}" alt="{esc(alt)}" width="{width}" '
            f'height="{height}"><figcaption>{esc(caption)}</figcaption></figure>')  # fmt: skip


def table(caption: str, head: Sequence[str], body: Sequence[Sequence[object]],
          numeric: Iterable[int] = ()) -> str:  # fmt: skip
    right = set(numeric)

    def cls(i: int) -> str:
        return ' class="n"' if i in right else ""

    cells = "".join(f'<th scope="col"{cls(i)}>{esc(h)}</th>' for i, h in enumerate(head))
    rows = []
    for row in body[:TABLE_ROWS]:
        rows.append("<tr>" + "".join(f"<td{cls(i)}>{esc(v)}</td>" for i, v in enumerate(row))
                    + "</tr>")  # fmt: skip
    more = ""
    if len(body) > TABLE_ROWS:
        more = (f'<tr><td colspan="{len(head)}">and {len(body) - TABLE_ROWS} more rows, '
                "left out here</td></tr>")  # fmt: skip
    return (f"<table><caption>{esc(caption)}</caption><thead><tr>{cells}</tr></thead>"
            f"<tbody>{''.join(rows)}{more}</tbody></table>")  # fmt: skip


def para(text: str) -> str:
    return f"<p>{esc(text)}</p>"


def missing(text: str) -> str:
    return f'<p class="missing">{esc(text)}</p>'


def plural(count: int, word: str, many: str | None = None) -> str:
    return f"{count:,} {word if count == 1 else (many or word + 's')}"


def local(moment: datetime, zone: str) -> str:
    return moment.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")


def count(value: float) -> str:
    return f"{value:,.0f}"


def kpi_value(kpi: str, value: float | None) -> str:
    if value is None:
        return "-"
    if kpi in SHARE_KPIS:
        return f"{value:.2%}"
    if kpi == "sentiment":
        return f"{value:+.2f}"
    return f"{value:,.0f}" if abs(value) >= 100 or value == int(value) else f"{value:,.2f}"


# -- the page ---------------------------------------------------------------------------


@dataclass
class Context:
    lake: Any
    now: datetime
    incidents: list[Incident] | None
    pauses: list[PauseFlag] | None
    notes: list[str] = field(default_factory=list)
    placements: list[data.Placement] | None = None  # None: not read
    painter: Painter = field(default_factory=Painter)  # draws the figures (painting.py)


def configs_of(configs: Mapping[str, Any] | Iterable[Any]) -> list[Any]:
    found = list(configs.values()) if isinstance(configs, Mapping) else list(configs)
    return sorted(found, key=lambda c: c.campaign.name)


def render(lake: Any, configs: Mapping[str, Any] | Iterable[Any], now: datetime,
           incidents: Iterable[Any] | None = None, pauses: Iterable[Any] | None = None,
           source: str | None = None, notes: Sequence[str] = (),
           placements: Iterable[Any] | None = None, drawer: Painter | None = None) -> str:  # fmt: skip
    """The whole report, as text (its figures drawn by ``drawer``, in place by default)."""
    now = now.astimezone(UTC)
    ctx = Context(lake, now, data.incidents_of(incidents) if incidents is not None else None,
                  data.pauses_of(pauses) if pauses is not None else None, list(notes),
                  data.placements_of(placements) if placements is not None else None,
                  drawer or Painter())  # fmt: skip
    campaigns = configs_of(configs)
    parts = [
        "<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>socialops report, {esc(data.iso(now))}</title>",
        f"<style>{CSS}</style>", "</head>", "<body>", "<header>",
        "<h1>socialops report</h1>",
        f'<p class="meta">Generated for {esc(data.iso(now))} (UTC): what the data lake held '
        f"up to then. {esc(_sources(ctx, source))}</p>",
    ]  # fmt: skip
    parts += [f'<p class="meta">{esc(note)}</p>' for note in ctx.notes]
    if campaigns:
        parts.append('<nav aria-label="Campaigns"><p>Campaigns:</p><ul>')
        parts += [f'<li><a href="#{esc(_anchor(c))}">{esc(c.campaign.name)}</a> '
                  f"({esc(c.brand.name)})</li>" for c in campaigns]  # fmt: skip
        parts.append("</ul></nav>")
    parts += ["</header>", "<main>"]
    if not campaigns:
        parts.append(missing("No campaign to report on: the files hold no campaign."))
    for config in campaigns:
        parts.append(campaign_section(ctx, config))
    parts += ["</main>", '<footer><p class="meta">Made by <code>socialops report</code>: '
              "engagement is likes + shares + comments at each post's latest reading; "
              "goals are measured as the README's \"Goals\" says.</p></footer>",
              "</body>", "</html>", ""]  # fmt: skip
    return ctx.painter.resolve("\n".join(parts), figure)


def _sources(ctx: Context, source: str | None) -> str:
    said = [f"Lake: {source}." if source else "Lake: the folder given."]
    said.append(f"Alert incidents: {plural(len(ctx.incidents), 'incident')} read."
                if ctx.incidents is not None else "Alert incidents: not read.")  # fmt: skip
    said.append(f"Publishing pauses: {plural(len(ctx.pauses), 'brand')} paused now."
                if ctx.pauses is not None else "Publishing pauses: not read.")  # fmt: skip
    return " ".join(said)


def _anchor(config: Any) -> str:
    return f"campaign-{config.campaign.name}"


def window(config: Any) -> tuple[datetime, datetime]:
    campaign = config.campaign
    zone = ZoneInfo(campaign.timezone)
    return (campaign.window.start.replace(tzinfo=zone).astimezone(UTC),
            campaign.window.end.replace(tzinfo=zone).astimezone(UTC))  # fmt: skip


def campaign_section(ctx: Context, config: Any) -> str:
    campaign, brand = config.campaign, config.brand.name
    start, end = window(config)
    zone = campaign.timezone
    if ctx.now < start:
        status = "not started yet"
    elif ctx.now >= end:
        status = "ended"
    else:
        status = "running"
    channels = [str(c) for c in campaign.channels]
    anchor = _anchor(config)
    posts = data.campaign_posts(ctx.lake, brand, campaign.name, channels, start, min(end, ctx.now))
    parts = [
        f'<section id="{esc(anchor)}" aria-labelledby="{esc(anchor)}-h">',
        f'<h2 id="{esc(anchor)}-h">Campaign {esc(campaign.name)} ({esc(brand)})</h2>',
        para(f"{campaign.description + '. ' if campaign.description else ''}Window "
             f"{campaign.window.start:%Y-%m-%d %H:%M} to {campaign.window.end:%Y-%m-%d %H:%M} "
             f"({zone}), {status}; channels {', '.join(channels)}. Times below are in "
             f"{zone} unless marked UTC."),
        forecast_part(ctx, config, posts),
        hours_part(ctx, config, posts),
        placement_part(ctx, config),
        goals_part(ctx, config, posts),
        listening_part(ctx, config),
        "</section>",
    ]  # fmt: skip
    return "\n".join(parts)


# -- 1. posts against their forecast ----------------------------------------------------


def _mature(post: data.PostReading) -> bool:
    """Read a day or more after it went out (a read-back checkpoint, or a backfill's age)."""
    return post.checkpoint in MATURE or post.age_hours >= 24


def forecast_part(ctx: Context, config: Any, posts: Sequence[data.PostReading]) -> str:
    zone, brand = config.campaign.timezone, config.brand.name
    head = [f'<section aria-labelledby="{esc(_anchor(config))}-1">',
            f'<h3 id="{esc(_anchor(config))}-1">1. Posts against their forecast</h3>',
            para("Each post of the campaign on each platform: its engagement (likes + shares + "
                 "comments) at its latest reading, against the 80% band (P10 to P90) the "
                 "forecast gave it, with P50 as a tick. Each forecast learnt only from the "
                 "brand's posts as the lake's readings showed them before that post went out "
                 "(what a forecast made then could have known), each earlier post at its "
                 f"latest reading made at least {data.HISTORY_MIN_AGE_H} hours after it went "
                 "out. A calibrated forecast has about 8 posts in 10 inside their band.")]  # fmt: skip
    if not posts:
        return "\n".join([*head, missing("No readings yet: no post of this campaign has been "
                                         "read back, so there is nothing to compare with a "
                                         "forecast."), "</section>"])  # fmt: skip
    found = forecasting.bands(ctx.lake, brand, posts, zone)
    inside, judged = forecasting.inside_share(found)
    unforecast = len(found) - judged
    mature = [b for b in found if b.inside is not None and _mature(b.post)]
    said = [f"{inside} of {plural(judged, 'post')} with a forecast fell inside their band "
            f"({inside / judged:.0%})." if judged else
            f"{plural(len(found), 'post')} of this campaign read back, none with a forecast."]  # fmt: skip
    if unforecast and judged:
        said.append(f"{plural(unforecast, 'post')} had no earlier reading of the brand to "
                    "learn from yet: shown as hollow dots, not counted.")  # fmt: skip
    young = judged - len(mature)
    if young:
        said.append(f"{plural(young, 'post')} with a forecast {'was' if young == 1 else 'were'} "
                    "last read under 24 hours "
                    "after posting and may still gather engagement; of the "
                    f"{plural(len(mature), 'post')} read at 24 hours or later, "
                    f"{sum(bool(b.inside) for b in mature)} fell inside.")  # fmt: skip
    by_platform: dict[str, list[forecasting.Band]] = defaultdict(list)
    for band in found:
        by_platform[band.post.platform].append(band)
    alt = (
        f"Engagement of {plural(len(found), 'post')} of {config.campaign.name} against "
        f"their forecast band, one panel per platform: "
        + "; ".join(
            f"{p}: {sum(b.inside is True for b in bs)} of "
            f"{sum(b.inside is not None for b in bs)} inside"
            for p, bs in sorted(by_platform.items())
        )
        + ". The table below gives every post's numbers."
    )
    rows = []
    for b in sorted(found, key=lambda b: (b.post.published_at, b.post.platform, b.post.post_id)):
        f = b.forecast
        rows.append([
            local(b.post.published_at, zone), b.post.platform, b.post.post
            + (f" ({b.post.locale})" if b.post.locale else ""),
            count(b.post.engagement),
            count(f.p10) if f else "-", count(f.p50) if f else "-", count(f.p90) if f else "-",
            {True: "inside", False: "outside", None: "no forecast"}[b.inside],
            f"{f.p_viral:.1%}" if f else "-",
            b.post.checkpoint or f"{b.post.age_hours:.0f}h", b.history,
        ])  # fmt: skip
    if judged:
        shown = ctx.painter.figure(
            "forecast_bands", (dict(by_platform), zone), alt,
            "Bars: the forecast's P10 to P90; ticks: P50; dots: the actual engagement inside "
            "the band, crosses outside it, hollow dots without a forecast. The vertical scale "
            "is linear up to 10, then logarithmic. In the table, P(viral) is the forecast's "
            f"chance that the post goes above {forecasting.K_VIRAL:g} times its account's "
            "median engagement.")  # fmt: skip
    else:  # dots alone against no band: the table says it all
        shown = missing(f"No forecast yet: when {'this post' if len(found) == 1 else 'these posts'} "
                        "went out, the lake held no reading of the brand made a day or more "
                        "after an earlier post, so there was nothing to learn from. Their "
                        "engagement is in the table.")  # fmt: skip
    return "\n".join([
        *head, para(" ".join(said)),
        shown,
        table("Each post: actual engagement and its forecast",
              ["published", "platform", "post", "engagement", "P10", "P50", "P90",
               "band", "P(viral)", "age at reading", "posts learnt from"], rows,
              numeric=(3, 4, 5, 6, 8, 10)),
        "</section>",
    ])  # fmt: skip


# -- 2. hour of the week ----------------------------------------------------------------


def hours_part(ctx: Context, config: Any, posts: Sequence[data.PostReading]) -> str:
    zone, brand = config.campaign.timezone, config.brand.name
    channels = [str(c) for c in config.campaign.channels]
    head = [
        f'<section aria-labelledby="{esc(_anchor(config))}-2">',
        f'<h3 id="{esc(_anchor(config))}-2">2. Engagement by hour of the week</h3>',
    ]
    cells = data.hour_of_week(ctx.lake, brand, channels, zone, ctx.now)
    if not cells:
        return "\n".join([*head, missing(f"No readings yet: the lake holds no post of {brand} "
                                         f"on {', '.join(channels)} with its counts."),
                          "</section>"])  # fmt: skip
    grids: dict[str, np.ndarray] = {}
    counts: dict[str, np.ndarray] = {}
    for cell in cells:
        grid = grids.setdefault(cell.platform, np.full((7, 24), np.nan))
        n = counts.setdefault(cell.platform, np.zeros((7, 24), dtype=int))
        grid[cell.day, cell.hour], n[cell.day, cell.hour] = cell.mean, cell.posts
    total = sum(c.posts for c in cells)
    said = [f"Mean engagement of {brand}'s posts on the campaign's channels by the day and "
            f"hour they went out, in {zone}: {plural(total, 'post')} in the lake (read-back, "
            f"backfill and imported history; {len(posts)} of them this campaign's), each "
            "counted once at its latest reading. The number in a cell is its posts; grey "
            "cells had none."]  # fmt: skip
    per_cell = [c.posts for c in cells]
    if float(np.median(per_cell)) < 3:
        said.append("Most cells hold fewer than 3 posts: a cell's colour is then a post's "
                    "luck more than a pattern of the audience.")  # fmt: skip
    missing_platforms = [c for c in channels if c not in grids]
    if missing_platforms:
        said.append(f"No readings yet on {', '.join(missing_platforms)}.")
    rows, alt_parts = [], []
    for platform in sorted(grids):
        platform_cells = sorted((c for c in cells if c.platform == platform),
                                key=lambda c: (-c.mean, c.day, c.hour))  # fmt: skip
        best = "; ".join(f"{shapes.DAYS[c.day]} {c.hour:02d}:00 ({c.mean:,.1f}, "
                         f"{plural(c.posts, 'post')})" for c in platform_cells[:3])  # fmt: skip
        posts_here = sum(c.posts for c in platform_cells)
        rows.append([platform, posts_here, len(platform_cells), best])
        top = platform_cells[0]
        alt_parts.append(f"{platform}: {plural(posts_here, 'post')} in "
                         f"{plural(len(platform_cells), 'hour')} of the week, highest mean "
                         f"{top.mean:,.1f} on {shapes.DAYS[top.day]} at {top.hour:02d}:00")  # fmt: skip
    alt = (
        "Heat maps of mean engagement by day of the week (rows) and local hour (columns), "
        "one per platform: " + "; ".join(alt_parts) + "."
    )
    return "\n".join([
        *head, para(" ".join(said)),
        ctx.painter.figure("hour_of_week", (grids, counts), alt,
                           f"Rows: days of the week; columns: the hour of posting in {zone}; "
                           "colour: mean engagement (each platform on its own scale)."),
        table("Per platform: the hours of the week with the highest mean engagement",
              ["platform", "posts", "hours of the week with posts",
               "highest mean engagement (mean, posts)"], rows, numeric=(1, 2)),
        "</section>",
    ])  # fmt: skip


# -- 3. goals ---------------------------------------------------------------------------


def _no_fan(kpi: str) -> str:
    if kpi in UNMEASURABLE:
        return "no fan: not measurable from the platforms"
    if kpi in SUMMED:
        return (f"no fan: the forecasts are of engagement, views and reach, not "
                f"{kpi.replace('_', ' ')}")  # fmt: skip
    return f"no fan: {kpi} come from the audience's mentions, not from the campaign's posts"


def _coming(ctx: Context, config: Any, goal: Progress, media: str | None = None,
            ) -> tuple[list[forecasting.Upcoming], str]:  # fmt: skip
    """The campaign's posts still to come before the goal's time (those with ``media``
    only, if given), or none and why there is no fan."""
    by = data.parse_time(goal.by)
    if by <= ctx.now:
        return [], "no fan: the goal's time has passed, its value is final"
    start, _ = window(config)
    coming = forecasting.upcoming(config, max(ctx.now, start), by)
    coming = [u for u in coming if media is None or u.media == media]
    if not coming:
        return [], (f"no fan: no post{' with a ' + media if media else ''} of the campaign goes "
                    "out before the goal's time, so its value so far is its value then")  # fmt: skip
    return coming, ""


# the summed KPIs a fan is drawn for: the metric forecast, and the media of the posts counted
FANNED = {"views": ("views", None), "impressions": ("views", None),
          "video_views": ("views", "video"), "reach": ("reach", None)}  # fmt: skip


def _summed_fan(ctx: Context, config: Any, goal: Progress) -> tuple[forecasting.Fan | None, str]:  # fmt: skip
    """The fan of a summed KPI (views, reach), or None and why not."""
    metric, media = FANNED[goal.kpi]
    coming, why = _coming(ctx, config, goal, media)
    if not coming:
        return None, why
    brand, zone = config.brand.name, config.campaign.timezone
    history = forecasting.metric_history(ctx.lake, brand, ctx.now, zone, metric)
    giving = forecasting.platforms_of(history)
    counted = [u for u in coming if u.channel in giving]
    if not counted:
        return None, (f"no fan: no channel of the posts to come has given {metric} yet, so "
                      "there is nothing to forecast them from")  # fmt: skip
    followers = data.latest_followers(ctx.lake, brand, ctx.now)  # as the history's posts have
    forecasts = forecasting.forecast_from(history, counted, zone, followers)
    learnt = len(history)
    fan = forecasting.summed_fan(goal.value or 0.0, forecasts, goal.target)
    why = (f"fan: {plural(len(counted), 'post')} still to come drawn {fan.draws:,} times from "
           f"their forecasts of {metric} (learnt from {plural(learnt, 'earlier post')} that "
           f"gave them), added to the {kpi_value(goal.kpi, goal.value or 0.0)} measured so "
           f"far; {fan.p_met:.0%} of the draws meet the target")  # fmt: skip
    if len(coming) > len(counted):
        why += (f"; {plural(len(coming) - len(counted), 'post')} on a channel that has not "
                f"given {metric} left out, as the measure leaves them out")  # fmt: skip
    return fan, why


def _followers_fan(ctx: Context, config: Any, goal: Progress) -> tuple[forecasting.Fan | None, str]:  # fmt: skip
    """The followers fan of ``goal``: daily gains drawn for the days left, or None and why."""
    by = data.parse_time(goal.by)
    if by <= ctx.now:
        return None, "no fan: the goal's time has passed, its value is final"
    start, _ = window(config)
    channels = [str(c) for c in config.campaign.channels]
    gains = data.daily_gains(ctx.lake, config.brand.name, channels, start, ctx.now)
    if len(gains) < forecasting.MIN_GAIN_DAYS:
        return None, (f"no fan: {plural(len(gains), 'day')} of follower gains read so far, "
                      f"{forecasting.MIN_GAIN_DAYS} needed to draw the days left from")  # fmt: skip
    days = max(0, round((by - ctx.now).total_seconds() / 86400))
    fan = forecasting.followers_fan(goal.value or 0.0, gains, days, goal.target)
    return fan, (f"fan: the {plural(days, 'day')} left each drawn {fan.draws:,} times from the "
                 f"{len(gains)} daily gains read so far (mean {np.mean(gains):+,.1f} a day), "
                 f"added to the {kpi_value(goal.kpi, goal.value or 0.0)} gained so far; "
                 f"{fan.p_met:.0%} of the draws meet the target (days drawn as independent: "
                 f"a trend or a launch is not foreseen)")  # fmt: skip


def _fan(ctx: Context, config: Any, goal: Progress, posts: Sequence[data.PostReading]) -> tuple[forecasting.Fan | None, str]:  # fmt: skip
    """The engagement_rate fan of ``goal``, or None and why not."""
    by = data.parse_time(goal.by)
    coming, why = _coming(ctx, config, goal)
    if not coming:
        return None, why
    brand, zone = config.brand.name, config.campaign.timezone
    followers = data.latest_followers(ctx.lake, brand, ctx.now)
    counted = [u for u in coming if followers.get(u.channel, 0) > 0]
    forecasts, learnt = forecasting.forecast_upcoming(ctx.lake, brand, counted, ctx.now, zone,
                                                      followers)  # fmt: skip
    if not learnt:
        return None, "no fan: no readings yet of the brand to forecast the posts to come from"
    if not counted:
        return None, ("no fan: no follower count yet on the channels of the posts to come, "
                      "so their engagement rate cannot be drawn")  # fmt: skip
    measured = [p.engagement / p.followers for p in posts
                if p.followers and p.followers > 0 and p.published_at < by]  # fmt: skip
    fan = forecasting.engagement_rate_fan(measured, forecasts,
                                          [followers[u.channel] for u in counted], goal.target)  # fmt: skip
    left = len(coming) - len(counted)
    generated = sum(u.generated for u in counted)
    why = (f"fan: {plural(len(counted), 'post')} still to come drawn {fan.draws:,} times from "
           f"their forecasts (learnt from {plural(learnt, 'earlier post')}), each over its "
           f"account's latest follower count, averaged with the {len(measured)} rates "
           f"measured so far; {fan.p_met:.0%} of the draws meet the target")  # fmt: skip
    if generated:
        why += f"; {generated} of them have generated text not written yet, forecast without it"
    if left:
        why += (f"; {plural(left, 'post')} on a channel with no follower count yet left out, "
                "as the measure leaves them out")  # fmt: skip
    return fan, why


def goals_part(ctx: Context, config: Any, posts: Sequence[data.PostReading]) -> str:
    zone, name = config.campaign.timezone, config.campaign.name
    head = [
        f'<section aria-labelledby="{esc(_anchor(config))}-3">',
        f'<h3 id="{esc(_anchor(config))}-3">3. Goals</h3>',
    ]
    if not config.campaign.goals:
        return "\n".join([*head, missing("This campaign sets no goals."), "</section>"])
    found = progress(ctx.lake, config, ctx.now)
    rows: list[list[object]] = []
    drawn: list[shapes.GoalBar] = []
    alts: list[str] = []
    said: list[str] = []
    for goal in found:
        by_local = local(data.parse_time(goal.by), zone)
        if goal.kpi == "engagement_rate":
            fan, why = _fan(ctx, config, goal, posts)
        elif goal.kpi in FANNED:
            fan, why = _summed_fan(ctx, config, goal)
        elif goal.kpi == "followers":
            fan, why = _followers_fan(ctx, config, goal)
        else:
            fan, why = None, _no_fan(goal.kpi)
        share = f"{goal.progress:.0%}" if goal.progress is not None else "-"
        met = {True: "met", False: "not met yet" if data.parse_time(goal.by) > ctx.now
               else "not met", None: "-"}[goal.met]  # fmt: skip
        if goal.value is None:
            state = ("not measurable" if goal.kpi in UNMEASURABLE
                     else "nothing measured yet (no readings yet)")  # fmt: skip
        else:
            state = kpi_value(goal.kpi, goal.value)
        rows.append([goal.kpi, kpi_value(goal.kpi, goal.target), by_local, state, share, met,
                     f"{kpi_value(goal.kpi, fan.p10)} / {kpi_value(goal.kpi, fan.p50)} / "
                     f"{kpi_value(goal.kpi, fan.p90)}" if fan else "-",
                     f"{goal.basis}; {why}"])  # fmt: skip
        if goal.value is not None or fan is not None:
            title = (f"{goal.kpi}: {state} so far, target {kpi_value(goal.kpi, goal.target)} "
                     f"by {by_local}" + (f" ({share})" if goal.progress is not None else ""))  # fmt: skip
            drawn.append(shapes.GoalBar(title, goal.value, goal.target, fan,
                                       goal.kpi in SHARE_KPIS))  # fmt: skip
            alts.append(title + (f", expected {kpi_value(goal.kpi, fan.p10)} to "
                                 f"{kpi_value(goal.kpi, fan.p90)} (P10 to P90)" if fan else ""))  # fmt: skip
        else:
            said.append(f"{goal.kpi}: {state}.")
    intro = para("Each goal measured in the lake from the window's start to its time, or to "
                 "now while that is ahead (the README's \"Goals\" says how each KPI is read), "
                 "against its target. Where the forecasts can say where a goal is heading, an "
                 "orange fan shows the P10 to P90 of its value at its time: the engagement "
                 "rate, views and reach, drawn from the forecasts of the posts still to come, "
                 "and followers, from the daily gains so far. The other KPIs have no fan, "
                 "and the table says why.")  # fmt: skip
    parts = [*head, intro]
    if drawn:
        alt = f"Goals of {name} against their targets: " + "; ".join(alts) + "."
        parts.append(ctx.painter.figure(
            "goals", (drawn,), alt, "Blue: measured so far; dashed line: the target; orange "
            "band and diamond: the value expected at the goal's time (P10 to P90, and P50)."))  # fmt: skip
    if said:
        parts.append(missing("Not drawn: " + " ".join(said)))
    parts.append(table("Each goal: progress so far and where it is heading",
                       ["KPI", "target", "by", "so far", "of target", "met",
                        "expected at its time (P10 / P50 / P90)", "measured on; fan"], rows,
                       numeric=(1, 3, 4)))  # fmt: skip
    parts.append("</section>")
    return "\n".join(parts)


# -- 4. listening -----------------------------------------------------------------------


def _step(span: timedelta) -> timedelta:
    for limit, step in ((timedelta(days=4), timedelta(hours=1)),
                        (timedelta(days=21), timedelta(hours=6)),
                        (timedelta(days=120), timedelta(days=1))):  # fmt: skip
        if span <= limit:
            return step
    return timedelta(days=7)


def _floor(moment: datetime, step: timedelta) -> datetime:
    seconds = int(step.total_seconds())
    return datetime.fromtimestamp(int(moment.timestamp()) // seconds * seconds, UTC)


def placement_part(ctx: Context, config: Any) -> str:
    """Where optimize placed the campaign's ``at: auto`` posts, and what it moved and why
    (empty for a campaign without one)."""
    if not config.auto:
        return ""
    anchor, zone, name = _anchor(config), config.campaign.timezone, config.campaign.name
    parts = [f'<section aria-labelledby="{esc(anchor)}-auto">',
             f'<h4 id="{esc(anchor)}-auto">The best time to post: the at: auto posts</h4>',
             para("Each 'at: auto' occurrence goes out at its fallback time until optimize "
                  "places it: in the best slot the brand's own history shows, or in another "
                  "one a Thompson draw explores; it moves when a post of the campaign on its "
                  "channel lags below its forecast P10 early after posting.")]  # fmt: skip
    if ctx.placements is None:
        parts += [missing("The publish records were not read, so the placements are not shown."), "</section>"]  # fmt: skip
        return "\n".join(parts)
    placed = {(p.post, p.channel, p.locale, p.fallback): p for p in ctx.placements
              if p.campaign == name}  # fmt: skip
    rows = []
    for auto in config.auto:
        found = placed.get((auto.post, auto.channel, auto.locale or "", auto.scheduled_for))
        fallback = local(data.parse_time(auto.scheduled_for), zone)
        if found is None:
            rows.append((auto.post, auto.channel, fallback, fallback, "not placed (fallback)", "", ""))  # fmt: skip
            continue
        how = (
            "moved"
            if found.moved
            else "explored"
            if found.reason.startswith("explored")
            else "best"
        )
        rows.append((auto.post, auto.channel, fallback, local(data.parse_time(found.placed_at), zone),
                     how, found.reason, found.status or "to come"))  # fmt: skip
    explored = sum(1 for r in rows if r[4] == "explored")
    moved = sum(1 for r in rows if r[4] == "moved")
    parts.append(para(f"{plural(len(placed), 'occurrence')} placed of {len(rows)}; "
                      f"{explored} explored, {moved} moved."))  # fmt: skip
    parts.append(table(f"The at: auto posts of {name} ({zone})",
                       ("post", "channel", "fallback", "goes out", "how", "why", "outcome"), rows))  # fmt: skip
    parts.append("</section>")
    return "\n".join(parts)


def listening_part(ctx: Context, config: Any) -> str:
    campaign, brand = config.campaign, config.brand.name
    zone, name = campaign.timezone, campaign.name
    head = [f'<section aria-labelledby="{esc(_anchor(config))}-4">',
            f'<h3 id="{esc(_anchor(config))}-4">4. Listening: mentions, sentiment, incidents '
            "and pauses</h3>"]  # fmt: skip
    start, end = window(config)
    until = min(end, ctx.now)
    incidents = [i for i in ctx.incidents or [] if i.campaign == name and i.fired_at < until
                 and (i.resolved_at is None or i.resolved_at >= start)]  # fmt: skip
    pauses = [p for p in ctx.pauses or [] if p.brand == brand]
    listens = getattr(config.brand, "listening", None) is not None
    span = data.mention_span(ctx.lake, brand, start, until) if until > start else None
    notes = []
    if ctx.incidents is None:
        notes.append("The alert incidents were not read, so none is marked.")
    if ctx.pauses is None:
        notes.append("The publishing pauses were not read, so none is marked.")
    elif pauses or any(i.paused for i in incidents):
        notes.append("The pause table holds each brand's pause in force only: a pause lifted "
                     "with `socialops resume` leaves no mark, but the incident that made it "
                     "says so below.")  # fmt: skip
    if span is None:
        why = ("the brand does not listen (no listening in its brand file)" if not listens
               else "no readings yet")  # fmt: skip
        parts = [*head, missing(f"No mentions of {brand} in the lake in the campaign's window: "
                                f"{why}.")]  # fmt: skip
        parts += [para(n) for n in notes]
        parts += _incident_tables(incidents, pauses, zone, ctx.now)
        return "\n".join([*parts, "</section>"])
    first, last = span
    moments = [
        first,
        last,
        *(i.fired_at for i in incidents),
        *(i.resolved_at for i in incidents if i.resolved_at),
    ]
    moments += [data.parse_time(p.since) for p in pauses if p.since]
    low, high = max(min(moments), start), min(max(moments), until)
    step = _step(high - low)
    begin = _floor(low, step)
    stop = min(_floor(high, step) + step, max(until, begin + step))
    found = {b.start: b for b in data.mention_buckets(ctx.lake, brand, begin, stop,
                                                      int(step.total_seconds()))}  # fmt: skip
    buckets = []
    at = begin
    while at < stop:
        buckets.append(found.get(at) or data.MentionBucket(at, 0, 0, float("nan")))
        at += step
    total = sum(b.mentions for b in found.values())
    negative = sum(b.negative for b in found.values())
    mean = sum(b.polarity * b.mentions for b in found.values()) / total if total else 0.0
    busiest = max(found.values(), key=lambda b: (b.mentions, -b.start.timestamp()))
    shown_pauses = [data.parse_time(p.since) for p in pauses
                    if p.since and begin <= data.parse_time(p.since) < stop]  # fmt: skip
    numbered = list(enumerate(incidents, start=1))
    words = shapes.step_words(step)
    said = (f"{plural(total, 'mention')} of {brand} from {local(begin, zone)} to "
            f"{local(stop, zone)}, counted per {words}: {negative:,} negative, mean sentiment "
            f"{mean:+.2f} (-1 to +1, as the alert rules compute it). The busiest {words} "
            f"began {local(busiest.start, zone)} with {busiest.mentions:,}. "
            f"{plural(len(incidents), 'incident')} of this campaign's alert rules "
            f"{'is' if len(incidents) == 1 else 'are'} shaded from firing to resolution, "
            f"numbered as in the table; {plural(len(shown_pauses), 'pause')} in force "
            f"{'is' if len(shown_pauses) == 1 else 'are'} marked with a dark line.")  # fmt: skip
    alt = (f"Mentions of {brand} per {words} (bars, negative ones in red) and their mean "
           f"sentiment (a line) from {local(begin, zone)} to {local(stop, zone)} {zone}: "
           f"{total:,} mentions, {negative:,} negative, mean sentiment {mean:+.2f}, busiest "
           f"{words} at {local(busiest.start, zone)} with {busiest.mentions:,}"
           + "".join(f"; incident #{n} {i.rule} fired {local(i.fired_at, zone)}, "
                     + (f"resolved {local(i.resolved_at, zone)}" if i.resolved_at else "still open")
                     for n, i in numbered)
           + "".join(f"; publishing paused since {local(s, zone)}" for s in shown_pauses)
           + ".")  # fmt: skip
    daily = _daily(found.values(), zone)
    parts = [*head, para(said), *[para(n) for n in notes],
             ctx.painter.figure(
                 "listening", (buckets, step, begin, stop, numbered, shown_pauses, zone), alt,
                 f"Top: mentions per {words}, the negative ones in red; bottom: their mean "
                 "sentiment. Yellow: an incident, from firing to resolution; dark line: "
                 "publishing paused."),
             table(f"Mentions per day ({zone})", ["day", "mentions", "negative",
                                                 "mean sentiment"], daily, numeric=(1, 2, 3)),
             *_incident_tables(incidents, pauses, zone, ctx.now), "</section>"]  # fmt: skip
    return "\n".join(parts)


def _daily(buckets: Iterable[data.MentionBucket], zone: str) -> list[list[object]]:
    days: dict[str, list[float]] = {}
    for b in buckets:
        day = b.start.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d")
        found = days.setdefault(day, [0, 0, 0.0])
        found[0] += b.mentions
        found[1] += b.negative
        found[2] += b.polarity * b.mentions
    return [[day, f"{int(n):,}", f"{int(neg):,}", f"{total / n:+.2f}" if n else "-"]
            for day, (n, neg, total) in sorted(days.items())]  # fmt: skip


def _incident_tables(incidents: Sequence[Incident], pauses: Sequence[PauseFlag], zone: str,
                     now: datetime) -> list[str]:  # fmt: skip
    out = []
    if incidents:
        rows = []
        for n, i in enumerate(incidents, start=1):
            closed = (local(i.resolved_at, zone) + (f" (closed: {i.withdrawn})" if i.withdrawn else "")
                      if i.resolved_at else "open")  # fmt: skip
            rows.append([f"#{n}", i.rule, i.type, local(i.fired_at, zone), closed, i.measured,
                         i.action + (" (not sent: cooldown)" if i.suppressed else ""),
                         i.resolved_measured or "-"])  # fmt: skip
        out.append(table("Incidents of this campaign's alert rules",
                         ["#", "rule", "type", "fired", "resolved", "measured when it fired",
                          "action", "measured when it resolved"], rows))  # fmt: skip
    else:
        out.append(para("No incident of this campaign's alert rules in its window."))
    if pauses:
        out.append(table("Publishing pause in force", ["since", "by", "reason"],
                         [[local(data.parse_time(p.since), zone) if p.since else "-", p.by,
                           p.reason] for p in pauses]))  # fmt: skip
    return out


def write(lake: Any, configs: Mapping[str, Any] | Iterable[Any], out: Path, now: datetime,
          incidents: Iterable[Any] | None, pauses: Iterable[Any] | None,
          source: str | None, notes: Sequence[str] = (),
          placements: Iterable[Any] | None = None) -> Path:  # fmt: skip
    """Render and write the report (whole or not at all: a partial file, then a rename)."""
    with painter() as drawer:  # the figures drawn beside the rest, where it is safe
        text = render(lake, configs, now, incidents, pauses, source, notes, placements, drawer)
    if out.parent != Path(""):
        out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".part")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, out)
    return out
