"""Any error body a platform, a gateway or a proxy sends becomes a ``PlatformError``: the
shape of the body is never trusted (a 504's ``{"error": "Gateway Timeout"}`` crashed the
TikTok and Meta parsers, turning a transient failure into a traceback)."""

from __future__ import annotations

from typing import Any

import pytest

from functions.common.platform.errors import TABLES, from_response

ODD_BODIES: list[Any] = [
    {"error": "Gateway Timeout"}, {"error": None}, {"error": ["x"]}, {"errors": "nope"},
    {"errors": []}, {"errors": [1]}, {"errors": None}, [1, 2], "a gateway's page", None, {},
    {"raw": "<html>504</html>"}, {"message": 7, "code": None},
]  # fmt: skip


@pytest.mark.parametrize("body", ODD_BODIES, ids=repr)
@pytest.mark.parametrize("platform", sorted(TABLES))
def test_an_error_body_of_any_shape_is_read_by_its_status(platform: str, body: Any) -> None:
    # GIVEN a 504 with an unexpected body  WHEN it is read  THEN a retryable error
    error = from_response(platform, 504, {}, body)
    assert error.platform == platform and error.status == 504 and error.retryable
    # and a 400 with the same body is refused for good, with a reason in words
    refused = from_response(platform, 400, {}, body)
    assert not refused.retryable and refused.reason
