"""Names of the EventBridge Scheduler groups (DESIGN: who owns a schedule).

Per campaign and stage two groups: ``socialops-<stage>-<campaign>``, whose schedules
``socialops deploy`` reconciles from the build, and ``socialops-<stage>-<campaign>.fn``,
which deploy creates and deletes with its campaign but never diffs: the functions' own
one-time schedules go there (publish's late retries, optimize's placements). A campaign
name cannot hold a ".", so no campaign's group is another's functions' group. A group name
holds at most 64 characters: 10 for the prefix, a stage of at most 18, a dash, a campaign
of at most 32 and 3 for ``.fn``.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime

PREFIX = "socialops"
FUNCTIONS_SUFFIX = ".fn"
STAGE_MAX = 18
STAGE_PATTERN = re.compile(rf"^[a-z0-9][a-z0-9-]{{0,{STAGE_MAX - 1}}}$")
GROUP_MAX = 64
# the functions' one-time schedules (late retries, placements): Scheduler delivers at least
# once, and a delivery may be retried for an hour
RETRY_POLICY = {"MaximumEventAgeInSeconds": 3600, "MaximumRetryAttempts": 10}


def group_name(stage: str, campaign: str) -> str:
    """The group ``socialops deploy`` reconciles for ``campaign``."""
    return f"{PREFIX}-{stage}-{campaign}"


def functions_group(stage: str, campaign: str) -> str:
    """The group of the functions' own one-time schedules for ``campaign``."""
    return group_name(stage, campaign) + FUNCTIONS_SUFFIX


def retry_name(firing: str, at: datetime) -> str:
    """A late retry's schedule name: the firing (hashed) and the UTC minute it fires, so a
    repeat of the same retry is the same schedule, never a second one (64 characters)."""
    digest = hashlib.sha256(firing.encode()).hexdigest()[:24]
    return f"retry-{digest}-{at.astimezone(UTC):%Y%m%dT%H%MZ}"
