"""What an evaluation cycle reads and writes in DynamoDB, and what it is given and reports.

- :class:`Deps`: every outside thing (clients, tables, the clock, the log, the time left).
- :class:`Run`: one cycle's JSON-able summary, and its calls counted by operation.
- :class:`State`: a brand's state item (pk ``state#<brand>``, sk ``brand``): each rule's
  incident state, the volume detector, the outbox of notices still to deliver and the
  lease of the run delivering them, the incidents whose draft ``generate`` is writing
  (drafts.py), with a version for conditional writes.
- Reads: the state items (BatchGetItem, strongly consistent), and the mention buckets
  (pk ``bucket#<brand>``, sk the bucket's start) by key or by Query. :class:`Kept`: the
  buckets a warm container has read by key, read again only when recent or when the late
  mark ``score`` keeps for them moved (functions/common/late_marks.py).
- :func:`write_plans`: what each brand's evaluation wants written (a :class:`Plan`: its
  state, its incident records and its pause), one DynamoDB transaction per 100 writes, so
  that a brand's incidents, its state and its pause are committed together or not at all.
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from functions.alert import notify, rules
from functions.alert.rules import BUCKET_S, Bucket, stamp
from functions.common import late_marks
from functions.common.items import plain

FUNCTION = "alert"
TRANSACT_MAX = 100  # DynamoDB's limit of writes in one transaction
BATCH_GET_MAX = 100
KEPT_MAX = 200_000  # buckets kept in a container (beyond: all read again)
MARKS_KEPT_S = rules.LATE_S + 2 * rules.HOUR_S  # over what a run reads by key (service.py)
MARKS_FORGOTTEN_AT = 50  # old marks on a late item before they are removed
MARKS_FORGOTTEN_MAX = 500  # old marks removed a brand and run (the oldest first)
STATE_SK = "brand"
LOST = "another evaluation changed its state at the same time; it notifies"
PAUSE_MOVED = ("its publishing pause changed while it was evaluated (a person paused or "
               "resumed it); evaluated again on the next run")  # fmt: skip


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
    # hands an incident to ``generate`` (drafts.py: an asynchronous Lambda invocation);
    # None: incidents get no draft
    ask_draft: Callable[[dict[str, Any]], None] | None = None
    # the buckets this container has read (``read_recent``), kept between invocations
    kept: Kept = field(default_factory=lambda: Kept())

    @property
    def pause_table(self) -> str:
        return str(getattr(self.pauses, "name", "") or "")


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
    drafts: list[dict[str, Any]] = field(default_factory=list)  # asked, queued, given up
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
            "drafts": self.drafts, "deferred": self.deferred, "dynamodb_calls": dict(sorted(self.calls.items())),
        }  # fmt: skip


# ---- DynamoDB items -------------------------------------------------------------------


def s_value(text: str) -> dict[str, str]:
    return {"S": text}


def n_value(number: float | int) -> dict[str, str]:
    return {"N": str(number)}


def compact(value: Any) -> dict[str, str]:
    """JSON in a string attribute, as small as it goes (the state item holds up to 400 KB)."""
    return s_value(json.dumps(value, sort_keys=True, separators=(",", ":")))


def state_key(brand: str) -> dict[str, Any]:
    return {"pk": s_value(f"state#{brand}"), "sk": s_value(STATE_SK)}


@dataclass
class State:
    version: int = 0
    detector: dict[str, Any] | None = None
    rules: dict[str, dict[str, Any]] = field(default_factory=dict)
    outbox: list[dict[str, Any]] = field(default_factory=list)
    lease_by: str = ""
    lease_until: str = ""
    exists: bool = False
    drafts: list[dict[str, Any]] = field(default_factory=list)  # pending (drafts.py)

    @classmethod
    def of(cls, item: Mapping[str, Any] | None) -> State:
        if not item:
            return cls()
        values = {k: plain(v) for k, v in item.items()}
        return cls(
            version=int(values.get("version", 0)),
            detector=json.loads(values["detector"]) if values.get("detector") else None,
            rules=json.loads(values.get("rules") or "{}"),
            outbox=json.loads(values.get("outbox") or "[]"),
            lease_by=str(values.get("lease_by", "")),
            lease_until=str(values.get("lease_until", "")), exists=True,
            drafts=json.loads(values.get("drafts") or "[]"),
        )  # fmt: skip

    def copy(self) -> State:
        return State(self.version, self.detector, dict(self.rules), list(self.outbox),
                     self.lease_by, self.lease_until, self.exists, list(self.drafts))  # fmt: skip

    def item(self, brand: str, at: datetime) -> dict[str, Any]:
        item = {**state_key(brand), "brand": s_value(brand), "version": n_value(self.version + 1),
                "updated_at": s_value(at.strftime("%Y-%m-%dT%H:%M:%SZ")),
                "rules": compact(self.rules), "outbox": compact(self.outbox)}  # fmt: skip
        if self.detector is not None:
            item["detector"] = s_value(json.dumps(self.detector, separators=(",", ":")))
        if self.drafts:
            item["drafts"] = compact(self.drafts)
        if self.lease_by:
            item["lease_by"], item["lease_until"] = (
                s_value(self.lease_by),
                s_value(self.lease_until),
            )
        return item

    def same(self, other: State) -> bool:
        return (self.detector, self.rules, self.outbox, self.lease_by, self.lease_until,
                self.drafts) == (other.detector, other.rules, other.outbox, other.lease_by,
                                 other.lease_until, other.drafts)  # fmt: skip


def read_states(deps: Deps, run: Run, brands: Sequence[str]) -> dict[str, State]:
    """The brands' state items, 100 to a BatchGetItem (strongly consistent)."""
    found: dict[str, State] = {}
    for i in range(0, len(brands), BATCH_GET_MAX):
        keys = [state_key(b) for b in brands[i : i + BATCH_GET_MAX]]
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


def read_state(deps: Deps, run: Run, brand: str) -> State:
    """One brand's state item as it is now (strongly consistent)."""
    answer = run.call(deps.dynamodb, "get_item", TableName=deps.incidents_table,
                      Key=state_key(brand), ConsistentRead=True)  # fmt: skip
    return State.of(answer.get("Item"))


def _bucket(deps: Deps, run: Run, brand: str, item: Mapping[str, Any]) -> Bucket | None:
    """A bucket item; a malformed one is reported and left out (counted as no mentions)."""
    values = {k: plain(v) for k, v in item.items()}
    try:
        return rules.bucket_of(values)
    except ValueError as error:
        run.fail(deps, f"brand {brand}", f"malformed bucket item {values.get('sk')!r} "
                 f"left out: {error}")  # fmt: skip
        return None


def read_buckets(deps: Deps, run: Run, brand: str, start: int, end: int) -> list[Bucket]:
    """The brand's buckets that start in ``[start, end)``, by Query."""
    kwargs: dict[str, Any] = {
        "TableName": deps.buckets_table,
        "KeyConditionExpression": "pk = :pk AND sk BETWEEN :a AND :b",
        "ExpressionAttributeValues": {":pk": s_value(f"bucket#{brand}"),
                                      ":a": s_value(stamp(start)),
                                      ":b": s_value(stamp(end - BUCKET_S))},
    }  # fmt: skip
    buckets: list[Bucket] = []
    while True:
        answer = run.call(deps.dynamodb, "query", **kwargs)
        for item in answer.get("Items", []):
            bucket = _bucket(deps, run, brand, item)
            if bucket is not None:
                buckets.append(bucket)
        if not answer.get("LastEvaluatedKey"):
            return sorted(buckets, key=lambda b: b.start)
        kwargs["ExclusiveStartKey"] = answer["LastEvaluatedKey"]


@dataclass
class Kept:
    """The buckets a warm container has read (functions/common/late_marks.py): by brand,
    each bucket start's bucket (None: no mentions) with the cutoff of the run that read
    it, and the late marks last seen on the brand's late item."""

    buckets: dict[str, dict[int, tuple[Bucket | None, int]]] = field(default_factory=dict)
    marks: dict[str, dict[str, Any]] = field(default_factory=dict)

    def settled(self, brand: str, start: int) -> bool:
        """Whether the bucket is kept, read ``REREAD_S`` or more after it began: any later
        count into it carries a late mark."""
        entry = self.buckets.get(brand, {}).get(start)
        return entry is not None and start < entry[1] - late_marks.REREAD_S

    def usable(self, brand: str, start: int, marks: Mapping[str, Any]) -> bool:
        """Whether the kept bucket is the table's: settled, and its late mark in ``marks``
        (the late item as read now) the one it had when read."""
        name = late_marks.PREFIX + stamp(start)
        return self.settled(brand, start) and marks.get(name) == self.marks.get(brand, {}).get(name)

    def size(self) -> int:
        return sum(len(b) for b in self.buckets.values())


def _bucket_key(brand: str, start: int) -> dict[str, Any]:
    return {"pk": s_value(f"bucket#{brand}"), "sk": s_value(stamp(start))}


def _batch_get(deps: Deps, run: Run, keys: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The items of ``keys`` in the buckets table, 100 keys to a BatchGetItem."""
    items: list[dict[str, Any]] = []
    for i in range(0, len(keys), BATCH_GET_MAX):
        request: dict[str, Any] = {deps.buckets_table: {"Keys": list(keys[i : i + BATCH_GET_MAX])}}
        while request:
            answer = run.call(deps.dynamodb, "batch_get_item", RequestItems=request)
            items += answer.get("Responses", {}).get(deps.buckets_table, [])
            request = answer.get("UnprocessedKeys") or {}
    return items


def read_recent(deps: Deps, run: Run, wanted: Mapping[str, int], t: int) -> dict[str, list[Bucket]]:
    """Short ranges (``[start, t)``) of many brands' buckets by key, 100 keys to a
    BatchGetItem (a Query per brand would cost a round trip each); a missing key is a
    bucket with no mentions.

    What the container kept from earlier runs is not read again (``Kept.usable``): with
    the brands' late items, the first BatchGetItem reads only the buckets it does not keep
    (a few recent ones a brand, once warm); a second reads the kept ones whose late mark
    moved. A malformed bucket is not kept (read and reported again). Marks older than any
    run reads are removed from the late items (``forget_marks``)."""
    kept = deps.kept
    if kept.size() > KEPT_MAX:
        kept.buckets.clear()
    ranges = {b: range(start, t, BUCKET_S) for b, start in wanted.items()}
    read = [(b, s) for b, span in ranges.items() for s in span if not kept.settled(b, s)]
    items = _batch_get(
        deps, run, [late_marks.key(b) for b in wanted] + [_bucket_key(b, s) for b, s in read]
    )
    marks: dict[str, dict[str, Any]] = {b: {} for b in wanted}
    for item in items:
        pk = str(plain(item.get("pk", {})))
        if pk.startswith("late#") and pk[5:] in marks:
            marks[pk[5:]] = {
                k: plain(v) for k, v in item.items() if k.startswith(late_marks.PREFIX)
            }
    asked = set(read)
    moved = [(b, s) for b, span in ranges.items() for s in span
             if (b, s) not in asked and not kept.usable(b, s, marks[b])]  # fmt: skip
    items += _batch_get(deps, run, [_bucket_key(b, s) for b, s in moved])
    fresh: dict[tuple[str, str], Bucket | None] = {(b, stamp(s)): None for b, s in [*read, *moved]}
    malformed: set[tuple[str, str]] = set()
    for item in items:
        pk, sk = str(plain(item.get("pk", {}))), str(plain(item.get("sk", {})))
        if not pk.startswith("bucket#"):
            continue
        brand = pk.removeprefix("bucket#")
        bucket = _bucket(deps, run, brand, item)
        if bucket is None:
            malformed.add((brand, sk))
        else:
            fresh[(brand, sk)] = bucket
    found: dict[str, list[Bucket]] = {}
    for brand, span in ranges.items():
        mine = kept.buckets.setdefault(brand, {})
        for s in [s for s in mine if s < span.start]:  # older than any run needs now
            del mine[s]
        buckets: list[Bucket] = []
        for s in span:
            key = (brand, stamp(s))
            if key in malformed:
                mine.pop(s, None)
                continue
            if key in fresh:
                mine[s] = (fresh[key], t)
            bucket = mine[s][0]
            if bucket is not None:
                buckets.append(bucket)
        kept.marks[brand] = marks[brand]
        found[brand] = buckets
    forget_marks(deps, run, marks, t)
    return found


def forget_marks(deps: Deps, run: Run, marks: Mapping[str, Mapping[str, Any]], t: int) -> None:
    """Remove from the brands' late items the marks of buckets that began
    ``MARKS_KEPT_S`` before ``t``, once there are ``MARKS_FORGOTTEN_AT`` of them (the
    oldest ``MARKS_FORGOTTEN_MAX`` a run, 100 an update): no run reads those buckets by
    key any more (a catch-up queries them), and the item stays small. A mark that is not
    a bucket start is removed too. Best effort: what fails stays for the next run."""
    for brand, named in marks.items():
        old = [name for name in named if _mark_start(name) < t - MARKS_KEPT_S]
        if len(old) < MARKS_FORGOTTEN_AT:
            continue
        old.sort(key=_mark_start)
        for i in range(0, min(len(old), MARKS_FORGOTTEN_MAX), 100):
            names = {f"#m{j}": name for j, name in enumerate(old[i : i + 100])}
            try:
                run.call(deps.dynamodb, "update_item", TableName=deps.buckets_table,
                         Key=late_marks.key(brand), UpdateExpression="REMOVE " + ", ".join(names),
                         ConditionExpression="attribute_exists(pk)",
                         ExpressionAttributeNames=names)  # fmt: skip
            except Exception as error:  # the next run tries again
                deps.log("warning", f"{FUNCTION}: old late marks of {brand} not removed",
                         {"brand": brand, "error": notify._aws_reason(error)})  # fmt: skip
                break


def _mark_start(name: str) -> float:
    try:
        return rules.parse_stamp(name.removeprefix(late_marks.PREFIX))
    except ValueError:
        return -math.inf


# ---- writing --------------------------------------------------------------------------


@dataclass
class Plan:
    """What a brand's evaluation wants written: its state, the incident records and the
    brand's pause (one write on the pause table at most: a transaction writes an item once)."""

    brand: str
    state: State
    writes: list[dict[str, Any]]
    deliver: bool  # this run holds the lease on the outbox
    events: list[tuple[str, dict[str, Any]]]  # ("fired" | "resolved", entry), once committed
    asks: list[dict[str, Any]] = field(default_factory=list)  # drafts to ask for, once committed


def _ops(plan: Plan, deps: Deps, at: datetime) -> list[dict[str, Any]]:
    put: dict[str, Any] = {"TableName": deps.incidents_table,
                           "Item": plan.state.item(plan.brand, at)}  # fmt: skip
    if plan.state.exists:
        put["ConditionExpression"] = "version = :v"
        put["ExpressionAttributeValues"] = {":v": n_value(plan.state.version)}
    else:
        put["ConditionExpression"] = "attribute_not_exists(pk)"
    return [{"Put": put}, *plan.writes]


def write_plans(plans: Sequence[Plan], deps: Deps, run: Run) -> list[Plan]:
    """Commit the plans, up to 100 writes a transaction; the plans that committed. A plan
    whose state's condition failed lost to a concurrent run, one whose pause's condition
    failed met a person's pause or resume: skipped (evaluated again on the next run)."""
    pending = list(plans)
    committed: list[Plan] = []
    for _attempt in range(3):
        retry: list[Plan] = []
        for chunk in _chunks(pending):
            why = _commit(chunk, deps, run)
            if why is None:
                committed.extend(chunk)
                _announce(chunk, deps, run)
                continue
            for plan in chunk:
                reason = why.get(id(plan), "")
                if reason and reason != "failed":
                    run.skipped.append({"brand": plan.brand, "reason": reason})
                    deps.log("warning", f"{FUNCTION}: {plan.brand} skipped: {reason}",
                             {"brand": plan.brand})  # fmt: skip
                elif not reason:  # cancelled with the others of its transaction: again
                    retry.append(plan)
        if not retry:
            break
        pending = retry
    else:
        for plan in pending:
            run.fail(deps, f"brand {plan.brand}", "alert state not written after 3 tries")
    return committed


def _commit(chunk: Sequence[Plan], deps: Deps, run: Run) -> dict[int, str] | None:
    """One transaction; None when it committed, else why each plan did not (by ``id``):
    LOST or PAUSE_MOVED, "failed" (reported), "" (cancelled because of another plan)."""
    ops = [(plan, op) for plan in chunk for op in _ops(plan, deps, run.at)]
    try:
        run.call(deps.dynamodb, "transact_write_items", TransactItems=[o for _, o in ops])
        return None
    except deps.dynamodb.exceptions.TransactionCanceledException as error:
        reasons = error.response.get("CancellationReasons") or []
    except Exception as error:
        for plan in chunk:
            run.fail(deps, f"brand {plan.brand}", "alert state not written: "
                     f"{notify._aws_reason(error)}")  # fmt: skip
        return {id(plan): "failed" for plan in chunk}
    why = {id(plan): "" for plan in chunk}
    if not reasons and len(chunk) == 1:
        why[id(chunk[0])] = LOST
    for (plan, op), reason in zip(ops, reasons, strict=False):
        if reason.get("Code") == "ConditionalCheckFailed" and not why[id(plan)]:
            table = next(iter(op.values()))["TableName"]  # the state comes first in a plan
            why[id(plan)] = PAUSE_MOVED if table == deps.pause_table else LOST
    return why


def _announce(chunk: Sequence[Plan], deps: Deps, run: Run) -> None:
    for plan in chunk:
        for kind, entry in plan.events:
            getattr(run, kind).append(entry)
            level = "warning" if kind == "fired" else "info"
            deps.log(level, f"{FUNCTION}: {entry['campaign']}/{entry['rule']} {kind} "
                     f"for {entry['brand']}", entry)  # fmt: skip


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
