"""The simulation's moto server keeps lighter rollback copies of transactions (moto deep
copies a table once per transaction item): rollbacks must stay exactly moto's."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from infra.simulate import run
from infra.simulate.run import _light_transactions

REGION = "us-east-1"


@pytest.fixture
def snapshots(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The light copies made (not moto's deep copy, which a failure would fall back to)."""
    made: list[int] = []
    real = run._snapshot

    def spy(table: Any, items: Any) -> Any:
        clone = real(table, items)
        made.append(len(items))
        return clone

    monkeypatch.setattr(run, "_snapshot", spy)
    return made


@pytest.fixture
def table(snapshots: list[int]) -> Iterator[Any]:
    _light_transactions()
    _light_transactions()  # idempotent: wrapped once
    with mock_aws():
        client = boto3.client("dynamodb", region_name=REGION)
        client.create_table(
            TableName="t", BillingMode="PAY_PER_REQUEST",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                       {"AttributeName": "sk", "KeyType": "RANGE"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                  {"AttributeName": "sk", "AttributeType": "S"}],
        )  # fmt: skip
        for i in range(50):
            client.put_item(TableName="t", Item={"pk": {"S": "p"}, "sk": {"S": f"{i:03d}"},
                                                 "n": {"N": str(i)}})  # fmt: skip
        yield client


def _add(sk: str, n: int) -> dict[str, Any]:
    return {"Update": {"TableName": "t", "Key": {"pk": {"S": "p"}, "sk": {"S": sk}},
                       "UpdateExpression": "ADD n :n",
                       "ExpressionAttributeValues": {":n": {"N": str(n)}}}}  # fmt: skip


def _put_new(sk: str) -> dict[str, Any]:
    return {"Put": {"TableName": "t", "Item": {"pk": {"S": "p"}, "sk": {"S": sk}},
                    "ConditionExpression": "attribute_not_exists(pk)"}}  # fmt: skip


def _all(client: Any) -> dict[str, str]:
    items = client.scan(TableName="t")["Items"]
    return {i["sk"]["S"]: i.get("n", {}).get("N", "") for i in items}


def test_a_cancelled_transaction_leaves_the_table_as_it_was(
    table: Any, snapshots: list[int]
) -> None:
    before = _all(table)
    with pytest.raises(table.exceptions.TransactionCanceledException) as caught:
        table.transact_write_items(TransactItems=[
            _add("001", 5), _put_new("new"), {"Delete": {"TableName": "t",
            "Key": {"pk": {"S": "p"}, "sk": {"S": "002"}}}}, _put_new("003")])  # fmt: skip
    reasons = [r["Code"] for r in caught.value.response["CancellationReasons"]]
    assert reasons == ["None", "None", "None", "ConditionalCheckFailed"]
    assert _all(table) == before  # the update, the put and the delete all rolled back
    assert snapshots == [4]  # one light copy of the table for the four items


def test_a_transaction_that_succeeds_is_applied(table: Any) -> None:
    table.transact_write_items(TransactItems=[_add("001", 5), _add("999", 2), _put_new("new")])
    after = _all(table)
    assert after["001"] == "6" and after["999"] == "2" and after["new"] == ""
    assert len(after) == 52
