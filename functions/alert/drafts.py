"""The draft that follows an alert: handing an incident to ``generate`` and sending the
draft it writes back as one more notice of the incident (ARCHITECTURE.md 9).

When an incident opens and its alert is sent (not one suppressed by cooldown), the brand's
state gets a pending draft (:func:`pending`), committed in the same transaction as the
incident: a run that dies before its commit asks for nothing, and a committed incident
has its draft asked for. Once committed, and after the run has delivered its own notices
(so a draft never delays nor blocks them), the run invokes ``generate`` asynchronously
(``Deps.ask_draft``: a Lambda ``Event`` invocation) with the incident's rule, brand,
opening and window. ``generate`` writes the draft onto the incident record, once (on
condition that none is there: a re-delivered or repeated invocation writes nothing).

Every later cycle reads the record of each pending draft (:func:`collect`; one GetItem,
strongly consistent, while a draft is pending). When the draft is there, it becomes the
notice ``<campaign>/<rule>@<opened>#draft`` in the brand's outbox and the pending entry
goes, in one versioned write of the state: of two concurrent runs only the one that
commits queues it, and the outbox delivers it like the alert's own notices (to the same
targets, recorded target by target, at most one send repeated after a crash). So one
incident gets one draft notice, whatever happens to the invocations. A draft not there
``RETRY_S`` after it was asked for is asked for again (``generate`` is idempotent under
the incident's key), at most ``ASKS`` times in all; then it is given up and reported.
Nothing here is ever published.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from functions.alert import notify
from functions.alert.outbox import notice
from functions.alert.rules import parse_stamp, stamp
from functions.alert.store import Deps, Plan, Run, State, s_value
from functions.common.items import plain

RETRY_S = 900  # a draft not written 15 minutes after it was asked for is asked for again
ASKS = 3


def pending(key: str, opened: int, since: int, targets: list[str]) -> dict[str, Any]:
    """A draft to ask for: the incident of rule ``key`` opened at ``opened`` (its window
    from ``since``), to be sent to ``targets``."""
    return {"rule": key, "opened": stamp(opened), "since": stamp(since), "asked": stamp(opened),
            "asks": 1, "targets": targets}  # fmt: skip


def event(entry: Mapping[str, Any], brand: str) -> dict[str, Any]:
    """What ``generate`` is invoked with (functions/generate/drafting.py)."""
    return {"incident": {"rule": entry["rule"], "brand": brand, "opened": entry["opened"],
                         "since": entry["since"]}}  # fmt: skip


def _name(entry: Mapping[str, Any]) -> str:
    return f"{entry['rule']}@{entry['opened']}"


def collect(state: State, brand: str, t: int, deps: Deps, run: Run) -> list[dict[str, Any]]:
    """The pending drafts of ``state`` at cutoff ``t``: each one written is queued in the
    outbox; the rest wait, are asked for again, or are given up. The drafts to ask for
    once the state is committed."""
    asks: list[dict[str, Any]] = []
    kept: list[dict[str, Any]] = []
    for entry in state.drafts:
        try:
            record = _record(entry, deps, run)
        except Exception as error:  # read again on the next cycle
            run.fail(deps, f"draft {_name(entry)}", f"incident record not read: "
                     f"{notify._aws_reason(error)}")  # fmt: skip
            kept.append(entry)
            continue
        if record is not None and record.get("draft_message"):
            state.outbox.append(notice(
                entry["rule"], brand, "draft", parse_stamp(entry["opened"]),
                str(record.get("draft_subject") or f"[socialops] DRAFT {brand}"),
                str(record["draft_message"]), list(entry["targets"])))  # fmt: skip
            run.drafts.append({"incident": _name(entry), "queued": True,
                               "by": str(record.get("draft_by", ""))})  # fmt: skip
            continue
        if record is None:
            run.fail(deps, f"draft {_name(entry)}", "its incident record is gone: no draft")
            continue
        if t - parse_stamp(entry["asked"]) < RETRY_S:
            kept.append(entry)
        elif int(entry["asks"]) < ASKS:
            again = {**entry, "asked": stamp(t), "asks": int(entry["asks"]) + 1}
            kept.append(again)
            asks.append(again)
        else:
            run.fail(deps, f"draft {_name(entry)}", f"given up: generate wrote no draft after "
                     f"{entry['asks']} asks")  # fmt: skip
            run.drafts.append({"incident": _name(entry), "given_up": True})
    state.drafts = kept
    return asks


def _record(entry: Mapping[str, Any], deps: Deps, run: Run) -> dict[str, Any] | None:
    key = {"pk": s_value(f"incident#{entry['rule']}"), "sk": s_value(entry["opened"])}
    answer = run.call(deps.dynamodb, "get_item", TableName=deps.incidents_table, Key=key,
                      ConsistentRead=True)  # fmt: skip
    item = answer.get("Item")
    return {k: plain(v) for k, v in item.items()} if item else None


def ask(plan: Plan, deps: Deps, run: Run) -> None:
    """Hand the committed plan's incidents to ``generate``. A failed invocation is
    reported; its draft is asked for again ``RETRY_S`` later."""
    if deps.ask_draft is None:
        return
    for entry in plan.asks:
        try:
            deps.ask_draft(event(entry, plan.brand))
        except Exception as error:
            run.fail(deps, f"draft {_name(entry)}", f"generate not invoked: "
                     f"{notify._aws_reason(error)}")  # fmt: skip
            continue
        run.drafts.append({"incident": _name(entry), "asked": int(entry["asks"])})
