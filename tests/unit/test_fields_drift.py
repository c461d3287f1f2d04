"""The field reference (docs/fields.md) is generated from the models and must not drift."""

from __future__ import annotations

import re
from pathlib import Path

from infra.cli import json_schema
from infra.fields import COMMAND, _models, render

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = ROOT / "docs" / "fields.md"
STALE = (
    f"docs/fields.md is stale: the models changed. Regenerate it with `{COMMAND}` "
    "(and the JSON Schema with `socialops schema --out schema/socialops.schema.json`), "
    "then commit both"
)


def test_committed_reference_matches_the_models() -> None:
    assert COMMITTED.is_file(), STALE
    assert COMMITTED.read_text(encoding="utf-8") == render(json_schema()), STALE


def test_every_key_has_a_description() -> None:
    # GIVEN the JSON Schema editors and the reference read
    missing = [
        f"{name}.{key}"
        for name, definition in json_schema()["$defs"].items()
        for key, node in definition.get("properties", {}).items()
        if not node.get("description")
    ]
    # THEN every key says what it means (Field(description=...) in schema/)
    assert not missing, f"add Field(description=...) to {', '.join(missing)}; then {STALE}"


def _sections(text: str) -> dict[str, str]:
    parts = re.split(r'<a id="([a-z]+)"></a>', text)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def test_every_kind_and_every_key_is_in_the_reference() -> None:
    sections = _sections(render(json_schema()))
    for name, model in _models().items():
        section = sections[name.lower()]
        for key, field in model.model_fields.items():
            (row,) = [r for r in section.splitlines() if r.startswith(f"| `{key}` |")]
            cells = [c.strip() for c in row.strip("|").split(" | ")]
            assert cells[2] == ("required" if field.is_required() else "optional"), row
            assert cells[5], f"{name}.{key}: no description"
    for kind in ("brand", "audience", "campaign"):
        assert f"(`kind: {kind}`)" in sections[kind]


def test_the_reference_names_allowed_values_and_defaults() -> None:
    sections = _sections(render(json_schema()))
    channels = next(r for r in sections["campaign"].splitlines() if r.startswith("| `channels` |"))
    assert "`instagram`, `facebook`, `x`, `linkedin`, `tiktok`, `bluesky`, `mastodon`" in channels
    days = next(r for r in sections["activehours"].splitlines() if r.startswith("| `days` |"))
    assert "| optional | `mon`, `tue`, `wed`, `thu`, `fri`, `sat`, `sun` |" in days
    paid = next(r for r in sections["disclosures"].splitlines() if r.startswith("| `paid` |"))
    assert "| optional | `#ad` |" in paid


def test_the_readme_links_the_reference() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "](docs/fields.md)" in readme and COMMAND in readme


def test_the_command_writes_the_reference(tmp_path: Path) -> None:
    from infra.cli import main

    out = tmp_path / "fields.md"
    assert main(["schema", "--format", "markdown", "--out", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == render(json_schema())
