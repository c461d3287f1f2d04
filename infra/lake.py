"""The data lake on this machine: its objects fetched from S3 with boto3 into a folder,
queried there with DuckDB (ARCHITECTURE.md 10).

Why not DuckDB's own S3 reader: its ``httpfs`` extension is downloaded from DuckDB's
servers the first time it is used, which cannot happen offline, in CI or in a Lambda
function, and it would need the AWS endpoint and credentials told again in DuckDB's own
terms. boto3 already has both (a moto server on loopback in ``simulate``, the profile or
role in AWS), so boto3 fetches the objects and DuckDB reads local files, with the column
types given (never guessed from the data: a metric that is null in every row is still a
BIGINT).

Tables, read once from the fetched JSON Lines files (the same columns as the Glue tables that
Athena queries in AWS: infra/lake_tables.py):

- ``engagement``: every reading (read-back, backfill, import);
- ``latest``: each post's latest reading with counts (status ok), one row per post;
- ``followers``: the daily follower counts;
- ``mentions``: the scored mentions, one row per mention (a mention stored twice by a
  retried batch is counted once).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from functions.ingest.engagement import ENGAGEMENT_COLUMNS, FOLLOWERS_COLUMNS
from infra.lake_tables import SCORED_COLUMNS

# Athena/Glue types -> DuckDB's
_TYPES = {"string": "VARCHAR", "bigint": "BIGINT", "double": "DOUBLE", "boolean": "BOOLEAN",
          "map<string,double>": "MAP(VARCHAR, DOUBLE)", "array<string>": "VARCHAR[]"}  # fmt: skip
PREFIXES = {"engagement": "engagement/", "followers": "followers/", "mentions": "scored/"}


def fetch(s3: Any, bucket: str, folder: Path, brands: Iterable[str] | None = None) -> int:
    """Download the lake's objects (all brands, or ``brands``) into ``folder``, keeping
    their keys as paths; an object already there with the same size is not fetched again.
    The number of objects fetched."""
    wanted = sorted(set(brands)) if brands is not None else None
    fetched = 0
    paginator = s3.get_paginator("list_objects_v2")
    for prefix in PREFIXES.values():
        for start in [f"{prefix}brand={b}/" for b in wanted] if wanted is not None else [prefix]:
            for page in paginator.paginate(Bucket=bucket, Prefix=start):
                for item in page.get("Contents", []):
                    target = folder / item["Key"]
                    if target.is_file() and target.stat().st_size == item["Size"]:
                        continue  # lake objects are written once under a key of their rows
                    target.parent.mkdir(parents=True, exist_ok=True)
                    body = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
                    partial = target.with_name(target.name + ".part")
                    partial.write_bytes(body)
                    os.replace(partial, target)
                    fetched += 1
    return fetched


def _reader(folder: Path, prefix: str, columns: tuple[tuple[str, str], ...]) -> str:
    pattern = str(folder / prefix / "**" / "*.jsonl").replace("'", "''")
    types = ", ".join(f"'{name}': '{_TYPES[kind]}'" for name, kind in columns)
    return (f"read_json('{pattern}', format = 'newline_delimited', columns = {{{types}}}, "
            "hive_partitioning = false)")  # fmt: skip


def _empty(columns: tuple[tuple[str, str], ...]) -> str:
    return "SELECT " + ", ".join(f"CAST(NULL AS {_TYPES[k]}) AS {n}" for n, k in columns) + " WHERE false"  # fmt: skip


def connect(folder: Path) -> Any:
    """A DuckDB connection (in memory): the lake's tables read from the files in ``folder``,
    and the view ``latest``. One thread: DuckDB's parallel sums add floats in whatever order
    its threads finish, so two runs could differ in the last bit (a goal's mean did); the
    lake of a brand is small."""
    import duckdb

    db = duckdb.connect(":memory:", config={"threads": 1})
    tables = {"engagement": ENGAGEMENT_COLUMNS, "followers": FOLLOWERS_COLUMNS,
              "mentions": SCORED_COLUMNS}  # fmt: skip
    for name, columns in tables.items():
        prefix = PREFIXES[name].rstrip("/")
        has_files = any((folder / prefix).rglob("*.jsonl")) if (folder / prefix).is_dir() else False  # fmt: skip
        source = f"SELECT * FROM {_reader(folder, prefix, columns)}" if has_files else _empty(columns)  # fmt: skip
        if name == "mentions":  # a retried batch may store a mention twice
            source = f"SELECT DISTINCT ON (brand, platform, id) * FROM ({source})"
        # read once: a view would parse every file again at each query
        db.execute(f"CREATE TABLE {name} AS {source}")
    db.execute(
        "CREATE VIEW latest AS SELECT DISTINCT ON (brand, platform, post_id) * FROM engagement "
        "WHERE status = 'ok' ORDER BY brand, platform, post_id, read_at DESC"
    )
    return db


class Lake:
    """The lake's files in ``folder``, opened with DuckDB (``Lake.from_s3`` fetches them)."""

    def __init__(self, folder: Path, temp: tempfile.TemporaryDirectory[str] | None = None,
                 fetched: int = 0) -> None:  # fmt: skip
        self.folder, self._temp, self.fetched = folder, temp, fetched
        self.db = connect(folder)

    @classmethod
    def from_s3(cls, s3: Any, bucket: str, folder: Path | None = None,
                brands: Iterable[str] | None = None) -> Lake:  # fmt: skip
        """The bucket's lake objects fetched into ``folder`` (a temporary one, removed on
        ``close``, unless given) and opened."""
        temp = None if folder is not None else tempfile.TemporaryDirectory(prefix="socialops-lake-")  # fmt: skip
        where = folder if folder is not None else Path(temp.name)  # type: ignore[union-attr]
        try:
            fetched = fetch(s3, bucket, where, brands)
        except BaseException:
            if temp is not None:
                temp.cleanup()
            raise
        return cls(where, temp, fetched)

    def rows(self, sql: str, *params: Any) -> list[dict[str, Any]]:
        """The query's rows as dictionaries."""
        cursor = self.db.execute(sql, list(params))
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def close(self) -> None:
        self.db.close()
        if self._temp is not None:
            self._temp.cleanup()

    def __enter__(self) -> Lake:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
