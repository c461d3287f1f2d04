"""`socialops simulate` checks every AWS call a function makes against that function's role
(infra/simulate/iam.py): moto answers every caller, AWS does not. The roles are the
compiled stack's (infra/roles.py), resolved to the resources the simulation provisions."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from infra import roles
from infra.cli import main
from infra.simulate import iam
from infra.simulate.iam import Checker, Need, Role, Where, acting_as, enforced, needs
from infra.simulate.provision import Provisioned

ROOT = Path(__file__).resolve().parents[2]
REGION, ACCOUNT = "us-east-1", "123456789012"
TABLE = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/"
WHERE = Where(REGION, ACCOUNT, {"records": "pk", "records/index/Due": "queue", "buckets": "pk"})


# ---- what a call needs --------------------------------------------------------------------


def test_a_transaction_needs_each_items_own_action_on_its_table() -> None:
    found = needs("dynamodb", "TransactWriteItems", {"TransactItems": [
        {"Put": {"TableName": "buckets", "Item": {"pk": {"S": "mention#a"}, "sk": {"S": "1"}}}},
        {"Update": {"TableName": "buckets", "Key": {"pk": {"S": "late#a"}, "sk": {"S": "late"}},
                    "UpdateExpression": "ADD #m :one SET expires_at = :e",
                    "ExpressionAttributeNames": {"#m": "late:2027-01-18T03:05Z"}}},
        {"ConditionCheck": {"TableName": "records", "Key": {"pk": {"S": "p"}},
                            "ConditionExpression": "attribute_not_exists(pk)"}},
    ]}, WHERE)  # fmt: skip
    assert [(n.action, n.resource, n.leading) for n in found] == [
        ("dynamodb:PutItem", TABLE + "buckets", ("mention#a",)),
        ("dynamodb:UpdateItem", TABLE + "buckets", ("late#a",)),
        ("dynamodb:ConditionCheckItem", TABLE + "records", ("p",)),
    ]
    # the attributes a write names: its key, its update's and its condition's paths
    assert found[1].attributes == ("expires_at", "late:2027-01-18T03:05Z", "pk", "sk")
    assert found[2].attributes == ("pk",)


def test_reads_batches_and_queries_name_their_tables_indexes_and_keys() -> None:
    batch = needs("dynamodb", "BatchGetItem", {"RequestItems": {"buckets": {"Keys": [
        {"pk": {"S": "bucket#a"}, "sk": {"S": "1"}}, {"pk": {"S": "late#a"}, "sk": {"S": "late"}}]}}},
        WHERE)  # fmt: skip
    assert {(n.action, n.leading) for n in batch} == {("dynamodb:BatchGetItem", ("bucket#a",)),
                                                      ("dynamodb:BatchGetItem", ("late#a",))}  # fmt: skip
    # a read without a projection reads every attribute
    assert all(iam.ALL_ATTRIBUTES in n.attributes for n in batch)
    [query] = needs("dynamodb", "Query", {"TableName": "records", "IndexName": "Due",
                    "KeyConditionExpression": "#q = :q AND due_at <= :now",
                    "ExpressionAttributeNames": {"#q": "queue"},
                    "ExpressionAttributeValues": {":q": {"S": "due"}, ":now": {"S": "x"}}}, WHERE)  # fmt: skip
    assert (query.resource, query.leading) == (TABLE + "records/index/Due", ("due",))
    # a boto3.resource table's parameters as this sees them: already serialized
    [get] = needs("dynamodb", "GetItem", {"TableName": "records", "Key": {"pk": {"S": "c#p"}},
                                          "ProjectionExpression": "#s, placed_at",
                                          "ExpressionAttributeNames": {"#s": "status"}}, WHERE)  # fmt: skip
    assert get.leading == ("c#p",) and get.attributes == ("pk", "placed_at", "status")


def test_other_services_name_their_resources_as_iam_does() -> None:
    def one(service: str, op: str, params: dict[str, Any]) -> list[tuple[str, str]]:
        return [(n.action, n.resource) for n in needs(service, op, params, WHERE)]

    assert one("s3", "ListObjectsV2", {"Bucket": "b", "Prefix": "scored/"}) == [("s3:ListBucket", "arn:aws:s3:::b")]  # fmt: skip
    assert one("s3", "HeadObject", {"Bucket": "b", "Key": "media/x.png"}) == [("s3:GetObject", "arn:aws:s3:::b/media/x.png")]  # fmt: skip
    assert one("s3", "CopyObject", {"Bucket": "b", "Key": "k2", "CopySource": {"Bucket": "a", "Key": "k1"}}) == [
        ("s3:GetObject", "arn:aws:s3:::a/k1"), ("s3:PutObject", "arn:aws:s3:::b/k2")]  # fmt: skip
    url = f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/mentions"
    assert one("sqs", "SendMessageBatch", {"QueueUrl": url, "Entries": []}) == [
        ("sqs:SendMessage", f"arn:aws:sqs:{REGION}:{ACCOUNT}:mentions")]  # fmt: skip
    # a secret named by its name: its ARN ends in "-" and six characters
    [(_, secret)] = one("secretsmanager", "GetSecretValue", {"SecretId": "socialops/openai"})
    assert secret.startswith(f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:socialops/openai-")
    assert len(secret.rsplit("-", 1)[1]) == 6
    assert one("scheduler", "CreateSchedule", {"Name": "n", "GroupName": "g", "Target": {"RoleArn": "arn:aws:iam::1:role/r"}}) == [
        ("scheduler:CreateSchedule", f"arn:aws:scheduler:{REGION}:{ACCOUNT}:schedule/g/n"),
        ("iam:PassRole", "arn:aws:iam::1:role/r")]  # fmt: skip
    assert one("lambda", "Invoke", {"FunctionName": "socialops-dev-generate"}) == [
        ("lambda:InvokeFunction", f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:socialops-dev-generate")]  # fmt: skip
    assert one("sts", "GetCallerIdentity", {}) == []


# ---- the evaluation -----------------------------------------------------------------------


def role(*statements: dict[str, Any]) -> Role:
    return Role("f", "socialops-dev-f-role", [dict(s) for s in statements])


def test_an_allow_must_match_action_resource_and_conditions() -> None:
    marks = role({**roles.allow(["dynamodb:UpdateItem"], [TABLE + "buckets"]),
                  "Condition": {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["late#*"]}}})  # fmt: skip
    assert marks.decide(Need("dynamodb:UpdateItem", TABLE + "buckets", ("late#a",))) is None
    assert (
        marks.decide(Need("dynamodb:updateitem", TABLE + "buckets", ("late#a",))) is None
    )  # actions: any case
    refused = marks.decide(Need("dynamodb:UpdateItem", TABLE + "buckets", ("bucket#a",)))
    assert refused == "because no identity-based policy allows the dynamodb:UpdateItem action"
    assert marks.decide(Need("dynamodb:PutItem", TABLE + "buckets", ("late#a",))) is not None
    assert marks.decide(Need("dynamodb:UpdateItem", TABLE + "buckets2", ("late#a",))) is not None
    # IAM's ForAllValues holds for an empty set (a call without leading keys)
    assert marks.decide(Need("dynamodb:UpdateItem", TABLE + "buckets")) is None


def test_attributes_wildcards_denies_and_unknown_conditions() -> None:
    drafts = role({**roles.allow("dynamodb:UpdateItem", TABLE + "incidents"),
                   "Condition": {"ForAllValues:StringEquals": {"dynamodb:Attributes": ["pk", "sk", "draft"]}}})  # fmt: skip
    assert drafts.decide(Need("dynamodb:UpdateItem", TABLE + "incidents", (), ("draft", "pk", "sk"))) is None  # fmt: skip
    assert drafts.decide(Need("dynamodb:UpdateItem", TABLE + "incidents", (), ("pk", "sk", "status"))) is not None  # fmt: skip
    secrets = role(roles.allow("secretsmanager:GetSecretValue", "arn:aws:secretsmanager:*:*:secret:socialops/openai-??????"))  # fmt: skip
    assert secrets.decide(Need("secretsmanager:GetSecretValue", "arn:aws:secretsmanager:r:1:secret:socialops/openai-AbCdEf")) is None  # fmt: skip
    assert secrets.decide(Need("secretsmanager:GetSecretValue", "arn:aws:secretsmanager:r:1:secret:socialops/openai-key-AbCdEf")) is not None  # fmt: skip
    denied = role(roles.allow("s3:*", "*"), {"Effect": "Deny", "Action": ["s3:PutObject"], "Resource": ["arn:aws:s3:::b/raw/*"]})  # fmt: skip
    assert denied.decide(Need("s3:GetObject", "arn:aws:s3:::b/raw/x")) is None
    assert denied.decide(Need("s3:PutObject", "arn:aws:s3:::b/raw/x")) == "with an explicit deny in an identity-based policy"  # fmt: skip
    unknown = role({**roles.allow("s3:GetObject", "*"), "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}})  # fmt: skip
    assert unknown.decide(Need("s3:GetObject", "arn:aws:s3:::b/k")) is not None  # allows nothing


def test_the_roles_intrinsics_resolve_to_the_simulations_resources() -> None:
    names = Provisioned({"AlertsTopic": "arn:aws:sns:r:1:t"},
                        {"Bucket": "arn:aws:s3:::bkt", "Records": TABLE + "records"},
                        "socialops-local", REGION, ACCOUNT)  # fmt: skip
    assert names.resolve({"Fn::Join": ["", [{"Fn::GetAtt": ["Bucket", "Arn"]}, "/raw/*"]]}) == "arn:aws:s3:::bkt/raw/*"  # fmt: skip
    assert names.resolve({"Fn::Sub": "${Records.Arn}/index/Due"}) == TABLE + "records/index/Due"
    assert names.resolve({"Fn::Sub": "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:${AWS::StackName}-generate"}) == (
        f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:socialops-local-generate")  # fmt: skip
    assert names.resolve({"Ref": "AlertsTopic"}) == "arn:aws:sns:r:1:t"
    # a role's resource the simulation did not create matches no call; provisioning needs it
    assert names.resolve({"Ref": "Missing"}, strict=False).startswith("unresolved:")
    with pytest.raises(KeyError):
        names.resolve({"Fn::Join": ["", [{"Ref": "Missing"}]]})
    assert names.resolve({"Fn::Split": [",", {"Ref": "AWS::StackName"}]}) == ["socialops-local"]


# ---- against moto, with the examples' compiled stack ----------------------------------------


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("build")
    assert main(["compile", str(ROOT / "campaigns"), "--out", str(out), "--no-cache",
                 "--now", "2026-12-01T00:00Z"]) == 0  # fmt: skip
    return out


@pytest.fixture
def stack(build: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Checker, dict[str, str]]]:
    from infra.simulate.provision import provision

    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_DEFAULT_REGION": REGION}.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    with mock_aws():
        clients = {s: boto3.client(s, region_name=REGION) for s in ("dynamodb", "sqs", "sns", "s3")}
        made = provision(build / "serverless" / "resources.json", "local", clients)
        checker = Checker.of_build(build, made)
        with enforced(checker):
            yield checker, made.environment()


def test_every_statement_of_the_examples_roles_resolves(stack: tuple[Checker, dict[str, str]]) -> None:  # fmt: skip
    checker, _ = stack
    assert set(checker.roles) == {"alert", "generate", "ingest", "optimize", "publish", "score"}
    text = json.dumps([r.statements for r in checker.roles.values()])
    assert "unresolved:" not in text and "Fn::" not in text and '"Ref"' not in text
    for role_ in checker.roles.values():  # every condition the stack uses is understood
        for statement in role_.statements:
            iam._check_condition(statement.get("Condition") or {})


def test_a_call_the_role_does_not_grant_is_refused_as_aws_refuses_it(stack: tuple[Checker, dict[str, str]]) -> None:  # fmt: skip
    checker, env = stack
    dynamodb, s3 = boto3.client("dynamodb"), boto3.client("s3")
    bucket, buckets = env["RAW_MENTIONS_BUCKET"], env["MENTION_BUCKETS_TABLE"]
    s3.put_object(
        Bucket=bucket, Key="scored/x.jsonl", Body=b"{}\n"
    )  # the simulation's own: not checked
    with acting_as("score"), pytest.raises(ClientError) as refused:
        s3.get_object(
            Bucket=bucket, Key="scored/x.jsonl"
        )  # score writes scored objects, never reads them
    assert refused.value.response["Error"]["Code"] == "AccessDenied"
    assert (f"assumed-role/socialops-local-score-role/socialops-local-score is not authorized to perform: "
            f"s3:GetObject on resource: arn:aws:s3:::{bucket}/scored/x.jsonl") in str(refused.value)  # fmt: skip
    with acting_as("alert"):  # alert may read what score wrote
        assert s3.get_object(Bucket=bucket, Key="scored/x.jsonl")["Body"].read() == b"{}\n"
        # alert writes the buckets table's late items only
        dynamodb.update_item(TableName=buckets, Key={"pk": {"S": "late#aerolite"}, "sk": {"S": "late"}},
                             UpdateExpression="REMOVE #m", ExpressionAttributeNames={"#m": "late:x"})  # fmt: skip
        with pytest.raises(dynamodb.exceptions.ClientError) as bucket_write:
            dynamodb.update_item(TableName=buckets, Key={"pk": {"S": "bucket#aerolite"}, "sk": {"S": "x"}},
                                 UpdateExpression="ADD n :one", ExpressionAttributeValues={":one": {"N": "1"}})  # fmt: skip
    assert bucket_write.value.response["Error"]["Code"] == "AccessDeniedException"
    assert checker.refusals == 2 and checker.denied[0].startswith(
        "score GetObject: User: arn:aws:sts::"
    )
    assert "dynamodb:UpdateItem on resource: arn:aws:dynamodb:us-east-1:123456789012:table/" in checker.denied[1]  # fmt: skip
    # the item was never written: a refused call reaches no service
    assert "Item" not in dynamodb.get_item(TableName=buckets, Key={"pk": {"S": "bucket#aerolite"}, "sk": {"S": "x"}})  # fmt: skip


def test_a_missing_object_is_forbidden_to_a_role_that_may_not_list(stack: tuple[Checker, dict[str, str]]) -> None:  # fmt: skip
    checker, env = stack
    s3, bucket = boto3.client("s3"), env["RAW_MENTIONS_BUCKET"]
    with acting_as("optimize"), pytest.raises(s3.exceptions.NoSuchKey):  # it may list: 404
        s3.get_object(Bucket=bucket, Key="models/none.json")
    checker.roles["reader"] = role(roles.allow("s3:GetObject", f"arn:aws:s3:::{bucket}/*"))
    with acting_as("reader"), pytest.raises(ClientError) as forbidden:
        s3.get_object(Bucket=bucket, Key="models/none.json")
    assert forbidden.value.response["Error"]["Code"] == "AccessDenied"
    assert "s3:ListBucket" in str(forbidden.value)


def test_each_handler_runs_as_its_function_within_and_as_it_was_after(build: Path) -> None:
    from functions.alert import handler as alert_handler

    before = alert_handler.handler
    checker = Checker.of_build(build, Provisioned({}, {}, "socialops-local", REGION, ACCOUNT))
    seen: list[str | None] = []
    with enforced(checker):
        assert iam.ACTIVE.get() is checker and alert_handler.handler is not before
        assert alert_handler.handler.__wrapped__ is before  # type: ignore[attr-defined]
        iam._as_function("alert", lambda event, context: seen.append(iam.ACTING.get()))({}, None)
    assert seen == ["alert"] and iam.ACTING.get() is None
    assert alert_handler.handler is before and iam.ACTIVE.get() is None


def test_the_event_source_mapping_needs_score_to_poll_the_queue(stack: tuple[Checker, dict[str, str]]) -> None:  # fmt: skip
    checker, _ = stack
    queue = f"arn:aws:sqs:{REGION}:{ACCOUNT}:socialops-local-MentionsQueue"
    checker.mapping("score", queue)
    assert checker.refusals == 0
    checker.mapping("alert", queue)  # alert's role cannot poll it: Lambda would not map it
    assert checker.refusals == len(iam.MAPPING_ACTIONS)
    assert checker.denied[0].startswith("alert CreateEventSourceMapping: the execution role cannot perform: sqs:ReceiveMessage")  # fmt: skip


# ---- a simulation ---------------------------------------------------------------------------


def test_a_grant_missing_from_a_role_fails_the_simulation(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the grant of its raw pages, every ingest run is refused where moto alone
    would have answered: the simulation says so and is not ok (its command exits 1)."""
    from infra.simulate.run import simulate

    ingest = [s for s in roles.ACCESS["ingest"] if s["Resource"] != roles._objects("raw/")]
    assert len(ingest) == len(roles.ACCESS["ingest"]) - 1
    monkeypatch.setitem(roles.ACCESS, "ingest", ingest)
    monkeypatch.chdir(ROOT)
    result = simulate(["campaigns/"], 1, 1, datetime(2027, 1, 18, tzinfo=UTC), 0.0, crisis=None)
    assert result.iam["refused"] > 0 and not result.ok
    assert all(d.startswith("ingest PutObject: ") and "s3:PutObject on resource: arn:aws:s3:::socialops-local-rawmentionsbucket/raw/" in d
               for d in result.iam["denied"])  # fmt: skip
    assert result.listening is not None and result.listening.problems  # the runs failed
