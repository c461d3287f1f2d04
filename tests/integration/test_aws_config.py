"""plan, deploy, pause and resume without a usable AWS: what to set, never botocore's words.

No network: credentials and region come only from the environment set here (no
~/.aws files, no instance metadata), and the unreachable endpoint is a closed loopback port.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from botocore.exceptions import ClientError
from processes import refusing_port
from projects import Result

from infra.aws_config import CREDENTIALS, REGION, USAGE, explain

COMMANDS = [["plan"], ["deploy"], ["pause", "acme"], ["resume", "acme"]]


@pytest.fixture
def no_aws(no_aws: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """An environment with no AWS configuration at all (tests/conftest.py's ``no_aws``),
    run from an empty folder."""
    no_aws.chdir(tmp_path)
    return no_aws


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_no_region(no_aws: pytest.MonkeyPatch, run_cli: Callable[..., Result], command: list[str]) -> None:  # fmt: skip
    # GIVEN no region anywhere; WHEN the command runs
    code, out, err = run_cli(*command)
    # THEN it says what to set, as a usage mistake (exit 2), in one line
    assert (code, out) == (2, "")
    assert err == f"socialops: {command[0]}: {REGION}\n"
    assert "You must specify a region" not in err


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_no_credentials(no_aws: pytest.MonkeyPatch, run_cli: Callable[..., Result], command: list[str]) -> None:  # fmt: skip
    no_aws.setenv("AWS_REGION", "eu-west-1")
    code, out, err = run_cli(*command)
    assert (code, out) == (2, "")
    assert err == f"socialops: {command[0]}: {CREDENTIALS}\n"


def test_a_profile_that_does_not_exist(no_aws: pytest.MonkeyPatch, run_cli: Callable[..., Result]) -> None:  # fmt: skip
    no_aws.setenv("AWS_REGION", "eu-west-1")
    no_aws.setenv("AWS_PROFILE", "marketing")
    code, _, err = run_cli("plan")
    assert code == 2
    assert err.startswith("socialops: plan: no such AWS profile (The config profile (marketing)")


@pytest.mark.parametrize("command", [["plan"], ["pause", "acme"]], ids=" ".join)
def test_an_endpoint_that_does_not_answer(no_aws: pytest.MonkeyPatch, run_cli: Callable[..., Result], command: list[str]) -> None:  # fmt: skip
    no_aws.setenv("AWS_ACCESS_KEY_ID", "testing-not-a-key")
    no_aws.setenv("AWS_SECRET_ACCESS_KEY", "testing-not-a-secret")
    with refusing_port() as port:
        url = f"http://127.0.0.1:{port}"
        code, _, err = run_cli(*command, "--endpoint-url", url)
    # THEN AWS could not be reached (exit 1), and the message names the endpoint to check
    assert code == 1
    assert err.startswith(f"socialops: {command[0]}: cannot reach the endpoint {url} (")
    assert err.endswith("check --endpoint-url and the network, then run it again\n")


@pytest.mark.parametrize("command", [["deploy"], ["resume", "acme", "--table", "t"]], ids=" ".join)
def test_an_endpoint_that_is_not_a_url(no_aws: pytest.MonkeyPatch, run_cli: Callable[..., Result], command: list[str]) -> None:  # fmt: skip
    code, _, err = run_cli(*command, "--endpoint-url", "localhost:5000")
    assert code == 2
    assert err == (f"socialops: {command[0]}: --endpoint-url: expected a URL such as "
                   "http://127.0.0.1:5000, found 'localhost:5000'\n")  # fmt: skip


@pytest.mark.parametrize("code", ["ExpiredToken", "InvalidClientTokenId", "UnrecognizedClientException"])  # fmt: skip
def test_credentials_aws_refuses(code: str) -> None:
    exc = ClientError({"Error": {"Code": code, "Message": "no"}}, "DescribeStacks")
    message, exit_code = explain(exc, None) or ("", 0)
    assert exit_code == USAGE
    assert message.startswith(f"AWS refused the credentials ({code}): renew them")


def test_other_refusals_are_left_as_they_are() -> None:
    exc = ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "CreateSchedule")
    assert explain(exc, None) is None
