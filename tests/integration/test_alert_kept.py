"""A warm ``alert`` keeps the buckets it has read (functions/alert/store.py, ``Kept``) and
``score`` marks the buckets it counts into late (functions/common/late_marks.py): a warm
run reads a few recent buckets instead of 7 hours of them, and still sees every mention a
cold run would, whenever it was counted and whichever container runs next."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alert_world import BRAND, BUCKETS, World, evaluate, make_world, state_item, store, week_series

from functions.alert import store as alert_store
from functions.alert.rules import cutoff
from functions.alert.store import Kept, Run
from functions.common import late_marks
from functions.score import service as scoring

T0 = datetime(2027, 1, 14, 12, 0, tzinfo=UTC)  # within brand-watch's window
FIVE = timedelta(minutes=5)


@pytest.fixture
def world(tmp_path_factory: Any, tmp_path: Path, monkeypatch: Any) -> Iterator[World]:
    yield from make_world(tmp_path_factory, tmp_path, monkeypatch, T0)


class Keys:
    """The DynamoDB client, the bucket keys its BatchGetItems ask for counted."""

    def __init__(self, real: Any) -> None:
        self.real, self.exceptions, self.buckets = real, real.exceptions, 0

    def batch_get_item(self, **kw: Any) -> Any:
        keys = kw["RequestItems"].get(BUCKETS, {}).get("Keys", [])
        self.buckets += sum(k["pk"]["S"].startswith("bucket#") for k in keys)
        return self.real.batch_get_item(**kw)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


def count_late(world: World, created: datetime, now: datetime, n: int = 1) -> None:
    """``n`` negative mentions created at ``created``, counted by score at ``now``."""
    batch = []
    for i in range(n):
        m = scoring.parse(json.dumps({"id": f"{created:%H%M}-{now:%H%M}-{i}", "brand": BRAND,
                                      "platform": "bluesky", "text": "aerolite lost my bag",
                                      "created_at": f"{created:%Y-%m-%dT%H:%M:%SZ}"}))  # fmt: skip
        batch.append(scoring.Scored(m, -0.9, "negative", {}, "en", 0.0, ["aerolite"]))
    assert scoring.count_batch(world.deps.dynamodb, BUCKETS, batch, now) == [True] * n


def cold(world: World, start: int, t: int) -> list[Any]:
    """What a container that kept nothing reads."""
    return alert_store.read_recent(replace(world.deps, kept=Kept()), Run(T0, t), {BRAND: start}, t)[BRAND]  # fmt: skip


def warm_runs(world: World, runs: int) -> Keys:
    """The week stored, then ``runs`` evaluations 5 minutes apart from T0; the bucket
    keys read counted from the third (the first catches up by Query, the second fills the
    container)."""
    store(world, week_series(T0 + timedelta(hours=1)))
    for k in range(2):
        evaluate(world, T0 + k * FIVE)
    keys = Keys(world.deps.dynamodb)
    world.deps.dynamodb = keys
    for k in range(2, 2 + runs):
        assert evaluate(world, T0 + k * FIVE)["failed"] == []
    return keys


def test_a_warm_run_reads_a_few_recent_buckets_and_the_same_as_a_cold_one(world: World) -> None:
    keys = warm_runs(world, 3)
    assert 0 < keys.buckets <= 3 * 7  # the last 25 minutes and the new bucket, each run
    t = cutoff(T0 + 4 * FIVE)
    start = t - (6 * 3600 + 3600)
    warm = alert_store.read_recent(world.deps, Run(T0, t), {BRAND: start}, t)[BRAND]
    assert warm == cold(world, start, t) and len(warm) == 84


def test_a_mention_counted_late_reaches_a_warm_run(world: World) -> None:
    """Counted 3 hours after its bucket began (marked by score): the next warm run reads
    that bucket again, and its evaluation is the one a cold container makes."""
    warm_runs(world, 2)
    at = T0 + 4 * FIVE
    t = cutoff(at)
    late = datetime.fromtimestamp(t - 3 * 3600, UTC)
    count_late(world, late + timedelta(minutes=1), now=at, n=40)
    start = t - (6 * 3600 + 3600)
    before = alert_store.read_recent(world.deps, Run(at, t), {BRAND: start}, t)[BRAND]
    assert before == cold(world, start, t)
    [bucket] = [b for b in before if b.start == int(late.timestamp())]
    assert bucket.negatives == 40
    item = world.buckets.get_item(Key={"pk": f"late#{BRAND}", "sk": "late"})["Item"]
    assert item[late_marks.PREFIX + late.strftime("%Y-%m-%dT%H:%MZ")] >= 1


def test_a_recent_bucket_is_read_again_without_a_mark(world: World) -> None:
    """Counted into 10 minutes after it began (no mark: not late for score), after a warm
    run read it: the next run reads it again all the same."""
    warm_runs(world, 1)
    at = T0 + 3 * FIVE
    t = cutoff(at)
    recent = datetime.fromtimestamp(t - 2 * 300, UTC)
    count_late(world, recent, now=recent + timedelta(minutes=10), n=5)
    item = world.buckets.get_item(Key={"pk": f"late#{BRAND}", "sk": "late"})["Item"]
    assert late_marks.PREFIX + recent.strftime("%Y-%m-%dT%H:%MZ") not in {
        k for k, v in item.items() if k.startswith(late_marks.PREFIX) and v > 1}  # only store's mark  # fmt: skip
    start = t - 7 * 3600
    warm = alert_store.read_recent(world.deps, Run(at, t), {BRAND: start}, t)[BRAND]
    assert warm == cold(world, start, t)


def test_two_containers_taking_turns_both_see_what_was_counted_late(world: World) -> None:
    """Marks are never taken back on reading: a second container, run in between, does not
    hide a late count from the first."""
    warm_runs(world, 1)
    other = replace(world.deps, kept=Kept())
    deps = {0: world.deps, 1: other}
    for k in range(3, 9):
        at = T0 + k * FIVE
        t = cutoff(at)
        late = datetime.fromtimestamp(t - 2 * 3600, UTC)
        count_late(world, late, now=at, n=k)
        start = t - 7 * 3600
        got = alert_store.read_recent(deps[k % 2], Run(at, t), {BRAND: start}, t)[BRAND]
        assert got == cold(world, start, t)
    assert evaluate(world, T0 + 9 * FIVE)["failed"] == []
    assert state_item(world) is not None


def test_old_marks_are_removed_and_recent_ones_kept(world: World) -> None:
    """The week stored marked each of its 2,300 buckets: each run removes old marks, 500
    at most, the oldest first, and keeps those a run may still need."""
    warm_runs(world, 1)
    at = T0 + 3 * FIVE
    t = cutoff(at)
    recent = datetime.fromtimestamp(t - 2 * 3600, UTC)
    count_late(world, recent, now=at)
    left = []
    for k in range(3, 9):
        evaluate(world, T0 + k * FIVE)
        item = world.buckets.get_item(Key={"pk": f"late#{BRAND}", "sk": "late"})["Item"]
        names = sorted(k for k in item if k.startswith(late_marks.PREFIX))
        left.append(len(names))
    assert left[0] > 600 and left[0] - left[1] == 500 and left[-1] < 200
    now = cutoff(T0 + 8 * FIVE)
    oldest = datetime.fromtimestamp(now - alert_store.MARKS_KEPT_S, UTC)
    stale = [n for n in names if n < late_marks.PREFIX + oldest.strftime("%Y-%m-%dT%H:%MZ")]
    assert len(stale) < alert_store.MARKS_FORGOTTEN_AT  # a few are left for later
    assert late_marks.PREFIX + recent.strftime("%Y-%m-%dT%H:%MZ") in names
    assert item["expires_at"] > int(at.timestamp())  # an untouched item expires (TTL)
