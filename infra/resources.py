"""The durable resources of the stack (ARCHITECTURE.md section 2): tables, queues, topics, the
raw-mentions bucket, the data lake's Glue database and tables (lake_tables.py), the role
EventBridge Scheduler assumes to invoke ``publish`` and the outputs that ``socialops deploy``
reads (the functions' own roles: roles.py). Deterministic: sorted keys, ids derived from content.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from functions.common import readback
from infra.lake_tables import DATABASE, lake_section
from infra.roles import SCHEDULER_ROLE_NAME, StackLimitError, allow, document
from schema.documents import RuntimeConfig

__all__ = ["StackLimitError"]

MAX_FILTER_VALUES = 150  # SNS: values in one subscription filter policy
RETAIN = {"DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain"}
FOURTEEN_DAYS = 14 * 24 * 3600
PUBLIC_ACCESS_BLOCKS = (
    "BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets",
)  # fmt: skip

Json = dict[str, Any]


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


def _readback_index(table: Json) -> Json:
    """The publish records' sparse index of the posts due for an engagement read-back
    (functions/common/readback.py): only a due post carries its two keys."""
    props = table["Properties"]
    props["AttributeDefinitions"] += [
        {"AttributeName": name, "AttributeType": "S"}
        for name in (readback.QUEUE_ATTRIBUTE, readback.DUE_ATTRIBUTE)
    ]
    props["GlobalSecondaryIndexes"] = [{
        "IndexName": readback.INDEX,
        "KeySchema": [{"AttributeName": readback.QUEUE_ATTRIBUTE, "KeyType": "HASH"},
                      {"AttributeName": readback.DUE_ATTRIBUTE, "KeyType": "RANGE"}],
        "Projection": {"ProjectionType": "ALL"},
    }]  # fmt: skip
    return table


def tables() -> Json:
    """Publish records and pause flags are kept for good: losing them could re-send posts;
    ingest cursors too: losing one would re-read (or, past a platform's horizon, miss)."""
    pk, sk = ("pk", "HASH"), ("sk", "RANGE")
    return {
        "PublishRecordsTable": _readback_index(_table([pk, sk], None, pitr=True)),
        "IdempotencyTable": _table([("id", "HASH")], "expiration", pitr=False),
        # cursors never expire; webhook delivery records do (expires_at, 7 days)
        "IngestCursorsTable": _table([pk, sk], "expires_at", pitr=True),
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


def scheduler_role() -> Json:
    """The role EventBridge Scheduler assumes to invoke ``publish`` (and dead-letter)."""
    publish = logical_id("publish")
    trust = {
        "Effect": "Allow",
        "Principal": {"Service": "scheduler.amazonaws.com"},
        "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}},
    }
    invoke = allow(
        "lambda:InvokeFunction",
        [{"Fn::GetAtt": [publish, "Arn"]}, {"Fn::Sub": f"${{{publish}.Arn}}:*"}],
    )
    dead_letter = allow("sqs:SendMessage", {"Fn::GetAtt": ["PublishDeadLetterQueue", "Arn"]})
    return {
        "Type": "AWS::IAM::Role",
        "Properties": {
            # named, so that publish can be told its ARN without a reference to it (the
            # role's policy names publish: a reference back would be a circular dependency)
            "RoleName": {"Fn::Sub": SCHEDULER_ROLE_NAME},
            "Description": "EventBridge Scheduler invokes the socialops publish function",
            "AssumeRolePolicyDocument": document(trust),
            "Policies": [
                {"PolicyName": "invoke-publish", "PolicyDocument": document(invoke, dead_letter)}
            ],
        },
    }


# Output name -> (logical id, attribute or None for Ref, description)
OUTPUTS: dict[str, tuple[str, str | None, str]] = {
    "AlertIncidentsTableName": ("AlertIncidentsTable", None, "alert incidents"),
    "AlertsTopicArn": ("AlertsTopic", None, "alert notifications"),
    "IdempotencyTableName": ("IdempotencyTable", None, "Powertools idempotency records"),
    "IngestCursorsTableName": ("IngestCursorsTable", None, "where each mention source is read"),
    "LakeDatabaseName": (DATABASE, None, "the data lake's Glue database, for Athena"),
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
        **lake_section(configs),
        "SchedulerPublishRole": scheduler_role(),
    }
    return {"Resources": dict(sorted(resources.items())), "Outputs": outputs()}
