"""The functions and durable resources that serverless.yml includes from build/serverless.

DESIGN.md section 1: a fixed set of functions; campaigns compile into their configuration
(``build/config``) and event wiring (below), never into functions of their own. Section 2:
only durable infrastructure lives in the stack; the EventBridge Scheduler schedules of the
posts are reconciled by ``socialops deploy`` and invoke ``publish`` with the role defined
here. Section 7: every function is packaged on its own, with only the code it imports.

``build(configs)`` returns ``(functions, resources)``: the serverless ``functions`` section
and the CloudFormation ``resources`` section (``Resources`` and ``Outputs``). The output is
deterministic: no timestamps, sorted wherever order carries no meaning, and logical ids
derived from content (an e-mail subscription keeps its id when another one is added).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from schema.documents import RuntimeConfig

FUNCTIONS = ("ingest", "score", "alert", "publish", "generate", "optimize")
INGEST_RATE = "rate(15 minutes)"
ALERT_RATE = "rate(5 minutes)"
OPTIMIZE_RATE = "rate(1 day)"
SCORE_BATCH = 10
MAX_RESOURCES = 500  # CloudFormation's limit per stack
MAX_FILTER_VALUES = 150  # SNS: values in one subscription filter policy
SECRETS_PER_POLICY = 40  # keeps a managed policy under its 6,144-character limit
MAX_SECRET_POLICIES = 10  # managed policies one IAM role may have (default quota)
FRAMEWORK_FIXED = 3  # IamRoleLambdaExecution, ServerlessDeploymentBucket and its policy
RETAIN = {"DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain"}
FOURTEEN_DAYS = 14 * 24 * 3600
PUBLIC_ACCESS_BLOCKS = (
    "BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets",
)  # fmt: skip

Json = dict[str, Any]


class StackLimitError(ValueError):
    """The campaigns would compile into a stack that AWS cannot hold."""


@dataclass(frozen=True)
class FunctionSpec:
    description: str
    memory: int  # MB
    timeout: int  # seconds
    env: tuple[str, ...]  # keys of ENVIRONMENT


SPECS: dict[str, FunctionSpec] = {
    "ingest": FunctionSpec(
        "Fetch mentions of a brand and queue them for scoring", 512, 300,
        ("MENTIONS_QUEUE_URL", "RAW_MENTIONS_BUCKET"),
    ),
    "score": FunctionSpec(
        "Score queued mentions (sentiment, emotion) and count them per brand and bucket",
        1024, 60, ("MENTION_BUCKETS_TABLE", "RAW_MENTIONS_BUCKET"),
    ),
    "alert": FunctionSpec(
        "Evaluate the alert rules of the campaigns; notify and pause publishing", 256, 60,
        ("ALERTS_TOPIC_ARN", "ALERT_INCIDENTS_TABLE", "MENTION_BUCKETS_TABLE",
         "PAUSE_FLAGS_TABLE"),
    ),
    "publish": FunctionSpec(
        "Publish one scheduled post to one channel, exactly once", 256, 60,
        ("IDEMPOTENCY_TABLE", "PAUSE_FLAGS_TABLE", "PUBLISH_FAILURES_TOPIC_ARN",
         "PUBLISH_RECORDS_TABLE"),
    ),
    "generate": FunctionSpec(
        "Write caption variants in the brand's voice for review", 512, 300,
        ("PUBLISH_RECORDS_TABLE",),
    ),
    "optimize": FunctionSpec(
        "Retrain the best-time and best-variant models from published results", 1024, 900,
        ("MENTION_BUCKETS_TABLE", "PUBLISH_RECORDS_TABLE", "RAW_MENTIONS_BUCKET"),
    ),
}  # fmt: skip

ENVIRONMENT: Json = {
    "ALERTS_TOPIC_ARN": {"Ref": "AlertsTopic"},
    "ALERT_INCIDENTS_TABLE": {"Ref": "AlertIncidentsTable"},
    "IDEMPOTENCY_TABLE": {"Ref": "IdempotencyTable"},
    "MENTIONS_QUEUE_URL": {"Ref": "MentionsQueue"},
    "MENTION_BUCKETS_TABLE": {"Ref": "MentionBucketsTable"},
    "PAUSE_FLAGS_TABLE": {"Ref": "PauseFlagsTable"},
    "PUBLISH_FAILURES_TOPIC_ARN": {"Ref": "PublishFailuresTopic"},
    "PUBLISH_RECORDS_TABLE": {"Ref": "PublishRecordsTable"},
    "RAW_MENTIONS_BUCKET": {"Ref": "RawMentionsBucket"},
}

# Code every function imports: the package, the shared helpers, the models and the
# compiled configs. Nothing else: no node_modules, no virtual environment, no tests.
COMMON_PATTERNS = (
    "!**",
    "functions/__init__.py",
    "functions/common/**",
    "schema/**",
    "build/config/**",
)
COMMON_EXCLUDES = ("!**/__pycache__/**", "!**/*.md", "!schema/*.schema.json")


def logical_id(function: str) -> str:
    """The logical id serverless gives a function's ``AWS::Lambda::Function``."""
    return function[0].upper() + function[1:] + "LambdaFunction"


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:12].upper()


# ---- functions and their event wiring ------------------------------------------------


def _schedule(rate: str, description: str, payload: Json | None = None) -> Json:
    event: Json = {"rate": [rate], "description": description}
    if payload is not None:
        event["input"] = payload
    return {"schedule": event}


def listening_brands(configs: dict[str, RuntimeConfig]) -> list[str]:
    return sorted({c.brand.name for c in configs.values() if c.brand.listening})


def alerting_campaigns(configs: dict[str, RuntimeConfig]) -> list[str]:
    return sorted(name for name, c in configs.items() if c.campaign.alerts)


def _optimizing(configs: dict[str, RuntimeConfig]) -> bool:
    """Some post lets the system choose its time or its text: a model has work to do."""
    return any(
        post.at == "auto" or post.generate is not None
        for config in configs.values()
        for post in config.campaign.posts
    )


def events(configs: dict[str, RuntimeConfig]) -> dict[str, list[Json]]:
    """The event sources of each function, compiled from the campaigns."""
    brands = listening_brands(configs)
    wiring: dict[str, list[Json]] = {name: [] for name in FUNCTIONS}
    wiring["ingest"] = [
        _schedule(INGEST_RATE, f"socialops: listen for {b}", {"brand": b}) for b in brands
    ]
    if brands:
        wiring["score"].append(
            {
                "sqs": {
                    "arn": {"Fn::GetAtt": ["MentionsQueue", "Arn"]},
                    "batchSize": SCORE_BATCH,
                    "maximumBatchingWindow": 5,
                    "functionResponseType": "ReportBatchItemFailures",
                }
            }
        )
    if alerting_campaigns(configs):
        wiring["alert"].append(_schedule(ALERT_RATE, "socialops: evaluate alert rules"))
    if _optimizing(configs):
        wiring["optimize"].append(_schedule(OPTIMIZE_RATE, "socialops: retrain models"))
    return wiring


def package_patterns(function: str) -> list[str]:
    return [*COMMON_PATTERNS, f"functions/{function}/**", *COMMON_EXCLUDES]


def function_section(name: str, wiring: list[Json]) -> Json:
    spec = SPECS[name]
    return {
        "handler": f"functions/{name}/handler.handler",
        "description": spec.description,
        "memorySize": spec.memory,
        "timeout": spec.timeout,
        "environment": {key: ENVIRONMENT[key] for key in sorted(spec.env)},
        "package": {"patterns": package_patterns(name)},
        "events": wiring,
    }


# ---- durable resources ---------------------------------------------------------------


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
    """Publish records and pause flags are kept for good: losing them could re-send posts."""
    pk, sk = ("pk", "HASH"), ("sk", "RANGE")
    return {
        "PublishRecordsTable": _table([pk, sk], None, pitr=True),
        "IdempotencyTable": _table([("id", "HASH")], "expiration", pitr=False),
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


def queues() -> Json:
    # An event source mapping wants the visibility timeout at six times the function's.
    visibility = 6 * SPECS["score"].timeout
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


def resources_section(configs: dict[str, RuntimeConfig]) -> Json:
    resources: Json = {
        **tables(),
        **queues(),
        "AlertsTopic": _topic("socialops alerts"),
        "PublishFailuresTopic": _topic("socialops publish failures"),
        **email_subscriptions(configs),
        "RawMentionsBucket": raw_bucket(),
        "SchedulerPublishRole": scheduler_role(),
        **access_policies(configs),
    }
    return {"Resources": dict(sorted(resources.items())), "Outputs": outputs()}


def resource_count(functions: Json, resources: Json) -> int:
    """Resources in the deployed stack: ours plus those serverless generates.

    Per function a function and a log group; per schedule event a rule and a permission;
    per SQS event a mapping; and the framework's role, deployment bucket and its policy.
    """
    generated = FRAMEWORK_FIXED
    for section in functions.values():
        generated += 2
        generated += sum(2 if "schedule" in e else 1 for e in section["events"])
    return generated + len(resources["Resources"])


def build(configs: dict[str, RuntimeConfig]) -> tuple[Json, Json]:
    wiring = events(configs)
    functions = {name: function_section(name, wiring[name]) for name in FUNCTIONS}
    resources = resources_section(configs)
    count = resource_count(functions, resources)
    if count > MAX_RESOURCES:
        raise StackLimitError(
            f"the campaigns compile into {count} CloudFormation resources, more than the "
            f"{MAX_RESOURCES} a stack may hold ({len(listening_brands(configs))} listening "
            f"brands, {len(alert_emails(configs))} alert e-mail addresses)"
        )
    return functions, resources
