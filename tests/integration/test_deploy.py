"""``socialops plan`` / ``deploy``: the schedule reconciler against moto's EventBridge Scheduler.

GIVEN the example campaigns compiled with a fixed ``--now``, WHEN they are deployed into moto
(in-process, ``mock_aws``), THEN each campaign has its own owned group with the compiled
schedules, a second deploy writes nothing, one changed post is one delete and one create,
a removed campaign's group goes, foreign groups stay, and a deploy that died half-way is
finished by the next one.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws
from processes import refusing_port, started_moto

from infra.cli import _now, main
from infra.deploy.apply import ApplyError, apply
from infra.deploy.desired import MANAGED, STAGE, Targets, load
from infra.deploy.plan import make_plan

ROOT = Path(__file__).resolve().parents[2]
NOW = "2026-12-01T00:00Z"
REGION = "us-east-1"
PUBLISH = "arn:aws:lambda:us-east-1:123456789012:function:socialops-test-publish"
ROLE = "arn:aws:iam::123456789012:role/socialops-test-scheduler"
DLQ = "arn:aws:sqs:us-east-1:123456789012:socialops-test-publish-dlq"
DATA_BUCKET = "socialops-test-data"  # the generated images go there (brew-tips' cards)
FLAGS = ["--stage", "test", "--now", NOW, "--publish-arn", PUBLISH, "--role-arn", ROLE,
         "--bucket", DATA_BUCKET, "--dlq-arn", DLQ]  # the DLQ last: a test swaps it  # fmt: skip
WRITES = {"CreateSchedule", "UpdateSchedule", "DeleteSchedule", "CreateScheduleGroup",
          "DeleteScheduleGroup", "TagResource", "UntagResource"}  # fmt: skip


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_DEFAULT_REGION": REGION}.items():  # fmt: skip
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_REGION", raising=False)
    with mock_aws():
        boto3.client("s3", region_name=REGION).create_bucket(Bucket=DATA_BUCKET)
        yield


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Every Scheduler API call the command makes, by operation."""
    counter: Counter[str] = Counter()
    real = boto3.client

    def client(service: str, *args: Any, **kwargs: Any) -> Any:
        made = real(service, *args, **kwargs)
        if service == "scheduler":
            made.meta.events.register(
                "before-call.scheduler.*",
                lambda model, **_: counter.update([model.name]),
            )
        return made

    monkeypatch.setattr(boto3, "client", client)
    return counter


@pytest.fixture
def build(tmp_path: Path) -> Path:
    campaigns = tmp_path / "campaigns"
    shutil.copytree(ROOT / "campaigns", campaigns)
    out = tmp_path / "build"
    assert main(["compile", str(campaigns), "--out", str(out), "--now", NOW, "--no-cache"]) == 0
    return out


def recompile(build: Path) -> None:
    campaigns = build.parent / "campaigns"
    assert main(["compile", str(campaigns), "--out", str(build), "--now", NOW, "--no-cache"]) == 0


def run(*args: str | Path) -> int:
    return main([str(a) for a in args])


def scheduler(region: str = REGION) -> Any:
    return boto3.client("scheduler", region_name=region)


def groups(region: str = REGION) -> dict[str, dict[str, str]]:
    client = scheduler(region)
    found = {}
    for g in client.list_schedule_groups()["ScheduleGroups"]:
        tags = client.list_tags_for_resource(ResourceArn=g["Arn"])["Tags"]
        found[g["Name"]] = {t["Key"]: t["Value"] for t in tags}
    return found


def names(group: str, region: str = REGION) -> set[str]:
    pages = scheduler(region).get_paginator("list_schedules").paginate(GroupName=group)
    return {s["Name"] for page in pages for s in page["Schedules"]}


def compiled(build: Path, campaign: str) -> dict[str, Any]:
    doc = json.loads((build / "schedules" / f"{campaign}.json").read_text())
    return {s["name"]: s for s in doc["schedules"]}


def writes(calls: Counter[str]) -> int:
    return sum(n for op, n in calls.items() if op in WRITES)


def test_deploy_creates_one_owned_group_per_campaign(aws: None, build: Path) -> None:
    assert run("deploy", "--build", build, *FLAGS) == 0
    found = groups()
    for campaign in ("brand-watch", "brew-tips", "ridgeline-launch"):
        group = f"socialops-test-{campaign}"
        assert found[group][MANAGED] == "true" and found[group][STAGE] == "test"
        assert names(group) == set(compiled(build, campaign))
    entry = compiled(build, "ridgeline-launch")["launch.x.20270121T0800Z.fr-FR"]
    got = scheduler().get_schedule(Name=entry["name"], GroupName="socialops-test-ridgeline-launch")
    assert got["ScheduleExpression"] == entry["expression"] == "at(2027-01-21T08:00:00)"
    assert got["ScheduleExpressionTimezone"] == "UTC"
    assert got["FlexibleTimeWindow"] == {"Mode": "OFF"}
    assert got["ActionAfterCompletion"] == "DELETE"
    assert got["Target"]["Arn"] == PUBLISH and got["Target"]["RoleArn"] == ROLE
    assert got["Target"]["DeadLetterConfig"] == {"Arn": DLQ}
    assert json.loads(got["Target"]["Input"]) == entry["payload"]
    assert got["Target"]["Input"] == json.dumps(
        entry["payload"], sort_keys=True, separators=(",", ":")
    )
    assert (
        entry["local_time"] in got["Description"] and entry["local_timezone"] in got["Description"]
    )


def test_second_deploy_writes_nothing(aws: None, build: Path, calls: Counter[str]) -> None:
    assert run("deploy", "--build", build, *FLAGS) == 0
    calls.clear()
    assert run("deploy", "--build", build, *FLAGS) == 0
    assert writes(calls) == 0
    assert set(calls) == {"ListScheduleGroups", "ListTagsForResource"}


def _move_launch(build: Path) -> None:
    path = build.parent / "campaigns" / "northwind" / "ridgeline-launch.yml"
    text = path.read_text()
    assert "2027-01-21 09:00" in text
    path.write_text(text.replace("2027-01-21 09:00", "2027-01-21 10:00"))
    recompile(build)


def test_one_changed_post_time_is_a_delete_and_a_create_per_schedule(
    aws: None, build: Path, calls: Counter[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("deploy", "--build", build, *FLAGS) == 0
    before = set(compiled(build, "ridgeline-launch"))
    _move_launch(build)
    after = set(compiled(build, "ridgeline-launch"))
    gone, new = before - after, after - before
    assert gone and len(gone) == len(new)
    capsys.readouterr()
    assert run("plan", "--build", build, *FLAGS, "--format", "json") == 0
    plan = json.loads(capsys.readouterr().out)
    changed = [g for g in plan["groups"] if g["create"] or g["delete"] or g["update"]]
    assert [g["campaign"] for g in changed] == ["ridgeline-launch"]
    assert set(changed[0]["create"]) == new and set(changed[0]["delete"]) == gone
    calls.clear()
    assert run("deploy", "--build", build, *FLAGS) == 0
    assert calls["CreateSchedule"] == len(new) and calls["DeleteSchedule"] == len(gone)
    assert calls["UpdateSchedule"] == 0 and calls["GetSchedule"] == 0
    assert names("socialops-test-ridgeline-launch") == after


def test_changed_target_is_an_update_of_each_schedule(
    aws: None, build: Path, calls: Counter[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("deploy", "--build", build, *FLAGS) == 0
    other = [*FLAGS[:-1], DLQ + "-2"]
    capsys.readouterr()
    assert run("plan", "--build", build, *other) == 0
    assert "~ launch.x.20270121T0800Z.fr-FR  (Target.DeadLetterConfig)" in capsys.readouterr().out
    calls.clear()
    assert run("deploy", "--build", build, *other) == 0
    assert calls["UpdateSchedule"] == 473 and calls["CreateSchedule"] == 0
    calls.clear()
    assert run("deploy", "--build", build, *other) == 0
    assert writes(calls) == 0


def test_removed_campaign_loses_its_group_only(aws: None, build: Path) -> None:
    assert run("deploy", "--build", build, *FLAGS) == 0
    (build.parent / "campaigns" / "brewlab" / "brew-tips.yml").unlink()
    recompile(build)
    assert run("deploy", "--build", build, *FLAGS) == 0
    found = groups()
    assert "socialops-test-brew-tips" not in found
    assert "socialops-test-brew-tips.fn" not in found  # its functions' group goes with it
    assert {"socialops-test-brand-watch", "socialops-test-ridgeline-launch",
            "socialops-test-brand-watch.fn"} <= set(found)  # fmt: skip


def test_the_functions_group_is_made_with_its_campaign_and_never_diffed(
    aws: None, build: Path
) -> None:
    # GIVEN a deploy, and a late retry that publish put in a campaign's functions' group
    assert run("deploy", "--build", build, *FLAGS) == 0
    fn = "socialops-test-brew-tips.fn"
    assert groups()[fn] == {MANAGED: "true", STAGE: "test", "socialops:campaign": "brew-tips",
                            "socialops:owner": "functions"}  # fmt: skip
    scheduler().create_schedule(
        Name="retry-0123456789abcdef01234567-20270201T1000Z", GroupName=fn,
        ScheduleExpression="at(2027-02-01T10:00:00)", FlexibleTimeWindow={"Mode": "OFF"},
        Target={"Arn": PUBLISH, "RoleArn": ROLE, "Input": "{}"},
    )  # fmt: skip
    # WHEN the build changes and deploy runs again (with --refresh, reading every schedule)
    (build.parent / "campaigns" / "aerolite" / "brand-watch.yml").unlink()
    recompile(build)
    assert run("deploy", "--build", build, *FLAGS, "--refresh") == 0
    # THEN the functions' schedule is left alone, and no group is made twice
    assert names(fn) == {"retry-0123456789abcdef01234567-20270201T1000Z"}
    assert "socialops-test-brand-watch.fn" not in groups()


def test_the_longest_stage_and_campaign_fit_schedulers_64_characters() -> None:
    from functions.common.schedules import STAGE_MAX, STAGE_PATTERN, functions_group

    longest = functions_group("s" * STAGE_MAX, "c" * 32)
    assert len(longest) == 64 and STAGE_PATTERN.match("s" * STAGE_MAX)
    assert not STAGE_PATTERN.match("s" * (STAGE_MAX + 1))


def test_foreign_groups_and_schedules_are_left_alone(aws: None, build: Path) -> None:
    client = scheduler()
    target = {"Arn": PUBLISH, "RoleArn": ROLE}
    for group, tags in [("socialops-test-legacy", []), ("other-team", []),
                        ("socialops-prod-old", [{"Key": MANAGED, "Value": "true"},
                                                {"Key": STAGE, "Value": "prod"}])]:  # fmt: skip
        client.create_schedule_group(Name=group, Tags=tags)
        client.create_schedule(Name="keep-me", GroupName=group, ScheduleExpression="rate(1 day)",
                               FlexibleTimeWindow={"Mode": "OFF"}, Target=target)  # fmt: skip
    client.create_schedule(Name="default-one", ScheduleExpression="rate(1 day)",
                           FlexibleTimeWindow={"Mode": "OFF"}, Target=target)  # fmt: skip
    assert run("deploy", "--build", build, *FLAGS) == 0
    (build.parent / "campaigns" / "brewlab" / "brew-tips.yml").unlink()
    recompile(build)
    assert run("deploy", "--build", build, *FLAGS) == 0
    for group in ("socialops-test-legacy", "other-team", "socialops-prod-old"):
        assert names(group) == {"keep-me"}
    assert names("default") == {"default-one"}


def test_a_group_of_the_same_name_not_owned_is_a_conflict(
    aws: None, build: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scheduler().create_schedule_group(Name="socialops-test-brew-tips")
    capsys.readouterr()
    assert run("deploy", "--build", build, *FLAGS) == 1
    assert "socialops-test-brew-tips exists and is not managed" in capsys.readouterr().err
    assert names("socialops-test-brew-tips") == set()
    assert names("socialops-test-brand-watch")


class Dies(Exception):
    pass


@pytest.mark.parametrize("after", [1, 200, 400, 457])
def test_a_deploy_that_dies_half_way_is_finished_by_the_next(
    aws: None, build: Path, after: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GIVEN a deploy that fails after N writes, WHEN deploy runs again, THEN the schedules
    and tags equal those of a clean deploy, and a third deploy writes nothing."""
    now = _now(NOW)
    targets = Targets(PUBLISH, ROLE, DLQ)
    client = scheduler()
    count = Counter[str]()

    def fail(model: Any, **_: Any) -> None:
        if model.name in WRITES:
            count["writes"] += 1
            if count["writes"] > after:
                raise Dies(f"died after {after} writes")

    client.meta.events.register("before-call.scheduler.*", fail)
    with pytest.raises(ApplyError):
        apply(client, make_plan(client, "test", load(build, "test", targets, now), now))
    assert run("deploy", "--build", build, *FLAGS) == 0
    state = {g: (tags, names(g)) for g, tags in groups().items() if g != "default"}
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")  # a clean deploy, elsewhere
    assert run("deploy", "--build", build, *FLAGS) == 0
    clean = {
        g: (t, names(g, "eu-west-1")) for g, t in groups("eu-west-1").items() if g != "default"
    }
    assert len(clean) == 6 and state == clean  # each campaign's group and its functions' group
    plan = make_plan(scheduler(), "test", load(build, "test", targets, now), now, refresh=True)
    assert plan.empty


def test_plan_json_shape(aws: None, build: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert run("plan", "--build", build, *FLAGS, "--format", "json") == 0
    plan = json.loads(capsys.readouterr().out)
    assert set(plan) == {"stage", "counts", "conflicts", "past_skipped", "past_kept", "groups",
                         "auto", "exploration"}  # fmt: skip
    # nothing deployed yet: every auto occurrence at its fallback, none placed
    assert {(r["post"], r["placement"]) for r in plan["auto"]} == {
        ("field-notes", "fallback"), ("trail-question", "fallback"), ("weekend-route", "fallback")}  # fmt: skip
    assert all(r["at"] == r["fallback"] for r in plan["auto"]) and len(plan["auto"]) == 9
    assert plan["exploration"] == {"placed": 0, "explored": 0, "share": 0.0}
    assert plan["counts"] == {"create": 473, "update": 0, "delete": 0, "groups_create": 3,
                              "groups_delete": 0, "functions_groups_create": 3,
                              "functions_groups_delete": 0}  # fmt: skip
    group = plan["groups"][0]
    assert set(group) == {"campaign", "group", "action", "create", "update", "delete",
                          "schedules_in_deleted_group", "functions_group"}  # fmt: skip
    assert group["functions_group"] == {"name": "socialops-test-brand-watch.fn",
                                        "action": "create"}  # fmt: skip
    assert group["action"] == "create" and group["group"] == "socialops-test-brand-watch"
    assert groups() == {"default": {}}  # plan changed nothing


def test_no_targets_is_one_clear_line(
    aws: None, build: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert run("deploy", "--build", build, "--stage", "test") == 1
    err = capsys.readouterr().err
    assert err.startswith("socialops: deploy: no stack socialops-test") and "Traceback" not in err
    assert err.count("\n") == 1


def test_targets_from_the_stack_outputs(aws: None, build: Path) -> None:
    template = {"Resources": {"Q": {"Type": "AWS::SQS::Queue"}}, "Outputs": {
        "PublishFunctionArn": {"Value": PUBLISH}, "SchedulerRoleArn": {"Value": ROLE},
        "PublishDeadLetterQueueArn": {"Value": DLQ},
        "RawMentionsBucketName": {"Value": DATA_BUCKET}}}  # fmt: skip
    boto3.client("cloudformation", region_name=REGION).create_stack(
        StackName="socialops-test", TemplateBody=json.dumps(template)
    )
    assert run("deploy", "--build", build, "--stage", "test", "--now", NOW) == 0
    got = scheduler().get_schedule(Name="launch.x.20270121T0800Z.fr-FR",
                                   GroupName="socialops-test-ridgeline-launch")  # fmt: skip
    assert got["Target"]["DeadLetterConfig"] == {"Arn": DLQ}
    # brew-tips' approved cards went to the data bucket first, under their digests
    held = boto3.client("s3", region_name=REGION).list_objects_v2(Bucket=DATA_BUCKET)
    keys = sorted(o["Key"] for o in held.get("Contents", []))
    assert keys == sorted(f"media/generated/{p.name}" for p in (build / "media" / "generated").iterdir())  # fmt: skip
    assert keys  # one per distinct card (the same tip in one size is one object)


def test_generated_images_need_a_bucket_to_go_to(
    aws: None, build: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    no_bucket = [f for f in FLAGS if f not in ("--bucket", DATA_BUCKET)]
    assert run("deploy", "--build", build, *no_bucket) == 1
    assert "no data bucket is known" in capsys.readouterr().err
    groups = scheduler().list_schedule_groups()["ScheduleGroups"]
    assert [g["Name"] for g in groups] == ["default"]  # nothing deployed without its images


def test_missing_build_is_one_clear_line(
    aws: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert run("plan", "--build", tmp_path / "nothing", *FLAGS) == 1
    assert "run `socialops compile`" in capsys.readouterr().err


@pytest.fixture
def moto_server(tmp_path: Path) -> Iterator[str]:
    with started_moto(tmp_path) as url:
        yield url


def test_e2e_deploy_then_plan_against_a_moto_server(moto_server: str, build: Path) -> None:
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
    env.pop("AWS_REGION", None)
    env.pop("AWS_DEFAULT_REGION", None)
    command: Callable[..., subprocess.CompletedProcess[str]] = lambda *args: subprocess.run(  # noqa: E731
        [sys.executable, "-m", "infra.cli", *args, "--build", str(build), "--endpoint-url",
         moto_server, *FLAGS], capture_output=True, text=True, env=env, cwd=ROOT, check=False,
    )  # fmt: skip
    boto3.client("s3", endpoint_url=moto_server, region_name=REGION, aws_access_key_id="testing",
                 aws_secret_access_key="testing").create_bucket(Bucket=DATA_BUCKET)  # fmt: skip
    deployed = command("deploy")
    assert deployed.returncode == 0, deployed.stderr
    assert (
        "473 created" in deployed.stdout
        and "generated images put in the data bucket" in deployed.stdout
    )
    plan = command("plan")
    assert plan.returncode == 0, plan.stderr
    assert "no changes" in plan.stdout


def test_past_schedules_are_neither_created_nor_deleted(
    aws: None, build: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """GIVEN a deployed build, WHEN time passes and the compile drops what already fired,
    THEN deploy deletes none of the past schedules (Scheduler removes fired ones itself),
    and a stale build's past schedules are not created."""
    assert run("deploy", "--build", build, *FLAGS) == 0
    later = "2026-12-08T00:00Z"
    flags = [*FLAGS[:2], "--now", later, *FLAGS[4:]]
    capsys.readouterr()
    assert run("plan", "--build", build, *flags, "--format", "json") == 0
    stale = json.loads(capsys.readouterr().out)
    assert stale["past_skipped"] > 0 and stale["counts"]["create"] == 0
    campaigns = build.parent / "campaigns"
    assert main(["compile", str(campaigns), "--out", str(build), "--now", later, "--no-cache"]) == 0
    capsys.readouterr()
    assert run("plan", "--build", build, *flags, "--format", "json") == 0
    plan = json.loads(capsys.readouterr().out)
    assert plan["counts"]["delete"] == 0 and plan["past_kept"] == stale["past_skipped"]


def test_unreachable_endpoint_is_one_clear_line(
    build: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    capsys.readouterr()
    with refusing_port() as port:
        url = f"http://127.0.0.1:{port}"
        assert run("plan", "--build", build, "--endpoint-url", url, *FLAGS) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"socialops: plan: cannot reach the endpoint {url} (Could not connect")
    assert err.count("\n") == 1


@pytest.mark.parametrize("command", ["plan", "deploy"])
def test_a_topic_of_another_account_is_refused_unless_its_brand_allows_it(
    aws: None, build: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    # GIVEN an alert that notifies a topic of an account other than the caller's
    campaigns = build.parent / "campaigns"
    watch = campaigns / "aerolite" / "brand-watch.yml"
    foreign = "arn:aws:sns:eu-west-1:999999999999:somebody-elses"
    watch.write_text(watch.read_text().replace(
        "arn:aws:sns:eu-west-1:123456789012:aerolite-crisis", foreign))  # fmt: skip
    recompile(build)
    capsys.readouterr()
    # WHEN planning or deploying  THEN refused, by name, before anything is changed
    assert run(command, "--build", build, *FLAGS) == 1
    err = capsys.readouterr().err
    assert foreign in err and "allowed_accounts" in err and "brand-watch/negative-spike" in err
    assert groups() == {"default": {}}
    # AND once the brand lists that account, it goes through
    brand = campaigns / "aerolite" / "brand.yml"
    brand.write_text(brand.read_text() + 'allowed_accounts:\n  - "999999999999"\n')
    recompile(build)
    assert run(command, "--build", build, *FLAGS) == 0
