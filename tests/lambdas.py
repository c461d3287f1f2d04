"""The Lambda context the tests hand to the handlers."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Context:
    function_name: str = "socialops-test"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:socialops-test"
    aws_request_id: str = "00000000-0000-0000-0000-000000000000"
    remaining_ms: int = 60_000  # what get_remaining_time_in_millis answers, always

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms
