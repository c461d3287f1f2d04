"""The simulation's lighter moto (``infra/simulate/aws.py``) answers exactly as moto does:
each scenario runs once under moto as it is and once under ``local_aws``, and the answers
the boto3 clients get must be equal. The light transaction rollbacks are checked too
(moto deep-copies a table once per transaction item)."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID

from infra.simulate import aws
from infra.simulate.aws import lighter_moto, local_aws

REGION = "us-east-1"
Scenario = Callable[[], Any]


def both(scenario: Scenario) -> tuple[Any, Any]:
    """The scenario's answers under moto as it is, then under the simulation's moto."""
    with mock_aws():
        plain = scenario()
    with local_aws():
        light = scenario()
    return plain, light


def _strip(answer: Any) -> Any:
    if isinstance(answer, dict):
        return {k: _strip(v) for k, v in answer.items() if k != "ResponseMetadata"}
    if isinstance(answer, list):
        return [_strip(v) for v in answer]
    return answer


# ---- DynamoDB transactions ------------------------------------------------------------


@pytest.fixture
def snapshots(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The light copies made (not moto's deep copy, which a failure would fall back to)."""
    made: list[int] = []
    real = aws._snapshot

    def spy(table: Any, items: Any) -> Any:
        clone = real(table, items)
        made.append(len(items))
        return clone

    monkeypatch.setattr(aws, "_snapshot", spy)
    return made


def _ranged_table(client: Any, name: str = "t") -> None:
    keys = (("pk", "HASH"), ("sk", "RANGE"))
    client.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                        KeySchema=[{"AttributeName": a, "KeyType": k} for a, k in keys],
                        AttributeDefinitions=[{"AttributeName": a, "AttributeType": "S"}
                                              for a, _ in keys])  # fmt: skip


@pytest.fixture
def table(snapshots: list[int]) -> Iterator[Any]:
    with local_aws():
        client = boto3.client("dynamodb", region_name=REGION)
        _ranged_table(client)
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


def test_moto_is_itself_again_after_the_simulation() -> None:
    from botocore import parsers as botocore_parsers
    from botocore import utils as botocore_utils
    from botocore.auth import SigV4Auth
    from botocore.parsers import BaseJSONParser
    from moto.core import responses
    from moto.core.botocore_stubber import BotocoreStubber
    from moto.core.exceptions import JsonRESTError
    from moto.core.serialize import BaseJSONSerializer
    from moto.dynamodb import responses as dynamodb_responses
    from moto.dynamodb.comparisons import ConditionExpressionParser
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models import utilities as dynamodb_utilities
    from moto.dynamodb.models.dynamo_type import DynamoType, Item
    from moto.dynamodb.models.table import Table
    from moto.dynamodb.parsing import validators
    from moto.dynamodb.parsing.ast_nodes import DepthFirstTraverser
    from moto.dynamodb.parsing.expressions import UpdateExpressionParser  # type: ignore[attr-defined]
    from moto.dynamodb.parsing.validators import UpdateExpressionValidator
    from moto.dynamodb.responses import DynamoHandler
    from moto.moto_api._internal.moto_random import MotoRandom
    from moto.sqs import models as sqs_models
    from moto.sqs.models import Queue, SQSBackend

    owners = (DynamoDBBackend, BaseJSONSerializer, DepthFirstTraverser, Queue, SQSBackend,
              UpdateExpressionParser, ConditionExpressionParser, DynamoType, responses,
              validators, UpdateExpressionValidator, BotocoreStubber, SigV4Auth, MotoRandom,
              sqs_models, dynamodb_responses, dynamodb_utilities, Table, Item,
              botocore_parsers, botocore_utils, DynamoHandler, JsonRESTError,
              BaseJSONParser)  # fmt: skip
    before = [dict(vars(owner)) for owner in owners]
    with lighter_moto():
        assert [dict(vars(owner)) for owner in owners] != before
    assert [dict(vars(owner)) for owner in owners] == before


# ---- DynamoDB answers -----------------------------------------------------------------

ITEM = {
    "pk": {"S": "p"}, "sk": {"S": "a"}, "text": {"S": "déjà vu 😀"}, "empty": {"S": ""},
    "n": {"N": "12.50"}, "big": {"N": "-1e30"}, "yes": {"BOOL": True}, "no": {"BOOL": False},
    "none": {"NULL": True}, "tags": {"SS": ["b", "a"]}, "nums": {"NS": ["1", "2.5"]},
    "nested": {"M": {"x": {"L": [{"S": "1"}, {"N": "2"}, {"M": {"deep": {"BOOL": True}}}]},
                     "y": {"NULL": True}}},
    "list": {"L": [{"SS": ["q"]}, {"L": []}, {"M": {}}]},
}  # fmt: skip
BINARY = {"pk": {"S": "p"}, "sk": {"S": "b"}, "blob": {"B": b"\x00\xffbytes"},
          "blobs": {"BS": [b"one", b"\x01two"]},
          "mixed": {"M": {"raw": {"B": base64.b64decode("AAEC")}, "s": {"S": "x"}}}}  # fmt: skip


def _dynamodb_answers() -> list[Any]:
    client = boto3.client("dynamodb", region_name=REGION)
    _ranged_table(client)
    client.put_item(TableName="t", Item=ITEM)
    client.put_item(TableName="t", Item=BINARY)
    key = {"pk": {"S": "p"}, "sk": {"S": "a"}}
    bkey = {"pk": {"S": "p"}, "sk": {"S": "b"}}
    return [_strip(answer) for answer in (
        client.get_item(TableName="t", Key=key),
        client.get_item(TableName="t", Key=bkey),
        client.get_item(TableName="t", Key=key, ProjectionExpression="nested.x, tags"),
        client.batch_get_item(RequestItems={"t": {"Keys": [key, bkey]}}),
        client.query(TableName="t", KeyConditionExpression="pk = :p",
                     ExpressionAttributeValues={":p": {"S": "p"}}),
        client.scan(TableName="t"),
        client.update_item(TableName="t", Key=key, ReturnValues="ALL_NEW",
                           UpdateExpression="ADD n :one, tags :more SET #l = list_append(#l, :l)"
                           " REMOVE #e", ExpressionAttributeNames={"#l": "list", "#e": "empty"},
                           ExpressionAttributeValues={":one": {"N": "1"}, ":more": {"SS": ["c"]},
                                                      ":l": {"L": [{"S": "new"}]}}),
        client.transact_get_items(TransactItems=[{"Get": {"TableName": "t", "Key": key}},
                                                 {"Get": {"TableName": "t", "Key": bkey}}]),
    )]  # fmt: skip


def test_timestamps_are_read_as_botocore_reads_them() -> None:
    from botocore import parsers
    from botocore.utils import parse_timestamp

    values = ["2027-01-11T09:05:07.000Z", "2027-01-11T09:05:07Z", "2027-12-31T23:59:59.5Z",
              "2027-01-11T09:05:07.123456Z", "Mon, 11 Jan 2027 09:05:07 GMT",
              "Sun, 31 Dec 2028 23:59:59 GMT", "2027-01-11T09:05:07+02:00", "1800000000",
              1800000000.5, "2027-01-11"]  # the last four: botocore's own  # fmt: skip
    from botocore import utils

    with lighter_moto():
        light = [parsers.DEFAULT_TIMESTAMP_PARSER(v) for v in values]
        assert [utils.parse_timestamp(v) for v in values] == light
    plain = [parse_timestamp(v) for v in values]
    assert light == plain
    assert [type(t.tzinfo) for t in light] == [type(t.tzinfo) for t in plain]
    assert [t.utcoffset() for t in light] == [t.utcoffset() for t in plain]


def test_values_compare_and_size_as_moto_s_own() -> None:
    from moto.dynamodb.models.dynamo_type import DynamoType

    values = [*ITEM.values(), *BINARY.values(), {"N": "0.000"}, {"N": "1E+3"}, {"S": ""}]
    plain = [(DynamoType(v).cast_value, DynamoType(v).size()) for v in values]
    with lighter_moto():
        light = [(DynamoType(v).cast_value, DynamoType(v).size()) for v in values]
    assert light == plain and plain[2] == ("déjà vu 😀", len("déjà vu 😀".encode()))


def test_dynamodb_answers_are_moto_s_own() -> None:
    plain, light = both(_dynamodb_answers)
    assert light == plain
    assert plain[0]["Item"] == ITEM and plain[1]["Item"]["blob"] == {"B": b"\x00\xffbytes"}


def _update_refusals() -> list[str]:
    client = boto3.client("dynamodb", region_name=REGION)
    _ranged_table(client)
    key = {"pk": {"S": "p"}, "sk": {"S": "a"}}
    refused = []
    for expression in ("ADD n :one", "SET n = :one ADD n :one", "ADD n :one, n :one", "ADD"):
        for _ in range(2):  # the second time from the parsed expression kept
            try:
                client.update_item(TableName="t", Key=key, UpdateExpression=expression,
                                   ExpressionAttributeValues={":one": {"S": "x"}})  # fmt: skip
                refused.append("accepted")
            except client.exceptions.ClientError as error:
                refused.append(str(error))
    return refused


def test_update_expressions_are_refused_as_moto_refuses_them() -> None:
    plain, light = both(_update_refusals)
    assert light == plain and plain.count("accepted") == 0


def _conditions() -> list[str]:
    """Conditions met, failed and refused, each twice (the second time from the parsed
    expression kept), alone and in transactions."""
    client = boto3.client("dynamodb", region_name=REGION)
    _ranged_table(client)
    outcomes: list[str] = []

    def attempt(**put: Any) -> None:
        for _ in range(2):
            for call in ("put", "transact"):
                try:
                    if call == "put":
                        client.put_item(TableName="t", **put)
                    else:
                        client.transact_write_items(TransactItems=[{"Put": {"TableName": "t", **put}}])  # fmt: skip
                    outcomes.append("written")
                except Exception as error:  # moto itself raises ValueError on a bad parse
                    outcomes.append(f"{type(error).__name__}: {error}")

    item = {"pk": {"S": "p"}, "sk": {"S": "a"}, "n": {"N": "1"}}
    attempt(Item=item, ConditionExpression="attribute_not_exists(pk)")
    attempt(Item=item, ConditionExpression="#n = :v", ExpressionAttributeNames={"#n": "n"},
            ExpressionAttributeValues={":v": {"N": "1"}})  # fmt: skip
    attempt(Item=item, ConditionExpression="#n = :v", ExpressionAttributeNames={"#n": "n"},
            ExpressionAttributeValues={":v": {"N": "2"}})  # fmt: skip
    attempt(Item=item, ConditionExpression="#n = :v", ExpressionAttributeNames={"#n": "n",
            "#unused": "x"}, ExpressionAttributeValues={":v": {"N": "1"}})  # fmt: skip
    attempt(Item=item, ConditionExpression="n = = 1")
    attempt(Item=item, ConditionExpression="blob = :b", ExpressionAttributeValues={":b": {"B": b"x"}})  # fmt: skip
    return outcomes


def test_conditions_are_met_and_refused_as_moto_does_it() -> None:
    plain, light = both(_conditions)
    assert light == plain
    assert "written" in plain and any("ConditionalCheckFailed" in o for o in plain)
    assert any("unused" in o for o in plain)  # the names the parse found are moto's too


def test_only_plain_attribute_values_skip_moto_s_serializer() -> None:
    assert aws.plain(ITEM["nested"]) == ITEM["nested"]
    assert aws.plain({"B": b"x"}) is None and aws.plain({"BS": [b"x"]}) is None
    assert aws.plain({"M": {"a": {"S": "x"}, "b": {"B": b"x"}}}) is None
    assert aws.plain({"N": 5}) is None and aws.plain({"S": "x", "N": "1"}) is None


# ---- SQS ------------------------------------------------------------------------------


def _queue_states() -> list[Any]:
    sqs = boto3.client("sqs", region_name=REGION)
    dlq = sqs.create_queue(QueueName="dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])[
        "Attributes"]["QueueArn"]  # fmt: skip
    url = sqs.create_queue(QueueName="q", Attributes={
        "RedrivePolicy": f'{{"deadLetterTargetArn": "{dlq_arn}", "maxReceiveCount": 2}}',
        "Policy": '{"Version": "2012-10-17", "Statement": []}',
        "KmsMasterKeyId": "alias/aws/sqs"})["QueueUrl"]  # fmt: skip
    fifo = sqs.create_queue(QueueName="f.fifo", Attributes={
        "FifoQueue": "true", "ContentBasedDeduplication": "true"})["QueueUrl"]  # fmt: skip
    sqs.send_message_batch(QueueUrl=url, Entries=[
        {"Id": str(i), "MessageBody": f"m{i}", "DelaySeconds": 600 if i < 2 else 0}
        for i in range(6)])  # fmt: skip
    sqs.send_message(QueueUrl=fifo, MessageBody="same", MessageGroupId="g")
    sqs.send_message(QueueUrl=fifo, MessageBody="same", MessageGroupId="g")  # deduplicated
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=3, VisibilityTimeout=600)
    queues = _backend_queues()
    answers = [len(got["Messages"]), sorted(m["Body"] for m in got["Messages"])]
    for queue_url, name in ((url, "q"), (fifo, "f.fifo"), (dlq, "dlq")):
        answer = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["All"])
        attributes = answer["Attributes"]
        for stamp in ("CreatedTimestamp", "LastModifiedTimestamp", "QueueArn"):
            attributes.pop(stamp)
        answers.append(attributes)
        own = dict(queues[name].attributes)  # the property itself, as moto's code reads it
        own.pop("CreatedTimestamp"), own.pop("LastModifiedTimestamp")
        answers.append(own)
    return answers


def _backend_queues() -> dict[str, Any]:
    from moto.sqs.models import sqs_backends

    queues: dict[str, Any] = sqs_backends[DEFAULT_ACCOUNT_ID][REGION].queues
    return queues


def test_sqs_queue_attributes_are_moto_s_own() -> None:
    plain, light = both(_queue_states)
    assert light == plain
    q = plain[3]  # the property: numbers (the API answers text)
    assert (q["ApproximateNumberOfMessages"], q["ApproximateNumberOfMessagesDelayed"],
            q["ApproximateNumberOfMessagesNotVisible"]) == (1, 2, 3)  # fmt: skip
    assert plain[4]["ContentBasedDeduplication"] == "true"
    assert plain[4]["ApproximateNumberOfMessages"] == "1"


def _retention() -> list[Any]:
    sqs = boto3.client("sqs", region_name=REGION)
    url = sqs.create_queue(QueueName="r", Attributes={"MessageRetentionPeriod": "60"})[
        "QueueUrl"]  # fmt: skip
    sqs.send_message(QueueUrl=url, MessageBody="old")
    sqs.send_message(QueueUrl=url, MessageBody="new")
    old = next(m for m in _backend_queues()["r"]._messages if m.body == "old")
    old.sent_timestamp -= 61_000  # sent 61 s ago: past the retention period
    first = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    second = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    return [[m["Body"] for m in first], [m["Body"] for m in second]]


def test_sqs_retention_is_moto_s_own() -> None:
    plain, light = both(_retention)
    assert light == plain
    assert "old" not in [body for answer in plain for body in answer]


# ---- update expressions: the checks kept, the tree copied --------------------------------


def _updates() -> list[Any]:
    """The same texts with names that make them valid or not, in both orders, each twice
    (the second time from the checks kept); the item after each."""
    client = boto3.client("dynamodb", region_name=REGION)
    _ranged_table(client)
    key = {"pk": {"S": "p"}, "sk": {"S": "a"}}
    one = {":one": {"N": "1"}}
    attempts: list[tuple[str, dict[str, str]]] = [
        ("ADD #a :one, #b :one", {"#a": "n", "#b": "m"}),
        ("ADD #a :one, #b :one", {"#a": "n", "#b": "n"}),  # overlapping paths
        ("ADD #a :one, #b :one", {"#a": "n", "#b": "m"}),
        ("SET #k = :one", {"#k": "other"}),
        ("SET #k = :one", {"#k": "sk"}),  # a key attribute
        ("SET #k = :one", {"#k": "pk"}),
        ("ADD #a :one ADD #b :one", {"#a": "n", "#b": "m"}),  # two ADD clauses
        ("SET #a = #a + :one", {"#a": "n"}),  # reads the item: checked every time
    ]
    outcomes: list[Any] = []
    for expression, names in attempts:
        for _ in range(2):
            try:
                client.update_item(TableName="t", Key=key, UpdateExpression=expression,
                                   ExpressionAttributeNames=names, ExpressionAttributeValues=one)  # fmt: skip
                outcomes.append(_strip(client.get_item(TableName="t", Key=key))["Item"])
            except client.exceptions.ClientError as error:
                outcomes.append(str(error))
    return outcomes


def test_update_checks_kept_answer_as_moto_s_own() -> None:
    plain, light = both(_updates)
    assert light == plain
    assert plain[0]["n"] == {"N": "1"} and plain[5]["n"] == {"N": "4"}  # applied each time
    assert "overlap" in plain[2].lower() and "overlap" in plain[3].lower()
    assert all("key" in plain[i].lower() for i in (8, 9, 10, 11))
    assert "ADD" in plain[12] and plain[15]["n"] == {"N": "6"}


def test_a_copied_expression_tree_is_moto_s_deep_copy() -> None:
    import copy

    from moto.dynamodb.parsing.ast_nodes import Node  # type: ignore[attr-defined]
    from moto.dynamodb.parsing.expressions import UpdateExpressionParser  # type: ignore[attr-defined]

    tree = UpdateExpressionParser.make(
        "SET a.b[1] = if_not_exists(c, :z) + :one REMOVE d ADD #e :s"
    )

    def shape(node: Any, parent: Any) -> Any:
        if not isinstance(node, Node):
            return node
        assert node.parent is parent
        return (type(node).__name__, node.type, [shape(c, node) for c in node.children or []])

    def nodes(node: Any) -> list[int]:
        kids = node.children or [] if isinstance(node, Node) else []
        return [id(node), *(i for c in kids if isinstance(c, Node) for i in nodes(c))]

    light = aws._clone(tree)
    assert shape(light, None) == shape(copy.deepcopy(tree), None) == shape(tree, None)
    assert not set(nodes(light)) & set(nodes(tree))  # nothing shared with the original
    assert aws._clone("text") == "text"


# ---- requests: routed once, unsigned ------------------------------------------------------


def _requests() -> list[Any]:
    """Services by host and by path (S3 keys), across regions; who moto says is calling."""
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket="routes")
    for key in ("a", "déjà vu/1.json", "a b?c", "a"):
        s3.put_object(Bucket="routes", Key=key, Body=key.encode())
    answers: list[Any] = [s3.get_object(Bucket="routes", Key="déjà vu/1.json")["Body"].read(),
                          [o["Key"] for o in s3.list_objects_v2(Bucket="routes")["Contents"]]]  # fmt: skip
    for region in (REGION, "eu-west-1", REGION):
        sqs = boto3.client("sqs", region_name=region)
        url = sqs.create_queue(QueueName="q")["QueueUrl"]
        answers.append(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"]))
    answers.append(boto3.client("sts", region_name=REGION).get_caller_identity()["Account"])
    answers.append(boto3.client("sns", region_name="eu-west-1").create_topic(Name="t")["TopicArn"])
    return [_strip(a) for a in answers]


def test_requests_are_routed_and_answered_as_moto_does() -> None:
    plain, light = both(_requests)
    assert light == plain
    assert plain[1] == ["a", "a b?c", "déjà vu/1.json"]
    assert "eu-west-1" in plain[3]["Attributes"]["QueueArn"] and plain[5] == DEFAULT_ACCOUNT_ID


def test_requests_are_signed_with_zeros_but_presigned_urls_are_botocore_s() -> None:
    seen: list[str] = []
    with local_aws():
        client = boto3.client("dynamodb", region_name=REGION)
        client.meta.events.register(
            "before-send",
            lambda request, **_: seen.append(request.headers["Authorization"].decode()),
        )
        client.list_tables()
        s3 = boto3.client("s3", region_name=REGION, config=Config(signature_version="s3v4"))
        url = s3.generate_presigned_url("get_object", Params={"Bucket": "b", "Key": "k"})
    assert seen and seen[0].endswith("Signature=" + "0" * 64)
    assert f"/{REGION}/dynamodb/aws4_request" in seen[0]
    signature = url.split("X-Amz-Signature=")[1]
    assert signature.strip("0") and len(signature) == 64


def test_request_ids_and_receipt_handles_are_drawn_as_moto_draws_them() -> None:
    """The same lengths and alphabets as moto's, from moto's generator: seeded, the same
    strings again."""
    import string

    from moto.moto_api._internal import mock_random
    from moto.sqs import models as sqs_models

    def drawn() -> list[str]:
        mock_random.seed(7)
        return [mock_random.get_random_string(52), mock_random.get_random_string(8, False, True),
                sqs_models.generate_receipt_handle()]  # fmt: skip

    plain = drawn()
    with lighter_moto():
        light, again = drawn(), drawn()
    assert light == again and light != plain
    for ours, theirs in zip(light, plain, strict=True):
        assert len(ours) == len(theirs)
    assert set(light[0]) <= set(string.ascii_letters + string.digits)
    assert set(light[1]) <= set(string.ascii_lowercase) and set(light[2]) <= set(
        string.ascii_lowercase
    )


def test_json_errors_are_moto_s_own() -> None:
    """The same error, body and headers, without the XML moto writes first and replaces."""
    from moto.dynamodb import exceptions
    from moto.secretsmanager.exceptions import SecretNotFoundException

    def made() -> list[Any]:
        errors = [exceptions.ProvidedKeyDoesNotExist(), exceptions.ConditionalCheckFailed(),
                  exceptions.ResourceNotFoundException(), SecretNotFoundException()]  # fmt: skip
        return [(type(e), e.code, e.error_type, e.message, e.description, e.content_type,
                 e.get_body(), e.get_headers(), str(e)) for e in errors]  # fmt: skip

    plain = made()
    with lighter_moto():
        assert made() == plain


def _index_pages() -> list[Any]:
    """An index queried page by page (a count and a size limit), items of several sizes,
    some without the index's keys, and an update between two pages."""
    client = boto3.client("dynamodb", region_name=REGION)
    client.create_table(
        TableName="q", BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": a, "AttributeType": "S"} for a in ("pk", "sk", "q", "due")],
        GlobalSecondaryIndexes=[{"IndexName": "due", "Projection": {"ProjectionType": "ALL"},
                                 "KeySchema": [{"AttributeName": "q", "KeyType": "HASH"},
                                               {"AttributeName": "due", "KeyType": "RANGE"}]}],
    )  # fmt: skip
    for i in range(40):
        item = {"pk": {"S": f"p{i % 7}"}, "sk": {"S": f"s{i:03d}"}, "text": {"S": "x" * (i * 997)},
                "n": {"N": str(i)}}  # fmt: skip
        if i % 5:
            item |= {"q": {"S": "due"}, "due": {"S": f"2027-01-{1 + i % 28:02d}"}}
        client.put_item(TableName="q", Item=item)
    pages: list[Any] = []
    kwargs: dict[str, Any] = {"TableName": "q", "IndexName": "due", "Limit": 6,
                              "KeyConditionExpression": "q = :q AND due <= :now",
                              "ExpressionAttributeValues": {":q": {"S": "due"}, ":now": {"S": "2027-01-20"}}}  # fmt: skip
    while True:
        page = client.query(**kwargs)
        pages.append(_strip(page))
        if len(pages) == 2:
            client.update_item(TableName="q", Key={"pk": {"S": "p1"}, "sk": {"S": "s001"}},
                               UpdateExpression="SET #t = :t", ExpressionAttributeNames={"#t": "text"},
                               ExpressionAttributeValues={":t": {"S": "y" * 5000}})  # fmt: skip
        if "LastEvaluatedKey" not in page:
            return pages
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def test_index_queries_page_as_moto_pages_them() -> None:
    plain, light = both(_index_pages)
    assert light == plain and len(plain) > 2
