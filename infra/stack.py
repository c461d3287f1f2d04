"""The functions and durable resources that serverless.yml includes from build/serverless.

ARCHITECTURE.md section 1: a fixed set of functions; campaigns compile into their configuration
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

from dataclasses import dataclass

from infra.resources import (
    Json,
    StackLimitError,
    alert_emails,
    logical_id,
    resources_section,
)
from infra.roles import SCHEDULER_ROLE_ARN, role_id, roles_section
from schema.documents import RuntimeConfig

__all__ = [
    "StackLimitError",
    "build",
    "logical_id",
]

FUNCTIONS = ("ingest", "score", "alert", "publish", "generate", "optimize")
INGEST_RATE = "rate(5 minutes)"
READBACK_RATE = "rate(15 minutes)"
ALERT_RATE = "rate(5 minutes)"
OPTIMIZE_RATE = "rate(1 day)"
TOKEN_REFRESH_RATE = "rate(6 hours)"
SCORE_BATCH = 100  # mentions a score invocation takes (one model call, few transactions)
MAX_RESOURCES = 500  # CloudFormation's limit per stack
# ServerlessDeploymentBucket and its policy, and the layers that serverless.yml declares
# (ScoreLibsLambdaLayer, OptimizeLibsLambdaLayer, GenerateLibsLambdaLayer); no shared role:
# every function has its own (roles.py)
FRAMEWORK_FIXED = 5
# Every function runs on the Powertools layer (serverless.yml); a function that needs more
# names the layers of serverless.yml it adds (a function's own list replaces the default).
POWERTOOLS_LAYER = "${param:powertoolsLayerArn}"


@dataclass(frozen=True)
class FunctionSpec:
    description: str
    memory: int  # MB
    timeout: int  # seconds
    env: tuple[str, ...]  # keys of ENVIRONMENT
    layers: tuple[str, ...] = ()  # layers of serverless.yml, besides Powertools


SPECS: dict[str, FunctionSpec] = {
    "ingest": FunctionSpec(
        "Fetch mentions of a brand on one platform (or take pushed ones) and queue them; "
        "read back the engagement of published posts",
        512, 300, ("INGEST_CURSORS_TABLE", "MENTIONS_QUEUE_URL", "PUBLISH_RECORDS_TABLE",
                   "RAW_MENTIONS_BUCKET"),
    ),
    "score": FunctionSpec(
        "Score queued mentions (sentiment, emotion) and count them per brand and bucket",
        1024, 60, ("MENTION_BUCKETS_TABLE", "RAW_MENTIONS_BUCKET"), layers=("scoreLibs",),
    ),
    "alert": FunctionSpec(
        "Evaluate the alert rules of the campaigns; notify, pause publishing and ask generate "
        "for an incident's draft", 1024, 240,
        ("ALERTS_TOPIC_ARN", "ALERT_INCIDENTS_TABLE", "GENERATE_FUNCTION_NAME",
         "MENTION_BUCKETS_TABLE", "PAUSE_FLAGS_TABLE", "RAW_MENTIONS_BUCKET"),
    ),
    # 1,536 MB: a post's media is read into memory before its upload (up to 512 MB, X's
    # video limit, functions/common/media.py), with room for the parts sent
    "publish": FunctionSpec(
        "Publish one scheduled post to one channel, exactly once", 1536, 300,
        ("GENERATE_FUNCTION_NAME", "IDEMPOTENCY_TABLE", "PAUSE_FLAGS_TABLE", "PUBLISH_DLQ_ARN",
         "PUBLISH_DLQ_URL", "PUBLISH_FAILURES_TOPIC_ARN", "PUBLISH_RECORDS_TABLE",
         "PUBLISH_SCHEDULER_ROLE_ARN", "RAW_MENTIONS_BUCKET"),
    ),
    "generate": FunctionSpec(
        "Write the run-time text of a review: none post for publish; draft what people say "
        "and a holding statement when an incident opens (never published)", 512, 300,
        ("ALERT_INCIDENTS_TABLE", "OPENAI_BASE_URL", "OPENAI_MODEL", "PUBLISH_RECORDS_TABLE",
         "RAW_MENTIONS_BUCKET"), layers=("generateLibs",),
    ),
    "optimize": FunctionSpec(
        "Retrain each brand's forecasts from its read-back history; place and move the "
        "'at: auto' posts", 2048, 900,
        ("PUBLISH_DLQ_ARN", "PUBLISH_FUNCTION_ARN", "PUBLISH_RECORDS_TABLE",
         "PUBLISH_SCHEDULER_ROLE_ARN", "RAW_MENTIONS_BUCKET"), layers=("optimizeLibs",),
    ),
}  # fmt: skip

ENVIRONMENT: Json = {
    "ALERTS_TOPIC_ARN": {"Ref": "AlertsTopic"},
    "ALERT_INCIDENTS_TABLE": {"Ref": "AlertIncidentsTable"},
    # alert hands an incident to generate, and publish asks it for review: none texts, by
    # name (serverless names it <stack>-<function>)
    "GENERATE_FUNCTION_NAME": {"Fn::Sub": "${AWS::StackName}-generate"},
    "IDEMPOTENCY_TABLE": {"Ref": "IdempotencyTable"},
    "INGEST_CURSORS_TABLE": {"Ref": "IngestCursorsTable"},
    "MENTIONS_QUEUE_URL": {"Ref": "MentionsQueue"},
    "MENTION_BUCKETS_TABLE": {"Ref": "MentionBucketsTable"},
    # generate's model: serverless.yml's params (empty: offline)
    "OPENAI_BASE_URL": "${param:openaiBaseUrl}",
    "OPENAI_MODEL": "${param:openaiModel}",
    "PAUSE_FLAGS_TABLE": {"Ref": "PauseFlagsTable"},
    "PUBLISH_DLQ_ARN": {"Fn::GetAtt": ["PublishDeadLetterQueue", "Arn"]},
    "PUBLISH_DLQ_URL": {"Ref": "PublishDeadLetterQueue"},
    "PUBLISH_FAILURES_TOPIC_ARN": {"Ref": "PublishFailuresTopic"},
    # optimize's placed firings invoke publish (serverless names it <stack>-<function>)
    "PUBLISH_FUNCTION_ARN": {
        "Fn::Sub": "arn:${AWS::Partition}:lambda:${AWS::Region}:"
        "${AWS::AccountId}:function:${AWS::StackName}-publish"
    },
    "PUBLISH_RECORDS_TABLE": {"Ref": "PublishRecordsTable"},
    "PUBLISH_SCHEDULER_ROLE_ARN": {"Fn::Sub": SCHEDULER_ROLE_ARN},
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


# ---- functions and their event wiring ------------------------------------------------


def _schedule(rate: str, description: str, payload: Json | None = None) -> Json:
    event: Json = {"rate": [rate], "description": description}
    if payload is not None:
        event["input"] = payload
    return {"schedule": event}


def listening_brands(configs: dict[str, RuntimeConfig]) -> list[str]:
    return sorted({c.brand.name for c in configs.values() if c.brand.listening})


def listening_sources(configs: dict[str, RuntimeConfig]) -> list[tuple[str, str]]:
    """(brand, platform) pairs to poll: the listening platforms, by default every account's."""
    sources: set[tuple[str, str]] = set()
    for config in configs.values():
        listening = config.brand.listening
        if listening is not None:
            platforms = listening.platforms or sorted(config.brand.accounts)
            sources.update((config.brand.name, platform) for platform in platforms)
    return sorted(sources)


# Platforms that push (Meta, X, TikTok webhooks) post here; GET answers their handshakes.
WEBHOOK_PATH = "/webhooks/{platform}/{brand}"


def alerting_campaigns(configs: dict[str, RuntimeConfig]) -> list[str]:
    return sorted(name for name, c in configs.items() if c.campaign.alerts)


def events(configs: dict[str, RuntimeConfig]) -> dict[str, list[Json]]:
    """The event sources of each function, compiled from the campaigns."""
    brands = listening_brands(configs)
    wiring: dict[str, list[Json]] = {name: [] for name in FUNCTIONS}
    wiring["ingest"] = [
        _schedule(INGEST_RATE, f"socialops: listen for {b} on {p}", {"brand": b, "platform": p})
        for b, p in listening_sources(configs)
    ]
    if brands:
        wiring["ingest"] += [
            {"httpApi": {"method": method, "path": WEBHOOK_PATH}} for method in ("GET", "POST")
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
    reading_back = any(c.brand.accounts and c.campaign.posts for c in configs.values())
    if reading_back:
        wiring["ingest"].append(
            _schedule(READBACK_RATE, "socialops: read back the engagement of published posts",
                      {"action": "readback"})
        )  # fmt: skip
    if any(c.brand.accounts for c in configs.values()):
        wiring["publish"].append(
            _schedule(TOKEN_REFRESH_RATE, "socialops: refresh platform tokens",
                      {"action": "refresh_tokens"})
        )  # fmt: skip
    if alerting_campaigns(configs):
        wiring["alert"].append(_schedule(ALERT_RATE, "socialops: evaluate alert rules"))
    if reading_back:  # the read-back history is what optimize learns from
        wiring["optimize"].append(_schedule(OPTIMIZE_RATE, "socialops: retrain the forecasts"))
    return wiring


def package_patterns(function: str) -> list[str]:
    # Each function's package: its own folder and functions/common (what publish and ingest
    # both say to the platforms lives in functions/common/platform).
    return [*COMMON_PATTERNS, f"functions/{function}/**", *COMMON_EXCLUDES]


# Asynchronous invocations (Scheduler invokes ``publish`` that way) that still fail after
# Lambda's retries go to the dead-letter queue: a crash never loses a scheduled post.
ASYNC_FAILURES: dict[str, Json] = {
    "publish": {
        "maximumRetryAttempts": 2,
        "destinations": {
            "onFailure": {"type": "sqs", "arn": {"Fn::GetAtt": ["PublishDeadLetterQueue", "Arn"]}}
        },
    }
}


def function_section(name: str, wiring: list[Json]) -> Json:
    spec = SPECS[name]
    return {
        "handler": f"functions/{name}/handler.handler",
        "role": role_id(name),
        "description": spec.description,
        "memorySize": spec.memory,
        "timeout": spec.timeout,
        "environment": {key: ENVIRONMENT[key] for key in sorted(spec.env)},
        "package": {"patterns": package_patterns(name)},
        "events": wiring,
        **ASYNC_FAILURES.get(name, {}),
        **layers(spec),
    }


def layers(spec: FunctionSpec) -> Json:
    """A function's own ``layers`` (serverless names a layer ``<Name>LambdaLayer``)."""
    if not spec.layers:
        return {}
    own = [{"Ref": f"{name[0].upper()}{name[1:]}LambdaLayer"} for name in spec.layers]
    return {"layers": [POWERTOOLS_LAYER, *own]}


def resource_count(functions: Json, resources: Json) -> int:
    """Resources in the deployed stack: ours plus those serverless generates.

    Per function a function and a log group (and an event invoke config with async
    destinations); per schedule event a rule and a permission; per SQS event a mapping;
    per HTTP API route a route, and per function with routes an integration and a
    permission, plus the API and its stage once; and the framework's role, deployment
    bucket and its policy.
    """
    generated = FRAMEWORK_FIXED
    routed = 0
    for section in functions.values():
        generated += 3 if "destinations" in section else 2
        generated += sum(2 if "schedule" in e else 1 for e in section["events"])
        if any("httpApi" in e for e in section["events"]):
            routed += 1
            generated += 2  # integration and permission (the routes are counted above)
    generated += 2 if routed else 0  # the HTTP API and its stage
    return generated + len(resources["Resources"])


def build(configs: dict[str, RuntimeConfig]) -> tuple[Json, Json]:
    wiring = events(configs)
    functions = {name: function_section(name, wiring[name]) for name in FUNCTIONS}
    resources = resources_section(configs, SPECS["score"].timeout)
    resources["Resources"] = dict(sorted({**resources["Resources"],
                                          **roles_section(list(FUNCTIONS), configs)}.items()))  # fmt: skip
    count = resource_count(functions, resources)
    if count > MAX_RESOURCES:
        raise StackLimitError(
            f"the campaigns compile into {count} CloudFormation resources, more than the "
            f"{MAX_RESOURCES} a stack may hold ({len(listening_brands(configs))} listening "
            f"brands, {len(alert_emails(configs))} alert e-mail addresses)"
        )
    return functions, resources
