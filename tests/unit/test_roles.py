"""Least privilege (issue: one role for all): each function has its own role, with only the
actions and resources it uses, and every policy of the stack passes parliament, a
maintained IAM linter that runs offline (unknown actions, actions on resources of the wrong
type, malformed ARNs)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from parliament import analyze_policy_string

from infra import roles, stack
from infra.cli import main
from schema.documents import RuntimeConfig

ROOT = Path(__file__).resolve().parents[2]
PSEUDO = {"${AWS::Partition}": "aws", "${AWS::Region}": "us-east-1",
          "${AWS::AccountId}": "123456789012", "${AWS::StackName}": "socialops-dev"}  # fmt: skip
KINDS = {"AWS::DynamoDB::Table": "arn:aws:dynamodb:us-east-1:123456789012:table/{}",
         "AWS::SQS::Queue": "arn:aws:sqs:us-east-1:123456789012:{}",
         "AWS::SNS::Topic": "arn:aws:sns:us-east-1:123456789012:{}",
         "AWS::S3::Bucket": "arn:aws:s3:::{}", "AWS::IAM::Role": "arn:aws:iam::123456789012:role/{}",
         "AWS::Lambda::Function": "arn:aws:lambda:us-east-1:123456789012:function:{}"}  # fmt: skip


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], dict[str, Any]]:
    out = tmp_path_factory.mktemp("build")
    assert main(["compile", str(ROOT / "campaigns"), "--out", str(out), "--no-cache",
                 "--now", "2026-12-01T00:00Z"]) == 0  # fmt: skip
    configs = {p.stem: RuntimeConfig.model_validate_json(p.read_bytes())
               for p in sorted((out / "config").glob("*.json"))}  # fmt: skip
    functions, resources = stack.build(configs)
    return functions, resources["Resources"]


def resolve(value: Any, resources: dict[str, Any]) -> Any:
    """CloudFormation intrinsics as the ARNs they become (for the linter)."""
    if isinstance(value, list):
        return [resolve(v, resources) for v in value]
    if not isinstance(value, dict):
        return value
    if "Fn::GetAtt" in value or "Ref" in value:
        logical = value.get("Ref") or value["Fn::GetAtt"][0]
        kind = resources.get(logical, {}).get("Type", "AWS::Lambda::Function")
        return KINDS[kind].format(f"socialops-dev-{logical}")
    if "Fn::Sub" in value:
        text = value["Fn::Sub"]
        for name, real in PSEUDO.items():
            text = text.replace(name, real)
        for logical in resources:  # ${Logical.Arn}
            if f"${{{logical}.Arn}}" in text:
                text = text.replace(f"${{{logical}.Arn}}", resolve({"Ref": logical}, resources))
        publish = stack.logical_id("publish")
        return text.replace(f"${{{publish}.Arn}}", resolve({"Ref": publish}, resources))
    if "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return separator.join(str(resolve(p, resources)) for p in parts)
    return {k: resolve(v, resources) for k, v in value.items()}


def documents(resources: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found = {}
    for logical, resource in resources.items():
        props = resource.get("Properties", {})
        if resource["Type"] == "AWS::IAM::ManagedPolicy":
            found[logical] = props["PolicyDocument"]
        for policy in props.get("Policies", []) if resource["Type"] == "AWS::IAM::Role" else []:
            found[f"{logical}/{policy['PolicyName']}"] = policy["PolicyDocument"]
    return found


def test_every_policy_of_the_stack_passes_parliament(built: Any) -> None:
    _, resources = built
    found = documents(resources)
    assert len(found) >= len(stack.FUNCTIONS) + 1  # each function's role and the scheduler's
    problems = {}
    for name, document in found.items():
        report = analyze_policy_string(json.dumps(resolve(document, resources)))
        if report.findings:
            problems[name] = [f"{f.issue}: {f.detail}" for f in report.findings]
    assert problems == {}


@pytest.mark.parametrize(("action", "issue"), [("dynamodb:GetItems", "UNKNOWN_ACTION"),
                                               ("sqs:SendMessage", "RESOURCE_MISMATCH")])  # fmt: skip
def test_a_broken_policy_is_caught_by_the_lint(action: str, issue: str) -> None:
    # GIVEN an action that does not exist, or one on a resource of the wrong type
    bad = roles.document(roles.allow([action], "arn:aws:dynamodb:us-east-1:123456789012:table/t"))
    assert issue in {f.issue for f in analyze_policy_string(json.dumps(bad)).findings}


def _actions(resources: dict[str, Any], function: str) -> dict[str, list[str]]:
    """Action -> resources, over the role of ``function`` and the policies attached to it."""
    granted: dict[str, list[str]] = {}
    for name, document in documents(resources).items():
        resource = resources[name.split("/")[0]]
        attached = resource["Properties"].get("Roles", [{"Ref": name.split("/")[0]}])
        if {"Ref": roles.role_id(function)} not in attached:
            continue
        for statement in resolve(document, resources)["Statement"]:
            targets = statement["Resource"]
            for action in [statement["Action"]] if isinstance(statement["Action"], str) else (
                    statement["Action"]):  # fmt: skip
                granted.setdefault(action, []).extend([targets] if isinstance(targets, str)
                                                      else targets)  # fmt: skip
    return granted


def test_each_role_holds_only_what_its_function_uses(built: Any) -> None:
    functions, resources = built
    every = {f: _actions(resources, f) for f in stack.FUNCTIONS}
    for function, granted in every.items():
        assert functions[function]["role"] == roles.role_id(function)
        assert all("*" not in a and granted[a] != ["*"] for a in granted), function
    writers = {f for f, granted in every.items() if "secretsmanager:PutSecretValue" in granted}
    readers = {f for f, granted in every.items() if "secretsmanager:GetSecretValue" in granted}
    assert writers == {"publish", "ingest"}
    assert readers == {"publish", "ingest", "alert", "generate"}
    # generate reads one secret, the OpenAI key, and writes only drafts onto incident records
    assert every["generate"]["secretsmanager:GetSecretValue"] == [
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:socialops/openai-??????"
    ]
    assert every["alert"]["lambda:InvokeFunction"] == [
        "arn:aws:lambda:us-east-1:123456789012:function:socialops-dev-generate"
    ]
    # publish asks generate for review: none texts; nothing else invokes a function
    assert every["publish"]["lambda:InvokeFunction"] == every["alert"]["lambda:InvokeFunction"]
    assert not {f for f, g in every.items() if "lambda:InvokeFunction" in g} - {"alert", "publish"}
    deleters = {f: g["dynamodb:DeleteItem"] for f, g in every.items() if "dynamodb:DeleteItem" in g}
    assert list(deleters) == ["publish"] and all("IdempotencyTable" in r
                                                 for r in deleters["publish"])  # fmt: skip
    schedulers = {f for f, g in every.items() if any(a.startswith("scheduler:") for a in g)}
    assert schedulers == {"publish", "optimize"}  # late retries; at: auto placements
    functions_groups = ["arn:aws:scheduler:us-east-1:123456789012:schedule/socialops-dev-*.fn/*"]
    assert every["publish"]["scheduler:CreateSchedule"] == functions_groups
    for action in ("CreateSchedule", "GetSchedule", "DeleteSchedule"):  # never deploy's groups
        assert every["optimize"][f"scheduler:{action}"] == functions_groups
    assert "sns:Publish" not in every["score"] and "sqs:SendMessage" not in every["alert"]
    # alert writes in the buckets table only the late items (their old marks removed)
    [marks] = [st for st in roles.ACCESS["alert"] if st["Action"] == "dynamodb:UpdateItem"
               and st["Resource"] == {"Fn::GetAtt": ["MentionBucketsTable", "Arn"]}]  # fmt: skip
    assert marks["Condition"]["ForAllValues:StringLike"] == {"dynamodb:LeadingKeys": ["late#*"]}


# boto3 methods a function's own code calls -> the IAM action its role must grant
CALLS = {"get_item": "dynamodb:GetItem", "batch_get_item": "dynamodb:BatchGetItem",
         "put_item": "dynamodb:PutItem", "update_item": "dynamodb:UpdateItem",
         "delete_item": "dynamodb:DeleteItem", "query": "dynamodb:Query",
         "put_object": "s3:PutObject", "get_object": "s3:GetObject",
         "list_objects_v2": "s3:ListBucket", "invoke": "lambda:InvokeFunction",
         "create_schedule": "scheduler:CreateSchedule", "get_schedule": "scheduler:GetSchedule",
         "delete_schedule": "scheduler:DeleteSchedule"}  # fmt: skip
_NAMES = "|".join(CALLS)
# a direct call, a call through ``run.call(client, "name")``, or a paginator of the call
_CALLED = re.compile(rf"\.({_NAMES})\(|\.call\(\s*[\w.]+,\s*[\"']({_NAMES})[\"']"
                     rf"|get_paginator\(\s*[\"']({_NAMES})[\"']")  # fmt: skip


def test_every_call_a_function_makes_is_granted_to_its_role(built: Any) -> None:
    # the read-back's markers were read with BatchGetItem on the cursors table, which
    # ingest's role did not grant: moto does not enforce IAM, AWS would have refused it
    _, resources = built
    missing = []
    for function in stack.FUNCTIONS:
        granted = _actions(resources, function)
        for path in sorted((ROOT / "functions" / function).rglob("*.py")):
            for match in _CALLED.finditer(path.read_text()):
                action = CALLS[next(g for g in match.groups() if g)]
                if action not in granted:
                    missing.append(f"{path.relative_to(ROOT)} calls {action}: not in {function}'s role")  # fmt: skip
    assert missing == []
