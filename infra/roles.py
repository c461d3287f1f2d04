"""One IAM role per function, with only the actions and resources that function uses
(least privilege): ``ingest`` cannot delete a publish record, ``score`` reads no secret,
``alert`` may read the Slack webhooks its campaigns name but no account token, and only
the functions that refresh platform tokens (``publish``, ``ingest``) may write a secret,
and ``generate`` reads and drafts only the incident records of the alerts table (their
``incident#`` keys, the ``draft_`` attributes) and the one secret of the OpenAI key.

Each role is a resource of the compiled stack (``<Function>FunctionRole``), named by the
function's ``role`` in ``functions.json``; serverless then makes no shared role. The
secrets and topics that campaigns name are granted in managed policies attached to the
roles that use them (a role's inline policies share one size limit). The tests lint every
policy with parliament, offline.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from functions.common import readback
from functions.generate.drafting import DRAFT_ATTRIBUTES, OPENAI_SECRET
from schema.documents import RuntimeConfig

Json = dict[str, Any]

# Secrets Manager appends "-" and six random characters to the name of a secret.
SECRET_ARN = "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:"
SECRETS_PER_POLICY = 40  # a managed policy holds 6,144 characters
MAX_POLICIES = 9  # managed policies per role: 10 by default, one kept spare
SCHEDULER_ROLE_NAME = "${AWS::StackName}-scheduler-publish"  # at most 64: a stage of 18
SCHEDULER_ROLE_ARN = "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/" + SCHEDULER_ROLE_NAME
TOKEN_READ = ["secretsmanager:GetSecretValue"]
TOKEN_REFRESH = ["secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue"]

READ = ["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query"]
WRITE = ["dynamodb:PutItem", "dynamodb:UpdateItem"]


class StackLimitError(ValueError):
    """The campaigns compile into more than one stack can hold."""


def allow(action: str | list[str], resource: Any) -> Json:
    return {"Effect": "Allow", "Action": action, "Resource": resource}


def document(*statements: Json) -> Json:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def _arn(logical: str) -> Json:
    return {"Fn::GetAtt": [logical, "Arn"]}


def _objects(prefix: str) -> Json:
    return {"Fn::Join": ["", [_arn("RawMentionsBucket"), f"/{prefix}*"]]}


def _function(name: str) -> Json:
    """A function of this stack (serverless names it ``<stack>-<function>``)."""
    return {"Fn::Sub": "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:"
                       f"function:${{AWS::StackName}}-{name}"}  # fmt: skip


def _leading_keys(statement: Json, attributes: tuple[str, ...] = (), prefix: str = "incident#") -> Json:  # fmt: skip
    """``statement`` on the items whose partition keys start ``prefix`` only (the alerts
    table's incident records by default), and with ``attributes`` on those attributes only."""
    condition: Json = {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": [f"{prefix}*"]}}
    if attributes:
        condition["ForAllValues:StringEquals"] = {"dynamodb:Attributes": list(attributes)}
    return {**statement, "Condition": condition}


def _logs(function: str) -> Json:
    group = "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:"
    return allow(["logs:CreateLogStream", "logs:PutLogEvents"],
                 {"Fn::Sub": f"{group}/aws/lambda/${{AWS::StackName}}-{function}:*"})  # fmt: skip


# What each function does with the stack's own resources (ARCHITECTURE.md 1): its tables,
# queues, topics, objects, and for publish its late retries' schedules.
ACCESS: dict[str, list[Json]] = {
    "ingest": [
        # its cursors; the read-back's daily markers, many keys a BatchGetItem
        allow(["dynamodb:GetItem", "dynamodb:BatchGetItem", *WRITE], _arn("IngestCursorsTable")),
        # the engagement read-back: the due posts (the index), their latest reading
        allow("dynamodb:Query", {"Fn::Sub": "${PublishRecordsTable.Arn}/index/" + readback.INDEX}),
        allow("dynamodb:UpdateItem", _arn("PublishRecordsTable")),
        allow("sqs:SendMessage", _arn("MentionsQueue")),
        allow("s3:PutObject", _objects("raw/")),
        allow("s3:PutObject", _objects("engagement/")),
        allow("s3:PutObject", _objects("followers/")),
    ],
    "score": [
        allow(
            ["dynamodb:GetItem", *WRITE, "dynamodb:ConditionCheckItem"], _arn("MentionBucketsTable")
        ),
        allow(
            [
                "sqs:ReceiveMessage",
                "sqs:DeleteMessage",
                "sqs:ChangeMessageVisibility",
                "sqs:GetQueueAttributes",
            ],
            _arn("MentionsQueue"),
        ),
        allow("s3:PutObject", _objects("scored/")),
    ],
    "alert": [
        allow(READ, _arn("MentionBucketsTable")),
        # old late marks removed (functions/alert/store.py forget_marks): late items only
        _leading_keys(allow("dynamodb:UpdateItem", _arn("MentionBucketsTable")), prefix="late#"),
        allow([*READ, *WRITE, "dynamodb:ConditionCheckItem"], _arn("AlertIncidentsTable")),
        allow(["dynamodb:GetItem", *WRITE, "dynamodb:ConditionCheckItem"], _arn("PauseFlagsTable")),
        allow("sns:Publish", {"Ref": "AlertsTopic"}),
        allow("s3:GetObject", _objects("scored/")),
        allow("s3:ListBucket", _arn("RawMentionsBucket")),
        # an incident's draft: generate invoked asynchronously (functions/alert/drafts.py)
        allow("lambda:InvokeFunction", _function("generate")),
    ],
    "publish": [
        allow(["dynamodb:GetItem", *WRITE, "dynamodb:DeleteItem"], _arn("IdempotencyTable")),
        allow(["dynamodb:GetItem", *WRITE], _arn("PublishRecordsTable")),
        allow("dynamodb:GetItem", _arn("PauseFlagsTable")),
        allow("sqs:SendMessage", _arn("PublishDeadLetterQueue")),
        allow("sns:Publish", {"Ref": "PublishFailuresTopic"}),
        # late retries: one-time schedules in the campaigns' functions' groups only
        allow(
            "scheduler:CreateSchedule",
            {
                "Fn::Sub": "arn:${AWS::Partition}:scheduler:"
                "${AWS::Region}:${AWS::AccountId}:schedule/${AWS::StackName}-*.fn/*"
            },
        ),
        allow("iam:PassRole", {"Fn::Sub": SCHEDULER_ROLE_ARN}),
        # review: none: generate invoked synchronously for the text (functions/publish/due.py)
        allow("lambda:InvokeFunction", _function("generate")),
        # the media store (functions/common/media.py): a post's files read before their
        # upload, an https file's copy made once; listing lets a missing copy read as 404
        allow(["s3:GetObject", "s3:PutObject"], _objects("media/")),
        allow("s3:ListBucket", _arn("RawMentionsBucket")),
    ],
    "generate": [
        allow(READ, _arn("PublishRecordsTable")),
        # review: none: each occurrence's text stored once (functions/generate/runtime.py)
        _leading_keys(allow("dynamodb:PutItem", _arn("PublishRecordsTable")), prefix="generated#"),
        # an incident's draft (functions/generate/drafting.py): its record read, the draft
        # written onto it; the scored mentions of its window; the OpenAI key
        _leading_keys(allow("dynamodb:GetItem", _arn("AlertIncidentsTable"))),
        _leading_keys(
            allow("dynamodb:UpdateItem", _arn("AlertIncidentsTable")),
            ("pk", "sk", *DRAFT_ATTRIBUTES),
        ),
        allow("s3:ListBucket", _arn("RawMentionsBucket")),
        allow("s3:GetObject", _objects("scored/")),
        allow("secretsmanager:GetSecretValue", {"Fn::Sub": f"{SECRET_ARN}{OPENAI_SECRET}-??????"}),
    ],
    "optimize": [  # the lake's engagement and followers, its own models
        allow("s3:ListBucket", _arn("RawMentionsBucket")),
        allow(
            "s3:GetObject", [_objects("engagement/"), _objects("followers/"), _objects("models/")]
        ),
        allow("s3:PutObject", _objects("models/")),
        # at: auto placements (functions/optimize/placement.py): the occurrence's publish
        # record read and its placement written (never its status: publish's); one-time
        # schedules in the campaigns' functions' groups created, read and deleted
        allow(["dynamodb:GetItem", "dynamodb:UpdateItem"], _arn("PublishRecordsTable")),
        allow(
            ["scheduler:CreateSchedule", "scheduler:GetSchedule", "scheduler:DeleteSchedule"],
            {
                "Fn::Sub": "arn:${AWS::Partition}:scheduler:"
                "${AWS::Region}:${AWS::AccountId}:schedule/${AWS::StackName}-*.fn/*"
            },
        ),
        allow("iam:PassRole", {"Fn::Sub": SCHEDULER_ROLE_ARN}),
    ],
}


def role_id(function: str) -> str:
    return f"{function[0].upper()}{function[1:]}FunctionRole"


def function_role(function: str) -> Json:
    trust = {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
             "Action": "sts:AssumeRole"}  # fmt: skip
    return {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "Description": f"socialops {function}: only what it uses",
            "AssumeRolePolicyDocument": document(trust),
            "Policies": [{"PolicyName": f"{function}-access",
                          "PolicyDocument": document(_logs(function), *ACCESS[function])}],
        },
    }  # fmt: skip


def account_secrets(configs: dict[str, RuntimeConfig]) -> list[str]:
    """The secrets of the brands' accounts: tokens that publish and ingest read and refresh."""
    return sorted({a.secret for c in configs.values() for a in c.brand.accounts.values()})


def webhook_secrets(configs: dict[str, RuntimeConfig]) -> list[str]:
    """The Slack webhooks that alert rules notify."""
    return sorted({n for c in configs.values() for a in c.campaign.alerts for n in a.notify.slack})


def topics(configs: dict[str, RuntimeConfig]) -> list[str]:
    return sorted({t for c in configs.values() for a in c.campaign.alerts for t in a.notify.sns})


# What campaigns name, per function: (what, names, the actions on each ARN)
Grant = tuple[str, Callable[[dict[str, RuntimeConfig]], list[str]], list[str]]
GRANTS: dict[str, list[Grant]] = {
    "publish": [("secrets", account_secrets, TOKEN_REFRESH)],
    "ingest": [("secrets", account_secrets, TOKEN_REFRESH)],
    "alert": [("secrets", webhook_secrets, TOKEN_READ), ("topics", topics, ["sns:Publish"])],
}


def _resource(what: str, name: str) -> Any:
    return {"Fn::Sub": f"{SECRET_ARN}{name}-??????"} if what == "secrets" else name


def granted_policies(configs: dict[str, RuntimeConfig]) -> Json:
    """Managed policies with the secrets and topics campaigns name, each attached to the
    role of the function that uses them."""
    policies: Json = {}
    for function, grants in sorted(GRANTS.items()):
        statements = []
        for what, names_of, actions in grants:
            names = names_of(configs)
            for i in range(0, len(names), SECRETS_PER_POLICY):
                chunk = names[i : i + SECRETS_PER_POLICY]
                statements.append(allow(actions, [_resource(what, n) for n in chunk]))
        if len(statements) > MAX_POLICIES:
            raise StackLimitError(f"the {function} role cannot be granted so many secrets")
        for i, statement in enumerate(statements):
            policies[f"{role_id(function)}Access{i + 1}"] = {
                "Type": "AWS::IAM::ManagedPolicy",
                "Properties": {
                    "Description": f"socialops {function}: what the campaigns name",
                    "Roles": [{"Ref": role_id(function)}],
                    "PolicyDocument": document(statement),
                },
            }
    return policies


def roles_section(functions: list[str], configs: dict[str, RuntimeConfig]) -> Json:
    return {**{role_id(f): function_role(f) for f in functions}, **granted_policies(configs)}
