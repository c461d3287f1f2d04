"""Whether the simulated days hold anything to run, and if not, why.

Something runs when a compiled schedule fires in the days, or a running campaign's brand
listens on a platform the replay pulls from (``listen.pulled``). Otherwise the simulation
does not start: ``NothingToSimulate`` says, for each campaign, when its window and its
posts were or will be, and suggests a start that has posts. Not an error in the files (a
campaign that has ended is valid and compiles to nothing), so ``socialops simulate`` says
so and exits 0.
"""

from __future__ import annotations

import bisect
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from infra.simulate.run import SimulationError

STAMP = "%Y-%m-%dT%H:%M:%SZ"


def _utc(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%MZ")


@dataclass(frozen=True)
class Span:
    """A campaign's window (local, in its zone) and the UTC times of all its posts."""

    name: str
    brand: str
    timezone: str
    window: tuple[datetime, datetime]  # local
    window_utc: tuple[datetime, datetime]
    posts: tuple[str, ...]  # "YYYY-MM-DDTHH:MM:SSZ", sorted

    def _at(self, index: int) -> datetime:
        return datetime.strptime(self.posts[index], STAMP).replace(tzinfo=UTC)

    def before(self, moment: datetime) -> datetime | None:
        index = bisect.bisect_left(self.posts, moment.strftime(STAMP))
        return self._at(index - 1) if index else None

    def after(self, moment: datetime) -> datetime | None:
        index = bisect.bisect_left(self.posts, moment.strftime(STAMP))
        return self._at(index) if index < len(self.posts) else None

    def state(self, start: datetime, end: datetime) -> str:
        """Where the campaign stands against the simulated days, in one line."""
        opens, closes = (f"{w:%Y-%m-%d %H:%M}" for w in self.window)
        if self.window_utc[1] < start:
            had = f"its last post was at {_utc(self._at(-1))}" if self.posts else "no post"
            return f"ended {closes} {self.timezone}; {had}"
        if self.window_utc[0] >= end:
            first = f"its first post is at {_utc(self._at(0))}" if self.posts else "no post"
            return f"starts {opens} {self.timezone}; {first}"
        window = f"window {opens} to {closes} {self.timezone}"
        if not self.posts:
            return f"{window}; no post"
        previous, following = self.before(start), self.after(end)
        said = [window]
        if previous is not None:
            said.append(f"its last post before was at {_utc(previous)}")
        said.append(f"its next post is at {_utc(following)}" if following else "no post after")
        return "; ".join(said)

    def as_json(self, start: datetime, end: datetime) -> dict[str, Any]:
        first, last = (self._at(0), self._at(-1)) if self.posts else (None, None)
        return {"name": self.name, "brand": self.brand, "timezone": self.timezone,
                "window": [f"{w:%Y-%m-%d %H:%M}" for w in self.window],
                "first_post": first and first.strftime(STAMP),
                "last_post": last and last.strftime(STAMP),
                "state": self.state(start, end)}  # fmt: skip


class NothingToSimulate(SimulationError):
    """No post fires in the simulated days and no running campaign's brand listens."""

    def __init__(self, start: datetime, end: datetime, spans: list[Span]) -> None:
        self.start, self.end, self.spans = start, end, spans
        super().__init__(self.text())

    @property
    def reason(self) -> str:
        if not self.spans:
            return "there is no campaign (only brands and audiences)"
        if all(s.window_utc[1] < self.start for s in self.spans):
            return f"every campaign ended before {_utc(self.start)}"
        return "no post fires in these days and no running campaign's brand listens"

    def suggestion(self) -> tuple[datetime, str] | None:
        """A start with posts, and why: the next post after the days, else the first post
        of the campaign that posted last."""
        later = [(t, s.name) for s in self.spans if (t := s.after(self.end)) is not None]
        if later:
            when, name = min(later)
            return when, f"{name}'s next post"
        posted = [s for s in self.spans if s.posts]
        if not posted:
            return None
        last = max(posted, key=lambda s: s.posts[-1])
        return last._at(0), f"the first post of {last.name}"

    def text(self) -> str:
        lines = [f"nothing to simulate from {_utc(self.start)} to {_utc(self.end)}: "
                 f"{self.reason}"]  # fmt: skip
        lines += [f"  {s.name} ({s.brand}): {s.state(self.start, self.end)}" for s in self.spans]
        suggested = self.suggestion()
        if suggested is not None:
            lines.append(f"try --start {suggested[0]:%Y-%m-%d} ({suggested[1]})")
        return "\n".join(lines)

    def as_json(self) -> dict[str, Any]:
        suggested = self.suggestion()
        return {"reason": self.reason,
                "campaigns": [s.as_json(self.start, self.end) for s in self.spans],
                "suggested_start": suggested and suggested[0].strftime("%Y-%m-%d")}  # fmt: skip


def spans(project: Any) -> list[Span]:
    """Every campaign of the project with its window and posts."""
    from infra.occurrences import window_utc

    found = []
    for name in sorted(project.campaigns):
        campaign = project.campaigns[name].model
        timeline = project.timelines.get(name)
        found.append(Span(name, campaign.brand, campaign.timezone,
                          (campaign.window.start, campaign.window.end), window_utc(campaign),
                          tuple(timeline.stamps) if timeline else ()))  # fmt: skip
    return found


def _fires_in(build: Path, start: datetime, end: datetime) -> bool:
    from infra.deploy.desired import fires_at

    for path in (build / "schedules").glob("*.json"):
        for entry in json.loads(path.read_text()).get("schedules", []):
            when = fires_at(entry["expression"])
            if when is not None and start <= when < end:
                return True
    return False


def _listens(build: Path) -> bool:
    from functions.common.config import parse
    from infra.simulate.listen import pulled

    folder = build / "config"
    return any(pulled(parse(path)) for path in sorted(folder.glob("*.json")))


def check(project: Any, build: Path, start: datetime, end: datetime) -> None:
    """NothingToSimulate unless a post fires in [start, end) or a brand is listened to."""
    if _fires_in(build, start, end) or _listens(build):
        return
    raise NothingToSimulate(start, end, spans(project))
