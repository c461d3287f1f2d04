"""What the listening replay of ``socialops simulate`` heard and said: the mentions at each
step, the alerts with their times, and the accounting (``listen.Listening`` fills it)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from functions.alert.detector import Params
from infra.simulate.mentions import Crisis

WARMUP_HOURS = Params().warmup_hours  # the volume detector's: it cannot fire before


@dataclass
class Alerted:
    when: datetime
    brand: str
    rule: str  # campaign/rule
    state: str  # "fired" or "resolved"
    detail: str = ""


@dataclass
class ListenResult:
    brands: list[str] = field(default_factory=list)
    crisis: Crisis | None = None
    crisis_brand: str = ""
    generated: int = 0
    in_crisis: int = 0
    per_platform: dict[str, Counter[str]] = field(default_factory=dict)  # generated, queued
    queued: int = 0
    excluded: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    scored: int = 0
    counted: int = 0
    alerts: list[Alerted] = field(default_factory=list)
    score_failures: int = 0
    left_in_queue: int = 0
    paused: dict[str, str] = field(default_factory=dict)  # brand -> since
    ingest_runs: int = 0
    alert_runs: int = 0
    settled_ticks: int = 0  # fine ticks left out after the crisis had settled (listen.py)
    slack_messages: int = 0
    lost: list[str] = field(default_factory=list)  # mentions not accounted for
    problems: list[str] = field(default_factory=list)  # failed runs, failed notices
    rules: list[str] = field(default_factory=list)  # the crisis brand's rules (campaign/rule)
    volume_rules: list[str] = field(default_factory=list)  # those of them on volume
    replay_start: datetime | None = None
    # each incident's draft (listen.Listening._draft): incident, brand, rule, drafted, by,
    # mentions, top_terms, statement, and sent (when its notice went out, None: not yet)
    drafts: list[dict[str, Any]] = field(default_factory=list)

    def delays(self) -> dict[str, float | None]:
        """Minutes from the crisis start to each of the crisis brand's rules' first
        firing (None: it did not fire)."""
        if self.crisis is None:
            return {}
        firsts: dict[str, float | None] = dict.fromkeys(self.rules)
        for alert in self.alerts:
            if alert.brand == self.crisis_brand and alert.state == "fired":
                delay = (alert.when - self.crisis.start).total_seconds() / 60
                if firsts.get(alert.rule) is None and delay >= 0:
                    firsts[alert.rule] = round(delay, 1)
        order = sorted(firsts, key=lambda r: (firsts[r] is None, firsts[r] or 0.0))
        return {rule: firsts[rule] for rule in order}  # in firing order, then the others

    def notes(self) -> list[str]:
        """Why a rule could not fire, where the replay itself explains it."""
        if self.crisis is None or self.replay_start is None:
            return []
        into = (self.crisis.start - self.replay_start).total_seconds() / 3600
        delays = self.delays()
        return [f"{rule} could not fire: the crisis began {into:g} h into the replay, "
                f"within the volume detector's {WARMUP_HOURS:g} h warm-up (start the "
                f"simulation at least a day before the crisis)"
                for rule in self.volume_rules
                if delays.get(rule) is None and into < WARMUP_HOURS]  # fmt: skip

    def summary(self) -> dict[str, Any]:
        crisis = None
        if self.crisis is not None:
            crisis = {"brand": self.crisis_brand,
                      "start": self.crisis.start.strftime("%Y-%m-%dT%H:%MZ"),
                      "hours": self.crisis.hours, "mentions": self.in_crisis}  # fmt: skip
        return {
            "brands": self.brands, "crisis": crisis, "generated": self.generated,
            "per_platform": {p: dict(c) for p, c in sorted(self.per_platform.items())},
            "queued": self.queued, "excluded": self.excluded, "skipped": dict(self.skipped),
            "scored": self.scored, "counted": self.counted,
            "score_failures": self.score_failures, "left_in_queue": self.left_in_queue,
            "ingest_runs": self.ingest_runs, "alert_runs": self.alert_runs,
            "settled_ticks": self.settled_ticks,
            "alerts": [{"when": a.when.strftime("%Y-%m-%dT%H:%MZ"), "brand": a.brand,
                        "rule": a.rule, "state": a.state} for a in self.alerts],
            "first_alert_minutes_after_crisis": self.delays(), "notes": self.notes(),
            "slack_messages": self.slack_messages, "drafts": self.drafts, "paused": self.paused,
            "problems": self.problems, "unaccounted": self.lost,
        }  # fmt: skip
