"""The alert rules' arithmetic (functions/alert/rules.py) and the detector's saved state."""

from __future__ import annotations

import json
import math
import random
from datetime import UTC, datetime

import pytest

from functions.alert import rules
from functions.alert.detector import VOLUME, Detector, score_series
from functions.alert.rules import Bucket, Check

T = int(datetime(2027, 1, 14, 12, 0, tzinfo=UTC).timestamp())


def test_cutoff_leaves_the_current_bucket_and_a_lateness_allowance() -> None:
    at = datetime(2027, 1, 14, 12, 7, 30, tzinfo=UTC)
    assert rules.stamp(rules.cutoff(at)) == "2027-01-14T12:00Z"
    at = datetime(2027, 1, 14, 12, 4, 59, tzinfo=UTC)
    assert rules.stamp(rules.cutoff(at)) == "2027-01-14T11:55Z"


def test_bucket_of_reads_numbers_and_terms_and_refuses_the_malformed() -> None:
    b = rules.bucket_of({"pk": "bucket#a", "sk": "2027-01-14T11:55Z", "mentions": "3",
                         "polarity_sum": "-1.5", "term:lost luggage": "2"})  # fmt: skip
    assert (b.start, b.mentions, b.polarity_sum, b.terms) == (T - 300, 3.0, -1.5,
                                                             {"lost luggage": 2.0})  # fmt: skip
    for bad, message in (({"sk": "yesterday"}, "not a bucket start"),
                         ({"sk": "2027-01-14T11:57Z"}, "5-minute boundary"),
                         ({"sk": "2027-01-14T11:55Z", "mentions": "lots"}, "mentions is 'lots'"),
                         ({"sk": "2027-01-14T11:55Z", "mentions": "-2"}, "mentions is '-2'"),
                         ({"sk": "2027-01-14T11:55Z", "term:x": "?"}, "term:x")):  # fmt: skip
        with pytest.raises(ValueError, match=message):
            rules.bucket_of(bad)


def test_window_sums_only_its_buckets() -> None:
    buckets = [Bucket(T - 600, 10, -5, 4, terms={"a": 2}), Bucket(T - 300, 30, -3, 6, terms={"a": 1, "b": 5}),
               Bucket(T, 100, 100, 0)]  # fmt: skip
    w = rules.window(buckets, T - 600, T)
    assert (w.mentions, w.polarity_sum, w.negatives) == (40, -8, 10)
    assert w.mean_polarity == -0.2 and w.negative_share == 0.25
    assert w.terms.most_common() == [("b", 5), ("a", 3)]
    assert rules.window(buckets, T - 3600, T - 600).mean_polarity is None


def test_sentiment_needs_min_mentions_and_clears_past_the_margin() -> None:
    w = rules.Window(0, 1, mentions=499, polarity_sum=-0.8 * 499)
    assert not rules.sentiment(w, -0.6, 500).firing
    w.mentions, w.polarity_sum = 500, -0.8 * 500
    check = rules.sentiment(w, -0.6, 500)
    assert (
        check.firing
        and not check.clear
        and check.measured == "mean polarity -0.80 over 500 mentions"
    )
    w.polarity_sum = -0.58 * 500  # above the threshold, within the margin: neither
    check = rules.sentiment(w, -0.6, 500)
    assert not check.firing and not check.clear
    w.polarity_sum = -0.54 * 500
    assert rules.sentiment(w, -0.6, 500).clear


def test_negative_share() -> None:
    w = rules.Window(0, 1, mentions=200, negatives=81)
    assert rules.negative_share(w, 0.4, 200).firing
    assert not rules.negative_share(w, 0.4, 201).firing
    w.negatives = 80  # 40% is not above 40%
    check = rules.negative_share(w, 0.4, 200)
    assert not check.firing and not check.clear
    w.negatives = 70
    assert rules.negative_share(w, 0.4, 200).clear


def test_too_few_mentions_neither_fire_nor_clear_a_rule_still_bad() -> None:
    """A crisis that quietens below the rule's minimum while most mentions are still
    negative stays open (no "resolved" during the crisis); once the share itself is past
    the margin it clears, however few the mentions; no mentions at all clear it too."""
    w = rules.Window(0, 1, mentions=150, negatives=117)
    check = rules.negative_share(w, above=0.4, min_mentions=200)
    assert not check.firing and not check.clear
    assert check.measured == ("fewer mentions than the rule's 200 (negative share 78% "
                              "(117 of 150 mentions))")  # fmt: skip
    w.negatives = 40  # 27%: past the 35% margin
    assert rules.negative_share(w, above=0.4, min_mentions=200).clear
    assert rules.negative_share(rules.Window(0, 1), above=0.4, min_mentions=200).clear
    few_angry = rules.sentiment(rules.Window(0, 1, mentions=80, polarity_sum=-56), -0.6, 500)
    assert not few_angry.firing and not few_angry.clear
    few_calm = rules.sentiment(rules.Window(0, 1, mentions=80, polarity_sum=8), -0.6, 500)
    assert few_calm.clear
    enough = rules.sentiment(rules.Window(0, 1, mentions=600, polarity_sum=-420), -0.6, 500)
    assert enough.measured == "mean polarity -0.70 over 600 mentions"


def test_volume_threshold_maps_sensitivity() -> None:
    assert rules.volume_threshold(0.5) == 0.5  # the detector's own alert level
    assert rules.volume_threshold(0.7) == pytest.approx(0.3)
    assert rules.volume_threshold(1.0) == rules.MIN_THRESHOLD
    check = rules.volume([0.2, 0.35], 0.35, 80, 0.7, 50, 20.0)
    assert (
        check.firing
        and "80 mentions in the last hour, usual for this hour about 20 (4.0x)" in check.measured
    )
    assert not rules.volume([0.9], 0.9, 49, 0.7, 50, None).firing


def _check(firing: bool, clear: bool) -> Check:
    return Check(firing, clear, -0.7 if firing else 0.1, 600, "m")


def test_step_one_incident_hold_and_cooldown() -> None:
    hold, cooldown = 3600, 7200
    s = rules.step(None, _check(False, True), T, hold, cooldown)
    assert s.event is None and s.state["status"] == "closed"
    s = rules.step(s.state, _check(True, False), T + 300, hold, cooldown)
    assert (s.event, s.notify, s.state["opened_at"]) == ("fired", True, T + 300)
    s = rules.step(s.state, _check(True, False), T + 600, hold, cooldown)
    assert s.event is None
    s = rules.step(s.state, _check(False, True), T + 900, hold, cooldown)  # clear starts
    s = rules.step(s.state, _check(False, False), T + 1200, hold, cooldown)  # in the band
    assert s.state["clear_since"] is None
    s = rules.step(s.state, _check(False, True), T + 1500, hold, cooldown)
    s = rules.step(s.state, _check(False, True), T + 1500 + hold - 300, hold, cooldown)
    assert s.event is None
    s = rules.step(s.state, _check(False, True), T + 1500 + hold, hold, cooldown)
    assert (s.event, s.notify, s.state["closed_at"]) == ("resolved", True, T + 1500 + hold)
    closed = T + 1500 + hold
    again = rules.step(s.state, _check(True, False), closed + cooldown - 300, hold, cooldown)
    assert (again.event, again.notify, again.state["notified"]) == ("fired", False, False)
    end = rules.step(again.state, _check(False, True), closed + cooldown, hold, cooldown)
    end = rules.step(end.state, _check(False, True), closed + cooldown + hold, hold, cooldown)
    assert (end.event, end.notify) == ("resolved", False)  # a suppressed incident ends quietly
    later = rules.step(s.state, _check(True, False), closed + cooldown, hold, cooldown)
    assert later.notify


def _series(n: int) -> tuple[list[float], list[float]]:
    rng = random.Random(3)
    moments = [float(T + 300 * i) for i in range(n)]
    values = []
    for i, t in enumerate(moments):
        base = 30 + 20 * math.sin(t / 86400 * 2 * math.pi)
        values.append(max(0.0, rng.gauss(base * (5 if n - 30 < i < n - 10 else 1), 5)))
    return moments, values


def test_detector_state_round_trips_through_json_with_the_same_scores() -> None:
    moments, values = _series(2 * 2016)
    whole = score_series(moments, values)
    detector = Detector()
    scores = []
    for i, (t, v) in enumerate(zip(moments, values, strict=True)):
        if i % 97 == 0:  # saved and restored, as between runs
            state = json.loads(json.dumps(detector.to_state()))
            detector = Detector.from_state(state)
        scores.append(detector.update(t, v))
    assert scores == whole
    assert max(whole) >= 0.5
    assert len(json.dumps(detector.to_state(), separators=(",", ":"))) < 2000


def test_detector_state_refuses_what_is_not_one() -> None:
    with pytest.raises(ValueError, match="version"):
        Detector.from_state({"v": 99})
    state = Detector().to_state()
    del state["hour"]
    with pytest.raises(ValueError, match="not a detector state"):
        Detector.from_state(state)


def test_replay_settles_six_hours_back_and_rescores_what_came_late() -> None:
    """Runs every 5 minutes, each saving the settled state as the alert does; the counts
    of the 6 hours before each cutoff change between runs (mentions counted late). Each
    run's scores are those of one pass over the counts as they are at that run, and the
    saved state is one pass over the final counts up to 6 h back."""
    moments, values = _series(600)
    counts = {int(t): v for t, v in zip(moments, values, strict=True)}
    first, saved = int(moments[0]), None
    for t in range(first + 300 * 400, first + 300 * 600 + 1, 300):
        # what arrives late: the buckets of the last 6 h grow by a tenth each run
        for s in range(t - rules.LATE_S, t, 300):
            counts[s] = counts.get(s, 0.0) * 1.1
        detector = Detector.from_state(json.loads(json.dumps(saved))) if saved else None
        volume = rules.replay(detector, counts, first, t)
        saved = volume.settled
        one_pass, scores = Detector(VOLUME), []  # the volume rules' settings
        for s in range(first, t, 300):
            one_pass.update(float(s), counts[s])
            scores.append(one_pass.raw)
        assert volume.scores == scores[-12:] and volume.latest == one_pass.raw
    assert saved is not None and saved["last"] == t - rules.LATE_S - 300
    settled = Detector(VOLUME)
    for s in range(first, t - rules.LATE_S, 300):
        settled.update(float(s), counts[s])
    assert settled.to_state() == saved
