"""What a simulation found: the timeline's lines, the counts, and the summary it prints."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from infra.simulate.listened import ListenResult


@dataclass
class Line:
    when: datetime
    local: str
    channel: str
    what: str
    status: str
    detail: str


@dataclass
class Result:
    start: datetime
    end: datetime
    seed: int
    lines: list[Line] = field(default_factory=list)
    outcomes: Counter[str] = field(default_factory=Counter)
    per_channel: dict[str, Counter[str]] = field(default_factory=dict)
    faults: Counter[str] = field(default_factory=Counter)
    fired: int = 0
    deliveries: int = 0
    duplicates: int = 0  # deliveries of an event already delivered (Scheduler: at least once)
    lambda_retries: int = 0
    late_retries: int = 0  # publish's own retry schedules fired (a platform asked to wait)
    placed_fired: int = 0  # optimize's placements of auto posts fired
    stepped_aside: int = 0  # firings of auto posts another firing of theirs posts (moved)
    dead_lettered: int = 0
    posts_on_platforms: int = 0
    # published posts that carried media, by platform and kind (image, video, album)
    media_posted: dict[str, Counter[str]] = field(default_factory=dict)
    tokens_refreshed: int = 0
    unaccounted: list[str] = field(default_factory=list)
    records: Counter[str] = field(default_factory=Counter)
    listening: ListenResult | None = None
    engagement: Any = None  # infra.simulate.engagement.EngagementResult
    # the functions' calls checked against their roles (infra/simulate/iam.py)
    iam: dict[str, Any] = field(default_factory=lambda: {"checked": 0, "refused": 0, "denied": []})

    @property
    def published(self) -> int:
        return self.records["published"]

    @property
    def double_posts(self) -> int:
        return self.posts_on_platforms - self.published

    @property
    def ok(self) -> bool:
        """Nothing lost or posted twice, no listening run or notice failed (the replay
        injects no faults: a failure there is a defect), and no call a function made was
        refused by its role (AWS would refuse it too)."""
        lost = self.listening.lost + self.listening.problems if self.listening else []
        return (
            not self.unaccounted and self.double_posts == 0 and not lost and not self.iam["refused"]
        )

    def summary(self) -> dict[str, Any]:
        return {
            "start": self.start.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "end": self.end.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "seed": self.seed,
            "schedules_fired": self.fired,
            "deliveries": self.deliveries,
            "published": self.published,
            "duplicates": self.duplicates,
            "recovered": self.outcomes["recovered"],
            "failed": self.records["failed"] + self.records["unknown"],
            "held": self.records["held"],
            "skipped": self.records["skipped"],
            "dead_lettered": self.dead_lettered,
            "lambda_retries": self.lambda_retries,
            "late_retries": self.late_retries,
            "placed_fired": self.placed_fired,
            "moved": self.stepped_aside,
            "waiting": self.records["waiting"],
            "tokens_refreshed": self.tokens_refreshed,
            "faults_injected": dict(sorted(self.faults.items())),
            "posts_on_platforms": self.posts_on_platforms,
            "media_posted": {
                p: dict(sorted(c.items())) for p, c in sorted(self.media_posted.items())
            },
            "double_posts": self.double_posts,
            "unaccounted": self.unaccounted,
            "channels": {
                channel: dict(sorted(counts.items()))
                for channel, counts in sorted(self.per_channel.items())
            },
            "listening": self.listening.summary() if self.listening else None,
            "engagement": self.engagement.summary() if self.engagement else None,
            "iam": self.iam,
        }
