"""Read one file safely: bytes -> text -> strict YAML -> plain data with positions.

strictyaml's loader is the parser: it refuses duplicate keys, anchors, aliases, tags and
flow style. We walk the parsed tree once to get plain dicts, lists and strings plus the
1-based line and column of every key and value, so later errors point at ``file:line:col``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from strictyaml import exceptions as sy_exc
from strictyaml import ruamel
from strictyaml.parser import StrictYAMLLoader
from strictyaml.ruamel.comments import CommentedMap, CommentedSeq

from infra.diagnostics import Diagnostic, key_path

MAX_BYTES = 1024 * 1024
MAX_DEPTH = 24

Path = tuple[str | int, ...]


class _Loader(StrictYAMLLoader):
    label = "<file>"
    allow_flow_style = False


@dataclass
class Positions:
    """1-based (line, col) of each value and each mapping key, by data path."""

    values: dict[Path, tuple[int, int]] = field(default_factory=dict)
    keys: dict[Path, tuple[int, int]] = field(default_factory=dict)

    def value(self, path: Path) -> tuple[int, int]:
        """Where the value at ``path`` is, or the nearest enclosing thing that exists."""
        for end in range(len(path), -1, -1):
            if path[:end] in self.values:
                return self.values[path[:end]]
        return (1, 1)

    def key(self, path: Path) -> tuple[int, int]:
        return self.keys.get(path) or self.value(path)

    def to_json(self) -> dict[str, list[list[Any]]]:
        return {
            "values": [[list(p), *lc] for p, lc in self.values.items()],
            "keys": [[list(p), *lc] for p, lc in self.keys.items()],
        }

    @classmethod
    def from_json(cls, data: dict[str, list[list[Any]]]) -> Positions:
        return cls(
            values={tuple(p): (line, col) for p, line, col in data["values"]},
            keys={tuple(p): (line, col) for p, line, col in data["keys"]},
        )


class LoadError(Exception):
    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(diagnostic.text())
        self.diagnostic = diagnostic


def decode(path: str, raw: bytes) -> str:
    """UTF-8 text of a file, or a LoadError saying what is wrong with its bytes."""
    if len(raw) > MAX_BYTES:
        raise LoadError(
            Diagnostic(
                path,
                1,
                1,
                "E103",
                "",
                f"expected at most {MAX_BYTES} bytes, found {len(raw)}: split the file",
            )
        )
    if not raw.strip():
        raise LoadError(
            Diagnostic(
                path,
                1,
                1,
                "E102",
                "",
                "expected a document with version and kind, found an empty file",
            )
        )
    nul = raw.find(b"\x00")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line, col = _line_col(raw, exc.start)
        raise LoadError(
            Diagnostic(
                path,
                line,
                col,
                "E101",
                "",
                f"expected UTF-8 text, found byte 0x{raw[exc.start]:02x} (save the file as UTF-8)",
            )
        ) from exc
    if nul >= 0:
        line, col = _line_col(raw, nul)
        raise LoadError(
            Diagnostic(
                path, line, col, "E101", "", "expected text, found a NUL byte (a binary file?)"
            )
        )
    return text


def _line_col(raw: bytes, offset: int) -> tuple[int, int]:
    """1-based line and column of a byte offset; lines end at LF, CRLF or a lone CR, as
    in YAML."""
    lines = raw[:offset].replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n")
    return len(lines), len(lines[-1]) + 1


_HINTS = {
    "mapping values are not allowed here": "a value containing ': ' needs quotes",
    "found character '\\t' that cannot start any token": "indent with spaces, not tabs",
    "expected <block end>": "check the indentation of this line",
}


def _yaml_error(path: str, exc: Exception) -> Diagnostic:
    code, expected = "E104", "expected valid YAML"
    if isinstance(exc, sy_exc.DuplicateKeysDisallowed):
        code, expected = "E105", "expected each key once in a mapping"
    elif isinstance(exc, sy_exc.AnchorTokenDisallowed):
        code, expected = "E106", "expected plain values (anchors & and aliases * are refused)"
    elif isinstance(exc, sy_exc.TagTokenDisallowed):
        code, expected = "E107", "expected plain values (tags such as !!int are refused)"
    elif isinstance(exc, sy_exc.FlowMappingDisallowed):
        code, expected = (
            "E108",
            "expected block style (one '- item' or 'key: value' per line; [..] and {..} "
            "are refused, quote the value if it is text)",
        )
    disallowed = isinstance(exc, sy_exc.DisallowedToken)
    # strictyaml marks where a disallowed token starts as the context, except for tags.
    tag = isinstance(exc, sy_exc.TagTokenDisallowed)
    mark = getattr(exc, "context_mark" if disallowed and not tag else "problem_mark", None)
    mark = mark or getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    if disallowed:
        return Diagnostic(path, line, col, code, "", expected)
    problem = str(getattr(exc, "problem", "") or exc).strip().splitlines()[0]
    hint = next((h for k, h in _HINTS.items() if problem.startswith(k)), "")
    message = f"{expected}, found: {problem}" + (f" ({hint})" if hint else "")
    return Diagnostic(path, line, col, code, "", message)


def parse(path: str, text: str) -> tuple[Any, Positions, list[Diagnostic]]:
    """Strict YAML text to plain data and positions; LoadError on any YAML problem."""
    try:
        tree = ruamel.load(text, Loader=_Loader)
    except (ruamel.YAMLError, sy_exc.StrictYAMLError) as exc:
        raise LoadError(_yaml_error(path, exc)) from exc
    except RecursionError as exc:
        raise LoadError(
            Diagnostic(
                path,
                1,
                1,
                "E109",
                "",
                f"expected at most {MAX_DEPTH} levels of nesting, found far more",
            )
        ) from exc
    positions = Positions()
    positions.values[()] = (1, 1)
    data = _walk(path, tree, (), positions)
    return data, positions, _hashtag_comments(path, tree, ())


_HASHTAG_COMMENT = re.compile(r"^#\w")


def _hashtag_comments(path: str, node: Any, where: Path) -> list[Diagnostic]:
    """W101: ``text: New shoes #launch`` loses ``#launch``: YAML reads it as a comment."""
    out: list[Diagnostic] = []
    if isinstance(node, CommentedMap | CommentedSeq):
        items = node.items() if isinstance(node, CommentedMap) else enumerate(node)
        slot = 2 if isinstance(node, CommentedMap) else 0  # where ruamel keeps end-of-line comments
        for key, value in items:
            comments = node.ca.items.get(key) or []
            token = comments[slot] if len(comments) > slot else None
            if (
                token is not None
                and value
                and isinstance(value, str)
                and _HASHTAG_COMMENT.match(token.value)
            ):
                tag = token.value.split()[0]
                out.append(Diagnostic(
                    path, token.start_mark.line + 1, token.start_mark.column + 1, "W101",
                    key_path((*where, key)), f"{tag!r} is read as a YAML comment, not a "
                    "hashtag: quote the whole text, or use '>-' for long text",
                ))  # fmt: skip
            out.extend(_hashtag_comments(path, value, (*where, key)))
    return out


def _walk(path: str, node: Any, where: Path, positions: Positions) -> Any:
    if len(where) > MAX_DEPTH:
        line, col = positions.value(where)
        raise LoadError(
            Diagnostic(
                path,
                line,
                col,
                "E109",
                "",
                f"expected at most {MAX_DEPTH} levels of nesting, found more",
            )
        )
    if isinstance(node, CommentedMap):
        out: dict[str, Any] = {}
        for key, value in node.items():
            kline, kcol, vline, vcol = node.lc.data[key]
            child = (*where, str(key))
            positions.keys[child] = (kline + 1, kcol + 1)
            positions.values[child] = (vline + 1, vcol + 1)
            out[str(key)] = _walk(path, value, child, positions)
        return out
    if isinstance(node, CommentedSeq):
        items = []
        for index, value in enumerate(node):
            line, col = node.lc.data[index]
            child = (*where, index)
            positions.values[child] = (line + 1, col + 1)
            items.append(_walk(path, value, child, positions))
        return items
    return "" if node is None else str(node)
