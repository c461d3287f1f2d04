"""Turn pydantic validation errors into diagnostics at ``file:line:col``."""

from __future__ import annotations

import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError

from infra.diagnostics import Diagnostic, key_path
from infra.fixes import CURRENCY, HASHTAG, LANGUAGE, LOCALE, fixed
from infra.loader import Path, Positions
from schema.alerts import EMAIL, SNS_ARN
from schema.names import nearest, suggestion
from schema.types import NAME_PATTERN, SECRET_PATTERN

_CUSTOM_CODES = {
    "so_timezone": "E205",
    "so_schedule": "E206",
    "so_duration": "E207",
    "so_datetime": "E208",
    "so_version": "E112",
    "so_value": "E204",
    "so_url": "E701",
}
_TYPE_WORDS = {
    "int_parsing": "an integer",
    "int_from_float": "a whole number",
    "int_parsing_size": "an integer of a sensible size",
    "float_parsing": "a number",
    "decimal_parsing": "a number",
    "bool_parsing": "true or false",
    "list_type": "a list (one '- item' per line)",
    "dict_type": "a mapping of keys to values",
    "model_type": "a mapping of keys to values",
    "model_attributes_type": "a mapping of keys to values",
    "string_type": "a single text value",
    "date_parsing": "a date YYYY-MM-DD",
    "datetime_parsing": "a date and time YYYY-MM-DD HH:MM",
}
PATTERN_WORDS = {
    NAME_PATTERN: "a name of lower-case letters, digits and dashes, at most 32 characters",
    SECRET_PATTERN: "the name of a Secrets Manager secret (letters, digits and /_+=.@-)",
    CURRENCY: "an ISO 4217 currency code such as EUR",
    LOCALE: "a locale such as en-US or fr",
    LANGUAGE: "a language code such as en or fr",
    HASHTAG: "a hashtag such as #ad",
    EMAIL: "an email address such as oncall@example.com",
    SNS_ARN: "an SNS topic ARN such as arn:aws:sns:eu-west-1:123456789012:alerts",
}


def found(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value == "":
        return "an empty value"
    text = str(value)
    return repr(text if len(text) <= 60 else text[:57] + "...")


def data_path(data: Any, loc: tuple[Any, ...]) -> tuple[Path, bool]:
    """The path in the data a pydantic ``loc`` points at; True if it names a dict key."""
    path: list[str | int] = []
    node = data
    for index, part in enumerate(loc):
        if part == "[key]":
            return tuple(path), True
        last = index == len(loc) - 1
        if (isinstance(node, dict) and part in node) or (
            isinstance(node, list) and isinstance(part, int) and part < len(node)
        ):
            node = node[part]
        elif isinstance(node, dict) and not last:
            continue  # a discriminator tag, such as the alert type
        else:
            node = None
        path.append(part)
    return tuple(path), False


def _unwrap(tp: Any) -> list[Any]:
    """The concrete types behind Annotated, Optional and unions."""
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(tp)[0])
    if origin in (typing.Union, types.UnionType):
        return [t for arg in typing.get_args(tp) for t in _unwrap(arg)]
    return [tp]


def types_at(model: type[BaseModel], loc: tuple[Any, ...]) -> list[Any]:
    """The types a pydantic ``loc`` may reach from ``model`` (several for a union)."""
    candidates: list[Any] = [model]
    for part in loc:
        nxt: list[Any] = []
        for tp in candidates:
            origin = typing.get_origin(tp)
            if isinstance(tp, type) and issubclass(tp, BaseModel):
                field = tp.model_fields.get(str(part))
                if field is not None:
                    nxt.extend(_unwrap(field.annotation))
                elif isinstance(part, str):  # discriminator tag: stay on the matching model
                    tag = tp.model_fields.get("type")
                    if tag is not None and part in typing.get_args(tag.annotation):
                        nxt.append(tp)
            elif origin is list:
                nxt.extend(_unwrap(typing.get_args(tp)[0]))
            elif origin is dict:
                nxt.extend(_unwrap(typing.get_args(tp)[1]))
        candidates = nxt
    return candidates


def _models(candidates: list[Any]) -> list[type[BaseModel]]:
    return [tp for tp in candidates if isinstance(tp, type) and issubclass(tp, BaseModel)]


def fields_at(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """Field names of the model reached by ``loc`` from ``model`` (for suggestions)."""
    names: list[str] = []
    for tp in _models(types_at(model, loc)):
        names.extend(n for n in tp.model_fields if n not in names)
    return names


def tags_at(model: type[BaseModel], loc: tuple[Any, ...], discriminator: str) -> list[str]:
    """The values the ``discriminator`` key may take at ``loc`` (the alert types)."""
    tags: list[str] = []
    for tp in _models(types_at(model, loc)):
        field = tp.model_fields.get(discriminator)
        if field is not None:
            tags.extend(str(t) for t in typing.get_args(field.annotation) if str(t) not in tags)
    return tags


def closest(word: str, options: list[str]) -> str | None:
    """The option ``word`` most likely meant (case, other names, spelling: schema.names)."""
    return nearest(word, options)


def suggest(word: str, options: list[str]) -> str:
    """``"did you mean 'x'? "``, or an empty string when nothing is close."""
    return suggestion(word, options)


def to_diagnostics(
    file: str, model: type[BaseModel], data: Any, positions: Positions, exc: ValidationError
) -> list[Diagnostic]:
    out = []
    raw = exc.errors(include_url=False)
    # A misspelt required key gives "unknown key" and "missing key": report it once.
    meant = {
        (path[:-1], close)
        for err in raw
        if err["type"] == "extra_forbidden"
        for path in [data_path(data, err["loc"])[0]]
        for close in [closest(str(path[-1]), fields_at(model, err["loc"][:-1]))]
        if close
    }
    for err in raw:
        path, is_key = data_path(data, err["loc"])
        within = (err.get("ctx") or {}).get("at")  # a custom error's place inside the value
        if isinstance(within, str) and within:
            path = (*path, *within.split("."))
        if err["type"] in ("union_tag_not_found", "union_tag_invalid"):  # name the 'type' key
            path = (*path, str((err.get("ctx") or {}).get("discriminator", "type")).strip("'"))
        if err["type"] == "missing" and (path[:-1], path[-1]) in meant:
            continue
        code, message, at_key = _describe(model, err, path)
        line, col = positions.key(path) if (at_key or is_key) else positions.value(path)
        if err["type"] in ("missing", "union_tag_not_found"):
            line, col = positions.value(path[:-1])
        elif err.get("input") == "" and path in positions.keys:
            line, col = positions.key(path)  # an empty value: YAML places it on the next line
        out.append(Diagnostic(file, line, col, code, key_path(path), message))
    return out


def _describe(model: type[BaseModel], err: Any, path: Path) -> tuple[str, str, bool]:
    kind, value, ctx = err["type"], err.get("input"), err.get("ctx") or {}
    if kind == "missing":
        return "E202", f"expected key {path[-1]!r} here (it is required), found none", False
    if kind == "extra_forbidden":
        options = fields_at(model, err["loc"][:-1])
        hint = suggest(str(path[-1]), options)
        return (
            "E201",
            f"unknown key {path[-1]!r}; {hint}expected one of: {', '.join(options)}",
            True,
        )
    if kind in _CUSTOM_CODES:
        return _CUSTOM_CODES[kind], err["msg"], False
    if kind in _TYPE_WORDS:
        return "E203", f"expected {_TYPE_WORDS[kind]}, found {found(value)}", False
    if kind in ("literal_error", "enum"):
        expected = ctx.get("expected", "")
        options = [o.strip(" '") for o in expected.replace(" or ", ", ").split(",")]
        hint = suggest(str(value), options) if isinstance(value, str) else ""
        return "E204", f"{hint}expected one of {expected}, found {found(value)}", False
    if kind == "union_tag_not_found":
        tags = ", ".join(tags_at(model, err["loc"], str(path[-1])))
        return "E202", f"expected key {path[-1]!r} (one of {tags}), found none", False
    if kind == "union_tag_invalid":
        tags = str(ctx.get("expected_tags", ""))
        hint = suggest(str(ctx.get("tag")), [t.strip(" '") for t in tags.split(",")])
        return "E204", f"{hint}expected one of {tags}, found {ctx.get('tag')!r}", False
    if kind == "string_pattern_mismatch":
        pattern = ctx.get("pattern", "")
        wanted = PATTERN_WORDS.get(pattern, f"text matching {pattern}")
        meant = fixed(pattern, value) if isinstance(value, str) else None
        hint = f"did you mean {meant!r}? " if meant else ""
        return "E204", f"{hint}expected {wanted}, found {found(value)}", False
    return "E204", f"{_lower(err['msg'])}, found {found(value)}", False


def _lower(message: str) -> str:
    message = message.removeprefix("Value error, ").removeprefix("Input should be ")
    message = message.removeprefix("Assertion failed, ")
    return "expected " + message[0].lower() + message[1:] if message else "invalid value"
