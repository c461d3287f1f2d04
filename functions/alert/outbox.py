"""A brand's outbox of notices: composed into the state item with the incident that makes
them (store.py commits both at once), then delivered target by target.

Delivery is at least once, and at most one send is ever repeated. The run that committed
the notices holds the brand's lease (2 minutes) and sends; each target is recorded as
sent in the state item as soon as it worked (the outbox less that target, with the
version and on condition that the lease is still this run's), so a crash anywhere in the
loop leaves only the targets not yet sent for the run that takes the lease over, plus at
most the one whose send and record the crash fell between. Each notice carries its id
(``campaign/rule@bucket#state``): in its text (what e-mail and Slack show) and as the
``notice`` SNS message attribute, so a receiver can tell that repeat from a new notice.

A target that fails stays for the next run, at most ``MAX_DELIVERY_ATTEMPTS`` runs. A
concurrent evaluation may commit the state between two records (adding notices of its
own): a record whose version no longer matches reads the state again and applies this
run's sends to it; if the lease has passed to another run, this one stops.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from functions.alert import notify
from functions.alert.rules import stamp
from functions.alert.store import (
    FUNCTION,
    Deps,
    Plan,
    Run,
    compact,
    n_value,
    read_state,
    s_value,
    state_key,
)

MAX_DELIVERY_ATTEMPTS = 12  # an hour of runs
RECORD_TRIES = 3


def notice(key: str, brand: str, kind: str, t: int, subject: str, message: str,
           targets: list[str]) -> dict[str, Any]:  # fmt: skip
    """An outbox entry for rule ``key`` (``campaign/rule``; names hold no ``/``)."""
    campaign, _, rule = key.partition("/")
    name = f"{key}@{stamp(t)}#{kind}"
    message += f"\n\nNotice {name} (a repeat of this notice carries the same id)."
    return {"id": name, "campaign": campaign, "rule": rule, "brand": brand, "state": kind,
            "subject": notify.subject(subject), "message": message, "targets": targets,
            "attempts": 0}  # fmt: skip


@dataclass
class Box:
    """The outbox as this run last wrote it, and what the run has sent and failed since."""

    brand: str
    version: int  # of the state item
    outbox: list[dict[str, Any]]
    sent: set[tuple[str, str]] = field(default_factory=set)  # (notice id, target)
    errors: dict[tuple[str, str], str] = field(default_factory=dict)


def deliver(plan: Plan, deps: Deps, run: Run) -> None:
    """Send the brand's outbox (the lease is this run's: it has just committed it)."""
    box = Box(plan.brand, plan.state.version + 1, plan.state.outbox)
    for entry in plan.state.outbox:
        for target in entry["targets"]:
            if not _deliver_one(box, entry, target, deps, run):
                return  # the lease has passed on: the run holding it delivers the rest
    _record(box, deps, run, final=True)


def _deliver_one(box: Box, entry: Mapping[str, Any], target: str, deps: Deps, run: Run) -> bool:
    """Send one; record it at once if it worked. False when the lease is lost."""
    key = (entry["id"], target)
    try:
        _send(target, entry, deps)
    except notify.DeliveryError as error:
        box.errors[key] = str(error)
        run.notices.append({"notice": entry["id"], "target": target, "ok": False,
                            "error": str(error)})  # fmt: skip
        run.fail(deps, f"notice {entry['id']}", str(error), target=target)
        return True
    box.sent.add(key)
    run.notices.append({"notice": entry["id"], "target": target, "ok": True})
    deps.log("info", f"{FUNCTION}: notice sent", {"notice": entry["id"], "target": target})
    return _record(box, deps, run, final=False)


def _record(box: Box, deps: Deps, run: Run, final: bool) -> bool:
    """Write the outbox less what this run sent; ``final``: count this run's failures as
    a try and release the lease. False when the lease is no longer this run's."""
    for _try in range(RECORD_TRIES):
        outbox, given_up = _left(box, final)
        release = " REMOVE lease_by, lease_until" if final else ""
        try:
            run.call(
                deps.dynamodb, "update_item", TableName=deps.incidents_table,
                Key=state_key(box.brand),
                UpdateExpression="SET outbox = :o, version = :next" + release,
                ConditionExpression="version = :v AND lease_by = :me",
                ExpressionAttributeValues={":o": compact(outbox), ":v": n_value(box.version),
                                           ":next": n_value(box.version + 1),
                                           ":me": s_value(run.id)},
            )  # fmt: skip
        except deps.dynamodb.exceptions.ConditionalCheckFailedException:
            if not _reread(box, deps, run):
                return False
            continue
        except Exception as error:  # the next record, or the next run, tries again
            run.fail(deps, f"brand {box.brand}", "sent notices not recorded: "
                     f"{notify._aws_reason(error)}")  # fmt: skip
            return True
        box.version, box.outbox = box.version + 1, outbox
        for name, attempts, targets in given_up:
            run.fail(deps, f"notice {name}", f"given up after {attempts} tries", target=targets)
        return True
    run.fail(deps, f"brand {box.brand}", f"sent notices not recorded after {RECORD_TRIES} "
             "tries: the state kept changing")  # fmt: skip
    return True


def _reread(box: Box, deps: Deps, run: Run) -> bool:
    """The state as a concurrent evaluation left it; False if the lease is not ours now."""
    try:
        state = read_state(deps, run, box.brand)
    except Exception as error:
        run.fail(deps, f"brand {box.brand}", "sent notices not recorded: "
                 f"{notify._aws_reason(error)}")  # fmt: skip
        return False
    if state.lease_by != run.id:
        deps.log("warning", f"{FUNCTION}: {box.brand}: the outbox's lease passed to another "
                 "run, which delivers the rest", {"brand": box.brand})  # fmt: skip
        return False
    box.version, box.outbox = state.version, state.outbox
    return True


def _left(box: Box, final: bool) -> tuple[list[dict[str, Any]], list[tuple[str, int, str]]]:
    """The outbox less the targets this run sent; when ``final``, a notice with a target
    that failed has one more try counted (and is given up after the last)."""
    remaining: list[dict[str, Any]] = []
    given_up: list[tuple[str, int, str]] = []
    for entry in box.outbox:
        targets = [t for t in entry["targets"] if (entry["id"], t) not in box.sent]
        errors = {
            t: box.errors[(entry["id"], t)] for t in targets if (entry["id"], t) in box.errors
        }
        if not targets:
            continue
        if final and errors:
            attempts = int(entry.get("attempts", 0)) + 1
            if attempts >= MAX_DELIVERY_ATTEMPTS:
                given_up.append((entry["id"], attempts, ", ".join(targets)))
                continue
            entry = {**entry, "attempts": attempts, "errors": errors}
        remaining.append({**entry, "targets": targets})
    return remaining, given_up


def _send(target: str, entry: Mapping[str, Any], deps: Deps) -> None:
    kind, _, name = target.partition(":")
    if kind == "alerts" or kind == "sns":
        topic = deps.alerts_topic if kind == "alerts" else name
        if deps.sns is None or not topic:
            raise notify.DeliveryError(f"no SNS client or topic for {target}")
        region = topic.split(":")[3] if topic.count(":") >= 5 else ""
        client = deps.sns
        if region and deps.sns_in is not None and region != deps.sns.meta.region_name:
            client = deps.sns_in(region)
        notify.publish_sns(client, topic, entry)
    elif kind == "slack":
        if deps.secrets is None:
            raise notify.DeliveryError("no Secrets Manager client for Slack")
        notify.post_slack(deps.secrets, deps.post, name, entry)
    else:
        raise notify.DeliveryError(f"unknown target {target!r}")
