"""The report's plots, drawn with matplotlib's Agg renderer into PNG bytes.

No pyplot: each plot is its own ``Figure`` (no global state, no display, no backend to
choose), drawn under fixed settings (fonts shipped with matplotlib, fixed size and
resolution, no software stamp in the file) so that the same numbers give the same bytes.
Colours are the Okabe-Ito palette, told apart by people with colour blindness, and what a
colour says is also said by a shape (inside a band: a dot; outside: a cross).
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import matplotlib
import numpy as np
from matplotlib import dates as mdates
from matplotlib import ticker
from matplotlib.figure import Figure

from infra.report.shapes import DAYS, GoalBar, step_words

DPI = 100
WIDTH = 9.6  # inches: 960 pixels
BLUE, SKY, GREEN, ORANGE, VERMILLION, YELLOW, GREY = (
    "#0072B2", "#56B4E9", "#009E73", "#E69F00", "#D55E00", "#F0E442", "#888888")  # fmt: skip
STYLE: Any = {  # rcParams (Any: matplotlib types the keys as literals)
    "font.family": "DejaVu Sans",  # shipped with matplotlib: the same glyphs everywhere
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 10,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "legend.frameon": False,
    "figure.dpi": DPI,
    "savefig.dpi": DPI,
    "path.simplify": False,
    "axes.axisbelow": True,  # grid lines behind the bars
}


def png(fig: Figure) -> bytes:
    """The figure as PNG bytes (no software stamp: the bytes depend on the drawing only).

    Drawn once: ``savefig`` draws a figure with a layout engine twice (once to lay it out,
    once to paint it), where the Agg canvas lays it out within its one drawing; the pixels
    are written as ``savefig`` writes them (``imsave``), so the bytes are the same."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.image import imsave

    buffer = io.BytesIO()
    unstamped: dict[str, Any] = {"Software": None}
    with matplotlib.rc_context(STYLE):
        canvas = FigureCanvasAgg(fig)
        canvas.draw()
        imsave(buffer, canvas.buffer_rgba(), format="png", origin="upper", dpi=fig.dpi,
               metadata=unstamped)  # fmt: skip
    return buffer.getvalue()


def _figure(height: float) -> Figure:
    with matplotlib.rc_context(STYLE):
        return Figure(figsize=(WIDTH, height), dpi=DPI, layout="constrained")


def _legend(fig: Figure, axes: Iterable[Any]) -> None:
    """One legend for the figure, above the plots: every label once, in order of drawing."""
    seen: dict[str, Any] = {}
    for ax in axes:
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            seen.setdefault(label, handle)
    fig.legend(list(seen.values()), list(seen), loc="outside upper center",
               ncols=min(len(seen), 3))  # fmt: skip


def _time_axis(ax: Any, zone: ZoneInfo) -> None:
    locator = mdates.AutoDateLocator(tz=zone, minticks=3, maxticks=9)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator, tz=zone))


# -- 1. posts against their forecast ----------------------------------------------------


def forecast_bands(by_platform: dict[str, list[Any]], zone: str) -> bytes:
    """One panel per platform: each post's P10-P90 band (a bar), P50 (a tick) and its
    actual engagement (a dot inside, a cross outside, a hollow dot without a forecast)."""
    tz = ZoneInfo(zone)
    with matplotlib.rc_context(STYLE):
        fig = _figure(0.9 + 2.0 * len(by_platform))
        axes = fig.subplots(len(by_platform), 1, squeeze=False, sharex=True)[:, 0]
        for ax, (platform, found) in zip(axes, sorted(by_platform.items()), strict=True):
            _bands_panel(ax, platform, found, tz)
        moments = [b.post.published_at.astimezone(tz) for bs in by_platform.values() for b in bs]
        first, last = min(moments), max(moments)
        pad = max((last - first) * 0.04, timedelta(hours=6))
        axes[0].set_xlim(first - pad, last + pad)
        _time_axis(axes[-1], tz)
        _legend(fig, axes)
        return png(fig)


def _bands_panel(ax: Any, platform: str, found: Sequence[Any], tz: ZoneInfo) -> None:
    when = [b.post.published_at.astimezone(tz) for b in found]
    forecast = [(w, b) for w, b in zip(when, found, strict=True) if b.forecast is not None]
    if forecast:
        x = [w for w, _ in forecast]
        low = [b.forecast.p10 for _, b in forecast]
        high = [b.forecast.p90 for _, b in forecast]
        ax.vlines(x, low, high, colors=SKY, linewidth=7, alpha=0.75,
                  label="forecast P10-P90")  # fmt: skip
        ax.scatter(x, [b.forecast.p50 for _, b in forecast], marker="_", s=160,
                   color=BLUE, linewidths=2, label="forecast P50", zorder=3)  # fmt: skip
    groups = (("inside the band", lambda b: b.inside is True, "o", GREEN, GREEN),
              ("outside the band", lambda b: b.inside is False, "X", VERMILLION, VERMILLION),
              ("no forecast (no earlier reading)", lambda b: b.inside is None, "o", "none", GREY))  # fmt: skip
    for label, test, marker, face, edge in groups:
        chosen = [(w, b) for w, b in zip(when, found, strict=True) if test(b)]
        if chosen:
            ax.scatter([w for w, _ in chosen], [b.post.engagement for _, b in chosen],
                       marker=marker, s=42, facecolors=face, edgecolors=edge, linewidths=1.4,
                       label=f"actual, {label}", zorder=4)  # fmt: skip
    ax.set_yscale("symlog", linthresh=10, linscale=0.6)
    ax.yaxis.set_major_locator(ticker.SymmetricalLogLocator(base=10, linthresh=10,
                                                            subs=(1.0, 3.0)))  # fmt: skip
    ax.yaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.yaxis.set_minor_locator(ticker.NullLocator())
    top = max([b.post.engagement for b in found]
              + [b.forecast.p90 for b in found if b.forecast is not None])  # fmt: skip
    ax.set_ylim(0, max(top * 1.6, 12))
    ax.set_ylabel("engagement")
    inside = sum(b.inside is True for b in found)
    judged = sum(b.inside is not None for b in found)
    ax.set_title(f"{platform}: {inside} of {judged} posts with a forecast inside their band"
                 if judged else f"{platform}: no post with a forecast yet ({len(found)} read)")  # fmt: skip
    ax.grid(axis="y", alpha=0.3)


# -- 2. hour of the week ----------------------------------------------------------------


def hour_of_week(grids: dict[str, np.ndarray], counts: dict[str, np.ndarray]) -> bytes:
    """One 7 x 24 heat map per platform: mean engagement, grey where no post went out; the
    number in a cell is how many posts it holds."""
    with matplotlib.rc_context(STYLE):
        fig = _figure(0.4 + 2.3 * len(grids))
        axes = fig.subplots(len(grids), 1, squeeze=False)[:, 0]
        cmap = matplotlib.colormaps["viridis"].with_extremes(bad="#e6e6e6")
        for ax, platform in zip(axes, sorted(grids), strict=True):
            grid, n = grids[platform], counts[platform]
            masked = np.ma.masked_invalid(grid)
            top = float(np.nanmax(grid)) if np.isfinite(grid).any() else 1.0
            image = ax.imshow(masked, cmap=cmap, aspect="auto", vmin=0, vmax=max(top, 1.0),
                              interpolation="nearest")  # fmt: skip
            for day, hour in zip(*np.nonzero(n), strict=True):
                value = grid[day, hour]
                ink = "black" if value > 0.6 * max(top, 1.0) else "white"
                ax.text(hour, day, str(int(n[day, hour])), ha="center", va="center",
                        fontsize=6.5, color=ink, in_layout=False)  # fmt: skip
            ax.set_yticks(range(7), DAYS)
            ax.set_xticks(range(0, 24, 2), [f"{h:02d}" for h in range(0, 24, 2)])
            ax.set_xlabel("local hour of posting")
            ax.set_title(f"{platform}: mean engagement by hour of the week ({int(n.sum())} posts)")
            for spine in ax.spines.values():
                spine.set_visible(False)
            bar = fig.colorbar(image, ax=ax, fraction=0.03, pad=0.01)
            bar.set_label("mean engagement")
        return png(fig)


# -- 3. goals ---------------------------------------------------------------------------


def goals(rows: Sequence[GoalBar]) -> bytes:
    """One bar per goal, in its own units: the value so far (a bar), the target (a dashed
    line) and, where there is one, the fan of the value at the goal's time (P10-P90, with
    P50 as a diamond)."""
    with matplotlib.rc_context(STYLE):
        fig = _figure(0.5 + 1.05 * len(rows))
        axes = fig.subplots(len(rows), 1, squeeze=False)[:, 0]
        for ax, row in zip(axes, rows, strict=True):
            value, target, fan = row.value, row.target, row.fan
            if value is not None:
                ax.barh([0], [value], height=0.45, color=BLUE, label="so far", zorder=2)
            if fan is not None:
                ax.barh([0], [fan.p90 - fan.p10], left=[fan.p10], height=0.8, color=ORANGE,
                        alpha=0.4, label="expected by its time, P10-P90", zorder=1)  # fmt: skip
                ax.scatter([fan.p50], [0], marker="D", color=ORANGE, edgecolors="black",
                           zorder=4, label="expected, P50")  # fmt: skip
            ax.axvline(target, color="black", linestyle="--", linewidth=1.4, label="target",
                       zorder=3)  # fmt: skip
            if row.share:
                ax.xaxis.set_major_formatter(ticker.PercentFormatter(xmax=1.0))
            numbers = [target, *(v for v in (value,) if v is not None)]
            if fan is not None:
                numbers += [fan.p10, fan.p90]
            low, high = min(0.0, *numbers), max(0.0, *numbers)
            pad = (high - low) * 0.08 or 1.0
            ax.set_xlim(low - (pad if low < 0 else 0), high + pad)
            ax.set_yticks([])
            ax.set_title(row.title)
            ax.spines["left"].set_visible(False)
            ax.grid(axis="x", alpha=0.3)
        _legend(fig, axes)
        return png(fig)


# -- 4. listening -----------------------------------------------------------------------


def listening(buckets: Sequence[Any], step: timedelta, start: datetime, end: datetime,
              incidents: Sequence[tuple[int, Any]], pauses: Sequence[datetime], zone: str) -> bytes:  # fmt: skip
    """Mentions per bucket (bars) over mean sentiment (a line), sharing the time axis, with
    each incident shaded from firing to resolution (its number at the top) and each pause
    as a dark line."""
    tz = ZoneInfo(zone)
    with matplotlib.rc_context(STYLE):
        fig = _figure(4.6)
        volume, mood = fig.subplots(2, 1, sharex=True, height_ratios=(3, 2))
        x = [b.start.astimezone(tz) for b in buckets]
        volume.bar(x, [b.mentions for b in buckets], width=step.total_seconds() / 86400,
                   align="edge", color=BLUE, label="mentions")  # fmt: skip
        volume.bar(x, [b.negative for b in buckets], width=step.total_seconds() / 86400,
                   align="edge", color=VERMILLION, label="of them negative")  # fmt: skip
        volume.set_ylabel(f"mentions per {step_words(step)}")
        volume.set_title("mentions, and their mean sentiment")
        middle = [(b.start + step / 2).astimezone(tz) for b in buckets]
        mood.plot(middle, [b.polarity for b in buckets], color=BLUE, marker="o", markersize=2.5,
                  linewidth=1.2, label="mean sentiment")  # fmt: skip
        mood.axhline(0, color=GREY, linewidth=0.8)
        mood.set_ylim(-1.05, 1.05)
        mood.set_ylabel("mean sentiment (-1 to +1)")
        for number, incident in incidents:
            fired = incident.fired_at.astimezone(tz)
            resolved = (incident.resolved_at or end).astimezone(tz)
            for ax in (volume, mood):
                ax.axvspan(fired, max(resolved, fired + step / 4), color=YELLOW, alpha=0.45,
                           linewidth=0, zorder=0, label="incident (fired to resolved)")  # fmt: skip
            volume.annotate(f"#{number}", (fired, 1.0), xycoords=("data", "axes fraction"),
                            xytext=(2, -2 - 10 * ((number - 1) % 3)), textcoords="offset points",
                            va="top", fontsize=8, fontweight="bold",
                            bbox={"boxstyle": "square,pad=0.1", "facecolor": "white",
                                  "edgecolor": "none", "alpha": 0.8})  # fmt: skip
        for paused in pauses:
            since = paused.astimezone(tz)
            for ax in (volume, mood):
                ax.axvline(since, color="black", linewidth=1.6, label="publishing paused")
            volume.annotate("paused", (since, 0.62), xycoords=("data", "axes fraction"),
                            xytext=(-3, 0), textcoords="offset points", fontsize=8, ha="right",
                            bbox={"boxstyle": "square,pad=0.1", "facecolor": "white",
                                  "edgecolor": "none", "alpha": 0.8})  # fmt: skip
        volume.set_xlim(start.astimezone(tz), end.astimezone(tz))
        volume.set_ylim(0, max([b.mentions for b in buckets] + [1]) * 1.35)  # room for the numbers
        for ax in (volume, mood):
            ax.grid(axis="y", alpha=0.3)
        _time_axis(mood, tz)
        _legend(fig, (volume, mood))
        return png(fig)
