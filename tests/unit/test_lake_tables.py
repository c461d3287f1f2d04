"""The data lake's Glue tables (ARCHITECTURE.md 10): the writers' columns less the partition
keys, partitions projected from exactly the keys the writers write, enums of the compiled
brands and platforms (sorted), and the same catalog in moto under ``simulate``."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from moto import mock_aws

from functions.ingest.engagement import ENGAGEMENT_COLUMNS, FOLLOWERS_COLUMNS
from functions.ingest.engagement.readback import write_lake
from functions.score import service as score
from infra import lake_tables, stack
from infra.lake_tables import TABLES, LakeTable
from infra.simulate.provision import provision
from schema.documents import RuntimeConfig

BUCKET = "the-raw-bucket"
SPECS = {spec.name: spec for spec in TABLES}


def glue(configs: dict[str, RuntimeConfig]) -> dict[str, Any]:
    """The compiled stack's Glue tables' TableInput, by table name."""
    _, resources = stack.build(configs)
    return {
        r["Properties"]["TableInput"]["Name"]: r["Properties"]["TableInput"]
        for r in resources["Resources"].values()
        if r["Type"] == "AWS::Glue::Table"
    }


def rendered(template: Any, bucket: str = BUCKET) -> str:
    """A Fn::Join of literals and the bucket's Ref, as CloudFormation renders it."""
    separator, parts = template["Fn::Join"]
    return separator.join(bucket if p == {"Ref": "RawMentionsBucket"} else p for p in parts)


def matches(template: str, key: str) -> dict[str, str] | None:
    """The partition values of ``s3://<bucket>/<key>`` if it lies in a projected
    partition (directly: Athena reads a partition's folder, not below it)."""
    pattern = re.escape(template).replace(r"\$\{", "${").replace(r"\}", "}")
    pattern = re.sub(r"\$\{(\w+)\}", r"(?P<\1>[^/]+)", pattern) + r"[^/]+"
    found = re.fullmatch(pattern, f"s3://{BUCKET}/{key}")
    return found.groupdict() if found else None


def test_the_tables_columns_are_the_writers_less_the_partition_keys() -> None:
    inputs = glue({})
    assert sorted(inputs) == ["engagement", "followers", "mentions"]
    for name, definition in (("engagement", ENGAGEMENT_COLUMNS), ("followers", FOLLOWERS_COLUMNS),
                             ("mentions", lake_tables.SCORED_COLUMNS)):  # fmt: skip
        table = inputs[name]
        keys = [k["Name"] for k in table["PartitionKeys"]]
        assert all(k["Type"] == "string" for k in table["PartitionKeys"])
        columns = [(c["Name"], c["Type"]) for c in table["StorageDescriptor"]["Columns"]]
        assert columns == [(n, t) for n, t in definition if n not in keys]
        # Glue refuses a column that repeats a partition key; every partition key is in
        # the rows too, except the scored mentions' date (the key's, from created_at)
        assert not {n for n, _ in columns} & set(keys)
        assert set(keys) - {n for n, _ in definition} <= {"date"}
        assert len({n for n, _ in columns}) == len(columns)
        assert all(re.fullmatch(r"[a-z_][a-z0-9_]*", n) for n, _ in columns)
        assert table["TableType"] == "EXTERNAL_TABLE"
        serde = table["StorageDescriptor"]["SerdeInfo"]["SerializationLibrary"]
        assert serde == "org.openx.data.jsonserde.JsonSerDe"
    assert [k["Name"] for k in inputs["engagement"]["PartitionKeys"]] == ["brand", "platform", "date"]  # fmt: skip
    assert [k["Name"] for k in inputs["mentions"]["PartitionKeys"]] == ["brand", "date"]


def _lake_key(kind: str, rows: list[dict[str, Any]], when: datetime) -> str:
    deps = SimpleNamespace(s3=SimpleNamespace(put_object=lambda **_: None), bucket=BUCKET)
    return write_lake(deps, kind, "aerolite", "bluesky", when, rows)  # type: ignore[arg-type]


@pytest.mark.parametrize("name", ["engagement", "followers"])
def test_the_projection_template_is_where_write_lake_writes(name: str) -> None:
    table = glue({})[name]
    template = rendered(table["Parameters"]["storage.location.template"])
    assert template == (f"s3://{BUCKET}/{SPECS[name].prefix}/brand=${{brand}}/"
                        "platform=${platform}/date=${date}/")  # fmt: skip
    assert rendered(table["StorageDescriptor"]["Location"]) == f"s3://{BUCKET}/{name}/"
    when = datetime(2027, 1, 14, 23, 59, 58, tzinfo=UTC)
    key = _lake_key(name, [{"brand": "aerolite", "post": "x"}], when)
    assert matches(template, key) == {"brand": "aerolite", "platform": "bluesky",
                                      "date": "2027-01-14"}  # fmt: skip
    # the date's format as Athena reads it, and a key outside the table is not in it
    assert table["Parameters"]["projection.date.format"] == "yyyy-MM-dd"
    assert datetime.strptime(matches(template, key)["date"], "%Y-%m-%d")  # type: ignore[index]
    other = "followers" if name == "engagement" else "engagement"
    assert matches(template, _lake_key(other, [{}], when)) is None


def _scored(brand: str, created: datetime) -> score.Scored:
    mention = score.parse(json.dumps({"id": "m1", "brand": brand, "platform": "bluesky",
                                      "text": "love it", "created_at": created.isoformat(),
                                      "url": "https://example.org/m1"}))  # fmt: skip
    return score.Scored(mention, 0.8, "positive", {"joy": 0.9}, "en", 0.1, ["aerolite"])


def test_the_scored_mentions_table_is_what_score_stores() -> None:
    table = glue({})["mentions"]
    template = rendered(table["Parameters"]["storage.location.template"])
    assert template == f"s3://{BUCKET}/scored/brand=${{brand}}/date=${{date}}/"
    written: list[dict[str, Any]] = []
    s3 = SimpleNamespace(put_object=lambda **kwargs: written.append(kwargs))
    item = _scored("aerolite", datetime(2027, 1, 14, 23, 59, tzinfo=UTC))
    assert score.store(s3, BUCKET, {"m1": item}, "batch-1") == {}
    [put] = written
    assert matches(template, put["Key"]) == {"brand": "aerolite", "date": "2027-01-14"}
    # every key of a stored row is a column (partition keys included), nothing more
    row = json.loads(put["Body"].splitlines()[0])
    assert list(row) == sorted(row)  # stored with sorted keys
    assert set(row) == {n for n, _ in lake_tables.SCORED_COLUMNS}
    assert set(item.as_json()) == set(row)


def test_brands_and_platforms_are_sorted_enums_of_the_compiled_configs(
    examples: dict[str, RuntimeConfig],
) -> None:
    brands = sorted({c.brand.name for c in examples.values()})
    platforms = sorted({str(p) for c in examples.values() for p in c.brand.accounts})
    assert brands and platforms
    inputs = glue(examples)
    for name, table in inputs.items():
        params = table["Parameters"]
        assert params["projection.enabled"] == "true"
        assert params["projection.brand.type"] == "enum"
        assert params["projection.brand.values"] == ",".join(brands), name
        assert params["projection.date.type"] == "date"
        assert params["projection.date.range"] == "2020-01-01,NOW"
        if "platform" in SPECS[name].partitions:
            assert params["projection.platform.type"] == "enum"
            assert params["projection.platform.values"] == ",".join(platforms)
        else:
            assert not [p for p in params if p.startswith("projection.platform")]
        assert "injected" not in table["Description"]
    # no comma in a value (it would split it), and the same whatever the configs' order
    assert not [v for v in [*brands, *platforms] if "," in v]
    assert glue(dict(reversed(examples.items()))) == inputs


def test_without_configs_brand_and_platform_are_injected_and_the_description_says_so() -> None:
    for name, table in glue({}).items():
        params = table["Parameters"]
        for key in SPECS[name].partitions:
            if key != "date":
                assert params[f"projection.{key}.type"] == "injected"
                assert f"projection.{key}.values" not in params
        assert "must filter on" in table["Description"], name
        assert len(table["Description"]) <= 2048  # Glue's limit


def test_the_database_is_named_per_stage_and_is_an_output() -> None:
    _, resources = stack.build({})
    database = resources["Resources"]["LakeDatabase"]
    assert database["Type"] == "AWS::Glue::Database"
    assert database["Properties"]["DatabaseInput"]["Name"] == {
        "Fn::Join": ["_", {"Fn::Split": ["-", {"Ref": "AWS::StackName"}]}]
    }
    for spec in TABLES:
        props = resources["Resources"][spec.logical]["Properties"]
        assert props["DatabaseName"] == {"Ref": "LakeDatabase"}
    assert resources["Outputs"]["LakeDatabaseName"]["Value"] == {"Ref": "LakeDatabase"}


def test_no_function_is_granted_glue() -> None:
    _, resources = stack.build({})
    text = json.dumps([r for r in resources["Resources"].values()
                       if r["Type"] in ("AWS::IAM::Role", "AWS::IAM::ManagedPolicy")])  # fmt: skip
    assert "glue:" not in text and "athena:" not in text


def test_a_table_spec_builds_its_template_from_its_partitions() -> None:
    spec = LakeTable("X", "x", "pre", (("a", "string"), ("b", "bigint")), ("a", "date"), "x")
    assert rendered(spec.template({"Ref": "RawMentionsBucket"})) == (
        f"s3://{BUCKET}/pre/a=${{a}}/date=${{date}}/"
    )
    assert spec.data_columns() == (("b", "bigint"),)


def test_simulate_provisions_the_same_catalog(
    examples: dict[str, RuntimeConfig], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in {"AWS_DEFAULT_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "testing-not-a-key",
                        "AWS_SECRET_ACCESS_KEY": "testing-not-a-secret"}.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    _, resources = stack.build(examples)
    path = tmp_path / "resources.json"
    path.write_text(json.dumps(resources))
    with mock_aws():
        clients = {s: boto3.client(s) for s in ("dynamodb", "sqs", "sns", "s3")}
        made = provision(path, "Pr-12", clients)
        assert "glue" not in clients  # made for the call, the caller's dict left alone
        assert made.refs["LakeDatabase"] == "socialops_pr_12"
        client = boto3.client("glue")
        [database] = client.get_databases()["DatabaseList"]
        assert database["Name"] == "socialops_pr_12"
        bucket = made.refs["RawMentionsBucket"]
        tables = {t["Name"]: t for t in client.get_tables(DatabaseName="socialops_pr_12")["TableList"]}  # fmt: skip
        assert sorted(tables) == sorted(SPECS)
        expected = glue(examples)
        for name, table in tables.items():
            params = table["Parameters"]
            assert params["storage.location.template"] == rendered(
                expected[name]["Parameters"]["storage.location.template"], bucket
            )
            assert table["StorageDescriptor"]["Location"] == f"s3://{bucket}/{SPECS[name].prefix}/"
            assert table["StorageDescriptor"]["Columns"] == expected[name]["StorageDescriptor"]["Columns"]  # fmt: skip
            assert table["PartitionKeys"] == expected[name]["PartitionKeys"]


def test_the_lake_sums_in_one_order(tmp_path: Path) -> None:
    """One DuckDB thread: a parallel sum adds floats in the order its threads finish, and a
    goal's mean differed in its last bit between two runs of the same simulation."""
    from infra.lake import connect

    db = connect(tmp_path)
    assert db.execute("SELECT current_setting('threads')").fetchone()[0] == 1
