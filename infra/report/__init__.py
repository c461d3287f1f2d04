"""``socialops report``: one static HTML file per run, about each campaign, for people.

Built from the compiled campaigns and what the data lake holds (infra/lake.py, DuckDB over
the fetched JSON Lines), with the alert incidents and the publishing pauses where the
stack has them. Per campaign:

1. each post's engagement (likes + shares + comments, its latest reading) against the
   P10-P90 band that ``functions/optimize/forecast`` gives it, fitted only on the brand's
   readings made before the post went out (what the forecast could have known then);
2. engagement by hour of the week, per platform, in the campaign's time zone;
3. each goal's progress (infra/goals.py) against its target, with a P10-P90 fan of the
   value at the goal's time where the forecasts can give one (``forecasting.fan``);
4. the listening timeline: mentions and their mean sentiment over time, with the
   incidents and the pauses marked.

The plots are PNG images drawn by matplotlib's Agg renderer (no display, no server),
embedded in the file as ``data:`` URIs; every image has alt text and a table of the key
numbers beside it, and no script, style sheet or font is loaded from anywhere else. The
same inputs and ``now`` give the same bytes.

``write_report`` is what other commands call (``simulate`` at its end); ``command`` is
``socialops report``. matplotlib and the forecast are imported only when a report is
drawn: the command-line parser imports this package.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any


def write_report(lake: Any, configs: Mapping[str, Any] | Iterable[Any], out_path: str | Path,
                 now: datetime, incidents: Iterable[Any] | None = None,
                 pauses: Iterable[Any] | None = None, *, source: str | None = None,
                 notes: Sequence[str] = (), placements: Iterable[Any] | None = None) -> Path:  # fmt: skip
    """Write the report of ``configs`` (compiled campaigns, ``schema.documents.RuntimeConfig``:
    a mapping by name or any iterable) over ``lake`` (an open ``infra.lake.Lake``) as of
    ``now`` (aware) to ``out_path``; the path written.

    ``incidents``: the alert incidents, as ``infra.report.data.Incident`` or as the items of
    the AlertIncidentsTable (boto3's resource or client form; items that are not incidents
    are left out); ``pauses``: the publishing pauses, as ``functions.common.pause.PauseFlag``
    or the PauseFlagsTable's items. ``None``: not known (the report says they were not
    read), unlike an empty list (none). ``source``: where the lake came from, in words;
    ``notes``: lines for the report's head (what could not be read, and why);
    ``placements``: the ``at: auto`` placements, as ``infra.report.data.Placement`` or the
    PublishRecordsTable's items (None: not read)."""
    from infra.report.document import write

    return write(lake, configs, Path(out_path), now, incidents, pauses, source, notes,
                 placements)  # fmt: skip
