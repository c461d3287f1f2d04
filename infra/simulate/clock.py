"""The simulation's virtual clock and what it fires: the Lambda context whose time left is
measured on that clock, the firings, the names of the local stage, and the process
environment the handlers read (set for the run, restored after)."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

STAGE = "local"
REGION = "us-east-1"
ACCOUNT_ID = "123456789012"
PUBLISH_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:socialops-{STAGE}-publish"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT_ID}:role/socialops-{STAGE}-scheduler-publish"
TIMEOUT_S = 300.0  # the publish function's timeout (infra/stack.py)


class Clock:
    def __init__(self, start: datetime) -> None:
        self.current = start

    def now(self) -> datetime:
        return self.current

    def sleep(self, seconds: float) -> None:
        self.current += timedelta(seconds=seconds)


_REQUESTS = itertools.count(1)


@dataclass
class Context:
    """The Lambda context, with the time left measured on the virtual clock."""

    clock: Clock
    started: datetime
    function_name: str = f"socialops-{STAGE}-publish"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = PUBLISH_ARN
    # one per invocation, as Lambda gives (score names its lake objects after it)
    aws_request_id: str = field(default_factory=lambda: f"simulated-{next(_REQUESTS):07d}")

    def again(self) -> Context:
        """A context for another invocation at the same moment (a new request id)."""
        return Context(self.clock, self.started, self.function_name, self.memory_limit_in_mb,
                       self.invoked_function_arn)  # fmt: skip

    def get_remaining_time_in_millis(self) -> int:
        used = (self.clock.now() - self.started).total_seconds()
        return int(max(0.0, TIMEOUT_S - used) * 1000)


@dataclass(order=True)
class Firing:
    when: datetime
    order: int
    name: str = field(compare=False)
    payload: dict[str, Any] = field(compare=False)
    retry: int = field(default=0, compare=False)
    duplicate: bool = field(default=False, compare=False)
    late: bool = field(default=False, compare=False)  # publish's own retry schedule
    placed: bool = field(default=False, compare=False)  # optimize's placement of an auto post


@contextmanager
def environment(values: Mapping[str, str | None]) -> Iterator[None]:
    """Set ``values`` (None: unset the variable) for the block, then restore them."""
    saved = {k: os.environ.get(k) for k in values}
    for key, value in values.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
