"""The campaign's goals: a KPI the platforms no longer report by its name (W801)."""

from __future__ import annotations

from infra.checks.references import Located
from infra.diagnostics import Diagnostic
from schema.campaign import Campaign

# KPI -> (what the platforms report now, why)
RENAMED = {
    "impressions": (
        "views",
        "Instagram and Facebook replaced impressions with views in 2025, and socialops reads "
        "an impressions goal as views on every platform",
    ),
}


def check_goals(doc: Located) -> list[Diagnostic]:
    campaign: Campaign = doc.model
    out: list[Diagnostic] = []
    for index, goal in enumerate(campaign.goals):
        if goal.kpi in RENAMED:
            now, why = RENAMED[goal.kpi]
            out.append(doc.at(("goals", index, "kpi"), "W801",
                              f"{why}: write `kpi: {now}`"))  # fmt: skip
    return out
