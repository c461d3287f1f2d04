"""Imported by the report's fork server only (painting.py): one small figure drawn with
each kind of thing the plots draw (text in the fonts they use, ticks, a colour bar, a
legend, dates), so that matplotlib's font list, glyph caches and lazily imported parts are
loaded once in the server, before the drawing workers are forked from it, rather than once
in each worker at its first plot."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from infra.report import plots


def _draw() -> None:
    import matplotlib

    with matplotlib.rc_context(plots.STYLE):
        fig = plots._figure(2.0)
        left, right = fig.subplots(1, 2)
        when = [datetime(2027, 1, 1, tzinfo=UTC) + timedelta(hours=h) for h in range(3)]
        left.bar(when, [1, 2, 3], label="bars")
        left.scatter(when, [1, 2, 3], marker="X", label="dots")
        left.set_yscale("symlog", linthresh=10)
        left.set_title("warm: 0123456789 ,.%")
        plots._time_axis(left, plots.ZoneInfo("UTC"))
        image = right.imshow(np.arange(6.0).reshape(2, 3), aspect="auto")
        right.text(0, 0, "1", fontsize=6.5)
        fig.colorbar(image, ax=right)
        plots._legend(fig, (left,))
        plots.png(fig)


_draw()
