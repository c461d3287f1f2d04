"""The stack: serverless.yml + build/serverless package offline, lint clean and deploy to moto.

GIVEN the example campaigns compiled into a temporary service folder (a copy of the repo's
serverless.yml, functions/ and schema/ next to a fresh build/), WHEN ``osls package`` runs
offline, THEN the CloudFormation template passes cfn-lint, creates in moto's CloudFormation
(every resource type moto skips is an error, except the ones listed and checked on the
JSON below), and every function's package fits Lambda's 250 MB unzipped limit.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import warnings
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from cfnlint.api import ManualArgs, lint_file
from moto import mock_aws

from infra import stack
from infra.cli import main
from infra.simulate.aws import moto_server
from schema.documents import RuntimeConfig

ROOT = Path(__file__).resolve().parents[2]
OSLS = ROOT / "node_modules" / ".bin" / "osls"
LAYERS = {
    "score": "layers/score-libs",
    "optimize": "layers/optimize-libs",
    "generate": "layers/generate-libs",
}  # make layers
NOW = "2026-12-01T00:00Z"
STAGE = "test"
REGION = "us-east-1"
STACK = f"socialops-{STAGE}"
UNZIPPED_LIMIT = 250 * 1024 * 1024  # Lambda: function code and layers, unzipped
# The Powertools layer counts toward that limit but cannot be measured offline: reserve
# room for it, generously (it holds Powertools, pydantic and the other Powertools extras).
LAYER_RESERVE = 50 * 1024 * 1024
CP312 = "cp312-cp312-manylinux_2_27_x86_64"
LAYER_WHEELS = {  # each layer's wheels and a tag of each
    "score": {"numpy": CP312, "onnxruntime": "cp312-cp312-manylinux",
              "tokenizers": "cp310-abi3-manylinux"},
    "optimize": {"numpy": CP312, "scipy": CP312, "scikit_learn": CP312,
                 "joblib": "py3-none-any", "threadpoolctl": "py3-none-any"},
    "generate": {"openai": "py3-none-any", "jiter": "cp312-cp312-manylinux",
                 "httpx2": "py3-none-any", "httpcore2": "py3-none-any", "anyio": "py3-none-any",
                 "h11": "py3-none-any", "idna": "py3-none-any", "sniffio": "py3-none-any",
                 "truststore": "py3-none-any"},
}  # fmt: skip
# what each wheel puts in the layer to import (default: the package of its name)
LAYER_IMPORTS = {"scikit_learn": "sklearn/__init__.py", "threadpoolctl": "threadpoolctl.py"}
HEAVY = ("sklearn/", "statsmodels/", "scipy/", "pandas/", "numpy/")
POWERTOOLS_LAYER = re.compile(
    r"^arn:aws:lambda:us-east-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python312-x86_64:\d+$"
)

Template = dict[str, Any]


def _bucket_policy(name: str, resource: Template) -> None:
    """The framework's policy on its deployment bucket: deny anything but TLS."""
    props = resource["Properties"]
    assert props["Bucket"] == {"Ref": "ServerlessDeploymentBucket"}, name
    [statement] = props["PolicyDocument"]["Statement"]
    assert statement["Effect"] == "Deny" and statement["Action"] == "s3:*"
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": False}}


def _email_subscription(name: str, resource: Template) -> None:
    props = resource["Properties"]
    assert props["TopicArn"] == {"Ref": "AlertsTopic"}, name
    assert props["Protocol"] == "email"
    assert re.fullmatch(r"[^@\s]+@[^@\s]+\.[a-z]{2,}", props["Endpoint"]), props["Endpoint"]
    assert props["FilterPolicyScope"] == "MessageAttributes"
    campaigns = props["FilterPolicy"]["campaign"]
    assert campaigns and campaigns == sorted(set(campaigns))


def _invoke_config(name: str, resource: Template) -> None:
    # publish: asynchronous invocations that still fail after Lambda's retries land in
    # the publish dead-letter queue (a crash never loses a scheduled post)
    props = resource["Properties"]
    assert props["FunctionName"] == {"Ref": "PublishLambdaFunction"}, name
    assert props["MaximumRetryAttempts"] == 2
    assert props["DestinationConfig"]["OnFailure"]["Destination"] == {
        "Fn::GetAtt": ["PublishDeadLetterQueue", "Arn"]
    }


def _http_api(name: str, resource: Template) -> None:
    assert resource["Properties"]["ProtocolType"] == "HTTP", name


def _http_stage(name: str, resource: Template) -> None:
    props = resource["Properties"]
    assert props["ApiId"] == {"Ref": "HttpApi"} and props["AutoDeploy"] is True, name


def _http_integration(name: str, resource: Template) -> None:
    # the webhook entry: only ingest is behind the HTTP API
    props = resource["Properties"]
    assert props["IntegrationType"] == "AWS_PROXY", name
    assert props["IntegrationUri"] == {"Fn::GetAtt": ["IngestLambdaFunction", "Arn"]}, name


def _http_route(name: str, resource: Template) -> None:
    key = resource["Properties"]["RouteKey"]
    assert key in ("GET /webhooks/{platform}/{brand}", "POST /webhooks/{platform}/{brand}"), key


def _glue_database(name: str, resource: Template) -> None:
    # the data lake's catalog: socialops_<stage> (ARCHITECTURE.md 10)
    props = resource["Properties"]
    assert props["DatabaseInput"]["Name"] == {
        "Fn::Join": ["_", {"Fn::Split": ["-", {"Ref": "AWS::StackName"}]}]
    }, name


def _glue_table(name: str, resource: Template) -> None:
    props = resource["Properties"]
    assert props["DatabaseName"] == {"Ref": "LakeDatabase"}, name
    table = props["TableInput"]
    assert table["TableType"] == "EXTERNAL_TABLE", name
    assert table["Parameters"]["projection.enabled"] == "true", name
    template = table["Parameters"]["storage.location.template"]["Fn::Join"][1]
    assert template[:2] == ["s3://", {"Ref": "RawMentionsBucket"}], name
    keys = [k["Name"] for k in table["PartitionKeys"]]
    assert template[2].endswith("/" + "/".join(f"{k}=${{{k}}}" for k in keys) + "/"), name


# Resource types moto's CloudFormation does not create. They are taken out of the template
# before the stack is created in moto, and checked on the template JSON instead.
MOTO_UNSUPPORTED: dict[str, Callable[[str, Template], None]] = {
    "AWS::S3::BucketPolicy": _bucket_policy,
    "AWS::SNS::Subscription": _email_subscription,
    "AWS::Lambda::EventInvokeConfig": _invoke_config,
    "AWS::ApiGatewayV2::Api": _http_api,
    "AWS::ApiGatewayV2::Stage": _http_stage,
    "AWS::ApiGatewayV2::Integration": _http_integration,
    "AWS::ApiGatewayV2::Route": _http_route,
    "AWS::Glue::Database": _glue_database,
    "AWS::Glue::Table": _glue_table,
}


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A service folder with the examples compiled and ``osls package`` run once."""
    if not OSLS.exists():
        pytest.fail(
            f"{OSLS.relative_to(ROOT)} is missing: run `npm ci` in {ROOT} "
            "(package.json pins osls, which packages serverless.yml offline)"
        )
    folder = tmp_path_factory.mktemp("service")
    shutil.copy(ROOT / "serverless.yml", folder)
    for function, layer in LAYERS.items():
        if not (ROOT / layer / "python" / ".installed").exists():
            pytest.fail(f"{layer} is missing: run `make layers` ({function}'s layer)")
        shutil.copytree(ROOT / layer, folder / layer)
    for package in ("functions", "schema"):
        shutil.copytree(
            ROOT / package, folder / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    out = folder / "build"
    argv = ["compile", str(ROOT / "campaigns"), "--out", str(out), "--no-cache", "--now", NOW]
    assert main(argv) == 0
    env = {**os.environ, "SLS_TELEMETRY_DISABLED": "1", "SLS_NOTIFICATIONS_MODE": "off"}
    # Packaging a layer asks CloudFormation whether the stack already holds the same layer
    # (osls compares hashes): a moto server on loopback answers "no such stack".
    with moto_server() as endpoint:
        env.update(AWS_ENDPOINT_URL=endpoint, AWS_ACCESS_KEY_ID="fake-" + "key",
                   AWS_SECRET_ACCESS_KEY="fake-" + "secret")  # fmt: skip
        result = subprocess.run(
            [str(OSLS), "package", "--stage", STAGE, "--region", REGION],
            cwd=folder, env=env, capture_output=True, text=True, timeout=180, check=False,
        )  # fmt: skip
    assert result.returncode == 0, f"osls package failed:\n{result.stdout}\n{result.stderr}"
    return folder


@pytest.fixture(scope="module")
def template(service: Path) -> Template:
    path = service / ".serverless" / "cloudformation-template-update-stack.json"
    assert path.is_file(), f"osls wrote no {path.name}"
    document: Template = json.loads(path.read_text())
    return document


@pytest.fixture(scope="module")
def configs(service: Path) -> dict[str, RuntimeConfig]:
    return {
        p.stem: RuntimeConfig.model_validate_json(p.read_bytes())
        for p in sorted((service / "build" / "config").glob("*.json"))
    }


def of_type(template: Template, kind: str) -> dict[str, Template]:
    return {k: r for k, r in template["Resources"].items() if r["Type"] == kind}


def test_package_has_the_fixed_functions_on_the_powertools_layer(template: Template) -> None:
    functions = of_type(template, "AWS::Lambda::Function")
    assert sorted(functions) == sorted(stack.logical_id(f) for f in stack.FUNCTIONS)
    for name in stack.FUNCTIONS:
        props = functions[stack.logical_id(name)]["Properties"]
        assert props["Handler"] == f"functions/{name}/handler.handler"
        assert props["Runtime"] == "python3.12"
        layer, *own = props["Layers"]
        assert POWERTOOLS_LAYER.match(layer), layer
        # score's model needs numpy and, on its accurate path, onnxruntime and tokenizers;
        # optimize's training numpy, scipy and scikit-learn: each its own layer, not in the
        # other functions' packages
        wanted = [{"Ref": f"{name.capitalize()}LibsLambdaLayer"}] if name in LAYERS else []
        assert own == wanted, name
        assert props["Environment"]["Variables"]["POWERTOOLS_SERVICE_NAME"] == "socialops"
    layers = of_type(template, "AWS::Lambda::LayerVersion")
    assert sorted(layers) == [
        "GenerateLibsLambdaLayer",
        "OptimizeLibsLambdaLayer",
        "ScoreLibsLambdaLayer",
    ]
    for layer in layers.values():
        assert layer["Properties"]["CompatibleRuntimes"] == ["python3.12"]
        assert layer["Properties"]["CompatibleArchitectures"] == ["x86_64"]


def test_functions_may_create_schedules_only_in_the_functions_groups(template: Template) -> None:
    # publish's late retries go to socialops-<stage>-<campaign>.fn; the groups that deploy
    # reconciles (and every other group) are out of the functions' reach, and no shared
    # role exists: each function runs with its own
    assert "IamRoleLambdaExecution" not in template["Resources"]
    functions = of_type(template, "AWS::Lambda::Function")
    for name in stack.FUNCTIONS:
        role = functions[stack.logical_id(name)]["Properties"]["Role"]
        assert role == {"Fn::GetAtt": [f"{name[0].upper()}{name[1:]}FunctionRole", "Arn"]}
    statements = [s for r in of_type(template, "AWS::IAM::Role").values()
                  for p in r["Properties"].get("Policies", [])
                  for s in p["PolicyDocument"]["Statement"]]  # fmt: skip
    # publish's retries create; optimize's placements of at: auto posts create, read, delete
    scheduling = [s for s in statements if str(s["Action"]).startswith(("scheduler:", "['scheduler:"))]  # fmt: skip
    assert sorted(map(str, (s["Action"] for s in scheduling))) == sorted(map(str, [
        "scheduler:CreateSchedule",
        ["scheduler:CreateSchedule", "scheduler:GetSchedule", "scheduler:DeleteSchedule"]]))  # fmt: skip
    for statement in scheduling:
        assert statement["Resource"]["Fn::Sub"].endswith(":schedule/${AWS::StackName}-*.fn/*")
    passing = [s for s in statements if "iam:PassRole" in s["Action"]]
    assert [s["Resource"]["Fn::Sub"] for s in passing] == [
        "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/${AWS::StackName}-scheduler-publish"
    ] * 2
    publish = template["Resources"][stack.logical_id("publish")]["Properties"]
    assert publish["Environment"]["Variables"]["PUBLISH_SCHEDULER_ROLE_ARN"] == {
        "Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/${AWS::StackName}"
        "-scheduler-publish"
    }
    named = template["Resources"]["SchedulerPublishRole"]["Properties"]["RoleName"]
    assert named == {"Fn::Sub": "${AWS::StackName}-scheduler-publish"}


def test_template_passes_cfn_lint(service: Path) -> None:
    for name in ("create", "update"):
        path = service / ".serverless" / f"cloudformation-template-{name}-stack.json"
        matches = lint_file(path, config=ManualArgs(regions=[REGION]))
        for match in matches:
            print(f"cfn-lint {path.name}: {match.rule.id} {match.rule.severity}: {match}")
        errors = [str(m) for m in matches if m.rule.severity.lower() == "error"]
        assert not errors, "\n".join(errors)


def test_resource_count_is_what_the_compiler_budgets(service: Path, template: Template) -> None:
    functions = json.loads((service / "build/serverless/functions.json").read_text())
    resources = json.loads((service / "build/serverless/resources.json").read_text())
    count = len(template["Resources"])
    assert count == stack.resource_count(functions, resources)
    assert count <= stack.MAX_RESOURCES


def test_moto_unsupported_resources_are_present_and_well_formed(
    template: Template, configs: dict[str, RuntimeConfig]
) -> None:
    for kind, check in MOTO_UNSUPPORTED.items():
        resources = of_type(template, kind)
        assert resources, f"expected some {kind} in the template"
        for name, resource in resources.items():
            check(name, resource)
    emails = {
        r["Properties"]["Endpoint"]: r["Properties"]["FilterPolicy"]["campaign"]
        for r in of_type(template, "AWS::SNS::Subscription").values()
    }
    assert emails == stack.alert_emails(configs)  # each address once, with its campaigns


def test_tables_keep_what_must_survive_and_expire_the_rest(template: Template) -> None:
    # moto creates the tables but ignores these properties: checked on the template
    tables = of_type(template, "AWS::DynamoDB::Table")
    ttl = {
        k: t["Properties"].get("TimeToLiveSpecification", {}).get("AttributeName")
        for k, t in tables.items()
    }
    assert ttl == {
        "AlertIncidentsTable": "expires_at", "IdempotencyTable": "expiration",
        "IngestCursorsTable": "expires_at", "MentionBucketsTable": "expires_at",
        "PauseFlagsTable": None,
        "PublishRecordsTable": None,
    }  # fmt: skip
    for name in ("AlertIncidentsTable", "IngestCursorsTable", "PauseFlagsTable",
                 "PublishRecordsTable"):  # fmt: skip
        table = tables[name]
        assert table["Properties"]["PointInTimeRecoverySpecification"] == {
            "PointInTimeRecoveryEnabled": True
        }
        assert table["DeletionPolicy"] == table["UpdateReplacePolicy"] == "Retain"


def _refers_to(value: Any, names: list[str]) -> bool:
    text = json.dumps(value)
    return any(f'"Ref": "{n}"' in text or f'["{n}",' in text for n in names)


def _moto_template(service: Path, template: Template, layer: str) -> Template:
    """The template as moto can create it: supported types, code in an uploaded bucket."""
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket="artifacts")
    document = json.loads(json.dumps(template))
    resources = document["Resources"]
    removed = [k for k, r in resources.items() if r["Type"] in MOTO_UNSUPPORTED]
    for name in removed:
        del resources[name]
    # and what refers to them (the HTTP API's invoke permission, its id and URL outputs)
    for section in (resources, document["Outputs"]):
        for name in [k for k, r in section.items() if _refers_to(r, removed)]:
            del section[name]
    for function in of_type(document, "AWS::Lambda::Function").values():
        code = function["Properties"]["Code"]
        artifact = service / ".serverless" / code["S3Key"].rsplit("/", 1)[1]
        s3.upload_file(str(artifact), "artifacts", code["S3Key"])
        code["S3Bucket"] = "artifacts"
        function["Properties"]["Layers"] = [layer]  # moto knows only layers published in it
    return document


@pytest.fixture(scope="module")
def moto_stack(service: Path, template: Template) -> Iterator[dict[str, str]]:
    """The stack created in moto; yields its outputs."""
    with mock_aws():
        lam = boto3.client("lambda", region_name=REGION)
        layer = lam.publish_layer_version(
            LayerName="powertools-stand-in", Content={"ZipFile": _zip({"python/x.py": ""})}
        )["LayerVersionArn"]
        body = json.dumps(_moto_template(service, template, layer))
        cloudformation = boto3.client("cloudformation", region_name=REGION)
        with warnings.catch_warnings():
            warnings.simplefilter("error", UserWarning)  # moto skipping a resource type fails
            cloudformation.create_stack(
                StackName=STACK, TemplateBody=body, Capabilities=["CAPABILITY_IAM"]
            )
        [described] = cloudformation.describe_stacks(StackName=STACK)["Stacks"]
        assert described["StackStatus"] == "CREATE_COMPLETE", described.get("StackStatusReason")
        yield {o["OutputKey"]: o["OutputValue"] for o in described["Outputs"]}


def _zip(files: dict[str, str]) -> bytes:
    from io import BytesIO

    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def test_stack_creates_tables_queues_and_topics(moto_stack: dict[str, str]) -> None:
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    names = {k: v for k, v in moto_stack.items() if k.endswith("TableName")}
    assert sorted(names) == [
        "AlertIncidentsTableName", "IdempotencyTableName", "IngestCursorsTableName",
        "MentionBucketsTableName", "PauseFlagsTableName", "PublishRecordsTableName",
    ]  # fmt: skip
    for table in names.values():
        description = dynamodb.describe_table(TableName=table)["Table"]
        assert description["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    sqs = boto3.client("sqs", region_name=REGION)
    attributes = sqs.get_queue_attributes(
        QueueUrl=moto_stack["MentionsQueueUrl"], AttributeNames=["All"]
    )["Attributes"]
    redrive = json.loads(attributes["RedrivePolicy"])
    assert redrive["deadLetterTargetArn"].split(":")[-1] in moto_stack["MentionsDeadLetterQueueUrl"]
    assert sqs.get_queue_url(QueueName=moto_stack["PublishDeadLetterQueueArn"].split(":")[-1])
    topics = {
        t["TopicArn"] for t in boto3.client("sns", region_name=REGION).list_topics()["Topics"]
    }
    assert {moto_stack["AlertsTopicArn"], moto_stack["PublishFailuresTopicArn"]} <= topics
    boto3.client("s3", region_name=REGION).head_bucket(Bucket=moto_stack["RawMentionsBucketName"])


def test_stack_wires_the_campaigns(
    moto_stack: dict[str, str], configs: dict[str, RuntimeConfig]
) -> None:
    events = boto3.client("events", region_name=REGION)
    inputs = [
        json.loads(target["Input"])
        for rule in events.list_rules()["Rules"]
        for target in events.list_targets_by_rule(Rule=rule["Name"])["Targets"]
        if target.get("Input")
    ]
    assert sorted((i["brand"], i["platform"]) for i in inputs if "brand" in i) == (
        stack.listening_sources(configs)
    )
    assert {"action": "refresh_tokens"} in inputs  # publish renews the platform tokens
    lam = boto3.client("lambda", region_name=REGION)
    [mapping] = lam.list_event_source_mappings()["EventSourceMappings"]
    assert mapping["FunctionArn"].endswith(f"{STACK}-score")
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    role = moto_stack["SchedulerRoleArn"].rsplit("/", 1)[1]
    trust = boto3.client("iam", region_name=REGION).get_role(RoleName=role)["Role"]
    principal = trust["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]
    assert principal == {"Service": "scheduler.amazonaws.com"}
    assert moto_stack["PublishFunctionArn"].endswith(f"{STACK}-publish")


def test_every_package_fits_lambda_and_holds_only_its_code(
    service: Path, configs: dict[str, RuntimeConfig]
) -> None:
    sizes: dict[str, int] = {}
    for name in stack.FUNCTIONS:
        with zipfile.ZipFile(service / ".serverless" / f"{name}.zip") as archive:
            entries = archive.infolist()
        files = {e.filename for e in entries}
        sizes[name] = sum(e.file_size for e in entries)
        assert f"functions/{name}/handler.py" in files
        others = {f.split("/")[1] for f in files if f.endswith("/handler.py")} - {name}
        assert not others, f"{name}.zip holds the code of {others}"
        assert {f"build/config/{c}.json" for c in configs} <= files
        assert not [f for f in files if f.startswith(("node_modules/", ".venv/", "tests/"))]
        if name in ("publish", "alert"):  # these must start fast (ARCHITECTURE.md 7)
            assert not [f for f in files if f.startswith(HEAVY)], f"{name}.zip is heavy"
    for function, wanted in LAYER_WHEELS.items():
        with zipfile.ZipFile(service / ".serverless" / f"{function}Libs.zip") as archive:
            entries = archive.infolist()
            wheels = {e.filename.split("/")[1].split("-")[0]: archive.read(e.filename).decode()
                      for e in entries if e.filename.endswith(".dist-info/WHEEL")}  # fmt: skip
        # the runtime's wheels (python3.12 on x86_64 Linux), whatever Python runs the tests
        assert sorted(wheels) == sorted(wanted), sorted(wheels)
        for name, tag in wanted.items():
            assert f"Tag: {tag}" in wheels[name], (name, wheels[name])
        names = {e.filename for e in entries}
        assert {f"python/{LAYER_IMPORTS.get(n, n + '/__init__.py')}" for n in wanted} <= names
        assert not [n for n in names if "/tests/" in n or n.endswith(".pyi")]
        sizes[function] += sum(e.file_size for e in entries)
    for name, size in sizes.items():
        print(f"{name}: {size / 1024:.1f} KiB unzipped, with its own layers")
        assert size + LAYER_RESERVE < UNZIPPED_LIMIT, f"{name}: {size} bytes unzipped"
