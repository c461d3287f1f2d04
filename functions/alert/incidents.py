"""One brand's evaluation: its rules on its buckets, the incidents they open and close, the
notices and the pause that go with them, all as a :class:`store.Plan` that the cycle
commits in one transaction (store.write_plans) before anything is sent.

- **Volume.** One detector per brand, shared by its volume rules, saved in the brand's
  state as of ``rules.LATE_S`` (6 h) before the cutoff and replayed over the recent
  buckets every run (rules.replay), so mentions counted late still reach it. The first
  run (or one after a gap of more than ``WARMUP_DAYS``) starts a fresh detector at the
  first stored bucket of the last ``WARMUP_DAYS`` days. Only the scores of the last hour
  can fire.
- **Pause.** ``action: pause_publishing`` reads the brand's pause when its incident opens
  and puts the pause (or, if it is paused already, a check that it still is) into the
  same transaction as the incident: a run that dies before its commit has paused
  nothing, and a committed incident has paused, once. The notice says which it was.
- **Draft.** An incident whose alert is sent asks ``generate`` for a draft (what people are
  saying, a holding statement) with its commit; the draft, once written, follows as the
  incident's ``draft`` notice (drafts.py).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from functions.alert import drafts, messages, notify, rules
from functions.alert.detector import VOLUME, Detector
from functions.alert.outbox import notice
from functions.alert.rules import BUCKET_S, LATENESS_S, Bucket, Check, RuleRef, Volume, stamp
from functions.alert.store import Deps, Plan, Run, State, n_value, read_buckets, s_value
from functions.common.pause import PauseFlag, pause_write, paused, still_paused

WARMUP_DAYS = 7
INCIDENT_TTL_DAYS = 400
LEASE_S = 120


def feed(state: State, buckets: Sequence[Bucket], t: int, deps: Deps, run: Run,
         brand: str) -> Volume:  # fmt: skip
    detector: Detector | None = None
    if state.detector is not None:
        try:
            detector = Detector.from_state(state.detector, VOLUME)
        except ValueError as error:
            run.fail(deps, f"brand {brand}", f"volume detector state unreadable, warming up "
                     f"again: {error}")  # fmt: skip
    horizon = t - WARMUP_DAYS * 86400
    if detector is not None and (detector.last is None or detector.last < horizon):
        detector = None
    first = next((b.start for b in buckets if b.start >= horizon), t)
    volume = rules.replay(detector, {b.start: b.mentions for b in buckets}, first, t)
    state.detector = volume.settled
    return volume


def check(ref: RuleRef, buckets: Sequence[Bucket], t: int, volume: Volume | None) -> Check:
    a = ref.alert
    w = rules.window(buckets, t - ref.span_s, t)
    if a.type == "sentiment":
        return rules.sentiment(w, a.below, a.min_mentions)
    if a.type == "negative_share":
        return rules.negative_share(w, a.above, a.min_mentions)
    assert volume is not None
    return rules.volume(volume.scores, volume.latest, w.mentions, a.sensitivity,
                        a.min_mentions, volume.usual)  # fmt: skip


def first_needed(refs: Sequence[RuleRef], state: State, t: int) -> int:
    """The start of the first bucket the brand's rules need at cutoff ``t``: the longest
    window, or the first bucket its detector has not settled (a week on warm-up)."""
    start = t - max(r.span_s for r in refs)
    if any(r.alert.type == "volume_anomaly" for r in refs):
        last = state.detector.get("last") if state.detector else None
        horizon = t - WARMUP_DAYS * 86400
        start = min(start, horizon if last is None or last < horizon else int(last) + BUCKET_S)
    return start


@dataclass
class Brand:
    """One brand's evaluation under way: what its plan will hold."""

    name: str
    state: State
    writes: list[dict[str, Any]]
    events: list[tuple[str, dict[str, Any]]]
    pause: PauseFlag | None = None  # as read, or as this evaluation pauses it
    pause_read: bool = False
    pause_error: str = ""
    asks: list[dict[str, Any]] = field(default_factory=list)  # drafts to ask for


def evaluate_brand(brand: str, refs: Sequence[RuleRef], old: State, t: int, deps: Deps,
                   run: Run, buckets: Sequence[Bucket] | None = None,
                   loaded: Mapping[str, Any] | None = None,
                   unloaded: Collection[str] = ()) -> Plan | None:  # fmt: skip
    """``buckets``: those from :func:`first_needed` to ``t`` when already read;
    ``loaded``: the deployed configs, to say why a rule in the state is not in ``refs``
    (the rules of the ``unloaded`` campaigns, whose configs did not load, are kept)."""
    b = Brand(brand, old.copy(), [], [])
    _withdraw(b, {r.key for r in refs}, t, deps, run, loaded or {}, unloaded)
    if b.state.drafts:  # those asked for by earlier runs (this run's are asked after it)
        b.asks += drafts.collect(b.state, brand, t, deps, run)
    if buckets is None and refs:
        start = first_needed(refs, b.state, t)
        buckets = read_buckets(deps, run, brand, start, t) if start < t else []
    buckets = buckets or []
    volumes = any(r.alert.type == "volume_anomaly" for r in refs)
    volume = feed(b.state, buckets, t, deps, run, brand) if volumes else None
    for ref in refs:
        _step(b, ref, buckets, t, volume, deps, run)
    deliver = False
    if b.state.outbox:
        at = stamp(t + LATENESS_S)
        state = b.state
        if not (state.lease_by and state.lease_until > at and state.lease_by != run.id):
            state.lease_by, state.lease_until = run.id, stamp(t + LATENESS_S + LEASE_S)
            deliver = True
    if b.state.exists and b.state.same(old) and not b.writes:
        return None
    return Plan(brand, b.state, b.writes, deliver, b.events, b.asks)


def withdrawn_because(loaded: Mapping[str, Any], key: str, at: datetime) -> tuple[str, RuleRef | None]:  # fmt: skip
    """Why the rule ``campaign/name`` is not evaluated at ``at``, in words, and the rule
    when its campaign still declares it."""
    campaign, _, name = key.partition("/")
    config = loaded.get(campaign)
    if config is None:
        return f"campaign {campaign} is no longer deployed", None
    alert = next((a for a in config.campaign.alerts or [] if a.name == name), None)
    if alert is None:
        return f"the rule was removed from campaign {campaign}", None
    ref = RuleRef(campaign, config.brand.name, alert)
    window = config.campaign.window
    if at < window.start.replace(tzinfo=ZoneInfo(config.campaign.timezone)):
        return f"campaign {campaign} now starts on {window.start:%Y-%m-%d %H:%M}", ref
    return (f"campaign {campaign} ended on {window.end:%Y-%m-%d %H:%M} "
            f"({config.campaign.timezone})", ref)  # fmt: skip


def _withdraw(b: Brand, current: Collection[str], t: int, deps: Deps, run: Run,
              loaded: Mapping[str, Any], unloaded: Collection[str]) -> None:  # fmt: skip
    for key in sorted(k for k in b.state.rules if k not in current
                      and k.partition("/")[0] not in unloaded):  # fmt: skip
        why, ref = withdrawn_because(loaded, key, run.at)
        gone = b.state.rules.pop(key)
        if gone.get("status") == "open":
            b.events.append(("resolved", _withdrawn(b, key, gone, why, ref, t, deps)))


def _step(b: Brand, ref: RuleRef, buckets: Sequence[Bucket], t: int, volume: Volume | None,
          deps: Deps, run: Run) -> None:  # fmt: skip
    result = check(ref, buckets, t, volume)
    moved = rules.step(b.state.rules.get(ref.key), result, t, ref.span_s, ref.cooldown_s)
    b.state.rules[ref.key] = moved.state
    if moved.event == "fired":
        b.events.append(("fired", _fired(b, ref, moved, result, buckets, t, volume, deps, run)))
    elif moved.event == "resolved":
        b.events.append(("resolved", _resolved(b, ref, moved, result, t, deps)))
    if moved.state.get("status") == "open":
        run.open.append(ref.key)


def _incident_key(key: str, opened: int) -> dict[str, Any]:
    """The incident record of rule ``key`` (``campaign/rule``) opened at ``opened``."""
    return {"pk": s_value(f"incident#{key}"), "sk": s_value(stamp(opened))}


def _expires(t: int) -> dict[str, str]:
    return n_value(t + INCIDENT_TTL_DAYS * 86400)


def _fired(b: Brand, ref: RuleRef, moved: rules.Step, result: Check, buckets: Sequence[Bucket],
           t: int, volume: Volume | None, deps: Deps, run: Run) -> dict[str, Any]:  # fmt: skip
    action, newly_paused = _act(b, ref, deps, run)
    told = moved.notify or newly_paused  # a person must hear why publishing stopped
    moved.state["notified"] = told
    # kept so that the incident can still be closed aloud if the rule disappears
    moved.state["targets"] = ref.targets(deps.alerts_topic) if told else []
    moved.state["pauses"] = ref.alert.action == "pause_publishing"
    entry = {"campaign": ref.campaign, "rule": ref.alert.name, "brand": ref.brand,
             "type": ref.alert.type, "value": result.value, "measured": result.measured,
             "data_until": stamp(t), "notified": told}  # fmt: skip
    if not moved.notify:
        entry["suppressed"] = "cooldown"
    if ref.alert.action == "pause_publishing":
        entry["action"] = action
    item = {**_incident_key(ref.key, t), "brand": s_value(ref.brand),
            "type": s_value(ref.alert.type), "rule": s_value(ref.threshold()),
            "measured": s_value(result.measured), "fired_at": s_value(stamp(t)),
            "notified": {"BOOL": told}, "action": s_value(action), "expires_at": _expires(t)}  # fmt: skip
    if result.value is not None:
        item["value"] = n_value(round(result.value, 4))
    if not moved.notify:
        item["suppressed"] = s_value("cooldown")
    b.writes.append({"Put": {"TableName": deps.incidents_table, "Item": item,
                             "ConditionExpression": "attribute_not_exists(pk)"}})  # fmt: skip
    if told:
        message = messages.firing(ref, result, buckets, t, volume, action, deps, run)
        b.state.outbox.append(notice(ref.key, ref.brand, "firing", t, f"[socialops] ALERT "
                                     f"{ref.brand}: {ref.alert.name} ({result.measured})",
                                     message, ref.targets(deps.alerts_topic)))  # fmt: skip
        if deps.ask_draft is not None:
            b.state.drafts.append(drafts.pending(ref.key, t, t - ref.span_s,
                                                 ref.targets(deps.alerts_topic)))  # fmt: skip
            b.asks.append(b.state.drafts[-1])
    return entry


def _resolved(b: Brand, ref: RuleRef, moved: rules.Step, result: Check, t: int,
              deps: Deps) -> dict[str, Any]:  # fmt: skip
    opened = int(moved.state.get("opened_at") or t)
    entry = {"campaign": ref.campaign, "rule": ref.alert.name, "brand": ref.brand,
             "type": ref.alert.type, "opened": stamp(opened), "data_until": stamp(t),
             "measured": result.measured, "notified": moved.notify}  # fmt: skip
    b.writes.append({"Update": {
        "TableName": deps.incidents_table, "Key": _incident_key(ref.key, opened),
        "UpdateExpression": "SET resolved_at = :r, resolved_measured = :m, expires_at = :e",
        "ExpressionAttributeValues": {":r": s_value(stamp(t)), ":m": s_value(result.measured),
                                      ":e": _expires(opened)}}})  # fmt: skip
    if moved.notify:
        b.state.outbox.append(notice(ref.key, ref.brand, "resolved", t, f"[socialops] resolved "
                                     f"{ref.brand}: {ref.alert.name} ({result.measured})",
                                     messages.resolved(ref, result, opened, t),
                                     ref.targets(deps.alerts_topic)))  # fmt: skip
    return entry


def _withdrawn(b: Brand, key: str, gone: Mapping[str, Any], why: str, ref: RuleRef | None,
               t: int, deps: Deps) -> dict[str, Any]:  # fmt: skip
    """Close the open incident of a rule that is no longer evaluated."""
    campaign, _, name = key.partition("/")
    opened = int(gone.get("opened_at") or t)
    told = bool(gone.get("notified"))
    entry = {"campaign": campaign, "rule": name, "brand": b.name, "opened": stamp(opened),
             "data_until": stamp(t), "withdrawn": why, "notified": told}  # fmt: skip
    b.writes.append({"Update": {
        "TableName": deps.incidents_table, "Key": _incident_key(key, opened),
        "UpdateExpression": "SET resolved_at = :r, withdrawn = :w, expires_at = :e",
        "ExpressionAttributeValues": {":r": s_value(stamp(t)), ":w": s_value(why),
                                      ":e": _expires(opened)}}})  # fmt: skip
    targets = (ref.targets(deps.alerts_topic) if ref is not None
               else list(gone.get("targets") or []))  # fmt: skip
    if told and targets:
        pauses = ref.alert.action == "pause_publishing" if ref else bool(gone.get("pauses"))
        b.state.outbox.append(notice(key, b.name, "closed", t, f"[socialops] closed {b.name}: "
                                     f"{name} (no longer evaluated)",
                                     messages.closed(key, b.name, why, opened, pauses), targets))  # fmt: skip
    return entry


def _act(b: Brand, ref: RuleRef, deps: Deps, run: Run) -> tuple[str, bool]:
    """The action, in words, and whether this incident pauses the brand. The pause goes
    into the brand's plan: written with the incident, or not at all."""
    if ref.alert.action != "pause_publishing":
        return messages.NOTIFY_ONLY, False
    if deps.pauses is None:
        run.fail(deps, f"rule {ref.key}", "cannot pause publishing: no pause table configured")
        return messages.pause_failed(ref.brand, "no pause table"), False
    if not b.pause_read:
        b.pause_read = True
        try:
            b.pause = paused(deps.pauses, ref.brand)
        except Exception as error:  # a DynamoDB error: reported; the notice says it
            b.pause_error = notify._aws_reason(error)
        else:  # checked at the commit: a person may pause or resume in between
            b.writes += [still_paused(deps.pause_table, b.pause)] if b.pause else []
    if b.pause_error:
        run.fail(deps, f"rule {ref.key}", f"pausing publishing failed: {b.pause_error}")
        return messages.pause_failed(ref.brand, b.pause_error), False
    if b.pause is not None:
        return messages.paused_already(ref.brand, b.pause.since, b.pause.by), False
    by = f"alert:{ref.key}"
    b.pause = PauseFlag(ref.brand, f"{ref.alert.name}: {ref.alert.type} alert", by,
                        run.at.strftime("%Y-%m-%dT%H:%M:%SZ"))  # fmt: skip
    b.writes.append(pause_write(deps.pause_table, b.pause))
    return messages.paused_now(ref.brand, by), True
