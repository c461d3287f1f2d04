"""One evaluation cycle of the alert rules, with every outside thing injected (:class:`Deps`).

``evaluate(at, deps)`` is what the scheduled ``alert`` run does (handler.py) and what a
simulation calls at a virtual time. Decisions, in the order a cycle meets them:

- **Which rules.** Those of every campaign whose window contains ``at`` (in the campaign's
  time zone): an alert belongs to its campaign, and a brand-watch campaign is simply a long
  window. A config that fails to load is reported and skipped; the others still run.
- **Which data.** Complete buckets only (rules.py: a bucket counts once 5 minutes have
  passed after its end). Per brand, the buckets from the start of the longest window its
  rules need (``within``; an hour for volume) or from the bucket after the last one its
  volume detector was fed, whichever is earlier, to the cutoff: read by key, 100 to a
  BatchGetItem across brands, when that is at most 4 hours (every run in steady state),
  else with one Query per brand (warm-up, catch-up after a gap).
- **Volume.** One detector per brand, shared by the brand's volume rules, persisted in the
  brand's state item and fed every complete bucket once, in order (a missing bucket is 0
  mentions): the scores are those of one pass over the whole series. The first run (or one
  after a gap of more than ``WARMUP_DAYS``) starts a fresh detector at the first stored
  bucket of the last ``WARMUP_DAYS`` days. While catching up, only the scores of the last
  hour can fire. A rule fires when the detector's score, before its refractory cap, reaches
  ``1 - sensitivity`` (rules.volume_threshold) with ``min_mentions`` in the last hour.
- **Incidents.** One state item per brand (pk ``state#<brand>``, sk ``brand``) holds each
  rule's incident state (open or closed, opened and closed times, last value, whether it
  was told), the detector and the outbox of notices still to deliver, with a version
  number. It is written with a condition on that version, in DynamoDB transactions of up
  to 100 writes together with the incident records (pk ``incident#<campaign>/<rule>``, sk
  the opening stamp, TTL 400 days): of two concurrent runs only one commits a change, and
  only the one that committed notifies (the other reports the brand as skipped). A rule
  resolves once its condition has been clear, past a hysteresis margin, for its window (an
  hour for volume). Cooldown: an incident that opens less than ``cooldown`` after the
  rule's previous incident resolved is recorded but neither its alert nor its resolution
  is sent (unless its action newly paused publishing: a person must hear about that).
- **Notices.** Composed when the incident opens or resolves and kept in the outbox with
  their targets; the run that committed them holds a lease (2 minutes) and delivers them;
  a target that fails stays in the outbox for the next run (at most
  ``MAX_DELIVERY_ATTEMPTS``), the others are not sent again.
- **Time.** The brands that read a few recent buckets go first, then those catching up on
  a week; a brand is not started with less than ``RESERVE_S`` of the invocation left: it
  is ``deferred`` to the next run (its data wait in DynamoDB), so a first cycle over
  many brands spreads over a few runs instead of timing out and starting over.
- **pause_publishing.** The brand is paused when the incident opens; resolution never
  resumes it (a person runs ``socialops resume``), and the notices say so.
- **Rules no longer evaluated.** A rule whose campaign's window has ended, that was
  removed from its campaign, or whose campaign is no longer deployed, is withdrawn from
  the brand's state at the next cycle: an incident still open is closed (its record gets
  ``resolved_at`` and ``withdrawn``) with a CLOSED notice to the targets it alerted (kept
  in the state when it fired), which says that this is not a resolution; the outbox of a
  brand without active rules is still delivered. Every brand of every deployed campaign
  has its state read, so nothing is left open or undelivered when a campaign ends.
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from functions.alert import notify, rules
from functions.alert.detector import Detector
from functions.alert.rules import BUCKET_S, HOUR_S, Bucket, Check, stamp
from functions.common import config as configs
from functions.common.pause import pause
from schema.types import duration_seconds

FUNCTION = "alert"
WARMUP_DAYS = 7
INCIDENT_TTL_DAYS = 400
LEASE_S = 120
MAX_DELIVERY_ATTEMPTS = 12  # an hour of runs
TRANSACT_MAX = 100  # DynamoDB's limit of writes in one transaction
BATCH_GET_MAX = 100
BATCH_SPAN_S = 4 * HOUR_S  # ranges up to this are read by key in batches, longer by Query
RESERVE_S = 20.0  # left for writing the plans and sending the notices when brands stop
STATE_SK = "brand"


def _default_log(level: str, message: str, extra: Mapping[str, Any]) -> None:
    pass


@dataclass
class Deps:
    dynamodb: Any  # a low-level DynamoDB client
    buckets_table: str  # MENTION_BUCKETS_TABLE
    incidents_table: str  # ALERT_INCIDENTS_TABLE
    pauses: Any = None  # PauseFlagsTable (boto3 Table resource)
    s3: Any = None
    raw_bucket: str = ""  # RAW_MENTIONS_BUCKET (example posts)
    sns: Any = None
    # a topic in another region is published with a client of its region: region -> client
    sns_in: Callable[[str], Any] | None = None
    alerts_topic: str = ""  # ALERTS_TOPIC_ARN
    secrets: Any = None  # Secrets Manager client (Slack webhook URLs)
    post: Callable[[str, bytes, float], tuple[int, str]] = notify.http_post
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    log: Callable[[str, str, Mapping[str, Any]], None] = _default_log
    # seconds left to this invocation (the handler reads the Lambda context)
    remaining_s: Callable[[], float] = field(default=lambda: math.inf)


@dataclass(frozen=True)
class RuleRef:
    campaign: str
    brand: str
    alert: Any  # schema.alerts.Alert

    @property
    def key(self) -> str:
        return f"{self.campaign}/{self.alert.name}"

    @property
    def span_s(self) -> int:
        """The window the rule reads, and how long it must be clear to resolve."""
        within = getattr(self.alert, "within", None)
        return duration_seconds(within) if within else HOUR_S

    @property
    def cooldown_s(self) -> int:
        return duration_seconds(self.alert.cooldown)

    def threshold(self) -> str:
        a = self.alert
        if a.type == "sentiment":
            return (f"mean polarity below {a.below:+.2f} over {a.within} with at least "
                    f"{a.min_mentions:,} mentions")  # fmt: skip
        if a.type == "negative_share":
            return (f"negative share above {a.above:.0%} over {a.within} with at least "
                    f"{a.min_mentions:,} mentions")  # fmt: skip
        return (f"mentions far above the usual for the hour (sensitivity {a.sensitivity:g}: "
                f"anomaly score {rules.volume_threshold(a.sensitivity):.2f} or more) with at "
                f"least {a.min_mentions:,} mentions in the last hour")  # fmt: skip

    def targets(self, deps: Deps) -> list[str]:
        n = self.alert.notify
        found = ["alerts"] if n.email and deps.alerts_topic else []
        return found + [f"sns:{arn}" for arn in n.sns] + [f"slack:{name}" for name in n.slack]


@dataclass
class Run:
    """What one cycle did: the JSON-able summary, and the calls it made."""

    at: datetime
    cutoff: int
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    rules: int = 0
    brands: int = 0
    fired: list[dict[str, Any]] = field(default_factory=list)
    resolved: list[dict[str, Any]] = field(default_factory=list)
    open: list[str] = field(default_factory=list)
    notices: list[dict[str, Any]] = field(default_factory=list)
    failed: list[dict[str, str]] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)
    deferred: list[str] = field(default_factory=list)  # brands left to the next run: no time
    calls: dict[str, int] = field(default_factory=dict)

    def call(self, client: Any, operation: str, **kwargs: Any) -> Any:
        self.calls[operation] = self.calls.get(operation, 0) + 1
        return getattr(client, operation)(**kwargs)

    def fail(self, deps: Deps, what: str, error: str, **extra: str) -> None:
        deps.log("error", f"{FUNCTION}: {what}: {error}", {"what": what, "error": error, **extra})
        self.failed.append({"what": what, "error": error, **extra})

    def as_dict(self) -> dict[str, Any]:
        return {
            "at": self.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "data_until": stamp(self.cutoff), "rules": self.rules, "brands": self.brands,
            "fired": self.fired, "resolved": self.resolved, "open": sorted(self.open),
            "notices": self.notices, "failed": self.failed, "skipped": self.skipped,
            "deferred": self.deferred, "dynamodb_calls": dict(sorted(self.calls.items())),
        }  # fmt: skip


# ---- configs and rules ----------------------------------------------------------------


def load_configs() -> tuple[dict[str, Any], list[str]]:
    """The compiled configs that load, by campaign, and a line for each one that does not
    (``ConfigError`` only when there is no config folder at all)."""
    folder = configs.config_dir()
    if not folder.is_dir():
        raise configs.ConfigError(
            f"no compiled config folder at {folder}: run `socialops compile` before packaging, "
            f"or set {configs.CONFIG_DIR_ENV} to the folder that holds <campaign>.json"
        )
    loaded: dict[str, Any] = {}
    problems: list[str] = []
    for path in sorted(folder.glob("*.json")):
        try:
            loaded[path.stem] = configs.load(path.stem)
        except configs.ConfigError as error:
            problems.append(f"campaign {path.stem}: config not loaded, its rules are not "
                            f"evaluated: {error}")  # fmt: skip
    return loaded, problems


def active(config: Any, at: datetime) -> bool:
    campaign = config.campaign
    tz = ZoneInfo(campaign.timezone)
    start = campaign.window.start.replace(tzinfo=tz)
    end = campaign.window.end.replace(tzinfo=tz)
    return bool(start <= at < end)


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


def rules_by_brand(loaded: Mapping[str, Any], at: datetime) -> dict[str, list[RuleRef]]:
    brands: dict[str, list[RuleRef]] = {}
    for name, config in sorted(loaded.items()):
        if config.campaign.alerts and active(config, at):
            for alert in config.campaign.alerts:
                brands.setdefault(config.brand.name, []).append(
                    RuleRef(name, config.brand.name, alert)
                )
    return brands


# ---- DynamoDB items -------------------------------------------------------------------


def _plain(value: Mapping[str, Any]) -> Any:
    """A low-level attribute value as plain Python (numbers as text, checked later)."""
    if "S" in value:
        return value["S"]
    if "N" in value:
        return value["N"]
    if "BOOL" in value:
        return value["BOOL"]
    return value


def _s(text: str) -> dict[str, str]:
    return {"S": text}


def _n(number: float | int) -> dict[str, str]:
    return {"N": str(number)}


def _state_key(brand: str) -> dict[str, Any]:
    return {"pk": _s(f"state#{brand}"), "sk": _s(STATE_SK)}


@dataclass
class State:
    version: int = 0
    detector: dict[str, Any] | None = None
    rules: dict[str, dict[str, Any]] = field(default_factory=dict)
    outbox: list[dict[str, Any]] = field(default_factory=list)
    lease_by: str = ""
    lease_until: str = ""
    exists: bool = False

    @classmethod
    def of(cls, item: Mapping[str, Any] | None) -> State:
        if not item:
            return cls()
        plain = {k: _plain(v) for k, v in item.items()}
        return cls(
            version=int(plain.get("version", 0)),
            detector=json.loads(plain["detector"]) if plain.get("detector") else None,
            rules=json.loads(plain.get("rules") or "{}"),
            outbox=json.loads(plain.get("outbox") or "[]"),
            lease_by=str(plain.get("lease_by", "")), lease_until=str(plain.get("lease_until", "")),
            exists=True,
        )  # fmt: skip

    def item(self, brand: str, at: datetime) -> dict[str, Any]:
        item = {**_state_key(brand), "brand": _s(brand), "version": _n(self.version + 1),
                "updated_at": _s(at.strftime("%Y-%m-%dT%H:%M:%SZ")),
                "rules": _s(json.dumps(self.rules, sort_keys=True, separators=(",", ":"))),
                "outbox": _s(json.dumps(self.outbox, sort_keys=True, separators=(",", ":")))}  # fmt: skip
        if self.detector is not None:
            item["detector"] = _s(json.dumps(self.detector, separators=(",", ":")))
        if self.lease_by:
            item["lease_by"], item["lease_until"] = _s(self.lease_by), _s(self.lease_until)
        return item

    def same(self, other: State) -> bool:
        return (self.detector, self.rules, self.outbox, self.lease_by, self.lease_until) == (
            other.detector, other.rules, other.outbox, other.lease_by, other.lease_until)  # fmt: skip


def read_states(deps: Deps, run: Run, brands: Sequence[str]) -> dict[str, State]:
    """The brands' state items, 100 to a BatchGetItem (strongly consistent)."""
    found: dict[str, State] = {}
    for i in range(0, len(brands), BATCH_GET_MAX):
        keys = [_state_key(b) for b in brands[i : i + BATCH_GET_MAX]]
        request: dict[str, Any] = {deps.incidents_table: {"Keys": keys, "ConsistentRead": True}}
        while request:
            answer = run.call(deps.dynamodb, "batch_get_item", RequestItems=request)
            for item in answer.get("Responses", {}).get(deps.incidents_table, []):
                brand = item.get("brand", {}).get("S", "")
                try:
                    found[brand] = State.of(item)
                except (ValueError, TypeError, KeyError) as error:
                    run.fail(deps, f"brand {brand}", f"unreadable alert state, starting afresh "
                             f"({type(error).__name__})")  # fmt: skip
            request = answer.get("UnprocessedKeys") or {}
    return found


def read_buckets(deps: Deps, run: Run, brand: str, start: int, end: int) -> list[Bucket]:
    """The brand's buckets that start in ``[start, end)``; a malformed item is reported
    and left out (counted as no mentions)."""
    kwargs: dict[str, Any] = {
        "TableName": deps.buckets_table,
        "KeyConditionExpression": "pk = :pk AND sk BETWEEN :a AND :b",
        "ExpressionAttributeValues": {
            ":pk": _s(f"bucket#{brand}"),
            ":a": _s(stamp(start)),
            ":b": _s(stamp(end - BUCKET_S)),
        },
    }
    buckets: list[Bucket] = []
    while True:
        answer = run.call(deps.dynamodb, "query", **kwargs)
        for item in answer.get("Items", []):
            plain = {k: _plain(v) for k, v in item.items()}
            try:
                buckets.append(rules.bucket_of(plain))
            except ValueError as error:
                run.fail(deps, f"brand {brand}", f"malformed bucket item {plain.get('sk')!r} "
                         f"left out: {error}")  # fmt: skip
        if not answer.get("LastEvaluatedKey"):
            return sorted(buckets, key=lambda b: b.start)
        kwargs["ExclusiveStartKey"] = answer["LastEvaluatedKey"]


# ---- one brand ------------------------------------------------------------------------


@dataclass
class Plan:
    """What a brand's evaluation wants written: its state, and the incident records."""

    brand: str
    state: State
    writes: list[dict[str, Any]]
    deliver: bool  # this run holds the lease on the outbox
    events: list[tuple[str, dict[str, Any]]]  # ("fired" | "resolved", entry), once committed


@dataclass
class Volume:
    scores: list[float]  # uncapped scores of the buckets fed this run within the last hour
    latest: float
    usual: float | None  # expected mentions in the last hour


def feed(state: State, buckets: Sequence[Bucket], t: int, deps: Deps, run: Run,
         brand: str) -> Volume:  # fmt: skip
    detector: Detector | None = None
    if state.detector is not None:
        try:
            detector = Detector.from_state(state.detector)
        except ValueError as error:
            run.fail(deps, f"brand {brand}", f"volume detector state unreadable, warming up "
                     f"again: {error}")  # fmt: skip
    horizon = t - WARMUP_DAYS * 86400
    if detector is not None and (detector.last is None or detector.last < horizon):
        detector = None
    scores: list[float] = []
    if detector is None:
        detector = Detector()
        first = next((b.start for b in buckets if b.start >= horizon), None)
        start = first if first is not None else t
    else:
        assert detector.last is not None
        start = int(detector.last) + BUCKET_S
    counts = {b.start: b.mentions for b in buckets}
    for s in range(start, t, BUCKET_S):
        detector.update(float(s), counts.get(s, 0.0))
        if s >= t - HOUR_S:
            scores.append(detector.raw)
    state.detector = detector.to_state()
    usual = None
    if detector.start is not None and t - detector.start >= detector.params.warmup_hours * 3600:
        usual = sum(math.expm1(detector.expected(float(s))) for s in range(t - HOUR_S, t, BUCKET_S))
    return Volume(scores, detector.raw, usual)


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
    window, or the bucket after the one its detector was fed last (a week on warm-up)."""
    start = t - max(r.span_s for r in refs)
    if any(r.alert.type == "volume_anomaly" for r in refs):
        last = state.detector.get("last") if state.detector else None
        horizon = t - WARMUP_DAYS * 86400
        start = min(start, horizon if last is None or last < horizon else int(last) + BUCKET_S)
    return start


def read_recent(deps: Deps, run: Run, wanted: Mapping[str, int], t: int) -> dict[str, list[Bucket]]:
    """Short ranges of many brands' buckets by key, 100 keys to a BatchGetItem (a Query
    per brand would cost a round trip each); a missing key is a bucket with no mentions."""
    keys = [{"pk": _s(f"bucket#{b}"), "sk": _s(stamp(s))}
            for b, start in wanted.items() for s in range(start, t, BUCKET_S)]  # fmt: skip
    found: dict[str, list[Bucket]] = {b: [] for b in wanted}
    for i in range(0, len(keys), BATCH_GET_MAX):
        request: dict[str, Any] = {deps.buckets_table: {"Keys": keys[i : i + BATCH_GET_MAX]}}
        while request:
            answer = run.call(deps.dynamodb, "batch_get_item", RequestItems=request)
            for item in answer.get("Responses", {}).get(deps.buckets_table, []):
                plain = {k: _plain(v) for k, v in item.items()}
                brand = str(plain.get("pk", "")).removeprefix("bucket#")
                try:
                    found.setdefault(brand, []).append(rules.bucket_of(plain))
                except ValueError as error:
                    run.fail(deps, f"brand {brand}", f"malformed bucket item {plain.get('sk')!r} "
                             f"left out: {error}")  # fmt: skip
            request = answer.get("UnprocessedKeys") or {}
    return {b: sorted(found[b], key=lambda x: x.start) for b in found}


def evaluate_brand(brand: str, refs: Sequence[RuleRef], old: State, t: int, deps: Deps,
                   run: Run, buckets: Sequence[Bucket] | None = None,
                   loaded: Mapping[str, Any] | None = None,
                   unloaded: Collection[str] = ()) -> Plan | None:  # fmt: skip
    """``buckets``: those from :func:`first_needed` to ``t`` when already read;
    ``loaded``: the deployed configs, to say why a rule in the state is not in ``refs``
    (the rules of the ``unloaded`` campaigns, whose configs did not load, are kept)."""
    state = State(old.version, old.detector, dict(old.rules), list(old.outbox), old.lease_by,
                  old.lease_until, old.exists)  # fmt: skip
    writes: list[dict[str, Any]] = []
    events: list[tuple[str, dict[str, Any]]] = []
    current = {r.key for r in refs}
    for key in sorted(k for k in state.rules if k not in current
                      and k.partition("/")[0] not in unloaded):  # fmt: skip
        why, ref = withdrawn_because(loaded or {}, key, run.at)
        gone = state.rules.pop(key)
        if gone.get("status") == "open":
            events.append(("resolved", _withdrawn(brand, key, gone, why, ref, t, state,
                                                  writes, deps)))  # fmt: skip
    volumes = any(r.alert.type == "volume_anomaly" for r in refs)
    if buckets is None and refs:
        start = first_needed(refs, state, t)
        buckets = read_buckets(deps, run, brand, start, t) if start < t else []
    buckets = buckets or []
    volume = feed(state, buckets, t, deps, run, brand) if volumes else None
    for ref in refs:
        result = check(ref, buckets, t, volume)
        previous = state.rules.get(ref.key)
        moved = rules.step(previous, result, t, ref.span_s, ref.cooldown_s)
        state.rules[ref.key] = moved.state
        if moved.event == "fired":
            events.append(("fired", _fired(ref, moved, result, buckets, t, volume, state,
                                           writes, deps, run)))  # fmt: skip
        elif moved.event == "resolved":
            events.append(("resolved", _resolved(ref, moved, result, t, state, writes, deps)))
        if moved.state.get("status") == "open":
            run.open.append(ref.key)
    at = stamp(t + rules.LATENESS_S)
    deliver = False
    if state.outbox:
        live = state.lease_by and state.lease_until > at and state.lease_by != run.id
        if not live:
            state.lease_by, state.lease_until = run.id, stamp(t + rules.LATENESS_S + LEASE_S)
            deliver = True
    if state.exists and state.same(old) and not writes:
        return None
    return Plan(brand, state, writes, deliver, events)


def _incident_key(key: str, opened: int) -> dict[str, Any]:
    """The incident record of rule ``key`` (``campaign/rule``) opened at ``opened``."""
    return {"pk": _s(f"incident#{key}"), "sk": _s(stamp(opened))}


def _expires(t: int) -> dict[str, str]:
    return _n(t + INCIDENT_TTL_DAYS * 86400)


def _fired(ref: RuleRef, moved: rules.Step, result: Check, buckets: Sequence[Bucket], t: int,
           volume: Volume | None, state: State, writes: list[dict[str, Any]], deps: Deps,
           run: Run) -> dict[str, Any]:  # fmt: skip
    action, newly_paused = _act(ref, deps, run)
    told = moved.notify or newly_paused  # a person must hear why publishing stopped
    moved.state["notified"] = told
    # kept so that the incident can still be closed aloud if the rule disappears
    moved.state["targets"] = ref.targets(deps) if told else []
    moved.state["pauses"] = ref.alert.action == "pause_publishing"
    entry = {"campaign": ref.campaign, "rule": ref.alert.name, "brand": ref.brand,
             "type": ref.alert.type, "value": result.value, "measured": result.measured,
             "data_until": stamp(t), "notified": told}  # fmt: skip
    if not moved.notify:
        entry["suppressed"] = "cooldown"
    if ref.alert.action == "pause_publishing":
        entry["action"] = action
    item = {**_incident_key(ref.key, t), "brand": _s(ref.brand), "type": _s(ref.alert.type),
            "rule": _s(ref.threshold()), "measured": _s(result.measured),
            "fired_at": _s(stamp(t)), "notified": {"BOOL": told}, "action": _s(action),
            "expires_at": _expires(t)}  # fmt: skip
    if result.value is not None:
        item["value"] = _n(round(result.value, 4))
    if not moved.notify:
        item["suppressed"] = _s("cooldown")
    writes.append({"Put": {"TableName": deps.incidents_table, "Item": item,
                           "ConditionExpression": "attribute_not_exists(pk)"}})  # fmt: skip
    if told:
        message = _firing_message(ref, result, buckets, t, volume, action, deps, run)
        state.outbox.append(_notice(ref.key, ref.brand, "firing", t, f"[socialops] ALERT "
                                    f"{ref.brand}: {ref.alert.name} ({result.measured})",
                                    message, ref.targets(deps)))  # fmt: skip
    return entry


def _resolved(ref: RuleRef, moved: rules.Step, result: Check, t: int, state: State,
              writes: list[dict[str, Any]], deps: Deps) -> dict[str, Any]:  # fmt: skip
    opened = int(moved.state.get("opened_at") or t)
    entry = {"campaign": ref.campaign, "rule": ref.alert.name, "brand": ref.brand,
             "type": ref.alert.type, "opened": stamp(opened), "data_until": stamp(t),
             "measured": result.measured, "notified": moved.notify}  # fmt: skip
    writes.append({"Update": {
        "TableName": deps.incidents_table, "Key": _incident_key(ref.key, opened),
        "UpdateExpression": "SET resolved_at = :r, resolved_measured = :m, expires_at = :e",
        "ExpressionAttributeValues": {":r": _s(stamp(t)), ":m": _s(result.measured),
                                      ":e": _expires(opened)}}})  # fmt: skip
    if not moved.notify:
        return entry
    lasted = timedelta(seconds=t - opened)
    lines = [
        f"RESOLVED: {ref.alert.name} (campaign {ref.campaign}) for brand {ref.brand}.",
        "",
        f"Rule: {ref.threshold()}.",
        f"Now ({_span(t - ref.span_s, t)}): {result.measured}.",
        f"The incident opened with data until {_when(opened)} and lasted about "
        f"{_duration(lasted)}; its condition has been clear for {_duration(timedelta(seconds=ref.span_s))}.",
    ]  # fmt: skip
    if ref.alert.action == "pause_publishing":
        lines.append(f"Publishing for {ref.brand} stays paused: it does not resume by itself. "
                     f"A person resumes it with `socialops resume {ref.brand}`.")  # fmt: skip
    state.outbox.append(_notice(ref.key, ref.brand, "resolved", t, f"[socialops] resolved "
                                f"{ref.brand}: {ref.alert.name} ({result.measured})",
                                "\n".join(lines), ref.targets(deps)))  # fmt: skip
    return entry


def _withdrawn(brand: str, key: str, gone: Mapping[str, Any], why: str, ref: RuleRef | None,
               t: int, state: State, writes: list[dict[str, Any]], deps: Deps) -> dict[str, Any]:  # fmt: skip
    """Close the open incident of a rule that is no longer evaluated."""
    campaign, _, name = key.partition("/")
    opened = int(gone.get("opened_at") or t)
    told = bool(gone.get("notified"))
    entry = {"campaign": campaign, "rule": name, "brand": brand, "opened": stamp(opened),
             "data_until": stamp(t), "withdrawn": why, "notified": told}  # fmt: skip
    writes.append({"Update": {
        "TableName": deps.incidents_table,
        "Key": _incident_key(key, opened),
        "UpdateExpression": "SET resolved_at = :r, withdrawn = :w, expires_at = :e",
        "ExpressionAttributeValues": {":r": _s(stamp(t)), ":w": _s(why),
                                      ":e": _expires(opened)}}})  # fmt: skip
    targets = ref.targets(deps) if ref is not None else list(gone.get("targets") or [])
    if not told or not targets:
        return entry
    pauses = ref.alert.action == "pause_publishing" if ref is not None else gone.get("pauses")
    lines = [
        f"CLOSED: {name} (campaign {campaign}) for brand {brand} is no longer evaluated: "
        f"{why}.",
        "",
        f"Its incident opened with data until {_when(opened)} and was still open. This is "
        "not a resolution: socialops has stopped watching this rule, so look at the "
        "brand's mentions yourself.",
    ]  # fmt: skip
    if pauses:
        lines.append(f"Publishing for {brand} stays paused if it still is: a person resumes "
                     f"it with `socialops resume {brand}`.")  # fmt: skip
    state.outbox.append(_notice(key, brand, "closed", t, f"[socialops] closed {brand}: "
                                f"{name} (no longer evaluated)", "\n".join(lines), targets))  # fmt: skip
    return entry


def _act(ref: RuleRef, deps: Deps, run: Run) -> tuple[str, bool]:
    """The action taken, in words, and whether it newly paused the brand."""
    if ref.alert.action != "pause_publishing":
        return "Action: notify only (publishing continues).", False
    by = f"alert:{ref.key}"
    by_hand = f"pause it by hand with `socialops pause {ref.brand}`"
    if deps.pauses is None:
        run.fail(deps, f"rule {ref.key}", "cannot pause publishing: no pause table configured")
        return f"PAUSE FAILED (no pause table): {by_hand}.", False
    try:
        flag = pause(deps.pauses, ref.brand, f"{ref.alert.name}: {ref.alert.type} alert", by,
                     run.at)  # fmt: skip
    except Exception as error:  # a DynamoDB error: reported; the notice says it
        reason = notify._aws_reason(error)
        run.fail(deps, f"rule {ref.key}", f"pausing publishing failed: {reason}")
        return f"PAUSE FAILED ({reason}): {by_hand}.", False
    if flag.by == by and flag.since == run.at.strftime("%Y-%m-%dT%H:%M:%SZ"):
        return (f"Action: publishing for {ref.brand} is now PAUSED (by {by}). It will not "
                f"resume by itself: a person resumes it with `socialops resume {ref.brand}`.",
                True)  # fmt: skip
    return (f"Action: publishing for {ref.brand} was already paused since {flag.since} by "
            f"{flag.by}; it stays paused until a person runs `socialops resume {ref.brand}`.",
            False)  # fmt: skip


def _notice(key: str, brand: str, kind: str, t: int, subject: str, message: str,
            targets: list[str]) -> dict[str, Any]:  # fmt: skip
    """An outbox entry for rule ``key`` (``campaign/rule``; names hold no ``/``)."""
    campaign, _, rule = key.partition("/")
    return {"id": f"{key}@{stamp(t)}#{kind}", "campaign": campaign, "rule": rule,
            "brand": brand, "state": kind, "subject": notify.subject(subject),
            "message": message, "targets": targets, "attempts": 0}  # fmt: skip


def _when(t: int) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d %H:%M UTC")


def _span(start: int, end: int) -> str:
    return f"{_when(start)} to {datetime.fromtimestamp(end, UTC):%H:%M} UTC"


def _duration(span: timedelta) -> str:
    minutes = int(span.total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"


def _firing_message(ref: RuleRef, result: Check, buckets: Sequence[Bucket], t: int,
                    volume: Volume | None, action: str, deps: Deps, run: Run) -> str:  # fmt: skip
    w = rules.window(buckets, t - ref.span_s, t)
    hour = rules.window(buckets, t - HOUR_S, t)
    lines = [
        f"ALERT: {ref.alert.name} (campaign {ref.campaign}) fired for brand {ref.brand}, "
        f"with data until {_when(t)}.",
        "",
        f"Rule: {ref.threshold()}.",
        f"Measured ({_span(t - ref.span_s, t)}): {result.measured}.",
    ]  # fmt: skip
    if w.mentions:
        mean = w.mean_polarity or 0.0
        share = w.negative_share or 0.0
        lines.append(f"In that window: {w.mentions:,.0f} mentions, mean polarity {mean:+.2f}, "
                     f"negative share {share:.0%} ({w.negatives:,.0f} negative, "
                     f"{w.positives:,.0f} positive), {w.bots / w.mentions:.0%} likely bots.")  # fmt: skip
    if ref.alert.type != "volume_anomaly":
        usual = volume.usual if volume else None
        tail = f" (usual for this hour about {usual:,.0f})" if usual is not None else ""
        lines.append(f"Volume: {hour.mentions:,.0f} mentions in the last hour{tail}.")
    top = w.terms.most_common(5)
    if top:
        lines.append("Top terms: " + ", ".join(f'"{term}" {n:,.0f}' for term, n in top) + ".")
    posts = _examples(ref, t, deps, run)
    if posts:
        lines += ["", "Most negative recent posts:"]
        lines += [f"{i}. {p.line()}" for i, p in enumerate(posts, 1)]
    lines += ["", action,
              f"Incident incident#{ref.key} opened at {stamp(t)}; one more notice comes when it "
              f"resolves (condition clear for {_duration(timedelta(seconds=ref.span_s))})."]  # fmt: skip
    return "\n".join(lines)


def _examples(ref: RuleRef, t: int, deps: Deps, run: Run) -> list[notify.Example]:
    if deps.s3 is None or not deps.raw_bucket:
        return []
    start = t - ref.span_s
    days = sorted({datetime.fromtimestamp(s, UTC).strftime("%Y-%m-%d")
                   for s in (start, t - BUCKET_S)})  # fmt: skip
    try:
        return notify.examples(deps.s3, deps.raw_bucket, ref.brand, days, stamp(start), stamp(t))
    except Exception as error:  # S3 errors: the notice goes without examples
        run.fail(deps, f"rule {ref.key}", f"example posts not read: {notify._aws_reason(error)}")
        return []


# ---- writing and delivering -----------------------------------------------------------


def _ops(plan: Plan, deps: Deps, at: datetime) -> list[dict[str, Any]]:
    put: dict[str, Any] = {"TableName": deps.incidents_table,
                           "Item": plan.state.item(plan.brand, at)}  # fmt: skip
    if plan.state.exists:
        put["ConditionExpression"] = "version = :v"
        put["ExpressionAttributeValues"] = {":v": _n(plan.state.version)}
    else:
        put["ConditionExpression"] = "attribute_not_exists(pk)"
    return [{"Put": put}, *plan.writes]


def write_plans(plans: Sequence[Plan], deps: Deps, run: Run) -> list[Plan]:
    """Commit the plans, up to 100 writes a transaction; the plans that committed. A plan
    whose condition failed lost to a concurrent run: skipped (that run notifies)."""
    pending = list(plans)
    committed: list[Plan] = []
    for _attempt in range(3):
        retry: list[Plan] = []
        for chunk in _chunks(pending):
            ops = [(plan, op) for plan in chunk for op in _ops(plan, deps, run.at)]
            try:
                run.call(deps.dynamodb, "transact_write_items", TransactItems=[o for _, o in ops])
                committed.extend(chunk)
                for plan in chunk:
                    for kind, entry in plan.events:
                        getattr(run, kind).append(entry)
                        level = "warning" if kind == "fired" else "info"
                        deps.log(level, f"{FUNCTION}: {entry['campaign']}/{entry['rule']} {kind} "
                                 f"for {entry['brand']}", entry)  # fmt: skip
                continue
            except deps.dynamodb.exceptions.TransactionCanceledException as error:
                reasons = error.response.get("CancellationReasons") or []
            except Exception as error:
                for plan in chunk:
                    run.fail(deps, f"brand {plan.brand}", "alert state not written: "
                             f"{notify._aws_reason(error)}")  # fmt: skip
                continue
            lost = {id(p) for (p, _), r in zip(ops, reasons, strict=False)
                    if r.get("Code") == "ConditionalCheckFailed"}  # fmt: skip
            if not reasons and len(chunk) == 1:
                lost = {id(chunk[0])}
            for plan in chunk:
                if id(plan) in lost:
                    run.skipped.append({"brand": plan.brand, "reason": "another evaluation "
                                        "changed its state at the same time; it notifies"})  # fmt: skip
                    deps.log("warning", f"{FUNCTION}: concurrent evaluation of {plan.brand}",
                             {"brand": plan.brand})  # fmt: skip
                else:
                    retry.append(plan)
        if not retry:
            break
        pending = retry
    else:
        for plan in pending:
            run.fail(deps, f"brand {plan.brand}", "alert state not written after 3 tries")
    return committed


def _chunks(plans: Sequence[Plan]) -> Iterable[list[Plan]]:
    chunk: list[Plan] = []
    size = 0
    for plan in plans:
        n = 1 + len(plan.writes)
        if chunk and size + n > TRANSACT_MAX:
            yield chunk
            chunk, size = [], 0
        chunk.append(plan)
        size += n
    if chunk:
        yield chunk


def deliver(plan: Plan, deps: Deps, run: Run) -> None:
    """Send the brand's outbox; keep what failed for the next run (the lease is ours)."""
    remaining: list[dict[str, Any]] = []
    for notice in plan.state.outbox:
        left: list[str] = []
        errors: dict[str, str] = {}
        for target in notice["targets"]:
            try:
                _send(target, notice, deps)
            except notify.DeliveryError as error:
                left.append(target)
                errors[target] = str(error)
                run.notices.append({"notice": notice["id"], "target": target, "ok": False,
                                    "error": str(error)})  # fmt: skip
                run.fail(deps, f"notice {notice['id']}", str(error), target=target)
            else:
                run.notices.append({"notice": notice["id"], "target": target, "ok": True})
                deps.log("info", f"{FUNCTION}: notice sent", {"notice": notice["id"], "target": target})  # fmt: skip
        attempts = int(notice.get("attempts", 0)) + 1
        if left and attempts >= MAX_DELIVERY_ATTEMPTS:
            run.fail(deps, f"notice {notice['id']}", f"given up after {attempts} tries",
                     target=", ".join(left))  # fmt: skip
        elif left:
            remaining.append({**notice, "targets": left, "attempts": attempts, "errors": errors})
    try:
        run.call(
            deps.dynamodb, "update_item", TableName=deps.incidents_table,
            Key=_state_key(plan.brand),
            UpdateExpression="SET outbox = :o, version = version + :one REMOVE lease_by, lease_until",
            ConditionExpression="lease_by = :me",
            ExpressionAttributeValues={":o": _s(json.dumps(remaining, sort_keys=True,
                                                           separators=(",", ":"))),
                                       ":one": _n(1), ":me": _s(run.id)},
        )  # fmt: skip
    except Exception as error:  # the next run may send these notices again
        run.fail(deps, f"brand {plan.brand}", "sent notices not recorded: "
                 f"{notify._aws_reason(error)}")  # fmt: skip


def _send(target: str, notice: Mapping[str, Any], deps: Deps) -> None:
    kind, _, name = target.partition(":")
    if kind == "alerts" or kind == "sns":
        topic = deps.alerts_topic if kind == "alerts" else name
        if deps.sns is None or not topic:
            raise notify.DeliveryError(f"no SNS client or topic for {target}")
        region = topic.split(":")[3] if topic.count(":") >= 5 else ""
        client = deps.sns
        if region and deps.sns_in is not None and region != deps.sns.meta.region_name:
            client = deps.sns_in(region)
        notify.publish_sns(client, topic, notice)
    elif kind == "slack":
        if deps.secrets is None:
            raise notify.DeliveryError("no Secrets Manager client for Slack")
        notify.post_slack(deps.secrets, deps.post, name, notice)
    else:
        raise notify.DeliveryError(f"unknown target {target!r}")


# ---- the cycle ------------------------------------------------------------------------


def evaluate(
    at: datetime, deps: Deps, loaded: Mapping[str, Any] | None = None,
    problems: Sequence[str] = (),
) -> dict[str, Any]:  # fmt: skip
    """One evaluation cycle at ``at`` (UTC); a JSON-able summary of what it found and did.

    ``loaded``: the campaign configs by name (default: the compiled ones, each loaded on
    its own so that one bad file does not stop the others); ``problems``: configs that did
    not load, reported in the summary.
    """
    at = at if at.tzinfo else at.replace(tzinfo=UTC)
    run = Run(at, rules.cutoff(at))
    if loaded is None:
        loaded, problems = load_configs()
    unloaded: set[str] = set()
    for problem in problems:
        what, _, error = problem.partition(": ")
        run.fail(deps, what, error)
        if what.startswith("campaign "):
            unloaded.add(what.removeprefix("campaign "))
    brands = rules_by_brand(loaded, at)
    run.brands = len(brands)
    run.rules = sum(len(refs) for refs in brands.values())
    # every deployed brand: one whose campaign ended may hold an open incident or notices
    names = sorted(set(brands) | {c.brand.name for c in loaded.values()})
    states = read_states(deps, run, names) if names else {}
    names = [b for b in names if b in brands or b in states]
    starts = {b: first_needed(brands[b], states.get(b) or State(), run.cutoff)
              for b in names if b in brands}  # fmt: skip
    short = {b: s for b, s in starts.items() if run.cutoff - s <= BATCH_SPAN_S}
    try:
        recent = read_recent(deps, run, short, run.cutoff) if short else {}
    except Exception as error:  # each brand then queries on its own
        run.fail(deps, "buckets", f"batch read failed: {notify._aws_reason(error)}")
        recent = {}
    plans: list[Plan] = []
    # the cheap brands first (a few keys each, already read), then those catching up on a
    # week (a Query and a detector warm-up each): when time runs short, the rest wait for
    # the next run, and every run completes some, so a catch-up of many brands progresses
    order = [b for b in names if b in short or b not in brands]
    order += [b for b in names if b in brands and b not in short]
    for brand in order:
        if deps.remaining_s() < RESERVE_S:
            run.deferred.append(brand)
            continue
        try:
            old = states.get(brand) or State()
            plan = evaluate_brand(brand, brands.get(brand, []), old, run.cutoff, deps, run,
                                  recent.get(brand), loaded, unloaded)  # fmt: skip
        except Exception as error:  # unexpected: logged with its traceback; others go on
            deps.log("exception", f"{FUNCTION}: brand {brand} not evaluated", {"brand": brand})
            run.failed.append({"what": f"brand {brand}", "error": f"not evaluated: {error!r}"})
            continue
        if plan is not None:
            plans.append(plan)
    if run.deferred:
        deps.log("warning", f"{FUNCTION}: out of time, {len(run.deferred)} brands left to the "
                 "next run (catching up on their week)", {"brands": run.deferred[:100]})  # fmt: skip
    for plan in write_plans(plans, deps, run):
        if plan.deliver:
            deliver(plan, deps, run)
    return run.as_dict()
