"""Provision the durable resources of ``build/serverless/resources.json`` into an AWS
endpoint (moto in-process under ``socialops simulate`` and in tests).

Only what the functions use at run time is created: DynamoDB tables, SQS queues (with
their redrive policies), SNS topics and the S3 bucket, from the same CloudFormation
properties the stack deploys; and the data lake's Glue database and tables (nothing runs
Athena locally, but the catalog then matches the stack's). IAM roles and policies, and
e-mail subscriptions, are not needed locally. Physical names are
``socialops-<stage>-<LogicalId>``; the Glue database is ``socialops_<stage>``, as the
stack names it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from infra.stack import ENVIRONMENT

Json = dict[str, Any]


@dataclass(frozen=True)
class Provisioned:
    """What was created: physical ids by logical id, and ARNs for ``Fn::GetAtt``; the
    stack's name (``socialops-<stage>``), region and account, for the pseudo parameters."""

    refs: dict[str, str]  # table name, queue URL, topic ARN, bucket name
    arns: dict[str, str]
    stack: str
    region: str
    account: str

    def resolve(self, value: Any, strict: bool = True) -> Any:
        """``value`` with the intrinsics worked out as CloudFormation would: ``Ref`` (a
        resource or a pseudo parameter), ``Fn::GetAtt`` (``Arn``), ``Fn::Sub``,
        ``Fn::Join`` and ``Fn::Split``. A resource that was not created is a KeyError, or
        with ``strict`` False a name no call has (``unresolved:<id>``: the IAM roles name
        resources the simulation need not create)."""
        if isinstance(value, list):
            return [self.resolve(v, strict) for v in value]
        if not isinstance(value, dict):
            return value
        if set(value) == {"Ref"}:
            return self._named(self.refs, value["Ref"], strict)
        if set(value) == {"Fn::GetAtt"}:
            logical, attribute = value["Fn::GetAtt"]
            return self._named(self.arns, logical, strict, f".{attribute}")
        if set(value) == {"Fn::Join"}:
            separator, parts = value["Fn::Join"]
            return separator.join(str(p) for p in self.resolve(parts, strict))
        if set(value) == {"Fn::Split"}:
            separator, text = value["Fn::Split"]
            return str(self.resolve(text, strict)).split(separator)
        if set(value) == {"Fn::Sub"}:

            def sub(match: re.Match[str]) -> str:
                name = match.group(1)
                if name.endswith(".Arn"):
                    return str(self._named(self.arns, name[:-4], strict, ".Arn"))
                return str(self._named(self.refs, name, strict))

            return re.sub(r"\$\{([^}!]+)\}", sub, value["Fn::Sub"])
        return {k: self.resolve(v, strict) for k, v in value.items()}

    def _named(self, known: Mapping[str, str], logical: str, strict: bool, attribute: str = "") -> str:  # fmt: skip
        pseudo = {"AWS::Partition": "aws", "AWS::Region": self.region, "AWS::AccountId": self.account,
                  "AWS::StackName": self.stack, "AWS::URLSuffix": "amazonaws.com"}  # fmt: skip
        if not attribute and logical in pseudo:
            return pseudo[logical]
        if logical in known or strict:
            return known[logical]
        return f"unresolved:{logical}{attribute}"

    def environment(self) -> dict[str, str]:
        """The functions' environment variables, resolved as CloudFormation would."""
        env: dict[str, str] = {}
        for name, value in ENVIRONMENT.items():
            if not isinstance(value, dict):  # a serverless.yml param (generate's model): unset
                continue
            logical = value.get("Ref")
            if logical in self.refs:
                env[name] = self.refs[logical]
            attribute = value.get("Fn::GetAtt") or ["", ""]
            if attribute[1] == "Arn" and attribute[0] in self.arns:
                env[name] = self.arns[attribute[0]]
        return env


def _table(dynamodb: Any, name: str, props: Json) -> str:
    indexes = props.get("GlobalSecondaryIndexes")
    dynamodb.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=props["AttributeDefinitions"],
        KeySchema=props["KeySchema"],
        **({"GlobalSecondaryIndexes": indexes} if indexes else {}),
    )
    return name


def _queue(sqs: Any, name: str, props: Json, arns: dict[str, str]) -> tuple[str, str]:
    attributes = {"MessageRetentionPeriod": str(props.get("MessageRetentionPeriod", 345600)),
                  "VisibilityTimeout": str(props.get("VisibilityTimeout", 30))}  # fmt: skip
    redrive = props.get("RedrivePolicy")
    if redrive:
        target = redrive["deadLetterTargetArn"]["Fn::GetAtt"][0]
        attributes["RedrivePolicy"] = json.dumps(
            {"deadLetterTargetArn": arns[target], "maxReceiveCount": redrive["maxReceiveCount"]}
        )
    url: str = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    arn: str = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    return url, arn


def _client(clients: dict[str, Any], service: str) -> Any:
    """The caller's client of ``service``, or one in the region of its S3 client."""
    if service not in clients:
        import boto3

        clients[service] = boto3.client(service, region_name=clients["s3"].meta.region_name)
    return clients[service]


def _order(resources: Json) -> list[str]:
    """Queues without a redrive policy first (a queue's dead-letter queue must exist), and
    the Glue tables last (their database and bucket must exist)."""

    def rank(logical: str) -> tuple[int, str]:
        resource = resources[logical]
        if resource["Type"] == "AWS::Glue::Table":
            return 2, logical
        return int("RedrivePolicy" in resource.get("Properties", {})), logical

    return sorted(resources, key=rank)


def provision(resources_file: Path, stage: str, clients: dict[str, Any]) -> Provisioned:
    """Create the resources; ``clients`` holds boto3 clients for dynamodb, sqs, sns, s3
    (and glue and sts; without them, clients in the S3 client's region are made)."""
    resources: Json = json.loads(resources_file.read_text())["Resources"]
    clients = dict(clients)  # _client may add some: the caller's dict stays as it was
    region = clients["dynamodb"].meta.region_name
    account = _client(clients, "sts").get_caller_identity()["Account"]
    made = Provisioned({}, {}, f"socialops-{stage}", region, account)
    refs, arns = made.refs, made.arns  # filled as the resources are created
    order = _order(resources)
    for logical in order:
        kind, props = resources[logical]["Type"], resources[logical].get("Properties", {})
        name = f"socialops-{stage}-{logical}"
        if kind == "AWS::DynamoDB::Table":
            refs[logical] = _table(clients["dynamodb"], name, props)
            arns[logical] = f"arn:aws:dynamodb:{region}:{account}:table/{name}"
        elif kind == "AWS::SQS::Queue":
            refs[logical], arns[logical] = _queue(clients["sqs"], name, props, arns)
        elif kind == "AWS::SNS::Topic":
            arn = clients["sns"].create_topic(Name=name)["TopicArn"]
            refs[logical] = arns[logical] = arn
        elif kind == "AWS::S3::Bucket":
            clients["s3"].create_bucket(Bucket=name.lower())
            refs[logical] = name.lower()
            arns[logical] = f"arn:aws:s3:::{name.lower()}"
        elif kind == "AWS::Glue::Database":
            database = made.resolve(props["DatabaseInput"])
            database["Name"] = database["Name"].lower()  # Glue folds names to lower case
            _client(clients, "glue").create_database(DatabaseInput=database)
            refs[logical] = database["Name"]
        elif kind == "AWS::Glue::Table":
            database = made.resolve(props["DatabaseName"])
            table = made.resolve(props["TableInput"])
            _client(clients, "glue").create_table(DatabaseName=database, TableInput=table)
            refs[logical] = table["Name"]
    return made
