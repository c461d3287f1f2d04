"""``socialops report`` (infra/report): a lake built by hand (as test_goals.py builds one),
rendered; the sections are there, the plots embedded, the numbers the ones worked out by
hand below, and missing data said in words."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws
from projects import Result, acme_brand, write_project

from functions.common.pause import PauseFlag
from functions.ingest.engagement import ENGAGEMENT_COLUMNS
from functions.optimize.forecast import Forecast
from infra.cache import Cache
from infra.lake import Lake
from infra.project import load_project
from infra.report import data, forecasting, write_report
from infra.report.command import runtime_configs
from infra.report.document import render
from infra.report.painting import Painter, painter

NOW = datetime(2027, 1, 20, tzinfo=UTC)  # a Wednesday; the campaign posts on Mondays
FILES = {
    "acme/brand.yml": acme_brand("x", "mastodon", listening=True),
    "acme/launch.yml": """
        version: 1
        kind: campaign
        name: launch
        brand: acme
        description: Weekly news
        window:
          start: 2027-01-04
          end: 2027-02-28
        timezone: Europe/Paris
        channels:
          - x
          - mastodon
        posts:
          - id: weekly
            text: "Weekly news from Acme"
            every: mon 09:00
        alerts:
          - name: neg
            type: sentiment
            below: -0.5
            min_mentions: 2
            within: 2h
            notify:
              email:
                - oncall@acme.example
            action: pause_publishing
        goals:
          - kpi: views
            target: 5000
          - kpi: engagement_rate
            target: 0.05
          - kpi: followers
            target: 100
          - kpi: mentions
            target: 10
          - kpi: conversions
            target: 400
        """,
    "zeta/brand.yml": """
        version: 1
        kind: brand
        name: zeta
        voice:
          description: Quiet.
          tone:
            - calm
        accounts:
          x:
            handle: zeta
            secret: socialops/zeta/x
        """,
    "zeta/quiet.yml": """
        version: 1
        kind: campaign
        name: quiet
        brand: zeta
        window:
          start: 2027-01-01
          end: 2027-03-31
        timezone: UTC
        channels:
          - x
        posts:
          - id: one
            text: "One post"
            at: 2027-02-01 09:00
        """,
}


def _write(folder: Path, key: str, rows: list[dict[str, Any]]) -> None:
    path = folder / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


def _followers(folder: Path, platform: str, day: str, count: int) -> None:
    """acme's daily follower reading on ``platform``, read at 00:15 UTC of ``day``."""
    _write(folder, f"followers/brand=acme/platform={platform}/date={day}/r.jsonl", [{
        "brand": "acme", "platform": platform, "account": "acme", "date": day,
        "read_at": f"{day}T00:15:00Z", "followers": count}])  # fmt: skip


def _reading(platform: str, post_id: str, published: str, read: str, *, source: str = "readback",
             campaign: str | None = "launch", **metrics: Any) -> dict[str, Any]:  # fmt: skip
    row: dict[str, Any] = dict.fromkeys(name for name, _ in ENGAGEMENT_COLUMNS)
    age = (datetime.fromisoformat(read.replace("Z", "+00:00"))
           - datetime.fromisoformat(published.replace("Z", "+00:00"))).total_seconds() / 3600  # fmt: skip
    row.update(brand="acme", platform=platform, account="acme", campaign=campaign,
               post="weekly" if campaign else None, locale="", post_id=post_id,
               published_at=published, read_at=read, age_hours=age, status="ok", source=source,
               text="Weekly news from Acme", media="none",
               checkpoint={1: "1h", 6: "6h", 24: "24h", 168: "7d"}.get(round(age)))  # fmt: skip
    row.update(metrics)
    return row


def build_lake(folder: Path) -> Path:
    """The lake of the worked example (engagement = likes + shares + comments):

    - 10 imported x posts, 2026-12-01..10 at 09:00Z (10:00 in Paris), engagement 110..200,
      read 2026-12-20 (old enough to learn from);
    - the campaign's Monday posts at 08:00Z (09:00 in Paris): x1 on 01-04 (1 h: 5, 24 h:
      145, 7 d read 01-11 08:00:30, just after x2 went out: 170), mastodon m1 on 01-04 (24 h:
      9), x2 on 01-11 (1 h: 10, 24 h: 350), x3 on 01-18 (1 h only: 45), mastodon m2 on 01-18
      (6 h: 12); another campaign's x post on Thursday 01-07 (24 h: 50);
    - followers: x 1000 then 1100, mastodon 200 then 260 (2027-01-04 and 01-19);
    - six mentions, three of them negative, mean polarity -1/6.
    """
    e = "engagement/brand=acme/platform={}/date={}/r.jsonl"
    imports = [_reading("x", f"import:{i}", f"2026-12-{1 + i:02d}T09:00:00Z",
                        "2026-12-20T00:00:00Z", source="import", campaign=None,
                        likes=100 + 10 * i, shares=5, comments=5) for i in range(10)]  # fmt: skip
    _write(folder, e.format("x", "2026-12-20"), imports)
    _write(folder, e.format("x", "2027-01-04"), [
        _reading("x", "x1", "2027-01-04T08:00:00Z", "2027-01-04T09:00:00Z", likes=5, shares=0, comments=0),
        _reading("x", "x1", "2027-01-04T08:00:00Z", "2027-01-05T08:00:00Z", likes=130, shares=10, comments=5, views=2000),
        _reading("x", "x1", "2027-01-04T08:00:00Z", "2027-01-11T08:00:30Z", likes=150, shares=10, comments=10, views=2500),
        _reading("x", "o1", "2027-01-07T08:00:00Z", "2027-01-08T08:00:00Z", campaign="other", likes=40, shares=5, comments=5),
        _reading("x", "x2", "2027-01-11T08:00:00Z", "2027-01-11T09:00:00Z", likes=10, shares=0, comments=0),
        _reading("x", "x2", "2027-01-11T08:00:00Z", "2027-01-12T08:00:00Z", likes=300, shares=30, comments=20, views=4000),
        _reading("x", "x3", "2027-01-18T08:00:00Z", "2027-01-18T09:00:00Z", likes=40, shares=2, comments=3),
    ])  # fmt: skip
    _write(folder, e.format("mastodon", "2027-01-04"), [
        _reading("mastodon", "m1", "2027-01-04T08:00:00Z", "2027-01-05T08:00:00Z", likes=6, shares=2, comments=1),
        _reading("mastodon", "m2", "2027-01-18T08:00:00Z", "2027-01-18T14:00:00Z", likes=10, shares=1, comments=1),
    ])  # fmt: skip
    for platform, counts in {"x": (1000, 1100), "mastodon": (200, 260)}.items():
        for day, count in zip(("2027-01-04", "2027-01-19"), counts, strict=True):
            _followers(folder, platform, day, count)
    mentions = [("a", "2027-01-10T10:00Z", 0.5, "positive"), ("b", "2027-01-10T11:00Z", 0.5, "positive"),
                ("c", "2027-01-10T12:00Z", -0.5, "negative"), ("d", "2027-01-10T13:00Z", 0.1, "neutral"),
                ("e", "2027-01-15T10:00Z", -0.9, "negative"), ("f", "2027-01-15T10:30Z", -0.7, "negative")]  # fmt: skip
    _write(folder, "scored/brand=acme/date=2027-01-10/b.jsonl", [
        {"id": i, "brand": "acme", "platform": "x", "created_at": at, "polarity": p,
         "label": label, "bot": 0.1, "language": "en", "text": f"acme {i}"}
        for i, at, p, label in mentions])  # fmt: skip
    return folder


INCIDENTS = [  # as boto3's Table resource gives them
    {"pk": "incident#launch/neg", "sk": "2027-01-15T10:00Z", "brand": "acme", "type": "sentiment",
     "rule": "mean polarity below -0.50 over 2h with at least 2 mentions",
     "measured": "mean polarity -0.80 over 2 mentions", "fired_at": "2027-01-15T10:00Z",
     "action": "Action: publishing for acme is now PAUSED (by alert:launch/neg). It will not "
               "resume by itself: a person resumes it with `socialops resume acme`.",
     "resolved_at": "2027-01-15T14:00Z", "resolved_measured": "no mentions"},
    {"pk": "state#acme", "sk": "brand", "version": 3},  # the brand's alert state: no incident
    {"pk": "incident#other/burst", "sk": "2027-01-12T10:00Z", "brand": "acme",
     "type": "volume_anomaly", "fired_at": "2027-01-12T10:00Z"},  # another campaign's
]  # fmt: skip
PAUSES = [{"brand": "acme", "reason": "neg: sentiment alert", "by": "alert:launch/neg",
           "since": "2027-01-15T10:00:00Z"}]  # fmt: skip


@pytest.fixture
def configs(tmp_path: Path) -> dict[str, Any]:
    root = write_project(tmp_path / "project", FILES)
    project = load_project([str(root)], NOW, Cache(None))
    assert not [d for d in project.diagnostics if d.severity == "error"], project.diagnostics
    return runtime_configs(project)


@pytest.fixture
def lake(tmp_path: Path) -> Iterator[Lake]:
    with Lake(build_lake(tmp_path / "lake")) as opened:
        yield opened


class Page(HTMLParser):
    """What a test reads of the report: images, headings, tables, the text."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.images: list[dict[str, str]] = []
        self.headings: list[tuple[str, str]] = []
        self.tables: dict[str, list[list[str]]] = {}
        self.sources: list[str] = []  # every src and href
        self._tag: list[str] = []
        self._text: list[str] = []
        self._cell: list[str] | None = None
        self._row: list[str] = []
        self._rows: list[list[str]] = []
        self._caption = ""
        self.feed(text)
        self.text = " ".join(" ".join(self._text).split())

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        self._tag.append(tag)
        if tag == "img":
            self.images.append(values)
        self.sources += [values[k] for k in ("src", "href") if k in values]
        if tag in ("td", "th"):
            self._cell = []
        elif tag == "tr":
            self._row = []
        elif tag == "table":
            self._rows, self._caption = [], ""

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr":
            self._rows.append(self._row)
        elif tag == "table":
            self.tables[self._caption] = self._rows
        if self._tag and self._tag[-1] == tag:
            self._tag.pop()

    def handle_data(self, text: str) -> None:
        if self._cell is not None:
            self._cell.append(text)
        if self._tag and self._tag[-1] == "caption":
            self._caption += text
        if self._tag and self._tag[-1] in ("h1", "h2", "h3"):
            self.headings.append((self._tag[-1], text.strip()))
        if not self._tag or self._tag[-1] not in ("style", "title"):
            self._text.append(text)


def section(text: str, campaign: str) -> str:
    start = text.index(f'<section id="campaign-{campaign}"')
    return text[start : text.index("</section>\n</section>", start)]


def part(text: str, campaign: str, number: int) -> str:
    found = section(text, campaign)
    start = found.index(f'id="campaign-{campaign}-{number}"')
    end = found.find(f'id="campaign-{campaign}-{number + 1}"', start)
    return found[start : end if end > 0 else len(found)]


def test_every_campaign_has_its_four_parts_with_embedded_plots_and_alt_text(
    lake: Lake, configs: dict[str, Any], tmp_path: Path
) -> None:
    out = write_report(lake, configs, tmp_path / "out" / "report.html", NOW, INCIDENTS, PAUSES,
                       source="a folder")  # fmt: skip
    text = out.read_text(encoding="utf-8")
    page = Page(text)
    assert [h for h in page.headings if h[0] == "h2"] == [
        ("h2", "Campaign launch (acme)"),
        ("h2", "Campaign quiet (zeta)"),
    ]
    parts = ["1. Posts against their forecast", "2. Engagement by hour of the week", "3. Goals",
             "4. Listening: mentions, sentiment, incidents and pauses"]  # fmt: skip
    assert [t for tag, t in page.headings if tag == "h3"] == parts + parts
    # four plots for launch, none for quiet (it has no data and no goals)
    assert len(page.images) == 4 and text.count("<img") == 4
    for image in page.images:
        assert image["src"].startswith("data:image/png;base64,")
        raw = base64.b64decode(image["src"].split(",", 1)[1])
        assert raw[:8] == b"\x89PNG\r\n\x1a\n"
        assert len(image["alt"]) > 80  # the alt text gives the key numbers
        assert int(image["width"]) >= 900 and int(image["height"]) > 100
    # nothing to fetch or run: no script, no link out of the file
    assert "<script" not in text.lower()
    assert all(s.startswith(("data:image/png;base64,", "#")) for s in page.sources)
    assert not re.search(r"(src|href)=\"(?!data:|#)", text)
    assert page.text.startswith("socialops report Generated for 2027-01-20T00:00:00Z (UTC)")
    assert "Lake: a folder. Alert incidents: 2 incidents read. Publishing pauses: 1 brand paused now." in page.text  # fmt: skip


def test_the_report_is_the_same_bytes_for_the_same_inputs(lake: Lake, configs: dict[str, Any]) -> None:  # fmt: skip
    first = render(lake, configs, NOW, INCIDENTS, PAUSES)
    assert render(lake, list(configs.values())[::-1], NOW, INCIDENTS, PAUSES) == first
    later = render(lake, configs, datetime(2027, 1, 21, tzinfo=UTC), INCIDENTS, PAUSES)
    assert later != first and "Generated for 2027-01-21T00:00:00Z" in later


def test_figures_drawn_by_workers_are_the_bytes_drawn_in_place(
        lake: Lake, configs: dict[str, Any]) -> None:  # fmt: skip
    in_place = render(lake, configs, NOW, INCIDENTS, PAUSES)
    with painter(workers=1) as drawer:
        assert drawer.pool is not None
        assert render(lake, configs, NOW, INCIDENTS, PAUSES, drawer=drawer) == in_place
    assert in_place.count('<figure><img src="data:image/png;base64,') == 4
    assert "socialops figure" not in in_place


def _savefig(fig: Any) -> bytes:
    import io

    import matplotlib

    from infra.report import plots

    buffer = io.BytesIO()
    with matplotlib.rc_context(plots.STYLE):
        fig.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def test_a_plot_drawn_once_is_the_bytes_savefig_draws_twice(monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    from datetime import timedelta

    import numpy as np

    from infra.report import plots, shapes

    grids = {"x": np.arange(168.0).reshape(7, 24)}
    counts = {"x": np.ones((7, 24), dtype=int)}
    bars = [shapes.GoalBar("engagement rate", 0.02, 0.05, share=True)]
    start = datetime(2027, 1, 11, tzinfo=UTC)
    drawn: list[tuple[Callable[..., bytes], tuple[Any, ...]]] = [
             (plots.hour_of_week, (grids, counts)), (plots.goals, (bars,)),
             (plots.listening, ([], timedelta(hours=1), start, start + timedelta(days=1), [],
                                [], "UTC"))]  # fmt: skip
    once = [draw(*args) for draw, args in drawn]
    monkeypatch.setattr(plots, "png", _savefig)
    assert once == [draw(*args) for draw, args in drawn]


def test_a_plot_that_fails_in_a_worker_fails_the_report() -> None:
    with painter(workers=1) as drawer:
        text = "a " + drawer.figure("no_such_plot", (), "alt", "caption") + " b"
        with pytest.raises(AttributeError, match="no_such_plot"):
            drawer.resolve(text, lambda image, alt, caption: "figure")
    with pytest.raises(AttributeError, match="no_such_plot"):
        Painter().figure("no_such_plot", (), "alt", "caption")


def _exit_in_a_worker(seconds: float) -> timedelta:
    import multiprocessing
    import os

    if multiprocessing.parent_process() is not None:
        os._exit(9)  # as a worker killed for its memory would
    return timedelta(seconds=seconds)


class _DiesInAWorker(timedelta):
    """A plot's argument whose unpickling, in a worker, ends the worker."""

    def __reduce__(self) -> Any:
        return (_exit_in_a_worker, (self.total_seconds(),))


def test_plots_of_a_worker_that_died_are_drawn_in_place() -> None:
    step = _DiesInAWorker(hours=1)
    with painter(workers=1) as drawer:
        text = drawer.figure("step_words", (step,), "alt", "c") + drawer.figure(
            "step_words", (step,), "alt", "c"
        )
        # (step_words gives its words, not an image: the frame passes them on)
        assert drawer.resolve(text, lambda words, alt, caption: str(words)) == "hour" * 2


class _NoWorkers:
    """An executor whose workers cannot start (no semaphores, no processes allowed)."""

    def submit(self, *_: Any) -> Any:
        raise OSError("[Errno 38] Function not implemented")


def test_where_no_worker_can_start_the_plots_are_drawn_in_place() -> None:
    drawer = Painter(_NoWorkers())  # type: ignore[arg-type]
    text = drawer.figure("step_words", (timedelta(days=2),), "alt", "c")
    assert drawer.pool is None
    assert drawer.resolve(text, lambda words, alt, caption: str(words)) == "2 days"


def test_workers_are_used_where_there_is_a_fork_server_and_a_second_cpu(
        monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    from infra.report import painting

    monkeypatch.setattr(painting, "_start_methods", lambda: ["fork", "spawn", "forkserver"])
    monkeypatch.setattr(painting, "cpus", lambda: 2)
    assert painting.workers_here() == 2  # the report's process mostly waits
    monkeypatch.setattr(painting, "cpus", lambda: 16)
    assert painting.workers_here() == painting.MAX_WORKERS
    monkeypatch.setattr(painting, "cpus", lambda: 1)
    assert painting.workers_here() == 0  # no other CPU to draw on
    monkeypatch.setattr(painting, "cpus", lambda: 4)
    monkeypatch.setattr(painting, "_start_methods", lambda: ["spawn"])  # Windows
    assert painting.workers_here() == 0
    with painter() as drawer:
        assert drawer.pool is None


class FakeModel:
    """Bands fixed by platform: x 100-150-200, mastodon 1-5-10."""

    def predict(self, posts: list[Any], k: float = 3.0) -> list[Forecast]:
        return [Forecast(100.0, 150.0, 200.0, 0.1) if p.account == "x:acme"
                else Forecast(1.0, 5.0, 10.0, 0.05) for p in posts]  # fmt: skip


def test_each_post_is_forecast_from_what_was_read_before_it(
    lake: Lake, configs: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    fits: list[list[tuple[str, int | None]]] = []

    def fake_fit(history: list[Any], seed: int = 0) -> FakeModel:
        fits.append(sorted((p.account, p.engagement) for p in history))
        return FakeModel()

    monkeypatch.setattr(forecasting, "fit", fake_fit)
    text = render(lake, configs, NOW, INCIDENTS, PAUSES)
    imported = [("x:acme", 110 + 10 * i) for i in range(10)]
    # one fit per time of posting (x and mastodon went out together), then the fan's
    assert fits[:3] == [
        # 01-04: only the imported history (the only readings made a day or more after a post)
        sorted(imported),
        # 01-11: x1 as its 24 h reading showed it (its 7 d reading came 30 s after x2 went
        # out), m1, and the other campaign's post (the brand's history is every campaign's)
        sorted([*imported, ("x:acme", 145), ("mastodon:acme", 9), ("x:acme", 50)]),
        # 01-18: x1 at 7 d, x2 at 24 h (its 1 h reading is too young to learn from)
        sorted([*imported, ("x:acme", 170), ("mastodon:acme", 9), ("x:acme", 50), ("x:acme", 350)]),
    ]  # fmt: skip
    # the fans learn from everything read by now (x3 and m2 are too young): the views of
    # the posts that gave views (x1 at 7 d, x2 at 24 h; mastodon gives none), then the
    # engagement of engagement_rate's
    assert fits[3] == [("x:acme", 2500), ("x:acme", 4000)]
    assert fits[4] == fits[2]
    first = Page(part(text, "launch", 1))
    assert (
        "2 of 5 posts with a forecast fell inside their band (40%). 2 posts with a "
        "forecast were last read under 24 hours after posting and may still gather "
        "engagement; of the 3 posts read at 24 hours or later, 2 fell inside."
    ) in first.text
    rows = first.tables["Each post: actual engagement and its forecast"]
    assert rows[0] == ["published", "platform", "post", "engagement", "P10", "P50", "P90",
                       "band", "P(viral)", "age at reading", "posts learnt from"]  # fmt: skip
    assert [r[:4] + r[7:8] + r[9:] for r in rows[1:]] == [
        ["2027-01-04 09:00", "mastodon", "weekly", "9", "inside", "24h", "10"],
        ["2027-01-04 09:00", "x", "weekly", "170", "inside", "7d", "10"],
        ["2027-01-11 09:00", "x", "weekly", "350", "outside", "24h", "13"],
        ["2027-01-18 09:00", "mastodon", "weekly", "12", "outside", "6h", "14"],
        ["2027-01-18 09:00", "x", "weekly", "45", "outside", "1h", "14"],
    ]  # fmt: skip
    assert rows[2][4:7] == ["100", "150", "200"] and rows[1][4:7] == ["1", "5", "10"]
    assert "mastodon: 1 of 2 inside; x: 1 of 3 inside" in first.images[0]["alt"]


def test_hour_of_week_goals_and_listening_numbers(lake: Lake, configs: dict[str, Any]) -> None:
    text = render(lake, configs, NOW, INCIDENTS, PAUSES)
    hours = Page(part(text, "launch", 2))
    assert "in Europe/Paris: 16 posts in the lake" in hours.text
    assert "5 of them this campaign's" in hours.text
    rows = hours.tables["Per platform: the hours of the week with the highest mean engagement"]
    # x: Monday 09:00 Paris holds x1 170, x2 350, x3 45; Monday 10:00 the import of 12-07
    # (170); Thursday 10:00 the imports of 12-03 and 12-10 (130, 200)
    assert rows[1:] == [
        ["mastodon", "2", "1", "Mon 09:00 (10.5, 2 posts)"],
        ["x", "14", "9", "Mon 09:00 (188.3, 3 posts); Mon 10:00 (170.0, 1 post); Thu 10:00 (165.0, 2 posts)"],
    ]  # fmt: skip
    goals = Page(part(text, "launch", 3))
    table = {
        r[0]: r for r in goals.tables["Each goal: progress so far and where it is heading"][1:]
    }
    # views: x1 2500 + x2 4000 (x3 has none yet); engagement rate: (170/1000 + 9/200 +
    # 350/1000 + 45/1000 + 12/200) / 5; followers: (1100 - 1000) + (260 - 200); 6 mentions
    assert table["views"][1:6] == ["5,000", "2027-02-28 23:59", "6,500", "130%", "met"]
    assert table["engagement_rate"][1:6] == ["5.00%", "2027-02-28 23:59", "13.40%", "268%", "met"]
    assert table["followers"][3:6] == ["160", "160%", "met"]
    assert table["mentions"][3:6] == ["6", "60%", "not met yet"]
    assert table["conversions"][3] == "not measurable"
    # views: the 5 x posts still to come drawn from a forecast of views, added to the 6,500
    # measured; the 5 on mastodon (which gives no views) left out, as the measure does
    assert ("fan: 5 posts still to come drawn 4,000 times from their forecasts of views "
            "(learnt from 2 earlier posts that gave them), added to the 6,500 measured so far"
            ) in table["views"][7]  # fmt: skip
    assert "5 posts on a channel that has not given views left out" in table["views"][7]
    low, mid, high = (float(v.replace(",", "")) for v in table["views"][6].split(" / "))
    assert 6500 <= low <= mid <= high
    assert "no fan: not measurable" in table["conversions"][7]
    # two follower readings per channel, 15 days apart: their gains spread over the 15
    # days (+100/15 on x, +60/15 on mastodon a day), drawn for the 40 days left
    assert ("fan: the 40 days left each drawn 4,000 times from the 15 daily gains read so far "
            "(mean +10.7 a day), added to the 160 gained so far") in table["followers"][7]  # fmt: skip
    assert table["followers"][6] == "587 / 587 / 587"  # 160 + 40 x 10.67
    # the fan: the 10 posts still to come (5 Mondays on 2 channels) drawn from the forecast
    assert "fan: 10 posts still to come drawn 4,000 times" in table["engagement_rate"][7]
    p10, p50, p90 = (float(v.rstrip("%")) for v in table["engagement_rate"][6].split(" / "))
    assert p10 <= p50 <= p90
    assert len(goals.images) == 1 and "views: 6,500 so far, target 5,000" in goals.images[0]["alt"]
    listening = Page(part(text, "launch", 4))
    assert ("6 mentions of acme from 2027-01-10 07:00 to 2027-01-15 19:00, counted per 6 hours: "
            "3 negative, mean sentiment -0.17") in listening.text  # fmt: skip
    assert "1 incident of this campaign's alert rules is shaded" in listening.text
    assert "1 pause in force is marked" in listening.text
    incidents = listening.tables["Incidents of this campaign's alert rules"]
    assert [r[:5] for r in incidents[1:]] == [
        ["#1", "neg", "sentiment", "2027-01-15 11:00", "2027-01-15 15:00"]
    ]
    assert listening.tables["Publishing pause in force"][1] == [
        "2027-01-15 11:00",
        "alert:launch/neg",
        "neg: sentiment alert",
    ]
    assert listening.tables["Mentions per day (Europe/Paris)"][1:] == [
        ["2027-01-10", "4", "1", "+0.15"],
        ["2027-01-15", "2", "2", "-0.80"],
    ]
    assert "incident #1 neg fired 2027-01-15 11:00, resolved 2027-01-15 15:00" in listening.images[0]["alt"]  # fmt: skip


def test_missing_data_is_said_never_an_empty_plot(tmp_path: Path, configs: dict[str, Any]) -> None:  # fmt: skip
    with Lake(tmp_path / "empty") as empty:
        text = render(empty, configs, NOW)  # and no incidents or pauses read
    page = Page(text)
    assert "Alert incidents: not read. Publishing pauses: not read." in page.text
    launch = Page(section(text, "launch")).text
    assert "No readings yet: no post of this campaign has been read back" in launch
    assert "No readings yet: the lake holds no post of acme on x, mastodon with its counts." in launch  # fmt: skip
    assert "No mentions of acme in the lake in the campaign's window: no readings yet." in launch
    assert "The alert incidents were not read, so none is marked." in launch
    assert "views: nothing measured yet (no readings yet)." in launch
    quiet = Page(section(text, "quiet")).text
    assert "This campaign sets no goals." in quiet
    assert "the brand does not listen (no listening in its brand file)" in quiet
    # the only plot is the mentions goal, measured at 0 (the brand listens, nobody spoke)
    assert len(page.images) == 1 and "mentions: 0 so far" in page.images[0]["alt"]


def test_posts_with_nothing_to_learn_from_are_told_without_a_plot(
    tmp_path: Path, configs: dict[str, Any]
) -> None:
    # GIVEN the campaign's first posts, read an hour after they went out, and nothing older
    _write(tmp_path / "lake", "engagement/brand=acme/platform=x/date=2027-01-04/r.jsonl", [
        _reading("x", "x1", "2027-01-04T08:00:00Z", "2027-01-04T09:00:00Z", likes=5, shares=1, comments=0),
        _reading("x", "x2", "2027-01-11T08:00:00Z", "2027-01-11T09:00:00Z", likes=7, shares=0, comments=0),
    ])  # fmt: skip
    with Lake(tmp_path / "lake") as young:
        text = render(young, configs, NOW)
    first = Page(part(text, "launch", 1))
    # THEN no band to draw: said in words, the numbers in the table, no image
    assert "2 posts of this campaign read back, none with a forecast." in first.text
    assert "No forecast yet: when these posts went out, the lake held no reading" in first.text
    assert first.images == []
    rows = first.tables["Each post: actual engagement and its forecast"][1:]
    assert [(r[3], r[4], r[7], r[9]) for r in rows] == [("6", "-", "no forecast", "1h"),
                                                        ("7", "-", "no forecast", "1h")]  # fmt: skip


def test_an_empty_project_says_there_is_no_campaign(tmp_path: Path) -> None:
    with Lake(tmp_path / "empty") as empty:
        page = Page(render(empty, {}, NOW, [], []))
    assert "No campaign to report on: the files hold no campaign." in page.text
    assert "Alert incidents: 0 incidents read. Publishing pauses: 0 brands paused now." in page.text


def test_incidents_and_pauses_from_either_form_of_dynamodb_item() -> None:
    client_form = {"pk": {"S": "incident#launch/neg"}, "sk": {"S": "2027-01-15T10:00Z"},
                   "brand": {"S": "acme"}, "type": {"S": "sentiment"},
                   "fired_at": {"S": "2027-01-15T10:00Z"}, "value": {"N": "-0.8"},
                   "notified": {"BOOL": True}}  # fmt: skip
    [incident] = data.incidents_of([client_form, {"pk": {"S": "state#acme"}, "sk": {"S": "brand"}}])
    assert (incident.campaign, incident.rule, incident.brand, incident.resolved_at) == (
        "launch",
        "neg",
        "acme",
        None,
    )
    assert incident.fired_at == datetime(2027, 1, 15, 10, tzinfo=UTC) and not incident.paused
    found = data.incidents_of(INCIDENTS)
    assert [(i.campaign, i.rule, i.paused) for i in found] == [
        ("other", "burst", False),
        ("launch", "neg", True),
    ]  # in order of firing
    flag = PauseFlag("acme", "why", "person:ann", "2027-01-15T10:00:00Z")
    assert data.pauses_of([flag, {"brand": {"S": "beta"}, "since": {"S": "x"}}]) == [
        flag,
        PauseFlag("beta", "", "", "x"),
    ]


def test_the_fan_of_the_engagement_rate_is_the_draws_of_the_posts_to_come() -> None:
    # forecasts with no spread give the one value: (0.01 + 0.03 + 50/1000 + 20/400) / 4
    sure = [Forecast(50, 50, 50, 0), Forecast(20, 20, 20, 0)]
    fan = forecasting.engagement_rate_fan([0.01, 0.03], sure, [1000, 400], target=0.03)
    assert fan.p10 == fan.p50 == fan.p90 == pytest.approx(0.035)
    assert (fan.p_met, fan.drawn, fan.draws) == (1.0, 2, forecasting.DRAWS)
    # each post's draws have its forecast's P10, P50 and P90
    import numpy as np

    draws = forecasting.draw([Forecast(10, 20, 80, 0)], 200_000, np.random.default_rng(1))
    assert np.quantile(draws[:, 0], [0.1, 0.5, 0.9]) == pytest.approx([10, 20, 80], rel=0.02)
    # and the same seed, the same fan
    wide = [Forecast(10, 20, 80, 0)] * 3
    assert forecasting.engagement_rate_fan([], wide, [100] * 3, 0.2) == \
        forecasting.engagement_rate_fan([], wide, [100] * 3, 0.2)  # fmt: skip


def test_the_command_refuses_invalid_files_and_writes_nothing(
    tmp_path: Path, run_cli: Callable[..., Result]
) -> None:
    files = {**FILES, "zeta/quiet.yml": FILES["zeta/quiet.yml"].replace("timezone: UTC", "timezone: Mars/Base")}  # fmt: skip
    root = write_project(tmp_path / "bad", files)
    out = tmp_path / "report.html"
    code, stdout, stderr = run_cli("report", root, "--no-cache", "--bucket", "b", "--out", out,
                                   "--now", "2027-01-20T00:00Z")  # fmt: skip
    assert (code, stdout) == (1, "")
    assert re.search(r"quiet\.yml:\d+:\d+ E205 timezone: ", stderr)
    assert stderr.rstrip().endswith("; no report written") and not out.exists()


def _unwarned(stderr: str) -> str:
    """stderr without the files' W405 (the weekly text on X), said before anything else."""
    return "".join(line for line in stderr.splitlines(keepends=True) if " W405 " not in line)


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing-not-a-key")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing-not-a-secret")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        yield


def test_the_command_reads_the_lake_from_the_bucket_given(
    aws: None, tmp_path: Path, run_cli: Callable[..., Result]
) -> None:
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="lake")
    folder = build_lake(tmp_path / "lake")
    for path in sorted(p for p in folder.rglob("*.jsonl")):
        s3.put_object(
            Bucket="lake", Key=path.relative_to(folder).as_posix(), Body=path.read_bytes()
        )
    root = write_project(tmp_path / "project", FILES)
    out = tmp_path / "report.html"
    code, stdout, stderr = run_cli("report", root, "--no-cache", "--bucket", "lake", "--out", out,
                                   "--now", "2027-01-20T00:00Z")  # fmt: skip
    # (the weekly text on X is a warning, W405: said, and no reason not to report)
    assert code == 0 and [line.split()[1] for line in stderr.splitlines()] == ["W405"]
    assert stdout.splitlines() == [
        f"wrote {out}: 2 campaigns (launch, quiet) from s3://lake as of 2027-01-20T00:00Z",
        "note: The alert incidents were not read: the stack socialops-dev has no "
        "AlertIncidentsTableName output.",
        "note: The publishing pauses were not read: the stack socialops-dev has no "
        "PauseFlagsTableName output.",
    ]  # fmt: skip
    page = Page(out.read_text(encoding="utf-8"))
    assert "Lake: s3://lake, 8 objects fetched." in page.text
    assert len(page.images) == 4
    # without --bucket and without the stack, it says what is missing
    code, stdout, stderr = run_cli("report", root, "--no-cache", "--stage", "prod", "--out", out,
                                   "--now", "2027-01-20T00:00Z")  # fmt: skip
    assert (code, stdout) == (1, "")
    assert _unwarned(stderr) == ("socialops: report: no stack socialops-prod with the output "
                      "RawMentionsBucketName (deploy it with `npx osls deploy --stage prod`), "
                      "and no --bucket given\n")  # fmt: skip


def test_aws_not_configured_is_explained(no_aws: pytest.MonkeyPatch, tmp_path: Path,
                                         run_cli: Callable[..., Result]) -> None:  # fmt: skip
    root = write_project(tmp_path / "project", FILES)
    code, stdout, stderr = run_cli("report", root, "--no-cache", "--out", tmp_path / "r.html",
                                   "--now", "2027-01-20T00:00Z")  # fmt: skip
    assert (code, stdout) == (2, "")
    assert _unwarned(stderr).startswith("socialops: report: no AWS region: set AWS_REGION")


def test_followers_gained_a_day_and_their_fan(tmp_path: Path) -> None:
    # x read on 4 days (a gap of 2 days counts its gain per day), mastodon on 2; a
    # channel outside the campaign and a reading after now are not counted
    readings = {"x": [("2027-01-01", 100), ("2027-01-02", 110), ("2027-01-04", 130),
                      ("2027-01-05", 131), ("2027-01-09", 900)],
                "mastodon": [("2027-01-02", 50), ("2027-01-05", 56)],
                "bluesky": [("2027-01-01", 1), ("2027-01-02", 1000)]}  # fmt: skip
    for platform, days in readings.items():
        for day, count in days:
            _followers(tmp_path, platform, day, count)
    with Lake(tmp_path) as lake:
        gains = data.daily_gains(lake, "acme", ["x", "mastodon"],
                                 datetime(2027, 1, 1, tzinfo=UTC), datetime(2027, 1, 6, tzinfo=UTC))  # fmt: skip
    # x: +10 on 01-02, +20 over 01-03 and 01-04, +1 on 01-05; mastodon: +6 over 01-03 to
    # 01-05 (found in review: a gap's gain counted on its last day only)
    assert gains == [10.0, 12.0, 12.0, 3.0]
    fan = forecasting.followers_fan(30.0, [5.0, 5.0, 5.0], 4, 50.0)
    assert (fan.p10, fan.p50, fan.p90, fan.p_met) == (50.0, 50.0, 50.0, 1.0)
    spread = forecasting.followers_fan(0.0, gains, 10, 90.0)
    assert 30.0 <= spread.p10 < spread.p50 < spread.p90 <= 120.0 and 0 < spread.p_met < 1
    assert forecasting.followers_fan(0.0, gains, 10, 90.0) == spread  # the same draws


def test_a_followers_fan_needs_three_days_of_gains(tmp_path: Path) -> None:
    for day, count in (("2027-01-01", 100), ("2027-01-03", 110)):
        _followers(tmp_path, "x", day, count)
    with Lake(tmp_path) as lake:
        gains = data.daily_gains(lake, "acme", ["x"], datetime(2027, 1, 1, tzinfo=UTC),
                                 datetime(2027, 1, 6, tzinfo=UTC))  # fmt: skip
    assert gains == [5.0, 5.0] and len(gains) < forecasting.MIN_GAIN_DAYS
