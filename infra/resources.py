"""The durable resources of the stack (ARCHITECTURE.md section 2): tables, queues, topics, the
raw-mentions bucket, the role EventBridge Scheduler assumes to invoke ``publish``, the
policies that grant the functions the secrets the campaigns name, and the outputs that
``socialops deploy`` reads. Deterministic: sorted keys, ids derived from content.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from schema.documents import RuntimeConfig

MAX_FILTER_VALUES = 150  # SNS: values in one subscription filter policy
SECRETS_PER_POLICY = 40  # keeps a managed policy under its 6,144-character limit
MAX_SECRET_POLICIES = 10  # managed policies one IAM role may have (default quota)
RETAIN = {"DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain"}
FOURTEEN_DAYS = 14 * 24 * 3600
PUBLIC_ACCESS_BLOCKS = (
    "BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets",
)  # fmt: skip

Json = dict[str, Any]


class StackLimitError(ValueError):
    """The campaigns would compile into a stack that AWS cannot hold."""


def logical_id(function: str) -> str:
    """The logical id serverless gives a function's ``AWS::Lambda::Function``."""
    return function[0].upper() + function[1:] + "LambdaFunction"


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:12].upper()


def _table(keys: Iterable[tuple[str, str]], ttl: str | None, pitr: bool) -> Json:
    keys = list(keys)
    props: Json = {
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": k, "AttributeType": "S"} for k, _ in keys],
        "KeySchema": [{"AttributeName": k, "KeyType": kind} for k, kind in keys],
        "SSESpecification": {"SSEEnabled": True},
        "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": pitr},
    }
    if ttl:
        props["TimeToLiveSpecification"] = {"AttributeName": ttl, "Enabled": True}
    table: Json = {"Type": "AWS::DynamoDB::Table", "Properties": props}
    return {**table, **RETAIN} if pitr else table


def tables() -> Json:
    """Publish records and pause flags are kept for good: losing them could re-send posts;
    ingest cursors too: losing one would re-read (or, past a platform's horizon, miss)."""
    pk, sk = ("pk", "HASH"), ("sk", "RANGE")
    return {
        "PublishRecordsTable": _table([pk, sk], None, pitr=True),
        "IdempotencyTable": _table([("id", "HASH")], "expiration", pitr=False),
        "IngestCursorsTable": _table([pk, sk], None, pitr=True),
        "MentionBucketsTable": _table([pk, sk], "expires_at", pitr=False),
        "AlertIncidentsTable": _table([pk, sk], "expires_at", pitr=True),
        "PauseFlagsTable": _table([("brand", "HASH")], None, pitr=True),
    }


def _queue(retention: int, visibility: int = 30, dlq: str | None = None) -> Json:
    props: Json = {
        "MessageRetentionPeriod": retention,
        "VisibilityTimeout": visibility,
        "SqsManagedSseEnabled": True,
    }
    if dlq:
        props["RedrivePolicy"] = {
            "deadLetterTargetArn": {"Fn::GetAtt": [dlq, "Arn"]},
            "maxReceiveCount": 5,
        }
    return {"Type": "AWS::SQS::Queue", "Properties": props}


def queues(score_timeout: int) -> Json:
    # An event source mapping wants the visibility timeout at six times the function's.
    visibility = 6 * score_timeout
    return {
        "MentionsQueue": _queue(4 * 24 * 3600, visibility, dlq="MentionsDeadLetterQueue"),
        "MentionsDeadLetterQueue": _queue(FOURTEEN_DAYS),
        "PublishDeadLetterQueue": _queue(FOURTEEN_DAYS),
    }


def _topic(display: str) -> Json:
    return {"Type": "AWS::SNS::Topic", "Properties": {"DisplayName": display}}


def alert_emails(configs: dict[str, RuntimeConfig]) -> dict[str, list[str]]:
    """Each address in an alert's ``notify.email`` (deduplicated) -> its campaigns."""
    emails: dict[str, set[str]] = {}
    for name, config in configs.items():
        for alert in config.campaign.alerts:
            for email in alert.notify.email:
                emails.setdefault(email.strip().lower(), set()).add(name)
    return {email: sorted(names) for email, names in sorted(emails.items())}


def email_subscriptions(configs: dict[str, RuntimeConfig]) -> Json:
    """One subscription per address; its filter lets through its own campaigns' alerts."""
    subscriptions: Json = {}
    for email, campaigns in alert_emails(configs).items():
        if len(campaigns) > MAX_FILTER_VALUES:
            raise StackLimitError(
                f"{email} is notified by {len(campaigns)} campaigns, more than an SNS filter "
                f"policy holds ({MAX_FILTER_VALUES}); notify an SNS topic (notify.sns) instead"
            )
        subscriptions[f"AlertsEmail{_digest(email)}"] = {
            "Type": "AWS::SNS::Subscription",
            "Properties": {
                "TopicArn": {"Ref": "AlertsTopic"},
                "Protocol": "email",
                "Endpoint": email,
                "FilterPolicyScope": "MessageAttributes",
                "FilterPolicy": {"campaign": campaigns},
            },
        }
    return subscriptions


def raw_bucket() -> Json:
    return {
        "Type": "AWS::S3::Bucket",
        **RETAIN,
        "Properties": {
            "BucketEncryption": {
                "ServerSideEncryptionConfiguration": [
                    {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
                ]
            },
            "PublicAccessBlockConfiguration": dict.fromkeys(PUBLIC_ACCESS_BLOCKS, True),
            "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
            "LifecycleConfiguration": {
                "Rules": [
                    {
                        "Id": "raw-to-infrequent-access",
                        "Status": "Enabled",
                        "Transitions": [{"StorageClass": "STANDARD_IA", "TransitionInDays": 30}],
                        "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7},
                    }
                ]
            },
        },
    }


def _allow(action: str | list[str], resource: Any) -> Json:
    return {"Effect": "Allow", "Action": action, "Resource": resource}


def _document(*statements: Json) -> Json:
    return {"Version": "2012-10-17", "Statement": list(statements)}


SCHEDULER_ROLE_NAME = "${AWS::StackName}-scheduler-publish"  # at most 64: a stage of 18
SCHEDULER_ROLE_ARN = "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/" + SCHEDULER_ROLE_NAME


def scheduler_role() -> Json:
    """The role EventBridge Scheduler assumes to invoke ``publish`` (and dead-letter)."""
    publish = logical_id("publish")
    trust = {
        "Effect": "Allow",
        "Principal": {"Service": "scheduler.amazonaws.com"},
        "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}},
    }
    invoke = _allow(
        "lambda:InvokeFunction",
        [{"Fn::GetAtt": [publish, "Arn"]}, {"Fn::Sub": f"${{{publish}.Arn}}:*"}],
    )
    dead_letter = _allow("sqs:SendMessage", {"Fn::GetAtt": ["PublishDeadLetterQueue", "Arn"]})
    return {
        "Type": "AWS::IAM::Role",
        "Properties": {
            # named, so that publish can be told its ARN without a reference to it (the
            # role's policy names publish: a reference back would be a circular dependency)
            "RoleName": {"Fn::Sub": SCHEDULER_ROLE_NAME},
            "Description": "EventBridge Scheduler invokes the socialops publish function",
            "AssumeRolePolicyDocument": _document(trust),
            "Policies": [
                {"PolicyName": "invoke-publish", "PolicyDocument": _document(invoke, dead_letter)}
            ],
        },
    }


def referenced_secrets(configs: dict[str, RuntimeConfig]) -> list[str]:
    """Secrets Manager names the functions read: account tokens and Slack webhooks."""
    names = {a.secret for c in configs.values() for a in c.brand.accounts.values()}
    for config in configs.values():
        for alert in config.campaign.alerts:
            names.update(alert.notify.slack)
    return sorted(names)


# Secrets Manager appends "-" and six random characters to the name of a secret.
SECRET_ARN = "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:"
SECRET_ACTIONS = ["secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue"]


def access_policies(configs: dict[str, RuntimeConfig]) -> Json:
    """Read (and refresh) exactly the secrets the campaigns name; publish to their topics."""
    secrets = referenced_secrets(configs)
    alerts = [a for c in configs.values() for a in c.campaign.alerts]
    topics = sorted({arn for alert in alerts for arn in alert.notify.sns})
    statements = [
        _allow(SECRET_ACTIONS, [{"Fn::Sub": f"{SECRET_ARN}{s}-??????"} for s in chunk])
        for chunk in (
            secrets[i : i + SECRETS_PER_POLICY] for i in range(0, len(secrets), SECRETS_PER_POLICY)
        )
    ]
    if topics:
        statements.append(_allow("sns:Publish", topics))
    if len(statements) > MAX_SECRET_POLICIES:
        raise StackLimitError(f"the functions' role cannot be granted {len(secrets)} secrets")
    return {
        f"FunctionAccessPolicy{i + 1}": {
            "Type": "AWS::IAM::ManagedPolicy",
            "Properties": {
                "Description": "socialops functions: the secrets and topics campaigns name",
                "Roles": [{"Ref": "IamRoleLambdaExecution"}],
                "PolicyDocument": _document(statement),
            },
        }
        for i, statement in enumerate(statements)
    }


# Output name -> (logical id, attribute or None for Ref, description)
OUTPUTS: dict[str, tuple[str, str | None, str]] = {
    "AlertIncidentsTableName": ("AlertIncidentsTable", None, "alert incidents"),
    "AlertsTopicArn": ("AlertsTopic", None, "alert notifications"),
    "IdempotencyTableName": ("IdempotencyTable", None, "Powertools idempotency records"),
    "IngestCursorsTableName": ("IngestCursorsTable", None, "where each mention source is read"),
    "MentionBucketsTableName": ("MentionBucketsTable", None, "mention counts per bucket"),
    "MentionsDeadLetterQueueUrl": ("MentionsDeadLetterQueue", None, "unscorable mentions"),
    "MentionsQueueUrl": ("MentionsQueue", None, "mentions waiting to be scored"),
    "PauseFlagsTableName": ("PauseFlagsTable", None, "brands whose publishing is paused"),
    "PublishDeadLetterQueueArn": ("PublishDeadLetterQueue", "Arn", "dead letters of schedules"),
    "PublishFailuresTopicArn": ("PublishFailuresTopic", None, "failed publications"),
    "PublishFunctionArn": (logical_id("publish"), "Arn", "target of the post schedules"),
    "PublishRecordsTableName": ("PublishRecordsTable", None, "what was published, where, when"),
    "RawMentionsBucketName": ("RawMentionsBucket", None, "mentions by brand and date"),
    "SchedulerRoleArn": ("SchedulerPublishRole", "Arn", "role the post schedules assume"),
}


def outputs() -> Json:
    return {
        name: {
            "Description": description,
            "Value": {"Fn::GetAtt": [ref, attr]} if attr else {"Ref": ref},
        }
        for name, (ref, attr, description) in sorted(OUTPUTS.items())
    }


def resources_section(configs: dict[str, RuntimeConfig], score_timeout: int) -> Json:
    resources: Json = {
        **tables(),
        **queues(score_timeout),
        "AlertsTopic": _topic("socialops alerts"),
        "PublishFailuresTopic": _topic("socialops publish failures"),
        **email_subscriptions(configs),
        "RawMentionsBucket": raw_bucket(),
        "SchedulerPublishRole": scheduler_role(),
        **access_policies(configs),
    }
    return {"Resources": dict(sorted(resources.items())), "Outputs": outputs()}
