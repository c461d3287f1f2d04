"""The field reference (``docs/fields.md``): every key of every kind, from the models.

``socialops schema --format markdown --out docs/fields.md`` writes it. Types, allowed values
and descriptions come from the JSON Schema the models give (what editors see); whether a key
is required, and its default, from the models themselves (a ``default_factory`` is not in
the JSON Schema). ``tests/unit/test_fields_drift.py`` fails when the committed file is stale.
"""

from __future__ import annotations

import typing
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel, WithJsonSchema

from infra.errors import PATTERN_WORDS
from schema.documents import KINDS

COMMAND = "socialops schema --format markdown --out docs/fields.md"
Node = dict[str, Any]

INTRO = f"""# Field reference

Every key socialops reads, kind by kind: its type, whether it is required, its default, the
values it allows and what it means. Generated from the models by `{COMMAND}`
(do not edit by hand: `tests/unit/test_fields_drift.py` fails when it is stale). The same
models give `schema/socialops.schema.json`, which editors use to complete and check as you
type, and `socialops validate`, which reports every mistake at its line and column.

Every file holds one document with `version: 1`, a `kind` (`brand`, `audience` or
`campaign`) and a `name`. A required key must be written; an optional key left out takes its
default. Every value is text in YAML until the schema reads it: `true`/`false`, numbers,
dates (`YYYY-MM-DD`), local times (`YYYY-MM-DD HH:MM`, in the time zone that applies),
durations (`30m`, `2h`, `1d`). A list is written one `- item` a line; a mapping as
`key: value` lines indented under its key.
"""


def _models() -> dict[str, type[BaseModel]]:
    """Every model reachable from the kinds, by class name (the JSON Schema's $defs names)."""
    found: dict[str, type[BaseModel]] = {}
    todo: list[Any] = list(KINDS.values())
    while todo:
        tp = todo.pop()
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            if tp.__name__ not in found:
                found[tp.__name__] = tp
                todo.extend(f.annotation for f in tp.model_fields.values())
        else:
            todo.extend(typing.get_args(tp))
    return found


def _ref(node: Node) -> str | None:
    ref = node.get("$ref")
    return ref.rsplit("/", 1)[1] if isinstance(ref, str) else None


def _link(name: str) -> str:
    return f"[{name}](#{name.lower()})"


def _code(values: list[Any]) -> str:
    return ", ".join(f"`{v}`" for v in values)


def _bounds(node: Node) -> str:
    low = node.get("minimum", node.get("exclusiveMinimum"))
    high = node.get("maximum", node.get("exclusiveMaximum"))
    parts = []
    if low is not None:
        parts.append(f"{'over' if 'exclusiveMinimum' in node else 'at least'} {low:g}")
    if high is not None:
        parts.append(f"{'under' if 'exclusiveMaximum' in node else 'at most'} {high:g}")
    return " and ".join(parts)


def _text(node: Node) -> tuple[str, str]:
    allowed = []
    if "enum" in node:
        allowed.append(_code(node["enum"]))
    elif "const" in node:
        allowed.append(_code([node["const"]]))
    elif "pattern" in node:
        allowed.append(PATTERN_WORDS.get(node["pattern"]) or node.get("description", "")
                       or f"matching `{node['pattern']}`")  # fmt: skip
    elif node.get("description"):
        allowed.append(node["description"])
    if node.get("format") == "uri":
        allowed.append("a URL")
    if "maxLength" in node and node.get("format") != "uri":
        allowed.append(f"{node.get('minLength', 0)} to {node['maxLength']:,} characters")
    if node.get("examples"):
        allowed.append(f"e.g. {_code(node['examples'])}")
    return "text", "; ".join(a for a in allowed if a)


def _items(node: Node) -> str:
    low, high = node.get("minItems"), node.get("maxItems")
    if low and high:
        return f"{low} to {high} items"
    if low:
        return f"{low} or more item{'s' * (low != 1)}" if low > 1 else "at least one item"
    return f"up to {high} items" if high else ""


def _container(node: Node) -> tuple[str, str]:
    if node.get("type") == "array":
        inner, allowed = describe(node.get("items", {}))
        return f"list of {inner}", "; ".join(a for a in (allowed, _items(node)) if a)
    values: Node = node.get("additionalProperties") or next(iter(node.get("patternProperties", {}).values()), {})  # fmt: skip
    keys = node.get("propertyNames", {})
    key_words = _code(keys["enum"]) if "enum" in keys else keys.get("description", "")
    if not key_words and node.get("patternProperties"):
        key_words = PATTERN_WORDS.get(next(iter(node["patternProperties"])), "")
    inner, allowed = describe(values)
    return f"mapping of keys to {inner}", "; ".join(a for a in (f"keys: {key_words}" if key_words else "", allowed) if a)  # fmt: skip


def describe(node: Node) -> tuple[str, str]:
    """(type in words, allowed values in words) of a JSON Schema node."""
    name = _ref(node)
    if name:
        return _link(name), ""
    if "oneOf" in node:  # the alert rules, by their type
        names = [_ref(n) or "?" for n in node["oneOf"]]
        tag = node.get("discriminator", {}).get("propertyName", "type")
        tags = list(node.get("discriminator", {}).get("mapping", {}))
        return " or ".join(_link(n) for n in names), f"by `{tag}`: {_code(tags)}"
    if "anyOf" in node:
        options = [describe(n) for n in node["anyOf"] if n.get("type") != "null"]
        if (
            all(t == "number" for t, _ in options[:1])
            and len(options) == 2
            and options[1][0] == "text"
        ):
            return options[0]  # Decimal: a number (pydantic also reads it from text)
        kinds = " or ".join(dict.fromkeys(t for t, _ in options))
        if node.get("description"):  # a type of its own, such as 'at': say what it is
            return kinds, node["description"]
        return kinds, "; or ".join(a for _, a in options if a)
    kind = node.get("type")
    if kind in ("array", "object"):
        return _container(node)
    if kind == "boolean":
        return "true or false", ""
    if kind in ("integer", "number"):
        return "whole number" if kind == "integer" else "number", _bounds(node)
    if kind == "string" or "const" in node or "enum" in node:
        return _text(node)
    return "value", node.get("description", "")


def _default(model: type[BaseModel], key: str) -> str:
    field = model.model_fields[key]
    if field.is_required():
        return ""
    value = field.get_default(call_default_factory=True, validated_data={})
    if value is None or value == [] or value == {}:
        return "none"
    if isinstance(value, BaseModel):
        return f"{_link(type(value).__name__)}'s defaults"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list):
        return _code(value)
    return f"`{value}`"


def _cell(text: str) -> str:
    return " ".join(text.replace("|", "\\|").split())


def _type_node(model: type[BaseModel], key: str, node: Node) -> Node:
    """``node`` without the field's description, with its type's own (the JSON Schema keeps
    one description where a field of a described type has its own)."""
    typed = {k: v for k, v in node.items() if k != "description"}
    for meta in model.model_fields[key].metadata:
        own = meta.json_schema if isinstance(meta, WithJsonSchema) else None
        if isinstance(own, dict) and own.get("description"):
            typed["description"] = own["description"]
    return typed


def table(name: str, definition: Node, model: type[BaseModel]) -> list[str]:
    lines = ["| key | type | required | default | allowed values | description |",
             "|---|---|---|---|---|---|"]  # fmt: skip
    required = set(definition.get("required", []))
    for key, node in definition.get("properties", {}).items():
        kind, allowed = describe(_type_node(model, key, node))
        described = node.get("description") or ""
        row = [f"`{key}`", kind, "required" if key in required else "optional",
               _default(model, key), allowed, described]  # fmt: skip
        lines.append("| " + " | ".join(_cell(c) for c in row) + " |")
    return lines


def _children(node: Any) -> Iterator[str]:
    """The $defs a node refers to, in the order they appear."""
    if isinstance(node, dict):
        if _ref(node):
            yield str(_ref(node))
        for value in node.values():
            yield from _children(value)
    elif isinstance(node, list):
        for value in node:
            yield from _children(value)


def _order(defs: dict[str, Node]) -> list[str]:
    """Each kind, then what it contains, depth first, each definition once."""
    seen: list[str] = []

    def visit(name: str) -> None:
        if name in seen:
            return
        seen.append(name)
        for child in _children(defs[name].get("properties", {})):
            visit(child)

    for kind in KINDS.values():
        visit(kind.__name__)
    return seen


def _paths(defs: dict[str, Node]) -> dict[str, list[str]]:
    """Where each definition is used: ``kind: key.path`` (``[]`` for a list item)."""
    paths: dict[str, list[str]] = {}

    def walk(name: str, prefix: str, depth: int) -> None:
        for key, node in defs[name].get("properties", {}).items():
            for child in dict.fromkeys(_children(node)):
                suffix = "[]" if _is_list(node) else ".*" if _is_map(node) else ""
                path = f"{prefix}{key}{suffix}"
                if path not in paths.setdefault(child, []):
                    paths[child].append(path)
                if depth < 6:
                    walk(child, f"{path}.", depth + 1)

    for kind, model in KINDS.items():
        walk(model.__name__, f"{kind}: ", 0)
    return paths


def _is_list(node: Node) -> bool:
    return node.get("type") == "array" or any(n.get("type") == "array" for n in node.get("anyOf", []))  # fmt: skip


def _is_map(node: Node) -> bool:
    return node.get("type") == "object" or any(n.get("type") == "object" for n in node.get("anyOf", []))  # fmt: skip


def render(schema: Node) -> str:
    """The field reference of ``schema`` (``infra.cli.json_schema()``), as Markdown."""
    defs, models = schema["$defs"], _models()
    kinds = {model.__name__: kind for kind, model in KINDS.items()}
    paths = _paths(defs)
    out = [INTRO]
    for name in _order(defs):
        definition = defs[name]
        if name in kinds:
            out.append(f'<a id="{name.lower()}"></a>\n\n## {name} (`kind: {kinds[name]}`)\n')
        else:
            used = ", ".join(f"`{p}`" for p in paths.get(name, []))
            tag = definition.get("properties", {}).get("type", {}).get("const")
            used += f", with `type: {tag}`" if tag else ""
            out.append(f'<a id="{name.lower()}"></a>\n\n### {name}\n\nUsed at {used}.\n')
        if definition.get("description"):
            out.append(" ".join(definition["description"].split()) + "\n")
        out.append("\n".join(table(name, definition, models[name])) + "\n")
    return "\n".join(out)
