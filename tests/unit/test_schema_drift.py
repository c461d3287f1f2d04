"""The committed JSON Schema is generated from the pydantic models and must not drift."""

from __future__ import annotations

import json
from pathlib import Path

from infra.cli import json_schema

COMMITTED = Path(__file__).resolve().parents[2] / "schema" / "socialops.schema.json"


def test_committed_schema_matches_the_models() -> None:
    generated = json.dumps(json_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    assert COMMITTED.read_text(encoding="utf-8") == generated, (
        "schema/socialops.schema.json is stale: run `socialops schema --out schema/socialops.schema.json`"
    )


def test_schema_knows_every_kind_and_refuses_unknown_keys() -> None:
    schema = json_schema()
    assert schema["discriminator"]["propertyName"] == "kind"
    assert set(schema["discriminator"]["mapping"]) == {"brand", "audience", "campaign", "generated"}
    for name, definition in schema["$defs"].items():
        if definition.get("type") == "object" and "properties" in definition:
            assert definition.get("additionalProperties") is False, name
