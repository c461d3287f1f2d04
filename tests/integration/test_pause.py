"""`socialops pause BRAND` / `resume`: the brand-level publishing pause in DynamoDB."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from moto import mock_aws

from functions.common.pause import pause, paused, resume
from infra.cli import main

TABLE = "socialops-test-pause-flags"


@pytest.fixture
def table(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing-not-a-key")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing-not-a-secret")
    with mock_aws():
        dynamodb = boto3.resource("dynamodb", region_name="us-east-1")
        created = dynamodb.create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "brand", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "brand", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        yield created


def test_pause_then_resume_through_the_command(
    table: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN a brand that publishes WHEN a person pauses it
    assert main(["pause", "aerolite", "--table", TABLE, "--reason", "outage", "--by", "ana"]) == 0
    # THEN the flag is stored with who and why, and the command says so
    flag = paused(table, "aerolite")
    assert flag is not None and (flag.reason, flag.by) == ("outage", "person:ana")
    assert "paused publishing for aerolite" in capsys.readouterr().out
    # WHEN it is resumed THEN the flag is gone and the command says what was lifted
    assert main(["resume", "aerolite", "--table", TABLE]) == 0
    assert paused(table, "aerolite") is None
    assert "resumed publishing for aerolite" in capsys.readouterr().out
    # AND resuming again is harmless
    assert main(["resume", "aerolite", "--table", TABLE]) == 0
    assert "was not paused" in capsys.readouterr().out


def test_a_second_pause_keeps_the_first_cause(table: Any) -> None:
    first = pause(table, "brewlab", "crisis", "alert:brand-watch/sentiment-crash",
                  datetime(2027, 1, 1, 9, 0, tzinfo=UTC))  # fmt: skip
    again = pause(table, "brewlab", "by hand", "person:bo", datetime(2027, 1, 1, 10, 0, tzinfo=UTC))
    assert again == first == paused(table, "brewlab")
    assert resume(table, "brewlab") == first


def test_no_table_is_one_clear_line(table: Any, capsys: pytest.CaptureFixture[str]) -> None:
    # GIVEN no stack and no --table WHEN pausing THEN exit 1 and one line, no traceback
    assert main(["pause", "aerolite", "--stage", "nostack"]) == 1
    err = capsys.readouterr().err
    assert "no stack socialops-nostack" in err and "Traceback" not in err
    # AND a table that does not exist is reported the same way
    assert main(["pause", "aerolite", "--table", "missing-table"]) == 1
    assert "socialops: pause:" in capsys.readouterr().err


def test_a_bad_brand_name_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["pause", "Not A Brand", "--table", TABLE]) == 2
    assert "is not a brand name" in capsys.readouterr().err
