"""What ``socialops plan`` shows of the ``at: auto`` posts: each occurrence's bounds, its
compiled fallback time and where ``optimize`` has placed it (the ``place-*`` schedules of
the campaign's functions' group, functions/optimize/placement.py), with the share of the
placements that explored."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from functions.common.placement import PLACED_KEY, identity
from functions.common.schedules import functions_group


def placements(scheduler: Any, stage: str, campaign: str) -> dict[str, tuple[str, str]]:
    """The occurrence (``identity``) -> (placed time, how) of each placed schedule."""
    group = functions_group(stage, campaign)
    found: dict[str, tuple[str, str]] = {}
    try:
        pages = scheduler.get_paginator("list_schedules").paginate(GroupName=group)
        names = [s["Name"] for page in pages for s in page["Schedules"]]
    except scheduler.exceptions.ResourceNotFoundException:
        return found  # not deployed yet
    for name in sorted(n for n in names if n.startswith("place-")):
        schedule = scheduler.get_schedule(GroupName=group, Name=name)
        payload = json.loads(schedule["Target"]["Input"])
        how = "explored" if "(explored)" in schedule.get("Description", "") else "best"
        how = "moved" if "(moved)" in schedule.get("Description", "") else how
        key = identity(campaign, payload["post"], payload["channel"], payload.get("locale") or "",
                       payload["scheduled_for"])  # fmt: skip
        found[key] = (str(payload[PLACED_KEY]), how)
    return found


def auto_posts(scheduler: Any, stage: str, build: Path) -> list[dict[str, Any]]:
    """One row per ``at: auto`` occurrence of the build, with where it goes out now."""
    from schema.documents import RuntimeConfig

    rows = []
    for path in sorted((build / "config").glob("*.json")):
        config = RuntimeConfig.model_validate_json(path.read_bytes())
        if not config.auto:
            continue
        placed = placements(scheduler, stage, config.campaign.name)
        for auto in config.auto:
            name = identity(config.campaign.name, auto.post, auto.channel, auto.locale or "",
                            auto.scheduled_for)  # fmt: skip
            at, how = placed.get(name, (auto.scheduled_for, "fallback"))
            rows.append({"campaign": config.campaign.name, "post": auto.post,
                         "channel": auto.channel, "locale": auto.locale or "",
                         "timezone": auto.timezone, "earliest": auto.earliest,
                         "latest": auto.latest, "fallback": auto.scheduled_for, "at": at,
                         "placement": how})  # fmt: skip
    return rows


def exploration(rows: list[dict[str, Any]]) -> dict[str, Any]:
    placed = [r for r in rows if r["placement"] != "fallback"]
    explored = sum(1 for r in placed if r["placement"] == "explored")
    share = round(explored / len(placed), 3) if placed else 0.0
    return {"placed": len(placed), "explored": explored, "share": share}


def text(rows: list[dict[str, Any]]) -> list[str]:
    if not rows:
        return []
    share = exploration(rows)
    lines = [f"at: auto posts ({share['placed']} of {len(rows)} placed by optimize, "
             f"{share['explored']} explored: {share['share']:.0%}):"]  # fmt: skip
    for r in rows:
        locale = f" [{r['locale']}]" if r["locale"] else ""
        where = ("at its fallback" if r["placement"] == "fallback"
                 else f"placed ({r['placement']})")  # fmt: skip
        lines.append(f"  {r['campaign']}/{r['post']} on {r['channel']}{locale}: between "
                     f"{r['earliest']} and {r['latest']} ({r['timezone']}); now {r['at']}, "
                     f"{where}; fallback {r['fallback']}")  # fmt: skip
    return lines
