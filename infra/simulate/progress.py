"""Progress of ``socialops simulate`` on a terminal: the simulated day, overwritten in place
on stderr (``simulate: day 3/14, 2027-01-13 17:35Z, 12 s``), cleared when the run ends.

Quiet with ``--json`` and when stderr is not a terminal (a pipe, a file, CI logs): the
output then is exactly the result. The simulation calls it with the virtual clock's time
at each firing; it redraws at most every ``INTERVAL`` seconds of wall time, and at once
when a new day begins.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TextIO

INTERVAL = 0.2  # seconds between redraws within a day
CLEAR = "\r\x1b[K"  # back to the start of the line, and erase it


class Progress:
    def __init__(self, stream: TextIO, clock: Callable[[], float] = time.monotonic) -> None:
        self.stream, self.clock = stream, clock
        self.began = clock()
        self.start: datetime | None = None
        self.days = 0
        self.day = 0
        self.drawn = float("-inf")
        self.shown = False

    def begin(self, start: datetime, days: int) -> None:
        """The simulated days (known once the campaigns are compiled)."""
        self.start, self.days = start, days
        self._draw(f"simulate: day 0/{days}, setting up (moto, peers, schedules)")

    def __call__(self, now: datetime) -> None:
        if self.start is None:
            return
        day = min(self.days, (now - self.start) // timedelta(days=1) + 1)
        moment = self.clock()
        if day == self.day and moment - self.drawn < INTERVAL:
            return
        self.day, self.drawn = day, moment
        self._draw(f"simulate: day {day}/{self.days}, {now:%Y-%m-%d %H:%MZ}, "
                   f"{moment - self.began:.0f} s")  # fmt: skip

    def _draw(self, text: str) -> None:
        self.stream.write(CLEAR + text)
        self.stream.flush()
        self.shown = True

    def close(self) -> None:
        """Erase the line, so that what follows starts clean."""
        if self.shown:
            self.stream.write(CLEAR)
            self.stream.flush()
            self.shown = False


def on_terminal(stream: TextIO, quiet: bool) -> Progress | None:
    """A Progress on ``stream`` if it is a terminal and the output is not ``--json``."""
    try:
        terminal = stream.isatty()
    except (AttributeError, ValueError):  # a closed or odd stream
        terminal = False
    return Progress(stream) if terminal and not quiet else None
