"""The data lake's tables in the Glue catalog, for Athena (ARCHITECTURE.md 10).

The functions write JSON Lines into the raw-mentions bucket, partitioned in the keys:
``ingest``'s read-back ``engagement/`` and ``followers/`` (``<kind>/brand=<b>/platform=<p>/
date=<d>/<run>.jsonl``, functions/ingest/engagement/readback.write_lake) and ``score``'s
``scored/brand=<b>/date=<d>/<batch>.jsonl`` (functions/score/service.store). Each prefix is
an external table (``engagement``, ``followers``, ``mentions``: the names of the DuckDB
views of infra/lake.py) of one Glue database per stage (``socialops_<stage>``), read with the
OpenX JSON SerDe, its partitions projected from the keys: no crawler, no
``MSCK REPAIR TABLE``, nothing to add when a day or a brand starts. The raw mentions
(``raw/``) are the platforms' own payloads, one shape per platform: no table.

A table's columns are its writer's columns (ENGAGEMENT_COLUMNS and FOLLOWERS_COLUMNS, one
definition for the writers and the catalog; SCORED_COLUMNS below, the keys of
``Scored.as_json``, held to them by the tests) less the partition keys: Glue refuses a
column that repeats one, and the SerDe ignores the JSON's copy. Brands and platforms are
projected as the enums of the compiled configs (sorted), or ``injected`` when the
configs have none, so that a query must then name them. The functions never read the
catalog: no role is granted Glue.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from functions.ingest.engagement import ENGAGEMENT_COLUMNS, FOLLOWERS_COLUMNS
from schema.documents import RuntimeConfig

Json = dict[str, Any]
Columns = tuple[tuple[str, str], ...]

DATABASE = "LakeDatabase"
BUCKET = "RawMentionsBucket"
# socialops_<stage>: the stack is socialops-<stage>, and Glue and Athena names are lower case
# with underscores (Glue folds a name to lower case; a hyphen would need quoting in Athena)
DATABASE_NAME: Json = {"Fn::Join": ["_", {"Fn::Split": ["-", {"Ref": "AWS::StackName"}]}]}
SERDE = "org.openx.data.jsonserde.JsonSerDe"
INPUT_FORMAT = "org.apache.hadoop.mapred.TextInputFormat"
OUTPUT_FORMAT = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"
DATE_FORMAT = "yyyy-MM-dd"  # the keys' date=, strftime("%Y-%m-%d") in the writers
DATE_RANGE = "2020-01-01,NOW"

# The scored mentions' rows: the keys of functions/score/service.Scored.as_json, typed.
SCORED_COLUMNS: Columns = (
    ("id", "string"), ("brand", "string"), ("platform", "string"),
    ("created_at", "string"),  # ISO 8601 UTC, to the minute
    ("text", "string"), ("truncated", "boolean"), ("url", "string"),
    ("polarity", "double"),  # -1 to +1
    ("label", "string"),  # negative, neutral, positive
    ("emotions", "map<string,double>"), ("language", "string"),
    ("bot", "double"),  # 0 to 1: how likely the author is a bot
    ("terms", "array<string>"),  # the brand's terms the text holds
)  # fmt: skip


@dataclass(frozen=True)
class LakeTable:
    logical: str  # the resource's logical id
    name: str  # the table's name in the database
    prefix: str  # the keys' first folder
    columns: Columns  # every key of a row, partition keys included
    partitions: tuple[str, ...]  # in the keys' order; all strings
    about: str

    def data_columns(self) -> Columns:
        return tuple((n, t) for n, t in self.columns if n not in self.partitions)

    def template(self, bucket: Any) -> Json:
        """``storage.location.template``: where a partition's rows are (Athena's ``${x}``)."""
        path = "/".join(f"{key}=${{{key}}}" for key in self.partitions)
        return _s3(bucket, f"/{self.prefix}/{path}/")

    def location(self, bucket: Any) -> Json:
        return _s3(bucket, f"/{self.prefix}/")


TABLES = (
    LakeTable("LakeEngagementTable", "engagement", "engagement", ENGAGEMENT_COLUMNS,
              ("brand", "platform", "date"),
              "the engagement of published posts, one row per reading (read-back, backfill, "
              "import); date: the UTC day the row was written"),
    LakeTable("LakeFollowersTable", "followers", "followers", FOLLOWERS_COLUMNS,
              ("brand", "platform", "date"), "each account's followers, one row per UTC day"),
    LakeTable("LakeMentionsTable", "mentions", "scored", SCORED_COLUMNS,
              ("brand", "date"),
              "mentions with their sentiment, emotions and bot likelihood; date: the UTC day "
              "the mention was made"),
)  # fmt: skip


def _s3(bucket: Any, path: str) -> Json:
    """``s3://<bucket><path>``; Fn::Join, not Fn::Sub, leaves Athena's ``${x}`` alone."""
    return {"Fn::Join": ["", ["s3://", bucket, path]]}


def brands(configs: dict[str, RuntimeConfig]) -> list[str]:
    return sorted({c.brand.name for c in configs.values()})


def platforms(configs: dict[str, RuntimeConfig]) -> list[str]:
    return sorted({str(p) for c in configs.values() for p in c.brand.accounts})


def projection(table: LakeTable, known: dict[str, list[str]]) -> tuple[Json, list[str]]:
    """The table's projection parameters, and the partition keys a query must name."""
    params: Json = {"projection.enabled": "true"}
    injected: list[str] = []
    for key in table.partitions:
        if key == "date":
            params.update({"projection.date.type": "date",
                           "projection.date.format": DATE_FORMAT,
                           "projection.date.range": DATE_RANGE,
                           "projection.date.interval": "1",
                           "projection.date.interval.unit": "DAYS"})  # fmt: skip
        elif known.get(key):
            params[f"projection.{key}.type"] = "enum"
            params[f"projection.{key}.values"] = ",".join(known[key])
        else:
            params[f"projection.{key}.type"] = "injected"
            injected.append(key)
    return params, injected


def _description(table: LakeTable, injected: list[str]) -> str:
    text = f"socialops: {table.about}. JSON Lines; partitions projected from the S3 keys"
    if injected:
        return text + (f"; {' and '.join(injected)} injected: every query must filter on "
                       f"{'them' if len(injected) > 1 else 'it'} with = or IN")  # fmt: skip
    return text + "; filter on date to bound what a query reads"


def table(spec: LakeTable, known: dict[str, list[str]]) -> Json:
    params, injected = projection(spec, known)
    params["storage.location.template"] = spec.template({"Ref": BUCKET})
    params["classification"] = "json"
    return {
        "Type": "AWS::Glue::Table",
        "Properties": {
            "CatalogId": {"Ref": "AWS::AccountId"},
            "DatabaseName": {"Ref": DATABASE},
            "TableInput": {
                "Name": spec.name,
                "Description": _description(spec, injected),
                "TableType": "EXTERNAL_TABLE",
                "Parameters": params,
                "PartitionKeys": [{"Name": key, "Type": "string"} for key in spec.partitions],
                "StorageDescriptor": {
                    "Columns": [{"Name": n, "Type": t} for n, t in spec.data_columns()],
                    "Location": spec.location({"Ref": BUCKET}),
                    "InputFormat": INPUT_FORMAT,
                    "OutputFormat": OUTPUT_FORMAT,
                    "SerdeInfo": {"SerializationLibrary": SERDE},
                },
            },
        },
    }


def database() -> Json:
    return {
        "Type": "AWS::Glue::Database",
        "Properties": {
            "CatalogId": {"Ref": "AWS::AccountId"},
            "DatabaseInput": {
                "Name": DATABASE_NAME,
                "Description": "socialops data lake: engagement, followers and scored "
                "mentions in the raw-mentions bucket (ARCHITECTURE.md 10)",
            },
        },
    }


def lake_section(configs: dict[str, RuntimeConfig]) -> Json:
    """The database and its tables, by logical id."""
    known = {"brand": brands(configs), "platform": platforms(configs)}
    return {DATABASE: database(), **{spec.logical: table(spec, known) for spec in TABLES}}
