"""Late retries: a platform asks to wait longer than the invocation has left (a 429 whose
reset is an hour away), so the post is not failed but fired again then.

The retry is a one-time schedule at the reset time in the campaign's functions' group
(``functions/common/schedules.py``), which ``socialops deploy`` creates and deletes with its
campaign but never diffs, and which Scheduler deletes once it has fired. Its input is the
firing's own event plus ``retry`` (its time): the publish record, keyed by the firing, is
the same, so the retry cannot post twice; ``retry`` only keeps Powertools idempotency from
answering it with the first delivery's outcome. Its name is made of the firing and the
minute, so a repeat of the same retry is the same schedule.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from functions.common.placement import PLACED_KEY
from functions.common.platform.errors import PlatformError
from functions.common.schedules import RETRY_POLICY, functions_group, retry_name


class Later(Exception):
    """The platform asks to wait until ``at``, longer than this invocation has left;
    ``asking``: while asking it what an earlier attempt posted (so it may have posted)."""

    def __init__(
        self, error: PlatformError, attempts: int, at: datetime, *, asking: bool = False
    ) -> None:
        super().__init__(str(error))
        self.error, self.attempts, self.at, self.asking = error, attempts, at, asking


def retry_time(now: datetime, delay_s: float) -> datetime:
    """The whole UTC minute at or after ``now + delay_s`` (Scheduler fires by the minute)."""
    when = now.astimezone(UTC) + timedelta(seconds=delay_s)
    whole = when.replace(second=0, microsecond=0)
    return whole if whole == when else whole + timedelta(minutes=1)


@dataclass
class Retries:
    """Where late retries go: Scheduler, the stage, and the target they invoke."""

    scheduler: Any  # boto3 EventBridge Scheduler client
    stage: str
    role_arn: str  # the role Scheduler assumes to invoke publish
    dead_letter_arn: str = ""
    function_arn: str = ""  # publish's own ARN (the Lambda context's invoked ARN)

    def schedule(self, campaign: str, firing: str, event: dict[str, Any], at: datetime) -> str:
        """Create the retry (once: a repeat finds it there); its ``group/name``."""
        group, name = functions_group(self.stage, campaign), retry_name(firing, at)
        stamp = at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
        # the firing's own event: an empty placement (no auto post's) is none at all
        payload = {k: v for k, v in event.items()
                   if k != "redrive" and (v or k != PLACED_KEY)}  # fmt: skip
        target: dict[str, Any] = {
            "Arn": self.function_arn, "RoleArn": self.role_arn,
            "Input": json.dumps({**payload, "retry": stamp + "Z"}, sort_keys=True),
            "RetryPolicy": dict(RETRY_POLICY),
        }  # fmt: skip
        if self.dead_letter_arn:
            target["DeadLetterConfig"] = {"Arn": self.dead_letter_arn}
        # a ConflictException: an earlier delivery scheduled this retry already
        with contextlib.suppress(self.scheduler.exceptions.ConflictException):
            self.scheduler.create_schedule(
                Name=name, GroupName=group, ScheduleExpression=f"at({stamp})",
                ScheduleExpressionTimezone="UTC", FlexibleTimeWindow={"Mode": "OFF"},
                ActionAfterCompletion="DELETE", Target=target,
                Description=f"socialops: late retry of {firing}",
            )  # fmt: skip
        return f"{group}/{name}"
