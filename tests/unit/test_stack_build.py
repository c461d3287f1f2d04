"""infra.stack.build: a fixed set of functions; campaigns compile into wiring (ARCHITECTURE.md 1, 2)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra import roles, stack
from schema.documents import RuntimeConfig

DURABLE = {
    "AlertIncidentsTable", "AlertsTopic", "IdempotencyTable", "IngestCursorsTable",
    "MentionBucketsTable",
    "MentionsDeadLetterQueue", "MentionsQueue", "PauseFlagsTable", "PublishDeadLetterQueue",
    "PublishFailuresTopic", "PublishRecordsTable", "RawMentionsBucket", "SchedulerPublishRole",
    "IngestFunctionRole", "ScoreFunctionRole", "AlertFunctionRole", "PublishFunctionRole",
    "GenerateFunctionRole", "OptimizeFunctionRole",
    # the data lake's catalog (infra/lake_tables.py)
    "LakeDatabase", "LakeEngagementTable", "LakeFollowersTable", "LakeMentionsTable",
}  # fmt: skip


def variant(config: RuntimeConfig, name: str, **campaign: Any) -> RuntimeConfig:
    """``config`` as campaign ``name``, with some campaign fields replaced."""
    data = config.model_dump(mode="json")
    data["campaign"].update(name=name, **campaign)
    return RuntimeConfig.model_validate(data)


def quiet(config: RuntimeConfig, name: str) -> RuntimeConfig:
    """A campaign with no alerts, of a brand that does not listen."""
    data = variant(config, name, alerts=[]).model_dump(mode="json")
    data["brand"]["listening"] = None
    return RuntimeConfig.model_validate(data)


def emailing(config: RuntimeConfig, name: str, *emails: str) -> RuntimeConfig:
    alert = {"name": "burst", "type": "volume_anomaly", "notify": {"email": list(emails)}}
    return variant(config, name, alerts=[alert])


def dumps(value: object) -> str:
    return json.dumps(value, sort_keys=True)


def test_without_campaigns_the_six_functions_and_durable_resources_remain() -> None:
    functions, resources = stack.build({})
    assert list(functions) == list(stack.FUNCTIONS)
    assert all(f["events"] == [] for f in functions.values())
    assert set(resources["Resources"]) == DURABLE
    assert resources["Outputs"]["PublishFunctionArn"]["Value"] == {
        "Fn::GetAtt": ["PublishLambdaFunction", "Arn"]
    }


def test_build_is_deterministic(examples: dict[str, RuntimeConfig]) -> None:
    first = dumps(stack.build(examples))
    assert dumps(stack.build(dict(reversed(examples.items())))) == first
    assert dumps(stack.build(examples)) == first


def test_one_ingest_schedule_per_listening_brand_and_platform(
    examples: dict[str, RuntimeConfig],
) -> None:
    functions, _ = stack.build(examples)
    listening = {c.brand.name: c.brand for c in examples.values() if c.brand.listening}
    assert listening, "the examples should include a brand that listens"
    expected = [
        {"brand": name, "platform": platform}
        for name, brand in sorted(listening.items())
        for platform in (brand.listening.platforms or sorted(brand.accounts))  # type: ignore[union-attr]
    ]
    events = functions["ingest"]["events"]
    # and one read-back schedule of the published posts' engagement, every 15 minutes
    readback = {"rate": ["rate(15 minutes)"], "input": {"action": "readback"},
                "description": "socialops: read back the engagement of published posts"}  # fmt: skip
    assert [e["schedule"]["input"] for e in events if "schedule" in e] == [*expected, readback["input"]]  # fmt: skip
    assert {"schedule": readback} in events
    # and one webhook entry for the platforms that push, with its handshake
    assert [e["httpApi"] for e in events if "httpApi" in e] == [
        {"method": "GET", "path": "/webhooks/{platform}/{brand}"},
        {"method": "POST", "path": "/webhooks/{platform}/{brand}"},
    ]
    assert [next(iter(e)) for e in functions["score"]["events"]] == ["sqs"]


def test_no_listening_and_no_alerts_compile_to_no_events(
    examples: dict[str, RuntimeConfig],
) -> None:
    config = next(iter(examples.values()))
    functions, resources = stack.build({"a": quiet(config, "a")})
    for name in ("score", "alert"):
        assert functions[name]["events"] == []
    # ingest only reads back the engagement of the campaign's posts: no pull, no webhook
    assert [e["schedule"]["input"] for e in functions["ingest"]["events"]] == [
        {"action": "readback"}
    ]
    assert not [r for r in resources["Resources"].values() if r["Type"] == "AWS::SNS::Subscription"]


def test_alert_schedule_only_when_a_campaign_has_alerts(
    examples: dict[str, RuntimeConfig],
) -> None:
    config = next(iter(examples.values()))
    quiet_functions, _ = stack.build({"a": quiet(config, "a")})
    assert quiet_functions["alert"]["events"] == []
    functions, _ = stack.build({"a": quiet(config, "a"), "b": emailing(config, "b", "x@a.example")})
    [event] = functions["alert"]["events"]
    assert event["schedule"]["rate"] == [stack.ALERT_RATE]


def test_emails_are_deduplicated_and_routed_to_their_campaigns(
    examples: dict[str, RuntimeConfig],
) -> None:
    config = next(iter(examples.values()))
    configs = {
        "a": emailing(config, "a", "Oncall@A.example", "lead@a.example"),
        "b": emailing(config, "b", "oncall@a.example"),
    }
    _, resources = stack.build(configs)
    subscriptions = {
        k: r["Properties"]
        for k, r in resources["Resources"].items()
        if r["Type"] == "AWS::SNS::Subscription"
    }
    routes = {p["Endpoint"]: p["FilterPolicy"]["campaign"] for p in subscriptions.values()}
    assert routes == {"lead@a.example": ["a"], "oncall@a.example": ["a", "b"]}
    # a new address does not rename the others (no unsubscribe and resubscribe)
    configs["c"] = emailing(config, "c", "aaa@a.example")
    _, more = stack.build(configs)
    assert set(subscriptions) < set(more["Resources"])


def test_too_many_emails_is_a_clear_error(examples: dict[str, RuntimeConfig]) -> None:
    config = next(iter(examples.values()))
    emails = [f"person{i}@a.example" for i in range(stack.MAX_RESOURCES)]
    with pytest.raises(stack.StackLimitError, match=r"more than the 500 a stack may hold"):
        stack.build({"a": emailing(config, "a", *emails)})


def test_each_function_is_granted_only_the_secrets_and_topics_it_uses(
    examples: dict[str, RuntimeConfig],
) -> None:
    functions, resources = stack.build(examples)
    granted: dict[str, dict[str, set[str]]] = {}
    for r in resources["Resources"].values():
        if r["Type"] != "AWS::IAM::ManagedPolicy":
            continue
        [role] = r["Properties"]["Roles"]
        for s in r["Properties"]["PolicyDocument"]["Statement"]:
            names = {a["Fn::Sub"].rsplit(":", 1)[1].removesuffix("-??????")
                     if isinstance(a, dict) else a for a in s["Resource"]}  # fmt: skip
            for action in s["Action"]:
                granted.setdefault(role["Ref"], {}).setdefault(action, set()).update(names)
    tokens = set(roles.account_secrets(examples))
    slack = set(roles.webhook_secrets(examples))
    assert tokens and slack and not tokens & slack
    # tokens: read and refreshed by publish and ingest only; Slack webhooks: read by alert
    for function in ("publish", "ingest"):
        assert granted[roles.role_id(function)] == {"secretsmanager:GetSecretValue": tokens,
                                                    "secretsmanager:PutSecretValue": tokens}  # fmt: skip
    assert granted[roles.role_id("alert")] == {"secretsmanager:GetSecretValue": slack,
                                               "sns:Publish": set(roles.topics(examples))}  # fmt: skip
    assert set(granted) == {roles.role_id(f) for f in ("publish", "ingest", "alert")}
    assert all(functions[f]["role"] == roles.role_id(f) for f in stack.FUNCTIONS)


def test_each_function_packages_only_its_own_code() -> None:
    functions, _ = stack.build({})
    for name, section in functions.items():
        patterns = section["package"]["patterns"]
        assert patterns[0] == "!**"
        included = [p for p in patterns if not p.startswith("!") and p.startswith("functions/")]
        # no function packages another's folder: what two share lives in functions/common
        assert included == ["functions/__init__.py", "functions/common/**", f"functions/{name}/**"]
        assert section["handler"] == f"functions/{name}/handler.handler"
