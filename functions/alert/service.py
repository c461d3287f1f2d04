"""One evaluation cycle of the alert rules, with every outside thing injected (:class:`Deps`).

``evaluate(at, deps)`` is what the scheduled ``alert`` run does (handler.py) and what a
simulation calls at a virtual time. Decisions, in the order a cycle meets them:

- **Which rules.** Those of every campaign whose window contains ``at`` (in the campaign's
  time zone): an alert belongs to its campaign, and a brand-watch campaign is simply a long
  window. A config that fails to load is reported and skipped; the others still run.
- **Which data.** Complete buckets only (rules.py: a bucket counts once 5 minutes have
  passed after its end; mentions counted later still count, up to 6 h late for the volume
  detector). Per brand, the buckets from the start of the longest window its rules need
  (``within``; an hour for volume) or from the first bucket its volume detector has not
  settled (6 h back in steady state), whichever is earlier, to the cutoff: read by key,
  100 to a BatchGetItem across brands, when that is at most ``BATCH_SPAN_S`` (every run in
  steady state), else with one Query per brand (warm-up, catch-up after a gap).
- **Volume, incidents, the pause.** incidents.py: the detector replayed over late buckets,
  one state item per brand (store.py) holding each rule's incident state, the detector,
  the outbox of notices and a version, written with a condition on that version in
  DynamoDB transactions of up to 100 writes together with the incident records (pk
  ``incident#<campaign>/<rule>``, sk the opening stamp, TTL 400 days) and the brand's
  pause: of two concurrent runs only one commits a change, and only the one that
  committed notifies (the other reports the brand as skipped). A rule resolves once its
  condition has been clear, past a hysteresis margin, for its window (an hour for
  volume). Cooldown: an incident that opens less than ``cooldown`` after the rule's
  previous incident resolved is recorded but neither its alert nor its resolution is sent
  (unless its action newly paused publishing: a person must hear about that).
  ``pause_publishing`` pauses the brand with the commit that opens the incident;
  resolution never resumes it (a person runs ``socialops resume``), and the notices say so.
- **Notices.** outbox.py: composed when the incident opens or resolves and committed with
  it; the run that committed them holds a lease (2 minutes) and delivers them, recording
  each target as sent as soon as it is; a target that fails stays for the next run (at
  most ``MAX_DELIVERY_ATTEMPTS``). Each carries its id, so a receiver can tell a repeat.
- **Drafts.** drafts.py: an incident whose alert is sent is handed to ``generate`` (an
  asynchronous invocation) once committed and once this run's notices are delivered;
  the draft it writes onto the incident record is queued by a later cycle as the
  incident's ``draft`` notice, through the same outbox.
- **Time.** The brands that read a few recent buckets go first, then those catching up on
  a week; a brand is not started with less than ``RESERVE_S`` of the invocation left: it
  is ``deferred`` to the next run (its data wait in DynamoDB), so a first cycle over
  many brands spreads over a few runs instead of timing out and starting over.
- **Rules no longer evaluated.** A rule whose campaign's window has ended, that was
  removed from its campaign, or whose campaign is no longer deployed, is withdrawn from
  the brand's state at the next cycle: an incident still open is closed (its record gets
  ``resolved_at`` and ``withdrawn``) with a CLOSED notice to the targets it alerted (kept
  in the state when it fired), which says that this is not a resolution; the outbox of a
  brand without active rules is still delivered. Every brand of every deployed campaign
  has its state read, so nothing is left open or undelivered when a campaign ends.

Modules, each importing only those before it: rules.py and detector.py (pure), notify.py
(SNS, Slack), store.py (Deps, Run, DynamoDB), messages.py (the words), outbox.py
(notices and their delivery), drafts.py (the hand-off to generate), incidents.py (one
brand), this one (the cycle).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from functions.alert import drafts, notify, rules
from functions.alert.incidents import evaluate_brand, first_needed
from functions.alert.outbox import deliver
from functions.alert.rules import HOUR_S, LATE_S, RuleRef
from functions.alert.store import (
    FUNCTION,
    Deps,
    Plan,
    Run,
    State,
    read_recent,
    read_states,
    write_plans,
)
from functions.common import config as configs

__all__ = ["Deps", "active", "evaluate", "load_configs", "rules_by_brand"]

# ranges up to this are read by key in batches, longer by Query: the detector's late
# buckets (6 h) and an hour to spare for a late run
BATCH_SPAN_S = LATE_S + HOUR_S
RESERVE_S = 20.0  # left for writing the plans and sending the notices when brands stop


def load_configs() -> tuple[dict[str, Any], list[str]]:
    """The compiled configs that load, by campaign, and a line for each one that does not
    (``ConfigError`` only when there is no config folder at all)."""
    loaded, problems = configs.load_each()
    return loaded, [f"campaign {name}: config not loaded, its rules are not evaluated: {error}"
                    for name, error in problems.items()]  # fmt: skip


def active(config: Any, at: datetime) -> bool:
    campaign = config.campaign
    tz = ZoneInfo(campaign.timezone)
    start = campaign.window.start.replace(tzinfo=tz)
    end = campaign.window.end.replace(tzinfo=tz)
    return bool(start <= at < end)


def rules_by_brand(loaded: Mapping[str, Any], at: datetime) -> dict[str, list[RuleRef]]:
    brands: dict[str, list[RuleRef]] = {}
    for name, config in sorted(loaded.items()):
        if config.campaign.alerts and active(config, at):
            for alert in config.campaign.alerts:
                brands.setdefault(config.brand.name, []).append(
                    RuleRef(name, config.brand.name, alert)
                )
    return brands


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
    unloaded = _report(problems, deps, run)
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
    recent = _read_recent(short, deps, run)
    # the cheap brands first (a few keys each, already read), then those catching up on a
    # week (a Query and a detector warm-up each): when time runs short, the rest wait for
    # the next run, and every run completes some, so a catch-up of many brands progresses
    order = [b for b in names if b in short or b not in brands]
    order += [b for b in names if b in brands and b not in short]
    plans = [plan for brand in order
             if (plan := _brand(brand, brands, states, recent, loaded, unloaded, deps, run))]  # fmt: skip
    if run.deferred:
        deps.log("warning", f"{FUNCTION}: out of time, {len(run.deferred)} brands left to the "
                 "next run (catching up on their week)", {"brands": run.deferred[:100]})  # fmt: skip
    committed = write_plans(plans, deps, run)
    for plan in committed:
        if plan.deliver:
            deliver(plan, deps, run)
    for plan in committed:  # after the notices: a draft never holds one up
        drafts.ask(plan, deps, run)
    return run.as_dict()


def _report(problems: Sequence[str], deps: Deps, run: Run) -> set[str]:
    """The configs that did not load, reported; the names of their campaigns."""
    unloaded: set[str] = set()
    for problem in problems:
        what, _, error = problem.partition(": ")
        run.fail(deps, what, error)
        if what.startswith("campaign "):
            unloaded.add(what.removeprefix("campaign "))
    return unloaded


def _read_recent(short: Mapping[str, int], deps: Deps, run: Run) -> dict[str, Any]:
    try:
        return read_recent(deps, run, short, run.cutoff) if short else {}
    except Exception as error:  # each brand then queries on its own
        run.fail(deps, "buckets", f"batch read failed: {notify._aws_reason(error)}")
        return {}


def _brand(brand: str, brands: Mapping[str, list[RuleRef]], states: Mapping[str, State],
           recent: Mapping[str, Any], loaded: Mapping[str, Any], unloaded: set[str],
           deps: Deps, run: Run) -> Plan | None:  # fmt: skip
    """One brand's plan; None when nothing changed, when it failed (reported) or when the
    invocation is short of time (deferred)."""
    if deps.remaining_s() < RESERVE_S:
        run.deferred.append(brand)
        return None
    try:
        return evaluate_brand(brand, brands.get(brand, []), states.get(brand) or State(),
                              run.cutoff, deps, run, recent.get(brand), loaded, unloaded)  # fmt: skip
    except Exception as error:  # unexpected: logged with its traceback; others go on
        deps.log("exception", f"{FUNCTION}: brand {brand} not evaluated", {"brand": brand})
        run.failed.append({"what": f"brand {brand}", "error": f"not evaluated: {error!r}"})
        return None
